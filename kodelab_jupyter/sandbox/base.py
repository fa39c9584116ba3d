"""What every sandbox provides: a fresh, limited, single-use kernel."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from jupyter_client import AsyncKernelClient, AsyncKernelManager
from traitlets.config import LoggingConfigurable

from .limits import Limits


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot be created on this machine; the message says how to fix it."""


@dataclass
class OutputMeter:
    """Counts every byte a run prints (fds 1-2 and iopub) without keeping it."""

    limit: int
    used: int = 0
    exceeded: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, nbytes: int) -> bool:
        """Count ``nbytes``; True once the limit has been passed."""
        with self._lock:
            self.used += nbytes
            if self.used > self.limit:
                self.exceeded = True
            return self.exceeded


@dataclass
class SandboxKernel:
    """A started kernel inside a sandbox, used for one grading run and then destroyed."""

    km: AsyncKernelManager
    kc: AsyncKernelClient
    meter: OutputMeter
    limits: Limits
    info: dict[str, Any] = field(default_factory=dict)

    def exit_signal(self) -> int | None:
        """The signal that ended the kernel process, if it ended by one (None while alive)."""
        provisioner: Any = self.km.provisioner
        return provisioner.exit_signal() if provisioner is not None else None

    def death_reason(self) -> str | None:
        """Why the kernel ended, when its sandbox can tell (``"oom"``, ``"signal:N"``)."""
        reason = getattr(self.km.provisioner, "death_reason", None)
        return reason() if callable(reason) else None

    def kill_now(self) -> None:
        """Kill the kernel from outside at once (synchronous; safe from any callback)."""
        kill = getattr(self.km.provisioner, "kill_now", None)
        if kill is not None:
            kill()

    async def destroy(self) -> None:
        """Kill the kernel and everything it started; remove its files. Never raises."""
        try:
            self.kc.stop_channels()
        except Exception:
            pass
        # Kill from outside and reap directly: a used kernel is never asked to shut down
        # (it may ignore requests), and jupyter_client's shutdown polls in 100 ms steps.
        provisioner: Any = self.km.provisioner
        try:
            if provisioner is not None:
                await provisioner.kill()
            await asyncio.wait_for(self.km.cleanup_resources(restart=False), timeout=10)
        except Exception:
            if provisioner is not None:
                await provisioner.cleanup()


class Sandbox(LoggingConfigurable):
    """Base class of sandboxes; subclasses start kernels under their isolation."""

    name = "base"
    # True when kernels see no host files at all (a container), so nothing needs masking.
    isolates_host_files = False

    def problems(self) -> list[str]:
        """Reasons this sandbox cannot run here (empty when it can)."""
        return []

    async def start_kernel(self, limits: Limits, hidden: Sequence[str] = ()) -> SandboxKernel:
        """Start a fresh kernel under ``limits``, with ``hidden`` paths out of its sight."""
        raise NotImplementedError
