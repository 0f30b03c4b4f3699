"""The Landscape object: compiled kernels plus what is known about them, behind a NumPy API."""
from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._params import ParamError

__all__ = ["Elementwise", "Landscape", "as_points", "landscape_rng"]


def landscape_rng(name: str, seed: int, *salt: int) -> np.random.Generator:
    """The generator a landscape draws its random data from: fixed by (name, seed, salt)."""
    import zlib

    return np.random.default_rng(np.random.SeedSequence([zlib.crc32(name.encode()), int(seed), *salt]))


def memory_limit() -> int:
    """Bytes one run may use: half of this machine's memory (the rest is for the system, the UI
    and NumPy's temporaries)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")) // 2
    except (ValueError, OSError, AttributeError):  # no sysconf: assume 8 GiB
        return 4 << 30


def check_bytes(need: float, what: str, advice: str) -> None:
    """A one-line ParamError before ``need`` bytes are allocated for ``what``, when they would not
    fit in ``memory_limit()``: the estimate, what this machine allows, and ``advice``."""
    limit = memory_limit()
    if need > limit:
        raise ParamError(f"{what} needs about {need / 2**30:,.1f} GiB; this machine allows {limit / 2**30:,.1f} GiB "
                         f"(half its memory): {advice}")


def origin_facts(dim: int, index: int) -> dict[str, Any]:
    """``known`` facts of a landscape whose only critical point is the origin, of this index,
    with value 0: a minimum when the index is 0, else unbounded below."""
    facts: dict[str, Any] = {"n_critical_points": 1, "counts_by_index": {index: 1},
                             "critical_points": [{"x": [0.0] * dim, "value": 0.0, "index": index}]}
    if index == 0:
        facts.update(global_min_value=0.0, global_min_x=[0.0] * dim)
    else:
        facts.update(has_minimum=False, infimum=-math.inf)
    return facts


def as_points(x: Any, dim: int, owner: str, what: str = "point") -> tuple[np.ndarray, bool]:
    """Check ``x`` is one point ``(dim,)`` or a batch ``(walkers, dim)`` of finite numbers.

    Returns a C-contiguous float64 ``(walkers, dim)`` array and whether ``x`` was one point.
    """
    raw = np.asarray(x)
    if raw.dtype.kind == "c":  # NumPy would keep the real part only, with a warning
        raise ParamError(f"{what} is complex ({raw.dtype}); {owner} takes real numbers")
    if raw.dtype.kind not in "biuf":
        try:
            raw = raw.astype(np.float64)
        except (TypeError, ValueError):
            raise ParamError(f"{what} of {raw.dtype} is not allowed; {owner} takes real numbers") from None
    arr = np.asarray(raw, dtype=np.float64)
    single = arr.ndim == 1
    if arr.ndim not in (1, 2) or arr.shape[-1] != dim or (arr.ndim == 2 and arr.shape[0] == 0):
        raise ParamError(
            f"{what} has shape {tuple(arr.shape)}; {owner} (dim {dim}) takes shape ({dim},) "
            f"or (walkers, {dim})"
        )
    batch = np.ascontiguousarray(arr.reshape(1, dim) if single else arr)
    bad = ~np.isfinite(batch)
    if bad.any():
        walker, coord = (int(i) for i in np.argwhere(bad)[0])
        raise ParamError(
            f"{what} has {float(batch[walker, coord])} at walker {walker}, coordinate {coord}; "
            "points must be finite"
        )
    return batch, single


@dataclass(frozen=True)
class Elementwise:
    """A separable landscape's per-coordinate pieces, which the engine's fused loops inline:
    ``f(x) = {stem}_total(s)`` with ``s = {stem}_sum0(D, data) + sum_i {stem}_elem(x_i, data)[0]``
    and ``g_i = {stem}_elem(x_i, data)[1]``, compiled kernels in ``module``; ``{stem}_d2(x_i, data)``
    is the Hessian's (diagonal) entry ``dg_i/dx_i``. The landscape's own value-and-gradient and
    Hessian kernels are written with the same pieces, so both compute the same numbers (the fused
    loops' detector walks onto a critical point coordinate by coordinate with them).
    Every term and derivative is finite while ``|x_i| <= safe_bound`` (a fused loop checks the
    bound where it writes a coordinate, not again where it reads it). ``one_pass``: the terms are
    cheap enough that a step is bound by memory, so a fused loop computes and steps in one pass
    above ONE_PASS_MIN_DIM coordinates; "avx512": only where the CPU has AVX-512 (rastrigin's sine
    and cosine: on an AMD EPYC with AVX2 one pass measured slower, the two loops vectorising better
    apart; on a Xeon with AVX-512 one pass is 18-22% faster, at (256, 100), 10^6 and 10^7)."""

    module: str
    stem: str
    safe_bound: float
    one_pass: bool | str = True


@dataclass(eq=False, kw_only=True)
class Landscape:
    """A loss landscape in ``dim`` dimensions.

    Build one with ``landscapes.make(name, dim=D, seed=S, **params)`` (the constructor takes
    keywords only: a family's builder names every field it sets). Points are float64
    arrays of shape ``(dim,)`` or ``(walkers, dim)``; every method accepts both.

    Attributes:
        name: registered name (kebab-case).
        dim: number of coordinates D.
        params: every parameter, defaults filled in.
        seed: seed of the random data (couplings, data sets), if any.
        known: facts known exactly, e.g. ``global_min_value``, ``global_min_x``,
            ``n_critical_points``, ``counts_by_index``; ``known["references"]`` says where from.
        theory: asymptotic or approximate facts (large-D limits); never used as ground truth.
        symmetries: declared symmetries ("translation", "rotation", "permutation", "sign").
        manifold: None, or "sphere" (walkers live on |x|^2 = radius^2).
        domain: (low, high) box used for sampling starts and for plotting.
        identify: symmetries under which a census counts points as one (Lennard-Jones:
            translation, rotation, permutation of identical atoms).
        scale: the landscape's feature scale, the typical distance between neighbouring critical
            points (rastrigin's period, a random field's correlation length); 0 means a quarter
            of the domain's width. Saddle detection measures its radius in this unit.
        measures: quantities the landscape reports at points besides the loss, by name: a function
            of a batch ``(B, dim)`` returning ``(B,)`` (tensor-pca's overlap with the signal,
            matrix-sensing's recovery error); see ``measure``.
        to_box: maps points (B, dim) to the coordinates in which ``domain`` is a box (a rotated
            landscape's Q x); None: the identity.
        elementwise: the per-coordinate pieces of a separable landscape (``Elementwise``), for
            the engine's fused loops; None for the rest.
        costly_hessian: a Hessian costs about ``dim`` gradient evaluations (complex step or
            finite differences over the gradient, a sum over the data set): the event detector
            spaces its looks from one waiting walker so that they cost at most about a quarter
            of the run (``saddlescape._kernels.LOOK_SPACING``).
    """

    name: str
    dim: int
    value_and_grad_kernel: Any
    hessian_kernel: Any
    hvp_kernel: Any
    data: np.ndarray
    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    domain: tuple[float, float] = (-5.0, 5.0)
    known: dict[str, Any] = field(default_factory=dict)
    theory: dict[str, Any] = field(default_factory=dict)
    symmetries: tuple[str, ...] = ()
    manifold: str | None = None
    radius: float = 0.0
    n_samples: int = 0
    sampler: Callable[[np.random.Generator, int], np.ndarray] | None = None
    summary: str = ""
    identify: tuple[str, ...] = ()
    scale: float = 0.0
    measures: dict[str, Callable[[np.ndarray], np.ndarray]] = field(default_factory=dict)
    to_box: Callable[[np.ndarray], np.ndarray] | None = None
    elementwise: Elementwise | None = None
    costly_hessian: bool = False

    def __post_init__(self) -> None:
        from ._kernel import compiled, single_thread_blas  # a module's kernels compile when first needed

        lo, hi = (float(v) for v in self.domain)
        self.domain = (lo, hi)
        self.known["domain"] = [lo, hi]  # the box starts are drawn from: one source, the field
        self.value_and_grad_kernel = compiled(self.value_and_grad_kernel)
        self.hessian_kernel = compiled(self.hessian_kernel)
        self.hvp_kernel = compiled(self.hvp_kernel)
        single_thread_blas()  # the same numbers whatever the thread count (see there)

    @property
    def feature_scale(self) -> float:
        """The typical distance between neighbouring critical points (``scale``, or a quarter of
        the domain's width when the landscape declares none)."""
        lo, hi = self.domain
        return float(self.scale) if self.scale > 0 else 0.25 * (hi - lo)

    # -- evaluation -------------------------------------------------------------------------
    def _points(self, x: Any, what: str = "point") -> tuple[np.ndarray, bool]:
        return as_points(x, self.dim, f"landscape {self.name!r}", what)

    def value_and_grad(self, x: Any, *, keys: Any = None, batch: int = 0):
        """Loss and gradient at one point ``(D,)`` -> (float, (D,)) or a batch -> ((B,), (B, D)).

        ``keys`` and ``batch`` select minibatches on data-driven landscapes (mlp, logistic).
        """
        X, single = self._points(x)
        G = np.empty_like(X)
        F = np.empty(X.shape[0])
        k = np.zeros(X.shape[0], np.int64) if keys is None else np.ascontiguousarray(keys, np.int64)
        self.value_and_grad_kernel(X, G, F, self.data, k, int(batch))
        return (float(F[0]), G[0]) if single else (F, G)

    def value(self, x: Any):
        """Loss at one point (float) or at each walker of a batch ((B,) array)."""
        return self.value_and_grad(x)[0]

    def grad(self, x: Any) -> np.ndarray:
        """Gradient, shaped like ``x``."""
        return self.value_and_grad(x)[1]

    def hessian(self, x: Any) -> np.ndarray:
        """Dense Hessian: ``(D, D)`` for one point, ``(B, D, D)`` for a batch."""
        X, single = self._points(x)
        H = np.empty((X.shape[0], self.dim, self.dim))
        for b in range(X.shape[0]):
            self.hessian_kernel(X[b], H[b], self.data)
        return H[0] if single else H

    def hvp(self, x: Any, v: Any) -> np.ndarray:
        """Hessian-vector product H(x) v, shaped like ``x`` (``v`` shaped like ``x`` too)."""
        X, single = self._points(x)
        V, _ = self._points(v, "vector v")
        if V.shape != X.shape:
            raise ParamError(f"vector v has shape {np.shape(v)}; it must match x's shape {np.shape(x)}")
        out = np.empty_like(X)
        for b in range(X.shape[0]):
            self.hvp_kernel(X[b], V[b], out[b], self.data)
        return out[0] if single else out

    def measure(self, x: Any) -> dict[str, Any]:
        """The landscape's own measures (``measures``) at one point (floats) or a batch ((B,) arrays)."""
        X, single = self._points(x)
        out = {name: np.asarray(fn(X), dtype=np.float64) for name, fn in self.measures.items()}
        return {k: float(v[0]) for k, v in out.items()} if single else out

    # -- starting points --------------------------------------------------------------------
    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` starting points ``(n, D)``: uniform in ``domain``, or the landscape's own rule."""
        if int(n) < 1:
            raise ParamError(f"sample size n={n!r} is not allowed; use an integer >= 1")
        rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x5A4D]))
        if self.sampler is not None:
            pts = self.sampler(rng, int(n))
        else:
            lo, hi = self.domain
            pts = rng.uniform(lo, hi, size=(int(n), self.dim))
        return np.ascontiguousarray(pts, dtype=np.float64)

    def retract(self, X: np.ndarray) -> np.ndarray:
        """Put points back on the manifold in place (no-op without one); returns ``X``."""
        if self.manifold == "sphere":
            norms = np.linalg.norm(X, axis=-1, keepdims=True)
            np.divide(X * self.radius, norms, out=X, where=norms > 0)
        return X

    def describe(self) -> dict[str, Any]:
        """JSON-friendly summary: name, dim, params, seed, manifold, symmetries."""
        return {"name": self.name, "dim": self.dim, "params": dict(self.params), "seed": self.seed,
                "manifold": self.manifold, "symmetries": list(self.symmetries)}

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"<Landscape {self.name} dim={self.dim} seed={self.seed}{extra}>"
