"""Instructor features: courses, distribution, the gradebook, regrades and the dashboard.

:class:`InstructorService` is used by the instructor REST handlers
(:mod:`kodelab_jupyter.handlers.instructor`), by the ``kodelab distribute / export grades /
regrade`` commands and by the JupyterHub service. It never decides *who* may instruct: the
handlers do (``can_instruct``); every method here trusts its caller.

Grades are computed from the submissions by :meth:`Store.gradebook` (rules in
:mod:`kodelab_jupyter.store.courses`): the assignment score is the **sum** of its
challenges' best (late-policy adjusted) scores, the maximum the sum of their points.

Regrades keep history: a submission whose result changes gets the new result in place (so
progress, history and the gradebook follow) and its previous result goes to the
``regrades`` table (:meth:`Store.regrade_submission`). Unchanged results are not written.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import statistics
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from traitlets import Bool, List, Unicode
from traitlets.config import LoggingConfigurable

from ..content.catalog import Catalog
from ..content.challenge import Challenge
from ..errors import Conflict, Invalid, NotFound
from ..grading.service import GradingService
from ..interview.loader import InterviewCatalog
from ..store import (
    AssignmentRecord,
    CourseRecord,
    GradeRow,
    LatePolicy,
    Store,
    SubmissionRecord,
)
from ..store import NotFound as StoreNotFound
from ..store.models import DONE, PENDING, RUNNING, utcnow

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG = 100
CSV_HEADER = (
    "student",
    "assignment",
    "score",
    "max_score",
    "attempts",
    "late",
    "last_submission_at",
)
RECENT = 20
HARDEST = 10
ProgressCallback = Callable[[int, int], None]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _number(value: float) -> float | int:
    """Whole numbers as integers (5, not 5.0); others rounded to 4 decimals."""
    value = round(float(value), 4)
    return int(value) if value.is_integer() else value


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def _spreadsheet_safe(text: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula (``=cmd|...``)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def check_slug(value: Any, what: str) -> str:
    """``value`` if it is a slug (``[a-z0-9]`` words joined by ``-``); Invalid otherwise."""
    if not isinstance(value, str) or len(value) > MAX_SLUG or not SLUG.match(value):
        raise Invalid(f"{what} must be lower-case letters, digits and single dashes")
    return value


def parse_when(value: Any, what: str) -> datetime | None:
    """An aware datetime from an ISO 8601 string (or datetime) with a UTC offset or ``Z``.

    ``None``/empty stays ``None``; a time without offset is Invalid (it would be ambiguous).
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise Invalid(f"{what}: {value!r} is not an ISO 8601 date and time") from None
    else:
        raise Invalid(f"{what} must be an ISO 8601 string")
    if moment.tzinfo is None:
        raise Invalid(f"{what}: give a UTC offset (e.g. 2026-12-01T23:59:00+01:00 or ...Z)")
    return moment


def challenge_max_score(challenge: Challenge) -> float:
    """A challenge's maximum score: the points of its tests (SQL: of its datasets)."""
    spec = challenge.spec
    return float(sum(t.points for t in spec.tests) + sum(d.points for d in spec.datasets or []))


def assignment_view(record: AssignmentRecord, now: datetime | None = None) -> dict[str, Any]:
    """An assignment as the API returns it."""
    return {
        "id": record.id,
        "course_id": record.course_id,
        "title": record.title,
        "challenge_ids": list(record.challenge_ids),
        "interview_ids": list(record.interview_ids),
        "opens_at": _iso(record.opens_at),
        "due_at": _iso(record.due_at),
        "closes_at": _iso(record.closes_at),
        "late_policy": record.late_policy.to_json(),
        "open": record.is_open(now or utcnow()),
        "updated_at": _iso(record.updated_at),
    }


def grade_view(row: GradeRow) -> dict[str, Any]:
    """A gradebook row as the API returns it (one LTI score: see store.courses)."""
    return {
        "student": row.user,
        "assignment": row.assignment_id,
        "score": _number(row.score),
        "max_score": _number(row.max_score),
        "attempts": row.attempts,
        "late": row.late,
        "late_attempts": row.late_attempts,
        "pending": row.pending,
        "last_submission_at": _iso(row.last_submission_at),
        "items": [
            {
                "kind": item.kind,
                "id": item.item_id,
                "score": _number(item.score),
                "max_score": _number(item.max_score),
                "attempts": item.attempts,
                "late": item.late,
                "submission_id": item.submission_id,
                "last_submission_at": _iso(item.last_submission_at),
            }
            for item in row.items
        ],
    }


def _result_key(verdict: Mapping[str, Any] | None) -> tuple[Any, ...]:
    """What a regrade compares: verdict, score, maximum and each test's name/status/points
    (not durations or messages, which vary from run to run)."""
    if verdict is None:
        return ()
    tests = tuple(
        (
            t.get("name"),
            t.get("status"),
            float(t.get("points") or 0),
            float(t.get("max_points") or 0),
        )
        for t in verdict.get("tests") or []
    )
    return (
        verdict.get("verdict"),
        float(verdict.get("score") or 0),
        float(verdict.get("max_score") or 0),
        tests,
    )


@dataclass(frozen=True)
class ScoreChange:
    """A submission whose result changed in a regrade."""

    submission_id: int
    user: str
    challenge_id: str
    old_verdict: str | None
    new_verdict: str
    old_score: float | None
    new_score: float
    old_max_score: float | None
    new_max_score: float

    def to_json(self) -> dict[str, Any]:
        """The change as the API and CLI report it."""
        return {
            "submission_id": self.submission_id,
            "user": self.user,
            "challenge_id": self.challenge_id,
            "old_verdict": self.old_verdict,
            "new_verdict": self.new_verdict,
            "old_score": None if self.old_score is None else _number(self.old_score),
            "new_score": _number(self.new_score),
            "old_max_score": None if self.old_max_score is None else _number(self.old_max_score),
            "new_max_score": _number(self.new_max_score),
        }


@dataclass(frozen=True)
class RegradeProblem:
    """A submission the regrade could not grade; its stored result was left as it was."""

    submission_id: int
    challenge_id: str
    message: str


@dataclass(frozen=True)
class RegradeReport:
    """What a regrade of an assignment did."""

    assignment_id: str
    total: int
    unchanged: int
    changed: tuple[ScoreChange, ...] = field(default=())
    problems: tuple[RegradeProblem, ...] = field(default=())
    duration_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The report as the API returns it."""
        return {
            "assignment_id": self.assignment_id,
            "total": self.total,
            "unchanged": self.unchanged,
            "changed": [c.to_json() for c in self.changed],
            "problems": [
                {
                    "submission_id": p.submission_id,
                    "challenge_id": p.challenge_id,
                    "message": p.message,
                }
                for p in self.problems
            ],
            "duration_s": round(self.duration_s, 3),
        }


class InstructorService(LoggingConfigurable):
    """Courses, assignments, enrollments, gradebook, regrades and the dashboard."""

    local_user_instructs = Bool(
        True,
        help="On a single-user server (jupyter-server's own token identity) the local user "
        "instructs every course. Default: True.",
    ).tag(config=True)
    instructors = List(
        Unicode(),
        help="User names that instruct every course, for multi-user servers without hub "
        "scopes (in the hub, the custom:kodelab:instruct scope does this). Default: [].",
    ).tag(config=True)

    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        grading: GradingService | None = None,
        interviews: InterviewCatalog | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.catalog = catalog
        self.grading = grading
        self.interviews = interviews
        self._regrading: set[str] = set()

    # -- courses and assignments ----------------------------------------------------------

    def course(self, course_id: str) -> CourseRecord:
        """One course; NotFound if there is none."""
        try:
            return self.store.get_course(course_id)
        except StoreNotFound:
            raise NotFound(f"no course '{course_id}'") from None

    def put_course(self, course_id: str, title: Any) -> CourseRecord:
        """Create a course or rename it."""
        check_slug(course_id, "a course id")
        if not isinstance(title, str) or not title.strip() or len(title) > 255:
            raise Invalid("'title' must be a non-empty string of at most 255 characters")
        return self.store.put_course(course_id, title.strip())

    def courses_view(self, course_ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Courses (all, or those in ``course_ids``) with their assignments and head counts."""
        wanted = None if course_ids is None else set(course_ids)
        now = utcnow()
        out = []
        for course in self.store.list_courses():
            if wanted is not None and course.id not in wanted:
                continue
            people = self.store.enrollments(course.id)
            out.append(
                {
                    "id": course.id,
                    "title": course.title,
                    "created_at": _iso(course.created_at),
                    "students": sum(e.role == "student" for e in people),
                    "instructors": sorted(e.user for e in people if e.role == "instructor"),
                    "assignments": [
                        assignment_view(a, now) for a in self.store.list_assignments(course.id)
                    ],
                }
            )
        return out

    def distribute(
        self,
        course_id: str,
        assignment_id: str,
        challenge_ids: Any,
        opens_at: Any = None,
        due_at: Any = None,
        late_policy: Any = None,
        *,
        title: Any = None,
        interview_ids: Any = (),
        course_title: str | None = None,
    ) -> AssignmentRecord:
        """Publish a challenge set (and interviews) to a course as an assignment (upsert).

        Every id must exist in the catalog (Invalid, 422, naming the unknown ones);
        ``opens_at`` defaults to now, ``due_at`` to none, ``late_policy`` to accept-late. A
        missing course is created (titled ``course_title`` or its id). Conflict if the
        assignment id belongs to another course.
        """
        check_slug(course_id, "a course id")
        check_slug(assignment_id, "an assignment id")
        challenges = self._ids(challenge_ids, "challenge_ids")
        interviews = self._ids(interview_ids, "interview_ids")
        if not challenges and not interviews:
            raise Invalid("an assignment needs at least one challenge or interview")
        unknown = [c for c in challenges if c not in self.catalog.challenges]
        if unknown:
            raise Invalid(f"unknown challenge(s): {', '.join(unknown)}")
        if self.interviews is not None:
            missing = [i for i in interviews if i not in self.interviews.scenarios]
            if missing:
                raise Invalid(f"unknown interview(s): {', '.join(missing)}")
        opens = parse_when(opens_at, "opens_at")
        due = parse_when(due_at, "due_at")
        if due is not None and due < (opens or utcnow()):
            raise Invalid("due_at is before opens_at")
        try:
            policy = LatePolicy.from_json(late_policy)
        except ValueError as exc:
            raise Invalid(str(exc)) from None
        if title is not None and (not isinstance(title, str) or not title.strip()):
            raise Invalid("'title' must be a non-empty string")
        self.store.ensure_course(course_id, course_title or course_id)
        if title is None:
            try:
                title = self.store.get_assignment(assignment_id).title
            except StoreNotFound:
                title = assignment_id
        for challenge_id in challenges:
            challenge = self.catalog.get(challenge_id)
            self.store.record_challenge(challenge.id, challenge.content_hash, challenge.spec.title)
        return self.store.put_assignment(
            assignment_id,
            course_id,
            str(title).strip(),
            challenges,
            interviews,
            opens_at=opens,
            due_at=due,
            late_policy=policy,
        )

    @staticmethod
    def _ids(value: Any, what: str) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise Invalid(f"'{what}' must be a list of ids")
        if not all(isinstance(v, str) for v in value):
            raise Invalid(f"'{what}' must be a list of ids")
        return list(dict.fromkeys(value))

    def assignment(self, assignment_id: str) -> AssignmentRecord:
        """One assignment; NotFound if there is none."""
        try:
            return self.store.get_assignment(assignment_id)
        except StoreNotFound:
            raise NotFound(f"no assignment '{assignment_id}'") from None

    # -- enrollments ----------------------------------------------------------------------

    def enroll(self, course_id: str, users: Any, role: Any = "student") -> dict[str, Any]:
        """Enroll users by hand (source ``manual``)."""
        self.course(course_id)
        names = self._users(users)
        role = self._role(role)
        records = self.store.enroll(course_id, names, role)
        return {"course_id": course_id, "enrolled": sorted(r.user for r in records), "role": role}

    def sync_group(
        self, course_id: str, group: Any, members: Any, role: Any = "student"
    ) -> dict[str, Any]:
        """Make the enrollments from hub group ``group`` match its current ``members``."""
        self.course(course_id)
        if not isinstance(group, str) or not group.strip():
            raise Invalid("'group' must be a group name")
        result = self.store.sync_group(course_id, group, self._users(members), self._role(role))
        return {
            "course_id": course_id,
            "source": result.source,
            "added": list(result.added),
            "removed": list(result.removed),
        }

    def unenroll(self, course_id: str, users: Any) -> dict[str, Any]:
        """Remove enrollments."""
        self.course(course_id)
        return {
            "course_id": course_id,
            "removed": self.store.unenroll(course_id, self._users(users)),
        }

    def enrollments_view(self, course_id: str) -> list[dict[str, Any]]:
        """The course's enrollments."""
        self.course(course_id)
        return [
            {"user": e.user, "role": e.role, "source": e.source, "created_at": _iso(e.created_at)}
            for e in self.store.enrollments(course_id)
        ]

    @staticmethod
    def _users(value: Any) -> list[str]:
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise Invalid("'users' (or 'members') must be a list of user names")
        names = []
        for name in value:
            if not isinstance(name, str) or not name.strip() or len(name) > 255:
                raise Invalid("user names must be non-empty strings")
            names.append(name.strip())
        return names

    @staticmethod
    def _role(value: Any) -> str:
        if value not in ("student", "instructor"):
            raise Invalid("'role' must be 'student' or 'instructor'")
        return str(value)

    # -- students -------------------------------------------------------------------------

    def student_catalog_filter(self, user: str) -> set[str]:
        """The challenge ids a user's catalog shows in course mode: those of the open
        assignments of the courses they take (every assignment of a course they teach)."""
        return {c for a in self.store.assignments_of(user) for c in a.challenge_ids}

    def my_assignments(self, user: str) -> list[dict[str, Any]]:
        """The assignments a user sees (see :meth:`Store.assignments_of`)."""
        now = utcnow()
        return [assignment_view(a, now) for a in self.store.assignments_of(user, now)]

    # -- gradebook ------------------------------------------------------------------------

    def _maxima(self) -> tuple[dict[str, float], dict[str, float]]:
        challenges = {cid: challenge_max_score(c) for cid, c in self.catalog.challenges.items()}
        interviews = (
            {sid: float(len(s.spec.rounds)) for sid, s in self.interviews.scenarios.items()}
            if self.interviews is not None
            else {}
        )
        return challenges, interviews

    def gradebook(self, course_id: str) -> list[GradeRow]:
        """Every enrolled student x assignment grade of the course."""
        self.course(course_id)
        challenge_max, interview_max = self._maxima()
        return self.store.gradebook(course_id, challenge_max, interview_max)

    def gradebook_view(self, course_id: str) -> dict[str, Any]:
        """The gradebook as the API returns it: the assignments (LTI line items) and rows."""
        course = self.course(course_id)
        rows = self.gradebook(course_id)
        maxima: dict[str, float] = {}
        for row in rows:
            maxima[row.assignment_id] = row.max_score
        now = utcnow()
        return {
            "course": {"id": course.id, "title": course.title},
            "assignments": [
                dict(assignment_view(a, now), max_score=_number(maxima.get(a.id, 0.0)))
                for a in self.store.list_assignments(course_id)
            ],
            "rows": [grade_view(r) for r in rows],
        }

    def gradebook_csv(self, course_id: str) -> str:
        """The gradebook as CSV: one row per student x assignment, by student then
        assignment, header ``student,assignment,score,max_score,attempts,late,
        last_submission_at`` (late as true/false, times ISO 8601 UTC)."""
        rows = self.gradebook(course_id)
        order = {a: i for i, a in enumerate(dict.fromkeys(r.assignment_id for r in rows))}
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        for row in sorted(rows, key=lambda r: (r.user, order[r.assignment_id])):
            writer.writerow(
                (
                    _spreadsheet_safe(row.user),
                    row.assignment_id,
                    _number(row.score),
                    _number(row.max_score),
                    row.attempts,
                    "true" if row.late else "false",
                    _iso(row.last_submission_at) or "",
                )
            )
        return out.getvalue()

    # -- regrade --------------------------------------------------------------------------

    async def regrade(
        self, assignment_id: str, progress: ProgressCallback | None = None
    ) -> RegradeReport:
        """Grade every finished 'submit' of the assignment again, in parallel.

        The submissions are those the gradebook counts: by the course's students, of the
        assignment's challenges, since it opened. Each answer is graded against the
        challenge as it is now (through the grading service's slots, so at most its
        concurrency at once); ``progress(done, total)`` is called after each. A result that
        differs (verdict, score, maximum or a test's status/points) is stored with
        :meth:`Store.regrade_submission`, which keeps the old one in ``regrades``; an
        unchanged result writes nothing. A run that fails on our side (``internal_error``,
        a challenge gone from the catalog) leaves the stored result alone and is listed in
        ``problems``. Conflict if a regrade of this assignment is already running.
        """
        if self.grading is None:
            raise Conflict("this server has no grader to regrade with")
        assignment = self.assignment(assignment_id)
        if assignment_id in self._regrading:
            raise Conflict(f"assignment '{assignment_id}' is being regraded already")
        self._regrading.add(assignment_id)
        try:
            return await self._regrade(assignment, progress)
        finally:
            self._regrading.discard(assignment_id)

    async def _regrade(
        self, assignment: AssignmentRecord, progress: ProgressCallback | None
    ) -> RegradeReport:
        began = time.monotonic()
        records = await asyncio.to_thread(
            self.store.course_submissions,
            assignment.course_id,
            assignment.challenge_ids,
            assignment.opens_at,
            (DONE,),
        )
        for challenge_id in set(assignment.challenge_ids) & set(self.catalog.challenges):
            challenge = self.catalog.get(challenge_id)
            await asyncio.to_thread(
                self.store.record_challenge,
                challenge.id,
                challenge.content_hash,
                challenge.spec.title,
            )
        total, finished = len(records), 0
        if progress is not None:
            progress(0, total)

        async def one(record: SubmissionRecord) -> ScoreChange | RegradeProblem | None:
            nonlocal finished
            try:
                return await self._regrade_one(assignment, record)
            finally:
                finished += 1
                if progress is not None:
                    progress(finished, total)

        outcomes = await asyncio.gather(*(one(r) for r in records))
        changed = tuple(o for o in outcomes if isinstance(o, ScoreChange))
        problems = tuple(o for o in outcomes if isinstance(o, RegradeProblem))
        report = RegradeReport(
            assignment_id=assignment.id,
            total=total,
            unchanged=total - len(changed) - len(problems),
            changed=changed,
            problems=problems,
            duration_s=time.monotonic() - began,
        )
        self.log.info(
            "regrade of %s: %d submission(s), %d changed, %d problem(s)",
            assignment.id,
            total,
            len(changed),
            len(problems),
        )
        return report

    async def _regrade_one(
        self, assignment: AssignmentRecord, record: SubmissionRecord
    ) -> ScoreChange | RegradeProblem | None:
        assert self.grading is not None
        challenge = self.catalog.challenges.get(record.challenge_id)
        if challenge is None:
            return RegradeProblem(record.id, record.challenge_id, "challenge not in the catalog")
        try:
            verdict = (await self.grading.grade_answer(challenge, record.code)).to_json()
        except Exception as exc:
            self.log.exception("regrading submission %s failed", record.id)
            return RegradeProblem(record.id, record.challenge_id, type(exc).__name__)
        if verdict["verdict"] == "internal_error":
            return RegradeProblem(
                record.id, record.challenge_id, verdict.get("message") or "internal error"
            )
        if _result_key(verdict) == _result_key(record.to_verdict()):
            return None
        await asyncio.to_thread(
            self.store.regrade_submission,
            record.id,
            verdict,
            challenge.content_hash,
            f"regrade of assignment {assignment.id}",
        )
        return ScoreChange(
            submission_id=record.id,
            user=record.user,
            challenge_id=record.challenge_id,
            old_verdict=record.verdict,
            new_verdict=verdict["verdict"],
            old_score=record.score,
            new_score=float(verdict["score"]),
            old_max_score=record.max_score,
            new_max_score=float(verdict["max_score"]),
        )

    # -- dashboard ------------------------------------------------------------------------

    def dashboard(self, course_id: str) -> dict[str, Any]:
        """Course statistics for instructors, from the students' counted submissions.

        Per challenge: ``pass_rate`` = accepted / graded submissions, ``solve_rate`` =
        students with an accepted submission / students who submitted,
        ``median_time_to_solve_s`` = first accepted submission minus the student's start
        of the challenge, ``median_attempts_before_accept`` = submissions before the first
        accepted one (0 = first try). Per test: pass rate over the graded submissions that
        ran it (``skipped`` tests, e.g. after a compile error, are not counted).
        ``hardest_tests``: the lowest per-test pass rates; ``recent_activity``: the last
        20 submissions (any status). Only names and statuses of hidden tests appear.
        """
        course = self.course(course_id)
        assignments = self.store.list_assignments(course_id)
        opens: dict[str, datetime] = {}
        for a in assignments:
            for cid in a.challenge_ids:
                opens[cid] = min(opens.get(cid, a.opens_at), a.opens_at)
        records = [
            r
            for r in self.store.course_submissions(course_id, list(opens), statuses=(DONE,))
            if r.created_at >= opens[r.challenge_id]
        ]
        starts = {
            (s.user, s.challenge_id): s.started_at for s in self.store.course_starts(course_id)
        }
        by_challenge: dict[str, list[SubmissionRecord]] = {cid: [] for cid in opens}
        for record in records:
            by_challenge[record.challenge_id].append(record)
        challenges = [
            self._challenge_stats(cid, subs, starts) for cid, subs in by_challenge.items()
        ]
        tests = [dict(t, challenge_id=c["challenge_id"]) for c in challenges for t in c["tests"]]
        hardest = sorted(
            (t for t in tests if t["runs"]),
            key=lambda t: (t["pass_rate"], -t["runs"], t["challenge_id"], t["name"]),
        )[:HARDEST]
        recent = self.store.course_submissions(
            course_id, list(opens), statuses=(PENDING, RUNNING, DONE), newest=RECENT
        )
        return {
            "course": {"id": course.id, "title": course.title},
            "students": len(self.store.enrollments(course_id, role="student")),
            "assignments": len(assignments),
            "submissions": len(records),
            "challenges": challenges,
            "hardest_tests": hardest,
            "recent_activity": [
                {
                    "id": r.id,
                    "user": r.user,
                    "challenge_id": r.challenge_id,
                    "status": r.status,
                    "verdict": r.verdict,
                    "score": None if r.score is None else _number(r.score),
                    "max_score": None if r.max_score is None else _number(r.max_score),
                    "created_at": _iso(r.created_at),
                }
                for r in recent
            ],
        }

    def _challenge_stats(
        self,
        challenge_id: str,
        records: list[SubmissionRecord],
        starts: Mapping[tuple[str, str], datetime],
    ) -> dict[str, Any]:
        accepted = [r for r in records if r.verdict == "accepted"]
        by_user: dict[str, list[SubmissionRecord]] = {}
        for record in records:  # oldest first
            by_user.setdefault(record.user, []).append(record)
        solve_times: list[float] = []
        tries: list[float] = []
        for user, mine in by_user.items():
            first = next((i for i, r in enumerate(mine) if r.verdict == "accepted"), None)
            if first is None:
                continue
            tries.append(first)
            started = starts.get((user, challenge_id))
            if started is not None and started <= mine[first].created_at:
                solve_times.append((mine[first].created_at - started).total_seconds())
        runs: dict[str, list[int]] = {}
        visible: dict[str, bool] = {}
        for record in records:
            for test in record.tests or []:
                if test.get("status") == "skipped" or not isinstance(test.get("name"), str):
                    continue
                counts = runs.setdefault(test["name"], [0, 0])
                counts[0] += 1
                counts[1] += test.get("status") == "passed"
                visible[test["name"]] = bool(test.get("visible"))
        challenge = self.catalog.challenges.get(challenge_id)
        solved = sum(any(r.verdict == "accepted" for r in mine) for mine in by_user.values())
        return {
            "challenge_id": challenge_id,
            "title": challenge.spec.title if challenge else challenge_id,
            "submissions": len(records),
            "accepted": len(accepted),
            "pass_rate": _rate(len(accepted), len(records)),
            "students": len(by_user),
            "solved": solved,
            "solve_rate": _rate(solved, len(by_user)),
            "median_time_to_solve_s": _median(solve_times),
            "median_attempts_before_accept": _median(tries),
            "tests": [
                {
                    "name": name,
                    "visible": visible[name],
                    "runs": total,
                    "passed": passed,
                    "pass_rate": _rate(passed, total),
                }
                for name, (total, passed) in runs.items()
            ],
        }
