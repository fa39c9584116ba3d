"""The store: submissions survive crashes, progress is exact under concurrency, schema migrates.

Runs on SQLite files in ``tmp_path``; set ``KODELAB_TEST_POSTGRES_URL`` (a throw-away
database: its KodeLab tables are dropped before every test) to run everything on PostgreSQL too.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from kodelab_jupyter.store import Base, Conflict, NotFound, StartRecord, Store, StoreError

POSTGRES_URL = os.environ.get("KODELAB_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
COURSE_TABLES = {"courses", "assignments", "enrollments", "regrades"}  # 0004
TABLES = {
    "users",
    "challenges",
    "submissions",
    "progress",
    "starts",
    "interview_sessions",
} | COURSE_TABLES
HEAD = "0004"


def _drop_everything(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kodelab.sqlite'}"
    assert POSTGRES_URL
    _drop_everything(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A store on an up-to-date schema."""
    store = Store(db_url=db_url)
    store.upgrade()
    yield store
    store.close()


def verdict(verdict: str = "accepted", score: float = 5, max_score: float = 5) -> dict[str, Any]:
    """A Verdict JSON dict as the judge writes it."""
    return {
        "verdict": verdict,
        "score": score,
        "max_score": max_score,
        "duration_s": 0.21,
        "tests": [
            {
                "name": "example",
                "visible": True,
                "status": "passed" if verdict == "accepted" else "failed",
                "points": score,
                "max_points": max_score,
                "duration_s": 0.001,
                "message": "",
            }
        ],
    }


def submit(store: Store, user: str = "ada", challenge: str = "two-sum", **kwargs: Any) -> int:
    """Create a submission with defaults for everything the test does not care about."""
    return store.create_submission(user, challenge, "sha256:v1", "def two_sum(): ...", **kwargs)


def start(
    store: Store,
    user: str = "ada",
    challenge: str = "two-sum",
    path: str = "kodelab/two-sum.ipynb",
    minutes: int = 30,
) -> tuple[StartRecord, bool]:
    """Start a challenge with defaults for everything the test does not care about."""
    return store.start_challenge(user, challenge, "sha256:v1", "Two Sum", path, minutes)


def test_submission_is_pending_before_grading_starts(store: Store, db_url: str) -> None:
    submission_id = submit(store)

    other_process = Store(db_url=db_url)
    record = other_process.get_submission(submission_id)
    other_process.close()
    assert record.status == "pending"
    assert (record.user, record.challenge_id, record.kind) == ("ada", "two-sum", "submit")
    assert record.code == "def two_sum(): ..."
    assert record.verdict is None and record.to_verdict() is None


def test_unfinished_submissions_are_found_after_a_crash(store: Store, db_url: str) -> None:
    pending = submit(store)
    running = submit(store)
    store.mark_running(running)
    done = submit(store)
    store.finish_submission(done, verdict())
    store.close()
    del store

    restarted = Store(db_url=db_url)
    restarted.ensure_schema()
    unfinished = restarted.unfinished_submissions()
    assert [(s.id, s.status) for s in unfinished] == [(pending, "pending"), (running, "running")]

    restarted.requeue(running)
    requeued = restarted.get_submission(running)
    assert (requeued.status, requeued.started_at) == ("pending", None)
    restarted.close()


def test_a_pending_submission_is_claimed_only_once(store: Store) -> None:
    submission_id = submit(store)
    store.mark_running(submission_id)
    assert store.get_submission(submission_id).started_at is not None
    with pytest.raises(Conflict):
        store.mark_running(submission_id)


def test_progress_counts_every_attempt_under_concurrent_finishes(store: Store) -> None:
    ids = [submit(store) for _ in range(20)]
    start = threading.Barrier(len(ids))

    def finish(index: int) -> None:
        start.wait()
        accepted = index == 7
        store.finish_submission(
            ids[index],
            verdict("accepted" if accepted else "wrong_answer", score=index % 10, max_score=9),
        )

    with ThreadPoolExecutor(len(ids)) as pool:
        list(pool.map(finish, range(len(ids))))

    progress = store.progress("ada")["two-sum"]
    assert progress.attempts == 20
    assert progress.best_score == 9
    assert progress.solved_at == store.get_submission(ids[7]).created_at
    assert progress.last_submission_at == store.get_submission(ids[-1]).created_at


def test_best_score_and_solved_at(store: Store) -> None:
    first = submit(store)
    store.finish_submission(first, verdict("wrong_answer", score=2))
    progress = store.progress("ada")["two-sum"]
    assert (progress.attempts, progress.best_score, progress.max_score) == (1, 2, 5)
    assert not progress.solved

    accepted = submit(store)
    store.finish_submission(accepted, verdict("accepted", score=5))
    worse = submit(store)
    store.finish_submission(worse, verdict("wrong_answer", score=1))

    progress = store.progress("ada")["two-sum"]
    assert (progress.attempts, progress.best_score) == (3, 5)
    assert progress.solved_at == store.get_submission(accepted).created_at
    assert progress.last_submission_at == store.get_submission(worse).created_at


def test_test_runs_do_not_count_as_attempts(store: Store) -> None:
    run = submit(store, kind="run")
    store.finish_submission(run, verdict("accepted"))
    assert store.progress("ada") == {}
    with pytest.raises(ValueError):
        submit(store, kind="exam")


def test_other_users_submission_is_not_found(store: Store) -> None:
    submission_id = submit(store, user="ada")
    store.get_or_create_user("bob")

    assert store.get_submission(submission_id, user="ada").id == submission_id
    with pytest.raises(NotFound):
        store.get_submission(submission_id, user="bob")
    assert store.list_submissions("bob") == []
    store.finish_submission(submission_id, verdict())
    assert store.progress("bob") == {}


def test_unknown_submission_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.get_submission(999)
    with pytest.raises(NotFound):
        store.mark_running(999)
    with pytest.raises(NotFound):
        store.finish_submission(999, verdict())


def test_finishing_twice_is_a_conflict(store: Store) -> None:
    submission_id = submit(store)
    store.finish_submission(submission_id, verdict("accepted"))
    with pytest.raises(Conflict):
        store.finish_submission(submission_id, verdict("wrong_answer", score=0))
    with pytest.raises(Conflict):
        store.requeue(submission_id)
    assert store.get_submission(submission_id).verdict == "accepted"
    assert store.progress("ada")["two-sum"].attempts == 1


def test_a_verdict_without_a_verdict_is_refused(store: Store) -> None:
    submission_id = submit(store)
    with pytest.raises(StoreError):
        store.finish_submission(submission_id, {"score": 1})
    assert store.get_submission(submission_id).status == "pending"


def test_migration_matches_models(store: Store) -> None:
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_upgrade_from_empty_database_creates_all_tables(db_url: str) -> None:
    store = Store(db_url=db_url)
    assert store.current_revision() is None
    store.ensure_schema()
    assert store.current_revision() == HEAD
    assert set(inspect(store.engine).get_table_names()) == TABLES | {"alembic_version"}
    store.close()


def test_upgrade_is_idempotent(store: Store) -> None:
    submission_id = submit(store)
    store.upgrade()
    store.ensure_schema()
    assert store.current_revision() == HEAD
    assert store.get_submission(submission_id).status == "pending"


def test_history_is_newest_first(store: Store) -> None:
    first = submit(store, challenge="two-sum")
    other = submit(store, challenge="fizz-buzz")
    last = submit(store, challenge="two-sum")

    assert [s.id for s in store.list_submissions("ada")] == [last, other, first]
    assert [s.id for s in store.list_submissions("ada", "two-sum")] == [last, first]
    assert [s.id for s in store.list_submissions("ada", limit=1)] == [last]


@pytest.mark.parametrize(
    "original",
    [
        verdict("accepted"),
        {**verdict("compile_error", score=0), "message": "SyntaxError: invalid syntax (line 3)"},
    ],
    ids=["accepted", "with-message"],
)
def test_verdict_round_trips(store: Store, original: dict[str, Any]) -> None:
    submission_id = submit(store)
    finished = store.finish_submission(submission_id, original)
    assert finished.to_verdict() == original
    assert store.get_submission(submission_id).to_verdict() == original
    assert finished.status == "done" and finished.finished_at is not None


def test_timestamps_are_aware_utc(store: Store) -> None:
    submission_id = submit(store)
    store.mark_running(submission_id)
    record = store.finish_submission(submission_id, verdict())
    assert record.started_at is not None and record.finished_at is not None
    assert record.created_at <= record.started_at <= record.finished_at
    for stamp in (record.created_at, record.started_at, record.finished_at):
        assert stamp.tzinfo is timezone.utc


def test_users_and_challenges_are_upserted(store: Store) -> None:
    assert store.get_or_create_user("ada") == store.get_or_create_user("ada")
    store.record_challenge("two-sum", "sha256:v1", "Two Sum")
    store.record_challenge("two-sum", "sha256:v2", "Two Sum (v2)")
    submit(store, challenge="two-sum")  # must not reset the recorded title
    with store.engine.connect() as connection:
        row = connection.execute(text("SELECT content_hash, title FROM challenges")).one()
    assert tuple(row) == ("sha256:v2", "Two Sum (v2)")


def test_default_database_lives_in_the_jupyter_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    store = Store()
    assert store.db_url == f"sqlite:///{tmp_path / 'data' / 'kodelab' / 'kodelab.sqlite'}"
    assert (tmp_path / "data" / "kodelab").is_dir()


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    store = Store(db_url=f"sqlite:///{tmp_path / 'kodelab.sqlite'}")
    with store.engine.connect() as connection:
        pragmas = [
            connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        ]
    assert pragmas == ["wal", 1, 30_000]
    store.close()


def test_starting_twice_keeps_the_first_deadline_and_path(store: Store) -> None:
    assert store.get_start("ada", "two-sum") is None
    first, created = start(store, path="kodelab/two-sum.ipynb", minutes=30)
    assert created
    assert (first.user, first.challenge_id, first.path) == (
        "ada",
        "two-sum",
        "kodelab/two-sum.ipynb",
    )
    assert first.deadline == first.started_at + timedelta(minutes=30)
    assert first.gave_up_at is None
    assert first.started_at.tzinfo is timezone.utc and first.deadline.tzinfo is timezone.utc

    again, created = start(store, path="elsewhere/two-sum.ipynb", minutes=90)
    assert not created
    assert again == first
    assert store.get_start("ada", "two-sum") == first
    assert store.starts("ada") == {"two-sum": first}


def test_starts_are_per_user_and_challenge(store: Store) -> None:
    ada_two_sum, _ = start(store, "ada", "two-sum")
    ada_fizz, created_fizz = start(store, "ada", "fizz-buzz", path="kodelab/fizz-buzz.ipynb")
    bob_two_sum, created_bob = start(store, "bob", "two-sum", path="kodelab/bob.ipynb")
    assert created_fizz and created_bob
    assert store.starts("ada") == {"two-sum": ada_two_sum, "fizz-buzz": ada_fizz}
    assert store.starts("bob") == {"two-sum": bob_two_sum}
    assert store.starts("carol") == {}
    assert store.get_start("carol", "two-sum") is None
    assert store.get_start("bob", "fizz-buzz") is None


def test_starting_records_the_challenge(store: Store) -> None:
    submit(store)  # the challenge row exists, titled by its id
    store.start_challenge("ada", "two-sum", "sha256:v2", "Two Sum (v2)", "kodelab/a.ipynb", 0)
    with store.engine.connect() as connection:
        row = connection.execute(text("SELECT content_hash, title FROM challenges")).one()
    assert tuple(row) == ("sha256:v2", "Two Sum (v2)")


def test_a_challenge_without_time_limit_has_no_deadline(store: Store) -> None:
    record, created = start(store, minutes=0)
    assert created and record.deadline is None
    assert store.get_start("ada", "two-sum") == record
    with pytest.raises(ValueError):
        start(store, challenge="fizz-buzz", minutes=-1)
    assert store.get_start("ada", "fizz-buzz") is None


def test_giving_up_keeps_the_first_time(store: Store) -> None:
    started, _ = start(store)
    first = store.give_up("ada", "two-sum")
    assert first.gave_up_at is not None and first.gave_up_at.tzinfo is timezone.utc
    assert first.started_at <= first.gave_up_at
    assert (first.path, first.started_at, first.deadline) == (
        started.path,
        started.started_at,
        started.deadline,
    )

    second = store.give_up("ada", "two-sum")
    assert second == first
    assert store.get_start("ada", "two-sum") == first
    again, created = start(store)
    assert not created and again == first


def test_giving_up_an_unstarted_challenge_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.give_up("ada", "two-sum")
    bobs, _ = start(store, user="bob")
    with pytest.raises(NotFound):
        store.give_up("ada", "two-sum")
    assert store.get_start("bob", "two-sum") == bobs and bobs.gave_up_at is None


def test_failed_attempts_count_only_finished_wrong_submits(store: Store) -> None:
    assert store.failed_attempts("ada", "two-sum") == 0
    for wrong in ("wrong_answer", "runtime_error", "time_limit_exceeded"):
        store.finish_submission(submit(store), verdict(wrong, score=0))
    store.finish_submission(submit(store), verdict("accepted"))
    submit(store)  # pending
    store.mark_running(submit(store))  # running
    store.finish_submission(submit(store, kind="run"), verdict("wrong_answer", score=0))
    store.finish_submission(submit(store, challenge="fizz-buzz"), verdict("wrong_answer", score=0))
    store.finish_submission(submit(store, user="bob"), verdict("wrong_answer", score=0))

    assert store.failed_attempts("ada", "two-sum") == 3
    assert store.failed_attempts("ada", "fizz-buzz") == 1
    assert store.failed_attempts("bob", "two-sum") == 1
    assert store.failed_attempts("carol", "two-sum") == 0


def test_upgrade_from_0001_keeps_existing_data(db_url: str) -> None:
    store = Store(db_url=db_url)
    with store.engine.begin() as connection:
        command.upgrade(store.alembic_config(connection), "0001")
    assert store.current_revision() == "0001"
    assert "starts" not in inspect(store.engine).get_table_names()
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
        ):
            connection.execute(text(statement))

    store.upgrade()

    assert store.current_revision() == HEAD
    assert set(inspect(store.engine).get_table_names()) == TABLES | {"alembic_version"}
    submission = store.get_submission(1, user="ada")
    assert (submission.status, submission.verdict, submission.score, submission.code) == (
        "done",
        "wrong_answer",
        2,
        "pass",
    )
    assert submission.created_at == datetime(2026, 5, 1, 9, 1, tzinfo=timezone.utc)
    assert submission.to_verdict() == {
        "verdict": "wrong_answer",
        "score": 2,
        "max_score": 5,
        "duration_s": 0.5,
        "tests": [],
    }
    progress = store.progress("ada")["two-sum"]
    assert (progress.attempts, progress.best_score, progress.max_score) == (1, 2, 5)
    assert store.failed_attempts("ada", "two-sum") == 1
    assert store.starts("ada") == {}
    _, created = start(store)
    assert created and store.get_or_create_user("ada") == 1
    store.close()


def test_downgrade_to_0001_drops_starts_and_keeps_the_rest(store: Store) -> None:
    submission_id = submit(store)
    start(store)
    with store.engine.begin() as connection:
        command.downgrade(store.alembic_config(connection), "0001")
    assert store.current_revision() == "0001"
    assert set(inspect(store.engine).get_table_names()) == (
        TABLES - {"starts", "interview_sessions"} - COURSE_TABLES
    ) | {"alembic_version"}
    assert store.get_submission(submission_id).status == "pending"
    store.ensure_schema()
    assert store.current_revision() == HEAD
    assert store.starts("ada") == {}


def test_concurrent_starts_create_exactly_one(store: Store) -> None:
    threads = 10
    barrier = threading.Barrier(threads)

    def begin(index: int) -> tuple[StartRecord, bool]:
        barrier.wait()
        return start(store, path=f"kodelab/copy-{index}.ipynb", minutes=30 + index)

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(begin, range(threads)))

    assert sum(created for _, created in results) == 1
    winner = next(record for record, created in results if created)
    assert {record.started_at for record, _ in results} == {winner.started_at}
    assert all(record == winner for record, _ in results)
    assert store.starts("ada") == {"two-sum": winner}


def test_interview_updates_are_compare_and_swap(store: Store) -> None:
    record = store.create_interview("ada", "orders-warmup", "h1", [{"id": "r1"}], path="x.ipynb")
    assert record.version == 0 and record.status == "active"
    changed = store.update_interview(record.id, 0, current_round=1, rounds=[{"id": "r1", "s": 1}])
    assert changed.version == 1 and changed.rounds == [{"id": "r1", "s": 1}]
    with pytest.raises(Conflict):
        store.update_interview(record.id, 0, current_round=2)  # stale version
    assert store.get_interview(record.id).current_round == 1


def test_interviews_are_scoped_to_their_user_and_shared_by_token(store: Store) -> None:
    mine = store.create_interview("ada", "orders-warmup", "h1", [])
    store.create_interview("bob", "orders-warmup", "h1", [])
    with pytest.raises(NotFound):
        store.get_interview(mine.id, user="bob")
    assert [r.user for r in store.list_interviews("ada")] == ["ada"]
    store.update_interview(mine.id, 0, share_token="tok123")
    assert store.interview_by_share_token("tok123").id == mine.id
    store.update_interview(mine.id, 1, share_token=None)
    with pytest.raises(NotFound):
        store.interview_by_share_token("tok123")
