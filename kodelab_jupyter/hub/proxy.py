"""JupyterHub mode on a student's single-user server: the same REST API, served by the hub.

With ``c.KodeLabApp.hub_service_url`` (or ``$KODELAB_HUB_SERVICE_URL``) set, the single-user
server keeps no content, hidden test, grader or database. Its ``/kodelab/api/...`` routes
(so the challenge bar and the JupyterLab extension work unchanged) forward each request to
the KodeLab hub service with this server's own ``$JUPYTERHUB_API_TOKEN``, which identifies the
server's owner to the service. The only thing done here is what needs the student's files:

- ``start``: the service records the start and sends the notebook; it is written here (an
  existing file is never overwritten);
- ``run`` and ``submit``: the saved notebook is read here and its answer cells sent along;
- ``restore``: the service sends the code back; it is written into the notebook here;
- interview sessions: the session notebook follows the session here, and ``{"path": ...}``
  answers are read from it.

Everything else (catalog, history, hints, interviews, instructor endpoints...) is forwarded
as is. Verdicts still reach the JupyterLab extension on this server's event bus.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import nbformat
from jupyter_server.auth.decorator import authorized
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from traitlets import Float, Unicode, default
from traitlets.config import LoggingConfigurable

from ..errors import BadRequest, Forbidden, KodeLabError
from ..grading.source import ANSWER_ROLE, MAX_ANSWER_BYTES, ROLE_KEY, cell_role
from ..handlers.base import KodeLabHandler
from ..interview.notebook import InterviewNotebooks
from ..practice import NotebookFiles, PracticeService, answer_of, clean_path

ID = r"[a-z0-9]+(?:-[a-z0-9]+)*"
NUM = r"[0-9]{1,18}"
VerdictListener = Callable[[dict[str, Any]], Awaitable[None] | None]


class ServiceUnavailable(KodeLabError):
    """The KodeLab hub service could not be reached."""

    status = 502


def answer_cells(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """The part of a challenge notebook the service needs: its KodeLab metadata and the
    answer cells' source (no outputs, no other cell)."""
    cells = [
        {
            "cell_type": c.get("cell_type", "code"),
            "metadata": {ROLE_KEY: c.metadata.get(ROLE_KEY)},
            "source": c.get("source", ""),
        }
        for c in nb.cells
        if cell_role(c) == ANSWER_ROLE
    ]
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {ROLE_KEY: nb.get("metadata", {}).get(ROLE_KEY)},
        "cells": cells,
    }


class HubProxy(LoggingConfigurable):
    """The single-user server's client of the KodeLab hub service."""

    api_token = Unicode(
        help="Token sent to the service. Default: $JUPYTERHUB_API_TOKEN (this server's token, "
        "which needs the scope access:services!service=<kodelab service>)."
    ).tag(config=True)

    @default("api_token")
    def _default_api_token(self) -> str:
        return os.environ.get("JUPYTERHUB_API_TOKEN", "")

    owner = Unicode(
        help="The only user this server acts for. Default: $JUPYTERHUB_USER ('' = anyone "
        "the server lets in)."
    ).tag(config=True)

    @default("owner")
    def _default_owner(self) -> str:
        return os.environ.get("JUPYTERHUB_USER", "")

    request_timeout = Float(
        600.0, help="Seconds a forwarded request may take (regrades are synchronous)."
    ).tag(config=True)
    verdict_wait_seconds = Float(
        900.0, help="How long to watch a submission for its verdict event. Default: 900."
    ).tag(config=True)

    def __init__(self, service_url: str, contents: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service_url = service_url.rstrip("/") + "/"
        # Notebooks live where a single-user server would put them, as large as it would read
        # them (c.PracticeService.workspace and .max_notebook_bytes).
        practice = self.config.get("PracticeService", {})
        workspace = practice.get("workspace", PracticeService.workspace.default_value)
        limit = practice.get("max_notebook_bytes", PracticeService.max_notebook_bytes.default_value)
        self.files = NotebookFiles(contents, limit, workspace)
        self.interview_notebooks = InterviewNotebooks(
            contents, workspace=workspace, catalog=None, max_notebook_bytes=limit
        )
        self.listeners: list[VerdictListener] = []
        self._watches: set[asyncio.Task[None]] = set()

    # -- HTTP -------------------------------------------------------------------------------

    async def call(
        self, method: str, path: str, query: str = "", body: Any = None, raw: bytes | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """``method`` ``<service>/kodelab/api/<path>?<query>`` as this server's owner."""
        url = f"{self.service_url}kodelab/api/{path}" + (f"?{query}" if query else "")
        headers = {"Authorization": f"token {self.api_token}", "Accept": "application/json"}
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None or method in ("POST", "PUT", "PATCH"):
            headers["Content-Type"] = "application/json"
            data = data or b""
        request = HTTPRequest(
            url,
            method=method,
            headers=headers,
            body=data,
            request_timeout=self.request_timeout,
            follow_redirects=False,
            allow_nonstandard_methods=True,
        )
        try:
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
        except (OSError, HTTPClientError) as exc:
            self.log.error("KodeLab hub service at %s unreachable: %s", self.service_url, exc)
            raise ServiceUnavailable("the KodeLab service is unreachable; try again") from None
        if response.code == 599:
            self.log.error("KodeLab hub service at %s: %s", self.service_url, response.error)
            raise ServiceUnavailable("the KodeLab service is unreachable; try again")
        return response.code, dict(response.headers), response.body or b""

    async def call_json(
        self, method: str, path: str, body: Any = None
    ) -> tuple[int, dict[str, str], Any, bytes]:
        """Like :meth:`call`; also the decoded JSON reply of a 2xx (else ``None``)."""
        status, headers, raw = await self.call(method, path, body=body)
        data = None
        if 200 <= status < 300:
            try:
                data = json.loads(raw or b"null")
            except ValueError:
                raise ServiceUnavailable("the KodeLab service sent an unreadable reply") from None
        return status, headers, data, raw

    # -- verdict events ---------------------------------------------------------------------

    def watch(self, submission_id: int) -> None:
        """Poll the submission until it is graded; then tell the listeners (event bus)."""
        if not self.listeners:
            return
        task = asyncio.ensure_future(self._watch(submission_id))
        self._watches.add(task)
        task.add_done_callback(self._watches.discard)

    async def _watch(self, submission_id: int) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.verdict_wait_seconds
        pause = 0.25
        while loop.time() < deadline:
            await asyncio.sleep(pause)
            pause = min(pause * 1.5, 3.0)
            try:
                status, _, view, _ = await self.call_json("GET", f"submissions/{submission_id}")
            except ServiceUnavailable:
                continue
            if status == 404:
                return
            if isinstance(view, dict) and view.get("status") == "done":
                for listener in self.listeners:
                    try:
                        result = listener(view)
                        if result is not None:
                            await result
                    except Exception:
                        self.log.exception("verdict listener failed")
                return

    async def close(self) -> None:
        """Stop watching submissions."""
        for task in list(self._watches):
            task.cancel()
        if self._watches:
            await asyncio.gather(*self._watches, return_exceptions=True)


class ProxyHandler(KodeLabHandler):
    """Every ``/kodelab/api/...`` route of a single-user server in JupyterHub mode."""

    # (method, path pattern, handler method name): the routes that touch the student's files.
    LOCAL = [
        ("POST", rf"challenges/(?P<challenge_id>{ID})/start", "start"),
        ("POST", rf"challenges/(?P<challenge_id>{ID})/run", "run"),
        ("POST", r"submissions", "submit"),
        ("POST", rf"submissions/(?P<submission_id>{NUM})/restore", "restore"),
        ("POST", rf"interviews/{ID}/sessions", "follow_session"),
        ("GET", rf"interview-sessions/{NUM}", "follow_session"),
        ("POST", rf"interview-sessions/{NUM}/end", "follow_session"),
        ("PUT", rf"interview-sessions/(?P<sid>{NUM})/rounds/(?P<rid>{ID})/draft", "round_answer"),
        (
            "POST",
            rf"interview-sessions/(?P<sid>{NUM})/rounds/(?P<rid>{ID})/submit",
            "round_answer",
        ),
    ]
    _LOCAL = [(m, re.compile(p + r"\Z"), name) for m, p, name in LOCAL]

    @property
    def proxy(self) -> HubProxy:
        """The client of the hub service."""
        proxy: HubProxy = self.settings["kodelab"].hub_proxy
        return proxy

    @web.authenticated
    @authorized
    async def get(self, rest: str) -> None:
        await self.dispatch(rest)

    @web.authenticated
    @authorized
    async def post(self, rest: str) -> None:
        await self.dispatch(rest)

    @web.authenticated
    @authorized
    async def put(self, rest: str) -> None:
        await self.dispatch(rest)

    @web.authenticated
    @authorized
    async def delete(self, rest: str) -> None:
        await self.dispatch(rest)

    async def dispatch(self, rest: str) -> None:
        """Do the local part of this route, if it has one; else forward as is."""
        owner = self.proxy.owner
        if owner and self.user_name != owner:
            raise Forbidden(f"this server acts for {owner} only")
        method = self.request.method or "GET"
        for verb, pattern, name in self._LOCAL:
            match = pattern.match(rest)
            if verb == method and match:
                await getattr(self, name)(rest, **match.groupdict())
                return
        await self.forward(rest)

    # -- passing replies through ------------------------------------------------------------

    async def forward(self, rest: str, body: Any = None) -> None:
        """Send this request on to the service and its reply back, as they are."""
        raw = self.request.body if body is None and self.request.body else None
        status, headers, reply = await self.proxy.call(
            self.request.method or "GET",
            self._quoted(rest),
            self.request.query,
            body=body,
            raw=raw,
        )
        self.relay(status, headers, reply)

    def relay(self, status: int, headers: dict[str, str], body: bytes) -> None:
        """Send a reply of the service to the browser."""
        self.set_status(status)
        for name in ("Content-Type", "Content-Disposition", "Retry-After", "Cache-Control"):
            if name in headers:
                self.set_header(name, headers[name])
        self.finish(body, set_content_type=headers.get("Content-Type", "application/json"))

    @staticmethod
    def _quoted(rest: str) -> str:
        return quote(rest, safe="/-_.~")

    async def _json(self, method: str, rest: str, body: Any = None) -> Any:
        """The service's JSON reply, or its error relayed (``None`` then: stop)."""
        status, headers, data, raw = await self.proxy.call_json(method, self._quoted(rest), body)
        if data is None:
            self.relay(status, headers, raw)
        return data

    # -- the routes that touch the student's files -----------------------------------------

    async def start(self, rest: str, challenge_id: str) -> None:
        """The service records the start; the notebook is created here if missing."""
        files = self.proxy.files
        proposed = await files.free_path(challenge_id)
        view = await self._json("POST", rest, {"path": proposed})
        if view is None:
            return
        path = clean_path(view.get("path"))
        notebook = view.pop("notebook", None)
        if not await files.exists(path):
            if not isinstance(notebook, dict):
                raise ServiceUnavailable("the KodeLab service sent no notebook to create")
            await files.save(nbformat.from_dict(notebook), path)
        self.reply(view)

    async def _answer_notebook(self, challenge_id: Any, path: Any) -> dict[str, Any]:
        if not isinstance(challenge_id, str):
            raise BadRequest("'challenge_id' must be a string")
        nb = await self.proxy.files.read(path, challenge_id)
        answer_of(nb)  # the same 422s as on a single-user server, before any network call
        return answer_cells(nb)

    async def run(self, rest: str, challenge_id: str) -> None:
        """Visible tests of the saved notebook's answer."""
        path = self.json_body().get("path")
        notebook = await self._answer_notebook(challenge_id, path)
        await self.forward(rest, {"path": clean_path(path), "notebook": notebook})

    async def submit(self, rest: str) -> None:
        """Submit the saved notebook's answer; watch for the verdict."""
        body = self.json_body()
        if "challenge_id" not in body or "path" not in body:
            raise BadRequest("body needs 'challenge_id' and 'path'")
        notebook = await self._answer_notebook(body["challenge_id"], body["path"])
        forwarded = {
            "challenge_id": body["challenge_id"],
            "path": clean_path(body["path"]),
            "notebook": notebook,
        }
        status, headers, data, raw = await self.proxy.call_json("POST", rest, forwarded)
        if isinstance(data, dict) and isinstance(data.get("id"), int):
            self.proxy.watch(data["id"])
        self.relay(status, headers, raw)

    async def restore(self, rest: str, submission_id: str) -> None:
        """The service sends the submission's code; it goes into the notebook here."""
        view = await self._json("POST", rest)
        if view is None:
            return
        path = clean_path(view.get("path"))
        code = view.get("code")
        if not isinstance(code, str) or not isinstance(view.get("challenge_id"), str):
            raise ServiceUnavailable("the KodeLab service sent no code to restore")
        await self.proxy.files.restore(path, view["challenge_id"], code)
        self.reply({"path": path, "submission_id": int(submission_id)})

    async def follow_session(self, rest: str) -> None:
        """Forward; then bring the interview session's notebook here up to date."""
        status, headers, view, raw = await self.proxy.call_json(
            self.request.method or "GET", self._quoted(rest), self._body_or_none()
        )
        if not isinstance(view, dict) or "rounds" not in view:
            self.relay(status, headers, raw)
            return
        self.reply(await self._follow(view), status=status)

    async def round_answer(self, rest: str, sid: str, rid: str) -> None:
        """A round's answer: as sent, or read from the session notebook (``{"path"}``)."""
        body = self.json_body()
        if "answer" not in body and "path" in body:
            answer = await self.proxy.interview_notebooks.answer_at(body["path"], int(sid), rid)
            if len(answer.encode()) > MAX_ANSWER_BYTES:
                raise BadRequest(f"the answer is larger than {MAX_ANSWER_BYTES // 1024} KB")
            body = {"answer": answer}
        if self.request.method == "PUT":
            await self.forward(rest, body)
            return
        status, headers, view, raw = await self.proxy.call_json("POST", self._quoted(rest), body)
        if not isinstance(view, dict) or "rounds" not in view:
            self.relay(status, headers, raw)
            return
        self.reply(await self._follow(view), status=status)

    def _body_or_none(self) -> Any:
        return self.json_body() if self.request.body else None

    async def _follow(self, view: dict[str, Any]) -> dict[str, Any]:
        """The session notebook follows the session (as on a single-user server); a notebook
        that cannot be written is reported in ``notebook_error``, the session still counts."""
        try:
            view["path"] = await self.proxy.interview_notebooks.ensure(view)
        except KodeLabError as exc:
            self.log.warning("interview session %s: notebook not updated: %s", view["id"], exc)
            view["notebook_error"] = str(exc)
        except Exception:
            self.log.exception("interview session %s: notebook not updated", view.get("id"))
            view["notebook_error"] = "the session notebook could not be updated"
        return view


PROXY_HANDLERS = [(r"kodelab/api/(?P<rest>.*)", ProxyHandler)]
