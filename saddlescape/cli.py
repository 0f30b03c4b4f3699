"""The command line: ``saddlescape [tui|list|run|census|experiment|race|map|connect|dgraph] ...``
(also ``python -m saddlescape``).

The top layer: it may import every other one (the playground included); nothing imports it.

Heavy imports (NumPy, Numba, Textual) happen inside the subcommands, so ``--help`` and
``list`` stay fast. Errors print one line on stderr and exit with status 2.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from saddlescape.landscapes._params import SaddlescapeError

__all__ = ["main"]


class UsageError(SaddlescapeError):
    """Bad input on the command line: printed as one line, exit status 2."""


def _pairs(items: Sequence[str] | None, flag: str) -> dict[str, Any]:
    from saddlescape.landscapes._params import parse_value

    out: dict[str, Any] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UsageError(f"{flag} {item!r} is malformed; write {flag} key=value (e.g. {flag} lr=0.01)")
        out[key.strip()] = parse_value(value)
    return out


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error said in one line (and where to read more), not the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="saddlescape",
        description="Watch optimizers walk loss landscapes; count saddles and minima.")
    sub = p.add_subparsers(dest="command")

    tui = sub.add_parser("tui", help="the live playground (default)")
    srv = sub.add_parser("serve", help="the playground in a browser tab (pip install 'saddlescape[serve]')",
                         description="Serve the playground over HTTP: each browser tab runs its own app. "
                                     "Binds to localhost unless --host says otherwise.")
    for scene in (tui, srv):
        scene.add_argument("--landscape", default=None)
        scene.add_argument("--dim", type=int, default=None)
        scene.add_argument("-p", "--param", dest="params", action="append", metavar="KEY=VALUE",
                           help="landscape parameter")
        scene.add_argument("--optimizer", action="append", default=None, help="repeat to compare (up to 3)")
        scene.add_argument("--walkers", type=int, default=None)
        scene.add_argument("--seed", type=int, default=0)
        scene.add_argument("--saddle-radius", type=float, default=None, metavar="R",
                           help="detection sensitivity, as for `run` (default 0.1)")
    srv.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    srv.add_argument("--port", type=int, default=8000)
    srv.add_argument("--max-sessions", type=int, default=4, help="playgrounds running at once (default 4)")
    srv.add_argument("--allow-plugins", action="store_true",
                     help="let the served playgrounds load plug-in code (module:attr, file.py:attr); off by default")

    ls = sub.add_parser("list", help="list landscapes or optimizers with their parameters")
    ls.add_argument("what", choices=["landscapes", "optimizers"])
    ls.add_argument("--json", action="store_true", help="machine-readable output")

    run = sub.add_parser("run", help="a headless run; JSON summary on stdout or --out")
    run.add_argument("--landscape", required=True, help="name, module:attr or path/to/file.py:attr")
    run.add_argument("--dim", type=int, default=None)
    run.add_argument("-p", "--param", action="append", metavar="KEY=VALUE", help="landscape parameter")
    run.add_argument("--optimizer", required=True, help="name, module:attr or path/to/file.py:attr")
    run.add_argument("-o", "--hyper", action="append", metavar="KEY=VALUE", help="optimizer hyper-parameter")
    run.add_argument("--walkers", type=int, default=16)
    run.add_argument("--steps", type=int, default=1000)
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--record-every", type=int, default=None)
    run.add_argument("--no-events", action="store_true", help="skip saddle-escape and minimum detection")
    run.add_argument("--saddle-radius", type=float, default=None, metavar="R",
                     help="detection sensitivity: a walker passes a saddle (or reaches a minimum) within "
                          "R x the landscape's feature scale of it (default 0.1)")
    run.add_argument("--sharpness-every", type=int, default=0, metavar="K",
                     help="record each walker's sharpness (top Hessian eigenvalue; preconditioned for Adam and "
                          "RMSprop) and the 2/lr threshold every K steps (JSON key sharpness)")
    run.add_argument("--out", default=None, help="write the JSON summary here")
    run.add_argument("--trajectory", default=None, help="write loss history and positions (.npz)")
    run.add_argument("--figure", default=None, metavar="PATH",
                     help="also draw the loss curves, escapes marked: .png, .svg or .pdf "
                          "(pip install 'saddlescape[plot]')")
    cen = sub.add_parser("census", help="find critical points of every index; JSON counts by index")
    cen.add_argument("--landscape", required=True, help="name, module:attr or path/to/file.py:attr")
    cen.add_argument("--dim", type=int, default=None)
    cen.add_argument("-p", "--param", action="append", metavar="KEY=VALUE", help="landscape parameter")
    cen.add_argument("--starts", type=int, default=1000)
    cen.add_argument("--seed", type=int, default=0)
    cen.add_argument("--method", default="all",
                     help="all (default: newton, minima and maxima from the same starts), newton (any index), "
                          "gradnorm, minima, maxima, or quench (L-BFGS down then Newton polish: minima of clusters)")
    cen.add_argument("--domain", default="box",
                     help="box (default: count points inside the landscape's domain) or all (those outside too)")
    cen.add_argument("--max-iter", type=int, default=60)
    cen.add_argument("--out", default=None, help="write the JSON here (default: stdout)")
    cen.add_argument("--figure", default=None, metavar="PATH",
                     help="also draw the index histogram and index against loss: .png, .svg or .pdf")
    mp = sub.add_parser("map", help="fill a landscape map (SQLite): minima, transition states, connections",
                        description="Find minima (quenches from random starts, basin-hopping) and the transition "
                                    "states joining them, into a SQLite file; run again to extend it. With none of "
                                    "--starts, --basin-hopping, --connect on a new map: --starts 100 --connect all.")
    mp.add_argument("--db", required=True, help="the map file (created if missing)")
    mp.add_argument("--landscape", default=None, help="required for a new map; an existing one knows its own")
    mp.add_argument("--dim", type=int, default=None)
    mp.add_argument("-p", "--param", action="append", metavar="KEY=VALUE", help="landscape parameter")
    mp.add_argument("--seed", type=int, default=0)
    mp.add_argument("--starts", type=int, default=None, help="quench from this many random starts")
    mp.add_argument("--basin-hopping", type=int, default=None, metavar="STEPS",
                    help="basin-hopping steps (Wales & Doye 1997) from the lowest minimum known")
    mp.add_argument("--connect", default=None, metavar="lowest:K|all",
                    help="all: eigenvector following from every minimum and bands to its nearest neighbours "
                         "(complete maps of small landscapes); lowest:K: connect the lowest minimum to the next K-1")
    mp.add_argument("--images", type=int, default=12, help="interior images of each elastic band (default 12)")
    con = sub.add_parser("connect", help="find the transition states joining two minima of a map")
    con.add_argument("--db", required=True)
    con.add_argument("--from", dest="source", type=int, required=True, metavar="I", help="minimum id")
    con.add_argument("--to", dest="target", type=int, required=True, metavar="J", help="minimum id")
    con.add_argument("--images", type=int, default=12)
    con.add_argument("--attempts", type=int, default=50, help="bands to try before giving up (default 50; "
                     "LJ38's two funnels took 16 to 39)")
    dg = sub.add_parser("dgraph", help="the disconnectivity graph of a map: terminal, JSON or SVG/PNG")
    dg.add_argument("--db", required=True)
    dg.add_argument("--json", action="store_true", help="minima, transition states, barriers and the tree as JSON")
    dg.add_argument("--out", default=None, help="write the graph as .svg (or .png, with matplotlib installed)")
    dg.add_argument("--levels", type=int, default=20,
                    help="energy levels at which superbasins merge (default 20; 0: at each barrier)")
    dg.add_argument("--max-minima", type=int, default=None, help="draw only this many lowest minima")
    rc = sub.add_parser("race", help="a fair race: optimizers from the same starts and seeds, ECDFs and win rates",
                        description="Every optimizer runs from the same starts on the same seeds for the same budget "
                                    "(its learning rate optionally tuned by one grid on separate seeds); reports "
                                    "runtime-to-target curves, final losses and paired win rates with 95%% intervals.")
    rc.add_argument("--landscape", required=True)
    rc.add_argument("--dim", type=int, default=None)
    rc.add_argument("-p", "--param", action="append", metavar="KEY=VALUE", help="landscape parameter")
    rc.add_argument("--optimizer", action="append", required=True,
                    help="repeat, at least twice; hyper-parameters after the name: --optimizer 'adam lr=0.01'")
    rc.add_argument("--starts", type=int, default=16, help="starting points per seed (default 16)")
    rc.add_argument("--seeds", type=int, default=5, help="evaluation seeds (default 5)")
    rc.add_argument("--seed", type=int, default=0, help="the first evaluation seed (default 0)")
    rc.add_argument("--budget", type=int, default=1000, help="steps per run (default 1000)")
    rc.add_argument("--tune", choices=["lr"], default=None,
                    help="tune each learning rate by the same grid (x1/8 .. x8) on separate seeds first")
    rc.add_argument("--out", default=None, help="write the JSON here (the table goes beside it as .csv)")
    exp = sub.add_parser("experiment", help="named studies of the landscape folklore: list, or run one",
                         description="Run a study: it states a claim and its source, runs a sweep, prints a table, "
                                     "a plot and a verdict, and writes JSON and CSV under --out/NAME.")
    exp.add_argument("name", help="'list', or a study name (see 'saddlescape experiment list')")
    exp.add_argument("--quick", action="store_true", help="the small sweep (under a minute on 2 cores)")
    exp.add_argument("--out", default="experiments-out",
                     help="folder for NAME/NAME.json, NAME.csv and per-item results (default: experiments-out)")
    exp.add_argument("--workers", type=int, default=None, help="local processes (default: CPU count)")
    exp.add_argument("--scheduler", default=None,
                     help="a Dask scheduler, tcp://host:port (pip install 'saddlescape[dask]'); default: "
                          "$DASK_SCHEDULER_ADDRESS when set, else local processes")
    exp.add_argument("--scheduler-file", default=None, metavar="PATH",
                     help="the scheduler file a running Dask scheduler wrote (dask scheduler --scheduler-file)")
    exp.add_argument("--cluster", default=None, metavar="SYSTEM",
                     help="start workers as batch jobs: slurm, pbs, sge or lsf (pip install 'saddlescape[hpc]')")
    exp.add_argument("--jobs", type=int, default=1, help="with --cluster: batch jobs to submit (default 1)")
    exp.add_argument("--cores", type=int, default=4, help="with --cluster: cores per job, one worker each (default 4)")
    exp.add_argument("--memory", default="8GB", help="with --cluster: memory per job (default 8GB)")
    exp.add_argument("--walltime", default="01:00:00", help="with --cluster: time limit per job (default 01:00:00)")
    exp.add_argument("--dry-run", action="store_true", help="with --cluster: print the job script and stop")
    exp.add_argument("--fresh", action="store_true", help="recompute items already on disk instead of resuming")
    exp.add_argument("--json", action="store_true", help="with 'list': machine-readable output")
    exp.add_argument("--figure", default=None, metavar="PATH",
                     help="also draw the study's plot, its claim in the caption: .png, .svg or .pdf")
    return p


def _cmd_experiment(args: argparse.Namespace) -> int:
    from .experiments import _framework as fw

    if args.name == "list":
        rows = fw.describe()
        if args.json:
            print(json.dumps(rows, indent=1))
            return 0
        from rich.console import Console
        from rich.table import Table

        table = Table(title="experiments (saddlescape experiment NAME [--quick])")
        table.add_column("name", style="bold cyan", no_wrap=True)
        table.add_column("claim")
        table.add_column("source", style="dim")
        for row in rows:
            table.add_row(row["name"], f"[bold]{row['title']}[/bold]\n{row['claim']}", row["source"])
        Console().print(table)
        return 0
    if args.workers is not None:
        _at_least(("--workers", args.workers, 1))
    if args.dry_run and not args.cluster:
        raise UsageError("--dry-run prints a batch job script: give --cluster slurm|pbs|sge|lsf too")
    fw.study(args.name)  # an unknown name is said before a cluster starts
    cluster = None
    if args.cluster:
        _at_least(("--jobs", args.jobs, 1), ("--cores", args.cores, 1))
        cluster = fw.batch_cluster(args.cluster, cores=args.cores, memory=args.memory, walltime=args.walltime)
        if args.dry_run:
            try:
                _print(cluster.job_script())
            finally:
                cluster.close()
            return 0
    try:
        return _run_experiment(args, fw, cluster)
    finally:
        if cluster is not None:
            cluster.close()


def _run_experiment(args: argparse.Namespace, fw: Any, cluster: Any) -> int:
    figure = _figure_path(args.figure)
    out = Path(args.out)
    if out.exists() and (not out.is_dir() or not os.access(out, os.W_OK)):
        raise UsageError(f"--out {args.out!r} is not a writable folder")
    from rich.console import Console

    from .experiments import renderable

    err = Console(stderr=True)
    mode = "quick" if args.quick else "full"

    started: list[tuple[float, int]] = []

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if not started:
            started.append((now, done))
        t0, d0 = started[0]
        rate = (done - d0) / (now - t0) if now > t0 and done > d0 else 0.0
        eta = f", ETA {(total - done) / rate:,.0f} s" if rate > 0 and done < total else ""
        line = f"{args.name} ({mode}): {done}/{total} items" + (f", {rate * 60:.1f}/min{eta}" if rate > 0 else "")
        if err.is_terminal:
            err.print(f"[dim]{line}[/dim]", end="\r")
        elif scheduler is not None and done > d0:  # a cluster run's log: one line an item
            err.print(line, markup=False, highlight=False)

    scheduler: Any = None
    if cluster is not None:
        from distributed import Client

        cluster.scale(jobs=args.jobs)
        scheduler = Client(cluster)
        err.print(f"[dim]submitted {args.jobs} {args.cluster} job(s) of {args.cores} workers; items start as "
                  "workers join[/dim]")
    elif args.scheduler_file:
        scheduler = f"file:{args.scheduler_file}"
    elif args.scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS"):
        scheduler = args.scheduler or os.environ["DASK_SCHEDULER_ADDRESS"]
    try:
        run = fw.run_study(args.name, quick=args.quick, out=out, workers=args.workers, scheduler=scheduler,
                           progress=progress, resume=not args.fresh)
    finally:
        if cluster is not None and scheduler is not None:
            scheduler.close()
    Console().print(renderable(run))
    if run.reused:
        err.print(f"[dim]resumed: {run.reused} of {len(run.items)} items were already in {out / args.name}[/dim]")
    if not run.complete:
        print(f"saddlescape: interrupted; {sum(r is not None for r in run.results)}/{len(run.items)} items are in "
              f"{out / args.name}; run the same command again to resume", file=sys.stderr)
        return 130
    err.print(f"[dim]wrote {run.paths['json']} and {run.paths['csv']} ({run.elapsed_s:.1f} s)[/dim]")
    if figure is not None and run.report is not None:
        from ._figures import save_series_figure

        plot, study = run.report.plot, run.study
        save_series_figure(figure, plot.title, plot.xlabel, plot.ylabel, plot.series, logx=plot.logx, logy=plot.logy,
                           caption=f"{study.name} ({'quick' if args.quick else 'full'}): {study.claim} "
                                   f"[{study.source}] Verdict: {'supported' if run.report.supported else 'not supported'}.")
        err.print(f"[dim]drew {figure}[/dim]")
    return 0


def _cmd_census(args: argparse.Namespace) -> int:
    out = _writable(args.out, "--out")
    figure = _figure_path(args.figure)
    lparams = _pairs(args.param, "-p")
    _at_least(("--starts", args.starts, 1), ("--seed", args.seed, 0), ("--max-iter", args.max_iter, 1))
    from saddlescape import landscapes

    from ._census import census

    land = landscapes.make(args.landscape, dim=args.dim, seed=args.seed, **lparams)
    with _progress(f"census of {land.name}", "searches") as progress:
        result = census(land, starts=args.starts, seed=args.seed, method=args.method, max_iter=args.max_iter,
                        domain=args.domain, progress=progress)
    for line in result.warnings:
        print(f"warning: {line}", file=sys.stderr)
    status = _save_json(result, out, "the census")
    if figure is not None:
        from ._figures import save_census_figure

        save_census_figure(figure, result)
    if sys.stderr.isatty():
        counts = ", ".join(f"index {k}: {n}" for k, n in result.counts_by_index.items())
        o = result.outcomes
        print(f"{len(result.critical_points)} critical points ({counts}); {result.n_degenerate} degenerate; "
              f"searches: {o['converged']} converged, {o['outside']} outside the domain, {o['failed']} failed, "
              f"{o['left']} left it", file=sys.stderr)
    if result.stopped_by:
        return 143 if result.stopped_by == "SIGTERM" else 130
    return status


def _open_map(path: str, *, readonly: bool) -> Any:
    from ._landmap import LandscapeMap

    return LandscapeMap(path, readonly=readonly)


def _cmd_map(args: argparse.Namespace) -> int:
    from ._connect import map_landscape, parse_connect
    from ._landmap import LandscapeMap

    _at_least(("--seed", args.seed, 0), ("--images", args.images, 1))
    for flag, value in (("--starts", args.starts), ("--basin-hopping", args.basin_hopping)):
        if value is not None:
            _at_least((flag, value, 0))
    if args.connect is not None:
        parse_connect(args.connect)
    lparams = _pairs(args.param, "-p")
    exists = Path(args.db).is_file()
    if not exists and args.landscape is None:
        raise UsageError(f"--db {args.db!r} does not exist yet; say which landscape to map with --landscape")
    if not exists:
        _writable(args.db, "--db")
    land = None
    if args.landscape is not None:
        from saddlescape import landscapes

        land = landscapes.make(args.landscape, dim=args.dim, seed=args.seed, **lparams)
    elif args.dim is not None or lparams:
        raise UsageError("--dim and -p describe a new map's landscape; an existing map keeps its own "
                         "(give --landscape too, to check it)")
    starts, bh, connect = args.starts, args.basin_hopping, args.connect
    with LandscapeMap(args.db, land) as lmap:
        if starts is None and bh is None and connect is None:
            starts, connect = (100, "all") if lmap.counts()[0] == 0 else (0, "all")
        with _progress(f"map of {lmap.landscape.name}", "") as bar:

            def progress(stage: str, done: int, total: int) -> None:
                if bar is not None:
                    bar(done, total)

            report = map_landscape(lmap, starts=starts or 0, basin_hopping_steps=bh or 0, connect=connect,
                                   seed=args.seed, images=args.images, progress=progress)
    for line in report.warnings:
        print(f"saddlescape: {line}", file=sys.stderr)
    _print(json.dumps({"db": args.db, **report.summary()}, indent=1))
    if report.stopped_by:
        return 143 if report.stopped_by == "SIGTERM" else 130
    return 0


def _cmd_connect(args: argparse.Namespace) -> int:
    from ._connect import connect_in_map

    _at_least(("--images", args.images, 1), ("--attempts", args.attempts, 1))
    with _open_map(args.db, readonly=True) as check:  # every check before the file is opened for writing
        for flag, i in (("--from", args.source), ("--to", args.target)):
            if not check.has_minimum(i):
                n = check.counts()[0]
                raise UsageError(f"{flag} {i}: no minimum with that id in {args.db!r} (ids run 1..{n})"
                                 if n else f"{flag} {i}: {args.db!r} has no minima yet (run saddlescape map)")
        if args.source == args.target:
            raise UsageError(f"--from and --to are the same minimum ({args.source}); give two different ones")
    from ._signals import stop_requests

    with _open_map(args.db, readonly=False) as lmap, stop_requests() as stop:
        result = connect_in_map(lmap, args.source, args.target, images=args.images, max_attempts=args.attempts,
                                stop=stop)
        out = result.summary()
        ts_energy = {t["id"]: t["energy"] for t in lmap.transition_states()}
        out["path"] = [{"kind": k, "id": i, "energy": lmap.minimum_energy(i) if k == "minimum" else ts_energy[i]}
                       for k, i in result.path]
    for line in result.warnings:
        print(f"saddlescape: {line}", file=sys.stderr)
    _print(json.dumps(out, indent=1))
    if stop.name:
        return 143 if stop.name == "SIGTERM" else 130
    return 0 if result.connected else 1


def _cmd_dgraph(args: argparse.Namespace) -> int:
    from ._dgraph import disconnectivity_graph

    out = _writable(args.out, "--out")
    if out is not None and out.suffix.lower() not in (".svg", ".png"):
        raise UsageError(f"--out {args.out!r}: the graph is written as .svg or .png")
    _at_least(("--levels", args.levels, 0))
    if args.max_minima is not None:
        _at_least(("--max-minima", args.max_minima, 1))
    with _open_map(args.db, readonly=True) as lmap:
        graph = disconnectivity_graph(lmap, levels=args.levels)
    if out is not None:
        from ._files import write_text_atomic

        if out.suffix.lower() == ".png":
            write_png(graph, out, args.max_minima or 2000)
        else:
            write_text_atomic(out, graph.svg(max_minima=args.max_minima or 2000))
        print(f"saddlescape: wrote {out}", file=sys.stderr)
    if args.json:
        _print(json.dumps(graph.summary(), indent=1))
    elif out is None:
        size = os.get_terminal_size(sys.stdout.fileno()) if sys.stdout.isatty() else os.terminal_size((100, 30))
        _print("\n".join(graph.render(size.columns, max(10, size.lines - 2), args.max_minima)))
    return 0


def write_png(graph: Any, out: Path, max_minima: int) -> None:
    """The graph as PNG through matplotlib (optional: ``pip install 'saddlescape[figures]'``)."""
    from ._figures import _pyplot
    from ._files import write_atomic

    plt = _pyplot()  # (one line naming the extra when matplotlib is missing)

    segs, leaves, _lo, _hi = graph._segments(max_minima)
    fig, ax = plt.subplots(figsize=(8, 6), dpi=150)
    for x0, e0, x1, e1 in segs:
        ax.plot([x0, x1], [e0, e1], color="black", linewidth=0.8)
    ax.set_ylabel("energy")
    ax.set_xticks([])
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    spec = graph.landscape
    ax.set_title(f"{spec.get('name', '')} (dim {spec.get('dim', '')}): {len(leaves)} minima, "
                 f"{len(graph.transition_states)} transition states", fontsize=10)
    try:
        write_atomic(out, lambda fh: fig.savefig(fh, format="png", bbox_inches="tight"))
    finally:
        plt.close(fig)


def _cmd_race(args: argparse.Namespace) -> int:
    out = _writable(args.out, "--out")
    lparams = _pairs(args.param, "-p")
    _at_least(("--starts", args.starts, 1), ("--seeds", args.seeds, 1), ("--budget", args.budget, 1),
              ("--seed", args.seed, 0))
    if len(args.optimizer) < 2:
        raise UsageError(f"a race needs at least two --optimizer options; got {len(args.optimizer)}")
    from saddlescape import landscapes, optimizers

    from ._race import _parse, race

    land = landscapes.make(args.landscape, dim=args.dim, seed=args.seed, **lparams)
    for o in args.optimizer:  # every name and hyper-parameter checked before anything runs
        name, hyper = _parse(o)
        optimizers.make(name, **hyper)
    with _progress(f"race on {land.name}", "runs") as progress:
        result = race(land, args.optimizer, starts=args.starts, seeds=args.seeds, budget=args.budget,
                      seed=args.seed, tune=args.tune, progress=progress)
    from rich.console import Console
    from rich.table import Table

    cols, rows = result.table()
    table = Table(title=f"race on {land.name} (dim {land.dim}): {args.starts} starts x {args.seeds} seeds, "
                        f"{args.budget} steps" + (", lr tuned on separate seeds" if args.tune else ""))
    for c in cols:
        table.add_column(c, justify="left" if c == "optimizer" else "right")
    for row in rows:
        table.add_row(*[f"{v:.4g}" if isinstance(v, float) else str(v) for v in row])
    err = Console(stderr=out is None)  # the JSON alone on stdout when it goes there
    err.print(table)
    from .experiments._framework import Plot
    from .experiments._plot import render_plot

    plot = Plot("fraction of (start, target) pairs reached within t steps", "steps", "fraction",
                result.ecdf_series(), logx=True)
    err.print("\n".join(render_plot(plot)), markup=False, highlight=False)
    for line in result.warnings:
        err.print(f"warning: {line}", markup=False)
    err.print(f"verdict: {result.verdict}", markup=False)
    if out is None:
        _print(json.dumps(result.summary(), indent=1))
        return 0
    import csv
    import io

    from ._files import OutputError, write_text_atomic

    buf = io.StringIO()
    csv.writer(buf).writerows([cols, *rows])
    try:
        write_text_atomic(out, json.dumps(result.summary(), indent=1))
        write_text_atomic(out.with_suffix(".csv"), buf.getvalue())
    except OutputError as exc:
        print(f"saddlescape: {exc}; the result is on stdout instead", file=sys.stderr)
        _print(json.dumps(result.summary(), indent=1))
        return 1
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    if args.what == "landscapes":
        from saddlescape.landscapes._catalog import BUILTIN_FAMILIES

        rows = [f.describe() for f in BUILTIN_FAMILIES]
        title = "landscapes"
    else:
        from saddlescape.optimizers._catalog import BUILTIN_OPTIMIZERS

        rows = [{"name": s.name, "summary": s.summary, "reference": s.reference,
                 "params": [p.describe() for p in s.params]} for s in BUILTIN_OPTIMIZERS]
        title = "optimizers"
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    table.add_column("name", style="bold cyan", no_wrap=True)
    table.add_column("what")
    table.add_column("parameters (default; allowed)")
    for row in rows:
        params = "\n".join(f"{q['name']}={q['default']!r}  ({q['allowed']})" for q in row["params"]) or "-"
        what = row["summary"] + (f"\n[dim]{row['dims']}[/dim]" if "dims" in row else "")
        what += f"\n[dim]{row['reference']}[/dim]" if row.get("reference") else ""
        what += f"\n[dim italic]{row['conventions']}[/dim italic]" if row.get("conventions") else ""
        table.add_row(row["name"], what, params)
    console = Console()
    console.print(table)
    rules = {(q["name"], q["auto"]) for row in rows for q in row["params"] if q.get("auto")}
    for name, rule in sorted(rules):  # how an 'auto' default is chosen, said once
        console.print(f"{name}='auto' is chosen per run: {rule}; the value is in the run's JSON "
                      f"(optimizer.auto) and an explicit -o {name}=... always wins", markup=False)
    return 0


def _at_least(*checks: tuple[str, int, int]) -> None:
    """Each (flag, value, low): the value must be an integer >= low."""
    for flag, value, low in checks:
        if value < low:
            raise UsageError(f"{flag} {value} is not allowed; use an integer >= {low}")


def _writable(path: str | None, flag: str) -> Path | None:
    if path is None:
        return None
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if p.is_dir() or not parent.is_dir() or not os.access(parent, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise UsageError(f"{flag} {path!r} is not a writable file path")
    return p


def _cmd_run(args: argparse.Namespace) -> int:
    out = _writable(args.out, "--out")
    figure = _figure_path(args.figure)
    traj = _writable(args.trajectory, "--trajectory")
    lparams = _pairs(args.param, "-p")
    hyper = _pairs(args.hyper, "-o")
    _at_least(("--walkers", args.walkers, 1), ("--steps", args.steps, 0), ("--seed", args.seed, 0),
              ("--sharpness-every", args.sharpness_every, 0))
    from saddlescape import landscapes, optimizers

    from ._engine import DEFAULT_SADDLE_RADIUS, check_saddle_radius, run

    land = landscapes.make(args.landscape, dim=args.dim, seed=args.seed, **lparams)
    opt = optimizers.make(args.optimizer, **hyper)
    radius = check_saddle_radius(args.saddle_radius) if args.saddle_radius is not None else DEFAULT_SADDLE_RADIUS
    with _progress(f"{opt.name} on {land.name}", "steps") as progress:
        callback = None if progress is None else lambda s: progress(s.t, args.steps)
        result = run(land, opt, walkers=args.walkers, steps=args.steps, seed=args.seed,
                     record_every=args.record_every, record_positions=traj is not None,
                     callback=callback, detect=not args.no_events, saddle_radius=radius,
                     sharpness_every=args.sharpness_every)
    status = _save_run(result, out, traj)
    if figure is not None:
        from ._figures import save_run_figure

        save_run_figure(figure, result)
    for line in result.warnings:  # e.g. most walkers diverged: how many, by when, a stable step size
        print(f"saddlescape: {line}", file=sys.stderr)
    if result.stopped_by == "error":  # (the line saying what raised is among the warnings above)
        return 1
    if not result.complete:
        how = "terminated (SIGTERM)" if result.stopped_by == "SIGTERM" else "interrupted"
        print(f"saddlescape: {how} at step {result.steps} of {result.steps_requested}; "
              "wrote what was computed (complete: false)", file=sys.stderr)
        return 143 if result.stopped_by == "SIGTERM" else 130
    return status


def _figure_path(path: str | None) -> Path | None:
    """``--figure``: checked before any work (the format by its suffix, matplotlib there, the folder
    writable), so a long run never ends on a figure that cannot be drawn."""
    if path is None:
        return None
    from ._figures import _pyplot, check_figure_path

    p = check_figure_path(path)
    _pyplot()
    return _writable(str(p), "--figure")


@contextlib.contextmanager
def _progress(what: str, unit: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr when it is a terminal (gone when done): ``update(done, total)``;
    None when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn(f"{{task.completed}}/{{task.total}} {unit}"),
                   TimeRemainingColumn(), console=Console(stderr=True), transient=True)
    task = bar.add_task(what, total=None)
    bar.start()
    try:
        yield lambda done, total: bar.update(task, completed=done, total=total)
    finally:
        bar.stop()


def _save_json(result: Any, out: Path | None, what: str) -> int:
    """``result.save(out)``, or its JSON on stdout (no ``out``, or ``out`` cannot be written:
    said in one line, and 1 returned)."""
    from ._files import OutputError

    if out is not None:
        try:
            result.save(out)
            return 0
        except OutputError as exc:
            print(f"saddlescape: {exc}; {what} is on stdout instead", file=sys.stderr)
    _print(json.dumps(result.summary(), indent=1))
    return 0 if out is None else 1


def _save_run(result: Any, out: Path | None, traj: Path | None) -> int:
    """Write the run's JSON (to ``out`` or stdout) and trajectory; a file that cannot be written
    is said in one line and its content kept elsewhere (the JSON on stdout, the trajectory in the
    temporary folder): 1 then, else 0."""
    import tempfile

    from ._files import OutputError

    status = _save_json(result, out, "the result")
    if traj is not None:
        try:
            result.save_trajectory(traj)
        except OutputError as exc:
            spare = Path(tempfile.gettempdir()) / f"saddlescape-{os.getpid()}-{traj.name}"
            try:
                result.save_trajectory(spare)
                print(f"saddlescape: {exc}; the trajectory was written to {spare} instead", file=sys.stderr)
            except OutputError:
                print(f"saddlescape: {exc}; no other place to write the trajectory could be found", file=sys.stderr)
            status = 1
    return status


def _print(text: str) -> None:
    """Print to stdout; a reader that closed the pipe early (``| head``) ends the output quietly."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # (so the interpreter's own flush at exit cannot fail)


def _cmd_serve(args: argparse.Namespace) -> int:
    from ._serve import LOCAL_HOSTS, NO_PLUGINS_ENV, make_server

    if not args.allow_plugins:
        os.environ[NO_PLUGINS_ENV] = "1"  # (so the scene checked below refuses plug-in paths too)
    _check_scene(args)
    tui_args: list[str] = []
    for flag, value in (("--landscape", args.landscape), ("--dim", args.dim), ("--walkers", args.walkers),
                        ("--seed", args.seed), ("--saddle-radius", args.saddle_radius)):
        if value is not None:
            tui_args += [flag, str(value)]
    for key, value in (args.params or {}).items():
        tui_args += ["-p", f"{key}={value}"]
    for name in args.optimizer or ():
        tui_args += ["--optimizer", name]
    server = make_server(tui_args, host=args.host, port=args.port, max_sessions=args.max_sessions,
                         allow_plugins=args.allow_plugins)
    if args.host not in LOCAL_HOSTS:
        print(f"saddlescape: warning: serving on {args.host}: anyone who can reach it can use this machine's CPU"
              + (" and run code through plug-in paths" if args.allow_plugins else ""), file=sys.stderr)
    server.serve()
    return 0


def _check_scene(args: argparse.Namespace) -> None:
    """The scene options of `tui` and `serve`, checked so a bad one is one line before anything starts."""
    from saddlescape.tui import _defaults

    if args.params is not None and not isinstance(args.params, dict):
        args.params = _pairs(args.params, "-p")
    if args.walkers is not None:
        _at_least(("--walkers", args.walkers, 1))
    if args.landscape is not None or args.dim is not None or args.params:
        from saddlescape import landscapes

        land = landscapes.make(args.landscape or _defaults.LANDSCAPE, dim=args.dim, seed=args.seed,
                               **(args.params or {}))
        from ._engine import check_memory

        n_opt = len(args.optimizer or _defaults.OPTIMIZERS)
        check_memory(args.walkers or _defaults.default_walkers(land.dim), land.dim, runs=n_opt,
                     what=f"{n_opt} optimizer(s) on one set of starts")
    if args.optimizer:
        from saddlescape import optimizers

        if len(args.optimizer) > 3:
            raise UsageError("at most 3 --optimizer options compare at once")
        for name in args.optimizer:
            optimizers.make(name)
    if args.saddle_radius is not None:
        from ._engine import check_saddle_radius

        check_saddle_radius(args.saddle_radius)


def _cmd_tui(args: argparse.Namespace) -> int:
    from saddlescape.tui import launch

    _check_scene(args)
    return launch(landscape=args.landscape, dim=args.dim, params=args.params, optimizers=args.optimizer,
                  walkers=args.walkers, seed=args.seed, saddle_radius=args.saddle_radius)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    command = args.command or "tui"
    if args.command is None:
        args = _parser().parse_args(["tui", *(argv or [])])
    from ._trap import install, take_interrupt

    install()  # Ctrl-C while Numba compiles is taken, not printed and lost
    try:
        status = {"list": _cmd_list, "run": _cmd_run, "census": _cmd_census, "tui": _cmd_tui, "serve": _cmd_serve,
                  "experiment": _cmd_experiment, "map": _cmd_map, "race": _cmd_race, "connect": _cmd_connect,
                  "dgraph": _cmd_dgraph}[command](args)
        if take_interrupt():  # swallowed by a compiler callback and not taken by a loop since
            raise KeyboardInterrupt
        return status
    except SaddlescapeError as exc:  # bad input (ParamError, PluginError, UsageError): one line naming the value
        print(f"saddlescape: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("saddlescape: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
