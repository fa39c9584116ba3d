"""The interview session engine: the server is the clock.

A session walks through a scenario's rounds in order. Each round opens with a deadline kept
in the database; answers after the deadline (plus a small grace for the network) are graded
as the last draft saved before it. Expiry is applied lazily on every request, so a session
left alone still times out round by round exactly as if someone had been watching: when a
round times out, its last draft is submitted and the next round opens a moment later.
Rounds only go forward. Code rounds are graded by the same judge as challenges; quiz,
architecture and modeling rounds by the scenario's scoring functions.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from traitlets import Float
from traitlets.config import LoggingConfigurable

from ..content.challenge import Challenge
from ..content.model import ChallengeSpec
from ..errors import BadRequest, Conflict, NotFound
from ..grading.service import GradingService
from ..store import Conflict as StoreConflict
from ..store import InterviewRecord, Store
from ..store import NotFound as StoreNotFound
from .loader import InterviewCatalog, Scenario, lobby_index
from .model import (
    ArchitectureRound,
    ModelingRound,
    QuizRound,
    score_architecture,
    score_modeling,
    score_quiz,
)

PENDING, OPEN, SUBMITTED = "pending", "open", "submitted"
TIMED_OUT, SKIPPED = "timed_out", "skipped"
FINAL = (SUBMITTED, TIMED_OUT, SKIPPED)
PASS_SCORE = 0.7  # a round counts as passed from this score on
STRENGTH_SCORE, WEAKNESS_SCORE = 0.8, 0.5
_RETRIES = 5
Rounds = list[dict[str, Any]]
RoundsChange = Callable[[Scenario, InterviewRecord, Rounds], Awaitable[None]]


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def round_challenge(scenario: Scenario, rnd: Any) -> Challenge:
    """A code round as a challenge, so the judge grades it exactly like one."""
    fields: dict[str, Any] = {
        "id": f"{scenario.id}-{rnd.id}",
        "title": rnd.title,
        "difficulty": "medium",
        "category": "interview",
        "language": rnd.language,
        "statement": "(interview round)",
        "starter": "(interview round)",
        "solution": "(interview round)",
        "compare": rnd.compare,
    }
    if rnd.language == "sql":
        fields["datasets"] = rnd.datasets
    else:
        fields["entrypoint"] = rnd.entrypoint
        fields["tests"] = rnd.tests
    return Challenge(
        spec=ChallengeSpec.model_validate(fields),
        root=scenario.root,
        statement=rnd.description,
        starter=rnd.initial_code,
        solution=rnd.solution,
        content_hash=scenario.content_hash,
    )


def code_round_score(rnd: Any, verdict: dict[str, Any]) -> float:
    """Passed datasets (or test groups) over all of them."""
    tests = verdict.get("tests") or []
    if not tests:
        return 0.0
    groups: dict[str, bool] = {}
    group_of = {t.name: (getattr(t, "group", None) or t.name) for t in getattr(rnd, "tests", [])}
    for test in tests:
        group = group_of.get(test["name"], test["name"])
        groups[group] = groups.get(group, True) and test["status"] == "passed"
    return sum(groups.values()) / len(groups)


class InterviewEngine(LoggingConfigurable):
    """Sessions of timed rounds, scored into a scorecard; every call is scoped to a user."""

    grace_seconds = Float(
        5.0, help="Seconds after a round's deadline in which an answer still counts. Default: 5."
    ).tag(config=True)
    next_round_delay_seconds = Float(
        2.0, help="Pause between a timed-out round and the next one opening. Default: 2."
    ).tag(config=True)

    def __init__(
        self,
        catalog: InterviewCatalog,
        store: Store,
        grading: GradingService,
        clock: Callable[[], datetime] = utcnow,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.catalog = catalog
        self.store = store
        self.grading = grading
        self.clock = clock

    # -- lobby and public views -------------------------------------------------------------

    def scenario(self, scenario_id: str) -> Scenario:
        """The scenario with this id, or NotFound."""
        try:
            return self.catalog.get(scenario_id)
        except KeyError:
            raise NotFound(f"no interview '{scenario_id}'") from None

    async def lobby(self, user: str) -> dict[str, Any]:
        """Category x level with scenario cards and the user's best score on each."""
        index = lobby_index(self.catalog)
        records = await asyncio.to_thread(self.store.list_interviews, user)
        best: dict[str, float] = {}
        for record in records:
            if record.status == "finished" and record.overall_score is not None:
                best[record.scenario_id] = max(
                    best.get(record.scenario_id, 0.0), record.overall_score
                )
        for category in index.get("categories", []):
            for level in category.get("levels", []):
                for card in level.get("scenarios", []):
                    card["best_score"] = best.get(card["id"])
        return index

    # -- session life cycle -----------------------------------------------------------------

    async def start(self, user: str, scenario_id: str, path: str | None = None) -> dict[str, Any]:
        """Start a session: round 1 opens now, with its deadline fixed on the server."""
        scenario = self.scenario(scenario_id)
        now = self.clock()
        rounds: list[dict[str, Any]] = []
        for index, rnd in enumerate(scenario.rounds):
            state: dict[str, Any] = {"id": rnd.id, "type": rnd.type, "status": PENDING}
            if index == 0:
                self._open(state, rnd, now)
            rounds.append(state)
        record = await asyncio.to_thread(
            self.store.create_interview, user, scenario.id, scenario.content_hash, rounds, path
        )
        return self._view(scenario, record)

    def _open(self, state: dict[str, Any], rnd: Any, at: datetime) -> None:
        state.update(
            status=OPEN,
            opened_at=_iso(at),
            deadline=_iso(at + timedelta(minutes=rnd.time_minutes)),
        )

    async def _load(self, user: str | None, session_id: int) -> tuple[Scenario, InterviewRecord]:
        try:
            record = await asyncio.to_thread(self.store.get_interview, session_id, user)
        except StoreNotFound:
            raise NotFound(f"no interview session {session_id}") from None
        return self.scenario(record.scenario_id), record

    async def _change(
        self,
        user: str | None,
        session_id: int,
        change: RoundsChange | None,
    ) -> tuple[Scenario, InterviewRecord]:
        """Load, expire, apply ``change`` to a copy of the rounds and save with compare-and-swap
        (retrying when a concurrent request got there first)."""
        for _ in range(_RETRIES):
            scenario, record = await self._load(user, session_id)
            rounds = [dict(r) for r in record.rounds]
            expired = await self._expire(scenario, rounds)
            if change is not None:
                await change(scenario, record, rounds)
            current = self._current(rounds)
            finished = current is None
            if not expired and rounds == record.rounds:
                return scenario, record
            position = len(rounds) if current is None else current
            changes: dict[str, Any] = {"rounds": rounds, "current_round": position}
            if finished and record.status != "finished":
                changes.update(
                    status="finished",
                    finished_at=self.clock(),
                    overall_score=self._overall(rounds),
                )
            try:
                saved = await asyncio.to_thread(
                    self.store.update_interview, session_id, record.version, **changes
                )
            except StoreConflict:
                continue
            return scenario, saved
        raise Conflict("the session is busy; try again")

    @staticmethod
    def _current(rounds: list[dict[str, Any]]) -> int | None:
        for index, state in enumerate(rounds):
            if state["status"] not in FINAL:
                return index
        return None

    async def _expire(self, scenario: Scenario, rounds: list[dict[str, Any]]) -> bool:
        """Time out every open round whose deadline (plus grace) has passed; True if any."""
        now = self.clock()
        grace = timedelta(seconds=self.grace_seconds)
        changed = False
        while True:
            index = self._current(rounds)
            if index is None:
                return changed
            state = rounds[index]
            deadline = _parse(state.get("deadline"))
            if state["status"] != OPEN or deadline is None or now <= deadline + grace:
                return changed
            draft = state.get("draft") or {}
            await self._finalize(scenario, index, rounds, draft.get("answer"), TIMED_OUT, deadline)
            changed = True
            if index + 1 < len(rounds):
                opens = deadline + timedelta(seconds=self.next_round_delay_seconds)
                self._open(rounds[index + 1], scenario.rounds[index + 1], opens)

    async def _finalize(
        self,
        scenario: Scenario,
        index: int,
        rounds: list[dict[str, Any]],
        answer: Any,
        status: str,
        at: datetime,
    ) -> None:
        """Grade ``answer`` for round ``index`` and record the result."""
        rnd = scenario.rounds[index]
        state = rounds[index]
        score, result = await self.grade_round(scenario, rnd, answer)
        opened = _parse(state.get("opened_at")) or at
        state.update(
            status=status,
            answer=answer,
            submitted_at=_iso(at),
            score=score,
            passed=score >= PASS_SCORE,
            result=result,
            time_spent_s=max(0.0, (at - opened).total_seconds()),
        )
        state.pop("draft", None)

    async def grade_round(self, scenario: Scenario, rnd: Any, answer: Any) -> tuple[float, Any]:
        """Score one answer (0..1) and the details to keep (a Verdict for code rounds)."""
        if answer is None or answer == "":
            return 0.0, None
        if isinstance(rnd, QuizRound):
            return score_quiz(rnd, answer), None
        if isinstance(rnd, ArchitectureRound):
            if not isinstance(answer, dict):
                return 0.0, None
            components = answer.get("components") or []
            connections = answer.get("connections") or []
            return score_architecture(rnd, components, connections), None
        if isinstance(rnd, ModelingRound):
            return (score_modeling(rnd, answer) if isinstance(answer, dict) else 0.0), None
        if not isinstance(answer, str):
            return 0.0, None
        challenge = round_challenge(scenario, rnd)
        verdict = (await self.grading.grade_answer(challenge, answer)).to_json()
        return code_round_score(rnd, verdict), verdict

    def _round_index(self, scenario: Scenario, round_id: str) -> int:
        for index, rnd in enumerate(scenario.rounds):
            if rnd.id == round_id:
                return index
        raise NotFound(f"no round '{round_id}' in this interview")

    async def save_draft(
        self, user: str, session_id: int, round_id: str, answer: Any
    ) -> dict[str, Any]:
        """Keep the latest answer of the open round, stamped with the server's time."""

        async def change(scenario: Scenario, _: InterviewRecord, rounds: Rounds) -> None:
            index = self._round_index(scenario, round_id)
            state = rounds[index]
            if state["status"] != OPEN:
                raise Conflict(f"round '{round_id}' is not open")
            deadline = _parse(state.get("deadline"))
            now = self.clock()
            if deadline is not None and now > deadline:
                raise Conflict("time is up for this round; the last saved answer counts")
            state["draft"] = {"answer": answer, "saved_at": _iso(now)}

        scenario, record = await self._change(user, session_id, change)
        return self._view(scenario, record)

    async def submit(
        self, user: str, session_id: int, round_id: str, answer: Any
    ) -> dict[str, Any]:
        """Submit the open round; late answers are replaced by the last draft before the
        deadline. The next round opens at once."""

        async def change(scenario: Scenario, _: InterviewRecord, rounds: Rounds) -> None:
            index = self._round_index(scenario, round_id)
            state = rounds[index]
            if state["status"] in FINAL:
                raise Conflict(f"round '{round_id}' is already finished; rounds only go forward")
            if state["status"] != OPEN:
                raise Conflict(f"round '{round_id}' has not opened yet")
            now = self.clock()
            deadline = _parse(state.get("deadline"))
            late = deadline is not None and now > deadline + timedelta(seconds=self.grace_seconds)
            if late:  # only reachable when expiry and submit race; expiry already handled it
                answer_used = (state.get("draft") or {}).get("answer")
            else:
                answer_used = answer
            await self._finalize(scenario, index, rounds, answer_used, SUBMITTED, now)
            if index + 1 < len(rounds):
                self._open(rounds[index + 1], scenario.rounds[index + 1], now)

        scenario, record = await self._change(user, session_id, change)
        return self._view(scenario, record)

    async def end(self, user: str, session_id: int) -> dict[str, Any]:
        """End the interview now: the remaining rounds are skipped (scored 0)."""

        async def change(scenario: Scenario, _: InterviewRecord, rounds: Rounds) -> None:
            now = _iso(self.clock())
            for state in rounds:
                if state["status"] not in FINAL:
                    state.update(status=SKIPPED, score=0.0, passed=False, submitted_at=now)
                    state.pop("draft", None)

        scenario, record = await self._change(user, session_id, change)
        return self._view(scenario, record)

    async def state(self, user: str, session_id: int) -> dict[str, Any]:
        """The session as the candidate sees it now (after applying any expiry)."""
        scenario, record = await self._change(user, session_id, None)
        return self._view(scenario, record)

    async def set_path(self, user: str, session_id: int, path: str) -> None:
        """Remember where the session's notebook is (the notebook follows the session)."""
        for _ in range(_RETRIES):
            _, record = await self._load(user, session_id)
            if record.path == path:
                return
            try:
                await asyncio.to_thread(
                    self.store.update_interview, session_id, record.version, path=path
                )
            except StoreConflict:
                continue
            return
        raise Conflict("the session is busy; try again")

    async def sessions(self, user: str) -> list[dict[str, Any]]:
        """The user's sessions, newest first (summary only)."""
        records = await asyncio.to_thread(self.store.list_interviews, user)
        return [
            {
                "id": r.id,
                "scenario_id": r.scenario_id,
                "status": r.status,
                "started_at": _iso(r.started_at),
                "finished_at": _iso(r.finished_at),
                "overall_score": r.overall_score,
            }
            for r in records
        ]

    # -- views --------------------------------------------------------------------------------

    @staticmethod
    def _overall(rounds: list[dict[str, Any]]) -> float:
        return sum(float(r.get("score") or 0.0) for r in rounds) / len(rounds) if rounds else 0.0

    def _view(self, scenario: Scenario, record: InterviewRecord) -> dict[str, Any]:
        """Session state: only rounds that have opened show their content."""
        current = self._current(record.rounds)
        rounds_view = []
        for index, (rnd, state) in enumerate(zip(scenario.rounds, record.rounds, strict=True)):
            item: dict[str, Any] = {
                "index": index,
                "id": rnd.id,
                "type": rnd.type,
                "title": rnd.title,
                "time_minutes": rnd.time_minutes,
                "status": state["status"],
                "opened_at": state.get("opened_at"),
                "deadline": state.get("deadline"),
                "score": state.get("score"),
            }
            if state["status"] == OPEN:
                item["content"] = scenario.public_round(rnd.id)
                draft = state.get("draft")
                item["draft"] = draft.get("answer") if draft else None
            rounds_view.append(item)
        return {
            "id": record.id,
            "scenario_id": scenario.id,
            "title": scenario.spec.title,
            "category": scenario.spec.category,
            "level": scenario.spec.level,
            "status": record.status,
            "path": record.path,
            "started_at": _iso(record.started_at),
            "finished_at": _iso(record.finished_at),
            "server_time": _iso(self.clock()),
            "current_round": current,
            "round_count": len(record.rounds),
            "rounds": rounds_view,
            "overall_score": record.overall_score,
            "shared": record.share_token is not None,
        }

    async def scorecard(self, user: str, session_id: int) -> dict[str, Any]:
        """The owner's scorecard, with a review of their own answers and explanations."""
        scenario, record = await self._change(user, session_id, None)
        card = self._card(scenario, record)
        card["review"] = [
            self._review(rnd, state)
            for rnd, state in zip(scenario.rounds, record.rounds, strict=True)
        ]
        card["share_token"] = record.share_token
        return card

    def _card(self, scenario: Scenario, record: InterviewRecord) -> dict[str, Any]:
        """Scores only: what a share link shows (no question, no answer)."""
        strengths: dict[str, None] = {}
        areas: dict[str, None] = {}
        rows = []
        for rnd, state in zip(scenario.rounds, record.rounds, strict=True):
            score = float(state.get("score") or 0.0)
            final = state["status"] in FINAL
            if final:
                for tag in rnd.tags or [rnd.type]:
                    if score >= STRENGTH_SCORE:
                        strengths[tag] = None
                    elif score < WEAKNESS_SCORE:
                        areas[tag] = None
            rows.append(
                {
                    "id": rnd.id,
                    "title": rnd.title,
                    "type": rnd.type,
                    "status": state["status"],
                    "score": score if final else None,
                    "passed": bool(state.get("passed")) if final else None,
                    "time_spent_s": state.get("time_spent_s"),
                    "time_limit_s": rnd.time_minutes * 60,
                }
            )
        overall = (
            record.overall_score
            if record.overall_score is not None
            else self._overall(record.rounds)
        )
        return {
            "session_id": record.id,
            "scenario_id": scenario.id,
            "title": scenario.spec.title,
            "category": scenario.spec.category,
            "level": scenario.spec.level,
            "status": record.status,
            "overall_percent": round(100 * overall, 1),
            "rounds": rows,
            "strengths": [t for t in strengths if t not in areas],
            "areas_to_improve": list(areas),
            "started_at": _iso(record.started_at),
            "finished_at": _iso(record.finished_at),
        }

    @staticmethod
    def _review(rnd: Any, state: dict[str, Any]) -> dict[str, Any]:
        """The candidate's own answer next to the explanations (only once the round is over)."""
        item: dict[str, Any] = {"id": rnd.id, "title": rnd.title, "status": state["status"]}
        if state["status"] not in FINAL:
            return item
        item["answer"] = state.get("answer")
        item["description"] = rnd.description
        if isinstance(rnd, QuizRound):
            item["questions"] = [
                {
                    "id": q.id,
                    "prompt": q.prompt,
                    "options": list(q.options),
                    "correct_answer": q.correct_answer,
                    "explanation": q.explanation,
                }
                for q in rnd.questions
            ]
        elif isinstance(rnd, ModelingRound):
            item["fields"] = [
                {"id": f.id, "label": f.label, "entity": f.entity, "explanation": f.explanation}
                for f in rnd.fields
            ]
        elif isinstance(rnd, ArchitectureRound):
            item["required"] = list(rnd.required)
            item["required_connections"] = [list(c) for c in rnd.required_connections]
        result = state.get("result")
        if result:
            item["verdict"] = result
        return item

    # -- sharing ------------------------------------------------------------------------------

    async def share(self, user: str, session_id: int, enable: bool = True) -> dict[str, Any]:
        """Create (or revoke) the read-only share token of a session's scorecard."""
        for _ in range(_RETRIES):
            _, record = await self._load(user, session_id)
            token = (record.share_token or secrets.token_urlsafe(24)) if enable else None
            try:
                await asyncio.to_thread(
                    self.store.update_interview, session_id, record.version, share_token=token
                )
            except StoreConflict:
                continue
            return {"share_token": token}
        raise Conflict("the session is busy; try again")

    async def shared(self, token: str) -> dict[str, Any]:
        """The scorecard shared under ``token``: scores only, no question, no answer."""
        if not token or len(token) > 64:
            raise BadRequest("bad share token")
        try:
            record = await asyncio.to_thread(self.store.interview_by_share_token, token)
        except StoreNotFound:
            raise NotFound("this share link does not exist or was revoked") from None
        return self._card(self.scenario(record.scenario_id), record)
