"""REST endpoints of mock interviews: lobby, sessions, rounds, scorecards, share links."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..errors import BadRequest, KodeLabError, NotFound
from ..interview.card_png import render_card
from ..interview.notebook import CODE_ROUND_TYPES, InterviewNotebooks
from .base import KodeLabHandler

if TYPE_CHECKING:
    from ..interview.engine import InterviewEngine

SCENARIO = r"(?P<scenario_id>[a-z0-9]+(?:-[a-z0-9]+)*)"
SESSION = r"(?P<session_id>[0-9]{1,18})"
ROUND = r"(?P<round_id>[a-z0-9]+(?:-[a-z0-9]+)*)"
TOKEN = r"(?P<token>[A-Za-z0-9_-]{1,64})"
NOTEBOOKS_KEY = "kodelab_interview_notebooks"


class InterviewHandler(KodeLabHandler):
    """Base of the interview endpoints."""

    @property
    def engine(self) -> InterviewEngine:
        """The interview session engine."""
        engine: InterviewEngine = self.settings["kodelab"].interviews
        return engine

    @property
    def notebooks(self) -> InterviewNotebooks:
        """The session notebooks (one instance per server, so appends are serialized)."""
        notebooks = self.settings.get(NOTEBOOKS_KEY)
        if notebooks is None:
            practice = self.settings["kodelab"].practice
            notebooks = InterviewNotebooks(
                self.contents_manager,
                workspace=getattr(practice, "workspace", "kodelab"),
                catalog=self.engine.catalog,
                max_notebook_bytes=getattr(practice, "max_notebook_bytes", 5 * 1024 * 1024),
            )
            self.settings[NOTEBOOKS_KEY] = notebooks
        assert isinstance(notebooks, InterviewNotebooks)
        return notebooks

    async def follow(self, view: dict[str, Any]) -> dict[str, Any]:
        """Bring the session's notebook up to date with ``view`` (and record its path).

        The session is what counts: a notebook that cannot be written is reported in
        ``notebook_error`` rather than failing the request.
        """
        try:
            path = await self.notebooks.ensure(view)
            if path != view.get("path"):
                await self.engine.set_path(self.user_name, int(view["id"]), path)
                view["path"] = path
        except KodeLabError as exc:
            self.log.warning("interview session %s: notebook not updated: %s", view["id"], exc)
            view["notebook_error"] = str(exc)
        except Exception:
            self.log.exception("interview session %s: notebook not updated", view["id"])
            view["notebook_error"] = "the session notebook could not be updated"
        return view

    async def answer(self, session_id: int, round_id: str) -> Any:
        """The answer of the JSON body: ``{"answer": ...}`` (code as a string, or the round's
        structured answer), or ``{"path": notebook}`` for a code round, whose answer is that
        round's answer cell in the saved session notebook."""
        body = self.json_body()
        if "answer" in body:
            return body["answer"]
        if "path" not in body:
            raise BadRequest("body needs 'answer' (or 'path' of the notebook for code rounds)")
        view = await self.engine.state(self.user_name, session_id)
        kinds = {r["id"]: r["type"] for r in view["rounds"]}
        if round_id not in kinds:
            raise NotFound(f"no round '{round_id}' in this interview")
        if kinds[round_id] not in CODE_ROUND_TYPES:
            raise BadRequest(
                f"round '{round_id}' is a {kinds[round_id]} round: send its 'answer', not a 'path'"
            )
        return await self.notebooks.answer_at(body["path"], session_id, round_id)

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
    """POST /kodelab/api/interviews/{id}/sessions: start; round 1 opens now, and the session
    notebook is created with round 1's section."""

    @web.authenticated
    @authorized
    async def post(self, scenario_id: str) -> None:
        view = await self.engine.start(self.user_name, scenario_id)
        self.reply(await self.follow(view), status=201)


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
        self.reply(await self.follow(await self.engine.state(self.user_name, int(session_id))))


class DraftHandler(InterviewHandler):
    """PUT .../rounds/{rid}/draft {answer} or {path}: save the open round's answer so far."""

    @web.authenticated
    @authorized
    async def put(self, session_id: str, round_id: str) -> None:
        sid = int(session_id)
        answer = await self.answer(sid, round_id)
        self.reply(await self.engine.save_draft(self.user_name, sid, round_id, answer))


class SubmitRoundHandler(InterviewHandler):
    """POST .../rounds/{rid}/submit {answer} or {path}: grade the round; the next one opens
    (and its section is appended to the session notebook)."""

    @web.authenticated
    @authorized
    async def post(self, session_id: str, round_id: str) -> None:
        sid = int(session_id)
        answer = await self.answer(sid, round_id)
        view = await self.engine.submit(self.user_name, sid, round_id, answer)
        self.reply(await self.follow(view))


class EndHandler(InterviewHandler):
    """POST .../end: the remaining rounds are skipped."""

    @web.authenticated
    @authorized
    async def post(self, session_id: str) -> None:
        self.reply(await self.follow(await self.engine.end(self.user_name, int(session_id))))


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
