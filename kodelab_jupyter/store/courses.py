"""Courses, assignments, enrollments and the gradebook: records and grade arithmetic.

Grades are never stored: :func:`compute_gradebook` derives them from the submissions (and
finished interview sessions) every time, so a regrade or a changed late policy shows at once
and there is no second copy of a score to drift.

Gradebook rules (one :class:`GradeRow` per enrolled student x assignment):

- Only ``submit`` submissions (and finished interview sessions) of the course's *students*,
  of the assignment's challenges (interviews), made at or after ``opens_at``, count. Earlier
  ones are practice.
- An item's **effective score** is its score after the late policy (below). The item's grade
  is its best effective score; ties go to the earliest submission.
- The assignment **score is the sum** of its items' grades, and ``max_score`` the sum of
  their maximums, so points weigh as the challenge authors set them (a challenge is worth
  the sum of its tests' points, an interview one point per round: ``overall_score`` (0..1)
  x rounds).
- **attempts** counts every counted, graded submission and finished interview session.
- **late**: the grade uses at least one late submission; ``late_attempts`` counts them all.
  A submission is late when it is made after ``due_at`` (to the second; the countdown
  ``submissions.late`` flag of a challenge's own time limit is a different thing).

Late policy, ``days`` = started days after ``due_at`` (1 second late = 1 day):

- ``accept``: full score, flagged late;
- ``penalty``: score x max(0, 1 - ``penalty_per_day`` x days);
- ``reject``: 0;
- with ``max_late_days`` set, a submission more than that many days late scores 0 in every
  mode.

LTI 1.3 Assignment and Grade Services (later): each assignment maps 1:1 to a line item
(``resourceId`` = assignment id, ``label`` = title, ``scoreMaximum`` = ``max_score``,
``startDateTime`` = ``opens_at``, ``endDateTime`` = ``due_at``) and each :class:`GradeRow`
to one score POSTed to ``<lineitem>/scores`` (``userId`` = the student's LTI ``sub``,
``scoreGiven`` = ``score``, ``scoreMaximum`` = ``max_score``, ``timestamp`` =
``last_submission_at``, ``activityProgress`` = ``Submitted`` when ``attempts`` else
``Initialized``, ``gradingProgress`` = ``Pending`` while ``pending`` else ``FullyGraded``).
What is still missing for that: a platform registration (issuer, client id, deployment, key
set), the LTI ``sub`` of each user (a column or table mapping users to LTI identities,
filled at LTI launch), the line-item URL of each assignment (kept per platform) and a
record of the last score sent per (line item, user), so only changed scores are sent.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

ACCEPT, PENALTY, REJECT = "accept", "penalty", "reject"
LATE_MODES = (ACCEPT, PENALTY, REJECT)
CHALLENGE, INTERVIEW = "challenge", "interview"
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class LatePolicy:
    """What happens to a submission made after an assignment's due date."""

    mode: str = ACCEPT
    penalty_per_day: float = 0.0
    max_late_days: int | None = None

    @classmethod
    def from_json(cls, value: Mapping[str, Any] | None) -> LatePolicy:
        """Parse and check ``{"mode", "penalty_per_day", "max_late_days"}``; ValueError says
        what is wrong. ``None`` is the default policy (accept, flagged late)."""
        if value is None:
            return cls()
        if not isinstance(value, Mapping):
            raise ValueError("late_policy must be a JSON object")
        unknown = set(value) - {"mode", "penalty_per_day", "max_late_days"}
        if unknown:
            raise ValueError(f"late_policy: unknown key(s) {', '.join(sorted(unknown))}")
        mode = value.get("mode", ACCEPT)
        if mode not in LATE_MODES:
            raise ValueError(f"late_policy.mode must be one of {', '.join(LATE_MODES)}")
        penalty = value.get("penalty_per_day", 0.0)
        if isinstance(penalty, bool) or not isinstance(penalty, (int, float)):
            raise ValueError("late_policy.penalty_per_day must be a number")
        if not 0 <= penalty <= 1:
            raise ValueError("late_policy.penalty_per_day must be between 0 and 1")
        if penalty and mode != PENALTY:
            raise ValueError("late_policy.penalty_per_day needs mode 'penalty'")
        max_days = value.get("max_late_days")
        if max_days is not None and (
            isinstance(max_days, bool) or not isinstance(max_days, int) or max_days < 0
        ):
            raise ValueError("late_policy.max_late_days must be a whole number >= 0 or null")
        return cls(mode, float(penalty), max_days)

    def to_json(self) -> dict[str, Any]:
        """The JSON object stored in ``assignments.late_policy``."""
        return {
            "mode": self.mode,
            "penalty_per_day": self.penalty_per_day,
            "max_late_days": self.max_late_days,
        }

    @staticmethod
    def days_late(at: datetime, due_at: datetime | None) -> int:
        """Started days after ``due_at`` (0 when on time or there is no due date)."""
        if due_at is None or at <= due_at:
            return 0
        return max(1, math.ceil((at - due_at) / _DAY))

    def apply(self, score: float, at: datetime, due_at: datetime | None) -> tuple[float, bool]:
        """``(effective score, late)`` of a submission scored ``score`` made at ``at``."""
        days = self.days_late(at, due_at)
        if not days:
            return score, False
        if self.mode == REJECT or (self.max_late_days is not None and days > self.max_late_days):
            return 0.0, True
        if self.mode == PENALTY:
            return score * max(0.0, 1.0 - self.penalty_per_day * days), True
        return score, True

    def closes_at(self, due_at: datetime | None) -> datetime | None:
        """When submissions stop counting at all; ``None`` when they always count."""
        if due_at is None:
            return None
        if self.mode == REJECT:
            return due_at
        if self.max_late_days is not None:
            return due_at + self.max_late_days * _DAY
        return None


@dataclass(frozen=True)
class CourseRecord:
    """A course."""

    id: str
    title: str
    created_at: datetime


@dataclass(frozen=True)
class AssignmentRecord:
    """An assignment of a course (a distributed challenge set)."""

    id: str
    course_id: str
    title: str
    challenge_ids: tuple[str, ...]
    interview_ids: tuple[str, ...]
    opens_at: datetime
    due_at: datetime | None
    late_policy: LatePolicy
    created_at: datetime
    updated_at: datetime

    @property
    def closes_at(self) -> datetime | None:
        """When the assignment stops taking submissions that count (see LatePolicy)."""
        return self.late_policy.closes_at(self.due_at)

    def is_open(self, now: datetime) -> bool:
        """Opened, and not past the point where submissions stop counting."""
        closes = self.closes_at
        return self.opens_at <= now and (closes is None or now <= closes)


@dataclass(frozen=True)
class EnrollmentRecord:
    """A user's role in a course; ``source`` is ``manual`` or ``hub-group:<name>``."""

    course_id: str
    user: str
    role: str
    source: str
    created_at: datetime


@dataclass(frozen=True)
class SyncResult:
    """What syncing a hub group's members into a course changed."""

    course_id: str
    source: str
    added: tuple[str, ...]
    removed: tuple[str, ...]


@dataclass(frozen=True)
class RegradeRecord:
    """One regrade of a submission: the result it replaced and the one it set."""

    id: int
    submission_id: int
    regraded_at: datetime
    reason: str | None
    old_content_hash: str
    old_verdict: str | None
    old_score: float | None
    old_max_score: float | None
    old_tests: list[dict[str, Any]] | None
    old_message: str | None
    old_duration_s: float | None
    new_content_hash: str
    new_verdict: str | None
    new_score: float | None
    new_max_score: float | None


@dataclass(frozen=True)
class ItemGrade:
    """A student's grade on one challenge (or interview) of an assignment."""

    kind: str  # "challenge" | "interview"
    item_id: str
    score: float
    max_score: float
    attempts: int
    late: bool
    submission_id: int | None  # the graded submission (interview session) behind ``score``
    last_submission_at: datetime | None


@dataclass(frozen=True)
class GradeRow:
    """A student's grade on an assignment: one LTI score of the assignment's line item."""

    course_id: str
    assignment_id: str
    user: str
    score: float
    max_score: float
    attempts: int
    late: bool
    late_attempts: int
    pending: int
    last_submission_at: datetime | None
    items: tuple[ItemGrade, ...] = field(default=())


@dataclass(frozen=True)
class Attempt:
    """A counted try at an item: a 'submit' submission or an interview session."""

    id: int
    user: str
    item_id: str
    done: bool
    score: float | None
    max_score: float | None
    at: datetime


def _best(
    attempts: Sequence[Attempt],
    assignment: AssignmentRecord,
    kind: str,
    item_id: str,
    max_score: float,
) -> tuple[ItemGrade, int, int]:
    """The item grade of one student's attempts (oldest first): ``(grade, late, pending)``."""
    best: tuple[float, bool, int] | None = None
    graded = late_count = pending = 0
    last: datetime | None = None
    for attempt in attempts:
        if attempt.at < assignment.opens_at:
            continue
        last = attempt.at if last is None or attempt.at > last else last
        if not attempt.done:
            pending += 1
            continue
        graded += 1
        effective, late = assignment.late_policy.apply(
            attempt.score or 0.0, attempt.at, assignment.due_at
        )
        late_count += late
        if best is None or effective > best[0]:
            best = (effective, late, attempt.id)
    grade = ItemGrade(
        kind=kind,
        item_id=item_id,
        score=best[0] if best else 0.0,
        max_score=max_score,
        attempts=graded,
        late=bool(best and best[1]),
        submission_id=best[2] if best else None,
        last_submission_at=last,
    )
    return grade, late_count, pending


def compute_gradebook(
    course_id: str,
    assignments: Iterable[AssignmentRecord],
    students: Iterable[str],
    submissions: Iterable[Attempt],
    sessions: Iterable[Attempt],
    challenge_max: Mapping[str, float],
    interview_max: Mapping[str, float],
) -> list[GradeRow]:
    """Every student x assignment grade (see the module docstring for the rules).

    ``submissions`` and ``sessions`` are the students' attempts at the challenges and
    interviews, in any order; ``*_max`` give each item's maximum score.
    """
    by_item: dict[tuple[str, str, str], list[Attempt]] = {}
    for kind, attempts in ((CHALLENGE, submissions), (INTERVIEW, sessions)):
        for attempt in attempts:
            by_item.setdefault((kind, attempt.user, attempt.item_id), []).append(attempt)
    for attempts in by_item.values():
        attempts.sort(key=lambda a: (a.at, a.id))
    rows = []
    for assignment in assignments:
        items = [(CHALLENGE, i, challenge_max) for i in assignment.challenge_ids] + [
            (INTERVIEW, i, interview_max) for i in assignment.interview_ids
        ]
        for user in sorted(set(students)):
            grades: list[ItemGrade] = []
            late_total = pending_total = 0
            for kind, item_id, maxima in items:
                grade, late, pending = _best(
                    by_item.get((kind, user, item_id), []),
                    assignment,
                    kind,
                    item_id,
                    float(maxima.get(item_id) or 0.0),
                )
                grades.append(grade)
                late_total += late
                pending_total += pending
            times = [g.last_submission_at for g in grades if g.last_submission_at is not None]
            rows.append(
                GradeRow(
                    course_id=course_id,
                    assignment_id=assignment.id,
                    user=user,
                    score=sum(g.score for g in grades),
                    max_score=sum(g.max_score for g in grades),
                    attempts=sum(g.attempts for g in grades),
                    late=any(g.late for g in grades),
                    late_attempts=late_total,
                    pending=pending_total,
                    last_submission_at=max(times) if times else None,
                    items=tuple(grades),
                )
            )
    return rows
