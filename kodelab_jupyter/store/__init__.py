"""Persistence: SQLAlchemy models, the :class:`Store` service and alembic migrations."""

from __future__ import annotations

from .courses import (
    AssignmentRecord,
    CourseRecord,
    EnrollmentRecord,
    GradeRow,
    ItemGrade,
    LatePolicy,
    RegradeRecord,
    SyncResult,
)
from .errors import Conflict, NotFound, StoreError
from .models import Base
from .service import InterviewRecord, ProgressRecord, StartRecord, Store, SubmissionRecord

__all__ = [
    "AssignmentRecord",
    "Base",
    "Conflict",
    "CourseRecord",
    "EnrollmentRecord",
    "GradeRow",
    "InterviewRecord",
    "ItemGrade",
    "LatePolicy",
    "NotFound",
    "ProgressRecord",
    "RegradeRecord",
    "StartRecord",
    "Store",
    "StoreError",
    "SubmissionRecord",
    "SyncResult",
]
