"""How walkers move: optimizers as pure init/step over a (walkers, dim) batch.

    >>> from saddlescape import optimizers
    >>> optimizers.names()[:4]
    ['gd', 'sgd', 'momentum', 'nesterov']

Built-ins carry a compiled step the engine fuses into its inner loop; a plug-in written in
plain NumPy (``init`` and ``step``) runs through the same engine. See README, "Writing your
own optimizer".
"""
from __future__ import annotations

from saddlescape.landscapes._params import Param, ParamError
from saddlescape.landscapes._plugins import PluginError

from ._catalog import BUILTIN_OPTIMIZERS, OptimizerSpec
from ._optimizer import ENTRY_POINT_GROUP, Optimizer, make, names, spec
from ._plugin import OptimizerPlugin

__all__ = ["BUILTIN_OPTIMIZERS", "ENTRY_POINT_GROUP", "Optimizer", "OptimizerPlugin", "OptimizerSpec", "Param",
           "ParamError", "PluginError", "make", "names", "spec"]
