"""What every benchmark shares: series of wall times, statistics, tables, results files."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

CHECKOUT = Path(__file__).resolve().parents[2]


class BenchFailure(Exception):
    """A run did not grade as it must (a benchmark of a broken grader is worthless)."""


@dataclass
class Series:
    """The wall times of one measured series, plus the same runs split into phases."""

    name: str
    label: str
    totals: list[float] = field(default_factory=list)
    phases: dict[str, list[float]] = field(default_factory=dict)
    per_test: dict[str, list[float]] = field(default_factory=dict)
    skipped: str | None = None  # why the series was not run (then it has no samples)
    notes: list[str] = field(default_factory=list)

    def add(
        self, total: float, phases: dict[str, float], per_test: dict[str, float] | None = None
    ) -> None:
        """Record one run's total wall time, phase and per-test durations (seconds)."""
        self.totals.append(total)
        for name, seconds in phases.items():
            self.phases.setdefault(name, []).append(seconds)
        for name, seconds in (per_test or {}).items():
            self.per_test.setdefault(name, []).append(seconds)

    @property
    def ran(self) -> bool:
        """Whether the series has samples."""
        return bool(self.totals)

    def median(self) -> float:
        """Median of the totals."""
        return statistics.median(self.totals)

    def to_json(self) -> dict[str, Any]:
        """Raw samples and summary statistics, rounded to microseconds."""
        if not self.ran:
            return {"label": self.label, "skipped": self.skipped or "not run", "notes": self.notes}
        return {
            "label": self.label,
            "stats": summarize(self.totals),
            "samples_s": rounded(self.totals),
            "phases": {
                name: {"stats": summarize(values), "samples_s": rounded(values)}
                for name, values in self.phases.items()
            },
            "per_test_median_s": {
                name: round(statistics.median(values), 6) for name, values in self.per_test.items()
            },
            "notes": self.notes,
        }


def rounded(values: Sequence[float]) -> list[float]:
    """Seconds rounded to microseconds."""
    return [round(v, 6) for v in values]


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
    """Median, p90, p95, min, max and mean of ``values`` (seconds, rounded to microseconds)."""
    return {
        "n": len(values),
        "median": round(statistics.median(values), 6),
        "p90": round(percentile(values, 0.9), 6),
        "p95": round(percentile(values, 0.95), 6),
        "min": round(min(values), 6),
        "max": round(max(values), 6),
        "mean": round(statistics.fmean(values), 6),
    }


def progress(console: Console) -> Progress:
    """The progress bar every benchmark shows (transient: only the tables stay)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def results_dir(output_dir: Path | None = None) -> Path:
    """``benchmarks/results`` of the source checkout, else of the current directory."""
    if output_dir is not None:
        return output_dir
    checkout = CHECKOUT / "benchmarks"
    base = checkout if checkout.is_dir() else Path.cwd() / "benchmarks"
    return base / "results"


def versions(extra: Sequence[str] = ()) -> dict[str, str]:
    """Installed versions of the packages the numbers depend on."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    names = ("kodelab-jupyter", "nbclient", "jupyter_client", "ipykernel", "pyzmq", "tornado")
    for name in (*names, *extra):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "?"
    return found


def machine() -> dict[str, Any]:
    """The machine the numbers were taken on, with its load (other work skews them)."""
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = []
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_1_5_15": load,
        "versions": versions(),
    }


def utc_now() -> datetime:
    """Now, in UTC."""
    return datetime.now(timezone.utc)


def stamp(moment: datetime) -> str:
    """A file-name-safe UTC time stamp."""
    return moment.strftime("%Y%m%dT%H%M%SZ")


def write_results(kind: str, document: dict[str, Any], folder: Path, started: datetime) -> Path:
    """Write ``document`` as ``<folder>/<kind>-<UTC time>.json``; its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind}-{stamp(started)}.json"
    document = {"benchmark": kind, "started_utc": started.isoformat(), **document}
    document.setdefault("machine", machine())
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def fmt(seconds: float | None, digits: int = 3) -> str:
    """Seconds for a table cell ('-' when missing)."""
    return "-" if seconds is None else f"{seconds:.{digits}f}"


def ratio(baseline: Series, ours: Series) -> float | None:
    """How many times faster ``ours`` is than ``baseline`` (ratio of medians), if both ran."""
    if not (baseline.ran and ours.ran) or ours.median() <= 0:
        return None
    return baseline.median() / ours.median()


def target(
    goal: str, value: float | None, met: bool | None, unit: str, why: str = ""
) -> dict[str, Any]:
    """One goal: the measured value (in ``unit``: s, ms, x or count) and whether it is met."""
    if value is None:
        shown = "-"
    elif unit == "x":
        shown = f"{value:.1f}x"
    elif unit == "ms":
        shown = f"{value * 1000:.1f} ms"
    elif unit == "count":
        shown = f"{value:g}"
    else:
        shown = f"{value:.3f} s"
    return {"goal": goal, "value": value, "shown": shown, "met": met, "why_not_measured": why}


def tasks_of(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc; empty when it is gone)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        parent = int(text[text.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, []))
    return out


def cpu_ticks(pids: Sequence[int]) -> int:
    """User + system CPU clock ticks used so far by ``pids`` (gone ones count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total


def cmdline(pid: int) -> str:
    """The command line of ``pid`` ('' when it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""
