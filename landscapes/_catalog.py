"""The built-in landscape families: names, parameters, dimension rules (pure Python).

Kernels live in the family modules and are imported only when a landscape is made, so
listing names and parameters never pays Numba's start-up.
"""
from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._params import Param, ParamError

__all__ = ["BUILTIN_FAMILIES", "Family", "mlp_n_weights"]


@dataclass(frozen=True)
class Family:
    """A landscape family: what ``make(name, dim=..., seed=..., **params)`` builds.

    Attributes:
        name: kebab-case name.
        builder: ``"module:function"`` (or a callable) taking (dim, seed, params) and
            returning a Landscape.
        params: declared parameters.
        summary: one line for listings.
        default_dim: dim used when the caller gives none.
        min_dim: smallest allowed dim.
        fixed_dim: the only allowed dim, if any.
        dim_multiple: dim must be a multiple of this.
        derive_dim: computes dim from the parameters (mlp: the number of weights; None: not derived).
        references: where the landscape and its facts come from.
        conventions: scaling, units and reductions a user comparing with a paper must know.
        dim_rule: how ``derive_dim`` computes dim, for listings and errors ("n r").
    """

    name: str
    builder: Any
    params: tuple[Param, ...] = ()
    summary: str = ""
    default_dim: int = 2
    min_dim: int = 1
    fixed_dim: int | None = None
    dim_multiple: int = 1
    derive_dim: Callable[[dict], int | None] | None = None
    references: tuple[str, ...] = field(default_factory=tuple)
    conventions: str = ""
    dim_rule: str = ""

    def dims(self) -> str:
        """Human description of the allowed dimensions."""
        if self.fixed_dim is not None:
            return f"dim={self.fixed_dim} only"
        if self.derive_dim is not None and self.name == "mlp":
            return "dim = the number of weights (derived from the parameters)"
        if self.dim_rule:
            return f"dim = {self.dim_rule} (derived from the parameters)"
        if self.dim_multiple > 1:
            return f"a multiple of {self.dim_multiple}, >= {self.min_dim}"
        return f"any dim >= {self.min_dim}"

    def resolve_dim(self, dim: Any, params: dict) -> int:
        """Check ``dim`` (None: the default) against the family's rule; return it."""
        where = f"landscape {self.name!r}"
        derived = self.derive_dim(params) if self.derive_dim is not None else None
        if derived is not None:
            if dim is not None and _as_int(dim, where, self.dims()) != derived:
                if self.dim_rule:
                    what = f"{self.dim_rule} = {derived} with these parameters"
                elif params.get("data") and self.name != "mlp":
                    what = f"the {derived} features of data={params['data']!r}"
                else:
                    shown = ", ".join(f"{k}={params[k]}" for k in ("inputs", "width", "depth") if k in params)
                    what = f"its {derived} weights ({shown}" + (f", data={params['data']!r}" if params.get("data")
                                                               else "") + ")"
                raise ParamError(f"{where} dim={dim} does not match {what}; omit dim or pass dim={derived}")
            return derived
        if dim is None:
            return self.fixed_dim if self.fixed_dim is not None else self.default_dim
        d = _as_int(dim, where, self.dims())
        ok = d >= self.min_dim and d % self.dim_multiple == 0
        if self.fixed_dim is not None:
            ok = d == self.fixed_dim
        if not ok:
            raise ParamError(f"{where} cannot take dim={dim}; allowed: {self.dims()}")
        return d

    def build(self, dim: int, seed: int, params: dict):
        builder = self.builder
        if isinstance(builder, str):
            module, _, attr = builder.partition(":")
            builder = getattr(importlib.import_module(module, __package__), attr)
        land = builder(dim, seed, params)
        if params.get("rotate"):
            from ._rotate import rotated

            land = rotated(land)
        return land

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "summary": self.summary, "dims": self.dims(), "conventions": self.conventions,
                "default_dim": self.default_dim if self.derive_dim is None else None,
                "params": [p.describe() for p in self.params], "references": list(self.references)}


MAX_DIM = 10**9  # one point is 8 GB: the engine holds several per walker


def _as_int(value: Any, where: str, allowed: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ParamError(f"{where} cannot take dim={value!r}; allowed: {allowed}")
    try:
        number = float(value)
    except ValueError:
        raise ParamError(f"{where} cannot take dim={value!r}; allowed: {allowed}") from None
    if not number.is_integer() or number < 1:
        raise ParamError(f"{where} cannot take dim={value!r}; allowed: {allowed}")
    if number > MAX_DIM:
        raise ParamError(f"{where} cannot take dim={int(number):,}; at most {MAX_DIM:,} (one point alone is "
                         f"{8 * number / 2**30:,.0f} GiB there)")
    return int(number)


def data_features(params: dict, owner: str) -> int | None:
    """The number of features of the data file ``params["data"]`` (None when there is none)."""
    if not params.get("data"):
        return None
    from ._data import load_dataset  # (NumPy: only when a file is given)

    return int(load_dataset(params["data"], owner)[0].shape[1])


_ROTATE = Param("rotate", 0, kind="int", low=0, high=1,
                 doc="1: the landscape seen through a fixed random rotation from the seed, f(Q x) (blocks of "
                     "16 coordinates, each Haar-random): no edge for coordinate-wise optimizers")

_DATA = Param("data", "", kind="path", choices=(".csv", ".npy", ".npz"),
              doc="your data set instead of the generated one: the label last (.csv, .npy) or X and y (.npz)")


def deep_linear_dim(depth: int, inputs: int, width: int, outputs: int) -> int:
    """Number of weights of a depth-``depth`` linear network (no biases)."""
    return inputs * outputs if depth == 1 else inputs * width + (depth - 2) * width * width + width * outputs


def mlp_n_weights(inputs: int, width: int, depth: int) -> int:
    """Number of weights of the mlp: hidden layers, then a linear scalar output."""
    return inputs * width + width + (depth - 1) * (width * width + width) + width + 1


BUILTIN_FAMILIES: tuple[Family, ...] = (
    Family("rastrigin", "._separable:build_rastrigin",
           (Param("A", 10.0, low=0.0, open_low=True, doc="amplitude of the cosine ripples"), _ROTATE),
           "a lattice of local minima around a parabola; 11^D minima in [-5.12, 5.12]^D",
           references=("Rastrigin 1974",)),
    Family("styblinski-tang", "._separable:build_styblinski_tang", (_ROTATE,),
           "separable quartic: 3^D critical points, C(D,k) 2^(D-k) of index k",
           references=("Styblinski & Tang 1990",)),
    Family("ackley", "._separable:build_ackley",
           (Param("a", 20.0, low=0.0, open_low=True, doc="depth of the funnel"),
            Param("b", 0.2, low=0.0, open_low=True, doc="decay of the funnel with radius"),
            Param("c", 6.283185307179586, low=0.0, open_low=True, doc="frequency of the ripples"), _ROTATE),
           "a deep funnel covered in ripples; global minimum 0 at the origin",
           references=("Ackley 1987",)),
    Family("griewank", "._separable:build_griewank", (_ROTATE,),
           "ripples on a wide bowl; global minimum 0 at the origin", references=("Griewank 1981",)),
    Family("rosenbrock", "._classic:build_rosenbrock", (_ROTATE,),
           "a curved narrow valley; global minimum 0 at (1, ..., 1)", min_dim=2,
           references=("Rosenbrock 1960",)),
    Family("himmelblau", "._classic:build_himmelblau", (),
           "4 minima, 4 saddles and 1 maximum in the plane", fixed_dim=2,
           references=("Himmelblau 1972",)),
    Family("six-hump-camel", "._classic:build_six_hump_camel", (),
           "6 minima (2 global), 7 saddles, 2 maxima", fixed_dim=2,
           references=("Dixon & Szegoe 1978",)),
    Family("monkey-saddle", "._classic:build_monkey_saddle", (),
           "x^3 - 3xy^2: a degenerate saddle with three valleys", fixed_dim=2),
    Family("saddle", "._classic:build_saddle",
           (Param("negative", 1, kind="int", low=0, doc="number of descending directions (index)"),
            Param("neg_curvature", 1.0, low=0.0, open_low=True, doc="curvature along descending directions"),
            Param("pos_curvature", 1.0, low=0.0, open_low=True, doc="curvature along ascending directions"),
            Param("quartic", 0.0, low=0.0, doc="x^4/4 weight; > 0 makes it bounded with 3^k critical points")),
           "a quadratic saddle at the origin with a chosen index"),
    Family("saddle-chain", "._classic:build_saddle_chain",
           (Param("tau", math.e, low=0.0, open_low=True, doc="the chain's length unit: saddles 4 tau apart"),
            Param("L", math.e, low=0.0, open_low=True, doc="half the curvature along settled and waiting directions"),
            Param("gamma", 1.0, low=0.0, open_low=True, doc="half the negative curvature at each saddle"),
            Param("saddles", 0, kind="int", low=0, doc="saddles in the chain (0: one per coordinate, D)")),
           "D saddles in a chain, each escape handing over to the next: GD takes exponential time",
           default_dim=5, min_dim=1, references=("Du et al. 2017",)),
    Family("p-spin", "._random:build_pspin",
           (Param("p", 3, kind="int", low=2, high=4, doc="interaction order"),),
           "spherical p-spin glass on |x|^2 = D", default_dim=50, min_dim=2,
           references=("Crisanti & Sommers 1992", "Auffinger, Ben Arous & Cerny 2013"),
           conventions="H(x) = D^-(p-1)/2 sum A x..x, A iid N(0,1): E[H(x)H(y)] = D (x.y/D)^p; energies per "
                       "spin in these units (Crisanti & Sommers' i<j<k sum gives them / sqrt(2))"),
    Family("gaussian-field", "._random:build_gaussian_field",
           (Param("length_scale", 1.0, low=0.0, open_low=True, doc="correlation length"),
            Param("features", 256, kind="int", low=1, high=1_000_000, doc="random Fourier features"),
            Param("amplitude", 1.0, low=0.0, open_low=True, doc="standard deviation of the field"),
            Param("confine", 0.0, low=0.0, doc="weight of a confining |x|^2 / 2 term")),
           "isotropic Gaussian random field (random Fourier features)",
           references=("Rahimi & Recht 2007", "Bray & Dean 2007")),
    Family("random-quadratic", "._random:build_random_quadratic",
           (Param("spectrum", "goe", kind="choice", choices=("goe", "wishart", "bulk-outliers"),
                  doc="eigenvalue distribution: goe = (G + G^T) / sqrt(2 dim), semicircle on [-2, 2]; "
                      "wishart = Z^T Z / samples, Marchenko-Pastur; bulk-outliers = 0.1 wishart + spikes 10, 20, ..."),
            Param("shift", "auto", doc="A = A0 - shift I", auto="0 for goe and wishart (the plain law); for "
                  "bulk-outliers, what puts negative_fraction = 0.1 of the eigenvalues below 0"),
            Param("negative_fraction", "auto", low=0.0, high=1.0, auto="set by shift",
                  doc="choose the shift so this fraction of eigenvalues is negative (instead of shift)"),
            Param("ratio", 0.5, low=0.0, high=100.0, open_low=True,
                  doc="dim / samples of the Wishart part (above 1: a null space of dim (1 - 1/ratio))"),
            Param("outliers", 3, kind="int", low=0, doc="spikes for bulk-outliers")),
           "x^T A x / 2 with a random spectrum (GOE, Marchenko-Pastur, bulk and outliers), optionally shifted",
           conventions="goe: (G + G^T) / sqrt(2 dim), semicircle on [-2, 2]; wishart: Z^T Z / samples, "
                       "Marchenko-Pastur; neither shifted unless shift or negative_fraction is given",
           default_dim=20, references=("Wigner 1958", "Marchenko & Pastur 1967", "Sagun et al. 2016")),
    Family("mlp", "._learning:build_mlp",
           (Param("width", 8, kind="int", low=1, high=4096, doc="hidden units per layer"),
            Param("depth", 1, kind="int", low=1, high=16, doc="hidden layers"),
            Param("activation", "tanh", kind="choice", choices=("tanh", "relu", "softplus", "linear"),
                  doc="hidden activation"),
            Param("skip", False, kind="bool", doc="residual connections between hidden layers"),
            Param("task", "teacher", kind="choice", choices=("teacher", "spirals"),
                  doc="teacher-student regression or two-spirals classification"),
            Param("samples", 128, kind="int", low=1, high=1_000_000, doc="size of the data set"),
            Param("inputs", 2, kind="int", low=1, high=1024, doc="input features"), _DATA),
           "a small neural network's training loss; dim = number of weights",
           derive_dim=lambda p: mlp_n_weights(data_features(p, "landscape 'mlp'") or p["inputs"], p["width"],
                                              p["depth"]),
           references=("Sagun et al. 2016", "Lang & Witbrock 1988"),
           conventions="the mean over samples of (out - y)^2 / 2 (task=teacher) or of the logistic loss "
                       "(task=spirals); with data=, task picks the loss (labels -1/+1 or 0/1 for spirals) and "
                       "inputs and samples come from the file"),
    Family("logistic", "._learning:build_logistic",
           (Param("l2", 0.0, low=0.0, doc="weight decay; 0 leaves no minimum at all"),
            Param("samples", 100, kind="int", low=1, high=1_000_000, doc="data points"),
            Param("margin", 0.1, low=0.0, high=20.0, doc="smallest distance of a point to the true separator"),
            Param("reduction", "mean", kind="choice", choices=("mean", "sum"),
                  doc="the loss over samples: their mean, or their sum as Soudry et al. write it"),
            _DATA),
           "logistic regression on separable data: no minimum unless l2 > 0",
           derive_dim=lambda p: data_features(p, "landscape 'logistic'"),
           references=("Soudry et al. 2018",),
           conventions="reduction=mean (the default): the mean of log(1 + exp(-y w.x)) over samples, so an lr "
                       "here is Soudry et al.'s (who sum) times the number of samples; reduction=sum as they write "
                       "it; + l2 |w|^2 / 2. With data=, labels are -1/+1 (or 0/1)"),
    Family("matrix-factorization", "._benign:build_matrix_factorization",
           (Param("n", 6, kind="int", low=1, high=400, doc="rows of M (and of U)"),
            Param("r", 2, kind="int", low=1, high=400, doc="columns of U (and V): the rank searched for"),
            Param("rank", 0, kind="int", low=0, high=400, doc="rank of M (0: r); above r the best rank-r "
                  "approximation is the global minimum"),
            Param("condition", 4.0, low=1.0, doc="M's nonzero eigen/singular values run evenly from this down to 1"),
            Param("form", "symmetric", kind="choice", choices=("symmetric", "asymmetric"),
                  doc="|U U^T - M|^2/4 with M PSD, or |U V^T - M|^2/2 with M n x m"),
            Param("m", 0, kind="int", low=0, high=400, doc="columns of M for form=asymmetric (0: n)"),
            Param("balance", 1.0, low=0.0, doc="weight of the balancing term |U^T U - V^T V|^2/8 (asymmetric)")),
           "low-rank factorization: every local minimum global, every critical point known in closed form",
           derive_dim=lambda p: p["r"] * (p["n"] + ((p["m"] or p["n"]) if p["form"] == "asymmetric" else 0)),
           dim_rule="n r (symmetric), (n + m) r (asymmetric)",
           references=("Ge, Jin & Zheng 2017", "Baldi & Hornik 1989"),
           conventions="symmetric: f(U) = |U U^T - M|_F^2 / 4, U row-major n x r; asymmetric: "
                       "|U V^T - M|_F^2 / 2 + balance |U^T U - V^T V|_F^2 / 8 (balance=1 as Ge, Jin & Zheng), "
                       "x = U then V, row-major; M = P diag(condition..1) Q^T with P, Q Haar from the seed"),
    Family("matrix-sensing", "._benign:build_matrix_sensing",
           (Param("n", 6, kind="int", low=1, high=100, doc="size of the unknown n x n PSD matrix"),
            Param("r", 2, kind="int", low=1, high=100, doc="columns of U: the rank searched for"),
            Param("rank", 0, kind="int", low=0, high=100, doc="rank of the truth (0: r)"),
            Param("measurements", 0, kind="int", low=0, high=1_000_000,
                  doc="Gaussian measurements (0: 5x the truth's degrees of freedom n rank - rank(rank-1)/2); "
                      "few measurements: no RIP, spurious minima"),
            Param("condition", 2.0, low=1.0, doc="the truth's eigenvalues run evenly from this down to 1")),
           "low-rank recovery from random linear measurements: benign under RIP, not with too few",
           derive_dim=lambda p: p["n"] * p["r"], dim_rule="n r",
           references=("Bhojanapalli, Neyshabur & Srebro 2016", "Ge, Jin & Zheng 2017"),
           conventions="f(U) = sum_k (<A_k, U U^T> - y_k)^2 / (4 m), A_k = (G + G^T)/2 with G iid N(0, 1), so "
                       "the expectation over A is matrix-factorization's |U U^T - M*|^2 / 4"),
    Family("deep-linear", "._benign:build_deep_linear",
           (Param("depth", 3, kind="int", low=1, high=12, doc="layers L (L >= 3: the origin is a saddle of "
                  "higher order, with zero Hessian)"),
            Param("width", 2, kind="int", low=1, high=64, doc="hidden units per layer"),
            Param("inputs", 2, kind="int", low=1, high=64, doc="input dimension"),
            Param("outputs", 2, kind="int", low=1, high=64, doc="output dimension"),
            Param("condition", 2.0, low=1.0, doc="the teacher's singular values run evenly from this down to 1"),
            Param("init", 0.3, low=0.0, open_low=True, doc="standard deviation of the starting weights")),
           "a linear network learning a linear teacher: every local minimum global (Kawaguchi 2016)",
           derive_dim=lambda p: deep_linear_dim(p["depth"], p["inputs"], p["width"], p["outputs"]),
           dim_rule="inputs width + (depth - 2) width^2 + width outputs",
           references=("Baldi & Hornik 1989", "Kawaguchi 2016"),
           conventions="f = |W_L ... W_1 - T|_F^2 / 2: the population square loss / 2 with whitened inputs; "
                       "x = W_1, ..., W_L, each row-major (W_1 width x inputs)"),
    Family("phase-retrieval", "._benign:build_phase_retrieval",
           (Param("ratio", 8.0, low=0.0, open_low=True, doc="measurements per dimension, m = ratio dim"),
            Param("measurements", 0, kind="int", low=0, high=10_000_000, doc="m itself (0: ratio dim)")),
           "recover x from |a.x|^2: benign with enough Gaussian measurements, spurious minima with few",
           default_dim=10, references=("Sun, Qu & Wright 2018",),
           conventions="f(x) = mean_i ((a_i.x)^2 - y_i)^2 with a_i ~ N(0, I), y_i = (a_i.x*)^2, |x*| = 1 "
                       "(Sun, Qu & Wright write half of it)"),
    Family("tensor-pca", "._random:build_tensor_pca",
           (Param("p", 3, kind="int", low=2, high=4, doc="tensor order"),
            Param("snr", 5.0, low=0.0, doc="signal strength lambda")),
           "spiked p-spin on the sphere: recover the spike v; spurious minima dominate at weak signal",
           default_dim=30, min_dim=2, references=("Richard & Montanari 2014", "Ben Arous, Gheissari & Jagannath 2020"),
           conventions="H(x) = p-spin noise - snr N (v.x / N)^p on |x|^2 = N, |v|^2 = N, in the p-spin's units; "
                       "the overlap v.x / N is reported as the measure 'overlap'"),
    Family("teacher-student", "._benign:build_teacher_student",
           (Param("students", 6, kind="int", low=1, high=40, doc="hidden ReLU units of the student, k"),
            Param("teachers", 0, kind="int", low=0, high=40, doc="hidden units of the teacher (0: students)"),
            Param("inputs", 0, kind="int", low=0, high=64, doc="input dimension d (0: max(students, teachers))")),
           "a ReLU student learning a ReLU teacher: spurious local minima for k >= 6 (Safran & Shamir 2018)",
           derive_dim=lambda p: p["students"] * (p["inputs"] or max(p["students"], p["teachers"] or p["students"])),
           dim_rule="students inputs", references=("Safran & Shamir 2018",),
           conventions="f(W) = E_x (sum_i relu(w_i.x) - sum_j relu(v_j.x))^2 / 2, x ~ N(0, I_d), the expectation "
                       "in closed form; second layers fixed to 1; teacher rows v_j = e_j (orthonormal)"),
    Family("lennard-jones", "._physical:build_lennard_jones", (),
           "a Lennard-Jones cluster of dim/3 atoms", default_dim=18, min_dim=6, dim_multiple=3,
           references=("Wales & Doye 1997",)),
)
