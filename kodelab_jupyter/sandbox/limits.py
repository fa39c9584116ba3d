"""Resource limits of one grading run."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Limits:
    """What one grading run may use; the sandbox enforces them, the judge maps breaches."""

    wall_seconds: float = 10.0
    memory_mb: int = 256
    max_processes: int = 64
    output_bytes: int = 1 << 20
    file_size_mb: int = 16
    open_files: int = 256
    tmp_mb: int = 64
    startup_seconds: float = 30.0

    @property
    def cpu_seconds(self) -> int:
        """CPU-time cap: the wall budget plus kernel start-up, so it never fires before the wall."""
        return int(self.wall_seconds) + 10

    def override(self, **changes: Any) -> Limits:
        """A copy with the non-None ``changes`` applied."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
