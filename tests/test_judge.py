"""The judge end to end: the Verdict contract, scoring, what hidden tests reveal, the CLI,
notebook submissions, and every shipped challenge (reference accepted, wrong one not).

Kernel tests use the real judge and sandbox on the fixture challenges under
``tests/fixtures/challenges`` (``add-numbers``: 3 s wall; ``frame-records``: pandas).
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import nbformat
import pytest

from kodelab_jupyter.content.challenge import Challenge, load_challenge
from kodelab_jupyter.content.model import LimitsSpec
from kodelab_jupyter.grading.judge import Judge
from kodelab_jupyter.grading.verdict import SEVERITY, Verdict
from kodelab_jupyter.grading.verdict import TestResult as Result  # not a test class

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "challenges"
ADD = FIXTURES / "add-numbers"
FRAME = FIXTURES / "frame-records"
SHIPPED = sorted(p.parent for p in (REPO / "challenges").glob("*/challenge.yaml"))
WRONG_SOLUTIONS = Path(__file__).resolve().parent / "wrong_solutions"

VERDICTS = {
    "accepted", "wrong_answer", "runtime_error", "time_limit_exceeded",
    "memory_limit_exceeded", "output_limit_exceeded", "compile_error", "internal_error",
}
STATUSES = {"passed", "failed", "error", "timeout", "skipped"}
# Besides an exception class name, a hidden test may say why the whole run stopped.
RUN_MESSAGES = {"", "time limit exceeded", "output limit exceeded", "memory limit exceeded"}
TOP_KEYS = {"verdict", "score", "max_score", "duration_s", "tests"}
TEST_KEYS = {"name", "visible", "status", "points", "max_points", "duration_s", "message"}
# Worst first, as DESIGN.md "Judge rules" orders them.
DESIGN_ORDER = [
    "compile_error", "memory_limit_exceeded", "time_limit_exceeded", "output_limit_exceeded",
    "runtime_error", "wrong_answer", "accepted",
]
# Everything about add-numbers' hidden tests: args, expected values, test code.
HIDDEN_DATA = [
    "123456789", "864197532", "987654321", "500000000", "55555555", "555555555",
    "add(500000000", "add(a=7",
]

SOLUTION = "def add(a, b):\n    return a + b\n"
WRONG = "def add(a, b):\n    return a - b\n"


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@pytest.fixture(scope="module")
def add_challenge() -> Challenge:
    return load_challenge(ADD)


@pytest.fixture(scope="module")
def frame_challenge() -> Challenge:
    return load_challenge(FRAME)


async def grade_async(
    judge: Judge, challenge: Challenge, answer: str, visible_only: bool = False
) -> dict[str, Any]:
    """Verdict JSON from the real judge; a sandbox that failed to *start* is retried.

    (Start-up under load has its own test, test_concurrent_runs_never_fail_to_start, which
    does not retry.)
    """
    for attempt in range(3):
        verdict = (await judge.grade(challenge, answer, visible_only=visible_only)).to_json()
        if verdict.get("message") != "internal error: SandboxUnavailable":
            break
        await asyncio.sleep(1 + attempt)
    return verdict


def grade(challenge: Challenge, answer: str, visible_only: bool = False) -> dict[str, Any]:
    verdict = asyncio.run(grade_async(Judge(), challenge, answer, visible_only))
    gc.collect()
    return verdict


def grade_many(challenge: Challenge, answers: list[str], concurrency: int = 2) -> list[Any]:
    async def run() -> list[Any]:
        judge = Judge()
        gate = asyncio.Semaphore(concurrency)

        async def one(answer: str) -> dict[str, Any]:
            async with gate:
                return await grade_async(judge, challenge, answer)

        return list(await asyncio.gather(*(one(a) for a in answers)))

    verdicts = asyncio.run(run())
    gc.collect()
    return verdicts


def by_name(verdict: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in verdict["tests"]}


def assert_contract(verdict: dict[str, Any]) -> None:
    """The Verdict JSON of DESIGN.md: keys, types and values."""
    assert set(verdict) in (TOP_KEYS, TOP_KEYS | {"message"}), sorted(verdict)
    assert verdict["verdict"] in VERDICTS
    for key in ("score", "max_score", "duration_s"):
        assert type(verdict[key]) in (int, float), key
    assert 0 <= verdict["score"] <= verdict["max_score"]
    assert verdict["duration_s"] >= 0
    if "message" in verdict:
        assert isinstance(verdict["message"], str) and verdict["message"]
    assert isinstance(verdict["tests"], list) and verdict["tests"]
    for test in verdict["tests"]:
        assert set(test) == TEST_KEYS, sorted(test)
        assert isinstance(test["name"], str)
        assert type(test["visible"]) is bool
        assert test["status"] in STATUSES
        assert type(test["points"]) in (int, float) and type(test["max_points"]) in (int, float)
        assert test["points"] == (test["max_points"] if test["status"] == "passed" else 0)
        assert type(test["duration_s"]) in (int, float) and test["duration_s"] >= 0
        assert isinstance(test["message"], str)
        if not test["visible"]:
            assert test["message"] in RUN_MESSAGES or test["message"].isidentifier(), test
    assert verdict["score"] == sum(t["points"] for t in verdict["tests"])
    assert verdict["max_score"] == sum(t["max_points"] for t in verdict["tests"])
    assert (verdict["verdict"] == "accepted") == all(
        t["status"] == "passed" for t in verdict["tests"]
    )
    json.dumps(verdict, allow_nan=False)  # plain JSON


# --------------------------------------------------------------------------------------------
# Verdict rules without a kernel
# --------------------------------------------------------------------------------------------


def _verdict_of(*outcomes: str, forced: str | None = None) -> Verdict:
    tests = [Result(f"t{i}", True, 1.0, outcome=o) for i, o in enumerate(outcomes)]
    return Verdict(tests, forced=forced)


@pytest.mark.parametrize("worse", DESIGN_ORDER)
@pytest.mark.parametrize("better", DESIGN_ORDER)
def test_overall_verdict_is_the_worst_in_design_order(worse: str, better: str) -> None:
    if DESIGN_ORDER.index(worse) > DESIGN_ORDER.index(better):
        worse, better = better, worse
    if worse == "compile_error":
        verdict = _verdict_of(better, forced="compile_error")
    else:
        verdict = _verdict_of(better, worse, better)
    assert verdict.verdict == worse


def test_severity_table_matches_design_order() -> None:
    assert [v for v in SEVERITY if v != "internal_error"] == DESIGN_ORDER
    assert SEVERITY[0] == "internal_error"


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        ("accepted", "passed"), ("wrong_answer", "failed"), ("runtime_error", "error"),
        ("memory_limit_exceeded", "error"), ("output_limit_exceeded", "error"),
        ("time_limit_exceeded", "timeout"), ("skipped", "skipped"),
    ],
)
def test_per_test_status_of_each_outcome(outcome: str, status: str) -> None:
    doc = _verdict_of(outcome).to_json()
    assert doc["tests"][0]["status"] == status


def test_skipped_tests_do_not_make_a_run_accepted_by_themselves() -> None:
    assert _verdict_of("accepted", "skipped").verdict == "accepted"
    doc = _verdict_of("skipped", forced="compile_error").to_json()
    assert doc["verdict"] == "compile_error"


def test_hidden_message_is_at_most_a_well_known_class_name_in_json() -> None:
    hidden = Result("h", False, 1.0, outcome="wrong_answer", message="expected 987654321")
    error = Result("e", False, 1.0, outcome="runtime_error", message="ZeroDivisionError")
    made_up = Result("m", False, 1.0, outcome="runtime_error", message="Leak_123456789")
    shown = Result("v", True, 1.0, outcome="runtime_error", message="Leak_1 on input: (1,)")
    doc = Verdict([hidden, error, made_up, shown]).to_json()
    assert [t["message"] for t in doc["tests"]] == [
        "", "ZeroDivisionError", "", "Leak_1 on input: (1,)",
    ]


# --------------------------------------------------------------------------------------------
# The contract, through the real judge
# --------------------------------------------------------------------------------------------


@pytest.mark.sandbox
def test_accepted_verdict_has_exact_contract_shape(add_challenge: Challenge) -> None:
    verdict = grade(add_challenge, SOLUTION)
    assert_contract(verdict)
    assert set(verdict) == TOP_KEYS  # no top-level message when nothing concerns the run
    assert verdict["verdict"] == "accepted"
    assert verdict["score"] == verdict["max_score"] == 9
    assert type(verdict["score"]) is int and type(verdict["max_score"]) is int
    assert [(t["name"], t["visible"], t["max_points"]) for t in verdict["tests"]] == [
        ("small", True, 1), ("negative", True, 1), ("hidden-large", False, 2),
        ("hidden-zero", False, 1), ("hidden-code", False, 2), ("visible-code", True, 1),
        ("visible-last", True, 1),
    ]
    assert all(t["message"] == "" for t in verdict["tests"])


@pytest.mark.sandbox
def test_score_counts_points_of_passed_tests_only(add_challenge: Challenge) -> None:
    answer = src("""
        def add(a, b):
            return a + b if abs(a) < 10**8 else 0
        """)
    verdict = grade(add_challenge, answer)
    assert_contract(verdict)
    assert verdict["verdict"] == "wrong_answer"
    tests = by_name(verdict)
    assert tests["hidden-large"]["status"] == "failed"
    assert tests["hidden-code"]["status"] == "failed"  # 500000000 + 55555555 is not 0
    assert tests["hidden-large"]["points"] == tests["hidden-code"]["points"] == 0
    assert (verdict["score"], verdict["max_score"]) == (5, 9)


@pytest.mark.sandbox
def test_visible_failures_show_input_expected_and_got(add_challenge: Challenge) -> None:
    verdict = grade(add_challenge, WRONG)
    assert_contract(verdict)
    tests = by_name(verdict)
    assert tests["small"]["message"] == "input: (1, 2); expected: 3; got: -1"
    assert tests["negative"]["message"] == "input: (-5, 2); expected: -3; got: -7"
    assert tests["visible-last"]["message"] == "input: (10, 20); expected: 30; got: -10"
    assert tests["visible-code"]["status"] == "failed"
    assert tests["visible-code"]["message"] == "assertion failed: assert add(2, 2) == 4"
    assert tests["hidden-zero"]["status"] == "passed"  # 0 - 0 == 0 + 0
    for name in ("hidden-large", "hidden-code"):
        assert tests[name]["status"] == "failed"
    for name in ("hidden-large", "hidden-zero", "hidden-code"):
        assert tests[name]["message"] == ""
    assert (verdict["score"], verdict["verdict"]) == (1, "wrong_answer")


@pytest.mark.sandbox
def test_visible_error_shows_exception_class_and_input(add_challenge: Challenge) -> None:
    verdict = grade(add_challenge, "def add(a, b):\n    return a / (b - 2)\n")
    tests = by_name(verdict)
    assert verdict["verdict"] == "runtime_error"
    assert tests["small"]["status"] == "error"
    assert tests["small"]["message"] == "ZeroDivisionError on input: (1, 2)"
    assert tests["hidden-zero"]["status"] == "passed"  # 0 / -2 == 0
    assert tests["negative"]["status"] == "error"


@pytest.mark.sandbox
def test_hidden_tests_never_reveal_args_expected_values_or_code(
    add_challenge: Challenge,
) -> None:
    answers = [
        "def add(a, b):\n    return a + b + 1\n",  # actual 987654322 must not show either
        "def add(a, b):\n    raise ValueError(f'{a} {b}')\n",
        "def add(a, b):\n    return {1: str(a)}\n",  # unserialisable
        "def add(a, b):\n    print(a, b)\n    return str(a + b)\n",
        "import time\ndef add(a, b):\n    if a > 10**8: time.sleep(60)\n    return a + b\n",
    ]
    verdicts = grade_many(add_challenge, answers)
    for verdict in verdicts:
        assert_contract(verdict)
        text = json.dumps(verdict)
        for secret in [*HIDDEN_DATA, "987654322", "123456790"]:
            assert secret not in text, (secret, text)
        for test in verdict["tests"]:
            if not test["visible"]:
                assert test["message"] in RUN_MESSAGES | {"ValueError", "Unserializable"}, test
    assert [v["verdict"] for v in verdicts] == [
        "wrong_answer", "runtime_error", "runtime_error", "wrong_answer", "time_limit_exceeded",
    ]


@pytest.mark.sandbox
def test_hidden_message_cannot_carry_data_in_an_exception_class_name(
    add_challenge: Challenge,
) -> None:
    """A student-made exception class *name* is student data: it must not leak hidden args."""
    answer = src("""
        def add(a, b):
            raise type(f"Leak_{a}_{b}", (Exception,), {})()
        """)
    verdict = grade(add_challenge, answer)
    assert verdict["verdict"] == "runtime_error"
    text = json.dumps(verdict)
    for secret in HIDDEN_DATA:
        assert secret not in text, f"hidden data {secret!r} leaked: {text}"
    for test in verdict["tests"]:
        assert test["status"] == "error"
        if not test["visible"]:
            assert "Leak" not in test["message"]
        else:  # the student may see their own class name on visible tests
            assert test["message"].startswith("Leak_")


@pytest.mark.sandbox
def test_visible_only_grades_only_visible_tests(add_challenge: Challenge) -> None:
    verdict = grade(add_challenge, SOLUTION, visible_only=True)
    assert_contract(verdict)
    assert [t["name"] for t in verdict["tests"]] == ["small", "negative", "visible-code",
                                                     "visible-last"]
    assert all(t["visible"] for t in verdict["tests"])
    assert (verdict["verdict"], verdict["score"], verdict["max_score"]) == ("accepted", 4, 4)


@pytest.mark.sandbox
def test_visible_only_run_never_calls_with_hidden_args(add_challenge: Challenge) -> None:
    answer = src("""
        _SEEN = []
        def add(a, b):
            _SEEN.append(a)
            return sorted(_SEEN) if (a, b) == (10, 20) else a + b
        """)
    verdict = grade(add_challenge, answer, visible_only=True)
    message = by_name(verdict)["visible-last"]["message"]
    assert message.endswith("got: [-5, 1, 2, 10]"), message


@pytest.mark.parametrize("visible_only", [False, True])
def test_compile_error_skips_every_test_with_a_top_level_message(
    add_challenge: Challenge, visible_only: bool
) -> None:
    verdict = asyncio.run(
        Judge().grade(add_challenge, "def add(a, b)\n    return a + b\n", visible_only)
    ).to_json()
    assert_contract(verdict)
    assert verdict["verdict"] == "compile_error"
    assert verdict["message"].startswith("SyntaxError")
    assert "line 1" in verdict["message"]
    assert verdict["score"] == 0
    assert {t["status"] for t in verdict["tests"]} == {"skipped"}
    expected = 4 if visible_only else 7
    assert len(verdict["tests"]) == expected


@pytest.mark.sandbox
def test_worst_outcome_wins_across_tests(add_challenge: Challenge) -> None:
    runtime_then_wrong = src("""
        def add(a, b):
            if a == 1:
                raise KeyError("x")
            return a - b
        """)
    memory_then_loop = src("""
        def add(a, b):
            if a == 1:
                return len(bytearray(4 * 10**9))
            while True:
                pass
        """)
    error_then_loop = src("""
        def add(a, b):
            if a == 1:
                raise KeyError("x")
            while True:
                pass
        """)
    error_then_huge = src("""
        def add(a, b):
            if a == 1:
                raise KeyError("x")
            return "x" * 10**6
        """)
    verdicts = grade_many(
        add_challenge, [runtime_then_wrong, memory_then_loop, error_then_loop, error_then_huge]
    )
    assert [v["verdict"] for v in verdicts] == [
        "runtime_error", "memory_limit_exceeded", "time_limit_exceeded", "output_limit_exceeded",
    ]
    for verdict in verdicts:
        assert_contract(verdict)
    looped = by_name(verdicts[1])
    assert looped["small"]["status"] == "error"
    assert looped["negative"]["status"] == "timeout"
    assert {looped[n]["status"] for n in ("hidden-large", "visible-last")} == {"skipped"}
    assert verdicts[2]["message"] == "time limit exceeded"


@pytest.mark.sandbox
def test_ipython_syntax_in_the_answer_is_fine(add_challenge: Challenge) -> None:
    answer = src("""
        %%capture
        %time warm = sum(range(10))
        !true
        files = !ls /
        def add(a, b):
            return a + b
        add?
        """)
    verdict = grade(add_challenge, answer)
    assert verdict["verdict"] == "accepted", verdict


@pytest.mark.sandbox
def test_numpy_values_come_back_as_plain_numbers(add_challenge: Challenge) -> None:
    answer = src("""
        import numpy as np
        def add(a, b):
            return np.int64(a) + np.int64(b)
        """)
    assert grade(add_challenge, answer)["verdict"] == "accepted"


@pytest.mark.sandbox
def test_dataframe_results_are_graded_as_records(frame_challenge: Challenge) -> None:
    series = "def double_values(df):\n    return df['value'] * 2\n"
    array = "def double_values(df):\n    return (df['value'] * 2).to_numpy()\n"
    verdicts = grade_many(frame_challenge, [frame_challenge.solution, series, array])
    assert verdicts[0]["verdict"] == "accepted", verdicts[0]  # NaN in a frame -> None
    for verdict in verdicts[1:]:
        assert verdict["verdict"] == "wrong_answer"
        assert by_name(verdict)["example"]["message"].endswith("got: [2.0, 5.0]")
    starter = grade(frame_challenge, frame_challenge.starter)
    assert by_name(starter)["example"]["message"].endswith(
        "got: [{'key': 'a', 'value': 1.0}, {'key': 'b', 'value': 2.5}]"
    )


@pytest.mark.sandbox
def test_code_tests_run_on_the_trusted_side(add_challenge: Challenge) -> None:
    """``code:`` asserts pass or fail on their own; their expected values never enter the
    kernel: only the arguments of each call do (the control, 500000000, shows the record
    is complete)."""
    answer = src("""
        _CALLS = []
        def add(*args, **kwargs):
            _CALLS.append(repr((args, sorted(kwargs.items()))))
            if args == (10, 20):
                texts = _CALLS + [str(t) for t in get_ipython().user_ns.get("In", [])]
                forbidden = [str(555555554 + 1), str(987654320 + 1)]
                return [
                    [f for f in forbidden if any(f in t for t in texts)],
                    any(str(500000000) in t for t in texts),
                    [c for c in _CALLS if "kwargs" in c or "'a'" in c],
                ]
            a, b = args if args else (kwargs["a"], kwargs["b"])
            return a + b
        """)
    verdict = grade(add_challenge, answer)
    tests = by_name(verdict)
    assert tests["hidden-code"]["status"] == "passed"
    assert tests["visible-code"]["status"] == "passed"
    got = tests["visible-last"]["message"].split("got: ", 1)[1]
    assert got == "[[], True, [\"((), [('a', 7), ('b', 8)])\"]]"


@pytest.mark.sandbox
def test_code_test_failures_are_reported_without_their_code(add_challenge: Challenge) -> None:
    answer = src("""
        def add(a, b):
            if a == 500000000:
                raise OverflowError("too big")
            return a + b
        """)
    verdict = grade(add_challenge, answer)
    tests = by_name(verdict)
    assert tests["hidden-code"]["status"] == "error"
    assert tests["hidden-code"]["message"] == "OverflowError"
    assert verdict["verdict"] == "runtime_error"
    assert "assert" not in json.dumps(verdict)


# --------------------------------------------------------------------------------------------
# Limits and concurrency (product issues are reported by failing here)
# --------------------------------------------------------------------------------------------


@pytest.mark.sandbox
def test_small_process_limit_still_lets_the_kernel_start(add_challenge: Challenge) -> None:
    """``max_processes`` is what the *answer* may run; the kernel's own threads (about 11,
    and RLIMIT_NPROC counts threads) must not use it up, or a valid challenge setting turns
    every submission into internal_error."""
    spec = add_challenge.spec.model_copy(
        update={"limits": LimitsSpec(wall_seconds=3, max_processes=8)}
    )
    small = dataclasses.replace(add_challenge, spec=spec)
    verdict = asyncio.run(Judge().grade(small, SOLUTION)).to_json()
    assert verdict["verdict"] == "accepted", verdict


@pytest.mark.sandbox
def test_concurrent_runs_never_fail_to_start(add_challenge: Challenge) -> None:
    """Several kernels at once (a hub, a warm pool) all run as uid 65534: the per-run process
    limit must not be eaten by the *other* runs' threads."""
    answer = "import time\ntime.sleep(1.5)\n" + SOLUTION

    async def burst() -> list[dict[str, Any]]:
        judge = Judge()
        runs = [judge.grade(add_challenge, answer, visible_only=True) for _ in range(7)]
        return [v.to_json() for v in await asyncio.gather(*runs)]

    verdicts = asyncio.run(burst())
    assert [v["verdict"] for v in verdicts] == ["accepted"] * 7, [
        v.get("message") for v in verdicts
    ]


# --------------------------------------------------------------------------------------------
# CLI and notebook submissions
# --------------------------------------------------------------------------------------------


def kodelab(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("kodelab")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "kodelab_jupyter.cli"]
    return subprocess.run(
        [*command, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.sandbox
def test_cli_grade_json_prints_one_document_and_exits_0_on_wrong_answer(
    tmp_path: Path,
) -> None:
    answer = tmp_path / "answer.py"
    answer.write_text(WRONG)
    done = kodelab("grade", str(ADD), str(answer), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1 and done.stdout.endswith("\n")
    verdict = json.loads(done.stdout)
    assert_contract(verdict)
    assert verdict["verdict"] == "wrong_answer"
    for secret in HIDDEN_DATA:
        assert secret not in done.stdout


@pytest.mark.sandbox
def test_cli_grade_by_id_and_compile_error_still_exit_0(tmp_path: Path) -> None:
    answer = tmp_path / "answer.py"
    answer.write_text("def add(a, b):\n  return (a +\n")
    done = kodelab(
        "--challenges", str(FIXTURES), "grade", "add-numbers", str(answer), "--json",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    verdict = json.loads(done.stdout)
    assert verdict["verdict"] == "compile_error"
    assert {t["status"] for t in verdict["tests"]} == {"skipped"}


def test_cli_grade_unknown_challenge_is_an_error_without_json(tmp_path: Path) -> None:
    answer = tmp_path / "answer.py"
    answer.write_text(SOLUTION)
    done = kodelab("--challenges", str(FIXTURES), "grade", "no-such-id", str(answer), "--json",
                   cwd=tmp_path)
    assert done.returncode != 0
    assert done.stdout == ""


@pytest.mark.sandbox
def test_cli_grades_a_student_notebook_by_answer_cell_role(tmp_path: Path) -> None:
    built = kodelab("build", str(ADD), "-o", str(tmp_path), cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    path = Path(built.stdout.strip())
    assert path == tmp_path / "add-numbers.ipynb"
    text = path.read_text()
    for secret in [*HIDDEN_DATA, "hidden-large", "hidden-code"]:
        assert secret not in text, f"hidden test data {secret!r} in the student notebook"

    nb = nbformat.read(str(path), as_version=4)
    roles = [c.metadata.get("kodelab", {}).get("role") for c in nb.cells]
    assert roles.count("answer") == 1
    answer_cell = nb.cells[roles.index("answer")]
    answer_cell.source = "%%time\n" + SOLUTION
    # A cell without the answer role is ignored, even when it redefines the entry point.
    nb.cells.append(nbformat.v4.new_code_cell("def add(a, b):\n    return 0\n"))
    nbformat.write(nb, str(path))
    done = kodelab("grade", str(ADD), str(path), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["verdict"] == "accepted"

    answer_cell.source = WRONG
    nb.cells[-1].source = SOLUTION
    nbformat.write(nb, str(path))
    done = kodelab("grade", str(ADD), str(path), "--json", cwd=tmp_path)
    assert json.loads(done.stdout)["verdict"] == "wrong_answer"


# --------------------------------------------------------------------------------------------
# Every shipped challenge
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped_verdicts() -> dict[tuple[str, str], dict[str, Any]]:
    """Reference and wrong solution of every shipped challenge, graded 2 at a time."""

    async def run() -> dict[tuple[str, str], dict[str, Any]]:
        judge = Judge()
        gate = asyncio.Semaphore(2)

        async def one(folder: Path, kind: str) -> tuple[tuple[str, str], dict[str, Any]]:
            challenge = load_challenge(folder)
            if kind == "reference":
                answer = challenge.solution
            else:
                answer = wrong_solution(folder).read_text()
            async with gate:
                return (folder.name, kind), await grade_async(judge, challenge, answer)

        jobs = [one(f, k) for f in SHIPPED for k in ("reference", "wrong")]
        return dict(await asyncio.gather(*jobs))

    verdicts = asyncio.run(run())
    gc.collect()
    return verdicts


def wrong_solution(folder: Path) -> Path:
    """``tests/wrong_solutions/<slug>.py`` (or ``.sql`` for a SQL challenge)."""
    suffix = ".sql" if load_challenge(folder).spec.language == "sql" else ".py"
    return WRONG_SOLUTIONS / f"{folder.name}{suffix}"


def test_every_shipped_challenge_has_a_wrong_solution() -> None:
    assert len(SHIPPED) >= 20
    missing = [f.name for f in SHIPPED if not wrong_solution(f).is_file()]
    assert not missing


@pytest.mark.sandbox
@pytest.mark.parametrize("slug", [f.name for f in SHIPPED])
def test_shipped_reference_accepted_and_wrong_solution_not(
    slug: str, shipped_verdicts: dict[tuple[str, str], dict[str, Any]]
) -> None:
    reference = shipped_verdicts[(slug, "reference")]
    wrong = shipped_verdicts[(slug, "wrong")]
    assert_contract(reference)
    assert_contract(wrong)
    assert reference["verdict"] == "accepted", reference
    assert wrong["verdict"] not in ("accepted", "internal_error", "compile_error"), wrong
    assert wrong["score"] < wrong["max_score"]
