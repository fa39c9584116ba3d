"""REST endpoints of mock interviews: lobby, sessions, rounds, scorecards, share links."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..errors import BadRequest
from ..interview.card_png import render_card
from .base import KodeLabHandler

if TYPE_CHECKING:
    from ..interview.engine import InterviewEngine

SCENARIO = r"(?P<scenario_id>[a-z0-9]+(?:-[a-z0-9]+)*)"
SESSION = r"(?P<session_id>[0-9]{1,18})"
ROUND = r"(?P<round_id>[a-z0-9]+(?:-[a-z0-9]+)*)"
TOKEN = r"(?P<token>[A-Za-z0-9_-]{1,64})"


class InterviewHandler(KodeLabHandler):
    """Base of the interview endpoints."""

    @property
    def engine(self) -> InterviewEngine:
        """The interview session engine."""
        engine: InterviewEngine = self.settings["kodelab"].interviews
        return engine

    def answer(self) -> Any:
        """The ``answer`` of the JSON body (code as a string, or the round's structured answer)."""
        body = self.json_body()
        if "answer" not in body:
            raise BadRequest("body needs 'answer'")
        return body["answer"]

    def png(self, data: bytes) -> None:
        """Send a PNG image."""
        self.set_header("Content-Type", "image/png")
        self.set_header("Cache-Control", "no-store")
        self.finish(data)


class LobbyHandler(InterviewHandler):
    """GET /kodelab/api/interviews: category x level with cards and your best scores."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(await self.engine.lobby(self.user_name))


class ScenarioHandler(InterviewHandler):
    """GET /kodelab/api/interviews/{id}: no hidden data, no answers, no round content."""

    @web.authenticated
    @authorized
    async def get(self, scenario_id: str) -> None:
        self.reply(self.engine.scenario(scenario_id).public_view())


class StartSessionHandler(InterviewHandler):
    """POST /kodelab/api/interviews/{id}/sessions: start; round 1 opens now."""

    @web.authenticated
    @authorized
    async def post(self, scenario_id: str) -> None:
        self.reply(await self.engine.start(self.user_name, scenario_id), status=201)


class SessionsHandler(InterviewHandler):
    """GET /kodelab/api/interview-sessions: your sessions, newest first."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(await self.engine.sessions(self.user_name))


class SessionHandler(InterviewHandler):
    """GET /kodelab/api/interview-sessions/{sid}: the session now (the server is the clock)."""

    @web.authenticated
    @authorized
    async def get(self, session_id: str) -> None:
        self.reply(await self.engine.state(self.user_name, int(session_id)))


class DraftHandler(InterviewHandler):
    """PUT .../rounds/{rid}/draft {answer}: save the open round's answer so far."""

    @web.authenticated
    @authorized
    async def put(self, session_id: str, round_id: str) -> None:
        answer = self.answer()
        self.reply(await self.engine.save_draft(self.user_name, int(session_id), round_id, answer))


class SubmitRoundHandler(InterviewHandler):
    """POST .../rounds/{rid}/submit {answer}: grade the round; the next one opens."""

    @web.authenticated
    @authorized
    async def post(self, session_id: str, round_id: str) -> None:
        answer = self.answer()
        self.reply(await self.engine.submit(self.user_name, int(session_id), round_id, answer))


class EndHandler(InterviewHandler):
    """POST .../end: the remaining rounds are skipped."""

    @web.authenticated
    @authorized
    async def post(self, session_id: str) -> None:
        self.reply(await self.engine.end(self.user_name, int(session_id)))


class ScorecardHandler(InterviewHandler):
    """GET .../scorecard: your scorecard with a review of your answers."""

    @web.authenticated
    @authorized
    async def get(self, session_id: str) -> None:
        self.reply(await self.engine.scorecard(self.user_name, int(session_id)))


class ScorecardPngHandler(InterviewHandler):
    """GET .../scorecard.png: the scorecard card as an image."""

    @web.authenticated
    @authorized
    async def get(self, session_id: str) -> None:
        card = await self.engine.scorecard(self.user_name, int(session_id))
        self.png(render_card(card))


class ShareHandler(InterviewHandler):
    """POST .../share: a read-only link token; DELETE revokes it."""

    @web.authenticated
    @authorized
    async def post(self, session_id: str) -> None:
        self.reply(await self.engine.share(self.user_name, int(session_id), enable=True))

    @web.authenticated
    @authorized
    async def delete(self, session_id: str) -> None:
        self.reply(await self.engine.share(self.user_name, int(session_id), enable=False))


class SharedHandler(InterviewHandler):
    """GET /kodelab/api/shared/{token}: the shared scorecard (scores only)."""

    @web.authenticated
    @authorized
    async def get(self, token: str) -> None:
        self.reply(await self.engine.shared(token))


class SharedPngHandler(InterviewHandler):
    """GET /kodelab/api/shared/{token}.png"""

    @web.authenticated
    @authorized
    async def get(self, token: str) -> None:
        self.png(render_card(await self.engine.shared(token)))


API = "kodelab/api"
S = f"{API}/interview-sessions/{SESSION}"
INTERVIEW_HANDLERS = [
    (rf"{API}/interviews", LobbyHandler),
    (rf"{API}/interviews/{SCENARIO}", ScenarioHandler),
    (rf"{API}/interviews/{SCENARIO}/sessions", StartSessionHandler),
    (rf"{API}/interview-sessions", SessionsHandler),
    (rf"{S}", SessionHandler),
    (rf"{S}/rounds/{ROUND}/draft", DraftHandler),
    (rf"{S}/rounds/{ROUND}/submit", SubmitRoundHandler),
    (rf"{S}/end", EndHandler),
    (rf"{S}/scorecard", ScorecardHandler),
    (rf"{S}/scorecard\.png", ScorecardPngHandler),
    (rf"{S}/share", ShareHandler),
    (rf"{API}/shared/{TOKEN}\.png", SharedPngHandler),
    (rf"{API}/shared/{TOKEN}", SharedHandler),
]
