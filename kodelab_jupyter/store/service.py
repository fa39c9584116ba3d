"""The store service: every read and write of the KodeLab database goes through :class:`Store`.

Each method opens its own session, so one ``Store`` is shared by all threads. Methods return
frozen dataclasses, never ORM objects.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from jupyter_core.paths import jupyter_data_dir
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    Select,
    case,
    create_engine,
    delete,
    event,
    func,
    make_url,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from traitlets import Unicode, default
from traitlets.config import LoggingConfigurable

from .courses import (
    AssignmentRecord,
    Attempt,
    CourseRecord,
    EnrollmentRecord,
    GradeRow,
    LatePolicy,
    RegradeRecord,
    SyncResult,
    compute_gradebook,
)
from .errors import Conflict, NotFound, StoreError
from .models import (
    ACCEPTED,
    ACTIVE,
    DONE,
    FINISHED,
    INSTRUCTOR,
    KINDS,
    PENDING,
    ROLES,
    RUNNING,
    STUDENT,
    SUBMIT,
    Assignment,
    Challenge,
    Course,
    Enrollment,
    InterviewSession,
    Progress,
    Regrade,
    Start,
    Submission,
    User,
    utcnow,
)

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option marking the engine whose SQLite transactions start with BEGIN IMMEDIATE.
_IMMEDIATE = "kodelab_sqlite_immediate"
_R = TypeVar("_R", bound="DataclassInstance")


@dataclass(frozen=True)
class SubmissionRecord:
    """One submission, detached from the database."""

    id: int
    user: str
    user_id: int
    challenge_id: str
    content_hash: str
    kind: str
    code: str
    status: str
    verdict: str | None
    score: float | None
    max_score: float | None
    tests: list[dict[str, Any]] | None
    message: str | None
    duration_s: float | None
    late: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    def to_verdict(self) -> dict[str, Any] | None:
        """The Verdict JSON dict of a finished submission, ``None`` while it is not done."""
        if self.status != DONE:
            return None
        result: dict[str, Any] = {
            "verdict": self.verdict,
            "score": self.score,
            "max_score": self.max_score,
            "duration_s": self.duration_s,
            "tests": self.tests or [],
        }
        if self.message is not None:
            result["message"] = self.message
        return result


@dataclass(frozen=True)
class ProgressRecord:
    """A user's standing on one challenge."""

    challenge_id: str
    attempts: int
    best_score: float
    max_score: float | None
    solved_at: datetime | None
    last_submission_at: datetime | None

    @property
    def solved(self) -> bool:
        """Whether any submission was accepted."""
        return self.solved_at is not None


@dataclass(frozen=True)
class StartRecord:
    """A user's start of a challenge; ``deadline`` is ``None`` when there is no time limit."""

    user: str
    challenge_id: str
    path: str
    started_at: datetime
    deadline: datetime | None
    gave_up_at: datetime | None


@dataclass(frozen=True)
class InterviewRecord:
    """One mock interview session; ``rounds`` is the per-round state kept by the engine."""

    id: int
    user: str
    scenario_id: str
    content_hash: str
    path: str | None
    status: str
    started_at: datetime
    finished_at: datetime | None
    current_round: int
    rounds: list[dict[str, Any]]
    overall_score: float | None
    share_token: str | None
    version: int


def _record(cls: type[_R], row: object, **extra: Any) -> _R:
    """Copy the attributes named by the dataclass ``cls`` from an ORM object."""
    names = [f.name for f in fields(cls) if f.name not in extra]
    return cls(**{name: getattr(row, name) for name in names}, **extra)


def _greatest(current: Any, new: Any) -> ColumnElement[Any]:
    """SQL ``max(current, new)`` that ignores NULLs, portable across SQLite and PostgreSQL."""
    return case((current.is_(None), new), (new > current, new), else_=current)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _verdict_columns(verdict: Mapping[str, Any]) -> dict[str, Any]:
    """The submission columns set from a Verdict JSON dict."""
    if not isinstance(verdict.get("verdict"), str):
        raise StoreError("a verdict dict needs a string 'verdict'")
    return {
        "verdict": verdict["verdict"],
        "score": _float(verdict.get("score")),
        "max_score": _float(verdict.get("max_score")),
        "duration_s": _float(verdict.get("duration_s")),
        "tests": verdict.get("tests"),
        "message": verdict.get("message"),
    }


def _sqlite_on_connect(dbapi_connection: Any, _connection_record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_on_begin) instead of the sqlite3 module.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        f"busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}",
        "journal_mode = WAL",
        "foreign_keys = ON",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    # A write transaction takes the write lock up front: a deferred one that reads first
    # fails with SQLITE_BUSY (no wait) when another writer committed in between.
    immediate = connection.get_execution_options().get(_IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _insert(session: Session) -> Callable[[Any], sqlite.Insert | postgresql.Insert]:
    """The dialect's INSERT construct, which supports ``ON CONFLICT``."""
    name = session.get_bind().dialect.name
    if name == "sqlite":
        return sqlite.insert
    if name == "postgresql":
        return postgresql.insert
    raise StoreError(f"unsupported database {name!r}: use SQLite or PostgreSQL")


class Store(LoggingConfigurable):
    """Persistence of users, challenges, starts, submissions, progress, interviews, courses,
    assignments and enrollments (SQLite or PostgreSQL)."""

    db_url = Unicode(
        help="SQLAlchemy URL of the KodeLab database. "
        "Default: sqlite:///<jupyter data dir>/kodelab/kodelab.sqlite"
    ).tag(config=True)

    @default("db_url")
    def _default_db_url(self) -> str:
        directory = Path(jupyter_data_dir()) / "kodelab"
        directory.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{directory / 'kodelab.sqlite'}"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._engine_lock = threading.Lock()
        self._engine: Engine | None = None

    # -- engine, sessions, schema ---------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, created on first use from ``db_url``."""
        if self._engine is None:
            with self._engine_lock:
                if self._engine is None:
                    self._engine = self._create_engine()
        return self._engine

    def _create_engine(self) -> Engine:
        url = make_url(self.db_url)
        if url.get_backend_name() != "sqlite":
            return create_engine(url, pool_pre_ping=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine

    def close(self) -> None:
        """Close every pooled connection; the next call opens a fresh engine."""
        with self._engine_lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    @property
    def _writer(self) -> Engine:
        """The engine for write transactions (BEGIN IMMEDIATE on SQLite)."""
        return self.engine.execution_options(**{_IMMEDIATE: True})

    @contextmanager
    def _transaction(self, *, write: bool = False) -> Iterator[Session]:
        """A session in a transaction, committed on success and rolled back on error."""
        bind = self._writer if write else self.engine
        with Session(bind, expire_on_commit=False) as session, session.begin():
            yield session

    def alembic_config(self, connection: Connection | None = None) -> Config:
        """An alembic ``Config`` for this database (no ``alembic.ini`` involved)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("sqlalchemy.url", self.db_url.replace("%", "%%"))
        if connection is not None:
            config.attributes["connection"] = connection
        return config

    def upgrade(self) -> None:
        """Run ``alembic upgrade head``."""
        self.log.info("Upgrading the KodeLab database %s", self.engine.url)
        with self._writer.begin() as connection:
            command.upgrade(self.alembic_config(connection), "head")

    def current_revision(self) -> str | None:
        """The alembic revision of the database, ``None`` when it has no schema yet."""
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def ensure_schema(self) -> None:
        """Upgrade the database when it is behind the migrations shipped with the package."""
        head = ScriptDirectory.from_config(self.alembic_config()).get_current_head()
        if self.current_revision() != head:
            self.upgrade()

    # -- users and challenges -------------------------------------------------------------

    def get_or_create_user(self, name: str) -> int:
        """The id of the user ``name``, created when missing."""
        with self._transaction(write=True) as session:
            return self._user_id(session, name)

    def record_challenge(self, challenge_id: str, content_hash: str, title: str) -> None:
        """Insert the challenge, or update its content hash and title."""
        with self._transaction(write=True) as session:
            self._put_challenge(session, challenge_id, content_hash, title, overwrite=True)

    @staticmethod
    def _user_id(session: Session, name: str) -> int:
        insert = _insert(session)(User).values(name=name, created_at=utcnow())
        session.execute(insert.on_conflict_do_nothing(index_elements=[User.name]))
        return session.execute(select(User.id).where(User.name == name)).scalar_one()

    @staticmethod
    def _put_challenge(
        session: Session, challenge_id: str, content_hash: str, title: str, *, overwrite: bool
    ) -> None:
        insert = _insert(session)(Challenge).values(
            id=challenge_id, content_hash=content_hash, title=title, updated_at=utcnow()
        )
        if overwrite:
            new = insert.excluded
            statement = insert.on_conflict_do_update(
                index_elements=[Challenge.id],
                set_={
                    "content_hash": new.content_hash,
                    "title": new.title,
                    "updated_at": new.updated_at,
                },
            )
        else:
            statement = insert.on_conflict_do_nothing(index_elements=[Challenge.id])
        session.execute(statement)

    # -- starts: the notebook and the deadline of a user's attempt at a challenge ---------

    def start_challenge(
        self,
        user: str,
        challenge_id: str,
        content_hash: str,
        title: str,
        path: str,
        time_limit_minutes: int,
    ) -> tuple[StartRecord, bool]:
        """Start the challenge for the user unless they already did; ``(start, created)``.

        The deadline is ``time_limit_minutes`` from now (none when it is 0). An existing start
        is returned unchanged: starting again never moves its deadline or its path. Missing
        user and challenge rows are created, the challenge's hash and title are updated.
        """
        if time_limit_minutes < 0:
            raise ValueError(f"time_limit_minutes must be >= 0, not {time_limit_minutes}")
        now = utcnow()
        deadline = now + timedelta(minutes=time_limit_minutes) if time_limit_minutes else None
        with self._transaction(write=True) as session:
            user_id = self._user_id(session, user)
            self._put_challenge(session, challenge_id, content_hash, title, overwrite=True)
            insert = _insert(session)(Start).values(
                user_id=user_id,
                challenge_id=challenge_id,
                path=path,
                started_at=now,
                deadline=deadline,
            )
            inserted = session.execute(
                insert.on_conflict_do_nothing(
                    index_elements=[Start.user_id, Start.challenge_id]
                ).returning(Start.user_id)
            ).first()
            record = self._get_start(session, user, challenge_id)
        assert record is not None, "a start row exists after insert-or-ignore"
        return record, inserted is not None

    def get_start(self, user: str, challenge_id: str) -> StartRecord | None:
        """The user's start of the challenge, ``None`` when they never started it."""
        with self._transaction() as session:
            return self._get_start(session, user, challenge_id)

    def path_users(self, path: str) -> set[str]:
        """Names of the users whose started notebook is at ``path``."""
        with self._transaction() as session:
            rows = session.execute(_starts().where(Start.path == path)).all()
            return {name for _, name in rows}

    def give_up(self, user: str, challenge_id: str) -> StartRecord:
        """Record that the user gave up the challenge; the first time is kept.

        :class:`NotFound` if the user never started it.
        """
        user_id = select(User.id).where(User.name == user).scalar_subquery()
        statement = (
            update(Start)
            .where(
                Start.user_id == user_id,
                Start.challenge_id == challenge_id,
                Start.gave_up_at.is_(None),
            )
            .values(gave_up_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        with self._transaction(write=True) as session:
            session.execute(statement)
            record = self._get_start(session, user, challenge_id)
        if record is None:
            raise NotFound(f"challenge {challenge_id!r} was not started")
        return record

    def starts(self, user: str) -> dict[str, StartRecord]:
        """A user's starts, keyed by challenge id."""
        query = _starts().where(User.name == user)
        with self._transaction() as session:
            return {
                s.challenge_id: _record(StartRecord, s, user=n) for s, n in session.execute(query)
            }

    @staticmethod
    def _get_start(session: Session, user: str, challenge_id: str) -> StartRecord | None:
        query = _starts().where(User.name == user, Start.challenge_id == challenge_id)
        row = session.execute(query).one_or_none()
        if row is None:
            return None
        start, name = row
        return _record(StartRecord, start, user=name)

    # -- interview sessions ---------------------------------------------------------------

    def create_interview(
        self,
        user: str,
        scenario_id: str,
        content_hash: str,
        rounds: list[dict[str, Any]],
        path: str | None = None,
    ) -> InterviewRecord:
        """Store a new active interview session and return it."""
        with self._transaction(write=True) as session:
            row = InterviewSession(
                user_id=self._user_id(session, user),
                scenario_id=scenario_id,
                content_hash=content_hash,
                path=path,
                status=ACTIVE,
                started_at=utcnow(),
                current_round=0,
                rounds=rounds,
                version=0,
            )
            session.add(row)
            session.flush()
            return _record(InterviewRecord, row, user=user)

    def get_interview(self, interview_id: int, user: str | None = None) -> InterviewRecord:
        """One interview session; another user's is :class:`NotFound` when ``user`` is given."""
        query = _interviews().where(InterviewSession.id == interview_id)
        if user is not None:
            query = query.where(User.name == user)
        with self._transaction() as session:
            row = session.execute(query).one_or_none()
        if row is None:
            raise NotFound(f"interview session {interview_id} not found")
        return _record(InterviewRecord, row[0], user=row[1])

    def update_interview(self, interview_id: int, version: int, **changes: Any) -> InterviewRecord:
        """Apply ``changes`` if the session is still at ``version`` (compare-and-swap).

        :class:`Conflict` when another request changed it first: reload and retry.
        """
        allowed = {
            "path",
            "status",
            "finished_at",
            "current_round",
            "rounds",
            "overall_score",
            "share_token",
        }
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        with self._transaction(write=True) as session:
            done = session.execute(
                update(InterviewSession)
                .where(InterviewSession.id == interview_id, InterviewSession.version == version)
                .values(version=version + 1, **changes)
                .returning(InterviewSession.id)
            ).first()
            if done is None:
                exists = session.get(InterviewSession, interview_id)
                if exists is None:
                    raise NotFound(f"interview session {interview_id} not found")
                raise Conflict(f"interview session {interview_id} changed meanwhile")
            row = session.execute(_interviews().where(InterviewSession.id == interview_id)).one()
            return _record(InterviewRecord, row[0], user=row[1])

    def list_interviews(self, user: str, scenario_id: str | None = None) -> list[InterviewRecord]:
        """The user's interview sessions, newest first."""
        query = _interviews().where(User.name == user)
        if scenario_id is not None:
            query = query.where(InterviewSession.scenario_id == scenario_id)
        query = query.order_by(InterviewSession.started_at.desc(), InterviewSession.id.desc())
        with self._transaction() as session:
            rows = session.execute(query).all()
        return [_record(InterviewRecord, r[0], user=r[1]) for r in rows]

    def interview_by_share_token(self, token: str) -> InterviewRecord:
        """The session shared under ``token``; :class:`NotFound` if none (or revoked)."""
        query = _interviews().where(InterviewSession.share_token == token)
        with self._transaction() as session:
            row = session.execute(query).one_or_none()
        if row is None:
            raise NotFound("no interview is shared under this link")
        return _record(InterviewRecord, row[0], user=row[1])

    # -- submission life cycle: pending -> running -> done --------------------------------

    def create_submission(
        self,
        user: str,
        challenge_id: str,
        content_hash: str,
        code: str,
        kind: str = SUBMIT,
        late: bool = False,
    ) -> int:
        """Persist a ``pending`` submission and return its id.

        The row is committed before this returns, so a crash during grading leaves it
        ``pending`` and :meth:`unfinished_submissions` finds it. Missing user and challenge
        rows are created (the challenge titled by its id).
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        with self._transaction(write=True) as session:
            user_id = self._user_id(session, user)
            self._put_challenge(session, challenge_id, content_hash, challenge_id, overwrite=False)
            submission = Submission(
                user_id=user_id,
                challenge_id=challenge_id,
                content_hash=content_hash,
                kind=kind,
                code=code,
                status=PENDING,
                late=late,
                created_at=utcnow(),
            )
            session.add(submission)
            session.flush()
            return submission.id

    def mark_running(self, submission_id: int) -> None:
        """Claim a ``pending`` submission for grading; :class:`Conflict` if it is not pending."""
        with self._transaction(write=True) as session:
            self._transition(
                session, submission_id, (PENDING,), status=RUNNING, started_at=utcnow()
            )

    def requeue(self, submission_id: int) -> None:
        """Put an unfinished submission back to ``pending``; :class:`Conflict` if it is done."""
        with self._transaction(write=True) as session:
            self._transition(
                session, submission_id, (PENDING, RUNNING), status=PENDING, started_at=None
            )
        self.log.info("Re-queued submission %s", submission_id)

    def finish_submission(self, submission_id: int, verdict: Mapping[str, Any]) -> SubmissionRecord:
        """Store a Verdict JSON dict and mark the submission ``done``.

        For a ``submit`` the user's progress on the challenge is updated in the same
        transaction. :class:`Conflict` if the submission is already done.
        """
        columns = _verdict_columns(verdict)
        with self._transaction(write=True) as session:
            row = self._transition(
                session,
                submission_id,
                (PENDING, RUNNING),
                status=DONE,
                finished_at=utcnow(),
                **columns,
            )
            if row.kind == SUBMIT:
                self._count_attempt(session, row, columns)
            return self._get(session, submission_id)

    @staticmethod
    def _transition(
        session: Session, submission_id: int, from_statuses: tuple[str, ...], **values: Any
    ) -> Row[str, int, str, datetime]:
        """Atomically update a submission whose status is one of ``from_statuses``."""
        statement = (
            update(Submission)
            .where(Submission.id == submission_id, Submission.status.in_(from_statuses))
            .values(**values)
            .returning(
                Submission.kind,
                Submission.user_id,
                Submission.challenge_id,
                Submission.created_at,
            )
            .execution_options(synchronize_session=False)
        )
        row = session.execute(statement).one_or_none()
        if row is not None:
            return row
        status = session.execute(
            select(Submission.status).where(Submission.id == submission_id)
        ).scalar_one_or_none()
        if status is None:
            raise NotFound(f"submission {submission_id} not found")
        raise Conflict(f"submission {submission_id} is {status}")

    @staticmethod
    def _count_attempt(
        session: Session, row: Row[str, int, str, datetime], columns: Mapping[str, Any]
    ) -> None:
        """Upsert the progress row; all arithmetic happens in SQL so no update is lost."""
        insert = _insert(session)(Progress).values(
            user_id=row.user_id,
            challenge_id=row.challenge_id,
            attempts=1,
            best_score=columns["score"] or 0.0,
            max_score=columns["max_score"],
            solved_at=row.created_at if columns["verdict"] == ACCEPTED else None,
            last_submission_at=row.created_at,
        )
        new = insert.excluded
        session.execute(
            insert.on_conflict_do_update(
                index_elements=[Progress.user_id, Progress.challenge_id],
                set_={
                    "attempts": Progress.attempts + 1,
                    "best_score": _greatest(Progress.best_score, new.best_score),
                    "max_score": func.coalesce(new.max_score, Progress.max_score),
                    "solved_at": func.coalesce(Progress.solved_at, new.solved_at),
                    "last_submission_at": _greatest(
                        Progress.last_submission_at, new.last_submission_at
                    ),
                },
            )
        )

    # -- queries ----------------------------------------------------------------------------

    def get_submission(self, submission_id: int, user: str | None = None) -> SubmissionRecord:
        """One submission; with ``user``, another user's submission is :class:`NotFound`."""
        with self._transaction() as session:
            return self._get(session, submission_id, user)

    def list_submissions(
        self, user: str, challenge_id: str | None = None, limit: int = 100
    ) -> list[SubmissionRecord]:
        """A user's submissions, newest first, optionally for one challenge."""
        query = _submissions().where(User.name == user)
        if challenge_id is not None:
            query = query.where(Submission.challenge_id == challenge_id)
        query = query.order_by(Submission.created_at.desc(), Submission.id.desc()).limit(limit)
        with self._transaction() as session:
            return [_record(SubmissionRecord, s, user=n) for s, n in session.execute(query)]

    def unfinished_submissions(self) -> list[SubmissionRecord]:
        """Every ``pending`` or ``running`` submission, oldest first (to re-queue at start-up)."""
        query = (
            _submissions()
            .where(Submission.status.in_((PENDING, RUNNING)))
            .order_by(Submission.created_at, Submission.id)
        )
        with self._transaction() as session:
            return [_record(SubmissionRecord, s, user=n) for s, n in session.execute(query)]

    def progress(self, user: str) -> dict[str, ProgressRecord]:
        """A user's progress, keyed by challenge id."""
        query = select(Progress).join(User, Progress.user_id == User.id).where(User.name == user)
        with self._transaction() as session:
            return {p.challenge_id: _record(ProgressRecord, p) for p in session.scalars(query)}

    def failed_attempts(self, user: str, challenge_id: str) -> int:
        """How many of the user's finished 'submit's of the challenge were not accepted."""
        query = (
            select(func.count())
            .select_from(Submission)
            .join(User, Submission.user_id == User.id)
            .where(
                User.name == user,
                Submission.challenge_id == challenge_id,
                Submission.kind == SUBMIT,
                Submission.status == DONE,
                Submission.verdict != ACCEPTED,
            )
        )
        with self._transaction() as session:
            return session.execute(query).scalar_one()

    @staticmethod
    def _get(session: Session, submission_id: int, user: str | None = None) -> SubmissionRecord:
        query = _submissions().where(Submission.id == submission_id)
        if user is not None:
            query = query.where(User.name == user)
        row = session.execute(query).one_or_none()
        if row is None:
            raise NotFound(f"submission {submission_id} not found")
        submission, name = row
        return _record(SubmissionRecord, submission, user=name)

    # -- courses, assignments, enrollments ------------------------------------------------
    # Grades are not stored: gradebook() computes them from the submissions every time.

    def put_course(self, course_id: str, title: str) -> CourseRecord:
        """Create the course, or change its title (``created_at`` is kept)."""
        with self._transaction(write=True) as session:
            insert = _insert(session)(Course).values(id=course_id, title=title, created_at=utcnow())
            session.execute(
                insert.on_conflict_do_update(
                    index_elements=[Course.id], set_={"title": insert.excluded.title}
                )
            )
            return self._course(session, course_id)

    def ensure_course(self, course_id: str, title: str) -> CourseRecord:
        """The course, created with ``title`` when missing (an existing title is kept)."""
        with self._transaction(write=True) as session:
            insert = _insert(session)(Course).values(id=course_id, title=title, created_at=utcnow())
            session.execute(insert.on_conflict_do_nothing(index_elements=[Course.id]))
            return self._course(session, course_id)

    def get_course(self, course_id: str) -> CourseRecord:
        """One course; :class:`NotFound` if there is none."""
        with self._transaction() as session:
            return self._course(session, course_id)

    def list_courses(self) -> list[CourseRecord]:
        """Every course, by id."""
        with self._transaction() as session:
            return [
                _record(CourseRecord, c)
                for c in session.scalars(select(Course).order_by(Course.id))
            ]

    def put_assignment(
        self,
        assignment_id: str,
        course_id: str,
        title: str,
        challenge_ids: Iterable[str],
        interview_ids: Iterable[str] = (),
        opens_at: datetime | None = None,
        due_at: datetime | None = None,
        late_policy: LatePolicy | Mapping[str, Any] | None = None,
    ) -> AssignmentRecord:
        """Create the assignment, or replace everything but its course and ``created_at``.

        ``opens_at`` defaults to now; ids are kept in order without duplicates. ValueError for
        a bad late policy or a due date before the opening; :class:`NotFound` if the course
        does not exist; :class:`Conflict` if the assignment id belongs to another course.
        """
        policy = (
            late_policy
            if isinstance(late_policy, LatePolicy)
            else LatePolicy.from_json(late_policy)
        )
        now = utcnow()
        opens = opens_at or now
        if due_at is not None and due_at < opens:
            raise ValueError("due_at is before opens_at")
        with self._transaction(write=True) as session:
            self._course(session, course_id)
            insert = _insert(session)(Assignment).values(
                id=assignment_id,
                course_id=course_id,
                title=title,
                challenge_ids=list(dict.fromkeys(challenge_ids)),
                interview_ids=list(dict.fromkeys(interview_ids)),
                opens_at=opens,
                due_at=due_at,
                late_policy=policy.to_json(),
                created_at=now,
                updated_at=now,
            )
            new = insert.excluded
            changed = (
                "title",
                "challenge_ids",
                "interview_ids",
                "opens_at",
                "due_at",
                "late_policy",
                "updated_at",
            )
            done = session.execute(
                insert.on_conflict_do_update(
                    index_elements=[Assignment.id],
                    set_={name: new[name] for name in changed},
                    where=Assignment.course_id == new.course_id,
                ).returning(Assignment.id)
            ).first()
            if done is None:
                raise Conflict(f"assignment {assignment_id!r} belongs to another course")
            return self._assignment(session, assignment_id)

    def get_assignment(self, assignment_id: str) -> AssignmentRecord:
        """One assignment; :class:`NotFound` if there is none."""
        with self._transaction() as session:
            return self._assignment(session, assignment_id)

    def list_assignments(self, course_id: str | None = None) -> list[AssignmentRecord]:
        """The course's assignments (every assignment without ``course_id``), by opening."""
        query = select(Assignment).order_by(Assignment.opens_at, Assignment.id)
        if course_id is not None:
            query = query.where(Assignment.course_id == course_id)
        with self._transaction() as session:
            return [_assignment_record(a) for a in session.scalars(query)]

    def enroll(
        self, course_id: str, users: Iterable[str], role: str = STUDENT, source: str = "manual"
    ) -> list[EnrollmentRecord]:
        """Enroll the users with ``role``; an existing enrollment takes the new role and source.

        :class:`NotFound` if the course does not exist. Returns the users' enrollments.
        """
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {role!r}")
        names = list(dict.fromkeys(users))
        with self._transaction(write=True) as session:
            self._course(session, course_id)
            now = utcnow()
            for name in names:
                insert = _insert(session)(Enrollment).values(
                    course_id=course_id,
                    user_id=self._user_id(session, name),
                    role=role,
                    source=source,
                    created_at=now,
                )
                session.execute(
                    insert.on_conflict_do_update(
                        index_elements=[Enrollment.course_id, Enrollment.user_id],
                        set_={"role": insert.excluded.role, "source": insert.excluded.source},
                    )
                )
            query = _enrollments().where(Enrollment.course_id == course_id, User.name.in_(names))
            return [_record(EnrollmentRecord, e, user=n) for e, n in session.execute(query)]

    def unenroll(self, course_id: str, users: Iterable[str]) -> list[str]:
        """Remove the users' enrollments in the course; returns who was enrolled."""
        names = list(dict.fromkeys(users))
        ids = select(User.id).where(User.name.in_(names))
        with self._transaction(write=True) as session:
            gone = session.execute(
                delete(Enrollment)
                .where(Enrollment.course_id == course_id, Enrollment.user_id.in_(ids))
                .returning(Enrollment.user_id)
            ).scalars()
            removed = set(gone)
            return sorted(
                session.scalars(select(User.name).where(User.id.in_(removed))) if removed else []
            )

    def sync_group(
        self, course_id: str, group: str, members: Iterable[str], role: str = STUDENT
    ) -> SyncResult:
        """Make the course's enrollments from hub group ``group`` match its ``members``.

        Members not enrolled yet are added with ``role`` and source ``hub-group:<group>``;
        enrollments from that group whose user left it are removed. Enrollments of another
        source (manual, another group) are never touched, so a member who is already
        enrolled keeps their role. One transaction: a concurrent sync sees all or nothing.
        """
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {role!r}")
        source = f"hub-group:{group}"
        names = list(dict.fromkeys(members))
        with self._transaction(write=True) as session:
            self._course(session, course_id)
            ids = {self._user_id(session, name): name for name in names}
            added: list[str] = []
            now = utcnow()
            for user_id, name in ids.items():
                insert = _insert(session)(Enrollment).values(
                    course_id=course_id, user_id=user_id, role=role, source=source, created_at=now
                )
                inserted = session.execute(
                    insert.on_conflict_do_nothing(
                        index_elements=[Enrollment.course_id, Enrollment.user_id]
                    ).returning(Enrollment.user_id)
                ).first()
                if inserted is not None:
                    added.append(name)
            gone = session.execute(
                delete(Enrollment)
                .where(
                    Enrollment.course_id == course_id,
                    Enrollment.source == source,
                    Enrollment.user_id.not_in(list(ids)),
                )
                .returning(Enrollment.user_id)
            ).scalars()
            removed_ids = set(gone)
            removed = (
                sorted(session.scalars(select(User.name).where(User.id.in_(removed_ids))))
                if removed_ids
                else []
            )
        return SyncResult(course_id, source, tuple(sorted(added)), tuple(removed))

    def enrollments(self, course_id: str, role: str | None = None) -> list[EnrollmentRecord]:
        """The course's enrollments, by user name."""
        query = _enrollments().where(Enrollment.course_id == course_id).order_by(User.name)
        if role is not None:
            query = query.where(Enrollment.role == role)
        with self._transaction() as session:
            return [_record(EnrollmentRecord, e, user=n) for e, n in session.execute(query)]

    def courses_of(self, user: str, role: str | None = None) -> list[CourseRecord]:
        """The courses the user is enrolled in (with ``role`` only, when given), by id."""
        query = (
            select(Course)
            .join(Enrollment, Enrollment.course_id == Course.id)
            .join(User, Enrollment.user_id == User.id)
            .where(User.name == user)
            .order_by(Course.id)
        )
        if role is not None:
            query = query.where(Enrollment.role == role)
        with self._transaction() as session:
            return [_record(CourseRecord, c) for c in session.scalars(query)]

    def is_instructor(self, user: str, course_id: str) -> bool:
        """Whether the user is enrolled as an instructor of the course."""
        query = (
            select(Enrollment.role)
            .join(User, Enrollment.user_id == User.id)
            .where(User.name == user, Enrollment.course_id == course_id)
        )
        with self._transaction() as session:
            return session.execute(query).scalar_one_or_none() == INSTRUCTOR

    def assignments_of(self, user: str, now: datetime | None = None) -> list[AssignmentRecord]:
        """The assignments the user sees: every assignment of a course they instruct, and
        the open ones (:meth:`AssignmentRecord.is_open` at ``now``) of a course they take."""
        moment = now or utcnow()
        query = (
            select(Assignment, Enrollment.role)
            .join(Enrollment, Enrollment.course_id == Assignment.course_id)
            .join(User, Enrollment.user_id == User.id)
            .where(User.name == user)
            .order_by(Assignment.opens_at, Assignment.id)
        )
        with self._transaction() as session:
            rows = [(_assignment_record(a), role) for a, role in session.execute(query)]
        return [a for a, role in rows if role == INSTRUCTOR or a.is_open(moment)]

    def course_submissions(
        self,
        course_id: str,
        challenge_ids: Iterable[str] | None = None,
        since: datetime | None = None,
        statuses: Iterable[str] = (DONE,),
        newest: int | None = None,
    ) -> list[SubmissionRecord]:
        """'submit' submissions of the course's students, oldest first.

        Only of ``challenge_ids`` (default: every challenge of the course's assignments),
        made at or after ``since``, with one of ``statuses``; with ``newest``, only that
        many of the most recent ones, newest first.
        """
        with self._transaction() as session:
            if challenge_ids is None:
                ids: set[str] = set()
                for row in session.scalars(
                    select(Assignment.challenge_ids).where(Assignment.course_id == course_id)
                ):
                    ids.update(row)
            else:
                ids = set(challenge_ids)
            query = (
                _submissions()
                .join(
                    Enrollment,
                    (Enrollment.user_id == Submission.user_id)
                    & (Enrollment.course_id == course_id)
                    & (Enrollment.role == STUDENT),
                )
                .where(
                    Submission.kind == SUBMIT,
                    Submission.challenge_id.in_(ids),
                    Submission.status.in_(list(statuses)),
                )
                .order_by(Submission.created_at, Submission.id)
            )
            if since is not None:
                query = query.where(Submission.created_at >= since)
            if newest is not None:
                query = query.order_by(None).order_by(
                    Submission.created_at.desc(), Submission.id.desc()
                )
                query = query.limit(newest)
            return [_record(SubmissionRecord, s, user=n) for s, n in session.execute(query)]

    def course_starts(self, course_id: str) -> list[StartRecord]:
        """The starts of every challenge by the course's students."""
        query = _starts().join(
            Enrollment,
            (Enrollment.user_id == Start.user_id)
            & (Enrollment.course_id == course_id)
            & (Enrollment.role == STUDENT),
        )
        with self._transaction() as session:
            return [_record(StartRecord, s, user=n) for s, n in session.execute(query)]

    def gradebook(
        self,
        course_id: str,
        challenge_max: Mapping[str, float] | None = None,
        interview_max: Mapping[str, float] | None = None,
    ) -> list[GradeRow]:
        """Every enrolled student x assignment grade of the course, computed from the
        submissions (rules in :mod:`kodelab_jupyter.store.courses`).

        ``challenge_max`` / ``interview_max`` give each item's maximum score (from the
        content); an item missing there takes the largest ``max_score`` (rounds) seen in
        its submissions (sessions), else 0. Rows are ordered by assignment (opening time),
        then student. One read transaction, so the rows are consistent with each other.
        :class:`NotFound` if the course does not exist.
        """
        with self._transaction() as session:
            self._course(session, course_id)
            assignments = [
                _assignment_record(a)
                for a in session.scalars(
                    select(Assignment)
                    .where(Assignment.course_id == course_id)
                    .order_by(Assignment.opens_at, Assignment.id)
                )
            ]
            students = list(
                session.scalars(
                    select(User.name)
                    .join(Enrollment, Enrollment.user_id == User.id)
                    .where(Enrollment.course_id == course_id, Enrollment.role == STUDENT)
                )
            )
            enrolled = (
                select(Enrollment.user_id)
                .where(Enrollment.course_id == course_id, Enrollment.role == STUDENT)
                .scalar_subquery()
            )
            challenge_ids = {i for a in assignments for i in a.challenge_ids}
            interview_ids = {i for a in assignments for i in a.interview_ids}
            submissions = [
                Attempt(
                    id=row.id,
                    user=row.name,
                    item_id=row.challenge_id,
                    done=row.status == DONE,
                    score=row.score,
                    max_score=row.max_score,
                    at=row.created_at,
                )
                for row in session.execute(
                    select(
                        Submission.id,
                        User.name,
                        Submission.challenge_id,
                        Submission.status,
                        Submission.score,
                        Submission.max_score,
                        Submission.created_at,
                    )
                    .join(User, Submission.user_id == User.id)
                    .where(
                        Submission.kind == SUBMIT,
                        Submission.challenge_id.in_(challenge_ids),
                        Submission.user_id.in_(enrolled),
                    )
                )
            ]
            sessions = [
                Attempt(
                    id=row.id,
                    user=row.name,
                    item_id=row.scenario_id,
                    done=True,
                    score=(row.overall_score or 0.0) * len(row.rounds or []),
                    max_score=float(len(row.rounds or [])),
                    at=row.finished_at or row.started_at,
                )
                for row in session.execute(
                    select(
                        InterviewSession.id,
                        User.name,
                        InterviewSession.scenario_id,
                        InterviewSession.overall_score,
                        InterviewSession.rounds,
                        InterviewSession.started_at,
                        InterviewSession.finished_at,
                    )
                    .join(User, InterviewSession.user_id == User.id)
                    .where(
                        InterviewSession.status == FINISHED,
                        InterviewSession.scenario_id.in_(interview_ids),
                        InterviewSession.user_id.in_(enrolled),
                    )
                )
            ]
        return compute_gradebook(
            course_id,
            assignments,
            students,
            submissions,
            sessions,
            _maxima(submissions, challenge_max),
            _maxima(sessions, interview_max),
        )

    # -- regrades: the submission holds the current result, ``regrades`` the history ----

    def regrade_submission(
        self,
        submission_id: int,
        verdict: Mapping[str, Any],
        content_hash: str,
        reason: str | None = None,
    ) -> SubmissionRecord:
        """Replace a finished submission's result with a new Verdict, keeping the old one.

        In one transaction: the current result (and the content hash it was graded
        against) goes to a new ``regrades`` row, the submission takes the new result and
        ``content_hash``, and the user's progress on the challenge (best score, solved
        time) is recomputed in SQL from all their finished submits. ``created_at`` (and so
        lateness) and the attempt count never change. The row is locked while it is read
        (``FOR UPDATE``; SQLite serialises writers), so two regrades racing on one
        submission both land in the history in order. :class:`Conflict` unless the
        submission is ``done``.
        """
        columns = _verdict_columns(verdict)
        with self._transaction(write=True) as session:
            old = session.execute(
                select(Submission).where(Submission.id == submission_id).with_for_update()
            ).scalar_one_or_none()
            if old is None:
                raise NotFound(f"submission {submission_id} not found")
            if old.status != DONE:
                raise Conflict(f"submission {submission_id} is {old.status}")
            session.add(
                Regrade(
                    submission_id=submission_id,
                    regraded_at=utcnow(),
                    reason=reason,
                    old_content_hash=old.content_hash,
                    old_verdict=old.verdict,
                    old_score=old.score,
                    old_max_score=old.max_score,
                    old_tests=old.tests,
                    old_message=old.message,
                    old_duration_s=old.duration_s,
                    new_content_hash=content_hash,
                    new_verdict=columns["verdict"],
                    new_score=columns["score"],
                    new_max_score=columns["max_score"],
                )
            )
            session.flush()
            session.execute(
                update(Submission)
                .where(Submission.id == submission_id)
                .values(content_hash=content_hash, **columns)
                .execution_options(synchronize_session=False)
            )
            if old.kind == SUBMIT:
                self._recount_progress(session, old.user_id, old.challenge_id, columns)
            session.expunge_all()
            return self._get(session, submission_id)

    def regrades(self, submission_id: int) -> list[RegradeRecord]:
        """A submission's regrade history, oldest first."""
        query = (
            select(Regrade)
            .where(Regrade.submission_id == submission_id)
            .order_by(Regrade.regraded_at, Regrade.id)
        )
        with self._transaction() as session:
            return [_record(RegradeRecord, r) for r in session.scalars(query)]

    @staticmethod
    def _recount_progress(
        session: Session, user_id: int, challenge_id: str, columns: Mapping[str, Any]
    ) -> None:
        """Recompute best score and solved time of a progress row from the submissions."""
        mine = (
            Submission.user_id == user_id,
            Submission.challenge_id == challenge_id,
            Submission.kind == SUBMIT,
            Submission.status == DONE,
        )
        session.execute(
            update(Progress)
            .where(Progress.user_id == user_id, Progress.challenge_id == challenge_id)
            .values(
                best_score=select(func.coalesce(func.max(Submission.score), 0.0))
                .where(*mine)
                .scalar_subquery(),
                solved_at=select(func.min(Submission.created_at))
                .where(*mine, Submission.verdict == ACCEPTED)
                .scalar_subquery(),
                max_score=func.coalesce(columns["max_score"], Progress.max_score),
            )
            .execution_options(synchronize_session=False)
        )

    @staticmethod
    def _course(session: Session, course_id: str) -> CourseRecord:
        row = session.get(Course, course_id)
        if row is None:
            raise NotFound(f"course {course_id!r} not found")
        return _record(CourseRecord, row)

    @staticmethod
    def _assignment(session: Session, assignment_id: str) -> AssignmentRecord:
        row = session.execute(
            select(Assignment).where(Assignment.id == assignment_id)
        ).scalar_one_or_none()
        if row is None:
            raise NotFound(f"assignment {assignment_id!r} not found")
        return _assignment_record(row)


def _submissions() -> Select[Submission, str]:
    """``SELECT submission, user name`` — the base of every submission query."""
    return select(Submission, User.name).join(User, Submission.user_id == User.id)


def _interviews() -> Select[InterviewSession, str]:
    """``SELECT interview session, user name`` — the base of every interview query."""
    return select(InterviewSession, User.name).join(User, InterviewSession.user_id == User.id)


def _starts() -> Select[Start, str]:
    """``SELECT start, user name`` — the base of every start query."""
    return select(Start, User.name).join(User, Start.user_id == User.id)


def _enrollments() -> Select[Enrollment, str]:
    """``SELECT enrollment, user name`` — the base of every enrollment query."""
    return select(Enrollment, User.name).join(User, Enrollment.user_id == User.id)


def _assignment_record(row: Assignment) -> AssignmentRecord:
    return AssignmentRecord(
        id=row.id,
        course_id=row.course_id,
        title=row.title,
        challenge_ids=tuple(row.challenge_ids or ()),
        interview_ids=tuple(row.interview_ids or ()),
        opens_at=row.opens_at,
        due_at=row.due_at,
        late_policy=LatePolicy.from_json(row.late_policy),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _maxima(attempts: Iterable[Attempt], given: Mapping[str, float] | None) -> dict[str, float]:
    """Each item's maximum score: ``given``, else the largest one seen in its attempts."""
    seen: dict[str, float] = {}
    for attempt in attempts:
        if attempt.max_score is not None:
            seen[attempt.item_id] = max(seen.get(attempt.item_id, 0.0), attempt.max_score)
    return {**seen, **(given or {})}
