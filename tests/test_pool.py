"""The warm pool: single-use kernels, bounded size, refill after bursts, clean shutdown."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from kodelab_jupyter.content.catalog import SHIPPED_CHALLENGES, Catalog
from kodelab_jupyter.grading.judge import Judge
from kodelab_jupyter.grading.pool import KernelPool
from kodelab_jupyter.sandbox.limits import Limits
from kodelab_jupyter.sandbox.local import LocalSandbox

pytestmark = pytest.mark.sandbox


def kernel_pids(pool_kernels: list) -> list[int]:
    return [k.km.provisioner.process.pid for k in pool_kernels]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purposes
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


async def _ready(pool: KernelPool, count: int, timeout: float = 30) -> None:
    for _ in range(int(timeout * 10)):
        if pool.stats()["ready"] >= count:
            return
        await asyncio.sleep(0.1)
    errors = [t.exception() for q in pool._warm.values() for t in q if t.done()]
    raise AssertionError(f"pool never had {count} ready kernels: {pool.stats()} {errors}")


def test_pool_never_exceeds_its_size_and_refills_after_a_burst() -> None:
    async def scenario() -> None:
        pool = KernelPool(LocalSandbox(), size=2)
        limits = Limits(wall_seconds=5)
        pool.warm(limits)
        await _ready(pool, 2)
        taken = await asyncio.gather(*(pool.acquire(limits) for _ in range(5)))
        assert pool.stats()["kernels"] == 2
        assert len({id(s) for s in taken}) == 5  # five distinct kernels, none reused
        await asyncio.gather(*(s.kernel.destroy() for s in taken))
        await _ready(pool, 2)
        assert pool.stats() == {"limit_sets": 1, "kernels": 2, "ready": 2}
        await pool.close()

    asyncio.run(scenario())


def test_a_pooled_kernel_is_used_once_and_destroyed() -> None:
    catalog = Catalog([SHIPPED_CHALLENGES])
    challenge = catalog.get("two-sum")

    async def scenario() -> None:
        judge = Judge(sandbox=LocalSandbox(hidden_paths=[str(SHIPPED_CHALLENGES)]))
        pool = judge.start_pool()
        await _ready(pool, 2)
        first = next(iter(pool._warm.values()))[0].result()
        pid = first.kernel.km.provisioner.process.pid
        verdict = await judge.grade(challenge, challenge.solution)
        assert verdict.verdict == "accepted"
        assert not alive(pid)  # the kernel that graded is gone
        again = await judge.grade(challenge, "def two_sum(nums, target):\n    return [0, 1]\n")
        assert again.verdict == "wrong_answer"  # a fresh kernel: no state from the first run
        await judge.close()

    asyncio.run(scenario())


def test_closing_the_pool_leaves_no_kernel_process_or_directory() -> None:
    async def scenario() -> list[int]:
        pool = KernelPool(LocalSandbox(), size=3)
        pool.warm(Limits())
        pool.warm(Limits(wall_seconds=3))
        await _ready(pool, 6)
        pids = [t.result().kernel.km.provisioner.process.pid
                for queue in pool._warm.values() for t in queue]
        dirs = [t.result().kernel.km.provisioner.run_dir
                for queue in pool._warm.values() for t in queue]
        await pool.close()
        assert pool.stats()["kernels"] == 0
        assert not any(d.exists() for d in dirs)
        return pids

    pids = asyncio.run(scenario())
    assert len(pids) == 6
    assert not any(alive(pid) for pid in pids)


def test_closing_while_kernels_are_still_starting_leaves_nothing() -> None:
    async def scenario() -> None:
        pool = KernelPool(LocalSandbox(), size=2)
        pool.warm(Limits())
        await asyncio.sleep(0.05)  # starting, not ready
        await pool.close()

    before = {p for p in os.listdir("/proc") if p.isdigit()}
    asyncio.run(scenario())
    leftover = [
        p for p in os.listdir("/proc")
        if p.isdigit() and p not in before and "ipykernel" in _cmdline(p)
    ]
    assert leftover == []


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def test_a_challenge_outside_the_masked_folders_never_uses_the_pool(tmp_path: Path) -> None:
    """Pooled kernels only mask configured folders; other challenges get a fresh kernel."""
    catalog = Catalog([SHIPPED_CHALLENGES])
    challenge = catalog.get("two-sum")

    async def scenario() -> None:
        judge = Judge(sandbox=LocalSandbox(hidden_paths=[str(tmp_path)]))
        pool = judge.start_pool()
        await _ready(pool, 2)
        verdict = await judge.grade(challenge, challenge.solution)
        assert verdict.verdict == "accepted"
        assert pool.stats()["ready"] == 2  # untouched
        await judge.close()

    asyncio.run(scenario())
