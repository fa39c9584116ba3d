"""Persistence: SQLAlchemy models, the :class:`Store` service and alembic migrations."""

from __future__ import annotations

from .errors import Conflict, NotFound, StoreError
from .models import Base
from .service import InterviewRecord, ProgressRecord, StartRecord, Store, SubmissionRecord

__all__ = [
    "Base",
    "Conflict",
    "InterviewRecord",
    "NotFound",
    "ProgressRecord",
    "StartRecord",
    "Store",
    "StoreError",
    "SubmissionRecord",
]
