"""The Optimizer object (built-in or plug-in) and how names become one."""
from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field, replace
from typing import Any

from saddlescape.landscapes._params import Param, ParamError, closest, validate_params
from saddlescape.landscapes._plugins import (
    PluginError,
    load_entry_point,
    load_object,
    looks_like_plugin,
    names_with_plugins,
)

from ._catalog import BUILTIN_OPTIMIZERS, OptimizerSpec

__all__ = ["ENTRY_POINT_GROUP", "Optimizer", "make", "names", "spec"]

ENTRY_POINT_GROUP = "saddlescape.optimizers"
_SPECS = {s.name: s for s in BUILTIN_OPTIMIZERS}


@dataclass(frozen=True)
class Optimizer:
    """An optimizer with its hyper-parameters fixed (``with_hyper`` gives a changed copy).

    Attributes:
        name: registered name, or the plug-in's ``name``.
        hyper: every hyper-parameter, in the order the compiled step reads them.
        params: declared hyper-parameters (ranges, docs).
        n_state: (walkers, dim) state slots of a built-in.
        compiled_step: the Numba step (``STEP_SIG``), or None for a plug-in.
        plugin: the plug-in object (``init``/``step`` in NumPy), or None.
        minibatch: the hyper-parameter giving a minibatch size on data landscapes (None: full
            batches), and ``minibatch_replaces`` those (synthetic noise) that real minibatches
            stand in for.
        reference: the paper.
        elementwise: ``(module, stem, keyed)`` of an element-wise built-in's prep/at/elem kernels,
            which the engine's fused loops inline (``None``: plug-ins and the other built-ins).
    """

    name: str
    hyper: dict[str, Any]
    params: tuple[Param, ...] = ()
    n_state: int = 1
    compiled_step: Any = None
    plugin: Any = None
    minibatch: str | None = None
    reference: str = ""
    summary: str = field(default="", compare=False)
    minibatch_replaces: tuple[str, ...] = ()
    noise: tuple[str, ...] = ()
    scratch: str = field(default="", compare=False)
    elementwise: tuple[str, str, bool] | None = field(default=None, compare=False)

    def scratch_bytes(self, dim: int) -> int:
        """Bytes one step allocates for a walker (built-ins that declare it; else 0)."""
        if not self.scratch:
            return 0
        module, _, attr = self.scratch.partition(":")
        return int(getattr(importlib.import_module(module, __package__), attr)(self.hyper, dim))

    def with_hyper(self, **changes: Any) -> Optimizer:
        """A copy with some hyper-parameters changed (validated the same way)."""
        return replace(self, hyper=_validate(self, {**self.hyper, **changes}))

    def without_noise(self) -> Optimizer:
        """A copy with every noise-injecting hyper-parameter at 0 (deterministic descent)."""
        return self.with_hyper(**dict.fromkeys(self.noise, 0.0)) if self.noise else self

    def batch_size(self, n_samples: int) -> int:
        """Minibatch size on a data landscape of ``n_samples`` samples (0: the full batch)."""
        if self.minibatch is None or n_samples <= 0 or self.minibatch not in self.hyper:
            return 0
        return int(min(self.hyper[self.minibatch], n_samples))

    def step_hyper(self, *, minibatches: bool = False) -> dict[str, Any]:
        """The hyper-parameters a step receives: with real minibatches, the synthetic noise they
        replace is off."""
        if not minibatches:
            return dict(self.hyper)
        return {k: (0.0 if k in self.minibatch_replaces else v) for k, v in self.hyper.items()}

    def hyper_array(self, *, minibatches: bool = False):
        """``step_hyper`` as the float64 array a compiled step reads (declaration order)."""
        import numpy as np

        h = self.step_hyper(minibatches=minibatches)
        return np.array([float(h[p.name]) for p in self.params], dtype=np.float64)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "hyper": dict(self.hyper)}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyper.items())
        return f"<Optimizer {self.name}({args})>"


def _validate(opt: Optimizer, hyper: dict[str, Any]) -> dict[str, Any]:
    return validate_params(f"optimizer {opt.name!r}", opt.params, hyper)


def names(*, plugins: bool = True) -> list[str]:
    """Built-in optimizer names, then those installed through the entry-point group."""
    return names_with_plugins(_SPECS, ENTRY_POINT_GROUP, plugins)


def spec(name: str) -> OptimizerSpec:
    """The catalog entry of a built-in."""
    return _SPECS[name]


def _builtin(s: OptimizerSpec) -> Optimizer:
    module, _, attr = s.step.partition(":")
    from saddlescape.landscapes._kernel import compiled  # the step compiles (or loads) on first use

    step = compiled(getattr(importlib.import_module(module, __package__), attr))
    elem = None
    if s.elementwise:
        emod, _, stem = s.elementwise.partition(":")
        elem = (importlib.import_module(emod, __package__).__name__, stem, s.keyed)
    return Optimizer(s.name, {p.name: p.default for p in s.params}, s.params, s.n_state, step,
                     None, s.minibatch, s.reference, s.summary, s.minibatch_replaces, s.noise, s.scratch, elem)


def _from_plugin(obj: Any, label: str) -> Optimizer:
    if inspect.isclass(obj):
        try:
            obj = obj()
        except (Exception, SystemExit) as exc:
            raise PluginError(f"optimizer plug-in {label!r} could not be created: {type(exc).__name__}: {exc}") from None
    missing = [m for m in ("init", "step") if not callable(getattr(obj, m, None))]
    if missing:
        raise PluginError(f"optimizer plug-in {label!r} lacks {' and '.join(missing)}(); "
                          "it needs init(x) and step(x, g, f, state, *, t, hyper, rng)")
    try:
        params = tuple(getattr(obj, "params", ()))
        if not params:
            params = tuple(Param(k, v, kind="int" if isinstance(v, int) and not isinstance(v, bool) else "float")
                           for k, v in dict(getattr(obj, "hyper", {})).items())
    except (TypeError, ValueError):
        raise PluginError(f"optimizer plug-in {label!r}: params must be a tuple of Param and hyper a dict of "
                          "defaults") from None
    bad = [p for p in params if not isinstance(p, Param)]
    if bad:
        raise PluginError(f"optimizer plug-in {label!r}: params holds {bad[0]!r}; each entry must be a Param "
                          "(from saddlescape.landscapes import Param)")
    name = str(getattr(obj, "name", label))
    batch = getattr(obj, "minibatch", None)
    if batch is True:  # the older spelling: a plug-in declaring `minibatch = True` sizes batches by "batch"
        batch = "batch"
    opt = Optimizer(name, {p.name: p.default for p in params}, params, 0, None, obj,
                    batch or None, str(getattr(obj, "reference", "")),
                    str(getattr(obj, "summary", (obj.__doc__ or "").strip().split("\n")[0])),
                    noise=tuple(getattr(obj, "noise", ())))
    try:  # a plug-in's own defaults must pass its own ranges
        _validate(opt, opt.hyper)
    except ParamError as exc:
        raise PluginError(f"optimizer plug-in {label!r} has a default its own range refuses: {exc}") from None
    return opt


def make(name: Any, **hyper: Any) -> Optimizer:
    """Make an optimizer.

    Args:
        name: a built-in name (``optimizers.names()``), ``"module:attr"``,
            ``"path/to/file.py:attr"``, an entry point of ``saddlescape.optimizers``, an
            Optimizer, or a plug-in object/class with ``init`` and ``step``.
        **hyper: hyper-parameters (keyword-only, each with a default and a range).

    Example:
        >>> from saddlescape import optimizers
        >>> optimizers.make("adam", lr=0.05).hyper["lr"]
        0.05

    ``python -m saddlescape list optimizers`` lists names and hyper-parameters.
    """
    if isinstance(name, Optimizer):
        opt = name
    elif isinstance(name, str) and name in _SPECS:
        opt = _builtin(_SPECS[name])
    elif isinstance(name, str) and looks_like_plugin(name):
        opt = _from_plugin(load_object(name), name)
    elif isinstance(name, str):
        obj = load_entry_point(ENTRY_POINT_GROUP, name)
        if obj is None:
            raise ParamError(f"unknown optimizer {name!r}{closest(name, names())}; "
                             "see `saddlescape list optimizers`")
        opt = _from_plugin(obj, name)
    else:
        opt = _from_plugin(name, getattr(name, "name", type(name).__name__))
    return replace(opt, hyper=_validate(opt, {**opt.hyper, **hyper})) if hyper else opt
