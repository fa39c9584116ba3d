"""Grading-latency benchmark: our sandboxed judge against plain nbclient on a bare kernel.

Both series grade the challenge's own reference solution, interleaved (A, B, A, B, ...)
after one warm-up each, so they share the machine's noise:

* **A (ours)**: ``await Judge(sandbox_class=...).grade(challenge, answer)``, a fresh
  sandboxed kernel per run, timed end to end. The same runs are split into phases
  (kernel start, harness boot, answer cell, tests, teardown) by timing
  ``judge.sandbox.start_kernel`` and ``Judge._run`` from the outside.
* **B (baseline)**: the naive nbgrader-style approach, a freshly built nbformat notebook
  (one answer cell, then one cell per test that calls the entry point and compares with
  ``==`` in the kernel) executed by ``NotebookClient(nb, kernel_name="python3")`` on a
  fresh, UNSANDBOXED kernel per run.

Every run of ours must be ``accepted`` and every baseline run must pass (when the challenge
compares exactly, so ``==`` is the right check): a benchmark of a broken grader is worthless.
Results are printed as a table and written to ``benchmarks/results/latency-<UTC time>.json``.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from .content.catalog import SHIPPED_CHALLENGES, resolve_challenge
from .content.challenge import Challenge
from .content.errors import ContentError
from .content.model import TestSpec
from .grading.judge import Judge
from .grading.verdict import Verdict
from .sandbox import SANDBOXES, SandboxKernel, SandboxUnavailable
from .sandbox.limits import Limits

_PASS = "KODELAB-BENCH-PASS"
_FAIL = "KODELAB-BENCH-FAIL"
OURS_PHASES = ("start_kernel", "boot", "answer", "tests", "teardown")
BASELINE_PHASES = ("startup", "cells", "teardown")


@dataclass
class Series:
    """The wall times of one measured series, plus the same runs split into phases."""

    name: str
    label: str
    totals: list[float] = field(default_factory=list)
    phases: dict[str, list[float]] = field(default_factory=dict)
    per_test: dict[str, list[float]] = field(default_factory=dict)

    def add(
        self, total: float, phases: dict[str, float], per_test: dict[str, float] | None = None
    ) -> None:
        """Record one run's total wall time, phase and per-test durations (seconds)."""
        self.totals.append(total)
        for name, seconds in phases.items():
            self.phases.setdefault(name, []).append(seconds)
        for name, seconds in (per_test or {}).items():
            self.per_test.setdefault(name, []).append(seconds)

    def to_json(self) -> dict[str, Any]:
        """Raw samples and summary statistics, rounded to microseconds."""
        return {
            "label": self.label,
            "stats": summarize(self.totals),
            "samples_s": [round(t, 6) for t in self.totals],
            "phases": {
                name: {"stats": summarize(values), "samples_s": [round(v, 6) for v in values]}
                for name, values in self.phases.items()
            },
            "per_test_median_s": {
                name: round(statistics.median(values), 6) for name, values in self.per_test.items()
            },
        }


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) by linear interpolation between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize(values: Sequence[float]) -> dict[str, float]:
    """Median, p90, min, max and mean of ``values`` (seconds, rounded to microseconds)."""
    return {
        "median": round(statistics.median(values), 6),
        "p90": round(percentile(values, 0.9), 6),
        "min": round(min(values), 6),
        "max": round(max(values), 6),
        "mean": round(statistics.fmean(values), 6),
    }


class _TimedJudge(Judge):
    """A Judge that notes when its grading run starts and ends, for the phase split."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.marks: dict[str, float] = {}

    async def _run(self, *args: Any, **kwargs: Any) -> Verdict:
        self.marks["run_start"] = time.perf_counter()
        try:
            return await super()._run(*args, **kwargs)
        finally:
            self.marks["run_end"] = time.perf_counter()


def _time_start_kernel(judge: _TimedJudge) -> None:
    """Wrap ``judge.sandbox.start_kernel`` (on this instance only) to note when it returns."""
    start_kernel: Callable[..., Awaitable[SandboxKernel]] = judge.sandbox.start_kernel

    async def timed(limits: Limits, hidden: Sequence[str] = ()) -> SandboxKernel:
        try:
            return await start_kernel(limits, hidden)
        finally:
            judge.marks["kernel_started"] = time.perf_counter()

    judge.sandbox.start_kernel = timed  # type: ignore[method-assign,assignment]


class _TimedClient(NotebookClient):  # type: ignore[misc]
    """nbclient noting when the first cell starts and the last one ends."""

    def __init__(self, nb: Any, **kwargs: Any) -> None:
        super().__init__(nb, **kwargs)
        self.first_cell_at: float | None = None
        self.last_cell_end: float | None = None

    async def async_execute_cell(self, cell: Any, cell_index: int, *args: Any, **kw: Any) -> Any:
        if self.first_cell_at is None:
            self.first_cell_at = time.perf_counter()
        try:
            return await super().async_execute_cell(cell, cell_index, *args, **kw)
        finally:
            self.last_cell_end = time.perf_counter()


def _literal(value: Any) -> str:
    """Python source for a test argument; ``{$dataframe: records}`` becomes a DataFrame."""
    if isinstance(value, dict) and set(value) == {"$dataframe"}:
        return f"__import__('pandas').DataFrame.from_records({value['$dataframe']!r})"
    return repr(value)


def _test_cell(entry: str, test: TestSpec) -> str:
    """One baseline test cell: call the entry point, compare with ``==``, print the outcome."""
    if test.is_code:
        return f"{test.code}\nprint({_PASS!r})"
    args = ", ".join(_literal(a) for a in test.args or [])
    kwargs = ", ".join(f"{k}={_literal(v)}" for k, v in (test.kwargs or {}).items())
    call = ", ".join(p for p in (args, kwargs) if p)
    return (
        f"__result = {entry}({call})\n"
        f"__expected = {test.expected!r}\n"
        "try:\n"
        "    __ok = bool(__result == __expected)\n"
        "except Exception:\n"
        "    __ok = False\n"
        f"print({_PASS!r} if __ok else {_FAIL!r})\n"
        "__result"
    )


def baseline_notebook(challenge: Challenge, answer: str) -> Any:
    """A fresh notebook: the answer cell, then one cell per test of the challenge."""
    entry = challenge.spec.entrypoint or ""
    cells = [nbformat.v4.new_code_cell(answer)]
    cells += [nbformat.v4.new_code_cell(_test_cell(entry, t)) for t in challenge.spec.tests]
    return nbformat.v4.new_notebook(cells=cells)


def _has_tags(value: Any) -> bool:
    """Whether ``value`` holds a ``{$tag: ...}`` object (a DataFrame, tuple, set ...)."""
    if isinstance(value, dict):
        return any(str(k).startswith("$") or _has_tags(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_tags(v) for v in value)
    return False


def _naive_check_is_exact(challenge: Challenge) -> bool:
    """Whether ``==`` in the notebook must agree with the judge: exact mode, plain data."""
    if challenge.spec.compare.mode != "exact":
        return False
    return not any(
        _has_tags([t.args, t.kwargs, t.expected]) for t in challenge.spec.tests if not t.is_code
    )


def _passed_cells(nb: Any) -> int:
    """How many executed test cells printed the pass marker."""
    count = 0
    for cell in nb.cells[1:]:
        text = "".join(
            o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream"
        )
        count += _PASS in text
    return count


async def run_ours(
    judge: _TimedJudge, challenge: Challenge, answer: str
) -> tuple[float, dict[str, float], Verdict]:
    """One graded run of ours: total wall seconds, phase split, and the verdict."""
    judge.marks.clear()
    began = time.perf_counter()
    verdict = await judge.grade(challenge, answer)
    ended = time.perf_counter()
    marks = judge.marks
    phases: dict[str, float] = {}
    if {"kernel_started", "run_start", "run_end"} <= marks.keys():
        tests = sum(t.duration_s for t in verdict.tests)
        run = marks["run_end"] - marks["run_start"]
        phases = {
            "start_kernel": marks["kernel_started"] - began,
            "boot": marks["run_start"] - marks["kernel_started"],
            "answer": max(0.0, run - tests),
            "tests": tests,
            "teardown": ended - marks["run_end"],
        }
    return ended - began, phases, verdict


async def run_baseline(challenge: Challenge, answer: str) -> tuple[float, dict[str, float], int]:
    """One baseline run: total wall seconds, phase split, and how many test cells passed."""
    nb = baseline_notebook(challenge, answer)
    client = _TimedClient(nb, kernel_name="python3", timeout=60)
    began = time.perf_counter()
    # The kernel's own log (a TCP-without-encryption warning) would garble the progress bar.
    await client.async_execute(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ended = time.perf_counter()
    first = client.first_cell_at or began
    last = client.last_cell_end or ended
    phases = {"startup": first - began, "cells": last - first, "teardown": ended - last}
    return ended - began, phases, _passed_cells(nb)


def _results_dir() -> Path:
    """``benchmarks/results`` of the source checkout, else of the current directory."""
    checkout = Path(__file__).resolve().parents[1] / "benchmarks"
    base = checkout if checkout.is_dir() else Path.cwd() / "benchmarks"
    return base / "results"


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("kodelab-jupyter", "nbclient", "jupyter_client", "ipykernel", "pyzmq"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "?"
    return found


def _print_tables(console: Console, ours: Series, baseline: Series, ratio: float) -> None:
    table = Table(title=f"Grading latency, {len(ours.totals)} runs each (seconds)")
    for column in ("series", "median", "p90", "min"):
        table.add_column(column, justify="left" if column == "series" else "right")
    for series in (ours, baseline):
        s = summarize(series.totals)
        table.add_row(series.label, f"{s['median']:.3f}", f"{s['p90']:.3f}", f"{s['min']:.3f}")
    console.print(table)
    console.print(f"ratio ours/baseline (medians): [bold]{ratio:.2f}x[/]")

    split = Table(title="Where the time goes (medians of the same runs, seconds)")
    for column in ("series", "phase", "median", "p90", "min", "% of median total"):
        split.add_column(column, justify="left" if column in ("series", "phase") else "right")
    for series, names in ((ours, OURS_PHASES), (baseline, BASELINE_PHASES)):
        total = statistics.median(series.totals)
        for name in names:
            values = series.phases.get(name)
            if not values:
                continue
            s = summarize(values)
            split.add_row(
                series.name,
                name,
                f"{s['median']:.3f}",
                f"{s['p90']:.3f}",
                f"{s['min']:.3f}",
                f"{100 * s['median'] / total:.0f}%",
            )
    console.print(split)


def _rejection(verdict: Verdict, label: str) -> str:
    """Why our judge did not accept the reference solution, briefly."""
    failed = [
        f"{t.name}: {t.outcome}" + (f" ({t.message})" if t.message else "")
        for t in verdict.tests
        if t.outcome != "accepted"
    ]
    detail = "; ".join(filter(None, [verdict.message, *failed[:5]]))
    more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
    return (
        f"our judge said {verdict.verdict!r}, not 'accepted', for the reference solution "
        f"({label}): {detail}{more}"
    )


async def _measure(
    runs: int,
    challenge: Challenge,
    answer: str,
    judge: _TimedJudge,
    ours: Series,
    baseline: Series,
    console: Console,
) -> str | None:
    """Warm up, then run A, B, A, B ... ; the failure message, or None when all went well."""
    strict = _naive_check_is_exact(challenge)
    wanted = len(challenge.spec.tests)
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("warm-up", total=2 * (runs + 1))
        for index in range(runs + 1):
            label = "warm-up" if index == 0 else f"run {index}/{runs}"
            progress.update(task, description=f"{label}: ours")
            total, phases, verdict = await run_ours(judge, challenge, answer)
            if verdict.verdict != "accepted":
                return _rejection(verdict, label)
            if index:
                ours.add(total, phases, {t.name: t.duration_s for t in verdict.tests})
            progress.advance(task)

            progress.update(task, description=f"{label}: baseline")
            try:
                total, phases, passed = await run_baseline(challenge, answer)
            except CellExecutionError as exc:
                return f"the baseline notebook raised ({label}): {str(exc).strip()[-600:]}"
            if passed != wanted:
                note = f"baseline: {passed}/{wanted} test cells passed with == ({label})"
                if strict:
                    return note
                if index == 0:
                    console.print(
                        f"[yellow]{note}; not an error here: this challenge's "
                        f"{challenge.spec.compare.mode!r} comparison or tagged data "
                        "($dataframe ...) is more than a bare == can check[/]"
                    )
            if index:
                baseline.add(total, phases)
            progress.advance(task)
    return None


def run_benchmark(
    runs: int = 10,
    challenge: str = "two-sum",
    sandbox: str = "local",
    output_dir: Path | None = None,
) -> int:
    """Measure grading latency, ours vs plain nbclient; print a table, write JSON.

    Returns 0 on success, 1 when a run did not grade the reference solution as passing,
    2 when the benchmark cannot run (bad arguments, sandbox unavailable).
    """
    console = Console()
    if runs < 1:
        console.print("[red]kodelab bench: --runs must be at least 1[/]")
        return 2
    if sandbox not in SANDBOXES:
        console.print(
            f"[red]kodelab bench: unknown sandbox {sandbox!r} "
            f"(choose from {', '.join(SANDBOXES)})[/]"
        )
        return 2
    try:
        loaded = resolve_challenge(challenge, [SHIPPED_CHALLENGES])
    except ContentError as exc:
        for issue in exc.issues:
            console.print(f"[red]{issue}[/]")
        return 2
    if loaded.spec.language != "python":
        console.print(
            f"[red]kodelab bench: {loaded.id} is a {loaded.spec.language} challenge; "
            "the nbclient baseline only covers python challenges[/]"
        )
        return 2
    judge = _TimedJudge(sandbox_class=SANDBOXES[sandbox])
    problems = judge.sandbox.problems()
    if problems:
        console.print(
            f"[red]kodelab bench: sandbox {sandbox!r} unavailable: {' '.join(problems)}[/]"
        )
        return 2
    _time_start_kernel(judge)
    answer = loaded.solution
    ours = Series("ours", f"ours: Judge + {sandbox} sandbox")
    baseline = Series("baseline", "baseline: nbclient, unsandboxed python3")

    console.print(
        f"Benchmarking [bold]{loaded.id}[/] ({len(loaded.spec.tests)} tests), "
        f"{runs} runs each, interleaved after one warm-up each"
    )
    started = datetime.now(timezone.utc)
    try:
        failure = asyncio.run(_measure(runs, loaded, answer, judge, ours, baseline, console))
    except SandboxUnavailable as exc:
        console.print(f"[red]kodelab bench: {exc}[/]")
        return 2
    if failure is not None:
        console.print(f"[red]kodelab bench: {failure}[/]")
        console.print("[red]No results written: a benchmark of a broken grader is worthless.[/]")
        return 1

    ratio = statistics.median(ours.totals) / statistics.median(baseline.totals)
    _print_tables(console, ours, baseline, ratio)

    document = {
        "benchmark": "grading-latency",
        "started_utc": started.isoformat(),
        "challenge": loaded.id,
        "tests": len(loaded.spec.tests),
        "sandbox": sandbox,
        "runs": runs,
        "method": "interleaved A,B after one warm-up each; p90 by linear interpolation",
        "ratio_ours_over_baseline_median": round(ratio, 4),
        "series": {"ours": ours.to_json(), "baseline": baseline.to_json()},
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "versions": _versions(),
        },
    }
    folder = output_dir or _results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"latency-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    console.print(f"results written to {path}")
    return 0
