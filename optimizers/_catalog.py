"""Built-in optimizers: names, hyper-parameters with ranges, papers (pure Python)."""
from __future__ import annotations

from dataclasses import dataclass

from saddlescape.landscapes._params import Param

__all__ = ["AUTO_LR", "AUTO_MAX_STEP", "BUILTIN_OPTIMIZERS", "OptimizerSpec", "hyper_slots", "state_slots"]


@dataclass(frozen=True)
class OptimizerSpec:
    """A built-in optimizer: its compiled step (``"module:function"``), hyper-parameters (the
    step reads them by the positions ``hyper_slots`` gives), its named (walkers, dim) state
    slots, and its paper.

    ``minibatch`` names the hyper-parameter that sets a minibatch size on data landscapes, and
    ``minibatch_replaces`` those (synthetic gradient noise) that real minibatches stand in for:
    the engine knows no optimizer by name. ``noise`` names the hyper-parameters that inject
    randomness and are off at 0 (``Optimizer.without_noise``).
    """

    name: str
    step: str
    params: tuple[Param, ...]
    summary: str
    reference: str
    state: tuple[str, ...] = ()
    minibatch: str | None = None
    minibatch_replaces: tuple[str, ...] = ()
    noise: tuple[str, ...] = ()
    scratch: str = ""  # "module:function": (hyper, dim) -> bytes a step allocates, checked before a run
    # "module:stem" of an element-wise method's NAME_prep / NAME_at / NAME_elem kernels (see
    # _first_order.py), which the engine's fused loops inline; "" for the rest
    elementwise: str = ""
    keyed: bool = False  # its element kernel draws noise from counter_key(seed, walker, step)

    @property
    def n_state(self) -> int:
        return len(self.state)


AUTO_LR = ("1/L, L = the largest |Hessian eigenvalue| over the walkers' starts: half gradient descent's "
           "stability limit 2/L, inside heavy ball's 2(1+beta)/L and Nesterov's 2(1+beta)/((1+2 beta) L)")


AUTO_MAX_STEP = ("a quarter of the landscape's feature scale (the typical distance between neighbouring "
                 "critical points): a step never jumps past the next basin")


def _lr(default: float | str) -> Param:
    return Param("lr", default, low=0.0, open_low=True, doc="step size",
                 auto=AUTO_LR if default == "auto" else "")


_BETA = Param("beta", 0.9, low=0.0, high=0.9999, doc="momentum coefficient")
_EPS = Param("eps", 1e-8, low=0.0, open_low=True, doc="added to the denominator")
_MAX_STEP = Param("max_step", "auto", low=0.0, open_low=True,
                  doc="trust radius: a longer step is shortened to this length", auto=AUTO_MAX_STEP)
_KRYLOV = Param("krylov", 30, kind="int", low=1, high=2000,
                doc="Lanczos subspace size when dim > 500 (exact eigendecomposition below)")

BUILTIN_OPTIMIZERS: tuple[OptimizerSpec, ...] = (
    OptimizerSpec("gd", "._first_order:gd_step", (_lr("auto"),),
                  "gradient descent", "Cauchy 1847", elementwise="._first_order:gd"),
    OptimizerSpec("sgd", "._first_order:sgd_step",
                  (_lr("auto"), Param("noise", 0.1, low=0.0, doc="std of Gaussian gradient noise (synthetic landscapes)"),
                   Param("batch", 16, kind="int", low=1, high=1_000_000, doc="minibatch size (mlp, logistic)")),
                  "stochastic gradient descent: noisy gradients or real minibatches",
                  "Robbins & Monro 1951", minibatch="batch", minibatch_replaces=("noise",), noise=("noise",),
                  elementwise="._first_order:sgd", keyed=True),
    OptimizerSpec("momentum", "._first_order:momentum_step", (_lr("auto"), _BETA),
                  "heavy-ball momentum", "Polyak 1964", state=("velocity",),
                  elementwise="._first_order:momentum"),
    OptimizerSpec("nesterov", "._first_order:nesterov_step", (_lr("auto"), _BETA),
                  "Nesterov accelerated momentum", "Nesterov 1983; Sutskever et al. 2013", state=("velocity",),
                  elementwise="._first_order:nesterov"),
    OptimizerSpec("adagrad", "._first_order:adagrad_step", (_lr(0.1), _EPS),
                  "per-coordinate steps from accumulated squared gradients", "Duchi, Hazan & Singer 2011",
                  state=("sum_sq",), elementwise="._first_order:adagrad"),
    OptimizerSpec("rmsprop", "._first_order:rmsprop_step",
                  (_lr(0.01), Param("rho", 0.9, low=0.0, high=0.9999, doc="decay of the squared-gradient average"), _EPS),
                  "steps scaled by a running RMS of the gradient", "Tieleman & Hinton 2012", state=("mean_sq",),
                  elementwise="._first_order:rmsprop"),
    OptimizerSpec("adam", "._first_order:adam_step",
                  (_lr(0.01), Param("beta1", 0.9, low=0.0, high=0.9999, doc="first-moment decay"),
                   Param("beta2", 0.999, low=0.0, high=0.999999, doc="second-moment decay"), _EPS),
                  "adaptive moments", "Kingma & Ba 2015", state=("m", "v"),
                  elementwise="._first_order:adam"),
    OptimizerSpec("newton", "._second_order:newton_step",
                  (_lr(1.0), Param("damping", 1e-3, low=0.0, doc="added to the Hessian's eigenvalues"), _KRYLOV, _MAX_STEP),
                  "damped Newton: attracted to saddles", "Nocedal & Wright 2006, ch. 3",
                  scratch="._second_order:scratch_bytes"),
    OptimizerSpec("saddle-free-newton", "._second_order:saddle_free_newton_step",
                  (_lr(1.0), Param("damping", 0.1, low=0.0, open_low=True,
                                   doc="added to |eigenvalues| (keeps flat directions finite)"), _KRYLOV,
                   _MAX_STEP),
                  "Newton with |H|: repelled by saddles", "Dauphin et al. 2014",
                  scratch="._second_order:scratch_bytes"),
    OptimizerSpec("perturbed-gd", "._first_order:perturbed_gd_step",
                  (_lr("auto"), Param("g_thres", 1e-3, low=0.0, open_low=True, doc="perturb when |g| is below this"),
                   Param("perturbation", 0.1, low=0.0, open_low=True, doc="radius of the uniform ball perturbation"),
                   Param("t_thres", 50, kind="int", low=1, doc="steps between perturbations")),
                  "gradient descent that jumps off flat spots", "Jin et al. 2017",
                  state=("last_perturbation", "direction")),
    OptimizerSpec("langevin", "._first_order:langevin_step",
                  (_lr("auto"), Param("temperature", 0.01, low=0.0, doc="noise temperature T")),
                  "gradient Langevin dynamics", "Welling & Teh 2011; Raginsky et al. 2017", noise=("temperature",),
                  elementwise="._first_order:langevin", keyed=True),
)

_BY_NAME = {s.name: s for s in BUILTIN_OPTIMIZERS}


def hyper_slots(optimizer: str, *names: str) -> tuple[int, ...]:
    """Positions of ``names`` in the hyper array a built-in's compiled step receives, read off
    its declaration above (a renamed or dropped hyper-parameter fails at import, not silently)."""
    declared = [p.name for p in _BY_NAME[optimizer].params]
    return tuple(declared.index(n) for n in names)


def state_slots(optimizer: str, *names: str) -> tuple[int, ...]:
    """Positions of the named state slots in ``S[slot, walker, coordinate]``."""
    declared = list(_BY_NAME[optimizer].state)
    return tuple(declared.index(n) for n in names)
