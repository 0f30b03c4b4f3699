"""Interleaved, repeated timing with paired ratios (robust on a shared 2-core machine)."""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def calibrate(fn: Callable[[], int], block_s: float) -> int:
    """How many calls of ``fn`` fill about ``block_s`` seconds (at least one)."""
    fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-7)
    return max(1, int(block_s / one))


def interleaved(variants: dict[str, Callable[[], int]], *, rounds: int, block_s: float) -> dict[str, list[float]]:
    """Seconds per step of each variant in each round. Each callable does some steps and
    returns how many; rounds rotate the starting variant so drift hits all alike."""
    reps = {name: calibrate(fn, block_s) for name, fn in variants.items()}
    names = list(variants)
    out: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            fn = variants[name]
            steps = 0
            t0 = time.perf_counter()
            for _ in range(reps[name]):
                steps += fn()
            out[name].append((time.perf_counter() - t0) / steps)
    return out


def summarise(per_step: dict[str, list[float]], ours: str) -> dict:
    """Median steps/s per variant and median paired ratio (ours vs each baseline)."""
    res = {"steps_per_s": {n: 1.0 / statistics.median(v) for n, v in per_step.items()}, "ratio": {}}
    for name, times in per_step.items():
        if name != ours:
            res["ratio"][f"{ours}/{name}"] = statistics.median(b / a for a, b in zip(per_step[ours], times))
    return res
