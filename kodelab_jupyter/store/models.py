"""SQLAlchemy models of the KodeLab database (the alembic migrations mirror these tables)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    TypeDecorator,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SUBMIT, RUN = "submit", "run"
KINDS = (SUBMIT, RUN)
PENDING, RUNNING, DONE = "pending", "running", "done"
STATUSES = (PENDING, RUNNING, DONE)
ACCEPTED = "accepted"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time as a timezone-aware UTC datetime."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in Python, naive UTC in the database (portable to SQLite)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store aware UTC datetimes only")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class JSONText(TypeDecorator[Any]):
    """Any JSON-serialisable value, stored as text (as JupyterHub's ``JSONDict``)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else json.dumps(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)


def _one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=column)


class Base(DeclarativeBase):
    """Declarative base: shared naming convention and Python-type -> column-type map."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), str: String(255)}


class User(Base):
    """A person known to KodeLab, by their Jupyter(Hub) user name."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Challenge(Base):
    """A challenge that was graded at least once, with the hash of its current version."""

    __tablename__ = "challenges"

    id: Mapped[str] = mapped_column(primary_key=True)
    content_hash: Mapped[str]
    title: Mapped[str]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Submission(Base):
    """One answer snapshot sent for grading ('submit') or for the visible tests ('run')."""

    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_user_challenge_created", "user_id", "challenge_id", "created_at"),
        _one_of("kind", KINDS),
        _one_of("status", STATUSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    challenge_id: Mapped[str] = mapped_column(ForeignKey("challenges.id"))
    content_hash: Mapped[str]
    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    verdict: Mapped[str | None] = mapped_column(String(32))
    score: Mapped[float | None]
    max_score: Mapped[float | None]
    tests: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONText)
    message: Mapped[str | None] = mapped_column(Text)
    duration_s: Mapped[float | None]
    late: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class Progress(Base):
    """A user's standing on one challenge, updated with every finished 'submit'."""

    __tablename__ = "progress"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    challenge_id: Mapped[str] = mapped_column(ForeignKey("challenges.id"), primary_key=True)
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    best_score: Mapped[float] = mapped_column(default=0.0, server_default=text("0"))
    max_score: Mapped[float | None]
    solved_at: Mapped[datetime | None]
    last_submission_at: Mapped[datetime | None]


class Start(Base):
    """A user's start of a challenge: their notebook and the deadline fixed when they began."""

    __tablename__ = "starts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    challenge_id: Mapped[str] = mapped_column(ForeignKey("challenges.id"), primary_key=True)
    path: Mapped[str] = mapped_column(String(1024))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline: Mapped[datetime | None]
    gave_up_at: Mapped[datetime | None]


ACTIVE, FINISHED = "active", "finished"
INTERVIEW_STATUSES = (ACTIVE, FINISHED)


class InterviewSession(Base):
    """One mock interview: the server-side clock and the answers, round by round.

    ``rounds`` holds one JSON object per round (opened/deadline/submitted times, the answer,
    the result); ``version`` makes every update a compare-and-swap, so two requests racing
    on one session cannot lose each other's changes.
    """

    __tablename__ = "interview_sessions"
    __table_args__ = (
        _one_of("status", INTERVIEW_STATUSES),
        Index("ix_interview_sessions_user_scenario", "user_id", "scenario_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    scenario_id: Mapped[str] = mapped_column(String(255))
    content_hash: Mapped[str] = mapped_column(String(255))
    path: Mapped[str | None] = mapped_column(String(1024))
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    current_round: Mapped[int] = mapped_column(default=0)
    rounds: Mapped[list[dict[str, Any]]] = mapped_column(JSONText)
    overall_score: Mapped[float | None]
    share_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    version: Mapped[int] = mapped_column(default=0)


STUDENT, INSTRUCTOR = "student", "instructor"
ROLES = (STUDENT, INSTRUCTOR)


class Course(Base):
    """A course: groups assignments (challenges and interviews) and the people enrolled."""

    __tablename__ = "courses"

    id: Mapped[str] = mapped_column(primary_key=True)
    title: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Assignment(Base):
    """Challenges and interviews given to a course, open from ``opens_at``, due at ``due_at``.

    ``late_policy`` is ``{"mode": "accept" | "penalty" | "reject", "penalty_per_day": float,
    "max_late_days": int | null}`` (see :class:`kodelab_jupyter.store.LatePolicy`). Grades are
    never stored here: the gradebook is computed from the submissions.
    """

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_course_id", "course_id"),)

    id: Mapped[str] = mapped_column(primary_key=True)
    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id"))
    title: Mapped[str]
    challenge_ids: Mapped[list[str]] = mapped_column(JSONText)
    interview_ids: Mapped[list[str]] = mapped_column(JSONText)
    opens_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    late_policy: Mapped[dict[str, Any]] = mapped_column(JSONText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Enrollment(Base):
    """A user's role in a course and where the enrollment came from.

    ``source`` is ``'manual'`` or ``'hub-group:<group name>'``: syncing a group only ever
    removes the enrollments that came from that group.
    """

    __tablename__ = "enrollments"
    __table_args__ = (
        Index("ix_enrollments_user_id", "user_id"),
        _one_of("role", ROLES),
    )

    course_id: Mapped[str] = mapped_column(ForeignKey("courses.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    source: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Regrade(Base):
    """One regrade of a submission: the result it replaced and the one it set.

    The submission row always holds the current result (so every existing query, the
    progress table and the gradebook see it); this table is the history, oldest first.
    """

    __tablename__ = "regrades"
    __table_args__ = (Index("ix_regrades_submission_id", "submission_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    regraded_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str | None]
    old_content_hash: Mapped[str]
    old_verdict: Mapped[str | None] = mapped_column(String(32))
    old_score: Mapped[float | None]
    old_max_score: Mapped[float | None]
    old_tests: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONText)
    old_message: Mapped[str | None] = mapped_column(Text)
    old_duration_s: Mapped[float | None]
    new_content_hash: Mapped[str]
    new_verdict: Mapped[str | None] = mapped_column(String(32))
    new_score: Mapped[float | None]
    new_max_score: Mapped[float | None]
