"""A warm pool of pre-started, pre-booted sandboxed kernels, each used once and destroyed.

Starting a kernel is most of a grading run's latency. The pool keeps ``size`` kernels
starting or ready per set of limits (rlimits and container limits are fixed when a kernel
starts, so kernels are not interchangeable across limits). Taking one starts a replacement
in the background, so the pool never holds more than ``size`` per limits set, and refills
after a burst. No kernel ever sees two submissions.

A replacement waits ``refill_delay`` seconds before it starts, unless an ``acquire`` needs
it sooner: starting a kernel is a burst of CPU (Python importing ipykernel, IPython, zmq),
and started at once it competed with the very grading run that took the kernel. Measured on
2 CPUs, interleaved, 20 warm-pool gradings of two-sum each: 0.26 s at the median with the
replacement starting at once, 0.17 s with it waiting (see benchmarks/README.md).
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Sequence

from traitlets import Float, Int
from traitlets.config import LoggingConfigurable

from ..sandbox.base import Sandbox
from ..sandbox.limits import Limits
from .session import KernelSession, start_session


class KernelPool(LoggingConfigurable):
    """Pre-started kernels by limits; ``acquire`` hands out one and starts its replacement."""

    size = Int(2, help="Kernels kept starting or ready per limits set. Default: 2.").tag(
        config=True
    )
    refill_delay = Float(
        0.5,
        help="Seconds a replacement kernel waits before starting, so that its start-up does "
        "not slow down the grading run that took a kernel; an acquire that needs it starts "
        "it at once. Default: 0.5.",
    ).tag(config=True)
    max_limit_sets = Int(
        4, help="Distinct limits sets kept warm; the least recently used is dropped. Default: 4."
    ).tag(config=True)

    def __init__(self, sandbox: Sandbox, hidden: Sequence[str] = (), **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.sandbox = sandbox
        self.hidden = list(hidden)
        self._warm: collections.OrderedDict[Limits, collections.deque[asyncio.Task[KernelSession]]]
        self._warm = collections.OrderedDict()
        self._closed = False
        self._cleanups: set[asyncio.Future[None]] = set()
        # Replacements still waiting for their delay, by task: set the event to start one now.
        self._waiting: dict[asyncio.Task[KernelSession], asyncio.Event] = {}

    async def _start(self, limits: Limits) -> KernelSession:
        return await start_session(self.sandbox, limits, self.hidden)

    async def _start_later(self, limits: Limits, go: asyncio.Event) -> KernelSession:
        try:
            await asyncio.wait_for(go.wait(), self.refill_delay)
        except asyncio.TimeoutError:
            pass
        return await self._start(limits)

    def _fill(
        self, limits: Limits, later: bool = False
    ) -> collections.deque[asyncio.Task[KernelSession]]:
        queue = self._warm.setdefault(limits, collections.deque())
        self._warm.move_to_end(limits)
        while len(queue) < self.size and not self._closed:
            if later and self.refill_delay > 0:
                go = asyncio.Event()
                task = asyncio.ensure_future(self._start_later(limits, go))
                self._waiting[task] = go
                task.add_done_callback(lambda t: self._waiting.pop(t, None))
            else:
                task = asyncio.ensure_future(self._start(limits))
            queue.append(task)
        while len(self._warm) > self.max_limit_sets:
            _, dropped = self._warm.popitem(last=False)
            for task in dropped:
                cleanup = asyncio.ensure_future(self._discard(task))
                self._cleanups.add(cleanup)
                cleanup.add_done_callback(self._cleanups.discard)
        return queue

    def warm(self, limits: Limits) -> None:
        """Start filling the pool for ``limits`` (e.g. at server start)."""
        self._fill(limits)

    async def acquire(self, limits: Limits) -> KernelSession:
        """A booted kernel for ``limits``: the oldest pooled one (it started before any fresh
        one could), or a fresh one when the pool is empty; a replacement starts meanwhile."""
        if self._closed or self.size <= 0:
            return await self._start(limits)
        queue = self._fill(limits)
        task = queue.popleft()
        go = self._waiting.pop(task, None)
        if go is not None:  # a replacement still waiting: needed now
            go.set()
        self._fill(limits, later=True)
        try:
            return await task
        except Exception as exc:  # a pooled start failed: try once more, fresh
            self.log.warning("pooled kernel failed to start (%s); starting a fresh one", exc)
            return await self._start(limits)

    @staticmethod
    async def _discard(task: asyncio.Task[KernelSession]) -> None:
        if not task.done():
            task.cancel()
        try:
            session = await task
        except BaseException:  # cancelled or failed: nothing is left running
            return
        await session.kernel.destroy()

    async def close(self) -> None:
        """Destroy every pooled kernel (at server shutdown); no kernel is left behind."""
        self._closed = True
        tasks = [t for queue in self._warm.values() for t in queue]
        self._warm.clear()
        await asyncio.gather(
            *(self._discard(t) for t in tasks), *self._cleanups, return_exceptions=True
        )

    def stats(self) -> dict[str, int]:
        """How many kernels are starting and ready, for tests and diagnostics."""
        tasks = [t for queue in self._warm.values() for t in queue]
        ready = sum(1 for t in tasks if t.done() and not t.cancelled() and not t.exception())
        return {"limit_sets": len(self._warm), "kernels": len(tasks), "ready": ready}
