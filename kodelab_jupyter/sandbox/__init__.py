"""Where untrusted code runs."""

from __future__ import annotations

from .base import Sandbox, SandboxKernel, SandboxUnavailable
from .docker import DockerSandbox
from .limits import Limits
from .local import LocalSandbox, UnsafeLocalSandbox

SANDBOXES: dict[str, type[Sandbox]] = {
    "local": LocalSandbox,
    "unsafe-local": UnsafeLocalSandbox,
    "docker": DockerSandbox,
}

__all__ = [
    "SANDBOXES",
    "DockerSandbox",
    "Limits",
    "LocalSandbox",
    "Sandbox",
    "SandboxKernel",
    "SandboxUnavailable",
    "UnsafeLocalSandbox",
]
