"""The run engine: B walkers in D dimensions stepping in compiled chunks.

A ``Session`` holds a run's state and advances it chunk by chunk, so a UI can read snapshots
and change hyper-parameters between chunks; ``run`` drives a session to the end.
"""
from __future__ import annotations

import functools
import importlib
import signal
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from saddlescape import optimizers
from saddlescape.landscapes import ParamError
from saddlescape.landscapes._base import as_points, check_bytes, memory_limit
from saddlescape.landscapes._kernel import compiled

from ._auto import divergence_hint, resolve_auto, start_curvatures
from ._events import AT_MINIMUM, FREE, GATE, IN_SADDLE, LOOK_SPACING, WAIT, EventLog, MinimaRegistry, _register_events
from ._resolve import resolve_landscape, resolve_optimizer
from ._result import RunResult, versions
from ._trap import KernelError, kernel_errors

__all__ = ["Session", "drive", "run"]

DEFAULT_BOUND = 1e8
DEFAULT_SADDLE_RADIUS = 0.1  # of the landscape's feature scale
EVENTS_MAX_DIM = 500  # detection forms dense Hessians (only near critical points); above, it is off


def check_saddle_radius(value: Any) -> float:
    """The detection radius, relative to the landscape's feature scale: a number in (0, 1]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise ParamError(f"saddle_radius={value!r} is not allowed; use a number in (0, 1] "
                         "(a fraction of the landscape's feature scale)")
    return float(value)


def session_bytes(walkers: int, dim: int, n_state: int = 2, *, detect: bool = True) -> int:
    """Memory a Session of ``walkers`` x ``dim`` holds: positions, gradients, starts, optimizer
    state, the detector's located points, and a chunk's worth of temporaries."""
    arrays = 4 + n_state + (1 if detect and dim <= EVENTS_MAX_DIM else 0)
    return 8 * walkers * dim * arrays + 200 * walkers


def check_memory(walkers: int, dim: int, n_state: int = 2, *, runs: int = 1, what: str = "this run") -> None:
    """A one-line ParamError, before anything is allocated, when ``runs`` sessions of this size
    would not fit in ``landscapes._base.memory_limit()``."""
    check_bytes(runs * session_bytes(walkers, dim, n_state), f"walkers={walkers:,} x dim={dim:,} for {what}",
                "use fewer walkers")


INT_MAX = 2**62  # steps, record intervals: step counters are int64 in the kernels, with room to add
SEED_MAX = 2**63 - 1  # seeds are int64 in the kernels' counter-based random streams


def _check_scratch(opt: optimizers.Optimizer, dim: int) -> None:
    """A one-line refusal when one step of ``opt`` would allocate more than this machine allows
    (a Krylov basis of krylov x dim numbers: 15 GiB at krylov=2000, dim=10^6)."""
    krylov = f" (krylov={opt.hyper['krylov']})" if "krylov" in opt.hyper else ""
    check_bytes(opt.scratch_bytes(dim), f"a {opt.name} step at dim {dim:,}{krylov}",
                "use a smaller krylov" if krylov else "use a first-order optimizer")


def _positive_int(value: Any, what: str, low: int = 1, high: int = INT_MAX) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ParamError(f"{what}={value!r} is not allowed; use an integer >= {low}")
    if value > high:
        shown = f"{high:,}" + (" (2**62)" if high == INT_MAX else "")
        raise ParamError(f"{what}={value!r} is not allowed; use an integer <= {shown}")
    return int(value)


REPLAY_PIECE = 256  # light-path steps the detector looks at per compiled call
DEFERRED_MAX_BYTES = 256 << 20  # light-path steps kept for the detector, at most (per session)
_FORCE_LIGHT = {"on": False}  # (tests: the light path although the compiled loop is loaded)


def _loop_loaded() -> bool:
    import sys

    return "saddlescape._kernels" in sys.modules and not _FORCE_LIGHT["on"]


@functools.cache
def _entry(dispatcher):
    """The compiled entry point of a kernel compiled for one explicit signature (no per-call
    typing: ~20 us a call, ~1 ms for run_chunk's 33 arguments). Only for arguments the engine
    builds itself, whose types always match that signature."""
    if len(dispatcher.signatures) == 1 and not dispatcher._can_compile:
        return dispatcher.overloads[dispatcher.signatures[0]].entry_point
    return dispatcher


class _LazyRng:
    """A NumPy Generator seeded from (seed, step), built only if the plug-in uses it."""

    __slots__ = ("_rng", "_seed", "_t")

    def __init__(self, seed: int, t: int):
        self._seed, self._t = seed, t
        self._rng: np.random.Generator | None = None

    def __getattr__(self, name: str):
        if self._rng is None:
            self._rng = np.random.default_rng(np.random.SeedSequence([self._seed, self._t, 0xC0FFEE]))
        return getattr(self._rng, name)


RECORD_BUDGET = 8 << 20  # bytes of records a Session keeps with the default record_every (see Session)
RECORD_MIN_SPAN = 1024  # steps the default's first spacing fills the block over, at least (see Session)
# NumPy's switch for its huge-page advice (private; where absent, the advice is left as it is)
_set_madvise_hugepage: Callable[[bool], bool] | None = getattr(
    importlib.import_module("numpy._core.multiarray"), "_set_madvise_hugepage", None)


def record_block(shape: tuple[int, ...]) -> np.ndarray:
    """An uninitialised float64 array for a chunk's records, which are kept. The loops write every
    entry (NaN for a walker that has stopped) and nothing fills it first: a NaN fill touched each
    byte twice, and at 4096 walkers of dimension 2 recording every step cost 7.8 ns a walker-step
    against 5.4 without it. Allocated without NumPy's advice of transparent huge pages (which it
    gives from 4 MiB): where the kernel compacts memory to find them on a fault (THP defrag
    "madvise", a common default) a first touch cost 50 us per 32 KB here against 15 us with plain
    pages. From the C heap, not a fresh mapping: once a session's block is freed the allocator
    hands its pages, faulted in already, to the next (rastrigin (4096, 2), the first 1,008 steps
    recording into the default's 8 MiB: +4.6-6.6 ms over none from fresh mappings, 2,016 page
    faults; +3.1-3.7 ms and none from the heap)."""
    if _set_madvise_hugepage is None:
        return np.empty(shape)
    advised = _set_madvise_hugepage(False)  # (process-wide for this one allocation: only a hint)
    try:
        return np.empty(shape)
    finally:
        _set_madvise_hugepage(advised)


class Session:
    """A run in progress: positions, optimizer state, records; advanced by ``advance(n)``.

    Args:
        landscape, optimizer: objects or names (see ``run``).
        walkers: number of walkers B.
        seed: seeds the starts (when ``x0`` is None) and all optimizer noise.
        x0: optional (B, D) starting points.
        record_every: record the loss every this many steps. Default (None): every step, as long
            as the records fit in RECORD_BUDGET (8 MiB, one block reused in place: 16 walkers keep
            every step for 65,536 steps); past it every other recorded row is dropped and the
            spacing doubles, so a session that runs for hours keeps an evenly spaced history in
            bounded memory at a bounded cost a step. Past 1,024 walkers (the block then holds
            fewer than RECORD_MIN_SPAN rows) the first spacing is the power of two that fills it
            over at least 1,024 steps (4096 walkers: every 4th step): the rows kept are those
            every step would keep once thinned to that spacing (from step 512 at 4096 walkers),
            and the first steps' rows are not written to be dropped (rastrigin (4096, 2)'s first
            1,008 steps: records +1.4 -> +0.6 ms over none). A number given is kept exactly,
            whatever the records cost (fresh memory every chunk).
        record_positions: also record positions (memory: records x B x D).
        bound: a walker with a coordinate beyond this magnitude is stopped as diverged.
        detect: detect saddle passages and minima reached (``events``, ``minima``), up to dim 500.
        saddle_radius: the sensitivity of detection: a walker passes a saddle (or reaches a
            minimum) when it comes within ``saddle_radius * landscape.feature_scale`` of it (the
            landscape's typical distance between neighbouring critical points). A passage is
            counted as an escape when the walker leaves that ball with a loss below the saddle's.
        etol: relative eigenvalue tolerance for the index at a critical point.
        sharpness_every: every this many steps (0: never) record each walker's sharpness, the
            largest eigenvalue of the Hessian (of P^-1 H for Adam and RMSprop, P their diagonal
            preconditioner), with the optimizer's stability threshold (2/lr for gradient
            descent; see ``sharpness_now``). Costs 30 Hessian-vector products a walker a time.
    """

    def __init__(self, landscape: Any, optimizer: Any, *, walkers: int = 16, seed: int = 0,
                 x0: Any = None, record_every: int | None = None, record_positions: bool = False,
                 bound: float = DEFAULT_BOUND, detect: bool = True, saddle_radius: float = DEFAULT_SADDLE_RADIUS,
                 etol: float = 1e-6, sharpness_every: int = 0):
        self.landscape = resolve_landscape(landscape)
        self.sharpness_every = _positive_int(sharpness_every, "sharpness_every", 0)
        # (step, the live walkers' sharpness (NaN for the others), the optimizer's stability threshold)
        self.sharpness_log: list[tuple[int, np.ndarray, float | None]] = []
        self.optimizer = resolve_optimizer(optimizer)
        self.seed = _positive_int(seed, "seed", 0, SEED_MAX)
        self._thin = record_every is None  # (the default: records kept within RECORD_BUDGET)
        self.record_every = 1 if record_every is None else _positive_int(record_every, "record_every")
        self._arena: tuple[np.ndarray, np.ndarray] | None = None  # (the default's record block: see _record_blocks)
        if x0 is None:
            self.walkers = _positive_int(walkers, "walkers")
            check_memory(self.walkers, self.landscape.dim, max(self.optimizer.n_state, 1))
            x0 = self.landscape.sample(self.walkers, seed=self.seed)
        X, _ = as_points(np.atleast_2d(np.asarray(x0)), self.landscape.dim,
                         f"landscape {self.landscape.name!r}", "x0")
        X = X.copy()  # never step the caller's array
        self.walkers = X.shape[0]
        self.landscape.retract(X)
        self.x0 = X.copy()
        self.X = X
        self.detecting = bool(detect) and X.shape[1] <= EVENTS_MAX_DIM
        # the curvature at a few starts, measured once for both of its uses: lr="auto" (the
        # default of the gradient methods) becomes a number from it here, what was chosen goes
        # into the result; and the detector's first guess at the curvature near critical points
        tops = (start_curvatures(self.landscape, X) if self.detecting or self.optimizer.hyper.get("lr") == "auto"
                else np.empty(0))
        self.optimizer, self.auto = resolve_auto(self.optimizer, self.landscape, X, tops)
        _check_scratch(self.optimizer, X.shape[1])
        self.bound = float(bound)
        self.t = 0
        self.chunk_open = 0  # steps of a chunk under way (0 between chunks)
        self.failed = ""  # what a kernel raised, once one has (the run cannot go on)
        B, D = X.shape
        self.G = np.zeros((B, D))
        self.F = np.full(B, np.nan)
        self.active = np.ones(B, np.uint8)
        self.diverged_at = np.full(B, -1, np.int64)
        self.best = np.full(B, np.inf)
        self.radial = np.zeros(B)
        self.keys = np.zeros(B, np.int64)
        self.xok = np.zeros(B, np.uint8)  # the fused loops' "x checked in bounds when written" (see _fused)
        # While True and the compiled stepping loop is not loaded yet, a built-in optimizer steps from
        # Python (the landscape's and the step's own small kernels, called per step) instead of
        # waiting for it (~50 s on a cold cache), and the detector looks at those steps once it is
        # loaded: the numbers are the compiled loop's. `preload(background=True, sessions=...)` sets
        # it for the playground's scene, while another process compiles the loop.
        self.light_while_loading = False
        # steps taken on the light path while the compiled loop loads, for the detector to see later
        self._deferred_events: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self._deferred_bytes = 0
        self.record_positions = bool(record_positions)
        if self._thin:  # the first spacing: the block holds at least RECORD_MIN_SPAN steps' rows
            while self._record_cap() * self.record_every < RECORD_MIN_SPAN:
                self.record_every *= 2
        check_saddle_radius(saddle_radius)
        if not (isinstance(etol, (int, float)) and 0 < etol < 1):
            raise ParamError(f"etol={etol!r} is not allowed; use a number in (0, 1)")
        self.saddle_radius = float(saddle_radius)
        # the absolute radius of a saddle's (or minimum's) ball; 0 turns detection off
        self.near = self.saddle_radius * self.landscape.feature_scale if self.detecting else 0.0
        self.etol = float(etol)
        self.zero_modes = int(self.landscape.known.get("zero_modes", 0))
        self.gnorm = np.zeros(B)
        self.vstate = np.zeros(B + 1, np.int64)  # per-walker visit state, then the event count
        self.vinfo = np.zeros((B, 2), np.int64)  # step the visit began, index of its critical point
        self.vloss = np.zeros(B)  # loss at the walker's located critical point
        self.vpoint = np.zeros((B if self.detecting else 0, D))  # that point (or where a wait began)
        # per walker: how far a waiting walker moves, and |g| at the last look (a walker whose
        # gradient halves from there is looked at again)
        self.vrad = np.zeros((B, 2))
        self.events = EventLog(MinimaRegistry(self.landscape))
        self.recent: list[dict[str, Any]] = []
        self._loss_chunks: list[np.ndarray] = []
        self._pos_chunks: list[np.ndarray] = []
        self._first_class: tuple[Any, ...] | None = None  # the kernels as first-class functions, addresses looked up once
        self._fused_first_class: tuple[Any, ...] | None = None  # (the same for a fused loop)
        self._fused_for: tuple[Any, ...] = ()  # (landscape, optimizer, bound, enabled) -> its fused loop's entry
        self._ev, self._ev_x = np.zeros((0, 6)), np.zeros((0, 0))  # the compiled event buffer (see _advance)
        self._init_state()
        # a bound on |H| near critical points: only walkers with |g| <= GATE * curv * near can be
        # within `near` of one; it starts from the median curvature at the starts measured above
        # and grows with every Hessian the detector forms;
        good = tops[np.isfinite(tops) & (tops > 0)]
        # then the number of points located, and the fewest steps between two looks at a waiting walker
        spacing = LOOK_SPACING * D if self.landscape.costly_hessian else 0
        self.curv = np.array([(float(np.median(good)) if len(good) else 1.0) if self.detecting else 0.0, 0.0,
                              float(spacing)])

    # -- optimizer state ------------------------------------------------------------------
    def _init_state(self) -> None:
        opt = self.optimizer
        if opt.plugin is None:
            self.S = np.zeros((max(opt.n_state, 1), *self.X.shape))
        else:
            try:
                self.S = opt.plugin.init(self.X.copy())
            except (Exception, SystemExit) as exc:  # (exit() in a plug-in is a failure, not an exit)
                raise optimizers.PluginError(
                    f"optimizer plug-in {opt.name!r} failed in init(): {type(exc).__name__}: {exc}") from None

    def set_hyper(self, **changes: Any) -> None:
        """Change hyper-parameters between chunks (validated; the run goes on). ``lr="auto"``
        is resolved from the curvature where the live walkers are now (one already automatic
        stays as it is)."""
        changes = {k: v for k, v in changes.items() if not (v == "auto" and k in self.auto)}
        opt = self.optimizer.with_hyper(**changes)
        _check_scratch(opt, self.X.shape[1])
        if any(v == "auto" for v in opt.hyper.values()):
            live = self.active.astype(bool)
            opt, auto = resolve_auto(opt, self.landscape, self.X[live] if live.any() else self.x0)
            self.auto = {**self.auto, **auto}
        else:
            self.auto = {k: v for k, v in self.auto.items() if k not in changes}
        self.optimizer = opt

    def divergence_hint(self, *, ui: bool = False) -> str | None:
        """One line when more than a quarter of the walkers have diverged (how many, by which
        step, a stable step size there; ``ui``: said as the playground's keys), else None."""
        L = self.auto.get("lr", {}).get("curvature")
        return divergence_hint(self.optimizer, self.landscape, self.x0, self.diverged_at, L, ui=ui)

    @property
    def _batch(self) -> int:
        return self.optimizer.batch_size(self.landscape.n_samples)

    # -- stepping ---------------------------------------------------------------------------
    def _record_blocks(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The blocks a chunk of ``n`` steps records its losses and positions into. With a
        ``record_every`` given: fresh blocks, kept as they are. With the default: views into one block of
        RECORD_BUDGET bytes (allocated at the first chunk; rows are written in order, so its pages
        are faulted in once). Before a chunk that would not fit, the rows kept are halved in place
        (rows at even multiples of the spacing stay: an even spacing, twice as wide) until it does:
        from then on records are written into memory already mapped, not fresh pages (4.2-4.8 ns a
        walker-step of page faults at 4096 walkers, the bare step being ~7), and a halving copies
        half the block at doubling intervals."""
        B, D = self.X.shape
        if not self._thin:
            rows = self._record_rows(n)[1]
            return record_block((rows, B)), record_block((rows if self.record_positions else 0, B, D))
        if self._arena is None:
            cap = self._record_cap()
            self._arena = (record_block((cap, B)), record_block((cap if self.record_positions else 0, B, D)))
        loss, pos = self._arena
        kept, rows = self._record_rows(n)  # (the rows kept are the steps recorded before this one)
        while kept + rows > loss.shape[0]:
            half = (kept + 1) // 2
            lo = 1  # row i <- row 2i, in blocks [lo, 2 lo) that do not overlap their sources [2 lo, 4 lo):
            while lo < half:  # no temporary copy (NumPy makes one for an overlapping assignment)
                hi = min(2 * lo, half)
                loss[lo:hi] = loss[2 * lo:2 * hi:2]
                if self.record_positions:
                    pos[lo:hi] = pos[2 * lo:2 * hi:2]
                lo = hi
            self.record_every *= 2
            kept, rows = self._record_rows(n)  # (kept == half)
        return loss[kept:kept + rows], pos[kept:kept + rows] if self.record_positions else pos

    def _record_cap(self) -> int:
        """The rows the default's block holds."""
        B, D = self.X.shape
        return max(4, RECORD_BUDGET // (8 * B * (1 + (D if self.record_positions else 0))))

    def _record_rows(self, n: int) -> tuple[int, int]:
        re = self.record_every
        first = -(-self.t // re)
        last = (self.t + n - 1) // re
        return first, max(0, last - first + 1)

    def advance(self, n: int) -> int:
        """Take ``n`` steps (fewer only if every walker has diverged); returns steps taken.
        With ``sharpness_every`` the steps are taken in pieces ending on its multiples, where the
        sharpness is recorded."""
        every = self.sharpness_every
        if not every or int(n) <= 0:
            return self._advance(n)
        if not self.sharpness_log and self.t == 0:
            self._record_sharpness()
        done = 0
        while done < int(n):
            want = min(int(n) - done, every - self.t % every)
            got = self._advance(want)
            done += got
            if self.t % every == 0 and got:
                self._record_sharpness()
            if got < want:
                break
        return done

    def sharpness_now(self, walker: int) -> tuple[float, float | None, str]:
        """(sharpness, stability threshold, kind) of one walker now. Kind ``"hessian"``: the
        largest Hessian eigenvalue, threshold 2/lr (gradient descent; (2 + 2 beta)/lr with
        momentum); ``"preconditioned"``: the largest eigenvalue of P^-1 H with P = sqrt(v_hat) +
        eps, threshold (2 + 2 beta1) / ((1 - beta1) lr) for Adam (38/lr at beta1 = 0.9) and 2/lr for
        RMSprop (Cohen et al. 2021; 2022). Second-order methods and plug-ins: no threshold."""
        from saddlescape.optimizers._catalog import state_slots

        from ._geometry import sharpness

        opt, x = self.optimizer, self.X[walker]
        h = opt.hyper
        lr = float(h["lr"]) if isinstance(h.get("lr"), (int, float)) else 0.0
        name = opt.name if opt.plugin is None and lr > 0 else ""
        P = None
        threshold: float | None = None
        if name == "adam" and self.t > 0:
            (v_slot,) = state_slots("adam", "v")
            c2 = -1.0 / np.expm1(self.t * np.log(h["beta2"]))
            P = np.sqrt(self.S[v_slot, walker] * c2) + h["eps"]
            threshold = (2 + 2 * h["beta1"]) / ((1 - h["beta1"]) * lr)
        elif name == "rmsprop" and self.t > 0:
            (m_slot,) = state_slots("rmsprop", "mean_sq")
            P = np.sqrt(self.S[m_slot, walker]) + h["eps"]
            threshold = 2.0 / lr
        elif name in ("momentum", "nesterov"):
            threshold = (2 + 2 * h["beta"]) / lr
        elif name in ("gd", "sgd", "perturbed-gd", "langevin"):
            threshold = 2.0 / lr
        value = sharpness(self.landscape, x, precondition=P, seed=self.seed)
        return value, threshold, "preconditioned" if P is not None else "hessian"

    def _record_sharpness(self) -> None:
        if self.t == 0 and self.optimizer.plugin is None and self.optimizer.name in ("adam", "rmsprop"):
            return  # no preconditioner before the first step: nothing of the kind recorded later
        values = np.full(self.walkers, np.nan)
        threshold: float | None = None
        for b in np.flatnonzero(self.active):
            with np.errstate(all="ignore"):
                values[b], threshold, self.sharpness_kind = self.sharpness_now(int(b))
        self.sharpness_log.append((self.t, values, threshold))

    def _advance(self, n: int) -> int:
        n = int(n)
        if self.failed:
            raise KernelError(self.failed)
        if n <= 0 or not self.active.any():
            return 0
        rec_loss, rec_pos = self._record_blocks(n)  # (every entry written by the loop that runs)
        first, rows = self._record_rows(n)  # (after _record_blocks, which may widen the spacing)
        B, D = self.X.shape
        cap = 4 * B + 64
        if self._ev.shape[0] != cap or self._ev_x.shape != (cap if self.detecting else 0, D):
            self._ev = np.zeros((cap, 6))  # (kept between chunks: the kernels write from row 0, ingest reads
            self._ev_x = np.zeros((cap if self.detecting else 0, D))  # only the rows written)
        self.chunk_open = n  # (until the bookkeeping below is done: see drive)
        replayed: list[dict[str, Any]] = []
        light = self.optimizer.plugin is None and self.light_while_loading and not _loop_loaded()
        if self.detecting and not light:  # the registry's kernel loaded with the detector's, not on the
            compiled(_register_events)  # first minimum reached (its cold compile ~3 s, its load ~0.2 s)
        with kernel_errors() as trapped:
            if self.optimizer.plugin is None and not light:
                replayed = self._replay_deferred_events()
                self.vstate[B] = 0
                self._advance_compiled(n, first, rec_loss, rec_pos)
            else:
                self.vstate[B] = 0
                self._advance_plugin(n, first, rec_loss, rec_pos)
        n_ev = int(self.vstate[B])
        self.events.truncated |= n_ev > cap
        self.recent = replayed + self.events.ingest(self._ev, self._ev_x, min(n_ev, cap))
        self.t += n
        if trapped:  # (a kernel that raised: its records, some never written, are NaN)
            rec_loss.fill(np.nan)
            rec_pos.fill(np.nan)
        if self._arena is not None:  # (the rows kept, as views of the block)
            self._loss_chunks = [self._arena[0][:first + rows]]
            if self.record_positions:
                self._pos_chunks = [self._arena[1][:first + rows]]
        else:
            self._loss_chunks.append(rec_loss)
            if self.record_positions:
                self._pos_chunks.append(rec_pos)
        self.chunk_open = 0
        if trapped:  # the outputs of a kernel that raised are garbage: no walker moves on from them
            self.failed = (f"compiled code raised {trapped.describe()} between steps {self.t - n} and {self.t}; "
                           "the run stopped there")
            raise KernelError(self.failed)
        return n

    def _advance_compiled(self, n, first, rec_loss, rec_pos) -> None:
        from saddlescape.landscapes._kernel import HESSIAN_SIG, HVP_SIG, VALUE_AND_GRAD_SIG, FirstClass

        from . import _fused
        from ._detect import DETECT_WALKER_SIG, detect_walker_entry

        land, opt = self.landscape, self.optimizer
        hyper = opt.hyper_array(minibatches=self._batch > 0)
        on, known = _fused.enabled(), self._fused_for
        if not known or known[0] is not land or known[1] is not opt or known[2] != self.bound or known[3] != on:
            found = _fused.kernel_for(land, opt, self.bound)  # (once, not each chunk: ~5 us)
            known = self._fused_for = (land, opt, self.bound, on, None if found is None else _entry(found))
        fused = known[4]
        if fused is not None:  # this pair's own loop (the same numbers, several times faster on small problems)
            if self._fused_first_class is None:
                self._fused_first_class = (FirstClass(land.value_and_grad_kernel, VALUE_AND_GRAD_SIG),
                                           FirstClass(land.hessian_kernel, HESSIAN_SIG),
                                           FirstClass(compiled(detect_walker_entry), DETECT_WALKER_SIG))
            fused(*self._fused_first_class, self.X, self.G, self.F, self.S, hyper, land.data,
                          self.t, n, self.seed, self.active, self.bound, self.diverged_at, self.best,
                          self.record_every, first, rec_loss, rec_pos, self.near, self.etol, self.zero_modes,
                          self.curv, self.gnorm, self.vinfo, self.vloss, self.vpoint, self.vrad, self._ev, self._ev_x,
                          self.vstate, self.xok)
            return
        self.xok[:] = 0  # written by a loop that does not check: the next fused chunk checks first
        from ._kernels import run_chunk

        fns = self._first_class
        if fns is None or fns[1].dispatcher is not opt.compiled_step:  # the optimizer may be swapped
            from saddlescape.optimizers._protocol import STEP_SIG

            fns = self._first_class = (FirstClass(land.value_and_grad_kernel, VALUE_AND_GRAD_SIG),
                                       FirstClass(opt.compiled_step, STEP_SIG),
                                       FirstClass(land.hessian_kernel, HESSIAN_SIG),
                                       FirstClass(land.hvp_kernel, HVP_SIG))
        _entry(run_chunk)(*fns, self.X, self.G, self.F, self.S, hyper, land.data, self.keys,
                          self._batch, self.t, n, self.seed, self.active,
                          float(land.radius if land.manifold == "sphere" else 0.0), self.radial, self.bound,
                          self.diverged_at, self.best, self.record_every, first, rec_loss, rec_pos,
                          self.near, self.etol, self.zero_modes, self.curv, self.gnorm, self.vinfo, self.vloss,
                          self.vpoint, self.vrad, self._ev, self._ev_x, self.vstate)

    def _advance_plugin(self, n, first, rec_loss, rec_pos) -> None:
        from saddlescape.landscapes._kernel import HESSIAN_SIG, HVP_SIG, FirstClass, counter_key

        from ._detect import detect_events_entry, retract, screen_walkers

        land, opt = self.landscape, self.optimizer
        radius = float(land.radius if land.manifold == "sphere" else 0.0)
        batch = self._batch
        self.xok[:] = 0
        vg_kernel = _entry(land.value_and_grad_kernel)  # per-step calls from Python: skip re-typing
        screen = _entry(compiled(screen_walkers))
        hyper = opt.step_hyper(minibatches=batch > 0)
        light = opt.plugin is None  # a built-in stepping from Python while the compiled loop loads
        if light:
            step_kernel = _entry(opt.compiled_step)
            hyper_arr = opt.hyper_array(minibatches=batch > 0)
            curvature = (FirstClass(land.hessian_kernel, HESSIAN_SIG), FirstClass(land.hvp_kernel, HVP_SIG))
        for s in range(n):
            t = self.t + s
            if batch:
                self.keys[:] = [np.int64(np.uint64(counter_key(self.seed, b, t)).astype(np.int64))
                                for b in range(self.walkers)]
            try:
                vg_kernel(self.X, self.G, self.F, land.data, self.keys, batch)
            except Exception as exc:  # (called from Python here, so it raises: said as in a compiled chunk)
                self.failed = (f"the landscape's compiled code raised {type(exc).__name__}: {exc} at step {t}; "
                               "the run stopped there")
                self.t, self.chunk_open = t, 0  # the walkers are at step t: say so
                raise KernelError(self.failed) from None
            screen(self.X, self.G, self.F, self.active, radius, self.radial, self.bound,
                   self.diverged_at, self.best, t, self.gnorm)
            if light and self.near > 0:  # the detector is not loaded yet: kept, looked at once it is
                if self._deferred_bytes < DEFERRED_MAX_BYTES:
                    kept = (t, self.X.copy(), self.F.copy(), self.gnorm.copy(), self.active.copy())
                    self._deferred_events.append(kept)
                    self._deferred_bytes += sum(a.nbytes for a in kept[1:])
                else:  # (a huge scene on a cold cache: the events of later light steps are not counted)
                    self.events.truncated = True
            elif self.near > 0 and self._events_due(t):
                B = self.walkers
                detect_events_entry(self.X, self.F, self.gnorm, self.active, t, land.value_and_grad_kernel,
                                    land.hessian_kernel, land.data, radius, self.near, self.etol, self.zero_modes,
                                    self.curv, self.vstate[:B], self.vinfo, self.vloss, self.vpoint, self.vrad,
                                    self._ev, self._ev_x, self.vstate[B:])
            if t % self.record_every == 0:
                row = t // self.record_every - first
                rec_loss[row] = np.where(self.active.astype(bool), self.F, np.nan)
                if rec_pos.shape[0]:
                    rec_pos[row] = self.X
            if light:
                step_kernel(self.X, self.G, self.F, self.S, hyper_arr, t, self.seed, self.active, radius, self.radial,
                            *curvature, land.data)
                if radius > 0:
                    retract(self.X, self.active, radius)
                continue
            try:
                all_live = bool(self.active.all())  # stopped walkers must not be touched
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a walker that overflows
                    new_x, self.S = opt.plugin.step(self.X if all_live else self.X.copy(), self.G, self.F,  # is marked
                                                    self.S, t=t, hyper=hyper, rng=_LazyRng(self.seed, t))
                new_x = np.asarray(new_x, dtype=np.float64)
            except (Exception, SystemExit) as exc:  # (exit() in a plug-in is a failure, not an exit)
                raise optimizers.PluginError(
                    f"optimizer plug-in {opt.name!r} failed in step(): {type(exc).__name__}: {exc}") from None
            if new_x.shape != self.X.shape:
                raise optimizers.PluginError(
                    f"optimizer plug-in {opt.name!r} step() returned x of shape {new_x.shape}; "
                    f"expected {self.X.shape}")
            if all_live:
                if new_x is not self.X:
                    self.X[...] = new_x
            else:
                live = self.active.astype(bool)
                self.X[live] = new_x[live]
            if radius > 0:
                retract(self.X, self.active, radius)

    def _replay_deferred_events(self) -> list[dict[str, Any]]:
        """Run the detector over the steps taken on the light path (positions, losses, |g| and live
        walkers kept per step), in order, in compiled pieces of REPLAY_PIECE steps: the events are
        those the compiled loop would have seen."""
        if not self._deferred_events:
            return []

        from ._detect import replay_events

        land, B = self.landscape, self.walkers
        radius = float(land.radius if land.manifold == "sphere" else 0.0)
        replay = compiled(replay_events)
        cap = 4 * B + 64
        out: list[dict[str, Any]] = []
        kept = self._deferred_events
        for i in range(0, len(kept), REPLAY_PIECE):
            piece = kept[i:i + REPLAY_PIECE]
            ts = np.array([p[0] for p in piece], np.int64)
            Xs, Fs, gns, acts = (np.ascontiguousarray(np.stack([p[j] for p in piece])) for j in (1, 2, 3, 4))
            ev, ev_x = np.zeros((cap, 6)), np.zeros((cap, Xs.shape[2]))
            self.vstate[B] = 0
            replay(ts, Xs, Fs, gns, acts, land.value_and_grad_kernel, land.hessian_kernel, land.data, radius, self.near,
                   self.etol, self.zero_modes, self.curv, self.vstate[:B], self.vinfo, self.vloss, self.vpoint, self.vrad,
                   ev, ev_x, self.vstate[B:])
            n_ev = int(self.vstate[B])
            self.events.truncated |= n_ev > cap
            out += self.events.ingest(ev, ev_x, min(n_ev, cap))
        self._deferred_events.clear()
        self._deferred_bytes = 0
        return out

    def _events_due(self, t: int) -> bool:
        """Whether the event kernel has anything to look at this step (a cheap NumPy gate: each
        call from Python with a function argument costs ~0.1 ms): a walker inside or near a
        ball, waiting, or with a gradient small enough to be near a critical point."""
        B = self.walkers
        state, live = self.vstate[:B], self.active.astype(bool)
        gate = GATE * float(self.curv[0]) * self.near
        too_soon = (state == WAIT) & (t - self.vinfo[:, 0] < self.curv[2])  # (see LOOK_SPACING)
        return bool(np.any(live & (((state != FREE) & ~too_soon) | (self.gnorm <= gate))))

    # -- what a live view reads ---------------------------------------------------------------
    def in_saddle(self) -> np.ndarray:
        """(walkers,) bool: walkers in an open saddle visit now."""
        return self.vstate[: self.walkers] == IN_SADDLE

    def at_minimum(self) -> np.ndarray:
        """(walkers,) bool: walkers inside the ball of a located minimum now."""
        return self.vstate[: self.walkers] == AT_MINIMUM

    def minima_positions(self) -> list[np.ndarray]:
        """Positions of the distinct minima found so far, in the order found."""
        return list(self.events.minima.positions)

    def counters(self) -> dict[str, Any]:
        """The run's live counts: distinct minima, saddle escapes, mean steps spent at a saddle,
        walkers at a saddle now, diverged walkers and the best loss seen (None before any)."""
        best = float(np.min(self.best)) if np.isfinite(self.best).any() else None
        return {"minima": len(self.events.minima), "escapes": len(self.events.escapes),
                "mean_dwell": self.events.mean_dwell(), "in_saddle": int(self.in_saddle().sum()),
                "diverged": int((self.active == 0).sum()), "best": best}

    # -- results ----------------------------------------------------------------------------
    def final_losses(self) -> np.ndarray:
        """Loss at the current positions (NaN for diverged walkers)."""
        F = np.full(self.walkers, np.nan)
        live = self.active.astype(bool)
        if live.any():
            try:
                F[live] = self.landscape.value_and_grad(np.ascontiguousarray(self.X[live]))[0]
            except Exception:
                if not self.failed:  # (after a kernel failure the loss there is unknown: NaN)
                    raise
        return F

    def loss_history(self) -> tuple[np.ndarray, np.ndarray]:
        """(record_steps, loss (records, walkers)) so far."""
        loss = np.concatenate(self._loss_chunks) if self._loss_chunks else np.empty((0, self.walkers))
        steps = np.arange(loss.shape[0]) * self.record_every
        return steps, loss

    def result(self, *, steps_requested: int, elapsed_s: float, complete: bool) -> RunResult:
        self._replay_deferred_events()  # (a result taken on the light path: its events, whatever it costs now)
        final = self.final_losses()
        best = np.minimum(self.best, np.where(np.isfinite(final), final, np.inf))
        steps, loss = self.loss_history()
        positions = np.concatenate(self._pos_chunks) if self._pos_chunks else None
        hint = self.divergence_hint()
        return RunResult(
            landscape=self.landscape.describe(),
            optimizer={**self.optimizer.describe(), **({"auto": self.auto} if self.auto else {})}, seed=self.seed,
            # every walker stopped: the steps taken are the last divergence's, not the chunk's end
            walkers=self.walkers, steps=self.t if self.active.any() else min(self.t, int(self.diverged_at.max())),
            steps_requested=steps_requested,
            record_every=self.record_every, final_loss=final,
            best_loss_per_walker=np.where(np.isfinite(best), best, np.nan),
            diverged=self.active == 0, diverged_at_step=self.diverged_at.copy(), complete=complete,
            elapsed_s=elapsed_s, record_steps=steps, loss=loss, x0=self.x0, final_x=self.X.copy(),
            positions=positions, versions=versions(),
            saddle_escapes=list(self.events.escapes),
            saddle_visits_open=[{"walker": int(b), "step_in": int(self.vinfo[b, 0]),
                                 "index": int(self.vinfo[b, 1]), "loss": float(self.vloss[b])}
                                for b in np.flatnonzero(self.in_saddle())],
            minima=self.events.minima.summary(),
            discovery_curve=self.events.minima.discovery_curve(),
            events_truncated=self.events.truncated, warnings=[hint] if hint else [],
            sharpness=self._sharpness_record(), final_measures=self.final_measures())

    def final_measures(self) -> dict[str, np.ndarray]:
        """The landscape's own measures (``Landscape.measures``) at the current positions, NaN
        for diverged walkers."""
        live = self.active.astype(bool)
        out = {name: np.full(self.walkers, np.nan) for name in self.landscape.measures}
        if out and live.any():
            for name, values in self.landscape.measure(np.ascontiguousarray(self.X[live])).items():
                out[name][live] = values
        return out

    def _sharpness_record(self) -> dict[str, Any] | None:
        if not self.sharpness_log:
            return None
        return {"kind": getattr(self, "sharpness_kind", "hessian"), "every": self.sharpness_every,
                "steps": [t for t, _, _ in self.sharpness_log],
                "values": np.stack([v for _, v, _ in self.sharpness_log]),
                "threshold": [th for _, _, th in self.sharpness_log]}


def run(landscape: Any, optimizer: Any, *, walkers: int = 16, steps: int = 1000, seed: int = 0,
        x0: Any = None, record_every: int | None = None, record_positions: bool = False,
        bound: float = DEFAULT_BOUND, chunk: int | None = None,
        callback: Callable[[Session], bool | None] | None = None, detect: bool = True,
        saddle_radius: float = DEFAULT_SADDLE_RADIUS, etol: float = 1e-6, sharpness_every: int = 0) -> RunResult:
    """Run ``walkers`` walkers for ``steps`` steps of ``optimizer`` on ``landscape``.

    Args:
        landscape: a Landscape, or a name / ``module:attr`` / ``file.py:attr``.
        optimizer: an Optimizer, or a name / plug-in spec / plug-in object.
        walkers, steps, seed: the batch size, the number of steps, the seed of starts and noise.
        x0: optional (walkers, dim) starting points (default: ``landscape.sample``).
        record_every: loss (and positions) recorded every this many steps (default: so that
            about 1000 records are kept).
        callback: called with the Session between chunks; return True to stop early.
        detect, saddle_radius, etol: saddle-passage and minimum detection (see ``Session``).
        sharpness_every: record each walker's sharpness every this many steps (see ``Session``).

    Returns a RunResult; Ctrl-C stops the run and returns what was computed (complete=False).

    Example:
        >>> import saddlescape
        >>> r = saddlescape.run("himmelblau", "adam", walkers=8, steps=2000, seed=1)
        >>> r.best_loss < 1e-6
        True

    ``python -m saddlescape run --landscape himmelblau --optimizer adam --walkers 8 --steps 2000``
    """
    steps = _positive_int(steps, "steps", 0)
    every = record_every if record_every is not None else max(1, steps // 1000)
    if record_positions:  # checked before the session samples its starts
        land = resolve_landscape(landscape)
        n = walkers if x0 is None else int(np.shape(x0)[0]) if np.ndim(x0) == 2 else 1
        records = steps // every + 1
        check_bytes(8.0 * records * n * land.dim, f"recording {records:,} positions of {n:,} walkers in dim {land.dim:,}",
                    f"record fewer (record_every={max(every, int(8.0 * steps * n * land.dim // memory_limit()) + 1):,} "
                    "fits)")
        landscape = land
    session = Session(landscape, optimizer, walkers=walkers, seed=seed, x0=x0, record_every=every,
                      record_positions=record_positions, bound=bound, detect=detect, saddle_radius=saddle_radius,
                      etol=etol, sharpness_every=sharpness_every)
    return drive(session, steps, chunk=chunk, callback=callback)


def drive(session: Session, steps: int, *, chunk: int | None = None,
          callback: Callable[[Session], bool | None] | None = None) -> RunResult:
    """Advance ``session`` by ``steps`` in chunks sized to ~50 ms; stop on Ctrl-C, SIGTERM or
    the callback. A signal is taken between chunks, so the result's positions, losses and
    ``steps`` all belong to the same step (``stopped_by`` names the signal)."""
    from ._signals import stop_requests

    start = time.perf_counter()
    complete = True
    size = chunk or 16
    target = session.t + steps
    with stop_requests() as stop:
        try:
            while session.t < target and session.active.any() and not stop:
                t0 = time.perf_counter()
                session.advance(min(size, target - session.t))
                took = time.perf_counter() - t0
                if chunk is None:
                    size = int(min(max(1, size * (0.05 / max(took, 1e-6))), 4 * size, 1_000_000))
                if callback is not None and callback(session):
                    complete = session.t >= target
                    break
        except KeyboardInterrupt:  # a second Ctrl-C (or one outside the main thread): now, mid-chunk
            complete = False
            stop.signum = stop.signum or signal.SIGINT
        except KernelError:
            complete = False
    result = session.result(steps_requested=steps, elapsed_s=time.perf_counter() - start,
                            complete=complete and not stop and (session.t >= target or not session.active.any()))
    if stop:
        result.stopped_by = stop.name
    elif session.failed:
        result.stopped_by = "error"
        result.warnings.insert(0, session.failed)
    if session.chunk_open:
        result.warnings.append(f"stopped inside a chunk: the final positions may be up to {session.chunk_open} "
                               f"steps past step {session.t}")
        session.chunk_open = 0
    return result
