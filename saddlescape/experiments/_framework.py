"""Studies as sweeps of independent work items: run them (serially, over local processes or a
Dask cluster), keep each item's result on disk as it arrives (so an interrupted run resumes),
then analyse the results into a table, a terminal plot and a verdict.

Work items are plain JSON dicts and results are plain JSON dicts: a study is deterministic in
its items, so the same study gives the same numbers whichever way its items were scheduled.
"""
from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from saddlescape._files import OutputError, write_text_atomic
from saddlescape._signals import stop_requests
from saddlescape.landscapes._params import ParamError, SaddlescapeError

__all__ = ["Plot", "Report", "Study", "StudyRun", "execute", "item_key", "register", "run_study", "study"]

# name -> Study, in the order registered; filled by the modules of ``experiments.studies`` (imported
# by the package) and by anyone's own ``register(Study(...))``
STUDIES: dict[str, Study] = {}


@dataclass
class Plot:
    """Series to draw in the terminal: ``series`` is a list of (label, xs, ys)."""

    title: str
    xlabel: str
    ylabel: str
    series: Sequence[tuple[str, Sequence[float], Sequence[float]]]
    logx: bool = False
    logy: bool = False


@dataclass
class Report:
    """What a study found: a table, a plot, the numbers measured and the verdict against the source."""

    columns: list[str]
    rows: list[list[Any]]
    plot: Plot
    measured: dict[str, Any]
    reference: str  # what the source reports, in words and numbers
    verdict: str  # what was measured against it
    supported: bool | None  # None: the comparison is not a yes/no one

    def __post_init__(self) -> None:
        if self.supported is not None:
            self.supported = bool(self.supported)  # never a NumPy bool in JSON or comparisons


@dataclass(frozen=True)
class Study:
    """A named claim from the literature and the sweep that tests it.

    ``items(quick)`` lists the work items (JSON dicts); ``work(item)`` computes one (a
    module-level function, so processes and Dask workers can import it); ``analyse(results,
    quick)`` turns the results (in item order) into a ``Report``. ``scene`` opens the study's
    setting in the playground.
    """

    name: str
    title: str
    claim: str
    source: str
    items: Callable[[bool], list[dict[str, Any]]]
    work: Callable[[dict[str, Any]], dict[str, Any]]
    analyse: Callable[[list[dict[str, Any]], bool], Report]
    scene: dict[str, Any] = field(default_factory=dict)


class _Stop(Exception):
    """Raised when the progress callback asks the sweep to stop."""


def item_key(study: str, item: dict[str, Any]) -> str:
    """A stable file name for one work item: the study and a hash of the item's JSON."""
    blob = json.dumps({"study": study, "item": item}, sort_keys=True).encode()
    return hashlib.sha1(blob).hexdigest()[:16]


@functools.cache
def code_version() -> str:
    """A hash of the computing code's sources (saddlescape, its landscapes and optimizers; not
    the playground): a saved item is reused only when it was computed by the same code."""
    import saddlescape
    from saddlescape import landscapes, optimizers

    h = hashlib.sha1()
    for package in (saddlescape, landscapes, optimizers):
        root = Path(str(package.__file__)).parent
        for f in sorted(root.rglob("*.py")):
            if "tui" not in f.relative_to(root).parts:
                h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def _saved_result(path: Path, item: dict[str, Any]) -> dict[str, Any] | None:
    """The result saved at ``path`` for ``item`` by this code, or None (missing, unreadable,
    malformed, for another item, or computed by other code: then it is computed again)."""
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not (isinstance(saved, dict) and saved.get("item") == item and saved.get("code") == code_version()
            and isinstance(saved.get("result"), dict)):
        return None
    return saved["result"]


def register(study: Study) -> Study:
    """Make ``study`` known by its name (to ``names()``, ``run_study`` and the playground)."""
    STUDIES[study.name] = study
    return study


def study(name: str) -> Study:
    """The study called ``name``; a one-line ``ParamError`` naming the known ones otherwise."""
    if name not in STUDIES:
        from saddlescape.landscapes._params import closest

        raise ParamError(f"experiment {name!r} is not known; use one of {', '.join(STUDIES)}"
                         + closest(name, STUDIES))
    return STUDIES[name]


def execute(study_name: str, item: dict[str, Any]) -> dict[str, Any]:
    """Compute one work item (what processes and Dask workers call)."""
    t0 = time.perf_counter()
    out = STUDIES[study_name].work(dict(item))
    out["elapsed_s"] = round(time.perf_counter() - t0, 4)
    return out


def _write_json(path: Path, payload: Any) -> None:
    # whole or not at all: a half-written item never counts as done
    write_text_atomic(path, json.dumps(payload, indent=1, default=_jsonable) + "\n")


def _jsonable(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _clean(value: Any) -> Any:
    """Non-finite floats as None (strict JSON, CSV-friendly)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


@dataclass
class StudyRun:
    """The outcome of ``run_study``: results in item order, the report, the files written."""

    study: Study
    quick: bool
    items: list[dict[str, Any]]
    results: list[dict[str, Any] | None]
    report: Report | None
    complete: bool
    reused: int
    elapsed_s: float
    paths: dict[str, Path] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        from .._result import versions

        s = self.study
        out: dict[str, Any] = {"study": s.name, "title": s.title, "claim": s.claim, "source": s.source,
                               "mode": "quick" if self.quick else "full", "complete": self.complete,
                               "n_items": len(self.items), "n_done": sum(r is not None for r in self.results),
                               "reused_items": self.reused, "elapsed_s": round(self.elapsed_s, 3),
                               "versions": versions()}
        if self.report is not None:
            r = self.report
            out.update(verdict=r.verdict, supported=r.supported, reference=r.reference, measured=r.measured,
                       table={"columns": r.columns, "rows": r.rows}, plot=asdict(r.plot))
        out["items"] = [{"item": i, "result": res} for i, res in zip(self.items, self.results)]
        return _clean(out)


def _local_map(todo: list[tuple[int, dict]], name: str, workers: int, on_done: Callable) -> None:
    if workers <= 1 or len(todo) <= 1:
        for idx, item in todo:
            on_done(idx, execute(name, item))
        return
    import multiprocessing as mp
    import threading

    # fork is cheap and works from any script (stdin, notebooks); a parent with threads (the
    # TUI) must not fork, so its workers start from a clean forkserver instead
    methods = mp.get_all_start_methods()
    method = ("fork" if "fork" in methods and threading.active_count() == 1
              else "forkserver" if "forkserver" in methods else "spawn")
    ctx = mp.get_context(method)
    pool = ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=ctx, initializer=_worker_init,
                               initargs=(os.getpid(),))
    futures: dict[Future, int] = {}
    try:
        with stop_requests() as stop:  # SIGTERM too: a batch scheduler's stop must not orphan the workers
            for idx, item in todo:
                futures[pool.submit(execute, name, item)] = idx
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for fut in done:
                    on_done(futures[fut], fut.result())
                if stop:
                    raise KeyboardInterrupt
    except BaseException:
        # Ctrl-C (or a failed item): stop now; items in flight are lost, finished ones are on disk
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _worker_init(parent: int) -> None:
    """Workers leave Ctrl-C to the parent, which stops them and keeps what is done; and end
    when the parent is gone (killed with SIGKILL it cannot stop them): at once where Linux can
    signal it (PR_SET_PDEATHSIG), else within a second of noticing a new parent process."""
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # (a fork inherits the parent's stop flag handler: terminate() must kill)
    if sys.platform.startswith("linux"):
        import contextlib
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    if os.getppid() == parent:  # (forkserver and spawn workers have another parent: the first check covers fork)
        threading.Thread(target=watch, daemon=True, name="parent-watch").start()


class ItemsFailed(SaddlescapeError):
    """Items whose workers kept dying; the rest of the sweep finished and is on disk."""


BATCH_SYSTEMS = {"slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster", "lsf": "LSFCluster"}
RETRIES = 2  # resubmissions of an item whose worker died (on top of Dask's own)


def batch_cluster(system: str, *, cores: int, memory: str, walltime: str) -> Any:
    """A dask-jobqueue cluster on ``system`` (slurm, pbs, sge, lsf): the scheduler runs in this
    process, each batch job is a worker node of ``cores`` single-threaded worker processes (the
    kernels are single-threaded; processes, not threads, keep Python's share of the work
    parallel). ``cluster.job_script()`` is the script it submits; ``cluster.scale(jobs=N)``
    submits N jobs. Needs ``pip install 'saddlescape[hpc]'``."""
    if system not in BATCH_SYSTEMS:
        raise ParamError(f"--cluster {system!r} is not allowed; use one of {', '.join(BATCH_SYSTEMS)}")
    try:
        import dask_jobqueue
    except ImportError:
        raise ParamError("--cluster needs dask-jobqueue: pip install 'saddlescape[hpc]'") from None
    if isinstance(cores, bool) or not isinstance(cores, int) or cores < 1:
        raise ParamError(f"--cores {cores!r} is not allowed; use an integer >= 1")
    try:
        from dask.utils import parse_bytes

        size = parse_bytes(memory)
    except (ValueError, TypeError):
        size = 0
    if size < 2**26 * cores:  # (a number alone is bytes to Dask: "--memory 8" would give 8 bytes)
        raise ParamError(f"--memory {memory!r} is not allowed; use a size of at least 64MB a core, such as 8GB or 512MiB")
    cls = getattr(dask_jobqueue, BATCH_SYSTEMS[system])
    return cls(cores=cores, processes=cores, memory=memory, walltime=walltime,
               scheduler_options={"dashboard_address": None})


def _prepare_worker() -> str:
    """Run once on every Dask worker before its first item: a node-local Numba cache unless the
    worker's environment names one (the sources' folder on a shared file system would be written by
    every node at once), then the engine's loop loaded or compiled there: one compile per worker
    (per node, once the cache is warm), not one per item. Returns the cache folder."""
    import tempfile

    if not os.environ.get("NUMBA_CACHE_DIR"):
        user = os.environ.get("USER") or str(os.getuid() if hasattr(os, "getuid") else "user")
        os.environ["NUMBA_CACHE_DIR"] = os.path.join(tempfile.gettempdir(), f"saddlescape-numba-{user}")
    import saddlescape

    saddlescape.preload()
    return os.environ["NUMBA_CACHE_DIR"]


def _dask_client(scheduler: Any) -> tuple[Any, bool]:
    """(client, whether we own it) for an address, a scheduler file ("file:PATH"), or a Client."""
    try:
        from distributed import Client
    except ImportError:
        raise ParamError("--scheduler needs Dask: pip install 'saddlescape[dask]'") from None
    if isinstance(scheduler, Client):
        return scheduler, False
    try:
        if isinstance(scheduler, str) and scheduler.startswith("file:"):
            path = scheduler[len("file:"):]
            if not os.path.isfile(path):
                raise ParamError(f"--scheduler-file {path!r} does not exist; a running scheduler writes it "
                                 "(dask scheduler --scheduler-file PATH)")
            return Client(scheduler_file=path, timeout="10s"), True
        return Client(scheduler, timeout="10s"), True
    except (OSError, TimeoutError, ValueError) as exc:
        raise ParamError(f"scheduler={scheduler!r} could not be reached ({exc}); "
                         "give a running Dask scheduler's address, e.g. tcp://host:8786") from None


def _dask_map(todo: list[tuple[int, dict]], name: str, scheduler: Any, on_done: Callable) -> None:
    from distributed import KilledWorker, as_completed

    client, own = _dask_client(scheduler)
    try:
        client.run(_prepare_worker)  # every worker there now; workers joining later prepare on their first item
        futures = {client.submit(execute, name, item, pure=False): idx for idx, item in todo}
        tries = dict.fromkeys(futures.values(), 0)
        failed: list[str] = []
        pending = as_completed(list(futures))
        for fut in pending:
            idx = futures.pop(fut)
            try:
                result = fut.result()
            except KilledWorker as exc:  # its worker died (killed, out of memory, a node lost)
                if tries[idx] < RETRIES:
                    tries[idx] += 1
                    again = client.submit(execute, name, dict(todo)[idx], pure=False)
                    futures[again] = idx
                    pending.add(again)
                else:
                    failed.append(f"item {idx}: {exc}")
                continue
            on_done(idx, result)
        if failed:
            raise ItemsFailed(f"{len(failed)} item(s) failed on their workers {RETRIES + 1} times ({failed[0]}); "
                              "every other item is saved: run the same command again to retry them")
    finally:
        if own:
            client.close()



def run_study(name: str, *, quick: bool = False, out: str | Path | None = None, workers: int | None = None,
              scheduler: Any = None, progress: Callable[[int, int], bool | None] | None = None,
              resume: bool = True) -> StudyRun:
    """Run study ``name``; write ``OUT/NAME/{NAME.json, NAME.csv, items/}``.

    Args:
        quick: the small sweep (under a minute on two cores); otherwise the full one.
        out: the output folder (None: nothing written, nothing resumed).
        workers: local processes (default: the CPU count; 1 runs in this process).
        scheduler: a Dask scheduler address (``tcp://host:port``), ``"file:PATH"`` (a scheduler
            file), or a ``distributed.Client`` (e.g. on ``batch_cluster(...)``); then the items
            run there instead, after every worker is prepared (``_prepare_worker``).
        progress: called as ``progress(done, total)`` after every item; returning True stops
            the sweep as Ctrl-C does.
        resume: reuse item results already in ``OUT/NAME/items`` (from an interrupted run).

    Ctrl-C stops the sweep: the items finished so far are on disk, the run is returned with
    ``complete=False`` and no report; running it again resumes.
    """
    chosen = study(name)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ParamError(f"workers={workers!r} is not allowed; use an integer >= 1")
    items = chosen.items(bool(quick))
    results: list[dict | None] = [None] * len(items)
    keys = [item_key(name, it) for it in items]
    item_dir = None
    paths: dict[str, Path] = {}
    reused = 0
    if out is not None:
        folder = Path(out) / name
        item_dir = folder / "items"
        try:
            item_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # before any work: nothing could be kept
            raise OutputError(f"cannot write under {str(out)!r}: {exc.strerror or exc}") from None
        if resume:
            for i, key in enumerate(keys):
                results[i] = _saved_result(item_dir / f"{key}.json", items[i])
                reused += results[i] is not None
    t0 = time.perf_counter()
    done = [sum(r is not None for r in results)]
    if progress is not None:
        progress(done[0], len(items))

    def on_done(idx: int, result: dict) -> None:
        results[idx] = result
        if item_dir is not None:
            _write_json(item_dir / f"{keys[idx]}.json", {"item": items[idx], "code": code_version(), "result": result})
        done[0] += 1
        if progress is not None and progress(done[0], len(items)):
            raise _Stop  # the caller asked to stop: handled as an interrupt below

    todo = [(i, it) for i, it in enumerate(items) if results[i] is None]
    complete = True
    try:
        if scheduler is not None:
            _dask_map(todo, name, scheduler, on_done)
        else:
            _local_map(todo, name, workers if workers is not None else (os.cpu_count() or 1), on_done)
    except (KeyboardInterrupt, _Stop):
        complete = False
    report = chosen.analyse([r for r in results if r is not None], bool(quick)) if complete else None
    run = StudyRun(chosen, bool(quick), items, results, report, complete, reused, time.perf_counter() - t0)
    if out is not None:
        folder = Path(out) / name
        paths["json"] = folder / f"{name}.json"
        _write_json(paths["json"], run.summary())
        if report is not None:
            paths["csv"] = folder / f"{name}.csv"
            table = io.StringIO(newline="")
            w = csv.writer(table)
            w.writerow(report.columns)
            w.writerows(_clean(report.rows))
            write_text_atomic(paths["csv"], table.getvalue())
        run.paths = paths
    return run


def names() -> list[str]:
    return list(STUDIES)


def describe(names_: Iterable[str] | None = None) -> list[dict[str, str]]:
    return [{"name": s.name, "title": s.title, "claim": s.claim, "source": s.source}
            for s in STUDIES.values() if names_ is None or s.name in names_]
