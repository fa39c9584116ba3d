"""``kodelab bench latency | regrade | load | all``: run, print tables, write JSON results."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from rich.console import Console

from ..content.catalog import SHIPPED_CHALLENGES, resolve_challenge
from ..content.challenge import Challenge
from ..content.errors import ContentError
from . import latency, load, regrade
from .common import BenchFailure, machine, ratio, results_dir, stamp, utc_now, write_results
from .server import BenchServer

METHOD_LATENCY = (
    "every series grades submission i in round i; the series' order rotates each round; "
    "before each timed run every pool is full and idle; one warm-up round not recorded; "
    "p90/p95 by linear interpolation; ratios are baseline median / our median"
)


def _challenge(name: str, console: Console) -> Challenge | None:
    try:
        loaded = resolve_challenge(name, [SHIPPED_CHALLENGES])
    except ContentError as exc:
        for issue in exc.issues:
            console.print(f"[red]{issue}[/]")
        return None
    if loaded.spec.language != "python":
        console.print(
            f"[red]kodelab bench: {loaded.id} is a {loaded.spec.language} challenge; the "
            "baselines (nbclient, nbgrader) only cover python challenges[/]"
        )
        return None
    return loaded


async def _latency(
    challenge: Challenge,
    options: latency.LatencyOptions,
    console: Console,
    folder: Path,
    server: BenchServer | None,
) -> dict[str, Any]:
    started = utc_now()
    console.rule(
        f"latency: {challenge.id} ({len(challenge.spec.tests)} tests), {options.runs} runs"
    )
    series, extra = await latency.measure(challenge, options, console, server)
    latency.print_tables(console, series, options.runs)
    goals = latency.targets(series)
    latency.print_targets(console, goals)
    limits = latency.limits_explained(series)
    for line in limits:
        console.print(f"local-pool: {line}")
    profile = extra.pop("profile", None)
    document: dict[str, Any] = {
        "challenge": challenge.id,
        "tests": len(challenge.spec.tests),
        "runs": options.runs,
        "method": METHOD_LATENCY,
        "series": {name: s.to_json() for name, s in series.items()},
        "ratios": {
            name: {
                f"vs_{base}": None if (r := ratio(series[base], s)) is None else round(r, 3)
                for base in latency.BASELINES
            }
            for name, s in series.items()
            if name not in latency.BASELINES
        },
        "targets": goals,
        "limits": limits,
        **extra,
    }
    if profile is not None:
        stats = profile.pop("stats")
        prof = folder / f"latency-{stamp(started)}.prof"
        folder.mkdir(parents=True, exist_ok=True)
        stats.dump_stats(str(prof))
        document["profile"] = {**profile, "file": str(prof)}
        console.print(
            f"cProfile of {profile['runs']} more local-pool runs (grader side): {prof} "
            f"(`python -m pstats {prof}`)"
        )
    path = write_results("latency", document, folder, started)
    console.print(f"results written to {path}")
    return {"file": str(path), **document}


async def _regrade(
    challenge: Challenge, options: regrade.RegradeOptions, console: Console, folder: Path
) -> dict[str, Any]:
    started = utc_now()
    console.rule(f"regrade: {options.count} submissions of {challenge.id}")
    batches = await regrade.measure(challenge, options, console)
    regrade.print_table(console, batches, options.count)
    document = {
        "challenge": challenge.id,
        "submissions": options.count,
        "jobs": options.jobs or os.cpu_count(),
        "series": {name: b.to_json() for name, b in batches.items()},
        "ratios": {
            name: {
                "vs_nbgrader": None
                if (r := regrade.speedup(batches, name)) is None
                else round(r, 3)
            }
            for name in ("ours-pool", "ours-fresh")
        },
    }
    path = write_results("regrade", document, folder, started)
    console.print(f"results written to {path}")
    return {"file": str(path), **document}


async def _load(
    challenge: Challenge,
    options: load.LoadOptions,
    console: Console,
    folder: Path,
    server: BenchServer | None,
) -> dict[str, Any]:
    started = utc_now()
    console.rule(
        f"load: {options.students} students x {options.submissions} submissions of {challenge.id}"
    )
    own = server is None
    if server is None:
        server = BenchServer()
        with console.status("starting jupyter server on 127.0.0.1 ..."):
            await server.start()
    try:
        result = await load.run_load_on(server, challenge, options, console)
    finally:
        if own:
            await server.stop()
    load.print_table(console, result)
    goals = load.targets(result)
    latency.print_targets(console, goals)
    config = server.config()
    config["IdentityProvider"] = {"token": "(random)"}
    document = {
        "challenge": challenge.id,
        "options": {
            "students": options.students,
            "submissions": options.submissions,
            "ramp_s": options.ramp,
            "timeout_s": options.timeout,
            "probe_interval_s": options.probe_interval,
            "student_poll_s": options.student_poll,
        },
        "server_config": config,
        "result": result.to_json(),
        "targets": goals,
    }
    path = write_results("load", document, folder, started)
    console.print(f"results written to {path}")
    return {"file": str(path), **document}


def _console() -> Console:
    """The console; wide enough for the tables when the output is not a terminal (a log)."""
    console = Console()
    if not console.is_terminal:
        console.width = max(console.width, 150)
    return console


def _run(work: Callable[[Console], Coroutine[Any, Any, int]]) -> int:
    console = _console()
    try:
        return asyncio.run(work(console))
    except BenchFailure as exc:
        console.print(f"[red]kodelab bench: {exc}[/]")
        console.print(
            "[red]A benchmark of a broken grader is worthless: nothing more is written.[/]"
        )
        return 1
    except ValueError as exc:
        console.print(f"[red]kodelab bench: {exc}[/]")
        return 2


def run_latency(
    challenge: str = "two-sum",
    output_dir: Path | None = None,
    options: latency.LatencyOptions | None = None,
) -> int:
    """``kodelab bench latency``: 0 when done, 1 when a run graded wrongly, 2 on bad input."""
    opts = options or latency.LatencyOptions()

    async def work(console: Console) -> int:
        if opts.runs < 1:
            raise ValueError("--runs must be at least 1")
        loaded = _challenge(challenge, console)
        if loaded is None:
            return 2
        await _latency(loaded, opts, console, results_dir(output_dir), None)
        return 0

    return _run(work)


def run_regrade(
    challenge: str = "two-sum",
    output_dir: Path | None = None,
    options: regrade.RegradeOptions | None = None,
) -> int:
    """``kodelab bench regrade``."""
    opts = options or regrade.RegradeOptions()

    async def work(console: Console) -> int:
        if opts.count < 1:
            raise ValueError("--count must be at least 1")
        loaded = _challenge(challenge, console)
        if loaded is None:
            return 2
        await _regrade(loaded, opts, console, results_dir(output_dir))
        return 0

    return _run(work)


def run_load(
    challenge: str = "two-sum",
    output_dir: Path | None = None,
    options: load.LoadOptions | None = None,
) -> int:
    """``kodelab bench load``: 1 also when there were failures under load."""
    opts = options or load.LoadOptions()

    async def work(console: Console) -> int:
        loaded = _challenge(challenge, console)
        if loaded is None:
            return 2
        doc = await _load(loaded, opts, console, results_dir(output_dir), None)
        return 1 if doc["result"]["failures"] else 0

    return _run(work)


def run_all(
    challenge: str = "two-sum",
    output_dir: Path | None = None,
    latency_options: latency.LatencyOptions | None = None,
    regrade_options: regrade.RegradeOptions | None = None,
    load_options: load.LoadOptions | None = None,
) -> int:
    """``kodelab bench all``: latency, regrade and load in one run (one server for the API
    series and the load), plus ``all-<time>.json`` with every result and target."""
    lat = latency_options or latency.LatencyOptions()
    reg = regrade_options or regrade.RegradeOptions()
    lod = load_options or load.LoadOptions()

    async def work(console: Console) -> int:
        if lat.runs < 1 or reg.count < 1:
            raise ValueError("--runs and --count must be at least 1")
        loaded = _challenge(challenge, console)
        if loaded is None:
            return 2
        folder = results_dir(output_dir)
        started = utc_now()
        server = None
        if lat.api:
            server = BenchServer()
            with console.status("starting jupyter server on 127.0.0.1 ..."):
                await server.start()
        try:
            lat_doc = await _latency(loaded, lat, console, folder, server)
            reg_doc = await _regrade(loaded, reg, console, folder)
            load_doc = await _load(loaded, lod, console, folder, server)
        finally:
            if server is not None:
                await server.stop()
        goals = lat_doc["targets"] + load_doc["targets"]
        console.rule("all targets")
        latency.print_targets(console, goals)
        document = {
            "challenge": loaded.id,
            "latency": lat_doc,
            "regrade": reg_doc,
            "load": load_doc,
            "targets": goals,
            "machine": machine(),
        }
        path = write_results("all", document, folder, started)
        console.print(f"all results written to {path}")
        return 1 if load_doc["result"]["failures"] else 0

    return _run(work)


def run_benchmark(
    runs: int = 10,
    challenge: str = "two-sum",
    output_dir: Path | None = None,
    **options: Any,
) -> int:
    """The latency benchmark (``kodelab bench``): kept for callers of the first version."""
    return run_latency(challenge, output_dir, latency.LatencyOptions(runs=runs, **options))
