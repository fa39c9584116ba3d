"""Instructor features: courses, assignments, enrollments, gradebook, regrade, dashboard.

Store and service tests run on SQLite files in ``tmp_path`` (and on PostgreSQL too when
``KODELAB_TEST_POSTGRES_URL`` is set, as in test_store.py). Hand-made histories set their
timestamps directly, so late-policy arithmetic is exact. Regrades use the real judge and
sandbox (``sandbox`` marker). The REST endpoints run on a real jupyter-server: single-user
(the local user instructs everything) and multi-user (users named by a header, instructors
by enrollment).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from jupyter_server.auth import IdentityProvider, User
from sqlalchemy import create_engine, inspect, text, update

from kodelab_jupyter import cli
from kodelab_jupyter.content.catalog import SHIPPED_CHALLENGES, Catalog
from kodelab_jupyter.errors import Invalid
from kodelab_jupyter.grading.judge import Judge
from kodelab_jupyter.grading.service import GradingService
from kodelab_jupyter.hub.instructor import CSV_HEADER, InstructorService
from kodelab_jupyter.store import Base, Conflict, LatePolicy, NotFound, Store
from kodelab_jupyter.store.models import InterviewSession, Start, Submission

POSTGRES_URL = os.environ.get("KODELAB_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
UTC = timezone.utc
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # assignments open here
DUE = T0 + timedelta(days=7)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
TWO_SUM_RIGHT = (
    "def two_sum(nums, target):\n"
    "    seen = {}\n"
    "    for j, value in enumerate(nums):\n"
    "        if target - value in seen:\n"
    "            return [seen[target - value], j]\n"
    "        seen.setdefault(value, j)\n"
    "    return []\n"
)
TWO_SUM_WRONG = "def two_sum(nums, target):\n    return [0, 1]\n"


# --------------------------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kodelab.sqlite'}"
    assert POSTGRES_URL
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    return POSTGRES_URL


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = Store(db_url=db_url)
    store.upgrade()
    yield store
    store.close()


@pytest.fixture
def shipped() -> Catalog:
    return Catalog([SHIPPED_CHALLENGES])


def set_times(store: Store, model: Any, row_id: int, **values: datetime) -> None:
    """Move a row's timestamps (the store always stamps 'now')."""
    with store.engine.begin() as connection:
        connection.execute(update(model).where(model.id == row_id).values(**values))


def graded(
    store: Store,
    user: str,
    challenge: str,
    score: float,
    at: datetime,
    max_score: float = 5,
    verdict: str | None = None,
    tests: list[dict[str, Any]] | None = None,
) -> int:
    """A finished 'submit' made at ``at``."""
    submission_id = store.create_submission(user, challenge, "sha256:v1", f"# {user}")
    store.finish_submission(
        submission_id,
        {
            "verdict": verdict or ("accepted" if score == max_score else "wrong_answer"),
            "score": score,
            "max_score": max_score,
            "duration_s": 0.1,
            "tests": tests or [],
        },
    )
    set_times(store, Submission, submission_id, created_at=at)
    return submission_id


def course_with(
    store: Store,
    policy: dict[str, Any] | None = None,
    challenges: tuple[str, ...] = ("two-sum",),
    students: tuple[str, ...] = ("ada", "bob"),
    interviews: tuple[str, ...] = (),
) -> None:
    """Course ``cs101`` with assignment ``week1`` (opens T0, due DUE) and the students."""
    store.put_course("cs101", "CS 101")
    store.put_assignment(
        "week1", "cs101", "Week 1", challenges, interviews, T0, DUE, policy or {"mode": "accept"}
    )
    store.enroll("cs101", students)


def row_of(rows: list[Any], user: str, assignment: str = "week1") -> Any:
    (row,) = [r for r in rows if r.user == user and r.assignment_id == assignment]
    return row


def test_result(name: str, status: str, visible: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "visible": visible,
        "status": status,
        "points": 1 if status == "passed" else 0,
        "max_points": 1,
        "duration_s": 0.01,
        "message": "",
    }


test_result.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


# --------------------------------------------------------------------------------------------
# Migrations
# --------------------------------------------------------------------------------------------

COURSE_TABLES = {"courses", "assignments", "enrollments", "regrades"}


def test_upgrade_from_empty_creates_the_course_tables(db_url: str) -> None:
    store = Store(db_url=db_url)
    assert store.current_revision() is None
    store.ensure_schema()
    assert store.current_revision() == "0004"
    assert COURSE_TABLES <= set(inspect(store.engine).get_table_names())
    course = store.put_course("cs101", "CS 101")
    assert course.id == "cs101" and course.created_at.tzinfo is not None
    store.close()


def test_upgrade_from_0003_keeps_existing_data(db_url: str) -> None:
    store = Store(db_url=db_url)
    with store.engine.begin() as connection:
        command.upgrade(store.alembic_config(connection), "0003")
    assert store.current_revision() == "0003"
    assert not COURSE_TABLES & set(inspect(store.engine).get_table_names())
    with store.engine.begin() as connection:
        for statement in (
            "INSERT INTO users (id, name, created_at) VALUES (1, 'ada', '2026-05-01 09:00:00')",
            "INSERT INTO challenges (id, content_hash, title, updated_at)"
            " VALUES ('two-sum', 'sha256:v1', 'Two Sum', '2026-05-01 09:00:00')",
            "INSERT INTO submissions (id, user_id, challenge_id, content_hash, kind, code, status,"
            " verdict, score, max_score, tests, message, duration_s, late, created_at,"
            " started_at, finished_at) VALUES (1, 1, 'two-sum', 'sha256:v1', 'submit', 'pass',"
            " 'done', 'wrong_answer', 2, 5, '[]', NULL, 0.5, false, '2026-05-01 09:01:00',"
            " '2026-05-01 09:01:01', '2026-05-01 09:01:02')",
            "INSERT INTO progress (user_id, challenge_id, attempts, best_score, max_score,"
            " solved_at, last_submission_at)"
            " VALUES (1, 'two-sum', 1, 2, 5, NULL, '2026-05-01 09:01:00')",
            "INSERT INTO starts (user_id, challenge_id, path, started_at, deadline, gave_up_at)"
            " VALUES (1, 'two-sum', 'kodelab/two-sum.ipynb', '2026-05-01 09:00:30', NULL, NULL)",
            "INSERT INTO interview_sessions (id, user_id, scenario_id, content_hash, path,"
            " status, started_at, finished_at, current_round, rounds, overall_score,"
            " share_token, version) VALUES (1, 1, 'sql-basics', 'h', NULL, 'finished',"
            " '2026-05-01 10:00:00', '2026-05-01 10:30:00', 1, '[{}, {}]', 0.5, NULL, 2)",
        ):
            connection.execute(text(statement))

    store.upgrade()

    assert store.current_revision() == "0004"
    submission = store.get_submission(1, user="ada")
    assert (submission.verdict, submission.score, submission.code) == ("wrong_answer", 2, "pass")
    assert store.progress("ada")["two-sum"].best_score == 2
    assert store.starts("ada")["two-sum"].path == "kodelab/two-sum.ipynb"
    assert store.get_interview(1).overall_score == 0.5
    # The old rows take part in the new features at once.
    store.put_course("cs101", "CS 101")
    store.put_assignment(
        "week1",
        "cs101",
        "Week 1",
        ["two-sum"],
        ["sql-basics"],
        opens_at=datetime(2026, 4, 1, tzinfo=UTC),
    )
    store.enroll("cs101", ["ada"])
    assert store.get_or_create_user("ada") == 1
    (row,) = store.gradebook("cs101", {"two-sum": 5}, {"sql-basics": 2})
    assert (row.user, row.score, row.max_score, row.attempts) == ("ada", 3, 7, 2)
    store.close()


def test_downgrade_to_0003_drops_the_course_tables_only(store: Store) -> None:
    course_with(store)
    submission_id = graded(store, "ada", "two-sum", 5, T0 + HOUR)
    with store.engine.begin() as connection:
        command.downgrade(store.alembic_config(connection), "0003")
    assert not COURSE_TABLES & set(inspect(store.engine).get_table_names())
    assert store.get_submission(submission_id).score == 5
    store.ensure_schema()
    assert store.list_courses() == []


# --------------------------------------------------------------------------------------------
# Courses, assignments, enrollments
# --------------------------------------------------------------------------------------------


def test_courses_and_assignments_are_upserted(store: Store) -> None:
    first = store.put_course("cs101", "CS 101")
    renamed = store.put_course("cs101", "Intro to CS")
    assert renamed.title == "Intro to CS" and renamed.created_at == first.created_at
    assert store.ensure_course("cs101", "ignored").title == "Intro to CS"
    a = store.put_assignment("week1", "cs101", "W1", ["two-sum", "two-sum", "max-profit"])
    assert a.challenge_ids == ("two-sum", "max-profit") and a.due_at is None
    assert a.late_policy == LatePolicy() and a.is_open(a.opens_at)
    b = store.put_assignment(
        "week1",
        "cs101",
        "Week 1",
        ["max-profit"],
        opens_at=T0,
        due_at=DUE,
        late_policy={"mode": "reject"},
    )
    assert (b.title, b.challenge_ids, b.created_at) == ("Week 1", ("max-profit",), a.created_at)
    assert b.closes_at == DUE and not b.is_open(DUE + HOUR) and not b.is_open(T0 - HOUR)
    store.put_course("other", "Other")
    with pytest.raises(Conflict):
        store.put_assignment("week1", "other", "Stolen", ["two-sum"])
    with pytest.raises(NotFound):
        store.put_assignment("w", "nope", "No course", ["two-sum"])
    with pytest.raises(ValueError, match="due_at"):
        store.put_assignment("w", "cs101", "W", ["two-sum"], opens_at=DUE, due_at=T0)
    assert [c.id for c in store.list_courses()] == ["cs101", "other"]
    assert [a.id for a in store.list_assignments("cs101")] == ["week1"]


def test_late_policy_is_checked() -> None:
    assert LatePolicy.from_json(None) == LatePolicy("accept", 0.0, None)
    policy = LatePolicy.from_json({"mode": "penalty", "penalty_per_day": 0.1, "max_late_days": 3})
    assert policy.to_json() == {"mode": "penalty", "penalty_per_day": 0.1, "max_late_days": 3}
    for bad, message in (
        ({"mode": "later"}, "mode"),
        ({"mode": "penalty", "penalty_per_day": 2}, "between 0 and 1"),
        ({"mode": "accept", "penalty_per_day": 0.1}, "needs mode 'penalty'"),
        ({"mode": "reject", "max_late_days": -1}, "max_late_days"),
        ({"mode": "reject", "grace": 1}, "unknown key"),
        (["reject"], "JSON object"),
    ):
        with pytest.raises(ValueError, match=message):
            LatePolicy.from_json(bad)  # type: ignore[arg-type]


def test_enrollment_sync_from_a_hub_group(store: Store) -> None:
    store.put_course("cs101", "CS 101")
    first = store.sync_group("cs101", "cs101-students", ["ada", "bob"])
    assert (first.source, first.added, first.removed) == (
        "hub-group:cs101-students",
        ("ada", "bob"),
        (),
    )
    store.enroll("cs101", ["cat"])  # by hand
    store.enroll("cs101", ["tim"], role="instructor")
    store.sync_group("cs101", "tutors", ["eve"])  # another group

    # bob left the group, cat and dan joined; cat was enrolled by hand already.
    second = store.sync_group("cs101", "cs101-students", ["ada", "cat", "dan"])
    assert (second.added, second.removed) == (("dan",), ("bob",))
    enrolled = {e.user: (e.role, e.source) for e in store.enrollments("cs101")}
    assert enrolled == {
        "ada": ("student", "hub-group:cs101-students"),
        "cat": ("student", "manual"),  # not taken over by the group
        "dan": ("student", "hub-group:cs101-students"),
        "eve": ("student", "hub-group:tutors"),  # another group's: untouched
        "tim": ("instructor", "manual"),
    }
    # Syncing the same members again changes nothing; an empty group empties its part only.
    again = store.sync_group("cs101", "cs101-students", ["ada", "cat", "dan"])
    assert (again.added, again.removed) == ((), ())
    empty = store.sync_group("cs101", "cs101-students", [])
    assert (empty.added, empty.removed) == ((), ("ada", "dan"))
    assert {e.user for e in store.enrollments("cs101")} == {"cat", "eve", "tim"}
    assert store.unenroll("cs101", ["cat", "nobody"]) == ["cat"]
    with pytest.raises(NotFound):
        store.sync_group("nope", "g", ["ada"])


def test_roles_courses_and_open_assignments_of_a_user(store: Store) -> None:
    store.put_course("cs101", "CS 101")
    store.put_course("db", "Databases")
    store.put_assignment(
        "past", "cs101", "Past", ["a"], (), T0 - 9 * DAY, T0 - 2 * DAY, {"mode": "reject"}
    )
    store.put_assignment("now", "cs101", "Now", ["b"], (), T0 - DAY, T0 + DAY)
    store.put_assignment(
        "late-ok", "cs101", "Late", ["c"], (), T0 - 9 * DAY, T0 - 2 * DAY, {"mode": "accept"}
    )
    store.put_assignment(
        "capped",
        "cs101",
        "Capped",
        ["d"],
        (),
        T0 - 9 * DAY,
        T0 - 2 * DAY,
        {"mode": "penalty", "penalty_per_day": 0.1, "max_late_days": 1},
    )
    store.put_assignment("future", "cs101", "Future", ["e"], (), T0 + DAY)
    store.put_assignment("other", "db", "Other", ["f"], (), T0 - DAY)
    store.enroll("cs101", ["ada"])
    store.enroll("cs101", ["tim"], role="instructor")
    store.enroll("db", ["tim"])

    assert [a.id for a in store.assignments_of("ada", now=T0)] == ["late-ok", "now"]
    assert {a.id for a in store.assignments_of("tim", now=T0)} == {
        "past",
        "now",
        "late-ok",
        "capped",
        "future",
        "other",
    }
    assert store.assignments_of("nobody", now=T0) == []
    assert [c.id for c in store.courses_of("tim")] == ["cs101", "db"]
    assert [c.id for c in store.courses_of("tim", role="instructor")] == ["cs101"]
    assert store.is_instructor("tim", "cs101") and not store.is_instructor("tim", "db")
    assert not store.is_instructor("ada", "cs101") and not store.is_instructor("x", "cs101")


# --------------------------------------------------------------------------------------------
# Gradebook arithmetic
# --------------------------------------------------------------------------------------------


def test_gradebook_best_score_attempts_and_students_without_submissions(store: Store) -> None:
    course_with(store, challenges=("two-sum", "max-profit"), students=("ada", "bob", "cat"))
    store.enroll("cs101", ["tim"], role="instructor")
    graded(store, "ada", "two-sum", 2, T0 + HOUR)
    graded(store, "ada", "two-sum", 5, T0 + 2 * HOUR)
    graded(store, "ada", "two-sum", 3, T0 + 3 * HOUR)
    graded(store, "ada", "max-profit", 1, T0 + 4 * HOUR, max_score=3)
    graded(store, "ada", "two-sum", 5, T0 - HOUR)  # before the assignment opened: practice
    graded(store, "bob", "two-sum", 4, T0 + HOUR)
    graded(store, "tim", "two-sum", 5, T0 + HOUR)  # instructors are not graded
    graded(store, "zed", "two-sum", 5, T0 + HOUR)  # not enrolled
    pending = store.create_submission("bob", "two-sum", "sha256:v1", "# pending")
    set_times(store, Submission, pending, created_at=T0 + 5 * HOUR)

    rows = store.gradebook("cs101", {"two-sum": 5, "max-profit": 3})

    assert [(r.user, r.assignment_id) for r in rows] == [
        ("ada", "week1"),
        ("bob", "week1"),
        ("cat", "week1"),
    ]
    ada, bob, cat = rows
    assert (ada.score, ada.max_score, ada.attempts, ada.late, ada.pending) == (6, 8, 4, False, 0)
    assert ada.last_submission_at == T0 + 4 * HOUR
    assert [(i.item_id, i.score, i.max_score, i.attempts) for i in ada.items] == [
        ("two-sum", 5, 5, 3),
        ("max-profit", 1, 3, 1),
    ]
    assert (bob.score, bob.attempts, bob.pending, bob.last_submission_at) == (
        4,
        1,
        1,
        T0 + 5 * HOUR,
    )
    assert (cat.score, cat.max_score, cat.attempts, cat.late, cat.last_submission_at) == (
        0,
        8,
        0,
        False,
        None,
    )
    # Without maxima from the content, the largest seen in the submissions is used.
    fallback = store.gradebook("cs101")
    assert row_of(fallback, "ada").max_score == 5 + 3


@pytest.mark.parametrize(
    ("policy", "submissions", "expected"),
    [
        # accept: full score, flagged late
        ({"mode": "accept"}, [(5, DUE + HOUR)], (5, True, 1)),
        # on time exactly at the due time is not late
        ({"mode": "accept"}, [(5, DUE)], (5, False, 0)),
        # penalty: 1.5 days late = 2 started days = -20 %
        ({"mode": "penalty", "penalty_per_day": 0.1}, [(5, DUE + 1.5 * DAY)], (4, True, 1)),
        # an on-time 3 beats a late 5 worth 5 x 0.4 = 2
        (
            {"mode": "penalty", "penalty_per_day": 0.3},
            [(3, DUE - HOUR), (5, DUE + 2 * DAY)],
            (3, False, 1),
        ),
        # the penalty never goes below zero
        ({"mode": "penalty", "penalty_per_day": 0.5}, [(5, DUE + 3 * DAY)], (0, True, 1)),
        # reject: late submissions score 0, the on-time one counts
        ({"mode": "reject"}, [(2, DUE - DAY), (5, DUE + 60 * timedelta(seconds=1))], (2, False, 1)),
        ({"mode": "reject"}, [(5, DUE + HOUR)], (0, True, 1)),
        # beyond max_late_days: 0 even when accepting late work
        ({"mode": "accept", "max_late_days": 3}, [(5, DUE + 3.5 * DAY)], (0, True, 1)),
        ({"mode": "accept", "max_late_days": 3}, [(5, DUE + 2.5 * DAY)], (5, True, 1)),
    ],
)
def test_gradebook_late_policies(
    store: Store,
    policy: dict[str, Any],
    submissions: list[tuple[float, datetime]],
    expected: tuple[float, bool, int],
) -> None:
    course_with(store, policy)
    for score, at in submissions:
        graded(store, "ada", "two-sum", score, at)
    ada = row_of(store.gradebook("cs101", {"two-sum": 5}), "ada")
    assert (round(ada.score, 6), ada.late, ada.late_attempts) == expected
    assert ada.attempts == len(submissions)


def test_gradebook_counts_finished_interviews_one_point_per_round(store: Store) -> None:
    course_with(store, interviews=("sql-basics",), students=("ada",))
    done = store.create_interview("ada", "sql-basics", "h", [{}, {}, {}, {}])
    store.update_interview(done.id, 0, status="finished", overall_score=0.75)
    set_times(store, InterviewSession, done.id, started_at=T0 + HOUR, finished_at=T0 + 2 * HOUR)
    store.create_interview("ada", "sql-basics", "h", [{}, {}, {}, {}])  # still running
    ada = row_of(store.gradebook("cs101", {"two-sum": 5}, {"sql-basics": 4}), "ada")
    assert (ada.score, ada.max_score, ada.attempts) == (3, 9, 1)
    assert [(i.kind, i.item_id, i.score) for i in ada.items] == [
        ("challenge", "two-sum", 0),
        ("interview", "sql-basics", 3),
    ]


# --------------------------------------------------------------------------------------------
# The instructor service: distribution, gradebook, CSV
# --------------------------------------------------------------------------------------------


def test_distribute_validates_against_the_catalog(store: Store, shipped: Catalog) -> None:
    service = InstructorService(store, shipped)
    record = service.distribute(
        "cs101",
        "week1",
        ["two-sum", "max-profit"],
        "2026-03-02T09:00:00Z",
        "2026-03-09T09:00:00+01:00",
        {"mode": "penalty", "penalty_per_day": 0.1},
    )
    assert record.opens_at == T0 and record.due_at == DUE - HOUR
    assert store.get_course("cs101").title == "cs101"  # created on the way
    assert record.title == "week1"
    assert service.distribute("cs101", "week1", ["two-sum"], title="Week 1").title == "Week 1"
    assert service.distribute("cs101", "week1", ["two-sum"]).title == "Week 1"  # kept
    for args, message in (
        (["two-sum", "no-such", "nor-this"], "unknown challenge.*no-such, nor-this"),
        ([], "at least one"),
        ("two-sum", "list of ids"),
    ):
        with pytest.raises(Invalid, match=message):
            service.distribute("cs101", "week2", args)
    with pytest.raises(Invalid, match="UTC offset"):
        service.distribute("cs101", "week2", ["two-sum"], due_at="2026-03-09T09:00")
    with pytest.raises(Invalid, match="before"):
        service.distribute("cs101", "week2", ["two-sum"], "2026-03-09T00:00Z", "2026-03-01T00:00Z")
    with pytest.raises(Invalid, match="mode"):
        service.distribute("cs101", "week2", ["two-sum"], late_policy={"mode": "never"})
    with pytest.raises(Invalid, match="course id"):
        service.distribute("CS 101", "week2", ["two-sum"])


def test_an_instructor_sees_both_students_in_the_gradebook_and_exports_csv(
    store: Store, shipped: Catalog
) -> None:
    service = InstructorService(store, shipped)
    service.distribute("cs101", "week1", ["two-sum"], T0, DUE, {"mode": "reject"})
    service.distribute("cs101", "week2", ["max-profit", "valid-palindrome"], T0 + 7 * DAY)
    service.enroll("cs101", ["bob", "ada"])
    graded(store, "ada", "two-sum", 11, T0 + HOUR, max_score=11)
    graded(store, "bob", "two-sum", 4, T0 + 2 * HOUR, max_score=11)
    graded(store, "bob", "two-sum", 11, DUE + HOUR, max_score=11)  # rejected: late

    view = service.gradebook_view("cs101")
    assert [(a["id"], a["max_score"]) for a in view["assignments"]] == [
        ("week1", 11),
        ("week2", 9 + 10),
    ]
    rows = {(r["student"], r["assignment"]): r for r in view["rows"]}
    assert set(rows) == {(s, a) for s in ("ada", "bob") for a in ("week1", "week2")}
    assert rows["ada", "week1"]["score"] == 11 and rows["ada", "week1"]["late"] is False
    assert (rows["bob", "week1"]["score"], rows["bob", "week1"]["attempts"]) == (4, 2)
    assert rows["bob", "week1"]["late_attempts"] == 1

    text_csv = service.gradebook_csv("cs101")
    lines = text_csv.splitlines()
    assert lines[0] == "student,assignment,score,max_score,attempts,late,last_submission_at"
    assert tuple(lines[0].split(",")) == CSV_HEADER
    parsed = list(csv.DictReader(io.StringIO(text_csv)))
    assert [(r["student"], r["assignment"]) for r in parsed] == [
        ("ada", "week1"),
        ("ada", "week2"),
        ("bob", "week1"),
        ("bob", "week2"),
    ]
    assert parsed[0] == {
        "student": "ada",
        "assignment": "week1",
        "score": "11",
        "max_score": "11",
        "attempts": "1",
        "late": "false",
        "last_submission_at": (T0 + HOUR).isoformat(),
    }
    assert parsed[2]["score"] == "4" and parsed[2]["late"] == "false"
    assert parsed[3] == dict(
        parsed[3], score="0", max_score="19", attempts="0", last_submission_at=""
    )


def test_csv_cells_never_start_a_formula(store: Store, shipped: Catalog) -> None:
    service = InstructorService(store, shipped)
    service.distribute("cs101", "week1", ["two-sum"], T0)
    store.enroll("cs101", ["=HYPERLINK(1)"])
    (row,) = list(csv.DictReader(io.StringIO(service.gradebook_csv("cs101"))))
    assert row["student"] == "'=HYPERLINK(1)"


def test_student_catalog_filter_is_the_open_assignments_challenges(
    store: Store, shipped: Catalog
) -> None:
    service = InstructorService(store, shipped)
    now = datetime.now(UTC)
    service.distribute("cs101", "open", ["two-sum", "max-profit"], now - DAY)
    service.distribute("cs101", "later", ["word-ladder"], now + DAY)
    service.distribute("db", "sql", ["second-highest-salary"], now - DAY)
    store.enroll("cs101", ["ada"])
    store.enroll("db", ["tim"], role="instructor")
    assert service.student_catalog_filter("ada") == {"two-sum", "max-profit"}
    assert service.student_catalog_filter("tim") == {"second-highest-salary"}
    assert service.student_catalog_filter("nobody") == set()
    assert [a["id"] for a in service.my_assignments("ada")] == ["open"]


# --------------------------------------------------------------------------------------------
# Dashboard
# --------------------------------------------------------------------------------------------


def test_dashboard_numbers_on_a_hand_made_history(store: Store) -> None:
    store.put_course("cs101", "CS 101")
    store.put_assignment("week1", "cs101", "Week 1", ["alpha", "beta"], (), T0)
    store.enroll("cs101", ["ada", "bob", "cat", "dan"])
    store.enroll("cs101", ["tim"], role="instructor")
    P, F, S = "passed", "failed", "skipped"

    def sub(user: str, challenge: str, at: datetime, verdict: str, *tests: tuple[str, str]) -> int:
        results = [test_result(n, s, visible=n.endswith("1")) for n, s in tests]
        score = sum(1 for _, s in tests if s == P)
        return graded(store, user, challenge, score, at, len(tests), verdict, results)

    def start(user: str, challenge: str, at: datetime) -> None:
        store.start_challenge(user, challenge, "sha256:v1", challenge, f"{challenge}.ipynb", 0)
        user_id = store.get_or_create_user(user)
        with store.engine.begin() as connection:
            connection.execute(
                update(Start)
                .where(Start.user_id == user_id, Start.challenge_id == challenge)
                .values(started_at=at)
            )

    start("ada", "alpha", T0 + HOUR)
    sub("ada", "alpha", T0 - HOUR, "accepted", ("t1", P), ("t2", P))  # practice: not counted
    sub("ada", "alpha", T0 + 2 * HOUR, "wrong_answer", ("t1", P), ("t2", F))
    sub("ada", "alpha", T0 + 3 * HOUR, "accepted", ("t1", P), ("t2", P))
    start("bob", "alpha", T0)
    sub("bob", "alpha", T0 + HOUR, "accepted", ("t1", P), ("t2", P))
    sub("cat", "alpha", T0 + HOUR, "compile_error", ("t1", S), ("t2", S))
    sub("cat", "alpha", T0 + 2 * HOUR, "wrong_answer", ("t1", F), ("t2", F))
    sub("tim", "alpha", T0 + HOUR, "wrong_answer", ("t1", F), ("t2", F))  # instructor
    sub("ada", "beta", T0 + 2 * HOUR, "wrong_answer", ("b1", F))
    for minute in range(16):
        sub("dan", "beta", T0 + 4 * HOUR + minute * timedelta(minutes=1), "wrong_answer", ("b1", F))
    pending = store.create_submission("bob", "beta", "sha256:v1", "# pending")
    set_times(store, Submission, pending, created_at=T0 + 10 * HOUR)

    board = InstructorService(store, Catalog([])).dashboard("cs101")

    assert (board["students"], board["assignments"], board["submissions"]) == (4, 1, 22)
    alpha, beta = board["challenges"]
    assert alpha == {
        "challenge_id": "alpha",
        "title": "alpha",
        "submissions": 5,
        "accepted": 2,
        "pass_rate": 0.4,
        "students": 3,
        "solved": 2,
        "solve_rate": 0.6667,
        "median_time_to_solve_s": 5400.0,  # ada 2 h, bob 1 h
        "median_attempts_before_accept": 0.5,  # ada 1, bob 0
        "tests": [
            {"name": "t1", "visible": True, "runs": 4, "passed": 3, "pass_rate": 0.75},
            {"name": "t2", "visible": False, "runs": 4, "passed": 2, "pass_rate": 0.5},
        ],
    }
    assert (beta["submissions"], beta["pass_rate"], beta["solve_rate"]) == (17, 0.0, 0.0)
    assert beta["median_time_to_solve_s"] is None and beta["median_attempts_before_accept"] is None
    assert [(t["challenge_id"], t["name"], t["pass_rate"]) for t in board["hardest_tests"]] == [
        ("beta", "b1", 0.0),
        ("alpha", "t2", 0.5),
        ("alpha", "t1", 0.75),
    ]
    recent = board["recent_activity"]
    assert len(recent) == 20
    assert recent[0]["id"] == pending and recent[0]["status"] == "pending"
    times = [r["created_at"] for r in recent]
    assert times == sorted(times, reverse=True)
    assert "tim" not in {r["user"] for r in recent}


# --------------------------------------------------------------------------------------------
# Regrade with the real judge
# --------------------------------------------------------------------------------------------


@pytest.fixture
def own_challenges(tmp_path: Path) -> Path:
    """A copy of two-sum that a test may edit."""
    root = tmp_path / "challenges"
    shutil.copytree(SHIPPED_CHALLENGES / "two-sum", root / "two-sum")
    return root


def make_hidden_test_expect_something_else(root: Path) -> None:
    """Change the expected value of two-sum's hidden ``no-self-pair`` test."""
    path = root / "two-sum" / "challenge.yaml"
    source = path.read_text()
    old = "{name: no-self-pair, args: [[3, 2, 4], 6], expected: [1, 2]}"
    assert old in source
    path.write_text(
        source.replace(old, "{name: no-self-pair, args: [[3, 2, 4], 6], expected: [2, 1]}")
    )


@dataclass
class Graded:
    service: InstructorService
    store: Store
    catalog: Catalog
    ada: int
    bob: int


@pytest.fixture
def graded_course(store: Store, own_challenges: Path) -> Graded:
    """cs101/week1 = two-sum; ada submitted a right answer, bob a wrong one (really graded)."""
    catalog = Catalog([own_challenges])
    grading = GradingService(Judge(pool_size=0), store, catalog, concurrency=4)
    service = InstructorService(store, catalog, grading)
    service.distribute("cs101", "week1", ["two-sum"], datetime.now(UTC) - HOUR)
    service.enroll("cs101", ["ada", "bob"])
    challenge = catalog.get("two-sum")

    async def submit_both() -> tuple[int, int]:
        ids = (
            grading.submit("ada", challenge, TWO_SUM_RIGHT),
            grading.submit("bob", challenge, TWO_SUM_WRONG),
        )
        await asyncio.gather(*(grading.grade(i) for i in ids))
        return ids

    ada, bob = asyncio.run(submit_both())
    assert store.get_submission(ada).verdict == "accepted"
    assert store.get_submission(bob).verdict == "wrong_answer"
    return Graded(service, store, catalog, ada, bob)


@pytest.mark.sandbox
def test_regrade_changes_nothing_for_unchanged_content(graded_course: Graded) -> None:
    g = graded_course
    before = [g.store.get_submission(i) for i in (g.ada, g.bob)]
    grades_before = g.service.gradebook("cs101")
    calls: list[tuple[int, int]] = []

    report = asyncio.run(
        g.service.regrade("week1", lambda done, total: calls.append((done, total)))
    )

    assert (report.total, report.unchanged, report.changed, report.problems) == (2, 2, (), ())
    assert calls[0] == (0, 2) and calls[-1] == (2, 2) and len(calls) == 3
    assert [g.store.get_submission(i) for i in (g.ada, g.bob)] == before
    assert g.store.regrades(g.ada) == [] and g.store.regrades(g.bob) == []
    assert g.service.gradebook("cs101") == grades_before


@pytest.mark.sandbox
def test_regrade_reports_a_changed_hidden_test_and_keeps_history(
    graded_course: Graded, own_challenges: Path
) -> None:
    g = graded_course
    old_hash = g.catalog.get("two-sum").content_hash
    make_hidden_test_expect_something_else(own_challenges)
    g.catalog.reload()
    new_hash = g.catalog.get("two-sum").content_hash
    assert new_hash != old_hash

    report = asyncio.run(g.service.regrade("week1"))

    assert report.total == 2 and not report.problems
    changes = {c.user: c for c in report.changed}
    assert "ada" in changes
    ada = changes["ada"]
    assert (ada.old_verdict, ada.new_verdict) == ("accepted", "wrong_answer")
    assert (ada.old_score, ada.new_score, ada.new_max_score) == (11, 10, 11)
    assert report.to_json()["changed"][0]["submission_id"] in (g.ada, g.bob)

    now = g.store.get_submission(g.ada)
    assert (now.verdict, now.score, now.content_hash) == ("wrong_answer", 10, new_hash)
    assert {t["name"]: t["status"] for t in now.tests or []}["no-self-pair"] == "failed"
    (history,) = g.store.regrades(g.ada)
    assert (history.old_verdict, history.old_score, history.old_content_hash) == (
        "accepted",
        11,
        old_hash,
    )
    assert (history.new_verdict, history.new_score, history.new_content_hash) == (
        "wrong_answer",
        10,
        new_hash,
    )
    assert {t["name"]: t["status"] for t in history.old_tests or []}["no-self-pair"] == "passed"
    progress = g.store.progress("ada")["two-sum"]
    assert (progress.best_score, progress.solved, progress.attempts) == (10, False, 1)
    assert row_of(g.service.gradebook("cs101"), "ada").score == 10

    # Regrading again against the same content changes nothing more.
    again = asyncio.run(g.service.regrade("week1"))
    assert (again.unchanged, again.changed) == (2, ())
    assert len(g.store.regrades(g.ada)) == 1


def test_regrade_keeps_results_it_cannot_reproduce(store: Store) -> None:
    class BrokenGrader:
        async def grade_answer(
            self, challenge: Any, answer: str, visible_only: bool = False
        ) -> Any:
            raise RuntimeError("sandbox down")

    shipped = Catalog([SHIPPED_CHALLENGES])
    service = InstructorService(store, shipped, BrokenGrader())  # type: ignore[arg-type]
    service.distribute("cs101", "week1", ["two-sum"], T0)
    store.enroll("cs101", ["ada"])
    submission = graded(store, "ada", "two-sum", 11, T0 + HOUR, max_score=11)
    report = asyncio.run(service.regrade("week1"))
    assert (report.total, report.unchanged, report.changed) == (1, 0, ())
    assert [(p.submission_id, p.message) for p in report.problems] == [(submission, "RuntimeError")]
    assert store.get_submission(submission).score == 11 and store.regrades(submission) == []


def test_concurrent_regrades_of_one_submission_all_land_in_the_history(store: Store) -> None:
    submission = graded(store, "ada", "two-sum", 5, T0 + HOUR, max_score=10)
    scores = list(range(10, 0, -1))

    def regrade(score: int) -> None:
        verdict = {"verdict": "wrong_answer", "score": score, "max_score": 10, "tests": []}
        store.regrade_submission(submission, verdict, f"sha256:{score}")

    with ThreadPoolExecutor(max_workers=len(scores)) as pool:
        list(pool.map(regrade, scores))

    history = store.regrades(submission)
    assert len(history) == len(scores)
    # Each regrade replaced exactly what the one before it set: nothing was lost.
    chain = [(h.old_score, h.new_score) for h in sorted(history, key=lambda h: h.id)]
    assert chain[0][0] == 5
    assert all(prev[1] == nxt[0] for prev, nxt in pairwise(chain))
    final = store.get_submission(submission)
    assert final.score == chain[-1][1] and final.content_hash == f"sha256:{chain[-1][1]:g}"
    progress = store.progress("ada")["two-sum"]
    assert (progress.best_score, progress.attempts) == (final.score, 1)


def test_regrade_submission_refuses_unfinished_ones(store: Store) -> None:
    pending = store.create_submission("ada", "two-sum", "sha256:v1", "x")
    verdict = {"verdict": "accepted", "score": 1, "max_score": 1, "tests": []}
    with pytest.raises(Conflict):
        store.regrade_submission(pending, verdict, "sha256:v2")
    with pytest.raises(NotFound):
        store.regrade_submission(999, verdict, "sha256:v2")


# --------------------------------------------------------------------------------------------
# REST API on a real jupyter-server
# --------------------------------------------------------------------------------------------

USER_HEADER = "X-Test-User"


class HeaderIdentityProvider(IdentityProvider):
    """Token-authenticated requests act as the user named in the ``X-Test-User`` header."""

    async def get_user(self, handler: Any) -> User | None:  # type: ignore[override]
        if await self._get_user(handler) is None:
            return None
        return User(username=handler.request.headers.get(USER_HEADER, "anonymous"))


@pytest.fixture
def multi_user(request: pytest.FixtureRequest) -> bool:
    return bool(getattr(request, "param", False))


@pytest.fixture
def jp_server_config(tmp_path: Path, multi_user: bool) -> dict[str, Any]:
    config: dict[str, Any] = {
        "ServerApp": {"jpserver_extensions": {"kodelab_jupyter": True}},
        "Store": {"db_url": f"sqlite:///{tmp_path / 'kodelab.sqlite'}"},
        "KodeLabApp": {"local_user": "teacher", "regrade_unfinished_on_start": False},
        "Judge": {"pool_size": 0},
    }
    if multi_user:
        config["ServerApp"]["identity_provider_class"] = HeaderIdentityProvider
        config["InstructorService"] = {"instructors": ["prof"]}
    return config


@dataclass
class Client:
    fetch: Any
    user: str = "teacher"

    def as_user(self, user: str) -> Client:
        return Client(self.fetch, user)

    async def call(self, method: str, *parts: str, body: Any = None, **params: str) -> Any:
        if body is not None:
            body = json.dumps(body)
        elif method in ("POST", "PUT"):
            body = ""
        response = await self.fetch(
            "kodelab",
            "api",
            *parts,
            method=method,
            body=body,
            params=params or None,
            headers={USER_HEADER: self.user},
            raise_error=False,
        )
        text_body = response.body.decode() if response.body else ""
        assert "Traceback" not in text_body
        if response.code >= 400:
            assert response.headers["Content-Type"].startswith("application/json")
            assert isinstance(json.loads(text_body)["message"], str)
        return response

    async def json(self, method: str, *parts: str, status: int = 200, **kw: Any) -> Any:
        response = await self.call(method, *parts, **kw)
        assert response.code == status, response.body
        return json.loads(response.body)


@pytest.fixture
def client(jp_fetch: Any) -> Client:
    return Client(jp_fetch)


def server_store(jp_serverapp: Any) -> Store:
    store: Store = jp_serverapp.web_app.settings["kodelab"].store
    return store


async def test_single_user_instructor_endpoints(client: Client, jp_serverapp: Any) -> None:
    course = await client.json("PUT", "instructor", "courses", "cs101", body={"title": "CS 101"})
    assert (course["id"], course["title"], course["assignments"]) == ("cs101", "CS 101", [])
    assignment = await client.json(
        "PUT",
        "instructor",
        "courses",
        "cs101",
        "assignments",
        "week1",
        body={
            "title": "Week 1",
            "challenge_ids": ["two-sum"],
            "opens_at": "2026-03-02T09:00:00Z",
            "due_at": "2026-03-09T09:00:00Z",
            "late_policy": {"mode": "penalty", "penalty_per_day": 0.1, "max_late_days": 3},
        },
    )
    assert (
        assignment["due_at"] == DUE.isoformat() and assignment["late_policy"]["mode"] == "penalty"
    )
    assert assignment["closes_at"] == (DUE + 3 * DAY).isoformat()
    enrolled = await client.json(
        "POST", "instructor", "courses", "cs101", "enrollments", body={"users": ["ada", "bob"]}
    )
    assert enrolled == {"course_id": "cs101", "enrolled": ["ada", "bob"], "role": "student"}
    synced = await client.json(
        "POST",
        "instructor",
        "courses",
        "cs101",
        "enrollments",
        body={"group": "cs101", "members": ["cat"]},
    )
    assert synced["added"] == ["cat"] and synced["source"] == "hub-group:cs101"
    no_hub = await client.call(
        "POST", "instructor", "courses", "cs101", "enrollments", body={"group": "cs101"}
    )
    assert no_hub.code == 400 and b"members" in no_hub.body
    await client.json("DELETE", "instructor", "courses", "cs101", "enrollments", "cat")

    store = server_store(jp_serverapp)
    graded(store, "ada", "two-sum", 11, T0 + HOUR, max_score=11)
    graded(store, "bob", "two-sum", 11, DUE + 1.5 * DAY, max_score=11)  # 2 days late: -20 %

    courses = await client.json("GET", "instructor", "courses")
    assert [(c["id"], c["students"], len(c["assignments"])) for c in courses] == [("cs101", 2, 1)]
    book = await client.json("GET", "instructor", "gradebook", course="cs101")
    rows = {r["student"]: r for r in book["rows"]}
    assert (rows["ada"]["score"], rows["ada"]["late"]) == (11, False)
    assert (rows["bob"]["score"], rows["bob"]["late"]) == (8.8, True)
    assert book["assignments"][0]["max_score"] == 11

    download = await client.call("GET", "instructor", "gradebook.csv", course="cs101")
    assert download.code == 200
    assert download.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in download.headers["Content-Disposition"]
    lines = download.body.decode().splitlines()
    assert lines[0] == ",".join(CSV_HEADER) and len(lines) == 3
    assert lines[2].startswith("bob,week1,8.8,11,1,true,")

    board = await client.json("GET", "instructor", "dashboard", course="cs101")
    assert board["challenges"][0]["pass_rate"] == 1.0
    await client.json(
        "PUT",
        "instructor",
        "courses",
        "cs101",
        "assignments",
        "empty",
        body={"challenge_ids": ["max-profit"]},
    )
    report = await client.json("POST", "instructor", "assignments", "empty", "regrade")
    assert (report["total"], report["changed"], report["problems"]) == (0, [], [])


async def test_instructor_endpoint_errors(client: Client) -> None:
    await client.json("PUT", "instructor", "courses", "cs101", body={"title": "CS 101"})
    unknown = await client.call(
        "PUT",
        "instructor",
        "courses",
        "cs101",
        "assignments",
        "week1",
        body={"challenge_ids": ["two-sum", "no-such-challenge"]},
    )
    assert unknown.code == 422 and b"no-such-challenge" in unknown.body
    naive = await client.call(
        "PUT",
        "instructor",
        "courses",
        "cs101",
        "assignments",
        "week1",
        body={"challenge_ids": ["two-sum"], "due_at": "2026-03-09T09:00"},
    )
    assert naive.code == 422
    typo = await client.call(
        "PUT",
        "instructor",
        "courses",
        "cs101",
        "assignments",
        "week1",
        body={"challenge_ids": ["two-sum"], "due": "2026-03-09T09:00Z"},
    )
    assert typo.code == 400
    assert (await client.call("GET", "instructor", "gradebook")).code == 400
    assert (await client.call("GET", "instructor", "gradebook", course="nope")).code == 404
    assert (await client.call("POST", "instructor", "assignments", "nope", "regrade")).code == 404
    await client.json("PUT", "instructor", "courses", "db", body={"title": "DB"})
    await client.json(
        "PUT",
        "instructor",
        "courses",
        "cs101",
        "assignments",
        "week1",
        body={"challenge_ids": ["two-sum"]},
    )
    moved = await client.call(
        "PUT",
        "instructor",
        "courses",
        "db",
        "assignments",
        "week1",
        body={"challenge_ids": ["two-sum"]},
    )
    assert moved.code == 409


@pytest.mark.parametrize("multi_user", [True], indirect=True)
async def test_only_instructors_reach_instructor_endpoints(
    client: Client, jp_serverapp: Any
) -> None:
    prof, tim, stu = client.as_user("prof"), client.as_user("tim"), client.as_user("stu")
    await prof.json("PUT", "instructor", "courses", "cs101", body={"title": "CS 101"})
    await prof.json("PUT", "instructor", "courses", "db", body={"title": "DB"})
    await prof.json(
        "PUT",
        "instructor",
        "courses",
        "cs101",
        "assignments",
        "week1",
        body={"challenge_ids": ["two-sum"], "opens_at": "2026-01-01T00:00:00Z"},
    )
    await prof.json(
        "POST",
        "instructor",
        "courses",
        "cs101",
        "enrollments",
        body={"users": ["tim"], "role": "instructor"},
    )
    await tim.json("POST", "instructor", "courses", "cs101", "enrollments", body={"users": ["stu"]})

    for path, params in (
        (("instructor", "courses"), {}),
        (("instructor", "gradebook"), {"course": "cs101"}),
        (("instructor", "gradebook.csv"), {"course": "cs101"}),
        (("instructor", "dashboard"), {"course": "cs101"}),
    ):
        denied = await stu.call("GET", *path, **params)
        assert denied.code == 403, path
        assert "instructor" in json.loads(denied.body)["message"]
    assert (await stu.call("POST", "instructor", "assignments", "week1", "regrade")).code == 403
    assert (
        await stu.call("PUT", "instructor", "courses", "cs101", body={"title": "Mine"})
    ).code == 403

    assert [c["id"] for c in await tim.json("GET", "instructor", "courses")] == ["cs101"]
    assert [c["id"] for c in await prof.json("GET", "instructor", "courses")] == ["cs101", "db"]
    await tim.json("GET", "instructor", "gradebook", course="cs101")
    assert (await tim.call("GET", "instructor", "gradebook", course="db")).code == 403
    assert (await tim.call("PUT", "instructor", "courses", "new", body={"title": "N"})).code == 403
    renamed = await tim.json("PUT", "instructor", "courses", "cs101", body={"title": "CS 1"})
    assert renamed["title"] == "CS 1"

    mine = await stu.json("GET", "assignments")
    assert [(a["id"], a["challenge_ids"], a["open"]) for a in mine] == [
        ("week1", ["two-sum"], True)
    ]


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def test_cli_distribute_enroll_and_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KODELAB_CHALLENGE_PATH", raising=False)
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    assert (
        cli.main(
            [
                "distribute",
                "cs101",
                "week1",
                "two-sum",
                "max-profit",
                "--title",
                "Week 1",
                "--opens",
                "2026-03-02T09:00:00Z",
                "--due",
                "2026-03-09T09:00:00Z",
                "--late-policy",
                '{"mode": "reject"}',
                "--db-url",
                url,
            ]
        )
        == 0
    )
    assert "assignment week1 of course cs101: 2 challenge(s)" in capsys.readouterr().out
    assert cli.main(["distribute", "cs101", "week2", "no-such", "--db-url", url]) == 2
    assert "unknown challenge(s): no-such" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="late-policy"):
        cli.main(["distribute", "cs101", "week2", "two-sum", "--late-policy", "{", "--db-url", url])
    assert cli.main(["enroll", "cs101", "ada", "bob", "--db-url", url]) == 0
    assert cli.main(["enroll", "cs101", "cat", "--group", "tutorial-a", "--db-url", url]) == 0
    capsys.readouterr()

    store = Store(db_url=url)
    graded(store, "ada", "two-sum", 11, T0 + HOUR, max_score=11)
    store.close()

    assert (
        cli.main(["export", "grades", "--course", "cs101", "--format", "csv", "--db-url", url]) == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "student,assignment,score,max_score,attempts,late,last_submission_at"
    assert lines[1:] == [
        f"ada,week1,11,20,1,false,{(T0 + HOUR).isoformat()}",
        "bob,week1,0,20,0,false,",
        "cat,week1,0,20,0,false,",
    ]
    out = tmp_path / "grades.csv"
    assert cli.main(["export", "grades", "--course", "cs101", "-o", str(out), "--db-url", url]) == 0
    assert out.read_text().splitlines() == lines
    assert (
        cli.main(["export", "grades", "--course", "cs101", "--format", "json", "--db-url", url])
        == 0
    )
    assert len(json.loads(capsys.readouterr().out)["rows"]) == 3
    assert cli.main(["export", "grades", "--course", "nope", "--db-url", url]) == 2


@pytest.mark.sandbox
def test_cli_regrade_shows_progress_and_changed_scores(
    graded_course: Graded,
    own_challenges: Path,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KODELAB_CHALLENGE_PATH", raising=False)
    base = [
        "--challenges",
        str(own_challenges),
        "regrade",
        "--assignment",
        "week1",
        "--db-url",
        db_url,
    ]
    assert cli.main(base) == 0
    captured = capsys.readouterr()
    assert "2 submission(s) regraded" in captured.out and "0 changed, 2 unchanged" in captured.out
    assert "regrading week1" in captured.err and "2/2" in captured.err

    make_hidden_test_expect_something_else(own_challenges)
    assert cli.main([*base, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    changed = {c["user"]: c for c in report["changed"]}
    assert (changed["ada"]["old_score"], changed["ada"]["new_score"]) == (11, 10)
    assert changed["ada"]["new_verdict"] == "wrong_answer"
