"""A real ``jupyter server`` with the extension, for the REST benchmarks (loopback only).

:class:`BenchServer` starts ``python -m jupyter_server`` on 127.0.0.1 (a free port) with a
temporary root folder, Jupyter folders and SQLite database, the shipped challenges, the
warm kernel pool (the server's default), the submission rate limit raised for the
benchmark, and :class:`BenchIdentityProvider`, so that many distinct students share it.
It is stopped with SIGTERM (the extension then destroys its pool) and, failing that, killed.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jupyter_server.auth import IdentityProvider, User
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from .common import BenchFailure, cmdline, cpu_ticks, tasks_of

USER_HEADER = "X-KodeLab-Bench-User"
_USER_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


class BenchIdentityProvider(IdentityProvider):
    """The usual token check, then the user named in the ``X-KodeLab-Bench-User`` header.

    Only for the benchmark's own server (which listens on 127.0.0.1 with a random token).
    """

    async def get_user(self, handler: Any) -> User | None:  # type: ignore[override]
        if await self._get_user(handler) is None:
            return None
        name = handler.request.headers.get(USER_HEADER, "bench")
        return User(username=name) if _USER_NAME.fullmatch(name) else None


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Http:
    """JSON requests to the server as one user or another, timed."""

    def __init__(self, base_url: str, token: str, max_clients: int = 10) -> None:
        if not base_url.startswith("http://127.0.0.1:"):
            raise ValueError("the benchmark only talks to a server on 127.0.0.1")
        self.base_url = base_url
        self.token = token
        self.client = AsyncHTTPClient(force_instance=True, max_clients=max_clients)

    async def call(
        self,
        method: str,
        path: str,
        user: str,
        body: Any = None,
        timeout: float = 60,
    ) -> tuple[int, Any, float]:
        """``(status, JSON reply or None, seconds)`` of one request."""
        payload = None if body is None else json.dumps(body)
        if method in ("POST", "PUT") and payload is None:
            payload = ""
        request = HTTPRequest(
            self.base_url + path,
            method=method,
            body=payload,
            headers={
                "Authorization": f"token {self.token}",
                USER_HEADER: user,
                "Content-Type": "application/json",
            },
            connect_timeout=timeout,
            request_timeout=timeout,
        )
        began = time.perf_counter()
        response = await self.client.fetch(request, raise_error=False)
        elapsed = time.perf_counter() - began
        data = None
        if response.body:
            try:
                data = json.loads(response.body)
            except ValueError:
                data = None
        return response.code, data, elapsed

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()


class BenchServer:
    """``python -m jupyter_server`` with KodeLab on 127.0.0.1, in a temporary folder."""

    def __init__(self, pool_size: int = 2, submissions_per_minute: int = 100000) -> None:
        self.pool_size = pool_size
        self.submissions_per_minute = submissions_per_minute
        self.folder = Path(tempfile.mkdtemp(prefix="kodelab-bench-server-"))
        self.root = self.folder / "root"
        self.token = secrets.token_hex(24)
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log = self.folder / "server.log"

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}/"

    def config(self) -> dict[str, Any]:
        """The server's configuration (written as jupyter_server_config.json)."""
        return {
            "ServerApp": {
                "ip": "127.0.0.1",
                "port": self.port,
                "port_retries": 0,
                "open_browser": False,
                "allow_root": True,
                "root_dir": str(self.root),
                "jpserver_extensions": {"kodelab_jupyter": True},
                "identity_provider_class": f"{__name__}.BenchIdentityProvider",
            },
            "IdentityProvider": {"token": self.token},
            "Store": {"db_url": f"sqlite:///{self.folder / 'kodelab.sqlite'}"},
            "Judge": {"pool_size": self.pool_size},
            # The benchmark's students submit faster than the default 10 per minute allows.
            "PracticeService": {"submissions_per_minute": self.submissions_per_minute},
        }

    def env(self) -> dict[str, str]:
        """Private Jupyter folders: no user configuration, a database of its own."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
        for name, sub in (
            ("JUPYTER_CONFIG_DIR", "config"),
            ("JUPYTER_DATA_DIR", "data"),
            ("JUPYTER_RUNTIME_DIR", "runtime"),
            ("IPYTHONDIR", "ipython"),
        ):
            env[name] = str(self.folder / sub)
        return env

    async def start(self, timeout: float = 120) -> None:
        """Start the server and wait until it answers."""
        self.root.mkdir(parents=True, exist_ok=True)
        (self.folder / "config").mkdir(exist_ok=True)
        for attempt in range(3):
            self.port = free_port()
            (self.folder / "config" / "jupyter_server_config.json").write_text(
                json.dumps(self.config(), indent=2)
            )
            with self.log.open("ab") as out:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "jupyter_server"],
                    cwd=self.root,
                    env=self.env(),
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            if await self._answers(timeout):
                return
            await self.stop(remove=False)
            if attempt == 2:
                break
        raise BenchFailure(f"jupyter server did not start: {self._tail()}")

    async def _answers(self, timeout: float) -> bool:
        http = Http(self.url, self.token, max_clients=1)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    return False
                try:
                    status, _, _ = await http.call("GET", "api/status", "bench", timeout=5)
                except OSError:
                    status = 0
                if status == 200:
                    return True
                await asyncio.sleep(0.2)
        finally:
            http.close()
        return False

    def _tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def kernel_pids(self) -> list[int]:
        """The server's sandboxed kernel processes (pool and grading runs)."""
        if self.process is None:
            return []
        return [p for p in tasks_of(self.process.pid) if "ipykernel_launcher" in cmdline(p)]

    async def settle(self, timeout: float = 60, quiet: float = 0.25) -> bool:
        """Wait until the server's pool is full and its kernels idle (nothing starting):
        ``pool_size`` kernels that used (almost) no CPU for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.kernel_pids()
            if len(pids) >= self.pool_size:
                before = cpu_ticks(pids)
                await asyncio.sleep(quiet)
                if self.kernel_pids() == pids and cpu_ticks(pids) - before <= len(pids):
                    return True
            else:
                await asyncio.sleep(0.05)
        return False

    async def stop(self, remove: bool = True) -> None:
        """SIGTERM (the server shuts its pool down), then SIGKILL of its process group."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            for _ in range(300):
                if process.poll() is not None:
                    break
                await asyncio.sleep(0.1)
            else:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()
        if remove:
            shutil.rmtree(self.folder, ignore_errors=True)


def contents_path(path: str) -> str:
    """The contents API URL path of a notebook path."""
    return "api/contents/" + quote(path)
