"""Typed errors of the service layer; handlers map each to its HTTP status."""

from __future__ import annotations


class KodeLabError(Exception):
    """An error a client can act on; ``status`` is the HTTP code it maps to."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(KodeLabError):
    """Malformed input (bad JSON, missing field, a path outside the user's root)."""

    status = 400


class Forbidden(KodeLabError):
    """The user may not do this."""

    status = 403


class NotFound(KodeLabError):
    """Unknown id, or another user's object (never revealed as existing)."""

    status = 404


class Conflict(KodeLabError):
    """The object is in the wrong state for this request."""

    status = 409


class TooLarge(KodeLabError):
    """A notebook or body over the size limit."""

    status = 413


class Invalid(KodeLabError):
    """Well-formed but unusable content (not a challenge notebook, no answer cell...)."""

    status = 422


class RateLimited(KodeLabError):
    """Too many requests; retry after ``retry_after`` seconds."""

    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
