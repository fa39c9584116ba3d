"""Interview session notebooks, the ``%%sql`` explorer and the round bar widget.

Server tests run a real jupyter-server (pytest-jupyter's ``jp_fetch``) with the extension, a
tmp SQLite database and the test scenario ``quick-check`` (tests/fixtures/interviews), or
the shipped scenarios where said. Code rounds submitted with an empty answer score 0 without
grading, so only the tests marked ``sandbox`` need the grading sandbox.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import nbformat
import pytest

from kodelab_jupyter.interview.loader import (
    SHIPPED_INTERVIEWS,
    InterviewCatalog,
    Scenario,
    public_round,
)
from kodelab_jupyter.interview.model import (
    ModelingRound,
    PythonDebugRound,
    PythonRound,
    QuizRound,
    SqlDebugRound,
    SqlRound,
)
from kodelab_jupyter.interview.notebook import (
    ANSWER_ROLE,
    answer_from_notebook,
    build_session_notebook,
    round_section,
)
from kodelab_jupyter.interview_widgets import (
    CSS,
    ESM,
    RoundBar,
    bar_state,
    round_bar,
    round_controls,
)

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "interviews"
QUIZ_RIGHT = {"sum": 1, "primes": [0, 2]}
ADD_RIGHT = "def add(a, b):\n    return a + b\n"
SANDBOX = pytest.mark.sandbox


# --------------------------------------------------------------------------------------------
# Server set-up and helpers
# --------------------------------------------------------------------------------------------


@pytest.fixture
def server_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Extra KodeLabApp config, given per test with ``indirect`` parametrization."""
    return getattr(request, "param", {})


@pytest.fixture
def jp_server_config(tmp_path: Path, server_overrides: dict[str, Any]) -> dict[str, Any]:
    kodelab = {
        "interview_directories": [str(FIXTURES)],
        "include_shipped_interviews": False,
        "include_shipped_challenges": False,
        **server_overrides,
    }
    return {
        "ServerApp": {"jpserver_extensions": {"kodelab_jupyter": True}},
        "Store": {"db_url": f"sqlite:///{tmp_path / 'kodelab.sqlite'}"},
        "KodeLabApp": kodelab,
    }


class Api:
    """``jp_fetch`` under /kodelab/api; every error must be JSON without a traceback."""

    def __init__(self, fetch: Any) -> None:
        self.fetch = fetch

    async def call(self, method: str, *parts: str, body: Any = None) -> tuple[int, Any]:
        if method in ("POST", "PUT"):
            body = "" if body is None else json.dumps(body)
        response = await self.fetch(
            "kodelab", "api", *parts, method=method, body=body, raise_error=False
        )
        text = response.body.decode() if response.body else ""
        assert "Traceback" not in text, text[:500]
        data = json.loads(text) if text else None
        if response.code >= 400:
            assert isinstance(data, dict) and isinstance(data.get("message"), str), text
        return response.code, data

    async def start(self, scenario: str) -> dict[str, Any]:
        code, view = await self.call("POST", "interviews", scenario, "sessions")
        assert code == 201, view
        return view

    async def state(self, sid: int) -> dict[str, Any]:
        code, view = await self.call("GET", "interview-sessions", str(sid))
        assert code == 200, view
        return view

    async def submit(self, sid: int, rid: str, body: Any) -> tuple[int, Any]:
        return await self.call(
            "POST", "interview-sessions", str(sid), "rounds", rid, "submit", body=body
        )

    async def draft(self, sid: int, rid: str, body: Any) -> tuple[int, Any]:
        return await self.call(
            "PUT", "interview-sessions", str(sid), "rounds", rid, "draft", body=body
        )


@pytest.fixture
def api(jp_fetch: Any) -> Api:
    return Api(jp_fetch)


def read_nb(root: Path, path: str) -> nbformat.NotebookNode:
    return nbformat.read(str(root / path), as_version=4)


def role(cell: Any) -> str | None:
    return (cell.metadata.get("kodelab") or {}).get("role")


def round_of(cell: Any) -> str | None:
    return (cell.metadata.get("kodelab") or {}).get("round")


def rounds_in(nb: nbformat.NotebookNode) -> list[str | None]:
    return [round_of(c) for c in nb.cells if role(c) == "interview-round"]


def answer_cell(nb: nbformat.NotebookNode, rid: str) -> Any:
    (cell,) = [c for c in nb.cells if role(c) == ANSWER_ROLE and round_of(c) == rid]
    return cell


def empty_answer(rnd: dict[str, Any]) -> Any:
    return "" if rnd["type"] in ("sql", "python", "debug") else {}


def engine_of(jp_serverapp: Any) -> Any:
    return jp_serverapp.web_app.settings["kodelab"].interviews


# --------------------------------------------------------------------------------------------
# The hidden content of a scenario, to scan for
# --------------------------------------------------------------------------------------------


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [str(k), *_strings(v)]]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


def public_text(scenario: Scenario) -> str:
    """Everything a candidate may see of the scenario: every round's public view."""
    parts = [scenario.spec.title, scenario.spec.description]
    for rnd in scenario.rounds:
        view = scenario.public_round(rnd.id)
        parts += [json.dumps(view), *_strings(view)]
        parts += [repr(v) for t in view.get("tables") or [] for v in t.get("rows") or []]
        for test in view.get("visible_tests") or []:
            for value in (test.get("args"), test.get("kwargs"), test.get("expected")):
                parts.append(repr(value))
                if isinstance(value, list):
                    parts += [repr(v) for v in value]
    return "\n".join(parts)


def _csv_secrets(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8-sig")
    lines = [line.strip() for line in text.splitlines()[1:] if len(line.strip()) >= 6]
    values = [v for row in csv.reader(io.StringIO(text)) for v in row[1:] if len(v) >= 5]
    return [text.strip(), *lines, *values]


def hidden_secrets(scenario: Scenario) -> tuple[set[str], set[str]]:
    """(secrets, keys): hidden values that must never be in the notebook, and JSON keys of
    answers and explanations that must not appear either."""
    secrets: set[str] = set()
    for rnd in scenario.rounds:
        if isinstance(rnd, (SqlRound, SqlDebugRound)):
            for dataset in rnd.hidden_tables:
                for table in dataset.tables:
                    for row in table.rows or []:
                        secrets.add(json.dumps(row))
                        secrets.add(repr(row))
                        secrets.update(v for v in row if isinstance(v, str) and len(v) >= 4)
                    if table.csv:
                        secrets.update(_csv_secrets(scenario.root / table.csv))
            for dataset in rnd.datasets:  # the visible dataset's expected output too
                if dataset.expected_output:
                    secrets.update(_csv_secrets(scenario.root / dataset.expected_output))
        if isinstance(rnd, (PythonRound, PythonDebugRound)):
            for test in rnd.tests:
                if test.visible:
                    continue
                for value in (test.args, test.kwargs, test.expected):
                    if value not in (None, [], {}):
                        for dumped in (json.dumps(value), repr(value)):
                            if len(dumped) > 3:
                                secrets.add(dumped)
                if test.code:
                    secrets.add(test.code)
                    secrets.update(
                        line.strip() for line in test.code.splitlines() if len(line.strip()) > 6
                    )
        if isinstance(rnd, (SqlRound, SqlDebugRound, PythonRound, PythonDebugRound)):
            secrets.add(rnd.solution.strip())
            secrets.update(
                line.strip() for line in rnd.solution.splitlines() if len(line.strip()) > 12
            )
        if isinstance(rnd, QuizRound):
            secrets.update(q.explanation for q in rnd.questions if q.explanation)
        if isinstance(rnd, ModelingRound):
            secrets.update(f.explanation for f in rnd.fields if f.explanation)
        secrets.update(h for h in rnd.hints if h)
    public = public_text(scenario)
    keys = {
        '"correct_answer"',
        '"explanation"',
        '"hidden_tables"',
        '"expected_output"',
        '"solution"',
        '"required"',
        '"acceptable"',
        '"wrong"',
        '"required_connections"',
        '"entity"',
        "'correct_answer'",
        "'entity'",
    }
    return {s for s in secrets if s.strip() and s not in public}, keys


def haystack(nb_path: Path) -> str:
    """The notebook as stored, and every string in it decoded (sources have newlines)."""
    raw = nb_path.read_text()
    data = json.loads(raw)
    return raw + "\n" + "\n".join(_strings(data))


def assert_no_secrets(nb_path: Path, scenario: Scenario) -> None:
    secrets, keys = hidden_secrets(scenario)
    assert secrets, "the scan needs hidden values to look for"
    text = haystack(nb_path)
    leaked = sorted(s for s in secrets if s in text)
    assert not leaked, f"{scenario.id}: hidden content in the notebook: {leaked[:5]}"
    for key in keys:
        assert key not in text, f"{scenario.id}: {key} in the notebook"


# --------------------------------------------------------------------------------------------
# Session notebooks through the REST API
# --------------------------------------------------------------------------------------------


async def test_starting_creates_the_notebook_with_round_1_only(api: Api, jp_root_dir: Path) -> None:
    view = await api.start("quick-check")
    sid = view["id"]
    assert view["path"] == f"kodelab/interviews/quick-check-{sid}.ipynb"
    assert "notebook_error" not in view
    nb = read_nb(jp_root_dir, view["path"])
    assert nb.metadata["kodelab"]["interview_session"] == sid
    assert nb.metadata["kodelab"]["scenario_id"] == "quick-check"
    header, bar = nb.cells[:2]
    assert header.source.startswith("# Quick Check")
    assert "Two one-minute rounds" in header.source  # the scenario's description
    assert bar.source.endswith(f"round_bar({sid})")
    assert "from kodelab_jupyter.interview_widgets import round_bar" in bar.source
    assert rounds_in(nb) == ["warm-up-quiz"]
    (intro,) = [c for c in nb.cells if role(c) == "interview-round"]
    assert intro.source.startswith("## Round 1 of 2 — Warm-up quiz")
    (controls,) = [c for c in nb.cells if role(c) == "interview-controls"]
    assert controls.source.endswith(f"round_controls({sid}, 'warm-up-quiz')")
    text = (jp_root_dir / view["path"]).read_text()
    assert "add-numbers" not in text and "Add two numbers" not in text  # round 2 not yet
    assert "Basic arithmetic" not in text and "correct_answer" not in text

    # The path is stored with the session; looking again changes nothing on disk.
    stat = (jp_root_dir / view["path"]).stat().st_mtime_ns
    again = await api.state(sid)
    assert again["path"] == view["path"]
    assert (jp_root_dir / view["path"]).stat().st_mtime_ns == stat
    code, sessions = await api.call("GET", "interview-sessions")
    assert code == 200 and sessions[0]["id"] == sid


async def test_submitting_appends_the_next_round_and_keeps_the_candidates_edits(
    api: Api, jp_root_dir: Path
) -> None:
    view = await api.start("quick-check")
    sid, path = view["id"], view["path"]
    nb = read_nb(jp_root_dir, path)
    nb.cells.append(nbformat.v4.new_markdown_cell("my own notes about round 1"))
    nb.cells[0].source += "\n\n(edited by the candidate)"
    nbformat.write(nb, str(jp_root_dir / path))
    before = read_nb(jp_root_dir, path).cells

    code, after = await api.submit(sid, "warm-up-quiz", {"answer": QUIZ_RIGHT})
    assert code == 200, after
    assert after["rounds"][0]["score"] == 1.0 and after["current_round"] == 1
    nb = read_nb(jp_root_dir, path)
    assert nb.cells[: len(before)] == before  # only appended
    assert rounds_in(nb) == ["warm-up-quiz", "add-numbers"]
    answer = answer_cell(nb, "add-numbers")
    assert answer.source == "def add(a, b):\n    ...\n"  # the round's initial code
    (examples,) = [c for c in nb.cells if role(c) == "interview-examples"]
    assert "check('example', add, args=[1, 2]" in examples.source
    assert "negatives" not in examples.source and "1000000000001" not in examples.source

    # The candidate works on round 2; a look at the session never touches it.
    nb.cells[nb.cells.index(answer)].source = "def add(a, b):\n    return 42\n"
    nbformat.write(nb, str(jp_root_dir / path))
    await api.state(sid)
    assert answer_cell(read_nb(jp_root_dir, path), "add-numbers").source.endswith("42\n")

    # Ending: no new round section, a closing note, nothing rewritten.
    code, ended = await api.call("POST", "interview-sessions", str(sid), "end")
    assert code == 200 and ended["status"] == "finished"
    final = read_nb(jp_root_dir, path)
    assert rounds_in(final) == ["warm-up-quiz", "add-numbers"]
    assert answer_cell(final, "add-numbers").source.endswith("42\n")
    assert [role(c) for c in final.cells].count("interview-finished") == 1
    await api.state(sid)
    assert [role(c) for c in read_nb(jp_root_dir, path).cells].count("interview-finished") == 1


async def test_a_deleted_or_replaced_notebook_is_made_again_without_overwriting(
    api: Api, jp_root_dir: Path
) -> None:
    view = await api.start("quick-check")
    sid, path = view["id"], view["path"]
    (jp_root_dir / path).unlink()
    assert (await api.state(sid))["path"] == path
    assert rounds_in(read_nb(jp_root_dir, path)) == ["warm-up-quiz"]

    (jp_root_dir / path).write_text("my own file")  # a foreign file where it was
    moved = await api.state(sid)
    assert moved["path"] == path.replace(".ipynb", "-1.ipynb")
    assert (jp_root_dir / path).read_text() == "my own file"
    assert rounds_in(read_nb(jp_root_dir, moved["path"])) == ["warm-up-quiz"]
    assert (await api.state(sid))["path"] == moved["path"]  # stored


async def test_rounds_that_time_out_unwatched_still_get_their_section(
    api: Api, jp_root_dir: Path, jp_serverapp: Any
) -> None:
    engine = engine_of(jp_serverapp)
    view = await api.start("quick-check")
    sid, path = view["id"], view["path"]
    opened = datetime.fromisoformat(view["rounds"][0]["opened_at"])
    # Round 1 timed out; round 2 opened 2 s after its deadline and is open now.
    engine.clock = lambda: opened + timedelta(minutes=1, seconds=30)
    now = await api.state(sid)
    assert [r["status"] for r in now["rounds"]] == ["timed_out", "open"]
    nb = read_nb(jp_root_dir, path)
    assert rounds_in(nb) == ["warm-up-quiz", "add-numbers"]
    assert answer_cell(nb, "add-numbers").source.startswith("def add")


async def test_a_round_that_opened_and_closed_between_two_looks_gets_a_closed_section(
    api: Api, jp_root_dir: Path, jp_serverapp: Any
) -> None:
    engine = engine_of(jp_serverapp)
    view = await api.start("quick-check")
    sid, path = view["id"], view["path"]
    opened = datetime.fromisoformat(view["rounds"][0]["opened_at"])
    engine.clock = lambda: opened + timedelta(minutes=10)
    now = await api.state(sid)
    assert now["status"] == "finished"
    assert [r["status"] for r in now["rounds"]] == ["timed_out", "timed_out"]
    nb = read_nb(jp_root_dir, path)
    assert rounds_in(nb) == ["warm-up-quiz", "add-numbers"]
    closed = [c for c in nb.cells if round_of(c) == "add-numbers"]
    assert len(closed) == 1 and "Time ran out" in closed[0].source
    assert "Write `add(a, b)`" in closed[0].source  # what it asked (public)
    assert not [c for c in nb.cells if role(c) == ANSWER_ROLE]
    assert_no_secrets(jp_root_dir / path, engine.catalog.get("quick-check"))


async def test_a_round_ended_before_it_opened_never_appears(api: Api, jp_root_dir: Path) -> None:
    view = await api.start("quick-check")
    code, ended = await api.call("POST", "interview-sessions", str(view["id"]), "end")
    assert code == 200 and [r["status"] for r in ended["rounds"]] == ["skipped", "skipped"]
    nb = read_nb(jp_root_dir, view["path"])
    assert rounds_in(nb) == ["warm-up-quiz"]  # it had opened
    assert "add-numbers" not in (jp_root_dir / view["path"]).read_text()


@pytest.mark.parametrize("server_overrides", [{"include_shipped_interviews": True}], indirect=True)
async def test_no_hidden_data_answers_or_solutions_in_any_session_notebook(
    api: Api, jp_root_dir: Path, jp_serverapp: Any
) -> None:
    """Every shipped scenario, walked round by round: only opened rounds, only public data."""
    engine = engine_of(jp_serverapp)
    catalog: InterviewCatalog = engine.catalog
    assert {"orders-warmup", "cdc-lakehouse", "quick-check"} <= set(catalog.scenarios)
    types_seen: set[str] = set()
    for scenario in catalog.scenarios.values():
        view = await api.start(scenario.id)
        sid, path = view["id"], view["path"]
        for index, rnd in enumerate(scenario.rounds):
            nb = read_nb(jp_root_dir, path)
            assert rounds_in(nb) == [r.id for r in scenario.rounds[: index + 1]]
            later = [
                r.title
                for r in scenario.rounds[index + 1 :]
                if r.title not in scenario.spec.description
            ]
            text = (jp_root_dir / path).read_text()
            assert not [t for t in later if json.dumps(t)[1:-1] in text], scenario.id
            assert_no_secrets(jp_root_dir / path, scenario)
            types_seen.add(rnd.type)
            if rnd.type in ("sql", "debug") and rnd.language == "sql":
                assert answer_cell(nb, rnd.id).source.startswith("%%sql\n")
                (setup,) = [
                    c for c in nb.cells if role(c) == "interview-setup" and round_of(c) == rnd.id
                ]
                assert "%load_ext kodelab_jupyter.sql_magic" in setup.source
                for table in rnd.tables:
                    assert repr(table.name) in setup.source
            code, after = await api.submit(
                sid, rnd.id, {"answer": empty_answer({"type": rnd.type})}
            )
            assert code == 200, after
        assert after["status"] == "finished"
        assert_no_secrets(jp_root_dir / path, scenario)
    assert types_seen == {"sql", "python", "debug", "quiz", "architecture", "modeling"}


async def test_bad_draft_and_submit_bodies(api: Api, jp_root_dir: Path) -> None:
    view = await api.start("quick-check")
    sid, path = view["id"], view["path"]
    # A path is for code rounds; the quiz needs its answer.
    code, data = await api.submit(sid, "warm-up-quiz", {"path": path})
    assert code == 400 and "not a 'path'" in data["message"]
    code, data = await api.draft(sid, "warm-up-quiz", {})
    assert code == 400 and "'answer'" in data["message"]
    code, _ = await api.submit(sid, "warm-up-quiz", {"answer": QUIZ_RIGHT})
    assert code == 200
    for bad, status in [
        ("../outside.ipynb", 400),
        ("/etc/passwd.ipynb", 400),
        ("kodelab/notes.txt", 400),
        ("kodelab/missing.ipynb", 404),
    ]:
        code, data = await api.draft(sid, "add-numbers", {"path": bad})
        assert code == status, (bad, data)
    other = jp_root_dir / "kodelab" / "other.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), str(other))
    code, data = await api.submit(sid, "add-numbers", {"path": "kodelab/other.ipynb"})
    assert code == 422 and "not the notebook of interview session" in data["message"]
    code, data = await api.submit(sid, "no-such-round", {"path": path})
    assert code == 404
    # The session's own notebook without the round's answer cell: 422, nothing graded.
    nb = read_nb(jp_root_dir, path)
    nb.cells = [c for c in nb.cells if role(c) != ANSWER_ROLE]
    nbformat.write(nb, str(jp_root_dir / path))
    code, data = await api.submit(sid, "add-numbers", {"path": path})
    assert code == 422 and "no answer cell for round 'add-numbers'" in data["message"]
    assert (await api.state(sid))["rounds"][1]["status"] == "open"


@SANDBOX
async def test_drafts_and_submissions_from_the_notebook_grade_its_answer_cell(
    api: Api, jp_root_dir: Path
) -> None:
    view = await api.start("quick-check")
    sid, path = view["id"], view["path"]
    code, _ = await api.submit(sid, "warm-up-quiz", {"answer": QUIZ_RIGHT})
    assert code == 200
    nb = read_nb(jp_root_dir, path)
    cell = answer_cell(nb, "add-numbers")
    cell.source = "def add(a, b):\n    return a - b\n"
    nbformat.write(nb, str(jp_root_dir / path))
    code, drafted = await api.draft(sid, "add-numbers", {"path": path})
    assert code == 200, drafted
    assert drafted["rounds"][1]["draft"] == "def add(a, b):\n    return a - b\n"

    nb = read_nb(jp_root_dir, path)
    answer_cell(nb, "add-numbers").source = ADD_RIGHT
    nbformat.write(nb, str(jp_root_dir / path))
    code, done = await api.submit(sid, "add-numbers", {"path": path})
    assert code == 200, done
    assert done["status"] == "finished"
    assert done["rounds"][1]["score"] == 1.0 and done["overall_score"] == 1.0
    code, card = await api.call("GET", "interview-sessions", str(sid), "scorecard")
    assert code == 200 and card["review"][1]["answer"] == ADD_RIGHT
    final = read_nb(jp_root_dir, path)
    assert answer_cell(final, "add-numbers").source == ADD_RIGHT
    assert role(final.cells[-1]) == "interview-finished"


# --------------------------------------------------------------------------------------------
# Building notebooks (no server)
# --------------------------------------------------------------------------------------------


def _catalog() -> InterviewCatalog:
    return InterviewCatalog([SHIPPED_INTERVIEWS, FIXTURES])


def test_answer_from_notebook_reads_only_that_rounds_answer_cell() -> None:
    scenario = _catalog().get("orders-warmup")
    view = {"id": 7, "scenario_id": scenario.id, "title": scenario.spec.title, "rounds": []}
    nb = build_session_notebook(view)
    for index, rnd in enumerate(scenario.rounds[:2]):
        nb.cells += round_section(7, index, 4, scenario.public_round(rnd.id))
    first, second = scenario.rounds[:2]
    assert answer_from_notebook(nb, first.id).startswith("%%sql\n")
    assert answer_from_notebook(nb, second.id) == second.initial_code.rstrip() + "\n"
    with pytest.raises(ValueError, match="no answer cell for round 'nope'"):
        answer_from_notebook(nb, "nope")
    # A plain challenge "answer" cell is not an interview answer.
    for cell in nb.cells:
        assert role(cell) != "answer"


def test_sections_are_built_from_the_public_view_only(tmp_path: Path) -> None:
    """Every round of every scenario as a section (all at once, as at the end of a session):
    a valid notebook with no hidden content."""
    for scenario in _catalog().scenarios.values():
        nb = build_session_notebook(
            {"id": 1, "scenario_id": scenario.id, "title": scenario.spec.title, "rounds": []}
        )
        for index, rnd in enumerate(scenario.rounds):
            cells = round_section(1, index, len(scenario.rounds), public_round(rnd, scenario.root))
            assert [round_of(c) for c in cells] == [rnd.id] * len(cells)
            nb.cells += cells
        path = tmp_path / f"{scenario.id}.ipynb"
        nbformat.write(nb, str(path))
        nbformat.validate(nbformat.read(str(path), as_version=4))
        assert_no_secrets(path, scenario)


# --------------------------------------------------------------------------------------------
# %%sql and run_sql in a real kernel
# --------------------------------------------------------------------------------------------


def _outputs_text(cell: Any) -> str:
    out = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            out.append(output.get("text", ""))
        elif "data" in output:
            out.append(output["data"].get("text/plain", ""))
            out.append(output["data"].get("text/html", ""))
        elif output.get("output_type") == "error":
            out.append(f"{output.get('ename')}: {output.get('evalue')}")
    return "\n".join(out)


def test_sql_magic_and_run_sql_explore_the_visible_tables_in_a_real_kernel(
    tmp_path: Path,
) -> None:
    from nbclient import NotebookClient

    scenario = _catalog().get("orders-warmup")
    first = scenario.rounds[0]
    assert isinstance(first, SqlRound)
    nb = build_session_notebook(
        {"id": 3, "scenario_id": scenario.id, "title": scenario.spec.title, "rounds": []}
    )
    nb.cells = [c for c in nb.cells if role(c) != "interview-bar"]  # no widget front end here
    nb.cells += round_section(3, 0, 4, scenario.public_round(first.id))
    answer = answer_cell(nb, first.id)
    answer.source = "%%sql\n" + first.solution
    probes = [
        "%%sql counts\nSELECT count(*) AS n FROM customers",
        "print('N', int(counts['n'][0]))",
        "df = run_sql('SELECT * FROM orders ORDER BY order_id')\n"
        "print('ROWS', len(df), list(df.columns))",
        "print('BIG', len(run_sql('SELECT * FROM range(1000)')))",
        "%%sql\nSELECT * FROM read_csv('/etc/passwd')",
        "import duckdb\n"
        "try:\n"
        "    run_sql(\"SELECT * FROM read_text('/etc/hostname')\")\n"
        "except duckdb.Error as exc:\n"
        "    print('REFUSED', type(exc).__name__)\n"
        "else:\n"
        "    print('READ A FILE')",
        "try:\n"
        '    run_sql("SET enable_external_access = true")\n'
        "except duckdb.Error as exc:\n"
        "    print('LOCKED', type(exc).__name__)",
        "%%sql\nCOPY (SELECT 1) TO 'leak.csv'",
        "import os\nprint('LEAK', os.path.exists('leak.csv'))",
        # The hidden datasets are nowhere in the kernel's explorer.
        "print('TABLES', sorted(__import__('kodelab_jupyter.sql_magic', fromlist=['x'])"
        ".table_names()))",
    ]
    nb.cells += [nbformat.v4.new_code_cell(p) for p in probes]
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    by_source = {c.source: _outputs_text(c) for c in nb.cells if c.cell_type == "code"}
    setup = next(c for c in nb.cells if role(c) == "interview-setup")
    shown = _outputs_text(setup)
    assert "customers: 4 rows" in shown and "orders: 6 rows" in shown
    assert "Ana" in shown  # the visible rows are displayed
    result = _outputs_text(answer)
    assert "total_revenue" in result and "Dara" in result  # the answer ran on visible data
    assert "N 4" in by_source[probes[1]]
    assert "ROWS 6 ['order_id', 'customer_id', 'amount', 'status']" in by_source[probes[2]]
    assert "BIG 200" in by_source[probes[3]]
    assert "first 200 rows" in by_source[probes[3]]
    passwd = by_source[probes[4]]
    assert "SQL error" in passwd and "disabled by configuration" in passwd
    assert "root:" not in passwd
    assert "REFUSED" in by_source[probes[5]]
    assert "LOCKED" in by_source[probes[6]]
    assert "SQL error" in by_source[probes[7]]
    assert "LEAK False" in by_source[probes[8]]
    assert "TABLES ['customers', 'orders']" in by_source[probes[9]]
    assert not (tmp_path / "leak.csv").exists()


# --------------------------------------------------------------------------------------------
# The round bar widget: Python side and ESM
# --------------------------------------------------------------------------------------------

SYNCED = {"session_id", "round_id", "error"}


def _code_of(js: str) -> str:
    js = re.sub(r"/\*.*?\*/", "", js, flags=re.S)
    return re.sub(r"(^|\s)//[^\n]*", r"\1", js)


def test_round_bar_syncs_only_ids_and_an_error() -> None:
    bar = round_bar(12)
    assert isinstance(bar, RoundBar)
    state = bar.get_state()
    assert {k: state[k] for k in SYNCED} == {"session_id": 12, "round_id": "", "error": ""}
    import ipywidgets  # only to know what every DOM widget syncs anyway

    inherited = set(ipywidgets.DOMWidget().keys) | {"_esm", "_css", "_anywidget_id"}
    assert set(bar.keys) - inherited == SYNCED
    controls = round_controls(12, "warm-up-quiz")
    assert (controls.session_id, controls.round_id, controls.error) == (12, "warm-up-quiz", "")
    assert round_bar("12").session_id == 12  # a string of digits is fine


@pytest.mark.parametrize("bad", [0, -3, 10**18, True, None, "abc", 1.5, "12; rm -rf /"])
def test_a_bad_session_id_is_an_error_state_not_a_traceback(bad: Any) -> None:
    bar = round_bar(bad)
    assert bar.session_id == 0
    assert "is not an interview session id" in bar.error


def test_bad_round_ids_and_missing_round_are_error_states() -> None:
    assert "is not a round id" in round_controls(12, "Bad Round!").error
    assert "needs a round id" in round_controls(12, "").error
    assert bar_state(5, "a-b-1") == {"session_id": 5, "round_id": "a-b-1", "error": ""}


def test_notebook_bar_cell_runs_in_a_kernel_namespace() -> None:
    """The generated bar and controls cells are valid Python that builds the widgets."""
    nb = build_session_notebook({"id": 41, "scenario_id": "quick-check", "rounds": []})
    namespace: dict[str, Any] = {}
    bar_cell = next(c for c in nb.cells if role(c) == "interview-bar")
    exec(compile(bar_cell.source, "<bar>", "exec"), namespace)
    scenario = _catalog().get("quick-check")
    cells = round_section(41, 0, 2, scenario.public_round("warm-up-quiz"))
    controls_cell = next(c for c in cells if role(c) == "interview-controls")
    exec(compile(controls_cell.source, "<controls>", "exec"), namespace)
    made = namespace["round_controls"](41, "warm-up-quiz")
    assert made.round_id == "warm-up-quiz"


def test_round_bar_esm_parses_and_never_handles_server_tokens(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    copy_ = tmp_path / "round_bar.mjs"
    copy_.write_text(ESM)
    subprocess.run([node, "--check", str(copy_)], check=True, capture_output=True)
    code = _code_of(ESM)
    assert "export default" in code
    assert "X-XSRFToken" in code and "credentials: 'same-origin'" in code
    for word in ("Authorization", "config.token", "innerHTML", "getOption('token'"):
        assert word not in code, word
    # The countdown turns amber in the last minute and says so in words.
    assert "WARN_MS = 60 * 1000" in code and "last minute" in code
    assert "Time's up" in code and "NEXT_ROUND_MS = 2000" in code
    state = round_bar(12).get_state()
    assert state["_esm"] == ESM and state["_css"] == CSS
    css = CSS
    assert ".BAR" not in css and ".kodelab-rb__timer--warning {" in css and "--jp-warn-color" in css
    assert "[data-jp-theme-light='false']" in css


# --------------------------------------------------------------------------------------------
# The round bar's ESM in jsdom, against this real server
# --------------------------------------------------------------------------------------------

JSDOM_DIRS = [REPO / "labextension" / "node_modules", REPO / "ui-tests" / "node_modules"]


def _jsdom_dir() -> Path | None:
    for folder in JSDOM_DIRS:
        if (folder / "jsdom" / "package.json").is_file():
            return folder
    return None


async def _run_harness(
    tmp_path: Path, jp_serverapp: Any, jp_auth_header: dict[str, str], *args: Any
) -> dict[str, Any]:
    import asyncio

    # ``jp_fetch`` (through ``api``) is what starts the HTTP server on jp_serverapp.port.
    node, modules = shutil.which("node"), _jsdom_dir()
    if node is None or modules is None:
        pytest.skip("node and jsdom (labextension/node_modules) are needed")
    harness = tmp_path / "harness.mjs"
    harness.write_text(HARNESS)
    esm = tmp_path / "round_bar.mjs"
    esm.write_text(ESM)
    origin = f"http://127.0.0.1:{jp_serverapp.port}"
    proc = await asyncio.create_subprocess_exec(
        node,
        str(harness),
        str(modules),
        str(esm),
        origin,
        jp_serverapp.base_url,
        jp_auth_header["Authorization"],
        *map(str, args),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=90)
    assert proc.returncode == 0, (out.decode() + err.decode())[-3000:]
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


async def test_the_round_bar_runs_a_session_in_a_browser_dom(
    api: Api, jp_root_dir: Path, jp_serverapp: Any, jp_auth_header: dict[str, str], tmp_path: Path
) -> None:
    """Quiz controls in the bar and the section (kept in sync), autosaved drafts, Submit, the
    next round, End interview with its confirmation, the scorecard and the share link."""
    view = await api.start("quick-check")
    result = await _run_harness(tmp_path, jp_serverapp, jp_auth_header, "full", view["id"])
    assert "/kodelab/api/shared/" in result["link"]
    state = await api.state(view["id"])
    assert [r["status"] for r in state["rounds"]] == ["submitted", "skipped"]
    assert state["rounds"][0]["score"] == 1.0 and state["shared"]


async def test_the_round_bar_shows_an_unknown_session_as_an_error(
    api: Api, jp_serverapp: Any, jp_auth_header: dict[str, str], tmp_path: Path
) -> None:
    """404 from the API: an error state (synced back to the kernel), every button off."""
    code, _ = await api.call("GET", "interview-sessions", "987654")
    assert code == 404
    await _run_harness(tmp_path, jp_serverapp, jp_auth_header, "unknown", 987654)


async def test_at_zero_the_round_bar_submits_once_and_opens_the_next_round_after_2_s(
    api: Api, jp_serverapp: Any, jp_auth_header: dict[str, str], tmp_path: Path
) -> None:
    from kodelab_jupyter.interview.engine import utcnow

    engine = engine_of(jp_serverapp)
    view = await api.start("quick-check")
    # The server's clock runs 56 s ahead: the bar (which follows the server's clock) sees
    # about 4 s left of round 1's minute.
    engine.clock = lambda: utcnow() + timedelta(seconds=56)
    result = await _run_harness(tmp_path, jp_serverapp, jp_auth_header, "timeup", view["id"])
    assert result["submits"] == 1
    assert result["pause_ms"] >= 1900
    state = await api.state(view["id"])
    first, second = state["rounds"]
    assert first["status"] == "submitted"  # by the bar, in time: not timed out by the server
    assert first["score"] == 0.5  # what was chosen: 2 + 2 right, primes unanswered
    assert second["status"] == "open"


# Drives static/round_bar.js in jsdom (a browser DOM in Node) against the real server above:
# fetch() goes to the server with the test token; everything else is the ESM as shipped.
HARNESS = r"""// Drives static/round_bar.js in jsdom against a real KodeLab server.
// argv: jsdomDir esmPath origin baseUrl authHeader flow args...
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [jsdomDir, esmPath, origin, base, auth, flow, ...args] = process.argv.slice(2);
const require = createRequire(`${jsdomDir}/`);
const { JSDOM } = require('jsdom');

const config = JSON.stringify({ baseUrl: base });
const dom = new JSDOM(
  `<!doctype html><html><body><script id="jupyter-config-data" type="application/json">${config}</script></body></html>`,
  { url: `${origin}${base}lab`, pretendToBeVisual: true },
);
globalThis.window = dom.window;
globalThis.document = dom.window.document;
globalThis.KeyboardEvent = dom.window.KeyboardEvent;
globalThis.Event = dom.window.Event;
Object.defineProperty(globalThis, 'navigator', { value: dom.window.navigator, configurable: true });
const realFetch = globalThis.fetch;
const calls = [];
globalThis.fetch = (url, init = {}) => {
  const target = new URL(url, `${origin}/`);
  calls.push(`${init.method || 'GET'} ${target.pathname}`);
  const headers = { ...(init.headers || {}), Authorization: auth };
  return realFetch(target, { method: init.method, body: init.body, headers });
};

const widget = (await import(pathToFileURL(esmPath).href)).default;

function fakeModel(state) {
  const handlers = new Map();
  return {
    state,
    saved: 0,
    get: (key) => state[key],
    set(key, value) {
      state[key] = value;
      for (const fn of handlers.get(`change:${key}`) || []) fn();
    },
    save_changes() {
      this.saved += 1;
    },
    on(event, fn) {
      handlers.set(event, [...(handlers.get(event) || []), fn]);
    },
    off(event, fn) {
      handlers.set(event, (handlers.get(event) || []).filter((f) => f !== fn));
    },
  };
}

function mount(state) {
  const el = document.createElement('div');
  document.body.append(el);
  const model = fakeModel({ session_id: 0, round_id: '', error: '', ...state });
  const dispose = widget.render({ model, el });
  return { el, model, dispose };
}

async function waitFor(what, check, timeout = 8000) {
  const until = Date.now() + timeout;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function api(method, path, body) {
  const response = await realFetch(`${origin}${base}${path}`, {
    method,
    headers: { Authorization: auth, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.json();
}

const text = (el) => el.textContent.replace(/\s+/g, ' ');
const q = (el, sel) => el.querySelector(sel);
const qa = (el, sel) => [...el.querySelectorAll(sel)];
const out = {};

if (flow === 'full') {
  const sid = Number(args[0]);
  const bar = mount({ session_id: sid });
  const section = mount({ session_id: sid, round_id: 'warm-up-quiz' });
  await waitFor('round 1 in the bar', () => text(bar.el).includes('Round 1 of 2'));
  await waitFor('quiz controls', () => qa(bar.el, 'input[type=radio]').length === 3);
  await waitFor('section controls', () => qa(section.el, 'input[type=radio]').length === 3);
  assert.match(text(bar.el), /Quick Check/);
  assert.match(text(bar.el), /Warm-up quiz/);
  assert.equal(q(bar.el, '.kodelab-rb').getAttribute('role'), 'region');
  assert.match(q(bar.el, '.kodelab-rb').getAttribute('aria-label'), /KodeLab interview: Quick Check/);
  // 1-minute rounds: the countdown is amber from the start and says so in words.
  const timer = q(bar.el, '.kodelab-rb__timer');
  await waitFor('amber timer', () => timer.classList.contains('kodelab-rb__timer--warning'));
  assert.match(timer.textContent, /(1:00|0:[0-5]\d) left · last minute/);
  assert.equal(timer.getAttribute('role'), 'timer');
  assert.equal(q(bar.el, '.kodelab-rb__sr-only').textContent, 'One minute left in this round.');
  // The quiz: a radio group and a checkbox group, each in a fieldset with a legend.
  const [sumSet, primesSet] = qa(bar.el, 'fieldset');
  assert.match(q(sumSet, 'legend').textContent, /What is 2 \+ 2\?/);
  assert.match(q(primesSet, 'legend').textContent, /select all that apply/);
  assert.equal(qa(primesSet, 'input[type=checkbox]').length, 4);
  assert.ok(qa(bar.el, 'label input').length === 7, 'every option is in its label');
  // Answer in both views: they share one answer and never overwrite each other.
  qa(section.el, 'fieldset')[0].querySelectorAll('input')[1].click();
  const primes = qa(bar.el, 'fieldset')[1].querySelectorAll('input');
  primes[0].click();
  primes[2].click();
  await waitFor('sync to the bar', () => qa(bar.el, 'fieldset')[0].querySelectorAll('input')[1].checked);
  await waitFor('sync to the section', () => {
    const boxes = qa(section.el, 'fieldset')[1].querySelectorAll('input');
    return boxes[0].checked && boxes[2].checked && !boxes[1].checked;
  });
  await waitFor('draft saved', () => text(bar.el).includes('Draft saved'));
  const state = await api('GET', `kodelab/api/interview-sessions/${sid}`);
  assert.deepEqual(state.rounds[0].draft, { sum: 1, primes: [0, 2] });
  // Submit from the bar: round 2 (code) opens; its cells are in the notebook file.
  const submit = qa(bar.el, 'button').find((b) => b.textContent.includes('Submit'));
  assert.equal(submit.getAttribute('aria-label'), 'Submit this round');
  submit.click();
  await waitFor('round 2', () => text(bar.el).includes('Round 2 of 2'));
  assert.match(text(bar.el), /Round 1 submitted\./);
  assert.match(text(bar.el), /Add two numbers/);
  assert.match(text(bar.el), /answer cell of Round 2/);
  assert.match(q(bar.el, '.kodelab-rb__notice').textContent, /Reload Notebook from Disk/);
  assert.equal(qa(bar.el, 'input').length, 0, 'no controls for a code round');
  await waitFor('section closed', () => text(section.el).includes('Submitted'));
  assert.ok(qa(section.el, 'button').every((b) => b.hidden), 'no Submit in a closed section');
  // End interview asks first; Escape or "Keep going" keeps going.
  const end = qa(bar.el, 'button').find((b) => b.textContent === 'End interview');
  const confirm = q(bar.el, '[role=alertdialog]');
  assert.ok(confirm.hidden);
  end.click();
  assert.ok(!confirm.hidden);
  assert.match(confirm.textContent, /cannot be undone/);
  assert.equal(document.activeElement.textContent, 'Keep going');
  confirm.dispatchEvent(new dom.window.KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
  assert.ok(confirm.hidden);
  assert.equal((await api('GET', `kodelab/api/interview-sessions/${sid}`)).status, 'active');
  end.click();
  qa(confirm, 'button').find((b) => b.textContent === 'End interview').click();
  await waitFor('scorecard', () => q(bar.el, 'table.kodelab-rb__card'));
  assert.match(text(bar.el), /Interview finished · overall 50%/);
  const rows = qa(bar.el, 'table.kodelab-rb__card tbody tr').map((r) => qa(r, 'td').map((td) => td.textContent).join(' '));
  assert.equal(rows.length, 2);
  assert.match(rows[0], /Warm-up quiz Submitted 100%/);
  assert.match(rows[1], /Add two numbers Skipped 0%/);
  const png = q(bar.el, 'a[download]');
  assert.equal(new URL(png.href).pathname, `${base}kodelab/api/interview-sessions/${sid}/scorecard.png`);
  assert.ok(qa(bar.el, 'button').filter((b) => !b.closest('[hidden]')).every((b) => !/Submit|End interview/.test(b.textContent)));
  qa(bar.el, 'button').find((b) => b.textContent.includes('Copy share link')).click();
  const link = await waitFor('share link', () => {
    const input = q(bar.el, 'input.kodelab-rb__link');
    return input && !input.hidden && input.value;
  });
  assert.match(new URL(link).pathname, new RegExp(`^${base}kodelab/api/shared/[A-Za-z0-9_-]+$`));
  const shared = await (await realFetch(link, { headers: { Authorization: auth } })).json();
  assert.equal(shared.overall_percent, 50);
  await waitFor('section score', () => text(section.el).includes('Submitted · score 100%'));
  out.link = link;
  bar.dispose();
  section.dispose();
} else if (flow === 'unknown') {
  const bar = mount({ session_id: Number(args[0]) });
  await waitFor('error state', () => text(bar.el).includes('Unknown interview session')).catch(
    (err) => {
      throw new Error(`${err.message}: ${text(bar.el)} ${JSON.stringify(calls)}`);
    },
  );
  assert.match(bar.model.get('error'), /Unknown interview session/);
  assert.ok(bar.model.saved >= 1, 'the error is synced back to the kernel');
  assert.ok(q(bar.el, '[role=alert]'));
  assert.ok(qa(bar.el, 'button').every((b) => b.disabled || b.closest('[hidden]')));
  bar.dispose();
} else if (flow === 'timeup') {
  const sid = Number(args[0]);
  const bar = mount({ session_id: sid });
  await waitFor('quiz controls', () => qa(bar.el, 'input[type=radio]').length === 3);
  qa(bar.el, 'fieldset')[0].querySelectorAll('input')[1].click();
  const timer = q(bar.el, '.kodelab-rb__timer');
  await waitFor("time's up", () => timer.textContent.includes("Time's up"), 15000);
  const upAt = Date.now();
  assert.ok(timer.classList.contains('kodelab-rb__timer--expired'));
  await waitFor('auto-submitted', () => text(bar.el).includes('submitted automatically'), 8000);
  await waitFor('round 2', () => text(bar.el).includes('Round 2 of 2'), 8000);
  out.pause_ms = Date.now() - upAt;
  const keys = Object.keys(window.localStorage).filter((k) => k.includes(`:${sid}:warm-up-quiz:`));
  assert.equal(keys.length, 1, 'the auto-submit guard is stored');
  out.submits = calls.filter((c) => c.endsWith('/submit')).length;
  bar.dispose();
}

console.log(JSON.stringify({ ok: true, ...out }));
process.exit(0);
"""
