"""The interview engine: server-side deadlines, forward-only rounds, scoring, sharing."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image

from kodelab_jupyter.content.catalog import Catalog
from kodelab_jupyter.errors import Conflict, NotFound
from kodelab_jupyter.grading.judge import Judge
from kodelab_jupyter.grading.service import GradingService
from kodelab_jupyter.interview.card_png import render_card
from kodelab_jupyter.interview.engine import InterviewEngine
from kodelab_jupyter.interview.loader import (
    SHIPPED_INTERVIEWS,
    InterviewCatalog,
    reference_answers,
)
from kodelab_jupyter.store import Store

FIXTURES = Path(__file__).parent / "fixtures" / "interviews"
QUIZ_RIGHT = {"sum": 1, "primes": [0, 2]}
ADD_RIGHT = "def add(a, b):\n    return a + b\n"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_engine(tmp_path: Path, clock: Clock, *dirs: Path) -> InterviewEngine:
    store = Store(db_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    store.ensure_schema()
    grading = GradingService(Judge(), store, Catalog([]))
    return InterviewEngine(InterviewCatalog(list(dirs) or [FIXTURES]), store, grading, clock=clock)


def run(coro):
    return asyncio.run(coro)


def test_starting_opens_only_the_first_round_with_a_server_deadline(tmp_path, clock) -> None:
    engine = make_engine(tmp_path, clock)
    view = run(engine.start("ada", "quick-check"))
    first, second = view["rounds"]
    assert first["status"] == "open" and "content" in first
    assert first["deadline"] == (clock.now + timedelta(minutes=1)).isoformat()
    assert second["status"] == "pending" and "content" not in second
    # the open round shows its questions but never the correct answers
    text = json.dumps(view)
    assert "correct_answer" not in text and "explanation" not in text
    assert "return a + b" not in text  # a later round's solution never appears


@pytest.mark.sandbox
def test_a_full_session_scores_100_percent_with_the_reference_answers(tmp_path, clock) -> None:
    engine = make_engine(tmp_path, clock)
    view = run(engine.start("ada", "quick-check"))
    sid = view["id"]
    view = run(engine.submit("ada", sid, "warm-up-quiz", QUIZ_RIGHT))
    assert view["current_round"] == 1 and view["rounds"][1]["status"] == "open"
    view = run(engine.submit("ada", sid, "add-numbers", ADD_RIGHT))
    assert view["status"] == "finished" and view["overall_score"] == 1.0
    card = run(engine.scorecard("ada", sid))
    assert card["overall_percent"] == 100.0
    assert [r["passed"] for r in card["rounds"]] == [True, True]
    assert card["review"][0]["questions"][0]["explanation"] == "Basic arithmetic."


def test_rounds_only_go_forward(tmp_path, clock) -> None:
    engine = make_engine(tmp_path, clock)
    sid = run(engine.start("ada", "quick-check"))["id"]
    with pytest.raises(Conflict, match="not opened"):
        run(engine.submit("ada", sid, "add-numbers", ADD_RIGHT))
    run(engine.submit("ada", sid, "warm-up-quiz", {"sum": 0}))
    with pytest.raises(Conflict, match="only go forward"):
        run(engine.submit("ada", sid, "warm-up-quiz", QUIZ_RIGHT))


def test_a_round_left_alone_times_out_with_its_last_draft(tmp_path, clock) -> None:
    engine = make_engine(tmp_path, clock)
    sid = run(engine.start("ada", "quick-check"))["id"]
    clock.advance(seconds=20)
    run(engine.save_draft("ada", sid, "warm-up-quiz", QUIZ_RIGHT))
    clock.advance(seconds=30)
    run(engine.save_draft("ada", sid, "warm-up-quiz", {"sum": 1}))  # half right, still in time
    clock.advance(seconds=60)  # well past the deadline and the grace
    view = run(engine.state("ada", sid))
    quiz, code = view["rounds"]
    assert quiz["status"] == "timed_out" and quiz["score"] == 0.5
    deadline = datetime.fromisoformat(quiz["deadline"])
    assert code["status"] == "open"
    assert datetime.fromisoformat(code["opened_at"]) == deadline + timedelta(seconds=2)


def test_drafts_after_the_deadline_are_refused_and_late_answers_do_not_count(
    tmp_path, clock
) -> None:
    engine = make_engine(tmp_path, clock)
    sid = run(engine.start("ada", "quick-check"))["id"]
    run(engine.save_draft("ada", sid, "warm-up-quiz", {"sum": 0}))
    clock.advance(seconds=61)
    with pytest.raises(Conflict, match="time is up"):
        run(engine.save_draft("ada", sid, "warm-up-quiz", QUIZ_RIGHT))
    clock.advance(seconds=10)  # past the grace: the right answer arrives too late
    with pytest.raises(Conflict, match="already finished"):
        run(engine.submit("ada", sid, "warm-up-quiz", QUIZ_RIGHT))
    assert run(engine.state("ada", sid))["rounds"][0]["score"] == 0.0


def test_an_answer_within_the_grace_period_still_counts(tmp_path, clock) -> None:
    engine = make_engine(tmp_path, clock)
    sid = run(engine.start("ada", "quick-check"))["id"]
    clock.advance(seconds=63)  # 3 s late, inside the 5 s grace
    view = run(engine.submit("ada", sid, "warm-up-quiz", QUIZ_RIGHT))
    assert view["rounds"][0]["status"] == "submitted" and view["rounds"][0]["score"] == 1.0


def test_ending_skips_the_remaining_rounds_and_scores_them_zero(tmp_path, clock) -> None:
    engine = make_engine(tmp_path, clock)
    sid = run(engine.start("ada", "quick-check"))["id"]
    run(engine.submit("ada", sid, "warm-up-quiz", QUIZ_RIGHT))
    view = run(engine.end("ada", sid))
    assert view["status"] == "finished"
    assert [r["status"] for r in view["rounds"]] == ["submitted", "skipped"]
    assert view["overall_score"] == 0.5


def test_a_whole_session_left_alone_finishes_by_itself(tmp_path, clock) -> None:
    engine = make_engine(tmp_path, clock)
    sid = run(engine.start("ada", "quick-check"))["id"]
    clock.advance(hours=1)
    view = run(engine.state("ada", sid))
    assert view["status"] == "finished"
    assert [r["status"] for r in view["rounds"]] == ["timed_out", "timed_out"]
    assert view["overall_score"] == 0.0


def test_other_users_cannot_see_or_touch_a_session(tmp_path, clock) -> None:
    engine = make_engine(tmp_path, clock)
    sid = run(engine.start("ada", "quick-check"))["id"]
    for call in (
        engine.state("bob", sid),
        engine.submit("bob", sid, "warm-up-quiz", QUIZ_RIGHT),
        engine.scorecard("bob", sid),
        engine.share("bob", sid),
        engine.end("bob", sid),
    ):
        with pytest.raises(NotFound):
            run(call)
    assert run(engine.sessions("bob")) == []


def test_share_link_shows_scores_only_and_can_be_revoked(tmp_path, clock) -> None:
    engine = make_engine(tmp_path, clock)
    sid = run(engine.start("ada", "quick-check"))["id"]
    run(engine.submit("ada", sid, "warm-up-quiz", QUIZ_RIGHT))
    run(engine.end("ada", sid))
    token = run(engine.share("ada", sid))["share_token"]
    assert len(token) >= 24
    shared = run(engine.shared(token))
    text = json.dumps(shared)
    assert shared["overall_percent"] == 50.0
    for secret in ("What is 2 + 2", "prime", "explanation", "answer", "review", "options"):
        assert secret not in text, secret
    run(engine.share("ada", sid, enable=False))
    with pytest.raises(NotFound):
        run(engine.shared(token))


def test_scorecard_png_is_a_real_image(tmp_path, clock) -> None:
    engine = make_engine(tmp_path, clock)
    sid = run(engine.start("ada", "quick-check"))["id"]
    run(engine.end("ada", sid))
    data = render_card(run(engine.scorecard("ada", sid)))
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size[0] == 880


def test_strengths_and_areas_come_from_round_tags(tmp_path, clock) -> None:
    engine = make_engine(tmp_path, clock)
    sid = run(engine.start("ada", "quick-check"))["id"]
    run(engine.submit("ada", sid, "warm-up-quiz", QUIZ_RIGHT))
    run(engine.end("ada", sid))
    card = run(engine.scorecard("ada", sid))
    assert card["strengths"] == ["quiz"] and card["areas_to_improve"] == ["python"]


def test_lobby_lists_every_level_with_best_scores(tmp_path, clock) -> None:
    engine = make_engine(tmp_path, clock, SHIPPED_INTERVIEWS)
    lobby = run(engine.lobby("ada"))
    text = json.dumps(lobby)
    assert "coding" in text and "system_design" in text


@pytest.mark.sandbox
@pytest.mark.parametrize("scenario_id", sorted(InterviewCatalog([SHIPPED_INTERVIEWS]).scenarios))
def test_every_shipped_scenario_scores_100_percent_with_its_references(
    tmp_path, clock, scenario_id
) -> None:
    engine = make_engine(tmp_path, clock, SHIPPED_INTERVIEWS)
    scenario = engine.scenario(scenario_id)
    answers = reference_answers(scenario)
    view = run(engine.start("ada", scenario_id))
    for rnd in scenario.rounds:
        view = run(engine.submit("ada", view["id"], rnd.id, answers[rnd.id]))
    assert view["status"] == "finished"
    assert view["overall_score"] == pytest.approx(1.0), [
        (r["id"], r["score"]) for r in view["rounds"]
    ]
