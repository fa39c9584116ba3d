"""The Jupyter server extension: configuration and services of KodeLab."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Instance, Unicode, default

from . import __version__
from .handlers.challenges import HANDLERS
from .handlers.instructor import INSTRUCTOR_HANDLERS
from .handlers.interviews import INTERVIEW_HANDLERS
from .services import ServicesHost
from .store import SubmissionRecord

VERDICT_SCHEMA = Path(__file__).parent / "events" / "verdict.yaml"
VERDICT_EVENT = "https://events.kodelab.dev/kodelab_jupyter/verdict"
HUB_SERVICE_URL_ENV = "KODELAB_HUB_SERVICE_URL"


class KodeLabApp(ExtensionApp, ServicesHost):
    """KodeLab inside jupyter-server: catalog, judge, store and grading service.

    Content and grading options (``challenge_directories``, ``grading_concurrency``...) and
    the services are :class:`~kodelab_jupyter.services.ServicesHost`'s, as in the hub service.
    """

    name = "kodelab_jupyter"
    version = __version__
    description = "Coding challenges graded against hidden tests in a sandboxed kernel."

    local_user = Unicode(
        help="Name recorded for the person using a single-user server with jupyter-server's "
        "default token identity (which invents a new anonymous user per browser). "
        "Default: the operating-system user name."
    ).tag(config=True)

    hub_service_url = Unicode(
        help="JupyterHub mode: URL of the KodeLab hub service, e.g. "
        "'http://127.0.0.1:10101/services/kodelab/'. When set, this server loads no content, "
        "grader or database: its /kodelab/api routes forward to the service (authenticated "
        "with this server's $JUPYTERHUB_API_TOKEN) and it only reads and writes the student's "
        f"notebooks. Default: ${HUB_SERVICE_URL_ENV}, else '' (everything runs here)."
    ).tag(config=True)

    @default("hub_service_url")
    def _default_hub_service_url(self) -> str:
        return os.environ.get(HUB_SERVICE_URL_ENV, "")

    @default("local_user")
    def _default_local_user(self) -> str:
        import getpass

        return getpass.getuser()

    hub_proxy = Instance("kodelab_jupyter.hub.proxy.HubProxy", allow_none=True)

    def initialize_settings(self) -> None:
        """Build the services (or, in JupyterHub mode, the proxy to the hub service)."""
        assert self.serverapp is not None
        self.settings.update({"kodelab": self})
        if self.hub_service_url:
            from .hub.proxy import HubProxy

            self.hub_proxy = HubProxy(
                self.hub_service_url, self.serverapp.contents_manager, parent=self
            )
            self._setup_events()
            self.log.info(
                "KodeLab %s in JupyterHub mode: grading and data at %s",
                __version__,
                self.hub_service_url,
            )
            return
        self.setup_services(self.serverapp.contents_manager)
        assert self.catalog is not None and self.judge is not None and self.store is not None
        self._setup_events()
        self.log.info(
            "KodeLab %s: %d challenge(s), sandbox %s, database %s",
            __version__,
            len(self.catalog.challenges),
            self.judge.sandbox.name,
            self.store.db_url,
        )

    def _setup_events(self) -> None:
        """Push verdicts on the server's event bus, so clients need not poll."""
        events = getattr(self.serverapp, "event_logger", None)
        if events is None:
            return
        events.register_event_schema(VERDICT_SCHEMA)

        def emit(view: dict[str, Any]) -> None:
            verdict = view.get("verdict") or {}
            events.emit(
                schema_id=VERDICT_EVENT,
                data={
                    "submission_id": view["id"],
                    "challenge_id": view["challenge_id"],
                    "status": view["status"],
                    "verdict": verdict.get("verdict", ""),
                    "score": verdict.get("score", 0),
                    "max_score": verdict.get("max_score", 0),
                },
            )

        def emit_record(record: SubmissionRecord) -> None:
            view = {"id": record.id, "challenge_id": record.challenge_id}
            emit(dict(view, status=record.status, verdict=record.to_verdict()))

        if self.practice is not None:
            self.practice.listeners.append(emit_record)
        if self.hub_proxy is not None:
            self.hub_proxy.listeners.append(emit)

    def initialize_handlers(self) -> None:
        """The REST API under <base_url>/kodelab/api/."""
        if self.hub_service_url:
            from .hub.proxy import PROXY_HANDLERS

            self.handlers.extend(PROXY_HANDLERS)
            return
        # Interview routes first: the challenge routes end with a catch-all JSON 404.
        self.handlers.extend(INSTRUCTOR_HANDLERS)
        self.handlers.extend(INTERVIEW_HANDLERS + HANDLERS)

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        if self.services is not None:
            self.services.start(pool=True, requeue=self.regrade_unfinished_on_start)

    async def stop_extension(self) -> None:
        """Let grading runs in flight finish, then close the database."""
        if self.services is not None:
            await self.services.close()
        if self.hub_proxy is not None:
            await self.hub_proxy.close()
