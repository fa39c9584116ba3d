"""Per-submission latency, submit -> verdict, every series on the same submissions.

Series (each skipped, with the reason printed and written, when it cannot run here):

* ``local-pool``: ``await judge.grade(challenge, answer)`` with ``judge.start_pool()`` and
  the local sandbox, once the pool is warm;
* ``docker-pool``: the same with the docker sandbox (one container per run);
* ``local-fresh``: the same judge without a pool: a fresh sandboxed kernel per run;
* ``api-pool``: through the REST API of a real ``jupyter server`` running the extension
  with its pool: ``POST /kodelab/api/submissions`` until ``GET /kodelab/api/submissions/{id}``
  says ``done`` (polled every 10 ms);
* ``nbclient`` (baseline): a fresh nbformat notebook (answer cell + one cell per test,
  compared with ``==``) on a fresh, unsandboxed ``python3`` kernel;
* ``nbgrader`` (baseline): ``nbgrader autograde <assignment> --student <id>`` of the
  equivalent nbgrader assignment (see :mod:`.nbgrader`).

Submission ``i`` (the challenge's reference solution, as the student's answer) is graded
by every series in round ``i``; the order of the series rotates from round to round, and
before each timed run everything is left to settle (pools full, pooled kernels idle), so
one series' background work never lands in another's time. One warm-up round is not
recorded. Every run must be graded ``accepted`` (full marks for nbgrader).
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import pstats
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from ..content.challenge import Challenge
from ..grading.judge import Judge
from ..grading.session import KernelSession
from ..grading.source import ANSWER_ROLE, cell_role
from ..grading.verdict import Verdict
from ..sandbox import SANDBOXES, SandboxKernel, SandboxUnavailable
from ..sandbox.limits import Limits
from ..sandbox.local import LocalSandbox
from . import baseline as nbclient_baseline
from . import nbgrader as nbg
from .common import (
    BenchFailure,
    Series,
    fmt,
    percentile,
    progress,
    ratio,
    summarize,
    target,
)
from .server import BenchServer, Http, contents_path

ORDER = ("local-pool", "docker-pool", "local-fresh", "api-pool", "nbclient", "nbgrader")
LABELS = {
    "local-pool": "ours: Judge, local sandbox, warm pool",
    "docker-pool": "ours: Judge, docker sandbox, warm pool",
    "local-fresh": "ours: Judge, local sandbox, no pool",
    "api-pool": "ours: REST API submit->verdict (server, local, pool)",
    "nbclient": "baseline: plain nbclient, fresh kernel",
    "nbgrader": "baseline: nbgrader autograde (per submission)",
}
BASELINES = ("nbclient", "nbgrader")
POLL_SECONDS = 0.01
LATENCY_USER = "bench-latency"
# Goals of issue 5 (for the benchmark, not timed unit tests).
TARGET_LOCAL_P50 = 0.2
TARGET_DOCKER_P50 = 0.5
TARGET_VS_NBCLIENT = 5.0
TARGET_VS_NBGRADER = 10.0


class Skip(Exception):
    """The series cannot run here; the message says why."""


class TimedJudge(Judge):
    """A Judge that notes when the session is ready and when its run starts and ends."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.marks: dict[str, float] = {}

    async def session_for(self, root: Path, limits: Limits) -> KernelSession:
        try:
            return await super().session_for(root, limits)
        finally:
            self.marks["session_ready"] = time.perf_counter()

    async def _run(self, *args: Any, **kwargs: Any) -> Verdict:
        self.marks["run_start"] = time.perf_counter()
        try:
            return await super()._run(*args, **kwargs)
        finally:
            self.marks["run_end"] = time.perf_counter()


def time_kernel_starts(judge: TimedJudge) -> None:
    """Note when ``judge.sandbox.start_kernel`` returns (only for judges without a pool,
    whose kernels start in the foreground)."""
    start_kernel: Callable[..., Awaitable[SandboxKernel]] = judge.sandbox.start_kernel

    async def timed(limits: Limits, hidden: Sequence[str] = ()) -> SandboxKernel:
        try:
            return await start_kernel(limits, hidden)
        finally:
            judge.marks["kernel_started"] = time.perf_counter()

    judge.sandbox.start_kernel = timed  # type: ignore[method-assign,assignment]


def rejection(verdict: Verdict | dict[str, Any], label: str) -> str:
    """Why a run of ours did not accept the reference solution, briefly."""
    doc = verdict.to_json() if isinstance(verdict, Verdict) else verdict
    failed = [
        f"{t['name']}: {t['status']}" + (f" ({t['message']})" if t.get("message") else "")
        for t in doc.get("tests", [])
        if t.get("status") != "passed"
    ]
    detail = "; ".join(filter(None, [doc.get("message", ""), *failed[:5]]))
    return f"{doc.get('verdict')!r}, not 'accepted', for the reference solution ({label}): {detail}"


class Runner:
    """One series: set up once, then one timed run per submission."""

    name = ""

    async def setup(self) -> None:
        """Prepare; Skip when the series cannot run here."""

    async def run(self, index: int) -> tuple[float, dict[str, float], dict[str, float]]:
        """Grade submission ``index``: wall seconds, phases, per-test seconds."""
        raise NotImplementedError

    async def settle(self) -> None:
        """Wait until nothing of this series runs in the background."""

    async def close(self) -> None:
        """Release everything (kernels, files)."""


class JudgeRunner(Runner):
    """Our judge in-process, with or without the warm pool."""

    def __init__(self, name: str, sandbox: str, pool: bool, challenge: Challenge) -> None:
        self.name = name
        self.sandbox_name = sandbox
        self.pool = pool
        self.challenge = challenge
        self.judge: TimedJudge | None = None

    async def setup(self) -> None:
        judge = TimedJudge(sandbox_class=SANDBOXES[self.sandbox_name])
        problems = await asyncio.to_thread(judge.sandbox.problems)
        if problems:
            raise Skip(f"the {self.sandbox_name} sandbox is unavailable: {' '.join(problems)}")
        if isinstance(judge.sandbox, LocalSandbox):
            # As the server does: challenge folders are masked, so pooled kernels may grade.
            judge.sandbox.hidden_paths = [str(self.challenge.root.parent)]
        self.judge = judge
        if self.pool:
            judge.start_pool()
        else:
            time_kernel_starts(judge)
        try:
            await self.settle()
        except SandboxUnavailable as exc:
            raise Skip(str(exc)) from exc

    async def settle(self) -> None:
        if not (self.pool and self.judge and self.judge.pool):
            return
        pool = self.judge.pool
        deadline = time.monotonic() + 120
        while pool.stats()["ready"] < pool.size:
            failed = [
                t.exception()
                for q in pool._warm.values()
                for t in q
                if t.done() and not t.cancelled() and t.exception()
            ]
            if failed:
                raise SandboxUnavailable(f"pooled kernel failed to start: {failed[0]}")
            if time.monotonic() > deadline:
                raise BenchFailure(f"the {self.name} pool never filled: {pool.stats()}")
            await asyncio.sleep(0.02)

    async def run(self, index: int) -> tuple[float, dict[str, float], dict[str, float]]:
        assert self.judge is not None
        judge = self.judge
        judge.marks.clear()
        began = time.perf_counter()
        verdict = await judge.grade(self.challenge, self.challenge.solution)
        ended = time.perf_counter()
        if verdict.verdict != "accepted":
            raise BenchFailure(f"{self.name}: {rejection(verdict, f'submission {index}')}")
        marks = judge.marks
        phases: dict[str, float] = {}
        if {"session_ready", "run_start", "run_end"} <= marks.keys():
            tests = sum(t.duration_s for t in verdict.tests)
            run = marks["run_end"] - marks["run_start"]
            if self.pool:
                phases["acquire"] = marks["session_ready"] - began
            elif "kernel_started" in marks:
                phases["start_kernel"] = marks["kernel_started"] - began
                phases["boot"] = marks["session_ready"] - marks["kernel_started"]
            phases["answer"] = max(0.0, run - tests)
            phases["tests"] = tests
            phases["teardown"] = ended - marks["run_end"]
        return ended - began, phases, {t.name: t.duration_s for t in verdict.tests}

    async def close(self) -> None:
        if self.judge is not None:
            await self.judge.close()


class ApiRunner(Runner):
    """Submit -> verdict through the REST API of a real server with the warm pool."""

    name = "api-pool"

    def __init__(self, challenge: Challenge, server: BenchServer | None) -> None:
        self.challenge = challenge
        self.server = server
        self.own_server = server is None
        self.http: Http | None = None
        self.path = ""
        self.notebook: Any = None

    async def setup(self) -> None:
        problems = LocalSandbox().problems()
        if problems:
            raise Skip(f"the local sandbox is unavailable: {' '.join(problems)}")
        if self.server is None:
            self.server = BenchServer()
            await self.server.start()
        self.http = Http(self.server.url, self.server.token)
        status, data, _ = await self.http.call(
            "POST", f"kodelab/api/challenges/{self.challenge.id}/start", LATENCY_USER
        )
        if status != 200:
            raise BenchFailure(f"api-pool: start answered {status}: {data}")
        self.path = data["path"]
        status, model, _ = await self.http.call(
            "GET", contents_path(self.path) + "?content=1", LATENCY_USER
        )
        if status != 200:
            raise BenchFailure(f"api-pool: reading {self.path} answered {status}")
        self.notebook = model["content"]
        for cell in self.notebook["cells"]:
            if cell_role(cell) == ANSWER_ROLE:
                cell["source"] = self.challenge.solution
        await self.settle()

    async def settle(self) -> None:
        if self.server is not None and not await self.server.settle():
            raise BenchFailure("api-pool: the server's pool never settled")

    async def run(self, index: int) -> tuple[float, dict[str, float], dict[str, float]]:
        assert self.http is not None
        http = self.http
        # The student saves the notebook (not timed), then submits.
        body = {"type": "notebook", "format": "json", "content": self.notebook}
        status, _, _ = await http.call("PUT", contents_path(self.path), LATENCY_USER, body)
        if status not in (200, 201):
            raise BenchFailure(f"api-pool: saving the notebook answered {status}")
        began = time.perf_counter()
        status, data, posted = await http.call(
            "POST",
            "kodelab/api/submissions",
            LATENCY_USER,
            {"challenge_id": self.challenge.id, "path": self.path},
        )
        if status != 202:
            raise BenchFailure(f"api-pool: submit answered {status}: {data}")
        url = f"kodelab/api/submissions/{data['id']}"
        while True:
            status, view, _ = await http.call("GET", url, LATENCY_USER)
            if status != 200:
                raise BenchFailure(f"api-pool: GET {url} answered {status}: {view}")
            if view["status"] == "done":
                break
            if time.perf_counter() - began > 120:
                raise BenchFailure(f"api-pool: submission {data['id']} not done after 120 s")
            await asyncio.sleep(POLL_SECONDS)
        total = time.perf_counter() - began
        verdict = view["verdict"]
        if verdict.get("verdict") != "accepted":
            raise BenchFailure(f"api-pool: {rejection(verdict, f'submission {index}')}")
        judged = float(verdict.get("duration_s", 0.0))
        phases = {"post": posted, "judge": judged, "rest": max(0.0, total - posted - judged)}
        return total, phases, {t["name"]: t["duration_s"] for t in verdict["tests"]}

    async def close(self) -> None:
        if self.http is not None:
            self.http.close()
        if self.own_server and self.server is not None:
            await self.server.stop()


class NbclientRunner(Runner):
    """The plain-nbclient baseline."""

    name = "nbclient"

    def __init__(self, challenge: Challenge, notes: list[str]) -> None:
        self.challenge = challenge
        self.strict = nbclient_baseline.equality_is_exact(challenge)
        self.notes = notes

    async def run(self, index: int) -> tuple[float, dict[str, float], dict[str, float]]:
        total, phases, passed = await nbclient_baseline.run_baseline(
            self.challenge, self.challenge.solution
        )
        wanted = len(self.challenge.spec.tests)
        if passed != wanted:
            note = f"nbclient: {passed}/{wanted} test cells passed with == (submission {index})"
            if self.strict:
                raise BenchFailure(note)
            if not self.notes:
                self.notes.append(
                    f"{note}: not an error here, {self.challenge.spec.compare.mode!r} "
                    "comparison or tagged data is more than a bare == can check"
                )
        return total, phases, {}


class NbgraderRunner(Runner):
    """``nbgrader autograde`` of one submission per command."""

    name = "nbgrader"

    def __init__(self, challenge: Challenge, venv: Path, submissions: int, say: Any) -> None:
        self.challenge = challenge
        self.venv = venv
        self.submissions = submissions
        self.say = say
        self.course: nbg.NbgraderCourse | None = None
        self.version: str | None = None
        self.graded: list[str] = []
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    async def setup(self) -> None:
        why = nbg.unsupported(self.challenge)
        if why:
            raise Skip(why)
        self.version, problem = await asyncio.to_thread(nbg.ensure_venv, self.venv, self.say)
        if problem:
            raise Skip(problem)
        self._tmp = tempfile.TemporaryDirectory(prefix="kodelab-bench-nbgrader-")
        self.course = nbg.NbgraderCourse(self.venv, Path(self._tmp.name) / "course", self.challenge)
        await self.course.build()
        for index in range(self.submissions):
            self.course.submit(self.student(index), self.challenge.solution)

    @staticmethod
    def student(index: int) -> str:
        """The nbgrader student id of submission ``index``."""
        return f"lat-{index:03d}"

    async def run(self, index: int) -> tuple[float, dict[str, float], dict[str, float]]:
        assert self.course is not None
        seconds = await self.course.autograde(self.student(index), timeout=600)
        self.graded.append(self.student(index))
        return seconds, {}, {}

    async def verify(self) -> None:
        """Every graded submission scored full marks."""
        if self.course is not None and self.graded:
            await asyncio.to_thread(self.course.check_full_marks, self.graded)

    async def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


@dataclass
class LatencyOptions:
    """What to run."""

    runs: int = 10
    docker: bool = True
    api: bool = True
    nbgrader: bool = True
    nbgrader_venv: Path = nbg.DEFAULT_VENV
    profile_runs: int = 5
    skip: list[str] = field(default_factory=list)


async def measure(
    challenge: Challenge,
    options: LatencyOptions,
    console: Console,
    server: BenchServer | None = None,
) -> tuple[dict[str, Series], dict[str, Any]]:
    """Run every series interleaved; the series and extra findings (profile, versions)."""
    series = {name: Series(name, LABELS[name]) for name in ORDER}
    nbclient_notes: list[str] = []
    runners: dict[str, Runner] = {
        "local-pool": JudgeRunner("local-pool", "local", True, challenge),
        "docker-pool": JudgeRunner("docker-pool", "docker", True, challenge),
        "local-fresh": JudgeRunner("local-fresh", "local", False, challenge),
        "api-pool": ApiRunner(challenge, server),
        "nbclient": NbclientRunner(challenge, nbclient_notes),
        "nbgrader": NbgraderRunner(
            challenge, options.nbgrader_venv, options.runs + 1, lambda m: console.print(m)
        ),
    }
    unwanted = {
        "docker-pool": None if options.docker else "not requested (--no-docker)",
        "api-pool": None if options.api else "not requested (--no-api)",
        "nbgrader": None if options.nbgrader else "not requested (--no-nbgrader)",
    }
    for name in options.skip:
        unwanted[name] = f"not requested (--skip {name})"
    extra: dict[str, Any] = {}
    active: list[str] = []
    try:
        for name in ORDER:
            if unwanted.get(name):
                series[name].skipped = unwanted[name]
                continue
            with console.status(f"setting up {name} ..."):
                try:
                    await runners[name].setup()
                except Skip as exc:
                    series[name].skipped = str(exc)
                    console.print(f"[yellow]{name}: not run: {exc}[/]")
                    continue
            active.append(name)
        if not active:
            raise BenchFailure("no series could run")
        rounds = options.runs + 1
        with progress(console) as bar:
            task = bar.add_task("warm-up", total=rounds * len(active))
            for index in range(rounds):
                label = "warm-up" if index == 0 else f"run {index}/{options.runs}"
                shift = index % len(active)
                for name in active[shift:] + active[:shift]:
                    bar.update(task, description=f"{label}: {name}")
                    for other in active:
                        await runners[other].settle()
                    total, phases, per_test = await runners[name].run(index)
                    if index:
                        series[name].add(total, phases, per_test)
                    bar.advance(task)
        nbgrader = runners["nbgrader"]
        if "nbgrader" in active and isinstance(nbgrader, NbgraderRunner):
            await nbgrader.verify()
            extra["nbgrader_version"] = nbgrader.version
        series["nbclient"].notes.extend(nbclient_notes)
        if "local-pool" in active and options.profile_runs > 0:
            local = runners["local-pool"]
            assert isinstance(local, JudgeRunner)
            extra["profile"] = await profile_judge(local, options.profile_runs, console)
    finally:
        for runner in runners.values():
            await runner.close()
    return series, extra


async def profile_judge(runner: JudgeRunner, runs: int, console: Console) -> dict[str, Any]:
    """cProfile of ``runs`` more warm-pool gradings (grader process only: the kernel's own
    time shows up as waiting in ``select``); the top functions by cumulative time."""
    profiler = cProfile.Profile()
    with console.status(f"profiling {runs} more local-pool runs ..."):
        for index in range(runs):
            await runner.settle()
            profiler.enable()
            try:
                await runner.run(index)
            finally:
                profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(30)
    own = io.StringIO()
    pstats.Stats(profiler, stream=own).sort_stats("tottime").print_stats(15)
    return {
        "runs": runs,
        "top_cumulative": text.getvalue().splitlines(),
        "top_own_time": own.getvalue().splitlines(),
        "stats": profiler,
    }


def targets(series: dict[str, Series]) -> list[dict[str, Any]]:
    """Each goal of issue 5 for per-submission latency: measured value and whether it is met."""
    local, docker = series["local-pool"], series["docker-pool"]
    rows = []
    for s, goal, limit in (
        (local, "local+pool p50 <= 0.2 s", TARGET_LOCAL_P50),
        (docker, "docker+pool p50 <= 0.5 s", TARGET_DOCKER_P50),
    ):
        if s.ran:
            rows.append(target(goal, s.median(), s.median() <= limit, "s"))
        else:
            rows.append(target(goal, None, None, "s", s.skipped or "not run"))
    for base, times in (("nbclient", TARGET_VS_NBCLIENT), ("nbgrader", TARGET_VS_NBGRADER)):
        goal = f">= {times:g}x faster than {base} (local+pool, medians)"
        value = ratio(series[base], local)
        if value is None:
            missing = series[base] if local.ran else local
            rows.append(target(goal, None, None, "x", missing.skipped or "not run"))
        else:
            rows.append(target(goal, value, value >= times, "x"))
    return rows


def print_tables(console: Console, series: dict[str, Series], runs: int) -> None:
    """The latency table (medians, p90, ratios) and where the time goes."""
    table = Table(title=f"Submit -> verdict latency, {runs} submissions, seconds")
    for column in ("series", "median", "p90", "min", "max", "x vs nbclient", "x vs nbgrader"):
        table.add_column(column, justify="left" if column == "series" else "right")
    for name in ORDER:
        s = series[name]
        if not s.ran:
            table.add_row(s.label, "-", "-", "-", "-", "-", "-")
            continue
        stats = summarize(s.totals)
        ratios = []
        for base in BASELINES:
            value = ratio(series[base], s)
            ratios.append("-" if value is None or name in BASELINES else f"{value:.1f}x")
        table.add_row(
            s.label,
            fmt(stats["median"]),
            fmt(stats["p90"]),
            fmt(stats["min"]),
            fmt(stats["max"]),
            *ratios,
        )
    console.print(table)
    for name in ORDER:
        if not series[name].ran:
            console.print(f"[yellow]{name} not run: {series[name].skipped}[/]")
        for note in series[name].notes:
            console.print(f"[yellow]{note}[/]")

    split = Table(title="Where the time goes (medians of the same runs, seconds)")
    for column in ("series", "phase", "median", "p90", "% of median total"):
        split.add_column(column, justify="left" if column in ("series", "phase") else "right")
    for name in ORDER:
        s = series[name]
        if not s.ran or not s.phases:
            continue
        total = s.median()
        for phase, values in s.phases.items():
            med = statistics.median(values)
            split.add_row(
                name, phase, fmt(med), fmt(percentile(values, 0.9)), f"{100 * med / total:.0f}%"
            )
    console.print(split)

    local = series["local-pool"]
    if local.ran and local.per_test:
        tests = Table(title="local-pool: each test's median (seconds)")
        tests.add_column("test")
        tests.add_column("median", justify="right")
        for test, values in local.per_test.items():
            tests.add_row(test, fmt(statistics.median(values), 4))
        console.print(tests)


def print_targets(console: Console, rows: list[dict[str, Any]]) -> None:
    """The goals and whether they are met."""
    table = Table(title="Targets (issue 5)")
    for column in ("goal", "measured", "met"):
        table.add_column(column, justify="left" if column == "goal" else "right")
    for row in rows:
        met = (
            "[yellow]not measured[/]"
            if row["met"] is None
            else ("[green]yes[/]" if row["met"] else "[red]no[/]")
        )
        table.add_row(row["goal"], row["shown"], met)
    console.print(table)
    for row in rows:
        if row["met"] is None:
            console.print(f"[yellow]{row['goal']}: not measured: {row['why_not_measured']}[/]")


def limits_explained(series: dict[str, Series]) -> list[str]:
    """What bounds the warm-pool latency, from the measured phases and per-test times."""
    local = series["local-pool"]
    if not local.ran or not local.per_test:
        return []
    per_test = {name: statistics.median(v) for name, v in local.per_test.items()}
    slowest = max(per_test, key=lambda n: per_test[n])
    others = [v for n, v in per_test.items() if n != slowest]
    trip = statistics.median(others) if others else 0.0
    phases = {name: statistics.median(v) for name, v in local.phases.items()}
    lines = [
        f"median total {local.median():.3f} s = "
        + ", ".join(f"{name} {value:.3f}" for name, value in phases.items()),
        f"{len(per_test)} tests, each one kernel round trip (one cell): median small test "
        f"{trip * 1000:.1f} ms, so {len(others)} small tests cost {trip * len(others):.3f} s",
        f"slowest test {slowest!r}: {per_test[slowest]:.3f} s "
        f"({100 * per_test[slowest] / local.median():.0f}% of the median total)",
    ]
    return lines
