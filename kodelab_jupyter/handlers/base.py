"""Base handler: authentication, JSON bodies, typed errors -> HTTP status codes."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from jupyter_server.auth.identity import IdentityProvider, PasswordIdentityProvider
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin

from ..content.errors import ContentError
from ..errors import BadRequest, KodeLabError, TooLarge
from ..grading.source import SubmissionError
from ..store import Conflict as StoreConflict
from ..store import NotFound as StoreNotFound

if TYPE_CHECKING:
    from ..practice import PracticeService

MAX_BODY_BYTES = 64 * 1024
# Tornado setting raising that limit (the hub service receives notebooks in request bodies).
MAX_BODY_SETTING = "kodelab_max_body_bytes"
# jupyter-server's own token/password identities: one person, anonymous per-browser names.
_ANONYMOUS_PROVIDERS = (IdentityProvider, PasswordIdentityProvider)
_STATUS_OF = {StoreNotFound: 404, StoreConflict: 409, SubmissionError: 422, ContentError: 422}


class KodeLabHandler(ExtensionHandlerMixin, APIHandler):  # type: ignore[misc]
    """Every KodeLab endpoint: authenticated, authorized on the ``kodelab`` resource."""

    auth_resource = "kodelab"

    @property
    def practice(self) -> PracticeService:
        """The student workflow service."""
        service: PracticeService = self.settings["kodelab"].practice
        return service

    @property
    def user_name(self) -> str:
        """The authenticated user's name: every query is scoped to it.

        jupyter-server's default token identity makes up a new anonymous user per browser;
        on such a single-user server the one person using it is the configured local user.
        """
        if type(self.identity_provider) in _ANONYMOUS_PROVIDERS:
            return str(self.settings["kodelab"].local_user)
        return str(self.current_user.username)

    def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object; 400/413 with a message otherwise."""
        raw = self.request.body or b""
        limit = int(self.settings.get(MAX_BODY_SETTING, MAX_BODY_BYTES))
        if len(raw) > limit:
            raise TooLarge(f"request body larger than {limit // 1024} KB")
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise BadRequest("request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise BadRequest("request body must be a JSON object")
        return body

    def reply(self, data: Any, status: int = 200) -> None:
        """Send ``data`` as JSON."""
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data))

    def _status_of(self, exc: BaseException) -> int | None:
        if isinstance(exc, KodeLabError):
            return exc.status
        for kind, status in _STATUS_OF.items():
            if isinstance(exc, kind):
                return status
        return None

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Typed errors become their status with a readable message; never a traceback."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        status = self._status_of(exc) if exc is not None else None
        if status is None:
            super().write_error(status_code, **kwargs)
            return
        self.set_status(status)
        if isinstance(exc, KodeLabError) and hasattr(exc, "retry_after"):
            self.set_header("Retry-After", str(exc.retry_after))
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": str(exc), "reason": type(exc).__name__}))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """Typed errors are the client's, not ours: log them briefly."""
        if value is not None and self._status_of(value) is not None:
            self.log.info("%s %s: %s", self.request.method, self.request.path, value)
            return
        super().log_exception(typ, value, tb)
