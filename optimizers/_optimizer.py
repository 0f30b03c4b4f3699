"""The Optimizer object (built-in or plug-in) and how names become one."""
from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field, replace
from typing import Any

from landscapes._params import Param, ParamError, closest, validate_params
from landscapes._plugins import PluginError, load_entry_point, load_object, looks_like_plugin, names_with_plugins

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
        minibatch: True when the optimizer wants real minibatches on data landscapes.
        reference: the paper.
    """

    name: str
    hyper: dict[str, Any]
    params: tuple[Param, ...] = ()
    n_state: int = 1
    compiled_step: Any = None
    plugin: Any = None
    minibatch: bool = False
    reference: str = ""
    summary: str = field(default="", compare=False)

    def with_hyper(self, **changes: Any) -> "Optimizer":
        """A copy with some hyper-parameters changed (validated the same way)."""
        return replace(self, hyper=_validate(self, {**self.hyper, **changes}))

    def hyper_array(self):
        import numpy as np

        return np.array([float(self.hyper[p.name]) for p in self.params], dtype=np.float64)

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
    from landscapes._kernel import compiled  # the step compiles (or loads) on first use

    step = compiled(getattr(importlib.import_module(module, __package__), attr))
    return Optimizer(s.name, {p.name: p.default for p in s.params}, s.params, s.n_state, step,
                     None, s.minibatch, s.reference, s.summary)


def _from_plugin(obj: Any, label: str) -> Optimizer:
    if inspect.isclass(obj):
        try:
            obj = obj()
        except Exception as exc:
            raise PluginError(f"optimizer plug-in {label!r} could not be created: {type(exc).__name__}: {exc}") from None
    missing = [m for m in ("init", "step") if not callable(getattr(obj, m, None))]
    if missing:
        raise PluginError(f"optimizer plug-in {label!r} lacks {' and '.join(missing)}(); "
                          "it needs init(x) and step(x, g, f, state, *, t, hyper, rng)")
    params = tuple(getattr(obj, "params", ()))
    if not params:
        params = tuple(Param(k, v, kind="int" if isinstance(v, int) and not isinstance(v, bool) else "float")
                       for k, v in dict(getattr(obj, "hyper", {})).items())
    name = str(getattr(obj, "name", label))
    return Optimizer(name, {p.name: p.default for p in params}, params, 0, None, obj,
                     bool(getattr(obj, "minibatch", False)), str(getattr(obj, "reference", "")),
                     str(getattr(obj, "summary", (obj.__doc__ or "").strip().split("\n")[0])))


def make(name: Any, **hyper: Any) -> Optimizer:
    """Make an optimizer.

    Args:
        name: a built-in name (``optimizers.names()``), ``"module:attr"``,
            ``"path/to/file.py:attr"``, an entry point of ``saddlescape.optimizers``, an
            Optimizer, or a plug-in object/class with ``init`` and ``step``.
        **hyper: hyper-parameters (keyword-only, each with a default and a range).

    Example:
        >>> import optimizers
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
