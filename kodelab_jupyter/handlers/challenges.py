"""REST endpoints under /kodelab/api/challenges and /kodelab/api/submissions."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..errors import BadRequest, NotFound
from .base import KodeLabHandler

ID = r"(?P<challenge_id>[a-z0-9]+(?:-[a-z0-9]+)*)"
SUBMISSION = r"(?P<submission_id>[0-9]{1,18})"  # fits a 64-bit integer column


def _filters(handler: KodeLabHandler, *names: str) -> dict[str, str | None]:
    return {n: handler.get_query_argument(n, None) or None for n in names}


class CatalogHandler(KodeLabHandler):
    """GET /kodelab/api/challenges?difficulty=&category=&tag=&q="""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        filters = _filters(self, "difficulty", "category", "tag")
        filters["query"] = self.get_query_argument("q", None) or None
        self.reply(await self.practice.catalog_view(self.user_name, **filters))


class RandomHandler(KodeLabHandler):
    """GET /kodelab/api/challenges/random?difficulty=&category="""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        filters = _filters(self, "difficulty", "category", "tag")
        self.reply(await self.practice.random_pick(self.user_name, **filters))


class ChallengeHandler(KodeLabHandler):
    """GET /kodelab/api/challenges/{id}: the public view, never a hidden test."""

    @web.authenticated
    @authorized
    async def get(self, challenge_id: str) -> None:
        self.reply(self.practice.challenge(challenge_id).public_view())


class StartHandler(KodeLabHandler):
    """POST /kodelab/api/challenges/{id}/start ({path} only in the hub service)"""

    @web.authenticated
    @authorized
    async def post(self, challenge_id: str) -> None:
        path = self.json_body().get("path") if self.practice.files is None else None
        self.reply(await self.practice.start(self.user_name, challenge_id, path))


class RunHandler(KodeLabHandler):
    """POST /kodelab/api/challenges/{id}/run {path} (+ {notebook} in the hub service):
    visible tests only."""

    @web.authenticated
    @authorized
    async def post(self, challenge_id: str) -> None:
        body = self.json_body()
        self.reply(
            await self.practice.run(
                self.user_name, challenge_id, body.get("path"), body.get("notebook")
            )
        )


class HintsHandler(KodeLabHandler):
    """GET /kodelab/api/challenges/{id}/hints"""

    @web.authenticated
    @authorized
    async def get(self, challenge_id: str) -> None:
        self.reply(await self.practice.hints(self.user_name, challenge_id))


class GiveUpHandler(KodeLabHandler):
    """POST /kodelab/api/challenges/{id}/give-up"""

    @web.authenticated
    @authorized
    async def post(self, challenge_id: str) -> None:
        self.reply(await self.practice.give_up(self.user_name, challenge_id))


class SubmissionsHandler(KodeLabHandler):
    """POST /kodelab/api/submissions {challenge_id, path} (+ {notebook} in the hub service);
    GET ?challenge_id= (history)."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        if "challenge_id" not in body or "path" not in body:
            raise BadRequest("body needs 'challenge_id' and 'path'")
        result = await self.practice.submit(
            self.user_name, body["challenge_id"], body["path"], body.get("notebook")
        )
        self.reply(result, status=202)

    @web.authenticated
    @authorized
    async def get(self) -> None:
        challenge_id = self.get_query_argument("challenge_id", None) or None
        self.reply(await self.practice.history(self.user_name, challenge_id))


class SubmissionHandler(KodeLabHandler):
    """GET /kodelab/api/submissions/{id}: status and, when done, the Verdict."""

    @web.authenticated
    @authorized
    async def get(self, submission_id: str) -> None:
        self.reply(await self.practice.get_submission(self.user_name, int(submission_id)))


class RestoreHandler(KodeLabHandler):
    """POST /kodelab/api/submissions/{id}/restore"""

    @web.authenticated
    @authorized
    async def post(self, submission_id: str) -> None:
        self.reply(await self.practice.restore(self.user_name, int(submission_id)))


class UnknownEndpointHandler(KodeLabHandler):
    """Any other path under /kodelab/api: a JSON 404, not an HTML page."""

    @web.authenticated
    @authorized
    async def get(self, *_: str) -> None:
        raise NotFound(f"no such endpoint: {self.request.path}")

    post = get


API = "kodelab/api"
HANDLERS = [
    (rf"{API}/challenges", CatalogHandler),
    (rf"{API}/challenges/random", RandomHandler),
    (rf"{API}/challenges/{ID}", ChallengeHandler),
    (rf"{API}/challenges/{ID}/start", StartHandler),
    (rf"{API}/challenges/{ID}/run", RunHandler),
    (rf"{API}/challenges/{ID}/hints", HintsHandler),
    (rf"{API}/challenges/{ID}/give-up", GiveUpHandler),
    (rf"{API}/submissions", SubmissionsHandler),
    (rf"{API}/submissions/{SUBMISSION}", SubmissionHandler),
    (rf"{API}/submissions/{SUBMISSION}/restore", RestoreHandler),
    (rf"{API}/(.*)", UnknownEndpointHandler),
]
