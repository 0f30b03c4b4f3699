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


def _engine_adam(name: str, X: np.ndarray, steps_per_call: int, detect: bool = False):
    import landscapes
    import optimizers
    import saddlescape

    f = landscapes.make(name, dim=X.shape[1])
    opt = optimizers.make("adam", lr=1e-3)
    s = saddlescape.Session(f, opt, x0=X, record_every=10**9, detect=detect)

    def step() -> int:
        s.advance(steps_per_call)
        return steps_per_call

    return step, s


def _numpy_plugin_adam(name: str, X: np.ndarray, steps_per_call: int):
    """The same Adam written as a plain-NumPy plug-in, run through the engine."""
    import landscapes
    import saddlescape

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


def _check_equal(name: str, X: np.ndarray, with_jax: bool) -> float:
    """Max relative deviation of one Adam step, engine vs NumPy (and JAX)."""
    from ._baselines import jax_adam, numpy_adam

    ours, s = _engine_adam(name, X, 1)
    ours()
    np_step, st = numpy_adam(name, X)
    np_step()
    dev = float(np.max(np.abs(s.X - st["x"]) / (1 + np.abs(st["x"]))))
    if with_jax:
        jx, js = jax_adam(name, X)
        jx()
        dev = max(dev, float(np.max(np.abs(s.X - np.asarray(js["c"][0])) / (1 + np.abs(st["x"])))))
    if dev > 1e-10:
        raise SystemExit(f"benchmark baseline disagrees with the engine on {name}: {dev:.2e}")
    return dev


def _vg_case(B: int, D: int, rounds: int, block: float) -> dict:
    import landscapes

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


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer rounds (a few minutes)")
    p.add_argument("--smoke", action="store_true", help="every path once at tiny sizes (CI)")
    p.add_argument("--no-jax", action="store_true", help="skip the JAX baselines")
    p.add_argument("--out", default="bench-results/latest.json")
    args = p.parse_args(argv)
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
                                "threads": {k: os.environ.get(k) for k in ("NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS")}},
                    "cases": {}, "targets": []}
    n_triad = 200_000 if args.smoke else 8_000_000
    triad = _triad_gbps(n_triad, 3 if args.smoke else 15)
    report["triad_GBps"] = triad
    print(f"triad bandwidth: {triad:.1f} GB/s ({n_triad:,} doubles)")

    # value+gradient only (the landscape issue's targets)
    big = 10_000 if args.smoke else 1_000_000
    vg_big = _vg_case(1, big, rounds, block)
    vg_batch = _vg_case(64 if args.smoke else 4096, 2, rounds, block)
    gbps = 16 * big * vg_big["steps_per_s"]["saddlescape"] / 1e9  # read x, write g
    report["cases"]["vg styblinski-tang B=1 D=%d" % big] = {**vg_big, "GBps": gbps}
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
    for name in ("rastrigin", "styblinski-tang"):
        for B, D in sizes:
            X = np.random.default_rng(0).uniform(-4, 4, (B, D))
            dev = _check_equal(name, X, with_jax and B * D <= 10**6)
            per_call = max(1, min(1000, 200_000 // (B * D)))
            variants = {"saddlescape": _engine_adam(name, X, per_call)[0],
                        "numpy": numpy_adam(name, X)[0]}
            if with_jax:
                variants["jax"] = jax_adam(name, X)[0]
                variants["jax_loop"] = jax_adam(name, X, loop=per_call)[0]
            res = summarise(interleaved(variants, rounds=rounds, block_s=block), "saddlescape")
            res["steps_per_call"] = per_call
            res["max_rel_dev_first_step"] = dev
            key = f"adam {name} B={B} D={D}"
            report["cases"][key] = res
            ratios = "  ".join(f"{k.split('/')[1]} {v:.2f}x" for k, v in res["ratio"].items())
            print(f"{key:40s} {res['steps_per_s']['saddlescape']:>12,.0f} steps/s   {ratios}")
            if with_jax and name == "rastrigin" and (B, D) in ((4096, 2), (64, 10_000)):
                r = min(res["ratio"]["saddlescape/jax"], res["ratio"]["saddlescape/jax_loop"])
                report["targets"].append({"target": f"Adam rastrigin ({B}, {D}) >= JAX", "reached": r,
                                          "goal": 1.0, "ok": r >= 1.0})

    # a plain-NumPy plug-in against the compiled built-in, 64 walkers
    X = np.random.default_rng(1).uniform(-4, 4, (64, 4 if args.smoke else 100))
    per = interleaved({"builtin": _engine_adam("rastrigin", X, 100, detect=False)[0],
                       "plugin": _numpy_plugin_adam("rastrigin", X, 100)[0]}, rounds=rounds, block_s=block)
    res = summarise(per, "builtin")
    report["cases"]["adam rastrigin B=64 D=%d builtin vs NumPy plug-in" % X.shape[1]] = res
    slow = res["ratio"]["builtin/plugin"]
    report["targets"].append({"target": "NumPy plug-in at 64 walkers within 2x of the built-in",
                              "reached": slow, "goal": 2.0, "ok": slow <= 2.0})

    # event detection must stay cheap: whole 10,000-step runs at (64 walkers, D=100), on and off
    import saddlescape

    X = np.random.default_rng(2).uniform(-4, 4, (64, 8 if args.smoke else 100))
    steps = 500 if args.smoke else 10_000
    lands = __import__("landscapes").make("rastrigin", dim=X.shape[1])

    def whole_run(detect):
        return lambda: (saddlescape.run(lands, "adam", x0=X, steps=steps, detect=detect), steps)[1]

    per = interleaved({"detect": whole_run(True), "plain": whole_run(False)}, rounds=rounds, block_s=block)
    res = summarise(per, "detect")
    report["cases"]["adam rastrigin B=64 D=%d %d-step runs, events on vs off" % (X.shape[1], steps)] = res
    slowdown = 1.0 / res["ratio"]["detect/plain"] - 1.0
    report["targets"].append({"target": "event detection slows a run by <= 25% at (64, 100)",
                              "reached": slowdown, "goal": 0.25, "ok": slowdown <= 0.25})

    # the census: every critical point of styblinski-tang at D=8 (D=4 in smoke mode)
    import landscapes

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

    print("\ntargets:" + (" (smoke sizes: these figures say nothing about the targets)" if args.smoke else ""))
    for t in report["targets"]:
        print(f"  [{'ok' if t['ok'] else 'NOT MET'}] {t['target']}: {t['reached']:.2f} (goal {t['goal']})")
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(report, fh, indent=1)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
