"""The judge: grades an answer against a challenge's tests in a fresh sandboxed kernel."""

from __future__ import annotations

import asyncio
import builtins
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from traitlets import Float, Instance, Int, Type
from traitlets.config import LoggingConfigurable

from ..content.challenge import Challenge
from ..content.model import TestSpec
from ..sandbox.base import Sandbox, SandboxKernel
from ..sandbox.limits import Limits
from ..sandbox.local import LocalSandbox
from .compare import CompareSpec, matches
from .pool import KernelPool
from .session import CallResult, KernelSession, RunStopped, start_session
from .source import answer_syntax_error
from .sql import grade_sql
from .verdict import TestResult, Verdict

_MESSAGE_LIMIT = 600
_ERROR_OUTCOMES = {"MemoryError": "memory_limit_exceeded", "Unserializable": "runtime_error"}


class StudentError(Exception):
    """The student's function raised (inside the sandbox); carries only the class name."""


def _clip(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 3] + "..."


def compare_spec(challenge: Challenge) -> CompareSpec:
    """The challenge's comparison, with a custom comparator loaded from its own file."""
    model = challenge.spec.compare
    custom: Callable[[Any, Any], bool] | None = None
    if model.mode == "custom" and challenge.comparator_source is not None:
        namespace: dict[str, Any] = {"__name__": f"kodelab_compare_{challenge.id}"}
        exec(compile(challenge.comparator_source, str(model.file), "exec"), namespace)
        custom = namespace["compare"]
    return CompareSpec(model.mode, model.rel_tol, model.abs_tol, custom)


class Judge(LoggingConfigurable):
    """Builds a grading run from the trusted challenge, executes it in a sandbox, decides."""

    sandbox_class = Type(
        default_value=LocalSandbox,
        klass=Sandbox,
        help="Sandbox that runs untrusted code. Default: LocalSandbox (bubblewrap + rlimits).",
    ).tag(config=True)
    wall_seconds = Float(
        10.0, help="Wall-clock limit of one grading run, from the answer cell on. Default: 10."
    ).tag(config=True)
    memory_mb = Int(256, help="Memory the answer may use, in MB. Default: 256.").tag(config=True)
    max_processes = Int(64, help="Processes the answer may run at once. Default: 64.").tag(
        config=True
    )
    output_bytes = Int(
        1 << 20, help="Bytes the answer may print (stdout, stderr, display). Default: 1 MiB."
    ).tag(config=True)

    pool_size = Int(
        2,
        help="Pre-started kernels the server keeps ready per limits set (0: none). One-off "
        "grading (the CLI) never pools. Default: 2.",
    ).tag(config=True)

    sandbox = Instance(Sandbox)
    pool: KernelPool | None = None

    def _sandbox_default(self) -> Sandbox:
        return self.sandbox_class(parent=self)  # type: ignore[no-any-return]

    def base_limits(self) -> Limits:
        """The configured limits, before any challenge's overrides."""
        return Limits(
            wall_seconds=self.wall_seconds,
            memory_mb=self.memory_mb,
            max_processes=self.max_processes,
            output_bytes=self.output_bytes,
        )

    def limits_for(self, challenge: Challenge) -> Limits:
        """Configured limits with the challenge's own overrides applied."""
        own = challenge.spec.limits
        return self.base_limits().override(
            wall_seconds=own.wall_seconds,
            memory_mb=own.memory_mb,
            max_processes=own.max_processes,
            output_bytes=own.output_kb * 1024 if own.output_kb else None,
        )

    async def grade(self, challenge: Challenge, answer: str, visible_only: bool = False) -> Verdict:
        """Grade ``answer`` (the answer cells' source) and return the Verdict."""
        if challenge.spec.language == "sql":
            return await grade_sql(self, challenge, answer, visible_only)
        started = time.monotonic()
        tests = [t for t in challenge.spec.tests if t.visible or not visible_only]
        results = [TestResult(t.name, t.visible, float(t.points)) for t in tests]
        syntax = answer_syntax_error(answer)
        if syntax:
            return Verdict(results, time.monotonic() - started, syntax, forced="compile_error")
        kernel: SandboxKernel | None = None
        try:
            session = await self._session(challenge)
            kernel = session.kernel
            verdict = await self._run(challenge, answer, tests, results, session)
        except RunStopped as stop:  # the harness itself could not be installed in time
            self.log.warning("grading run stopped during set-up: %s", stop.message)
            verdict = Verdict(results, message=stop.message, forced="internal_error")
        except Exception as exc:
            self.log.exception("internal error while grading %s", challenge.id)
            verdict = Verdict(
                results, message=f"internal error: {type(exc).__name__}", forced="internal_error"
            )
        finally:
            if kernel is not None:
                await kernel.destroy()
        verdict.duration_s = time.monotonic() - started
        return verdict

    def start_pool(self) -> KernelPool:
        """Keep kernels warm from now on (the server does this; one-off runs do not)."""
        if self.pool is None:
            self.pool = KernelPool(self.sandbox, hidden=self._pool_hidden(), parent=self)
            self.pool.size = self.pool_size
            self.pool.warm(self.base_limits())
        return self.pool

    def _pool_hidden(self) -> list[str]:
        return [os.path.realpath(p) for p in getattr(self.sandbox, "hidden_paths", [])]

    async def session_for(self, root: Path, limits: Limits) -> KernelSession:
        """A booted kernel that cannot see ``root``: from the warm pool when its kernels
        mask that folder, otherwise a fresh one that masks it."""
        real = str(root.resolve())
        covered = self.sandbox.isolates_host_files or any(
            real == h or real.startswith(h.rstrip("/") + "/") for h in self._pool_hidden()
        )
        if self.pool is not None and self.pool_size > 0 and covered:
            return await self.pool.acquire(limits)
        return await start_session(self.sandbox, limits, [real])

    async def _session(self, challenge: Challenge) -> KernelSession:
        return await self.session_for(challenge.root, self.limits_for(challenge))

    async def close(self) -> None:
        """Stop the warm pool, destroying its kernels."""
        if self.pool is not None:
            await self.pool.close()

    async def _run(
        self,
        challenge: Challenge,
        answer: str,
        tests: list[TestSpec],
        results: list[TestResult],
        session: KernelSession,
    ) -> Verdict:
        session.start_clock()
        try:
            raised = await session.run_answer(answer)
        except RunStopped as stop:
            for result in results:
                result.outcome = stop.outcome
            return Verdict(results, message=f"answer cell: {stop.message}")
        if raised:
            outcome = _ERROR_OUTCOMES.get(raised, "runtime_error")
            for result in results:
                result.outcome, result.message = outcome, raised
            return Verdict(results, message=f"the answer cell raised {raised}")
        spec = compare_spec(challenge)
        entry = challenge.spec.entrypoint or ""
        message = ""
        for test, result in zip(tests, results, strict=True):
            if session.stopped is not None:
                result.outcome = "skipped"
                result.message = f"not run: {session.stopped.message}" if result.visible else ""
                continue
            began = time.monotonic()
            try:
                if test.is_code:
                    await self._code_test(session, entry, test, result)
                else:
                    call = await session.call(entry, test.args or [], test.kwargs or {})
                    self._judge_call(spec, test, call, result)
            except RunStopped as stop:
                result.outcome, result.message = stop.outcome, stop.message
                message = stop.message
            result.duration_s = time.monotonic() - began
        return Verdict(results, message=message)

    def _judge_call(
        self, spec: CompareSpec, test: TestSpec, call: CallResult, result: TestResult
    ) -> None:
        shown = f"input: {_call_repr(test)}"
        if call.error is not None:
            result.outcome = _ERROR_OUTCOMES.get(call.error, "runtime_error")
            detail = f" ({call.detail})" if call.detail else ""
            result.message = (
                call.error if not test.visible else _clip(f"{call.error}{detail} on {shown}")
            )
            return
        try:
            ok = matches(spec, test.expected, call.value)
        except Exception as exc:
            self.log.info("comparator raised %r", exc)
            ok = False
        result.outcome = "accepted" if ok else "wrong_answer"
        if not ok and test.visible:
            result.message = _clip(f"{shown}; expected: {test.expected!r}; got: {call.value!r}")

    async def _code_test(
        self, session: KernelSession, entry: str, test: TestSpec, result: TestResult
    ) -> None:
        """Run an assert-style test in a trusted thread; the entry point is a remote proxy."""
        loop = asyncio.get_running_loop()

        def proxy(*args: Any, **kwargs: Any) -> Any:
            call = asyncio.run_coroutine_threadsafe(
                session.call(entry, list(args), kwargs), loop
            ).result()
            if call.error is not None:
                raise StudentError(call.error)
            return call.value

        def check() -> tuple[str, str]:
            namespace = {"__builtins__": builtins, entry: proxy}
            try:
                exec(compile(test.code or "", f"<test {test.name}>", "exec"), namespace)
            except RunStopped:
                raise
            except StudentError as exc:
                name = str(exc)
                return _ERROR_OUTCOMES.get(name, "runtime_error"), name
            except AssertionError:
                return "wrong_answer", f"assertion failed: {test.code}"
            except Exception as exc:
                return "wrong_answer", f"{type(exc).__name__} in check: {test.code}"
            return "accepted", ""

        outcome, message = await asyncio.to_thread(check)
        result.outcome = outcome
        if outcome != "accepted":
            hidden_message = message if outcome != "wrong_answer" else ""
            result.message = _clip(message) if test.visible else hidden_message


def _call_repr(test: TestSpec) -> str:
    parts = [repr(a) for a in test.args or []]
    parts += [f"{k}={v!r}" for k, v in (test.kwargs or {}).items()]
    return _clip(f"({', '.join(parts)})")
