"""Kernel signatures shared by every landscape, and the Numba options they compile with.

Every built-in landscape supplies three compiled kernels with these exact signatures, so one
compiled engine loop can call any of them through a first-class function type (and so the
kernels stay in Numba's on-disk cache):

* ``value_and_grad_batch(X, G, F, data, keys, batch)``: for each walker ``b`` write the loss
  to ``F[b]`` and the gradient to ``G[b]``. ``X`` and ``G`` are ``(walkers, dim)``.
  ``keys[b]`` and ``batch`` select a minibatch on data-driven landscapes (``batch == 0``
  means the full data set); other landscapes ignore both.
* ``hessian(x, H, data)``: the dense ``(dim, dim)`` Hessian at one point into ``H``.
* ``hvp(x, v, out, data)``: the Hessian-vector product at one point into ``out``.

``data`` is one flat float64 array holding whatever the landscape needs (couplings, a data
set, random features), so the signatures never change between landscapes.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import numpy as np


def _sources_writable() -> bool:
    """Can Numba write its cache next to the sources (its default, in __pycache__)?"""
    if os.environ.get("SADDLESCAPE_ASSUME_READONLY"):  # lets a test stand in for a read-only install
        return False
    here = Path(__file__).resolve().parent
    cache = here / "__pycache__"
    return os.access(cache if cache.is_dir() else here, os.W_OK)


def cache_dir() -> str:
    """Where compiled kernels are cached: ``NUMBA_CACHE_DIR`` when set; next to the sources
    (Numba's default) when that folder is writable; otherwise, for a read-only install,
    ``$XDG_CACHE_HOME/saddlescape/numba`` (``~/.cache/saddlescape/numba``)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return os.environ["NUMBA_CACHE_DIR"]
    if _sources_writable():
        return str(Path(__file__).resolve().parent / "__pycache__")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "saddlescape", "numba")


def _writable_folder(path: str) -> bool:
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK)


def _session_cache() -> str:
    """A temporary cache for this process when no cache folder can be written (a read-only
    install and a read-only home): compiling still works, and the user is told once."""
    import atexit
    import shutil
    import sys
    import tempfile

    tried = cache_dir()
    folder = tempfile.mkdtemp(prefix="saddlescape-numba-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    print(f"saddlescape: no writable cache folder ({tried}); compiled code is kept for this session only "
          "(set NUMBA_CACHE_DIR to a writable folder to keep it)", file=sys.stderr)
    return folder


if os.environ.get("NUMBA_CACHE_DIR") or not _sources_writable():  # before Numba reads its configuration
    os.environ["NUMBA_CACHE_DIR"] = cache_dir() if _writable_folder(cache_dir()) else _session_cache()

import numba  # noqa: E402
from numba import float64, int64, njit, types, void  # noqa: E402
from numba.core import cgutils  # noqa: E402
from numba.extending import intrinsic, typeof_impl  # noqa: E402

_config: Any = numba.config  # (numba's type stubs do not list its configuration)
if os.environ.get("NUMBA_CACHE_DIR") and os.environ["NUMBA_CACHE_DIR"] != _config.CACHE_DIR:
    _config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]  # Numba was imported before us

__all__ = [
    "HESSIAN_SIG",
    "HESSIAN_TYPE",
    "HVP_SIG",
    "HVP_TYPE",
    "KERNEL_OPTIONS",
    "VALUE_AND_GRAD_SIG",
    "VALUE_AND_GRAD_TYPE",
    "Deferred",
    "FirstClass",
    "cache_dir",
    "compiled",
    "copy_span",
    "counter_key",
    "counter_normal",
    "counter_uniform",
    "deferred",
    "kernel",
    "matvec_into",
    "single_thread_blas",
    "splitmix64",
    "weighted_gram_into",
]

VALUE_AND_GRAD_SIG = void(
    float64[:, ::1], float64[:, ::1], float64[::1], float64[::1], int64[::1], int64
)
HESSIAN_SIG = void(float64[::1], float64[:, ::1], float64[::1])
HVP_SIG = void(float64[::1], float64[::1], float64[::1], float64[::1])

VALUE_AND_GRAD_TYPE = types.FunctionType(VALUE_AND_GRAD_SIG)
HESSIAN_TYPE = types.FunctionType(HESSIAN_SIG)
HVP_TYPE = types.FunctionType(HVP_SIG)

# fastmath without nnan/ninf, so np.isnan still works (divergence detection relies on it);
# "reassoc" lets reductions vectorise, error_model="numpy" drops the ZeroDivision branches.
KERNEL_OPTIONS: dict[str, Any] = dict(
    cache=True,
    nogil=True,
    error_model="numpy",
    fastmath={"nsz", "arcp", "contract", "afn", "reassoc"},
)


def kernel(signature=None, *, exact: bool = False, nrt: bool = True):
    """Compile a module-level function with the project's kernel options.

    Args:
        signature: an explicit Numba signature (compiles eagerly, cacheable, and usable as a
            first-class function), or None for a lazily typed helper.
        exact: IEEE arithmetic, no fastmath: for the per-coordinate kernels that the general and
            the fused loops both inline (fastmath lets LLVM turn a square root and a division into
            an approximate reciprocal root in one vectorised loop and not in another; fast-math
            flags sit on each instruction, so the helper's arithmetic stays exact where inlined).
        nrt: False compiles with no reference counting (Numba's ``_nrt=False``): for the event
            detector's helpers that a loop calls with ~15 arrays a look, whose atomic increments
            and decrements were ~5 ms of styblinski-tang (4096, 2)'s first 1,008 steps (2026-12-02).
            Such a function may not allocate, nor copy an array into a slice (a loop does).
    """
    options = {**KERNEL_OPTIONS, **({"fastmath": False} if exact else {}), **({} if nrt else {"_nrt": False})}
    return njit(**options) if signature is None else njit(signature, **options)


class Deferred:
    """A kernel for one explicit signature, compiled (or loaded from Numba's cache) the first time
    a landscape or optimizer uses it rather than when its module is imported.

    A module holds several landscapes' or optimizers' kernels; compiling all of them at import
    made the playground's six-hump-camel scene load fifteen landscape kernels and nine optimizer
    steps to use five (~0.1 s warm; minutes of needless compiling on a cold cache). Landscape and
    Optimizer objects hold ``compiled(k)``: the real dispatcher, as ``njit(signature)`` gives.
    """

    # the playground builds scenes in threads of its own; re-entrant because compiling a kernel
    # may compile another it calls (an hvp calling its hessian)
    _lock = threading.RLock()

    def __init__(self, fn, signature, exact: bool = False):
        self.py_func = fn
        self.signature = signature
        self.options = {**KERNEL_OPTIONS, **({"fastmath": False} if exact else {})}
        self.__name__, self.__qualname__ = fn.__name__, fn.__qualname__
        self.__module__, self.__doc__ = fn.__module__, fn.__doc__
        self._dispatcher = None

    @property
    def dispatcher(self):
        if self._dispatcher is None:
            with self._lock:
                if self._dispatcher is None:
                    self._dispatcher = njit(self.signature, **self.options)(self.py_func)
        return self._dispatcher

    def __call__(self, *args):
        return self.dispatcher(*args)

    def __repr__(self) -> str:
        state = "compiled" if self._dispatcher is not None else "not compiled yet"
        return f"<deferred kernel {self.__qualname__} ({state})>"


@typeof_impl.register(Deferred)
def _typeof_deferred(val, c):
    # a kernel calling another (an hvp that calls its module's hessian) types it as the dispatcher
    return typeof_impl(val.dispatcher, c)


def deferred(signature, *, exact: bool = False):
    """Like ``kernel(signature, exact=exact)``, compiled on first use (see ``Deferred``)."""
    return lambda fn: Deferred(fn, signature, exact)


def compiled(k):
    """The dispatcher behind a deferred kernel (compiling or loading it now); anything else as is."""
    return k.dispatcher if isinstance(k, Deferred) else k


@intrinsic
def _copy_span(typingctx, dst, src, lo, hi):
    """``dst[lo:hi] = src[lo:hi]`` for contiguous 1-D float64 arrays, as one ``memcpy`` (no bounds
    checks: the caller's indices are in range). For a loop's records: a row of 4,096 losses written
    by a store loop into the record block cost ~5 us (each line read before it is written, the block
    being out of cache); libc's copy of a span this long uses string moves that write whole lines
    unread (rastrigin (4096, 2)'s first 1,008 steps recording: +3.3-3.9 -> +2.0-2.7 ms over none)."""
    sig = void(dst, src, lo, hi)

    def codegen(context, builder, signature, args):
        d, s, a, b = args
        dp = builder.gep(context.make_array(signature.args[0])(context, builder, d).data, [a])
        sp = builder.gep(context.make_array(signature.args[1])(context, builder, s).data, [a])
        cgutils.raw_memcpy(builder, dp, sp, builder.sub(b, a), 8)
        return context.get_dummy_value()

    return sig, codegen


copy_span: Any = _copy_span  # (compiled code calls it as copy_span(dst, src, lo, hi))

# -- counter-based random numbers: a value depends only on its counters, never on threads ----
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB


@njit(**KERNEL_OPTIONS)
def splitmix64(z):
    """SplitMix64 finaliser (Steele, Lea & Flood 2014): a well-mixed uint64 from a uint64."""
    z = np.uint64(z) + np.uint64(_GOLDEN)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(_M1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_M2)
    return z ^ (z >> np.uint64(31))


@njit(**KERNEL_OPTIONS)
def counter_key(seed, a, b):
    """Mix (seed, a, b) into one uint64 key; e.g. a = walker, b = step."""
    k = splitmix64(np.uint64(seed))
    k = splitmix64(k ^ np.uint64(a))
    return splitmix64(k ^ (np.uint64(b) * np.uint64(_GOLDEN)))


@njit(**KERNEL_OPTIONS)
def counter_uniform(key, i):
    """Uniform in (0, 1) from a key and a counter, with 53 random bits."""
    z = splitmix64(np.uint64(key) ^ (np.uint64(i) * np.uint64(_M1)))
    return ((z >> np.uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)


@njit(**KERNEL_OPTIONS)
def counter_normal(key, i):
    """Standard normal from a key and a counter (Box-Muller on two counter uniforms)."""
    u1 = counter_uniform(key, 2 * i)
    u2 = counter_uniform(key, 2 * i + 1)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(6.283185307179586 * u2)


@njit(**KERNEL_OPTIONS)
def matvec_into(H, v, out):
    """out = H v for a dense Hessian already formed (landscapes with no faster product)."""
    D = v.shape[0]
    for i in range(D):
        acc = 0.0
        for j in range(D):
            acc += H[i, j] * v[j]
        out[i] = acc


@njit(**KERNEL_OPTIONS)
def weighted_gram_into(A, c, shift, H):
    """H = A^T diag(c) A + shift I (symmetric to the last bit): the Hessian of sum_r phi(a_r . x),
    phi'' = c, plus a ridge (logistic regression, phase retrieval)."""
    n, d = A.shape
    S = np.empty((n, d))
    for r in range(n):
        for i in range(d):
            S[r, i] = c[r] * A[r, i]
    Hm = np.dot(A.T, S)
    for i in range(d):
        for j in range(d):
            H[i, j] = 0.5 * (Hm[i, j] + Hm[j, i])
        H[i, i] += shift


_PINNED: set[str] = set()
_SET_THREADS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
                "openblas_set_num_threads64_", "openblas_set_num_threads")


def single_thread_blas() -> None:
    """Pin every OpenBLAS loaded in this process to one thread (Linux; elsewhere nothing).

    Kernels call BLAS (``np.dot`` through SciPy's OpenBLAS) for batched products; OpenBLAS splits
    a product differently for 1 and 2 threads and rounds differently with it (gaussian-field at
    D=300, logistic at D=500: last-bit differences that grow along a run), which breaks "the same
    seed gives the same numbers whatever the thread count". One thread also keeps BLAS from
    fighting the playground's interface for the cores. Called whenever a Landscape is made (the
    BLAS libraries are loaded by then); each library is pinned once."""
    import ctypes

    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:
        return
    for path in sorted(paths - _PINNED):
        _PINNED.add(path)
        if not path.startswith("/"):
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in _SET_THREADS:
            setter = getattr(lib, name, None)
            if setter is not None:
                setter(1)
                break


class FirstClass(types.WrapperAddressProtocol):
    """A compiled kernel handed to another compiled function as a first-class function.

    Passing the dispatcher itself makes Numba look up the compiled wrapper's address on every
    call (~0.2 ms per function argument); this object looks it up once.
    """

    def __init__(self, dispatcher, sig):
        self.dispatcher = dispatcher
        self._sig = sig
        self._addr: int | None = None

    def __wrapper_address__(self) -> int:
        if self._addr is None:
            cres = self.dispatcher.get_compile_result(self._sig)
            self._addr = cres.library.get_pointer_to_function(cres.fndesc.llvm_cfunc_wrapper_name)
        return self._addr

    def signature(self):
        return self._sig
