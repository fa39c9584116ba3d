"""Batch regrade of N submissions: ours (in parallel) against nbgrader autograde (serial).

* ``ours-pool``: ``InstructorService.regrade`` (what the server's instructor API and
  ``kodelab regrade`` run) over N stored, graded submissions of N enrolled students, with the
  judge's warm pool as in the server, ``GradingService`` concurrency = ``--jobs`` (default:
  the number of CPUs, the server's default), local sandbox;
* ``ours-fresh``: the same without a pool (as ``kodelab regrade`` on the command line);
* ``nbgrader``: ``nbgrader autograde <assignment>`` over N submitted notebooks of the
  equivalent assignment, one after the other in one process (nbgrader's only mode).

Every submission is the challenge's reference solution. Ours must leave every stored
``accepted`` result unchanged (a regrade that changes or fails one is a broken grader);
nbgrader must give every submission full marks.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from ..content.catalog import Catalog
from ..content.challenge import Challenge
from ..grading.judge import Judge
from ..grading.service import GradingService
from ..sandbox.local import LocalSandbox
from ..store import Store
from . import nbgrader as nbg
from .common import BenchFailure, fmt, progress

ORDER = ("ours-pool", "ours-fresh", "nbgrader")
LABELS = {
    "ours-pool": "ours: InstructorService.regrade, parallel, warm pool",
    "ours-fresh": "ours: InstructorService.regrade, parallel, no pool",
    "nbgrader": "baseline: nbgrader autograde, serial",
}
COURSE = "bench-course"
ASSIGNMENT = "bench-ps1"


@dataclass
class Batch:
    """One series: how long the whole batch took, or why it was not run."""

    name: str
    label: str
    count: int = 0
    seconds: float | None = None
    skipped: str | None = None
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        """The result as JSON."""
        if self.seconds is None:
            return {"label": self.label, "skipped": self.skipped or "not run"}
        return {
            "label": self.label,
            "submissions": self.count,
            "total_s": round(self.seconds, 3),
            "per_submission_s": round(self.seconds / self.count, 4),
            "submissions_per_s": round(self.count / self.seconds, 3),
            "detail": self.detail,
        }


async def regrade_ours(
    challenge: Challenge, count: int, pool: bool, jobs: int, console: Console
) -> tuple[float, str]:
    """Store ``count`` graded submissions, regrade them all; (seconds, detail)."""
    from ..hub.instructor import InstructorService

    with tempfile.TemporaryDirectory(prefix="kodelab-bench-regrade-") as folder:
        store = Store(db_url=f"sqlite:///{Path(folder) / 'kodelab.sqlite'}")
        store.ensure_schema()
        catalog = Catalog([challenge.root.parent])
        judge = Judge(sandbox_class=LocalSandbox)
        assert isinstance(judge.sandbox, LocalSandbox)
        judge.sandbox.hidden_paths = [str(challenge.root.parent)]
        problems = judge.sandbox.problems()
        if problems:
            raise BenchFailure(f"the local sandbox is unavailable: {' '.join(problems)}")
        grading = GradingService(judge, store, catalog, concurrency=jobs)
        service = InstructorService(store, catalog, grading)
        try:
            with console.status(f"storing {count} graded submissions ..."):
                first = await judge.grade(challenge, challenge.solution)
                if first.verdict != "accepted":
                    raise BenchFailure(f"our judge said {first.verdict!r} for the solution")
                stored = first.to_json()
                students = [f"student-{i:04d}" for i in range(count)]
                service.distribute(COURSE, ASSIGNMENT, [challenge.id])
                service.enroll(COURSE, students)
                for student in students:
                    submission = grading.submit(student, challenge, challenge.solution)
                    store.finish_submission(submission, stored)
                if pool:
                    judge.start_pool()
                    assert judge.pool is not None
                    while judge.pool.stats()["ready"] < judge.pool.size:
                        await asyncio.sleep(0.05)
            with progress(console) as bar:
                task = bar.add_task(
                    f"regrade {count}: {'pool' if pool else 'no pool'}", total=count
                )

                def advance(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                began = time.perf_counter()
                report = await service.regrade(ASSIGNMENT, advance)
                seconds = time.perf_counter() - began
        finally:
            await judge.close()
            store.close()
    if report.total != count or report.problems or report.changed:
        raise BenchFailure(
            f"our regrade of {count} accepted submissions: {report.total} regraded, "
            f"{len(report.changed)} changed, {len(report.problems)} problem(s): "
            f"{[p for p in report.problems][:3]} {[c for c in report.changed][:3]}"
        )
    return seconds, f"{report.total} regraded, all unchanged (accepted), {jobs} at once"


async def regrade_nbgrader(
    challenge: Challenge, count: int, venv: Path, console: Console
) -> tuple[float, str]:
    """Autograde ``count`` submissions of the nbgrader assignment serially; (seconds, detail)."""
    with tempfile.TemporaryDirectory(prefix="kodelab-bench-nbgrader-") as folder:
        course = nbg.NbgraderCourse(venv, Path(folder) / "course", challenge)
        with console.status("building the nbgrader assignment ..."):
            await course.build()
            students = [f"student-{i:04d}" for i in range(count)]
            for student in students:
                course.submit(student, challenge.solution)
        with progress(console) as bar:
            task = bar.add_task(f"nbgrader autograde {count}, serial", total=count)
            job = asyncio.ensure_future(course.autograde(timeout=max(600.0, 30.0 * count)))
            while not job.done():
                graded = course.root / "autograded"
                done = len(list(graded.iterdir())) if graded.is_dir() else 0
                bar.update(task, completed=max(0, done - 1))
                await asyncio.wait([job], timeout=0.5)
            seconds = job.result()
        with console.status("checking nbgrader's scores ..."):
            await asyncio.to_thread(course.check_full_marks, students)
    return seconds, f"{count} autograded, all full marks"


@dataclass
class RegradeOptions:
    """What to run."""

    count: int = 200
    jobs: int = 0
    nbgrader: bool = True
    nbgrader_venv: Path = nbg.DEFAULT_VENV
    fresh: bool = True


async def measure(
    challenge: Challenge, options: RegradeOptions, console: Console
) -> dict[str, Batch]:
    """Every series, one after the other."""
    jobs = options.jobs or os.cpu_count() or 2
    batches = {name: Batch(name, LABELS[name], options.count) for name in ORDER}
    seconds, detail = await regrade_ours(challenge, options.count, True, jobs, console)
    batches["ours-pool"].seconds, batches["ours-pool"].detail = seconds, detail
    if options.fresh:
        seconds, detail = await regrade_ours(challenge, options.count, False, jobs, console)
        batches["ours-fresh"].seconds, batches["ours-fresh"].detail = seconds, detail
    else:
        batches["ours-fresh"].skipped = "not requested (--no-fresh)"
    nbgrader = batches["nbgrader"]
    why = None if options.nbgrader else "not requested (--no-nbgrader)"
    why = why or nbg.unsupported(challenge)
    if why is None:
        version, why = await asyncio.to_thread(
            nbg.ensure_venv, options.nbgrader_venv, lambda m: console.print(m)
        )
        nbgrader.detail = f"nbgrader {version}"
    if why is None:
        seconds, detail = await regrade_nbgrader(
            challenge, options.count, options.nbgrader_venv, console
        )
        nbgrader.seconds, nbgrader.detail = seconds, f"{detail}, {nbgrader.detail}"
    else:
        nbgrader.skipped = why
        console.print(f"[yellow]nbgrader not run: {why}[/]")
    return batches


def speedup(batches: dict[str, Batch], name: str) -> float | None:
    """How many times faster series ``name`` was than nbgrader's serial autograde."""
    ours, base = batches[name], batches["nbgrader"]
    if ours.seconds is None or base.seconds is None or ours.seconds <= 0:
        return None
    return base.seconds / ours.seconds


def print_table(console: Console, batches: dict[str, Batch], count: int) -> None:
    """Totals, per-submission times and ratios."""
    table = Table(title=f"Batch regrade of {count} submissions")
    for column in ("series", "total s", "s / submission", "submissions / s", "x vs nbgrader"):
        table.add_column(column, justify="left" if column == "series" else "right")
    for name in ORDER:
        b = batches[name]
        if b.seconds is None:
            table.add_row(b.label, "-", "-", "-", "-")
            continue
        value = speedup(batches, name)
        table.add_row(
            b.label,
            fmt(b.seconds, 1),
            fmt(b.seconds / b.count),
            f"{b.count / b.seconds:.2f}",
            "-" if value is None or name == "nbgrader" else f"{value:.1f}x",
        )
    console.print(table)
    for name in ORDER:
        if batches[name].skipped:
            console.print(f"[yellow]{name} not run: {batches[name].skipped}[/]")
