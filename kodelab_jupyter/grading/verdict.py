"""Verdict and per-test results: the JSON contract of DESIGN.md, built in one place."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Any

# Worst first: the overall verdict is the worst outcome among the tests.
SEVERITY = (
    "internal_error",
    "compile_error",
    "memory_limit_exceeded",
    "time_limit_exceeded",
    "output_limit_exceeded",
    "runtime_error",
    "wrong_answer",
    "accepted",
)
VERDICTS = frozenset(SEVERITY)
STATUS_OF_OUTCOME = {
    "accepted": "passed",
    "wrong_answer": "failed",
    "runtime_error": "error",
    "memory_limit_exceeded": "error",
    "output_limit_exceeded": "error",
    "time_limit_exceeded": "timeout",
    "compile_error": "error",
    "internal_error": "error",
    "skipped": "skipped",
}
# What a hidden test's message may say: a built-in exception class name or one of ours.
HIDDEN_MESSAGES = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
) | {"Unserializable", "NoResult", "time limit exceeded", "output limit exceeded"}


@dataclass
class TestResult:
    """The outcome of one test; ``outcome`` is a verdict kind, ``status`` derives from it."""

    name: str
    visible: bool
    max_points: float
    outcome: str = "skipped"
    duration_s: float = 0.0
    message: str = ""

    @property
    def status(self) -> str:
        """Per-test status of the contract: passed, failed, error, timeout or skipped."""
        return STATUS_OF_OUTCOME[self.outcome]

    @property
    def points(self) -> float:
        """Points earned: all of them when passed, none otherwise."""
        return self.max_points if self.outcome == "accepted" else 0

    def to_json(self) -> dict[str, Any]:
        """The per-test JSON; a hidden test's message is at most an exception class name."""
        message = self.message
        if not self.visible and message not in HIDDEN_MESSAGES:
            # The class name comes from the student's code: a made-up class named after the
            # hidden arguments would carry them out. Only well-known names pass.
            message = ""
        return {
            "name": self.name,
            "visible": self.visible,
            "status": self.status,
            "points": _number(self.points),
            "max_points": _number(self.max_points),
            "duration_s": round(self.duration_s, 4),
            "message": message,
        }


@dataclass
class Verdict:
    """A whole grading run's result."""

    tests: list[TestResult]
    duration_s: float = 0.0
    message: str = ""
    forced: str | None = field(default=None)

    @property
    def verdict(self) -> str:
        """The worst test outcome (or a verdict forced for the whole run, such as compile_error)."""
        outcomes = [t.outcome for t in self.tests if t.outcome != "skipped"]
        if self.forced:
            outcomes.append(self.forced)
        if not outcomes:
            return "accepted"
        return min(outcomes, key=SEVERITY.index)

    @property
    def score(self) -> float:
        """Sum of points of passed tests."""
        return sum(t.points for t in self.tests)

    @property
    def max_score(self) -> float:
        """Sum of all tests' points."""
        return sum(t.max_points for t in self.tests)

    def to_json(self) -> dict[str, Any]:
        """The Verdict JSON document of the contract."""
        doc: dict[str, Any] = {
            "verdict": self.verdict,
            "score": _number(self.score),
            "max_score": _number(self.max_score),
            "duration_s": round(self.duration_s, 4),
            "tests": [t.to_json() for t in self.tests],
        }
        if self.message:
            doc["message"] = self.message
        return doc


def _number(value: float) -> float | int:
    """Whole point values print as integers (5, not 5.0)."""
    return int(value) if float(value).is_integer() else value
