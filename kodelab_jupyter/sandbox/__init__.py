"""Where untrusted code runs."""

from __future__ import annotations

from .base import Sandbox, SandboxKernel, SandboxUnavailable
from .limits import Limits
from .local import LocalSandbox, UnsafeLocalSandbox

SANDBOXES: dict[str, type[Sandbox]] = {
    "local": LocalSandbox,
    "unsafe-local": UnsafeLocalSandbox,
}

__all__ = [
    "SANDBOXES",
    "Limits",
    "LocalSandbox",
    "Sandbox",
    "SandboxKernel",
    "SandboxUnavailable",
    "UnsafeLocalSandbox",
]
