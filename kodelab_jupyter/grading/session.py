"""Driving one sandboxed kernel through a grading run with nbclient, cell by cell.

The grader sends code and test *inputs* in; results come back as wire data in a display
message. Nothing the kernel says is taken as a pass or fail: :class:`CallResult` is only
"this value came back", "this exception class was raised" or "the run stopped".

A call's inputs travel as wire text in the execute request's *metadata*, and the cell that
runs it is one short line that reads them from there. They used to be pasted into the cell
as a string literal: for a 100 000-element list (590 KB) IPython then tokenised the whole
cell (its input transformers scan it line by line) and echoed it back on iopub. Measured on
2 CPUs, interleaved, 15 warm-pool gradings of two-sum each: its ``large-input`` test took
0.31 s at the median that way and takes 0.10 s now; the whole grading 0.38 s, now 0.19 s
(see benchmarks/README.md). As metadata the inputs are only JSON-decoded with the message.

Encoding bulky inputs (and decoding bulky results) is pure Python work of tens of
milliseconds; it runs on a small thread pool of its own rather than on the event loop, so
a server grading under load keeps answering requests meanwhile (the GIL is handed over
every few milliseconds) instead of stalling for the whole encode.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from ..sandbox.base import Sandbox, SandboxKernel
from ..sandbox.limits import Limits
from . import wire
from .harness import RESULT_MIME

_HARNESS_SOURCES = [Path(__file__).with_name(n).read_text() for n in ("wire.py", "harness.py")]
_BOOT_CELL = f"""\
def __kodelab_boot(sources):
    import types
    spaces = []
    for source in sources:
        ns = {{"__name__": "kodelab_harness_" + str(len(spaces))}}
        exec(compile(source, "<kodelab-harness>", "exec"), ns)
        spaces.append(ns)
    kernel_pid = spaces[1]["contain_forks"]()
    return spaces[1]["Harness"](types.SimpleNamespace(**spaces[0]), kernel_pid)
__kodelab__ = __kodelab_boot({_HARNESS_SOURCES!r})
del __kodelab_boot
"""


class RunStopped(Exception):
    """The run cannot go on (time, output or the kernel ended); ``outcome`` is the verdict kind."""

    def __init__(self, outcome: str, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.message = message


@dataclass
class CallResult:
    """What one call of the student's function produced."""

    value: Any = None
    error: str | None = None
    detail: str = ""


# Inputs with more items than this (top level) are encoded off the event loop, and results
# longer than this many bytes decoded off it; a dedicated pool, so that it never waits
# behind (or starves) the default executor that runs the trusted checks.
_BULKY_ITEMS = 2000
_BULKY_BYTES = 1 << 16
_WIRE_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kodelab-wire")


def _bulky(values: Sequence[Any]) -> bool:
    sized = (str, bytes, list, tuple, dict, set, frozenset)
    return sum(len(v) for v in values if isinstance(v, sized)) > _BULKY_ITEMS


async def _off_loop(bulky: bool, func: Callable[..., Any], *args: Any) -> Any:
    """``func(*args)``: on the wire pool when ``bulky``, else right here."""
    if not bulky:
        return func(*args)
    return await asyncio.get_running_loop().run_in_executor(_WIRE_THREADS, func, *args)


# The key of a call's request in the execute request's metadata, and the call cell's source.
REQUEST_KEY = "kodelab_request"
_CALL_CELL = "__kodelab__.call({index}, get_ipython().kernel.get_parent()['metadata'][{key!r}])"


class _RequestClient:
    """The kernel client as nbclient sees it: every attribute is the real client's, but the
    next ``execute`` may carry ``metadata`` (a call's inputs, as data rather than code)."""

    def __init__(self, kc: Any) -> None:
        self._kc = kc
        self.metadata: dict[str, Any] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kc, name)

    def execute(
        self,
        code: str,
        silent: bool = False,
        store_history: bool = True,
        user_expressions: dict[str, Any] | None = None,
        allow_stdin: bool | None = None,
        stop_on_error: bool = True,
    ) -> str:
        """``KernelClient.execute`` (no stdin), sending and then forgetting ``metadata``."""
        content = {
            "code": code,
            "silent": silent,
            "store_history": store_history,
            "user_expressions": user_expressions or {},
            "allow_stdin": False,
            "stop_on_error": stop_on_error,
        }
        metadata, self.metadata = self.metadata or {}, None
        msg = self._kc.session.msg("execute_request", content, metadata=metadata)
        self._kc.shell_channel.send(msg)
        return str(msg["header"]["msg_id"])


class _MeteredClient(NotebookClient):  # type: ignore[misc]
    """nbclient that meters every iopub byte, keeps no output, and collects result messages."""

    def __init__(self, kernel: SandboxKernel, **kw: Any) -> None:
        super().__init__(nbformat.v4.new_notebook(), km=kernel.km, **kw)
        self.requests = _RequestClient(kernel.kc)
        self.kc = self.requests  # type: ignore[assignment]
        self.kernel = kernel
        self.results: list[str] = []
        self.errors: list[str] = []

    def process_message(self, msg: dict[str, Any], cell: Any, cell_index: int) -> Any:
        msg_type = msg["msg_type"]
        content = msg["content"]
        if msg_type in ("stream", "display_data", "execute_result", "error", "update_display_data"):
            size = len(json.dumps(content, default=str))
            if self.kernel.meter.add(size):
                # Raising here would only surface with the execute reply, which a flooding
                # kernel never sends: kill it instead; its death is read as the output limit.
                self.kernel.kill_now()
                return None
            if msg_type == "error":
                self.errors.append(str(content.get("ename", "Error"))[:80])
            elif msg_type == "display_data":
                text = content.get("data", {}).get(RESULT_MIME)
                if isinstance(text, str):
                    self.results.append(text)
            return None
        return super().process_message(msg, cell, cell_index)


class KernelSession:
    """One grading run on one fresh kernel, with a wall-clock budget counted from ``start``."""

    def __init__(self, kernel: SandboxKernel) -> None:
        self.kernel = kernel
        self.deadline = float("inf")
        self.stopped: RunStopped | None = None
        self._client = _MeteredClient(
            kernel,
            allow_errors=True,
            timeout_func=lambda cell: max(0.05, self.deadline - time.monotonic()),
            interrupt_on_timeout=False,
            record_timing=False,
            raise_on_iopub_timeout=False,
            iopub_timeout=2,
        )
        self._calls = 0

    async def boot(self) -> None:
        """Install the harness (before the clock starts: it is our code, not the student's)."""
        await self._run(_BOOT_CELL, budget=self.kernel.limits.startup_seconds)

    def start_clock(self) -> None:
        """Start the run's wall-clock budget."""
        self.deadline = time.monotonic() + self.kernel.limits.wall_seconds

    async def run_answer(self, source: str) -> str | None:
        """Run the student's answer cell; the exception class it raised, if any."""
        await self._run(source)
        return self._client.errors[-1] if self._client.errors else None

    async def call(self, function: str, args: list[Any], kwargs: dict[str, Any]) -> CallResult:
        """Call ``function(*args, **kwargs)`` in the kernel and bring the result back as data."""
        self._calls += 1
        index = self._calls
        payload = {"fn": function, "args": list(args), "kwargs": dict(kwargs)}
        bulky = _bulky([*args, *kwargs.values()])
        request = await _off_loop(bulky, wire.dumps, payload)
        await self._run(
            _CALL_CELL.format(index=index, key=REQUEST_KEY), metadata={REQUEST_KEY: request}
        )
        limit = self.kernel.limits.output_bytes
        for text in reversed(self._client.results):
            try:
                outcome = await _off_loop(len(text) > _BULKY_BYTES, wire.loads, text, limit)
            except wire.WireError:
                continue
            if isinstance(outcome, dict) and outcome.get("i") == index:
                if "error" in outcome:
                    return CallResult(
                        error=str(outcome["error"])[:80],
                        detail=str(outcome.get("detail", ""))[:200],
                    )
                return CallResult(value=outcome.get("value"))
        # The harness was patched or its message suppressed: no result is a failed call.
        return CallResult(error="NoResult", detail="the call produced no result")

    async def _run(
        self, source: str, budget: float | None = None, metadata: dict[str, Any] | None = None
    ) -> None:
        if self.stopped is not None:
            raise self.stopped
        self._client.requests.metadata = metadata
        self._client.results.clear()
        self._client.errors.clear()
        cell = nbformat.v4.new_code_cell(source)
        self._client.nb.cells = [cell]  # nbclient writes the executed cell back by index
        if budget is not None:
            self.deadline = time.monotonic() + budget
        try:
            await self._client.async_execute_cell(cell, 0, store_history=False)
        except CellTimeoutError:
            self.stopped = (
                self._death()
                if self.kernel.meter.exceeded
                else RunStopped("time_limit_exceeded", "time limit exceeded")
            )
        except DeadKernelError:
            self.stopped = self._death()
        if self.kernel.meter.exceeded and self.stopped is None:
            self.stopped = RunStopped("output_limit_exceeded", "output limit exceeded")
        if self.stopped is not None:
            await self.kernel.destroy()
            raise self.stopped

    def _death(self) -> RunStopped:
        """Why the kernel died, read from outside: the exit signal and our own meters."""
        if self.kernel.meter.exceeded:
            return RunStopped("output_limit_exceeded", "output limit exceeded")
        if self.kernel.death_reason() == "oom":
            return RunStopped("memory_limit_exceeded", "memory limit exceeded")
        sig = self.kernel.exit_signal()
        if sig == signal.SIGXFSZ:
            return RunStopped("output_limit_exceeded", "file size limit exceeded")
        if sig in (signal.SIGXCPU,) or time.monotonic() >= self.deadline:
            return RunStopped("time_limit_exceeded", "time limit exceeded")
        what = f" (signal {signal.Signals(sig).name})" if sig else ""
        return RunStopped("runtime_error", f"the kernel died{what}")


async def start_session(
    sandbox: Sandbox, limits: Limits, hidden: Sequence[str] = ()
) -> KernelSession:
    """A fresh sandboxed kernel with the harness booted (destroyed again if booting fails)."""
    kernel = await sandbox.start_kernel(limits, hidden=hidden)
    session = KernelSession(kernel)
    try:
        await session.boot()
    except BaseException:
        await kernel.destroy()
        raise
    return session
