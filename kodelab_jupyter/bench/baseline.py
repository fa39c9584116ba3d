"""The plain-nbclient baseline: a fresh notebook on a fresh, unsandboxed kernel per run.

The naive nbgrader-style approach: one answer cell, then one cell per test that calls the
entry point and compares with ``==`` in the kernel, executed by
``NotebookClient(nb, kernel_name="python3")``.
"""

from __future__ import annotations

import subprocess
import time
from typing import Any

import nbformat
from nbclient import NotebookClient

from ..content.challenge import Challenge
from ..content.model import TestSpec

PASS = "KODELAB-BENCH-PASS"
FAIL = "KODELAB-BENCH-FAIL"
PHASES = ("startup", "cells", "teardown")


class TimedClient(NotebookClient):  # type: ignore[misc]
    """nbclient noting when the first cell starts and the last one ends."""

    def __init__(self, nb: Any, **kwargs: Any) -> None:
        super().__init__(nb, **kwargs)
        self.first_cell_at: float | None = None
        self.last_cell_end: float | None = None

    async def async_execute_cell(self, cell: Any, cell_index: int, *args: Any, **kw: Any) -> Any:
        if self.first_cell_at is None:
            self.first_cell_at = time.perf_counter()
        try:
            return await super().async_execute_cell(cell, cell_index, *args, **kw)
        finally:
            self.last_cell_end = time.perf_counter()


def literal(value: Any) -> str:
    """Python source for a test argument; ``{$dataframe: records}`` becomes a DataFrame."""
    if isinstance(value, dict) and set(value) == {"$dataframe"}:
        return f"__import__('pandas').DataFrame.from_records({value['$dataframe']!r})"
    return repr(value)


def call_source(entry: str, test: TestSpec) -> str:
    """``entry(args..., kw=...)`` for an args test."""
    args = ", ".join(literal(a) for a in test.args or [])
    kwargs = ", ".join(f"{k}={literal(v)}" for k, v in (test.kwargs or {}).items())
    return f"{entry}({', '.join(p for p in (args, kwargs) if p)})"


def test_cell(entry: str, test: TestSpec) -> str:
    """One baseline test cell: call the entry point, compare with ``==``, print the outcome."""
    if test.is_code:
        return f"{test.code}\nprint({PASS!r})"
    return (
        f"__result = {call_source(entry, test)}\n"
        f"__expected = {test.expected!r}\n"
        "try:\n"
        "    __ok = bool(__result == __expected)\n"
        "except Exception:\n"
        "    __ok = False\n"
        f"print({PASS!r} if __ok else {FAIL!r})\n"
        "__result"
    )


def baseline_notebook(challenge: Challenge, answer: str) -> Any:
    """A fresh notebook: the answer cell, then one cell per test of the challenge."""
    entry = challenge.spec.entrypoint or ""
    cells = [nbformat.v4.new_code_cell(answer)]
    cells += [nbformat.v4.new_code_cell(test_cell(entry, t)) for t in challenge.spec.tests]
    return nbformat.v4.new_notebook(cells=cells)


def _has_tags(value: Any) -> bool:
    """Whether ``value`` holds a ``{$tag: ...}`` object (a DataFrame, tuple, set ...)."""
    if isinstance(value, dict):
        return any(str(k).startswith("$") or _has_tags(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_tags(v) for v in value)
    return False


def equality_is_exact(challenge: Challenge) -> bool:
    """Whether ``==`` in a notebook checks what the judge checks: exact mode, plain data."""
    if challenge.spec.compare.mode != "exact":
        return False
    return not any(
        _has_tags([t.args, t.kwargs, t.expected]) for t in challenge.spec.tests if not t.is_code
    )


def passed_cells(nb: Any) -> int:
    """How many executed test cells printed the pass marker."""
    count = 0
    for cell in nb.cells[1:]:
        text = "".join(
            o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream"
        )
        count += PASS in text
    return count


async def run_baseline(challenge: Challenge, answer: str) -> tuple[float, dict[str, float], int]:
    """One baseline run: total wall seconds, phase split, and how many test cells passed."""
    nb = baseline_notebook(challenge, answer)
    client = TimedClient(nb, kernel_name="python3", timeout=60)
    began = time.perf_counter()
    # The kernel's own log (a TCP-without-encryption warning) would garble the progress bar.
    await client.async_execute(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ended = time.perf_counter()
    first = client.first_cell_at or began
    last = client.last_cell_end or ended
    phases = {"startup": first - began, "cells": last - first, "teardown": ended - last}
    return ended - began, phases, passed_cells(nb)
