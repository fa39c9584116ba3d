"""Submissions survive crashes: persisted before grading, re-graded after a restart."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from kodelab_jupyter.content.catalog import SHIPPED_CHALLENGES, Catalog
from kodelab_jupyter.grading.judge import Judge
from kodelab_jupyter.grading.service import GradingService
from kodelab_jupyter.store import Store

pytestmark = pytest.mark.sandbox


@pytest.fixture
def catalog() -> Catalog:
    return Catalog([SHIPPED_CHALLENGES])


def test_submission_is_stored_pending_before_the_judge_runs(tmp_path: Path, catalog) -> None:
    store = Store(db_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    store.ensure_schema()
    service = GradingService(Judge(), store, catalog)
    challenge = catalog.get("two-sum")
    submission_id = service.submit("ada", challenge, challenge.solution)
    assert store.get_submission(submission_id).status == "pending"
    record = asyncio.run(service.grade(submission_id))
    assert record.status == "done" and record.verdict == "accepted"
    assert store.progress("ada")["two-sum"].attempts == 1


def test_submissions_left_by_a_crash_are_regraded_at_start(tmp_path: Path, catalog) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    store = Store(db_url=url)
    store.ensure_schema()
    challenge = catalog.get("two-sum")
    crashed = GradingService(Judge(), store, catalog)
    pending = crashed.submit("ada", challenge, challenge.solution)
    running = crashed.submit("bob", challenge, "def two_sum(nums, target):\n    return [0, 0]\n")
    store.mark_running(running)
    store.close()  # the server died here, mid-grading

    restarted = Store(db_url=url)
    service = GradingService(Judge(), restarted, catalog)
    assert asyncio.run(service.requeue_unfinished()) == 2
    assert restarted.get_submission(pending).verdict == "accepted"
    assert restarted.get_submission(running).verdict == "wrong_answer"
    assert restarted.unfinished_submissions() == []


def test_grade_cli_with_store_records_the_verdict(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    run = subprocess.run(
        [sys.executable, "-m", "kodelab_jupyter.cli", "grade", "two-sum",
         str(SHIPPED_CHALLENGES / "two-sum" / "solution.py"), "--json", "--store",
         "--user", "cli-user", "--db-url", url],
        capture_output=True, text=True, check=True,
    )
    verdict = json.loads(run.stdout)
    assert verdict["verdict"] == "accepted"
    history = Store(db_url=url).list_submissions("cli-user")
    assert [h.verdict for h in history] == ["accepted"]


def test_db_upgrade_cli_creates_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    run = subprocess.run(
        [sys.executable, "-m", "kodelab_jupyter.cli", "db", "upgrade", "--db-url", url],
        capture_output=True, text=True, check=True,
    )
    assert "revision" in run.stdout and "None" not in run.stdout
