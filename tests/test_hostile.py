"""Hostile submissions: every attack gets its exact verdict, none is accepted, nothing escapes.

Each case is ``(name, answer_source, expected_verdict)`` graded by the real judge on the
dedicated fixture challenge ``tests/fixtures/challenges/add-numbers``, in **both** sandboxes
with the same expected verdict: ``local`` (``LocalSandbox``, marked ``sandbox``) and
``docker`` (``DockerSandbox``, marked ``docker``; without an engine these skip on a
developer machine and fail under CI, see conftest.py). The fixture's ``limits`` (3 s wall,
128 MB, 64 KB output) drive the judge's limits and keep the suite fast. The cases are graded
a few at a time concurrently, per sandbox; those that start processes are graded one by
one (as a non-root user every local sandbox runs as the same uid and shares its process
limit), each followed by the clean-exit check of its sandbox.

Tests that check a side effect assert the *host* state (files, listeners, processes), or
read what the answer saw from a visible test's ``got:`` message. Those about the host's
own files and the local sandbox's host uids are local-only; the rest run on both.
"""

from __future__ import annotations

import ast
import asyncio
import gc
import json
import os
import re
import socket
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kodelab_jupyter.content.challenge import Challenge, load_challenge
from kodelab_jupyter.grading.judge import Judge
from kodelab_jupyter.sandbox import SANDBOXES
from kodelab_jupyter.sandbox.base import Sandbox

REPO = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "challenges" / "add-numbers"
NOBODY = 65534  # the sandbox user as the answer sees it
CONCURRENCY = 2
KINDS = ("local", "docker")
# The first docker test may build the image (about a minute, a few on a busy machine).
MARKS = {"local": [pytest.mark.sandbox], "docker": [pytest.mark.docker, pytest.mark.timeout(900)]}


def on_sandboxes(*kinds: str) -> pytest.MarkDecorator:
    """Parametrize a test over sandboxes (``kind``), each with its marker."""
    return pytest.mark.parametrize(
        "kind", [pytest.param(kind, id=kind, marks=MARKS[kind]) for kind in kinds or KINDS]
    )


def _sandbox_host_uids() -> set[int]:
    """Host uids sandboxed processes may run as: 65534, or one uid per run from a range."""
    from kodelab_jupyter.sandbox.local import LocalSandbox

    sandbox = LocalSandbox()
    start = getattr(sandbox, "uid_range_start", None)
    size = getattr(sandbox, "uid_range_size", 0)
    return {NOBODY} | (set(range(start, start + size)) if start is not None else set())


SANDBOX_UIDS = _sandbox_host_uids()

WRONG_ADD = "def add(a, b):\n    return a - b\n"


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# --------------------------------------------------------------------------------------------
# The cases. ``alone`` cases start processes and are graded one at a time.
# --------------------------------------------------------------------------------------------

CASES: list[tuple[str, str, str]] = [
    # Fake equality: only exact plain data crosses the boundary, so these cannot be sent.
    ("fake-eq-object", src("""
        class Anything:
            def __eq__(self, other):
                return True
            __hash__ = object.__hash__
        def add(a, b):
            return Anything()
        """), "runtime_error"),
    ("fake-eq-int-subclass", src("""
        class Int(int):
            def __eq__(self, other):
                return True
            __hash__ = int.__hash__
        def add(a, b):
            return Int(0)
        """), "runtime_error"),
    ("fake-eq-list-subclass", src("""
        class List(list):
            def __eq__(self, other):
                return True
        def add(a, b):
            return List()
        """), "runtime_error"),
    ("fake-eq-str-subclass", src("""
        class Str(str):
            def __eq__(self, other):
                return True
            __hash__ = str.__hash__
        def add(a, b):
            return Str("x")
        """), "runtime_error"),
    # Patching builtins and the codec the harness uses gains nothing.
    ("patch-builtins-import", src("""
        import builtins
        _real_import = builtins.__import__
        def _import(name, *args, **kwargs):
            return _real_import(name, *args, **kwargs)
        builtins.__import__ = _import
        def add(a, b):
            return a - b
        """), "wrong_answer"),
    ("patch-builtins-print", src("""
        import builtins
        builtins.print = lambda *a, **k: None
        def add(a, b):
            print("accepted")
            return a - b
        """), "wrong_answer"),
    ("patch-json-dumps-forges-value", src("""
        import json
        _real_dumps = json.dumps
        def _forged(obj, *args, **kwargs):
            if isinstance(obj, dict) and isinstance(obj.get("$dict"), dict):
                inner = dict(obj["$dict"])
                inner.pop("error", None)
                inner.pop("detail", None)
                inner["value"] = 3
                obj = {"$dict": inner}
            return _real_dumps(obj, *args, **kwargs)
        json.dumps = _forged
        def add(a, b):
            raise ValueError("no idea")
        """), "wrong_answer"),
    ("patch-publish-display-data", src("""
        import json
        import IPython.display
        _real_publish = IPython.display.publish_display_data
        def _publish(data, *args, **kwargs):
            for mime, text in list(data.items()):
                if "kodelab" in mime:
                    doc = json.loads(text)
                    doc["$dict"]["value"] = 3
                    data = {mime: json.dumps(doc)}
            return _real_publish(data, *args, **kwargs)
        IPython.display.publish_display_data = _publish
        def add(a, b):
            return a - b
        """), "wrong_answer"),
    # Patching or removing the harness: a call with no result is an error, never a pass.
    ("patch-harness-call", src("""
        __kodelab__.call = lambda *a: None
        def add(a, b):
            return a + b
        """), "runtime_error"),
    ("delete-harness", src("""
        del __kodelab__
        def add(a, b):
            return a + b
        """), "runtime_error"),
    ("replace-harness-forging-results", src("""
        import json
        from IPython.display import publish_display_data
        class Forger:
            def call(self, index, request):
                doc = {"$dict": {"i": index, "value": 3, "status": "passed",
                                 "verdict": "accepted"}}
                publish_display_data({"text/x-kodelab-result": json.dumps(doc)})
        __kodelab__ = Forger()
        def add(a, b):
            return a - b
        """), "wrong_answer"),
    ("forge-result-messages-in-add", src("""
        import json
        from IPython.display import publish_display_data
        def add(a, b):
            for i in range(1, 8):
                doc = {"$dict": {"i": i, "value": 3, "verdict": "accepted"}}
                publish_display_data({"text/x-kodelab-result": json.dumps(doc)})
            return a - b
        """), "wrong_answer"),
    ("thread-forging-results-after-return", src("""
        import json, threading, time
        from IPython.display import publish_display_data
        def _forge():
            while True:
                for i in range(1, 10):
                    doc = {"$dict": {"i": i, "value": 987654321}}
                    publish_display_data({"text/x-kodelab-result": json.dumps(doc)})
                time.sleep(0.05)
        threading.Thread(target=_forge, daemon=True).start()
        def add(a, b):
            return a - b
        """), "wrong_answer"),
    ("print-fake-accepted-report", src("""
        import json
        from IPython.display import display
        report = {"verdict": "accepted", "score": 8, "max_score": 8, "tests": []}
        print(json.dumps(report))
        display({"application/json": report}, raw=True)
        def add(a, b):
            print('{"verdict": "accepted"}')
            return a - b
        """), "wrong_answer"),
    ("thread-printing-after-return", src("""
        import threading, time
        def _chatter():
            while True:
                print("accepted", flush=True)
                time.sleep(0.1)
        def add(a, b):
            threading.Thread(target=_chatter, daemon=True).start()
            return a - b
        """), "wrong_answer"),
    ("excepthook-and-custom-exc", src("""
        import sys
        sys.excepthook = lambda *a: print("accepted")
        get_ipython().set_custom_exc(
            (BaseException,), lambda shell, etype, value, tb, tb_offset=None: None
        )
        def add(a, b):
            raise ValueError("hidden by my hooks?")
        """), "runtime_error"),
    # Leaving the kernel.
    ("sys-exit-in-add", src("""
        import sys
        def add(a, b):
            sys.exit(0)
        """), "runtime_error"),
    ("os-exit-top-level", src("""
        import os
        os._exit(0)
        """), "runtime_error"),
    ("raise-systemexit-top-level", src("""
        def add(a, b):
            return a + b
        raise SystemExit
        """), "runtime_error"),
    ("sigkill-self-in-add", src("""
        import os, signal
        def add(a, b):
            os.kill(os.getpid(), signal.SIGKILL)
        """), "runtime_error"),
    ("segfault-in-add", src("""
        import ctypes
        def add(a, b):
            return ctypes.string_at(0)
        """), "runtime_error"),
    # Time.
    ("infinite-loop-in-add", src("""
        def add(a, b):
            while True:
                pass
        """), "time_limit_exceeded"),
    ("sleep-in-add", src("""
        import time
        def add(a, b):
            time.sleep(100)
        """), "time_limit_exceeded"),
    ("infinite-loop-top-level", src("""
        while True:
            pass
        """), "time_limit_exceeded"),
    ("signals-ignored-plus-loop", src("""
        import signal
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        def add(a, b):
            while True:
                pass
        """), "time_limit_exceeded"),
    # Memory.
    ("memory-bomb-bytearray", src("""
        def add(a, b):
            return len(bytearray(2 * 10**9))
        """), "memory_limit_exceeded"),
    ("memory-bomb-growing-list", src("""
        def add(a, b):
            hog = []
            while True:
                hog.append(bytearray(10**6))
        """), "memory_limit_exceeded"),
    ("memory-bomb-top-level", src("""
        hog = bytearray(2 * 10**9)
        def add(a, b):
            return a + b
        """), "memory_limit_exceeded"),
    ("memory-bomb-numpy", src("""
        import numpy as np
        def add(a, b):
            return int(np.ones(10**9).sum())
        """), "memory_limit_exceeded"),
    # Output.
    ("output-flood-single-print", src("""
        print("x" * 10**7)
        def add(a, b):
            return a + b
        """), "output_limit_exceeded"),
    ("output-flood-stdout-loop", src("""
        import sys
        def add(a, b):
            for _ in range(10**6):
                sys.stdout.write("y" * 100)
            return a + b
        """), "output_limit_exceeded"),
    ("output-flood-stderr-loop", src("""
        import sys
        def add(a, b):
            for _ in range(10**6):
                print("e" * 100, file=sys.stderr)
            return a + b
        """), "output_limit_exceeded"),
    ("output-flood-fd1", src("""
        import os
        def add(a, b):
            for _ in range(10**4):
                os.write(1, b"z" * 65536)
            return a + b
        """), "output_limit_exceeded"),
    ("output-flood-display-data", src("""
        from IPython.display import publish_display_data
        def add(a, b):
            for _ in range(10**5):
                publish_display_data({"text/plain": "d" * 1000})
            return a + b
        """), "output_limit_exceeded"),
    ("huge-return-value", src("""
        def add(a, b):
            return "x" * 10**6
        """), "output_limit_exceeded"),
    # Compilation and recursion.
    ("syntax-error", src("""
        def add(a, b)
            return a + b
        """), "compile_error"),
    ("recursion-plain", src("""
        def add(a, b):
            return add(a, b) + 1
        """), "runtime_error"),
    ("recursion-raised-limit", src("""
        import sys
        sys.setrecursionlimit(20000)
        def deep(n):
            return deep(n + 1) + 1
        def add(a, b):
            return deep(0)
        """), "runtime_error"),
    # Recursion through C (map -> call) with the limit lifted overflows the C stack: the
    # kernel dies of SIGSEGV, which is the student's doing (runtime_error), not ours.
    ("recursion-raised-limit-crashes-kernel", src("""
        import sys
        sys.setrecursionlimit(10**6)
        _calls = []
        def deep(n):
            return list(map(deep, [n + 1]))
        def add(a, b):
            _calls.append(1)
            return deep(0) if len(_calls) == 1 else a - b
        """), "runtime_error"),
    # Reading the host.
    ("read-etc-shadow", src("""
        def add(a, b):
            return open("/etc/shadow").read()
        """), "runtime_error"),
    ("read-challenge-folder", src(f"""
        def add(a, b):
            return open({str(FIXTURE / "challenge.yaml")!r}).read()
        """), "runtime_error"),
    ("read-repo-source", src(f"""
        def add(a, b):
            return open({str(REPO / "kodelab_jupyter" / "grading" / "judge.py")!r}).read()
        """), "runtime_error"),
    ("read-root-home", src("""
        def add(a, b):
            return open("/root/.bashrc").read()
        """), "runtime_error"),
    # Network.
    ("network-outside", src("""
        import socket
        def add(a, b):
            socket.create_connection(("8.8.8.8", 53), timeout=1).close()
            return a + b
        """), "runtime_error"),
    # Introspection: the kernel holds no expected value to find.
    ("frame-inspection", src("""
        import inspect, sys
        def add(a, b):
            for frame in inspect.stack():
                for name in ("expected", "want", "answer"):
                    if name in frame.frame.f_locals:
                        return frame.frame.f_locals[name]
            caller = sys._getframe(1)
            return caller.f_locals.get("expected", a - b)
        """), "wrong_answer"),
    ("gc-scan-for-expected", src("""
        import gc
        def add(a, b):
            best = a - b
            for obj in gc.get_objects():
                if type(obj) is dict and "expected" in obj:
                    return obj["expected"]
            return best
        """), "wrong_answer"),
]

ALONE_CASES: list[tuple[str, str, str]] = [
    ("fork-bomb-bounded", src("""
        import os, time
        def add(a, b):
            started = 0
            for _ in range(10**4):
                try:
                    pid = os.fork()
                except OSError:
                    break
                if pid == 0:
                    time.sleep(1000)
                    os._exit(0)
                started += 1
            return -started
        """), "wrong_answer"),
    # Process exhaustion is the fork failure it causes (runtime_error), also when every
    # forked copy of the kernel forks on: the copies neither print into the output meter,
    # nor starve the kernel of CPU, nor fill a container's memory (harness.contain_forks).
    ("fork-bomb-unbounded", src("""
        import os
        def add(a, b):
            while True:
                os.fork()
        """), "runtime_error"),
    ("fork-bomb-top-level", src("""
        import os
        while True:
            os.fork()
        """), "runtime_error"),
    ("fork-until-failure-children-sleep", src("""
        import os, time
        def add(a, b):
            while True:
                if os.fork() == 0:
                    time.sleep(1000)
                    os._exit(0)
        """), "runtime_error"),
    # A forked copy that returns into the kernel (no os._exit) ends there and does not
    # disturb the kernel, which goes on answering.
    ("forked-child-returns-to-kernel", src("""
        import os
        def add(a, b):
            if os.fork() == 0:
                print("from the forked copy")
            return a - b
        """), "wrong_answer"),
    ("detached-background-process", src("""
        import subprocess
        def add(a, b):
            subprocess.Popen(["sleep", "1000"], start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return a - b
        """), "wrong_answer"),
]
# What the visible first test's message must hold, where the verdict alone says too little.
MESSAGES = {
    "fork-bomb-unbounded": "BlockingIOError",
    "fork-bomb-top-level": "BlockingIOError",
    "fork-until-failure-children-sleep": "BlockingIOError",
}

ALL_CASES = CASES + ALONE_CASES
ALONE_NAMES = {name for name, _, _ in ALONE_CASES}
# Filled as the one-at-a-time cases are graded: sandbox kind -> case name -> verdict.
ALONE_VERDICTS: dict[str, dict[str, Any]] = {}


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def challenge() -> Challenge:
    """The fixture challenge; its ``limits`` drive the judge's limits."""
    loaded = load_challenge(FIXTURE)
    assert loaded.spec.limits.wall_seconds is not None and loaded.spec.limits.wall_seconds <= 5
    return loaded


@pytest.fixture
def sandbox_class(kind: str, request: pytest.FixtureRequest) -> type[Sandbox]:
    """The sandbox of ``kind``; docker only once its engine and image are ready (conftest.py:
    without an engine the test skips, or fails under CI)."""
    if kind == "docker":
        request.getfixturevalue("docker_sandbox")
    return SANDBOXES[kind]


async def grade_async(
    judge: Judge, challenge: Challenge, answer: str, visible_only: bool = False
) -> dict[str, Any]:
    """Grade through the real judge and return the Verdict JSON.

    A sandbox that failed to *start* (a machine swamped by other test runs) is retried: these
    tests are about verdicts, and start-up under load has its own test in test_judge.py
    (test_concurrent_runs_never_fail_to_start, without retries). Any other internal error
    is returned as it is.
    """
    for attempt in range(3):
        verdict = (await judge.grade(challenge, answer, visible_only=visible_only)).to_json()
        if verdict.get("message") != "internal error: SandboxUnavailable":
            break
        await asyncio.sleep(1 + attempt)
    return verdict


def grade(
    challenge: Challenge,
    answer: str,
    visible_only: bool = False,
    sandbox_class: type[Sandbox] = SANDBOXES["local"],
) -> dict[str, Any]:
    """Grade through the real judge in ``sandbox_class`` and return the Verdict JSON."""
    judge = Judge(sandbox_class=sandbox_class)
    verdict = asyncio.run(grade_async(judge, challenge, answer, visible_only))
    gc.collect()  # report nbclient's abandoned tasks now, not inside a later ast.parse
    return verdict


def got_of(verdict: dict[str, Any], test: str) -> Any:
    """The value the answer returned on a visible test, read from its failure message."""
    entry = next(t for t in verdict["tests"] if t["name"] == test)
    assert entry["visible"] and entry["status"] == "failed", json.dumps(verdict)
    match = re.search(r"; got: (.*)$", entry["message"], re.S)
    assert match, entry["message"]
    assert not entry["message"].endswith("..."), "message clipped: return something shorter"
    return ast.literal_eval(match.group(1))


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


# Parents that hold a live sandbox: a local one (bwrap), or a container (its runtime's shim;
# a container's processes run as uid 65534 too, and containers of this or another test run
# are checked by docker_clean, see conftest.py).
_SANDBOX_HOLDERS = ("bwrap", "containerd-shim")


def sandbox_orphans() -> set[int]:
    """Processes of a sandbox uid that no live sandbox holds: leftovers of a run."""
    found = set()
    for pid in _pids():
        try:
            if os.stat(f"/proc/{pid}").st_uid not in SANDBOX_UIDS:
                continue
        except OSError:
            continue
        ancestor, held = pid, False
        for _ in range(64):
            fields = _stat_fields(ancestor)
            if fields is None:
                break
            ancestor = int(fields[1])
            if ancestor <= 1:
                break
            if _comm(ancestor) in _SANDBOX_HOLDERS:
                held = True
                break
        if not held and _stat_fields(pid) is not None:
            found.add(pid)
    return found


def describe(pids: set[int]) -> list[str]:
    """pid, state, parent and command line of each process, for failure messages."""
    out = []
    for pid in sorted(pids):
        fields = _stat_fields(pid) or ["?", "?"]
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:120]
        except OSError:
            cmd = b"?"
        text = cmd.decode(errors="replace")
        out.append(f"{pid} {fields[0]} ppid={fields[1]} {_comm(pid)}: {text}")
    return out


def our_sandboxes() -> set[int]:
    """Sandbox launchers (prlimit/bwrap) still running as children of this test process."""
    me = os.getpid()
    return {
        pid
        for pid in _pids()
        if (fields := _stat_fields(pid)) is not None
        and int(fields[1]) == me
        and fields[0] != "Z"
        and _comm(pid) in ("bwrap", "prlimit")
    }


def wait_until(check: Any, seconds: float = 5.0) -> Any:
    """Poll ``check()`` until it returns something falsy; return its last value."""
    end = time.monotonic() + seconds
    value = check()
    while value and time.monotonic() < end:
        time.sleep(0.1)
        value = check()
    return value


@pytest.fixture
def run_dirs(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every ``kodelab-*`` per-run directory the sandbox creates while the test runs."""
    created: list[Path] = []
    real_mkdtemp = tempfile.mkdtemp

    def spy(*args: Any, **kwargs: Any) -> str:
        path = real_mkdtemp(*args, **kwargs)
        if Path(path).name.startswith("kodelab-"):
            created.append(Path(path))
        return path

    monkeypatch.setattr(tempfile, "mkdtemp", spy)
    return created


@pytest.fixture
def clean_host(run_dirs: list[Path]) -> Iterator[list[Path]]:
    """Assert, after the test, that its runs left no process and no per-run directory."""
    before = sandbox_orphans()
    yield run_dirs
    assert not wait_until(our_sandboxes), "a sandbox launcher outlived its grading run"
    leftovers = wait_until(lambda: sandbox_orphans() - before)
    assert not leftovers, f"sandbox processes left behind: {describe(leftovers)}"
    assert run_dirs, "the sandbox created no per-run directory (spy not hit?)"
    assert all(str(d).startswith(("/dev/shm/", tempfile.gettempdir())) for d in run_dirs)
    assert not [d for d in run_dirs if d.exists()], "per-run directory left behind"


@pytest.fixture
def clean_run(kind: str, request: pytest.FixtureRequest) -> list[Path]:
    """The clean-exit check of ``kind``'s sandbox after the test; the per-run directories.

    local: ``clean_host`` (no process of a sandbox uid, no launcher, no per-run directory);
    docker: ``docker_clean`` from conftest.py (no container of ours, no per-run directory).
    """
    if kind == "local":
        return request.getfixturevalue("clean_host")
    request.getfixturevalue("docker_clean")
    return request.getfixturevalue("run_dirs")


def _host_paths_named(name: str, top: str = "/tmp") -> list[str]:
    """Every path under ``top`` called ``name`` (directories that vanish meanwhile, as other
    programs' temporary ones do, are skipped rather than failing the walk)."""
    return [
        os.path.join(folder, name)
        for folder, dirs, files in os.walk(top)
        if name in dirs or name in files
    ]


# --------------------------------------------------------------------------------------------
# The parametrized suite
# --------------------------------------------------------------------------------------------


def _selected_batch(request: pytest.FixtureRequest, kind: str) -> list[str]:
    names = []
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if getattr(item, "originalname", "") == "test_hostile_submission_gets_exact_verdict" \
                and callspec is not None and callspec.params["kind"] == kind:
            names.append(callspec.params["name"])
    return [n for n in names if n not in ALONE_NAMES]


@pytest.fixture(scope="module")
def batch_verdicts(
    request: pytest.FixtureRequest, challenge: Challenge
) -> Callable[[str], dict[str, Any]]:
    """``batch_verdicts(kind)``: verdicts of the selected concurrent-safe cases in ``kind``'s
    sandbox, graded ``CONCURRENCY`` at a time when first asked for."""
    graded: dict[str, dict[str, Any]] = {}

    async def run_all(kind: str, sources: dict[str, str]) -> dict[str, Any]:
        judge = Judge(sandbox_class=SANDBOXES[kind])
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(name: str, source: str) -> tuple[str, Any]:
            async with gate:
                return name, await grade_async(judge, challenge, source)

        pairs = await asyncio.gather(*(one(n, s) for n, s in sources.items()))
        return dict(pairs)

    def verdicts(kind: str) -> dict[str, Any]:
        if kind not in graded:
            wanted = set(_selected_batch(request, kind))
            sources = {name: source for name, source, _ in CASES if name in wanted}
            graded[kind] = asyncio.run(run_all(kind, sources))
            gc.collect()
        return graded[kind]

    return verdicts


@pytest.mark.parametrize(
    ("kind", "name", "answer", "expected"),
    [
        pytest.param(kind, *case, id=f"{kind}-{case[0]}", marks=MARKS[kind])
        for kind in KINDS
        for case in ALL_CASES
    ],
)
def test_hostile_submission_gets_exact_verdict(
    kind: str,
    name: str,
    answer: str,
    expected: str,
    sandbox_class: type[Sandbox],
    challenge: Challenge,
    request: pytest.FixtureRequest,
) -> None:
    if name in ALONE_NAMES:
        request.getfixturevalue("clean_run")
        started = time.monotonic()
        verdict = grade(challenge, answer, sandbox_class=sandbox_class)
        ALONE_VERDICTS.setdefault(kind, {})[name] = verdict
        assert time.monotonic() - started < 30, "a hostile run must not hang the grader"
    else:
        verdict = request.getfixturevalue("batch_verdicts")(kind)[name]
    assert verdict["verdict"] == expected, json.dumps(verdict)
    assert verdict["score"] < verdict["max_score"]
    assert verdict["verdict"] != "internal_error"
    if name in MESSAGES:
        first = next(t for t in verdict["tests"] if t["name"] == "small")
        assert MESSAGES[name] in first["message"], json.dumps(verdict)


def test_suite_has_many_cases_and_none_is_accepted() -> None:
    assert len(ALL_CASES) >= 24
    assert len({name for name, _, _ in ALL_CASES}) == len(ALL_CASES)
    assert all(expected != "accepted" for _, _, expected in ALL_CASES)


@on_sandboxes()
def test_no_hostile_case_is_accepted(
    kind: str, sandbox_class: type[Sandbox], batch_verdicts: Callable[[str], dict[str, Any]]
) -> None:
    """Across every case graded above in this sandbox, the verdict is never ``accepted``."""
    verdicts = {**batch_verdicts(kind), **ALONE_VERDICTS.get(kind, {})}
    assert verdicts
    accepted = [name for name, v in verdicts.items() if v["verdict"] == "accepted"]
    assert not accepted


@on_sandboxes()
def test_reference_solution_is_accepted(
    challenge: Challenge, sandbox_class: type[Sandbox]
) -> None:
    """Control: the fixture's own solution passes, so the failures above mean something."""
    verdict = grade(challenge, challenge.solution, sandbox_class=sandbox_class)
    assert verdict["verdict"] == "accepted", verdict
    assert verdict["score"] == verdict["max_score"] == 9


# --------------------------------------------------------------------------------------------
# Side effects, checked on the host
# --------------------------------------------------------------------------------------------


def _python_dirs() -> list[str]:
    """Directories the sandbox must show read-only: the Python installation and venv."""
    dirs = {sys.prefix, sys.base_prefix, str(Path(os.path.realpath(sys.executable)).parents[1])}
    return sorted(dirs)


@pytest.mark.sandbox
def test_host_files_are_not_reachable_from_the_answer(challenge: Challenge) -> None:
    """Local only: a container has its own /etc, /var/lib and /root (from its image), none of
    them the host's; test_docker_sandbox.py checks its mounts instead."""
    from jupyter_core.paths import jupyter_data_dir

    data_dir = Path(jupyter_data_dir())
    secrets = [
        "/etc/shadow",
        "/etc/hostname",
        "/etc/ssh",
        str(FIXTURE),
        str(FIXTURE / "challenge.yaml"),
        str(FIXTURE / "solution.py"),
        str(Path(__file__)),
        "/root/.bashrc",
        "/root/.gitconfig",
        "/root/.npmrc",
        "/root/.ssh",
        "/root/.jupyter",
        str(REPO / "pyproject.toml"),
        str(REPO / "challenges" / "two-sum" / "challenge.yaml"),
        str(REPO / "kodelab_jupyter" / "grading" / "judge.py"),
        str(REPO / ".git"),
        str(data_dir / "kodelab" / "kodelab.sqlite"),
        str(data_dir / "kodelab"),
        "/var/lib",
        "/proc/1/root/etc/shadow",
        "/dev/sda",
        "/dev/mem",
    ]
    # Parents of the Python directories exist inside (as bare mount points); nothing else.
    secrets = [s for s in secrets if not any(d.startswith(s + "/") for d in _python_dirs())]
    answer = src(f"""
        import os
        PATHS = {secrets!r}
        def _listing(path):
            try:
                return sorted(os.listdir(path))
            except OSError as exc:
                return type(exc).__name__
        def add(a, b):
            return [[p for p in PATHS if os.path.exists(p)], _listing("/etc"), _listing("/root")]
        """)
    reachable, etc, root = got_of(grade(challenge, answer, visible_only=True), "small")
    assert reachable == [], f"visible inside the sandbox: {reachable}"
    # /etc holds only what the kernel needs; /root at most the way to the Python installation.
    assert etc == "PermissionError" or set(etc) <= {
        "ld.so.cache", "localtime", "nsswitch.conf", "passwd", "group", "mime.types",
    }
    on_the_way = {Path(d).relative_to("/root").parts[0] for d in _python_dirs()
                  if d.startswith("/root/")}
    assert root in ("PermissionError", "FileNotFoundError") or set(root) <= on_the_way, root


@on_sandboxes()
def test_writes_never_reach_the_host(
    kind: str, sandbox_class: type[Sandbox], challenge: Challenge, clean_run: list[Path]
) -> None:
    token = uuid.uuid4().hex
    targets = [
        f"/tmp/kodelab-escape-{token}",
        str(REPO / f"kodelab-escape-{token}"),
        str(FIXTURE / f"kodelab-escape-{token}"),
        f"/dev/shm/kodelab-escape-{token}",
        f"/var/tmp/kodelab-escape-{token}",
        f"/run/kodelab/kodelab-escape-{token}",
        f"/usr/kodelab-escape-{token}",
    ]
    answer = src(f"""
        TARGETS = {targets!r}
        def add(a, b):
            outcome = []
            for path in TARGETS:
                try:
                    with open(path, "w") as handle:
                        handle.write("escaped")
                    outcome.append("written")
                except OSError as exc:
                    outcome.append(type(exc).__name__)
            return outcome
        """)
    verdict = grade(challenge, answer, visible_only=True, sandbox_class=sandbox_class)
    got = dict(zip(targets, got_of(verdict, "small"), strict=True))
    # Inside, only private tmpfs (/tmp; a container's own /dev/shm too) and the per-run
    # socket directory (frozen once the kernel is up, when the grader runs as root) are
    # writable...
    private = {f"/tmp/kodelab-escape-{token}", f"/run/kodelab/kodelab-escape-{token}"}
    if kind == "docker":
        private.add(f"/dev/shm/kodelab-escape-{token}")
    assert got[f"/tmp/kodelab-escape-{token}"] == "written"
    for path in set(targets) - private:
        assert got[path] != "written", path
    # ...and nothing written survives on the host.
    host_hits = [p for p in targets if Path(p).exists()]
    host_hits += _host_paths_named(f"kodelab-escape-{token}")
    host_hits += [str(p) for d in clean_run for p in d.glob("**/*escape*") if d.exists()]
    assert not host_hits


@on_sandboxes()
def test_network_is_unreachable_and_host_listener_gets_no_connection(
    challenge: Challenge, sandbox_class: type[Sandbox]
) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    abstract = f"\0kodelab-test-{uuid.uuid4().hex}"
    unix_listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix_listener.bind(abstract)
    unix_listener.listen(8)
    unix_listener.setblocking(False)
    try:
        answer = src(f"""
            import socket
            def _try(connect):
                try:
                    connect()
                    return "connected"
                except OSError as exc:
                    return type(exc).__name__
            def add(a, b):
                tcp = lambda host, port: (
                    lambda: socket.create_connection((host, port), timeout=1).close())
                def unix():
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    s.settimeout(1)
                    s.connect({abstract!r})
                    s.close()
                return {{
                    "loopback": _try(tcp("127.0.0.1", {port})),
                    "localhost": _try(tcp("localhost", {port})),
                    "outside": _try(tcp("8.8.8.8", 53)),
                    "dns": _try(lambda: socket.getaddrinfo("example.com", 80)),
                    "abstract-unix": _try(unix),
                }}
            """)
        verdict = grade(challenge, answer, visible_only=True, sandbox_class=sandbox_class)
        got = got_of(verdict, "small")
        assert set(got) == {"loopback", "localhost", "outside", "dns", "abstract-unix"}
        assert "connected" not in got.values(), got
        for sock in (listener, unix_listener):
            with pytest.raises(BlockingIOError):
                sock.accept()
    finally:
        listener.close()
        unix_listener.close()


@on_sandboxes()
def test_environment_holds_no_secret(
    challenge: Challenge, sandbox_class: type[Sandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = uuid.uuid4().hex
    monkeypatch.setenv("JUPYTER_TOKEN", secret)
    monkeypatch.setenv("JPY_API_TOKEN", secret)
    monkeypatch.setenv("KODELAB_DB_URL", f"postgresql://u:{secret}@db/kodelab")
    monkeypatch.setenv("DATABASE_URL", f"postgresql://u:{secret}@db/kodelab")
    answer = src("""
        import os
        def add(a, b):
            return dict(os.environ)
        """)
    verdict = grade(challenge, answer, visible_only=True, sandbox_class=sandbox_class)
    env = got_of(verdict, "small")
    assert secret not in json.dumps(verdict)
    assert not [k for k in env if re.search(r"TOKEN|SECRET|KODELAB|DATABASE|JPY|PASSWORD", k)]
    assert "JUPYTER_TOKEN" not in env
    assert set(env) >= {"PATH", "HOME", "LANG"}
    assert env["HOME"] == "/tmp"


@on_sandboxes()
def test_answer_runs_as_unprivileged_user(
    challenge: Challenge, sandbox_class: type[Sandbox]
) -> None:
    answer = src("""
        import os
        def add(a, b):
            status = dict(
                line.split(":\\t", 1) for line in open("/proc/self/status").read().splitlines()
                if ":\\t" in line
            )
            return {
                "ids": [os.getuid(), os.geteuid(), os.getgid(), os.getegid()],
                "groups": os.getgroups(),
                "caps": [status["CapEff"].strip(), status["CapPrm"].strip(),
                         status["CapBnd"].strip()],
                "no_new_privs": status["NoNewPrivs"].strip(),
                "hostname": os.uname().nodename,
            }
        """)
    got = got_of(grade(challenge, answer, visible_only=True, sandbox_class=sandbox_class), "small")
    assert 0 not in got["ids"]
    if os.geteuid() == 0:
        assert got["ids"] == [NOBODY] * 4
    assert 0 not in got["groups"]
    assert all(int(mask, 16) == 0 for mask in got["caps"]), got["caps"]
    assert got["no_new_privs"] == "1"
    assert got["hostname"] != socket.gethostname()


@pytest.mark.sandbox
def test_expected_values_are_never_inside_the_kernel(challenge: Challenge) -> None:
    """Scan every object the kernel holds, at every call, for the hidden expected values.

    The fixture's hidden expected values (987654321, and 555555555 in a ``code:`` test) appear
    in no argument; the hidden *argument* 123456789 does reach the kernel and is the control
    that shows the scan works. ``visible-last`` runs after every hidden test and reports.
    What reaches the kernel is the judge's doing, the same in every sandbox: local only.
    """
    answer = src("""
        import gc, sys
        _TARGETS = [str(987654320 + 1), str(555555554 + 1), str(123456788 + 1)]
        _SEEN = set()
        def _look(value):
            if type(value) is int:
                value = str(value)
            if type(value) is str:
                for target in _TARGETS:
                    if target in value:
                        _SEEN.add(target)
        def _scan():
            objects = gc.get_objects()
            mine = {id(_TARGETS), id(_SEEN), id(objects)}
            for obj in objects:
                if id(obj) in mine:
                    continue
                kind = type(obj)
                if kind is dict:
                    for key, value in list(obj.items()):
                        _look(key)
                        _look(value)
                elif kind in (list, tuple, set, frozenset):
                    for value in list(obj):
                        _look(value)
            frame = sys._getframe(2)
            while frame is not None:
                for value in list(frame.f_locals.values()):
                    _look(value)
                frame = frame.f_back
            for text in get_ipython().user_ns.get("In", []):
                _look(text)
        def add(a, b):
            _scan()
            if (a, b) == (10, 20):
                return sorted(_SEEN)
            return a + b
        """)
    verdict = grade(challenge, answer)
    assert got_of(verdict, "visible-last") == ["123456789"]
    statuses = {t["name"]: t["status"] for t in verdict["tests"]}
    assert statuses == {
        "small": "passed", "negative": "passed", "hidden-large": "passed",
        "hidden-zero": "passed", "hidden-code": "passed", "visible-code": "passed",
        "visible-last": "failed",
    }


# --------------------------------------------------------------------------------------------
# Clean exit
# --------------------------------------------------------------------------------------------


@on_sandboxes()
def test_fork_bomb_leaves_no_process_or_directory(
    challenge: Challenge, sandbox_class: type[Sandbox], clean_run: list[Path]
) -> None:
    marker = f"kb{uuid.uuid4().hex[:10]}"
    answer = src(f"""
        import ctypes, os, time
        def add(a, b):
            started = 0
            while True:
                try:
                    pid = os.fork()
                except OSError:
                    break
                if pid == 0:
                    ctypes.CDLL(None).prctl(15, {marker.encode()!r}, 0, 0, 0)
                    time.sleep(1000)
                    os._exit(0)
                started += 1
            return started
        """)
    started = time.monotonic()
    verdict = grade(challenge, answer, sandbox_class=sandbox_class)
    assert time.monotonic() - started < 30
    assert verdict["verdict"] != "accepted"
    assert verdict["verdict"] in ("wrong_answer", "runtime_error"), verdict
    assert not wait_until(lambda: [p for p in _pids() if _comm(p) == marker])


@on_sandboxes()
def test_detached_background_process_is_killed_with_the_run(
    challenge: Challenge, sandbox_class: type[Sandbox], clean_run: list[Path]
) -> None:
    seconds = f"1000.{uuid.uuid4().int % 10**12}"
    answer = src(f"""
        import subprocess
        def add(a, b):
            subprocess.Popen(["sleep", {seconds!r}], start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            subprocess.Popen(["sh", "-c", "trap '' TERM HUP INT; sleep {seconds}"],
                             start_new_session=True)
            return a + b
        """)
    verdict = grade(challenge, answer, sandbox_class=sandbox_class)
    assert verdict["verdict"] == "accepted", verdict

    def still_running() -> list[int]:
        found = []
        for pid in _pids():
            try:
                if seconds.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                    found.append(pid)
            except OSError:
                pass
        return found

    assert not wait_until(still_running)
