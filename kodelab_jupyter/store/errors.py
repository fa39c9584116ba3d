"""Typed errors raised by the store; the HTTP layer maps them to status codes."""

from __future__ import annotations


class StoreError(Exception):
    """Base class of every error the store raises on purpose."""


class NotFound(StoreError):
    """The row does not exist, or is not visible to the user who asked (never say which)."""


class Conflict(StoreError):
    """The row exists but is in a state that does not allow the requested change."""
