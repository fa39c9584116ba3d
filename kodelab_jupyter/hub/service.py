"""The KodeLab JupyterHub service: one grader, one content library, one database for a hub.

``kodelab hub-service`` runs as a JupyterHub *managed service* (see examples/
jupyterhub_config.py). It owns the challenge and interview content with its hidden tests,
the judge with its sandboxes and warm pool, and the database (PostgreSQL for a hub), and
serves the same REST API as the single-user extension under its service prefix::

    <JUPYTERHUB_SERVICE_PREFIX>kodelab/api/...     e.g. /services/kodelab/kodelab/api/challenges

with the same handler classes. Only authentication differs: callers are hub users,
identified by JupyterHub (a hub token, such as the one a student's single-user server
forwards with, or the OAuth cookie of a browser) and authorized by scopes
(kodelab_jupyter/hub/auth.py). Students' servers hold no hidden test and no database
credential: they forward to this service (kodelab_jupyter/hub/proxy.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import signal
import sys
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlparse

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.httpserver import HTTPServer
from traitlets import Dict, Instance, Int, Unicode, default
from traitlets.config import Application

from .. import __version__
from ..errors import BadRequest, NotFound
from ..grading.source import MAX_ANSWER_BYTES
from ..handlers.base import MAX_BODY_SETTING
from ..handlers.challenges import HANDLERS
from ..handlers.instructor import instructor_handlers
from ..handlers.interviews import INTERVIEW_HANDLERS, NOTEBOOKS_KEY
from ..interview.notebook import InterviewNotebooks
from ..services import ServicesHost
from .auth import INSTRUCT_SCOPE, HubIdentityProvider, ScopeAuthorizer, holds

DB_URL_ENV = "KODELAB_DB_URL"
EXTENSION_NAME = "kodelab_jupyter"


class ServiceInterviewNotebooks(InterviewNotebooks):
    """The service has no access to students' files: their own servers keep the session
    notebooks (kodelab_jupyter/hub/proxy.py) and send round answers as ``answer``."""

    def __init__(self) -> None:
        super().__init__(None)

    async def ensure(self, view: dict[str, Any]) -> Any:
        """Nothing to write here; the session keeps the path it has."""
        return view.get("path")

    async def answer_at(self, path: Any, session_id: int, round_id: str) -> str:
        """Refused: the answer must come in the request."""
        raise BadRequest("send the round's 'answer' (this service cannot read notebooks)")


class HubInstructor:
    """Mixed into the instructor handlers in the service: the global instructor right is the
    ``custom:kodelab:instruct`` scope, and hub groups come from the hub's REST API."""

    current_user: Any
    settings: dict[str, Any]

    def instructor_scope_ok(self) -> bool:
        """Whether the user holds the instructor scope (unfiltered)."""
        return holds(self.current_user, INSTRUCT_SCOPE)

    async def group_members(self, group: str) -> list[str]:
        """The members of a hub group (the service's token needs ``read:groups``)."""
        hub_auth = self.settings["identity_provider"].hub_auth
        url = url_path_join(hub_auth.api_url, "groups", quote(group, safe=""))
        request = HTTPRequest(url, headers={"Authorization": f"token {hub_auth.api_token}"})
        response = await AsyncHTTPClient().fetch(request, raise_error=False)
        if response.code == 404:
            raise NotFound(f"no hub group '{group}'")
        if response.code != 200:
            raise BadRequest(
                f"the hub refused to list group '{group}' ({response.code}): give the service "
                "the read:groups scope, or send 'members'"
            )
        return list(json.loads(response.body).get("users") or [])


class KodeLabHubService(Application, ServicesHost):
    """``kodelab hub-service``: KodeLab's content, grader and database as a JupyterHub service."""

    name = "kodelab-hub-service"
    version = __version__
    description = __doc__

    aliases = {
        "db-url": "Store.db_url",
        "config": "KodeLabHubService.config_file",
        "log-level": "Application.log_level",
    }

    @default("log_level")
    def _default_log_level(self) -> int:
        return logging.INFO

    config_file = Unicode(
        "", help="A Python config file (c.KodeLabHubService..., c.Store..., c.Judge...)."
    ).tag(config=True)
    service_url = Unicode(
        help="Where to listen. Default: $JUPYTERHUB_SERVICE_URL (set by JupyterHub), else "
        "http://127.0.0.1:10101."
    ).tag(config=True)
    service_prefix = Unicode(
        help="URL prefix of every route. Default: $JUPYTERHUB_SERVICE_PREFIX (set by "
        "JupyterHub), else /services/kodelab/."
    ).tag(config=True)
    max_body_kb = Int(
        (4 * MAX_ANSWER_BYTES + 64 * 1024) // 1024,
        help="Largest request body accepted, in KB (run/submit bodies carry the answer "
        "cells). Default: 464.",
    ).tag(config=True)
    tornado_settings = Dict(help="Extra tornado Application settings.").tag(config=True)

    @default("service_url")
    def _default_service_url(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10101")

    @default("service_prefix")
    def _default_service_prefix(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/kodelab/")

    def initialize(self, argv: list[str] | None = None) -> None:
        """Read the command line and config; build the services; upgrade the database."""
        super().initialize(argv)
        if self.config_file:
            self.load_config_file(self.config_file)
            self.update_config(self.cli_config)  # the command line wins
        if "db_url" not in self.config.Store and os.environ.get(DB_URL_ENV):
            self.config.Store.db_url = os.environ[DB_URL_ENV]
        self.setup_services(contents=None)  # students' notebooks come in the requests
        assert self.catalog and self.interviews and self.judge and self.store
        self.log.info(
            "KodeLab hub service %s: %d challenge(s), %d interview scenario(s), sandbox %s, "
            "database %s",
            __version__,
            len(self.catalog.challenges),
            len(self.interviews.catalog.scenarios),
            self.judge.sandbox.name,
            self.store.engine.url,  # rendered without the password
        )

    # -- the web application --------------------------------------------------------------

    def routes(self) -> list[Any]:
        """Every route under the service prefix (the same handler classes as the extension)."""
        prefix = self.service_prefix
        extra = {"name": EXTENSION_NAME}
        # JupyterHub's OAuth callback (browsers log in through the hub), and an index page.
        routes: list[Any] = [
            (url_path_join(prefix, path), *rest)
            for path, *rest in self.identity_provider.get_handlers()
            if path == "/oauth_callback"
        ]
        routes.append((url_path_join(prefix, r"/?"), IndexHandler))
        api = url_path_join(prefix, "kodelab/api")
        for pattern, handler in instructor_handlers(api, HubInstructor):
            routes.append((pattern, handler, extra))
        for pattern, handler in INTERVIEW_HANDLERS + HANDLERS:
            routes.append((url_path_join(prefix, pattern), handler, extra))
        return routes

    identity_provider = Instance(HubIdentityProvider)

    @default("identity_provider")
    def _default_identity_provider(self) -> HubIdentityProvider:
        return HubIdentityProvider(parent=self)

    def make_app(self) -> web.Application:
        """The tornado application serving the API."""
        hub_auth = self.identity_provider.hub_auth
        settings: dict[str, Any] = {
            "kodelab": self,
            EXTENSION_NAME: self,
            "serverapp": None,
            "identity_provider": self.identity_provider,
            "authorizer": ScopeAuthorizer(parent=self, identity_provider=self.identity_provider),
            "base_url": self.service_prefix,
            "login_url": hub_auth.login_url,
            "cookie_secret": secrets.token_bytes(32),
            # Behind JupyterHub's proxy: the Host header is the hub's public one.
            "allow_remote_access": True,
            "headers": {},
            MAX_BODY_SETTING: self.max_body_kb * 1024,
            NOTEBOOKS_KEY: ServiceInterviewNotebooks(),
            "log_function": self._log_request,
        }
        settings.update(self.tornado_settings)
        return web.Application(self.routes(), **settings)

    def _log_request(self, handler: web.RequestHandler) -> None:
        status = handler.get_status()
        level = logging.INFO if status < 400 else logging.WARNING
        if status >= 500:
            level = logging.ERROR
        user = getattr(handler, "_jupyterhub_user", None)
        self.log.log(
            level,
            "%d %s %s (%s) %.1fms",
            status,
            handler.request.method,
            handler.request.path,
            getattr(user, "username", "-"),
            1000.0 * handler.request.request_time(),
        )

    # -- running ---------------------------------------------------------------------------

    def start(self) -> None:
        """Serve until SIGTERM or SIGINT."""
        asyncio.run(self.serve())

    async def serve(self, stop: asyncio.Event | None = None) -> None:
        """Listen, warm the pool, re-queue unfinished submissions; close down on ``stop``."""
        assert self.services is not None
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):
                pass
        url = urlparse(self.service_url)
        server = HTTPServer(self.make_app(), xheaders=True)
        server.listen(url.port or 80, url.hostname or "127.0.0.1")
        self.services.start(pool=True, requeue=self.regrade_unfinished_on_start)
        self.log.info(
            "KodeLab hub service listening on %s%s", self.service_url, self.service_prefix
        )
        await stop.wait()
        self.log.info("KodeLab hub service stopping")
        server.stop()
        await self.services.close()


class IndexHandler(JupyterHandler):
    """``GET <prefix>``: who you are to the service. A browser without a session is sent
    through the hub's OAuth login first, so the API can then be used from it (cookies)."""

    @web.authenticated
    async def get(self) -> None:
        user = self.current_user
        self.set_header("Content-Type", "application/json")
        self.finish(
            json.dumps(
                {
                    "service": "kodelab",
                    "version": __version__,
                    "user": user.username,
                    "instructor": holds(user, INSTRUCT_SCOPE),
                    "api": url_path_join(self.base_url, "kodelab/api/"),
                }
            )
        )

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """JSON, like the API (the service has no HTML templates)."""
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": self._reason, "reason": None}))


def main(argv: Sequence[str] | None = None) -> int:
    """``kodelab hub-service [--db-url URL] [--config FILE] [--Class.trait=value ...]``"""
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="[%(levelname)s %(name)s] %(message)s"
    )
    app = KodeLabHubService.instance()
    app.initialize(list(argv) if argv is not None else None)
    app.start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
