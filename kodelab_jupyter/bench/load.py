"""Load: simulated students submitting through the REST API of a real server.

Each of ``--students`` students (distinct users, see :class:`.server.BenchIdentityProvider`)
starts within the ramp-up (``--ramp`` seconds, spread evenly), then does what the JupyterLab
extension does: ``POST /kodelab/api/challenges/{id}/start``, reads the notebook through the
contents API, writes the answer into its answer cell and saves it (``PUT /api/contents``),
``POST /kodelab/api/submissions`` and polls ``GET /kodelab/api/submissions/{id}`` every
150 ms (the extension's ``waitForVerdict`` interval; ``--student-poll-ms``) until it is
done; ``--submissions`` times. Meanwhile a separate prober times
``GET /kodelab/api/challenges`` every 50 ms (start to start) on a client of its own, from
the first student's start until the last verdict.

A failure is any error status, a request error, a verdict other than ``accepted``, or a
submission unfinished when the time limit (``--timeout``) ends the run. The server listens
on 127.0.0.1 only; the run is bounded in students, submissions and time, and stops by itself.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table

from ..content.challenge import Challenge
from ..grading.source import ANSWER_ROLE, cell_role
from .common import fmt, percentile, progress, summarize, target
from .server import BenchServer, Http, contents_path

STUDENT_POLL_SECONDS = 0.15  # labextension/src/api.ts: pollMs default
PROBE_USER = "bench-prober"
MAX_STUDENTS = 500
MAX_SUBMISSIONS = 20
MAX_TIMEOUT = 1800.0
# Goals of issue 5.
TARGET_FAILURES = 0
TARGET_API_P95 = 0.1


@dataclass
class LoadOptions:
    """How much load, for how long at most."""

    students: int = 50
    submissions: int = 2
    ramp: float = 2.0
    timeout: float = 300.0
    probe_interval: float = 0.05
    student_poll: float = STUDENT_POLL_SECONDS


@dataclass
class LoadResult:
    """What happened under load."""

    students: int
    submissions_each: int
    verdicts: int = 0
    failures: list[str] = field(default_factory=list)
    submit_to_verdict: list[float] = field(default_factory=list)
    probe: list[float] = field(default_factory=list)
    probe_failures: list[str] = field(default_factory=list)
    first_submit: float | None = None
    last_verdict: float | None = None
    wall_s: float = 0.0
    paths: dict[str, list[str]] = field(default_factory=dict)  # notebook path -> users
    timed_out: bool = False

    @property
    def verdicts_per_s(self) -> float | None:
        """Verdicts per second from the first submission to the last verdict."""
        if self.first_submit is None or self.last_verdict is None:
            return None
        span = self.last_verdict - self.first_submit
        return self.verdicts / span if span > 0 else None

    def to_json(self) -> dict[str, Any]:
        """The result as JSON (latencies in seconds)."""
        return {
            "students": self.students,
            "submissions_per_student": self.submissions_each,
            "expected_verdicts": self.students * self.submissions_each,
            "verdicts_accepted": self.verdicts,
            "failures": len(self.failures) + len(self.probe_failures),
            "failure_details": (self.failures + self.probe_failures)[:50],
            "timed_out": self.timed_out,
            "wall_s": round(self.wall_s, 3),
            "verdicts_per_s": None
            if self.verdicts_per_s is None
            else round(self.verdicts_per_s, 3),
            "submit_to_verdict": summarize(self.submit_to_verdict)
            if self.submit_to_verdict
            else None,
            "api_challenges_latency": summarize(self.probe) if self.probe else None,
            "api_challenges_samples_s": [round(v, 6) for v in self.probe],
            "distinct_notebook_paths": len(self.paths),
            # Each student must get a notebook of their own; more than one user on a path
            # means concurrent starts picked the same file (they then overwrite each other).
            "shared_notebook_paths": {p: u for p, u in self.paths.items() if len(u) > 1},
        }


async def _student(
    http: Http,
    user: str,
    delay: float,
    challenge: Challenge,
    options: LoadOptions,
    result: LoadResult,
    finished: list[int],
) -> None:
    await asyncio.sleep(delay)

    def fail(what: str) -> None:
        result.failures.append(f"{user}: {what}")

    status, data, _ = await http.call("POST", f"kodelab/api/challenges/{challenge.id}/start", user)
    if status != 200:
        return fail(f"start answered {status}: {data}")
    path = data["path"]
    result.paths.setdefault(path, []).append(user)
    status, model, _ = await http.call("GET", contents_path(path) + "?content=1", user)
    if status != 200:
        return fail(f"reading {path} answered {status}")
    notebook = model["content"]
    for cell in notebook["cells"]:
        if cell_role(cell) == ANSWER_ROLE:
            cell["source"] = challenge.solution
    body = {"type": "notebook", "format": "json", "content": notebook}
    status, _, _ = await http.call("PUT", contents_path(path), user, body)
    if status not in (200, 201):
        return fail(f"saving {path} answered {status}")
    for _ in range(options.submissions):
        began = time.perf_counter()
        if result.first_submit is None:
            result.first_submit = began
        status, data, _ = await http.call(
            "POST", "kodelab/api/submissions", user, {"challenge_id": challenge.id, "path": path}
        )
        if status != 202:
            fail(f"submit answered {status}: {data}")
            continue
        url = f"kodelab/api/submissions/{data['id']}"
        while True:
            await asyncio.sleep(options.student_poll)
            status, view, _ = await http.call("GET", url, user)
            if status != 200:
                fail(f"GET {url} answered {status}: {view}")
                break
            if view["status"] != "done":
                continue
            now = time.perf_counter()
            verdict = (view.get("verdict") or {}).get("verdict")
            if verdict == "accepted":
                result.verdicts += 1
                result.submit_to_verdict.append(now - began)
                result.last_verdict = now
            else:
                fail(f"submission {data['id']}: verdict {verdict!r}")
            finished[0] += 1
            break


async def _probe(http: Http, interval: float, result: LoadResult, stop: asyncio.Event) -> None:
    while not stop.is_set():
        began = time.perf_counter()
        try:
            status, _, seconds = await http.call("GET", "kodelab/api/challenges", PROBE_USER)
        except Exception as exc:  # a request error is a failure, not a crash of the run
            result.probe_failures.append(f"probe: {type(exc).__name__}: {exc}")
        else:
            if status == 200:
                result.probe.append(seconds)
            else:
                result.probe_failures.append(f"probe: GET /kodelab/api/challenges -> {status}")
        wait = interval - (time.perf_counter() - began)
        if wait > 0:
            try:
                await asyncio.wait_for(stop.wait(), wait)
            except asyncio.TimeoutError:
                pass


async def run_load_on(
    server: BenchServer, challenge: Challenge, options: LoadOptions, console: Console
) -> LoadResult:
    """Put the load on a running server; what happened."""
    if not 1 <= options.students <= MAX_STUDENTS:
        raise ValueError(f"--students must be 1..{MAX_STUDENTS}")
    if not 1 <= options.submissions <= MAX_SUBMISSIONS:
        raise ValueError(f"--submissions must be 1..{MAX_SUBMISSIONS}")
    timeout = min(max(1.0, options.timeout), MAX_TIMEOUT)
    result = LoadResult(options.students, options.submissions)
    students = Http(server.url, server.token, max_clients=options.students + 4)
    prober = Http(server.url, server.token, max_clients=2)
    stop = asyncio.Event()
    finished = [0]
    total = options.students * options.submissions
    try:
        await server.settle()
        users = [f"student-{i:03d}" for i in range(options.students)]
        step = options.ramp / max(1, options.students - 1) if options.students > 1 else 0.0
        began = time.perf_counter()
        probe = asyncio.ensure_future(_probe(prober, options.probe_interval, result, stop))
        jobs = [
            asyncio.ensure_future(
                _student(students, user, i * step, challenge, options, result, finished)
            )
            for i, user in enumerate(users)
        ]
        with progress(console) as bar:
            task = bar.add_task(f"{options.students} students, {total} submissions", total=total)
            pending = set(jobs)
            deadline = began + timeout
            while pending:
                left = deadline - time.perf_counter()
                if left <= 0:
                    result.timed_out = True
                    break
                _, pending = await asyncio.wait(pending, timeout=min(0.25, left))
                bar.update(task, completed=finished[0])
        for job in jobs:
            if not job.done():
                job.cancel()
        outcomes = await asyncio.gather(*jobs, return_exceptions=True)
        for user, outcome in zip(users, outcomes, strict=True):
            if isinstance(outcome, asyncio.CancelledError):
                result.failures.append(f"{user}: unfinished after {timeout:.0f} s")
            elif isinstance(outcome, BaseException):
                result.failures.append(f"{user}: {type(outcome).__name__}: {outcome}")
        stop.set()
        await probe
        result.wall_s = time.perf_counter() - began
    finally:
        stop.set()
        students.close()
        prober.close()
    return result


def print_table(console: Console, result: LoadResult) -> None:
    """Verdicts/s, failures, latencies."""
    table = Table(
        title=f"Load: {result.students} students x {result.submissions_each} submissions "
        "through the REST API"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    failures = len(result.failures) + len(result.probe_failures)
    rate = result.verdicts_per_s
    table.add_row(
        "verdicts accepted", f"{result.verdicts} / {result.students * result.submissions_each}"
    )
    table.add_row("failures", f"[{'green' if failures == 0 else 'red'}]{failures}[/]")
    table.add_row("verdicts / s", "-" if rate is None else f"{rate:.2f}")
    table.add_row("wall time (s)", fmt(result.wall_s, 1))
    if result.submit_to_verdict:
        s = summarize(result.submit_to_verdict)
        table.add_row(
            "submit -> verdict p50 / p95 / max (s)",
            f"{s['median']:.2f} / {s['p95']:.2f} / {s['max']:.2f}",
        )
    if result.probe:
        ms = [v * 1000 for v in result.probe]
        table.add_row(
            "GET /kodelab/api/challenges p50 / p95 / max (ms)",
            f"{statistics.median(ms):.1f} / {percentile(ms, 0.95):.1f} / {max(ms):.1f}",
        )
        table.add_row("  probe samples", str(len(ms)))
    shared = sum(len(u) for u in result.paths.values() if len(u) > 1)
    table.add_row(
        "distinct notebook paths (students sharing one)", f"{len(result.paths)} ({shared})"
    )
    console.print(table)
    for line in (result.failures + result.probe_failures)[:10]:
        console.print(f"[red]{line}[/]")


def targets(result: LoadResult) -> list[dict[str, Any]]:
    """The goals of issue 5 for the load test."""
    failures = len(result.failures) + len(result.probe_failures)
    p95 = percentile(result.probe, 0.95) if result.probe else None
    return [
        target("0 failures under load", failures, failures == TARGET_FAILURES, "count"),
        target(
            "API p95 < 100 ms during load",
            p95,
            None if p95 is None else p95 < TARGET_API_P95,
            "ms",
            "" if p95 is not None else "no probe sample",
        ),
    ]
