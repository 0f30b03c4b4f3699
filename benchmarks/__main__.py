"""saddlescape benchmarks: ``python -m benchmarks [--quick | --smoke] [--out FILE]``.

Measures, in one process, steps per second of value + gradient + Adam (float64) for the
project's engine against plain NumPy and JAX (jit + vmap + grad on the CPU), interleaved and
repeated, reporting medians and paired ratios; plus a triad bandwidth figure and the
targets of the landscape and engine issues. Every baseline is first checked against the
project's kernels for equal numbers. ``--smoke`` runs every path once at tiny sizes (CI).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from typing import Any

import numpy as np


def _triad_gbps(n: int, rounds: int) -> float:
    from numba import njit

    @njit(nogil=True, fastmath={"nsz", "arcp", "contract", "afn", "reassoc"}, error_model="numpy")
    def triad(a, b, c, s):
        for i in range(a.shape[0]):
            a[i] = b[i] + s * c[i]

    a, b, c = np.zeros(n), np.random.rand(n), np.random.rand(n)
    triad(a, b, c, 1.5)
    best = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        triad(a, b, c, 1.5)
        best.append(time.perf_counter() - t0)
    return 24 * n / sorted(best)[len(best) // 2] / 1e9


def _engine_adam(name, X: np.ndarray, steps_per_call: int, detect: bool = False, default: bool = False):
    """Adam in the engine: bare (no detection, no records) or, with ``default``, as a user runs
    it (``Session``'s defaults: events detected up to dim 500, the loss recorded)."""
    import saddlescape
    from saddlescape import landscapes, optimizers

    f = landscapes.make(name, dim=X.shape[1]) if isinstance(name, str) else name
    opt = optimizers.make("adam", lr=1e-3)
    s = (saddlescape.Session(f, opt, x0=X) if default
         else saddlescape.Session(f, opt, x0=X, record_every=10**9, detect=detect))

    def step() -> int:
        s.advance(steps_per_call)
        return steps_per_call

    return step, s


def _numpy_plugin_adam(name: str, X: np.ndarray, steps_per_call: int):
    """The same Adam written as a plain-NumPy plug-in, run through the engine."""
    import saddlescape
    from saddlescape import landscapes

    from ._baselines import B1, B2, EPS, LR

    class NumpyAdam:
        hyper = {"lr": LR}

        def init(self, x):
            return (np.zeros_like(x), np.zeros_like(x))

        def step(self, x, g, f, state, *, t, hyper, rng):
            m, v = state
            m = B1 * m + (1 - B1) * g
            v = B2 * v + (1 - B2) * g * g
            return x - hyper["lr"] * (m / (1 - B1 ** (t + 1))) / (np.sqrt(v / (1 - B2 ** (t + 1))) + EPS), (m, v)

    s = saddlescape.Session(landscapes.make(name, dim=X.shape[1]), NumpyAdam(), x0=X, record_every=10**9,
                            detect=False)

    def step() -> int:
        s.advance(steps_per_call)
        return steps_per_call

    return step, s


def _check_equal(what: str, target, X: np.ndarray, numpy_fn, jax_fn=None) -> float:
    """Max relative deviation of one Adam step, engine vs NumPy (and JAX); ``target`` is the
    engine's landscape (name or object), ``numpy_fn(X)`` / ``jax_fn(X)`` build the baselines."""
    ours, s = _engine_adam(target, X, 1)
    ours()
    np_step, st = numpy_fn(X)
    np_step()
    dev = float(np.max(np.abs(s.X - st["x"]) / (1 + np.abs(st["x"]))))
    if jax_fn is not None:
        jx, js = jax_fn(X)
        jx()
        dev = max(dev, float(np.max(np.abs(s.X - np.asarray(js["c"][0])) / (1 + np.abs(st["x"])))),
                  float(np.max(np.abs(s.best - np.asarray(js["c"][4])) / (1 + np.abs(s.best)))))  # (its loss too)
    if dev > 1e-10:
        raise SystemExit(f"benchmark baseline disagrees with the engine on {what}: {dev:.2e}")
    return dev


def _vg_case(B: int, D: int, rounds: int, block: float) -> dict:
    from saddlescape import landscapes

    from ._baselines import numpy_vg
    from ._timing import interleaved, summarise

    f = landscapes.make("styblinski-tang", dim=D)
    X = f.sample(B, seed=0)
    G, F, keys = np.empty_like(X), np.empty(B), np.zeros(B, np.int64)
    kern, data = f.value_and_grad_kernel, f.data
    npvg = numpy_vg("styblinski-tang")
    assert np.allclose(npvg(X)[1], f.grad(X)) and np.allclose(npvg(X)[0], f.value(X))
    per = interleaved({"saddlescape": lambda: (kern(X, G, F, data, keys, 0), 1)[1],
                       "numpy": lambda: (npvg(X), 1)[1]}, rounds=rounds, block_s=block)
    return summarise(per, "saddlescape")


def suite(args) -> dict:
    """Every timed case in this process (its thread count fixed by the environment)."""
    rounds, block = (1, 0.001) if args.smoke else ((3, 0.03) if args.quick else (7, 0.04))
    with_jax = not args.no_jax
    if with_jax:
        try:
            import jax  # noqa: F401
        except ImportError:
            print("JAX not installed (pip install -e '.[bench]'); JAX baselines skipped", file=sys.stderr)
            with_jax = False
    from ._baselines import jax_adam, numpy_adam
    from ._timing import interleaved, summarise

    report: dict = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                "threads": {k: os.environ.get(k) for k in ("NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS")},
                                "cpus_allowed": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None},
                    "cases": {}, "targets": []}
    n_triad = 200_000 if args.smoke else 8_000_000
    triad = _triad_gbps(n_triad, 3 if args.smoke else 15)
    report["triad_GBps"] = triad
    cpus = report["machine"]["cpus_allowed"]
    print(f"triad bandwidth: {triad:.1f} GB/s ({n_triad:,} doubles); on CPUs {cpus}")

    # value+gradient only (the landscape issue's targets)
    big = 10_000 if args.smoke else 1_000_000
    vg_big = _vg_case(1, big, rounds, block)
    vg_batch = _vg_case(64 if args.smoke else 4096, 2, rounds, block)
    gbps = 16 * big * vg_big["steps_per_s"]["saddlescape"] / 1e9  # read x, write g
    report["cases"][f"vg styblinski-tang B=1 D={big}"] = {**vg_big, "GBps": gbps}
    report["cases"]["vg styblinski-tang B=4096 D=2"] = vg_batch
    report["targets"] += [
        {"target": "ST value+grad at D=1e6 >= 50% of triad bandwidth", "reached": gbps / triad,
         "goal": 0.5, "ok": gbps / triad >= 0.5},
        {"target": "ST batched value+grad (4096, 2) >= 10x NumPy",
         "reached": vg_batch["ratio"]["saddlescape/numpy"], "goal": 10.0,
         "ok": vg_batch["ratio"]["saddlescape/numpy"] >= 10}]

    # full Adam steps
    sizes = [(1, 2), (4096, 2), (256, 100), (64, 10_000), (1, 1_000_000)]
    if args.smoke:
        sizes = [(1, 2), (16, 2), (4, 100)]
    for name in ("rastrigin", "styblinski-tang", "ackley"):
        big_sizes = [(1, 10_000_000)] if not args.smoke and name != "ackley" else []  # the bandwidth targets
        for B, D in (sizes if name != "ackley" else [s for s in sizes if s[1] >= 100]) + big_sizes:
            X = np.random.default_rng(0).uniform(-4, 4, (B, D))
            per_call = max(1, min(100_000, 200_000 // (B * D)))  # many steps per call at small sizes
            _adam_case(report, f"adam {name} B={B} D={D}", name, X, per_call,
                       lambda X, name=name: numpy_adam(name, X),
                       (lambda X, loop=0, name=name: jax_adam(name, X, loop=loop)) if with_jax else None,
                       rounds, block, {"landscape": name, "B": B, "D": D}, check_jax=B * D <= 10**6)

    # p-spin (p=3, on the sphere) and mlp (one tanh layer, teacher task): BLAS-shaped work
    from saddlescape import landscapes

    from ._baselines import jax_land_adam, numpy_land_adam

    shaped = [("p-spin", {"dim": n}, f"N={n}") for n in ((8, 16) if args.smoke else (50, 100, 200))]
    shaped += [("mlp", {"width": w}, f"width={w}") for w in ((4, 8) if args.smoke else (8, 64, 512))]
    for name, params, label in shaped:
        land = landscapes.make(name, seed=0, **params)
        for B in (1, 16):
            X = land.sample(B, seed=1)
            per_call = max(1, min(200, 20_000_000 // (B * land.dim ** (2 if name == "p-spin" else 1) * 64)))
            _adam_case(report, f"adam {name} {label} B={B}", land, X, per_call,
                       lambda X, land=land: numpy_land_adam(land, X),
                       (lambda X, loop=0, land=land: jax_land_adam(land, X, loop=loop)) if with_jax else None,
                       rounds, block, {"landscape": name, "B": B, "D": land.dim})

    # a plain-NumPy plug-in against the compiled built-in, 64 walkers
    X = np.random.default_rng(1).uniform(-4, 4, (64, 4 if args.smoke else 100))
    per = interleaved({"builtin": _engine_adam("rastrigin", X, 100, detect=False)[0],
                       "plugin": _numpy_plugin_adam("rastrigin", X, 100)[0]}, rounds=rounds, block_s=block)
    res = summarise(per, "builtin")
    report["cases"][f"adam rastrigin B=64 D={X.shape[1]} builtin vs NumPy plug-in"] = res
    slow = res["ratio"]["builtin/plugin"]
    report["targets"].append({"target": "NumPy plug-in at 64 walkers within 2x of the built-in",
                              "reached": slow, "goal": 2.0, "ok": slow <= 2.0})

    # event detection must stay cheap: whole 10,000-step runs at (64 walkers, D=100), on and off
    import saddlescape

    X = np.random.default_rng(2).uniform(-4, 4, (64, 8 if args.smoke else 100))
    steps = 500 if args.smoke else 10_000
    from saddlescape import landscapes

    lands = landscapes.make("rastrigin", dim=X.shape[1])

    def whole_run(detect):
        return lambda: (saddlescape.run(lands, "adam", x0=X, steps=steps, detect=detect), steps)[1]

    per = interleaved({"detect": whole_run(True), "plain": whole_run(False)}, rounds=rounds, block_s=block)
    res = summarise(per, "detect")
    report["cases"][f"adam rastrigin B=64 D={X.shape[1]} {steps}-step runs, events on vs off"] = res
    slowdown = 1.0 / res["ratio"]["detect/plain"] - 1.0
    report["targets"].append({"target": "event detection slows a run by <= 25% at (64, 100)",
                              "reached": slowdown, "goal": 0.25, "ok": slowdown <= 0.25})

    # the census: every critical point of styblinski-tang at D=8 (D=4 in smoke mode)
    D = 4 if args.smoke else 8
    t0 = time.perf_counter()
    c = saddlescape.census(landscapes.make("styblinski-tang", dim=D), starts=150_000 if D == 8 else 4000, seed=0)
    took = time.perf_counter() - t0
    report["cases"][f"census styblinski-tang D={D}"] = {"seconds": took, "found": len(c.critical_points),
                                                         "exact": 3 ** D}
    print(f"census styblinski-tang D={D}: {len(c.critical_points)} of {3 ** D} points in {took:.1f} s")
    report["targets"].append({"target": f"census finds all 3^{D} styblinski-tang points in < 60 s",
                              "reached": took, "goal": 60.0,
                              "ok": took < 60 and len(c.critical_points) == 3 ** D})

    return report


def _adam_case(report: dict, key: str, target, X: np.ndarray, per_call: int, numpy_fn, jax_fn, rounds: int,
               block: float, meta: dict, check_jax: bool = True) -> None:
    """One timed case: baselines checked equal to the engine, then the engine, NumPy and JAX
    (per step and a fori_loop of ``per_call`` steps) interleaved."""
    from ._timing import interleaved, summarise

    dev = _check_equal(key, target, X, numpy_fn, jax_fn if check_jax else None)
    _engine_adam(target, X, 1, default=True)[0]()  # (loads the detector's kernels: not a cost of arriving)
    # arrival from fresh sessions, up to ARRIVAL_REPEATS times, the median: timed once, rastrigin (4096, 2)
    # read +674% in one run (+83-107% in others); at (1, 2) one call of 100,000 steps reads +20-92%
    runs: list[dict] = []
    spent = 0.0
    while len(runs) < ARRIVAL_REPEATS and spent < ARRIVAL_BUDGET_S:
        bare = _engine_adam(target, X, per_call)[0]
        default, session = _engine_adam(target, X, per_call, default=True)
        t0 = time.perf_counter()
        runs.append(_arrival(bare, default, per_call, session))
        spent += time.perf_counter() - t0
    arrival = sorted(runs, key=lambda a: a["default_overhead_arrival"])[len(runs) // 2]
    arrival["arrival_runs"] = [a["default_overhead_arrival"] for a in runs]
    variants = {"saddlescape": bare, "numpy": numpy_fn(X)[0], "default": default}
    if jax_fn is not None:
        variants["jax"] = jax_fn(X)[0]
        variants["jax_loop"] = jax_fn(X, loop=per_call)[0]
    res = summarise(interleaved(variants, rounds=rounds, block_s=block), "saddlescape")
    # the default's cost over the bare engine, from its own pairs: at D >= 10^6 a block holds a few
    # steps, and the median of the suite's three rounds swung +-60% where both run the same arithmetic
    pairs = interleaved({"saddlescape": bare, "default": default}, rounds=max(rounds, OVERHEAD_ROUNDS), block_s=block)
    res["ratio"]["saddlescape/default"] = summarise(pairs, "saddlescape")["ratio"]["saddlescape/default"]
    res["steps_per_call"] = per_call
    res["max_rel_dev_first_step"] = dev
    res.update(arrival)
    _record(report, key, res, meta)


OVERHEAD_ROUNDS = 15  # alternating bare/default rounds the default's cost is the median of

ARRIVAL_STEPS = 1000  # at least the first steps of a run are timed apart: walkers arriving at critical points,
SETTLED = 0.99  # and on until this share of the live walkers sits at a minimum,
ARRIVAL_MAX_STEPS = 10_000  # or for at most this many steps
ARRIVAL_MAX_S = 1.0  # or this long a variant (a few steps at D=10^7)
ARRIVAL_REPEATS = 7  # fresh sessions timed arriving, while the timing so far is under ARRIVAL_BUDGET_S
ARRIVAL_BUDGET_S = 1.5


def _arrival(bare, default, per_call: int, session) -> dict:
    """The first steps of a fresh bare and a fresh default session, call by call in turn, until
    the default ``session``'s walkers have settled at minima (or the limits above): while they
    arrive at critical points the detector looks at many of them (at (4096, 2) up to 170 looks a
    step at first, none once they sit at minima), a one-off cost that a steady-state ratio would
    hide, or would include at a share set by how long the suite times each case. The interleaved
    timing that follows starts where this ends, so it measures a running session whose walkers
    sit where they arrived (styblinski-tang's 4096 walkers under Adam at lr 1e-3 take ~2,500
    steps: a fixed 1,000 timed a session still arriving as "running"); the report keeps both."""
    times = {"bare": 0.0, "default": 0.0}
    steps = 0

    def settled() -> bool:
        live = session.active[: session.walkers].astype(bool)
        return bool(not live.any() or session.at_minimum()[live].mean() >= SETTLED)

    while (steps < ARRIVAL_MAX_STEPS and max(times.values()) < ARRIVAL_MAX_S
           and (steps < ARRIVAL_STEPS or not settled())):
        for name, fn in (("bare", bare), ("default", default)):
            t0 = time.perf_counter()
            fn()
            times[name] += time.perf_counter() - t0
        steps += per_call
    return {"arrival_steps": steps, "arrival_settled": settled(),
            "default_overhead_arrival": times["default"] / times["bare"] - 1.0}


def _record(report: dict, key: str, res: dict, meta: dict) -> None:
    """Keep a timed Adam case; JAX's figure is the faster of its per-step and fori_loop forms."""
    ratio = res["ratio"]
    if "saddlescape/jax" in ratio:
        ratio["saddlescape/best_jax"] = min(ratio["saddlescape/jax"], ratio["saddlescape/jax_loop"])
    if "saddlescape/default" in ratio:  # the default configuration: its cost over the bare engine, its ratios
        over = ratio["saddlescape/default"]  # (time of a default step / time of a bare one)
        res["default_overhead"] = over - 1.0
        for k in ("numpy", "best_jax"):
            if f"saddlescape/{k}" in ratio:
                ratio[f"default/{k}"] = ratio[f"saddlescape/{k}"] / over
    res.update(meta)
    report["cases"][key] = res
    shown = {k: v for k, v in ratio.items() if k in ("saddlescape/numpy", "saddlescape/best_jax", "default/best_jax")}
    ratios = "  ".join(f"{k.replace('saddlescape/', 'vs ').replace('default/', 'default vs ')} {v:.2f}x"
                       for k, v in shown.items())
    extra = f"   default +{100 * res['default_overhead']:.0f}%" if "default_overhead" in res else ""
    if "default_overhead_arrival" in res:
        unsettled = "" if res["arrival_settled"] else ", not settled"
        extra += f" (first {res['arrival_steps']:,} steps{unsettled} +{100 * res['default_overhead_arrival']:.0f}%)"
    print(f"{key:40s} {res['steps_per_s']['saddlescape']:>12,.0f} steps/s   {ratios}{extra}", flush=True)

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def _thread_env(n: int) -> dict:
    env = {**os.environ, **{k: str(n) for k in THREAD_VARS}}
    env["XLA_FLAGS"] = (f"--xla_cpu_multi_thread_eigen={'true' if n > 1 else 'false'} "
                        f"intra_op_parallelism_threads={n}")
    return env


def _pin(n: int):
    """A ``preexec_fn`` putting the child on ``n`` of this process's CPUs. XLA sizes its thread pool
    from the CPUs a process may run on and ignores ``intra_op_parallelism_threads``: with only the
    environment set, the one-thread JAX baseline ran element-wise loops on both cores of this
    machine (1.9 cores busy, 2.95 against 4.15 ns an element pinned; see jax-ml/jax#1539)."""
    cpus = sorted(os.sched_getaffinity(0))[:n] if hasattr(os, "sched_getaffinity") else []

    def pin() -> None:
        if cpus:
            os.sched_setaffinity(0, cpus)

    return pin


def _timed(cmd: list[str], env: dict, repeat: int) -> float:
    """Median wall seconds of a command (it must succeed)."""
    import subprocess

    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def _playground_start(env: dict) -> tuple[float, float]:
    """Seconds from launching the default playground (headless, space pressed at once:
    ``tui_fps.start``) to its walkers stepping, and to its compiled loop loaded, by the wall clock."""
    import subprocess

    t0 = time.time()
    done = subprocess.run([sys.executable, "-m", "benchmarks.tui_fps", "start"], env=env, check=True,
                          capture_output=True, text=True)
    moved, loaded = (float(v) for v in done.stdout.split()[-2:])
    return moved - t0, loaded - t0


def startup(args) -> dict:
    """Wall times of the command line: help and list (no Numba), a small run cold and warm, a
    run with the package on a read-only path (the cache goes to the user cache folder), and the
    default playground's walkers stepping after a launch on an empty cache and on later ones."""
    import shutil
    import subprocess
    import tempfile

    exe = [sys.executable, "-m", "saddlescape"]
    small = [*exe, "run", "--landscape", "rastrigin", "--dim", "2", "--optimizer", "adam", "--walkers", "16",
             "--steps", "1000", "--seed", "0", "--no-events"]
    reps = 1 if args.smoke else 5
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        # smoke: the caller's cache (no cold compile of everything, which takes a minute)
        env = _thread_env(1) if args.smoke else {**_thread_env(1), "NUMBA_CACHE_DIR": os.path.join(tmp, "cache")}
        out["help_s"] = _timed([*exe, "--help"], env, reps)
        out["list_s"] = _timed([*exe, "list", "landscapes"], env, reps)
        # the playground first, on a cache of its own: empty, as after a fresh install
        env_tui = env if args.smoke else {**env, "NUMBA_CACHE_DIR": os.path.join(tmp, "cache-tui")}
        out["playground_cold_s"], out["playground_cold_loaded_s"] = _playground_start(env_tui)
        warm = sorted(_playground_start(env_tui)[0] for _ in range(1 if args.smoke else 3))
        out["playground_warm_s"] = warm[len(warm) // 2]
        out["small_run_cold_s"] = _timed(small, env, 1)  # empty cache: compiles everything it loads
        out["small_run_warm_s"] = _timed(small, env, reps)
        if args.smoke:  # a read-only install compiles one small landscape into the user cache
            small = [sys.executable, "-c",
                     "from saddlescape import landscapes; landscapes.make('styblinski-tang', dim=2).value([0.0, 0.0])"]
        # a read-only install: the package copied to a folder we cannot write, no NUMBA_CACHE_DIR
        ro = os.path.join(tmp, "ro")
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        for pkg in ("landscapes", "optimizers", "saddlescape", "tui"):
            shutil.copytree(os.path.join(root, pkg), os.path.join(ro, pkg),
                            ignore=shutil.ignore_patterns("__pycache__"))
        env_ro = {k: v for k, v in _thread_env(1).items() if k != "NUMBA_CACHE_DIR"}
        env_ro.update(PYTHONPATH=ro, XDG_CACHE_HOME=os.path.join(tmp, "xdg"), SADDLESCAPE_ASSUME_READONLY="1")
        out["readonly_cold_s"] = _timed(small, env_ro, 1)
        out["readonly_warm_s"] = _timed(small, env_ro, reps)
        probe = subprocess.run([sys.executable, "-c", "import saddlescape.landscapes._kernel as k; print(k.cache_dir())"],
                               env=env_ro, capture_output=True, text=True, check=True).stdout.strip()
        out["readonly_cache_dir"] = probe.replace(tmp, "$TMP")
        cached = sum(len(f) for _, _, f in os.walk(os.path.join(tmp, "xdg")))
        out["readonly_cache_files"] = cached
    for k, v in out.items():
        print(f"start-up {k}: {v:.2f} s" if isinstance(v, float) else f"start-up {k}: {v}")
    return out


def busy_scene(args) -> dict[str, Any]:
    """The playground's p-spin scene (``benchmarks.tui_fps``' third) headless, idle and then with a
    busy loop on every CPU: frames and steps a second (threaded BLAS once fought the UI for the two
    cores and the scene fell to a few steps a second)."""
    import subprocess

    seconds = "1" if args.smoke else "5"
    cmd = [sys.executable, "-m", "benchmarks.tui_fps", seconds, "2"]
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    out: dict[str, Any] = {}
    for label in ("idle", "busy"):
        hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cpus if label == "busy" else 0)]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, check=True)
        finally:
            for h in hogs:
                h.kill()
                h.wait()
        out[label] = json.loads(r.stdout.strip().splitlines()[-1])
        print(f"p-spin scene, {label}: {out[label]['fps']} frames/s, {out[label]['steps_per_s']} steps/s")
    return out


def scale(args) -> dict[str, Any]:
    """Peak memory of one rastrigin walker at D=1e7 and the cost per walker at 65,536 walkers."""
    import subprocess

    D = 100_000 if args.smoke else 10_000_000
    code = f"""
import resource, time, numpy as np, saddlescape
from saddlescape import landscapes, optimizers
f = landscapes.make("rastrigin", dim={D})
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
s = saddlescape.Session(f, optimizers.make("adam", lr=1e-3), walkers=1, seed=0, record_every=10**9, detect=False)
s.advance(1)
t0 = time.perf_counter(); s.advance(5); dt = (time.perf_counter() - t0) / 5
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(before * 1024, peak * 1024, dt)
"""
    r = subprocess.run([sys.executable, "-c", code], env=_thread_env(1), capture_output=True, text=True, check=True)
    before, peak, dt = (float(v) for v in r.stdout.split())
    vec = 8.0 * D
    out: dict[str, Any] = {"rastrigin_D": D, "peak_rss_bytes": peak, "rss_before_session_bytes": before,
           "session_peak_in_vectors": (peak - before) / vec, "seconds_per_step": dt}
    print(f"scale: rastrigin D={D:,}: peak RSS {peak / 2**20:.0f} MiB, {out['session_peak_in_vectors']:.1f} "
          f"vectors of {vec / 2**20:.0f} MiB above the imports; {dt * 1e3:.1f} ms a step")
    import saddlescape
    from saddlescape import landscapes

    f = landscapes.make("rastrigin", dim=2)
    per_walker = {}
    for B in ((256, 4096) if args.smoke else (4096, 65_536)):
        s = saddlescape.Session(f, "adam", walkers=B, seed=0, record_every=10**9, detect=False)
        s.advance(2)
        t0 = time.perf_counter()
        n = 20 if args.smoke else 200
        s.advance(n)
        per_walker[B] = (time.perf_counter() - t0) / n / B
    big = max(per_walker)
    out["ns_per_walker_step"] = {str(k): v * 1e9 for k, v in per_walker.items()}
    print("scale: ns per walker-step at D=2: " + ", ".join(f"B={k:,}: {v * 1e9:.1f}" for k, v in per_walker.items()))
    out["walkers_max"] = big
    return out


WHY = (  # (words in the target, reason it can be missed, next idea): printed with a target not met
    ("value+grad at D=1e6", "one pass reading x and writing g; short of the goal only at smoke sizes or on a "
     "busy machine (the triad figure varies 10-15 GB/s here)", "rerun with --quick on an idle machine"),
    ("rastrigin Adam at D", "on a CPU without AVX-512 the fused loop takes two passes a step (measured faster "
     "there: the sine and cosine vectorise better in a loop of their own), ~2x the memory traffic of one; "
     "with AVX-512 one pass (3.5-3.6 ns an element at 10^7 on 2026-12-02's second machine, against ~3 ns of "
     "memory time)", "measure one pass again on the AVX2 machine; a sincos in single precision where the "
     "landscape allows it"),
    ("styblinski-tang Adam at D", "one pass over memory now (the fused loop); what is left is Adam's exact "
     "square root and division, near the memory time on this CPU", "rerun on an idle machine"),
    ("slower than JAX in the default", "the BLAS-shaped cases (p-spin, mlp) call the same BLAS as JAX and land "
     "at 0.9-2x of it from run to run; styblinski-tang (4096, 2), 0.985-1.16x before 2026-12-02 evening, "
     "steps ~1.9x JAX bare since the flat run's loss was vectorised (~1.6-1.9x default)",
     "walker-batched GEMMs for p-spin"),
    ("slower than JAX", "the BLAS-shaped cases (p-spin, mlp) call the same BLAS as JAX and land at 0.9-2x of it "
     "from run to run", "walker-batched GEMMs for p-spin"),
    ("3x JAX", "the p-spin and mlp cases sit at 0.8-2x JAX (the same BLAS) and styblinski-tang at 1.5-5x "
     "(Adam's exact square root and division)", "walker-batched GEMMs for p-spin and the mlp"),
    ("million steps/s", "at (1, 2) a step is one dependency chain (x and g in registers now): rastrigin's sine "
     "and cosine ~24 ns of ~54 ns, Adam's square root and division ~18 ns",
     "the sine and cosine from one polynomial in t and a table of quadrant values (fewer dependent steps)"),
    ("x NumPy at D", "ackley: two passes per walker (the reductions, then the gradient from the kept sines)",
     "one pass, finishing the gradient from per-walker sums in a second, cache-resident sweep"),
    ("(4096, 2) >= 10x NumPy", "the batch is evaluated as one run of coordinates (`_sum_vg`: 17x NumPy on "
     "2026-12-02's fourth session, ~1 ns a walker); a miss means the machine's cache or timing varied, or the "
     "kernel no longer vectorises across walkers", "check `_sum_vg`'s flat loop still vectorises (its index "
     "unsigned, the sum over a literal dimension)"),
    ("mlp", "tanh and the passes over the (width x samples) activations are the step; JAX's own times vary up "
     "to 2x between runs", "a lower-degree minimax tanh; one pass per hidden unit (forward, tanh and output "
     "fused)"),
    ("plug-in", "the plug-in's own NumPy Adam costs as much as the whole compiled step",
     "nothing in the engine: the ratio is NumPy's temporaries against a compiled loop"),
    ("(running)", "at (4096, 2) a settled run is checked for who left its ball (only when some coordinate lies "
     "farther than r/sqrt(D) from its point) and then steps in the bare engine's one pass, its losses "
     "vectorised; the records are the rest (rows of 32 KB, from the heap since 2026-12-02's second session)",
     "the settled share of a run stepping apart from the rest (checking in blocks of 32 walkers cost more "
     "than it saved)"),
    ("first steps", "walkers arriving at critical points. Rastrigin (4096, 2)'s first 1,008 steps, measured "
     "apart (2026-12-02, fourth session): bare ~18.4 ms, records +0.7 ms (past 1,024 walkers the default "
     "starts at the spacing it would thin to: ~250 rows of 32 KB copied by memcpy, no thinning yet), the "
     "detector ~+7.5 ms (in the loop ~6.5 ms: the flags ~2.7 us a step at ~0.65 ns a walker, vectorised, "
     "the looks ~1.4 ms for ~9,100 at ~160 ns, keeping x, |g|^2 and the loop around the looks; Python's "
     "ingest ~0.9 ms). Styblinski-tang's walkers arrive over ~2,400 steps with ~4,000 watched every step: "
     "~7.9 ms of detector in its first 1,008 against a 13.7 ms bare run, its step the cheaper. "
     "ackley (256, 100): ~256 looks at ~50 us (a walk by conjugate gradients ~30 us, the index by "
     "Gershgorin's discs ~19 us with its Hessian); the mlp forms its one-layer Hessian in closed form "
     "(~0.7 ms at width 64)",
     "at (4096, 2) nothing that keeps the look rule: a D=2 bare step is ~3.3-4.5 ns a walker and watching a "
     "walker (|g|^2, its distance to its point, four thresholds, a flag) ~0.65 ns before any look; fewer "
     "looks a walker (the re-look rule: a change for the playground's detection tests to judge), or "
     "watching walkers less often than every step (a change of what a passage's steps mean)"),
    ("event detection", "a Newton walk and an index per walker entering a critical point's neighbourhood (from "
     "D=33 by conjugate gradients or Cholesky, the index from Gershgorin's discs or a Cholesky test with a "
     "Lanczos scale, an eigendecomposition where both fail); at smoke sizes the runs are too "
     "short to amortise", "looks from Hessian-vector products where a Hessian costs many gradients (the mlp "
     "deeper than one layer)"),
    ("census", "Newton from every start, then de-duplication", "fewer starts with deflation"),
    ("playground's walkers", "on an empty cache the walkers step on the light path (the landscape's and the "
     "optimizer's small kernels called from Python) while the compiled loop compiles in another process; "
     "compiling those small kernels and Textual's start-up are the wait", "compile the light path's landscape "
     "kernels lazily per scene; a smaller default scene"),
    ("p-spin scene", "the UI and the stepping thread share the CPUs with the busy loops; the scene's BLAS is "
     "pinned to one thread", "step in smaller chunks while the machine is busy"),
    ("start-up", "Python, NumPy and Numba imports and Numba's target initialisation (~0.9 s, including "
     "scipy.linalg); a busy machine doubles them", "nothing left in saddlescape: kernels already load "
     "only when used; a lighter Numba initialisation"),
    ("session memory", "x, g, Adam's m and v and the records; at smoke sizes the imports' own memory dominates",
     "records off for huge D"),
    ("walkers at D=2", "per-walker work in Python", "none expected: the loop is compiled"),
    ("geometric mean", "the slowest cases drag the mean", "see the cases below 1x"),
)


def _why(target: str) -> dict:
    for words, reason, idea in WHY:
        if words in target:
            return {"reason": reason, "next": idea}
    return {}


def _geomean(values) -> float:
    v = [x for x in values if x and x > 0]
    return float(np.exp(np.mean(np.log(v)))) if v else float("nan")


def targets(one: dict, start: dict | None, sc: dict | None, busy: dict | None = None) -> list[dict]:
    """The speed issue's targets, judged on the one-thread run."""
    cases = one["cases"]
    adam = {k: c for k, c in cases.items() if k.startswith("adam ") and "B" in c}
    t = list(one["targets"])
    jax = {k: c["ratio"]["saddlescape/best_jax"] for k, c in adam.items() if "saddlescape/best_jax" in c["ratio"]}
    npy = {k: c["ratio"]["saddlescape/numpy"] for k, c in adam.items()}
    djax = {k: c["ratio"]["default/best_jax"] for k, c in adam.items() if "default/best_jax" in c["ratio"]}
    if jax:
        worst = min(jax, key=lambda k: jax[k])
        t.append({"target": "no Adam case slower than JAX", "reached": jax[worst], "goal": 1.0,
                  "ok": jax[worst] >= 1.0, "where": worst})
        if djax:
            worst = min(djax, key=lambda k: djax[k])
            t.append({"target": "no Adam case slower than JAX in the default configuration", "reached": djax[worst],
                      "goal": 1.0, "ok": djax[worst] >= 1.0, "where": worst})
        t.append({"target": "geometric mean over all cases >= 3x JAX", "reached": _geomean(jax.values()),
                  "goal": 3.0, "ok": _geomean(jax.values()) >= 3.0})
    t.append({"target": "geometric mean over all cases >= 5x NumPy", "reached": _geomean(npy.values()),
              "goal": 5.0, "ok": _geomean(npy.values()) >= 5.0})
    for field, when in (("default_overhead", "running"),
                        ("default_overhead_arrival", f"a run's first steps, until {SETTLED:.0%} of its walkers "
                                                     f"sit at minima ({ARRIVAL_STEPS:,} to {ARRIVAL_MAX_STEPS:,})")):
        over = {k: c[field] for k, c in adam.items() if field in c}
        if over:
            worst = max(over, key=lambda k: over[k])
            t.append({"target": f"event detection and records cost <= 25% over the bare engine, every case ({when})",
                      "reached": over[worst], "goal": 0.25, "ok": over[worst] <= 0.25, "where": worst})
    for name in ("rastrigin", "styblinski-tang"):
        c = cases.get(f"adam {name} B=1 D=2")
        if c:
            t.append({"target": f"{name} (1, 2) >= 20x NumPy", "reached": c["ratio"]["saddlescape/numpy"],
                      "goal": 20.0, "ok": c["ratio"]["saddlescape/numpy"] >= 20})
            for what, sps in (("", c["steps_per_s"]["saddlescape"]),
                              (" in the default configuration", c["steps_per_s"].get("default", 0.0))):
                t.append({"target": f"{name} (1, 2) >= 20 million steps/s{what}", "reached": sps / 1e6, "goal": 20.0,
                          "ok": sps >= 20e6})
    for name, goal in (("styblinski-tang", 0.8), ("rastrigin", 0.6)):
        for c in [c for c in adam.values() if c["landscape"] == name and c["B"] == 1 and c["D"] >= 10**5]:
            moved = 48.0 * c["D"] * c["steps_per_s"]["saddlescape"] / 1e9  # read x, m, v; write x, m, v
            t.append({"target": f"{name} Adam at D={c['D']:.0e} >= {goal:.0%} of triad for the 48 B/element a step "
                      "must move", "reached": moved / one["triad_GBps"], "goal": goal,
                      "ok": moved / one["triad_GBps"] >= goal})
    for name in ("rastrigin", "ackley"):
        r = [c["ratio"]["saddlescape/numpy"] for k, c in adam.items() if c["landscape"] == name and c["D"] >= 100]
        if r:
            t.append({"target": f"{name} >= 4x NumPy at D >= 100 (worst case)", "reached": min(r), "goal": 4.0,
                      "ok": min(r) >= 4})
    for k, r in jax.items():
        if adam[k]["landscape"] == "mlp":
            t.append({"target": f"{k.removeprefix('adam ')} >= JAX", "reached": r, "goal": 1.0, "ok": r >= 1.0})
    if start:
        for key, goal in (("help_s", 0.3), ("list_s", 0.3), ("small_run_warm_s", 2.0), ("readonly_warm_s", 2.0)):
            t.append({"target": f"start-up: {key.removesuffix('_s').replace('_', ' ')} < {goal} s",
                      "reached": start[key], "goal": goal, "ok": start[key] < goal})
        for key, goal, when in (("playground_cold_s", 10.0, "a launch on an empty cache"),
                                ("playground_warm_s", 2.0, "later launches")):
            t.append({"target": f"start-up: the playground's walkers step <= {goal:g} s after {when}",
                      "reached": start[key], "goal": goal, "ok": start[key] <= goal})
    if busy:
        kept = busy["busy"]["steps_per_s"] / max(busy["idle"]["steps_per_s"], 1)
        t.append({"target": "the playground's p-spin scene keeps >= 1/3 of its idle steps/s with every CPU busy",
                  "reached": kept, "goal": round(1 / 3, 2), "ok": kept >= 1 / 3})
        t.append({"target": "the playground's p-spin scene draws >= 10 frames/s with every CPU busy",
                  "reached": busy["busy"]["fps"], "goal": 10.0, "ok": busy["busy"]["fps"] >= 10})
    if sc:
        t.append({"target": "rastrigin D=1e7: session memory a small multiple (<= 8) of the vector",
                  "reached": sc["session_peak_in_vectors"], "goal": 8.0, "ok": sc["session_peak_in_vectors"] <= 8})
        per = sc["ns_per_walker_step"]
        lo, hi = min(per, key=int), max(per, key=int)
        growth = per[hi] / per[lo]
        t.append({"target": f"{hi} walkers at D=2: no per-walker Python work (ns per walker-step within 1.5x of B={lo})",
                  "reached": growth, "goal": 1.5, "ok": growth <= 1.5})
    return t


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer rounds (about ten minutes)")
    p.add_argument("--smoke", action="store_true", help="every path once at tiny sizes (CI)")
    p.add_argument("--no-jax", action="store_true", help="skip the JAX baselines")
    p.add_argument("--threads", default=None, help="thread counts to run the timed cases with (default 1,2; smoke 1)")
    p.add_argument("--skip", default="", help="comma list of sections to skip: startup, scale, playground")
    p.add_argument("--out", default="bench-results/latest.json")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:  # one thread count, set by the parent through the environment
        if args.out == "-":
            json.dump(suite(args), sys.stdout)
        else:
            with open(args.out, "w") as fh:
                json.dump(suite(args), fh)
        return 0
    import subprocess
    import tempfile

    counts = [int(n) for n in (args.threads or ("1" if args.smoke else "1,2")).split(",")]
    report: dict = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                                "platform": platform.platform()}, "runs": {}}
    for n in counts:
        print(f"\n== {n} thread{'s' if n > 1 else ''} ==", flush=True)
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
            part = fh.name
        cmd = [sys.executable, "-m", "benchmarks", "--child", "--out", part]
        cmd += [f for f, on in (("--quick", args.quick), ("--smoke", args.smoke), ("--no-jax", args.no_jax)) if on]
        subprocess.run(cmd, env=_thread_env(n), check=True, preexec_fn=_pin(n))
        with open(part) as fh:
            report["runs"][str(n)] = json.load(fh)
        os.unlink(part)
    skip = set(filter(None, args.skip.split(",")))
    print("\n== start-up, scale and the busy playground ==", flush=True)
    report["startup"] = None if "startup" in skip else startup(args)
    report["scale"] = None if "scale" in skip else scale(args)
    report["busy_scene"] = None if "playground" in skip else busy_scene(args)
    one = report["runs"][str(counts[0])]
    report["targets"] = targets(one, report["startup"], report["scale"], report["busy_scene"])
    for t in report["targets"]:
        if not t["ok"]:
            t.update(_why(t["target"]))
    if len(counts) > 1:
        print(f"\nthreads {counts[0]} -> {counts[-1]}: engine steps/s ratio per case")
        hi = report["runs"][str(counts[-1])]["cases"]
        for k, c in one["cases"].items():
            if k in hi and "steps_per_s" in c and "saddlescape" in c["steps_per_s"]:
                a, b = c["steps_per_s"]["saddlescape"], hi[k]["steps_per_s"]["saddlescape"]
                j = hi[k]["ratio"].get("saddlescape/best_jax")
                print(f"  {k:40s} {b / a:5.2f}x" + (f"   (vs JAX at {counts[-1]} threads: {j:.2f}x)" if j else ""))
    print("\ntargets (one thread):" + (" (smoke sizes: these figures say nothing about the targets)" if args.smoke else ""))
    for t in report["targets"]:
        where = f" [{t['where']}]" if t.get("where") else ""
        print(f"  [{'ok' if t['ok'] else 'NOT MET'}] {t['target']}: {t['reached']:.3g} (goal {t['goal']}){where}")
        if t.get("reason"):
            print(f"      why: {t['reason']}; next: {t['next']}")
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(report, fh, indent=1)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
