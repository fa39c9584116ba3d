"""Interview scenario content: loading, file:line validation, public views, scoring, lobby."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

from kodelab_jupyter.content.errors import ContentError, ContentIssue
from kodelab_jupyter.content.model import DatasetSpec
from kodelab_jupyter.content.model import TestSpec as ChallengeTestSpec
from kodelab_jupyter.content.sqldata import read_csv_file
from kodelab_jupyter.interview.loader import (
    SHIPPED_INTERVIEWS,
    InterviewCatalog,
    Scenario,
    load_scenario,
    lobby_index,
    public_round,
    public_scenario,
    reference_answers,
    scenario_files,
)
from kodelab_jupyter.interview.model import (
    CATEGORIES,
    LEVELS,
    ArchitectureRound,
    ModelingRound,
    PythonDebugRound,
    PythonRound,
    QuizRound,
    SqlDebugRound,
    SqlRound,
    score_architecture,
    score_modeling,
    score_quiz,
)

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "interviews"
QUICK_CHECK = FIXTURES / "coding" / "junior" / "quick-check.yaml"

# A valid scenario with one round of every kind; the error tests edit one fragment of it.
GOOD = """\
id: all-kinds
title: All kinds of rounds
category: coding
level: mid
description: One round of each type.
estimated_minutes: 30
tags: [test]
rounds:
  - id: revenue
    type: sql
    time_minutes: 5
    title: Revenue
    description: Sum the amounts per region.
    initial_code: "SELECT region FROM orders"
    tables:
      - name: orders
        columns: {order_id: INTEGER, region: VARCHAR, amount: DOUBLE}
        rows:
          - [1, EU, 10.5]
          - [2, US, 3.0]
    expected_output: data/revenue_example.csv
    hidden_tables:
      - name: from-csv
        tables:
          - name: orders
            columns: {order_id: INTEGER, region: VARCHAR, amount: DOUBLE}
            csv: data/orders_hidden.csv
        expected_output: data/revenue_hidden.csv
    solution: "SELECT region, SUM(amount) AS revenue FROM orders GROUP BY region"
  - id: add
    type: python
    time_minutes: 5
    title: Add
    description: Add two numbers.
    initial_code: |
      def add(a, b):
          ...
    entrypoint: add
    solution: |
      def add(a, b):
          return a + b
    tests:
      - {name: example, visible: true, args: [1, 2], expected: 3}
      - {name: secret, group: big, args: [40000, 2], expected: 40002}
  - id: fix-count
    type: debug
    language: sql
    time_minutes: 5
    title: Fix the count
    description: Count the orders.
    initial_code: "SELECT COUNT(amount) AS n FROM orders"
    tables:
      - name: orders
        columns: {order_id: INTEGER, amount: DOUBLE}
        rows: [[1, null], [2, 3.0]]
    hidden_tables:
      - name: empty-amounts
        tables:
          - name: orders
            columns: {order_id: INTEGER, amount: DOUBLE}
            rows: [[7, null]]
    solution: "SELECT COUNT(*) AS n FROM orders"
  - id: fix-add
    type: debug
    language: python
    time_minutes: 5
    title: Fix add
    description: It subtracts.
    initial_code: |
      def add(a, b):
          return a - b
    entrypoint: add
    solution: |
      def add(a, b):
          return a + b
    tests:
      - {name: example, visible: true, args: [1, 2], expected: 3}
  - id: basics
    type: quiz
    time_minutes: 2
    title: Basics
    description: Two questions.
    questions:
      - id: one
        prompt: Pick B.
        options: [A, B, C]
        correct_answer: 1
        explanation: Because B.
      - id: many
        prompt: Pick A and C.
        options: [A, B, C]
        correct_answer: [0, 2]
  - id: design
    type: architecture
    time_minutes: 5
    title: Design
    description: Connect a source to a sink.
    palette:
      - {id: source, label: Source}
      - {id: queue, label: Queue}
      - {id: sink, label: Sink}
      - {id: laptop, label: Laptop cron}
    required: [source, sink]
    acceptable: [queue]
    wrong: [laptop]
    required_connections:
      - [source, sink]
  - id: star
    type: modeling
    time_minutes: 5
    title: Star
    description: Place the fields.
    entities:
      - {id: fact, label: Fact}
      - {id: dim, label: Dimension}
    fields:
      - {id: amount, label: amount, entity: fact}
      - {id: city, label: city, entity: dim}
"""

CSV_FILES = {
    "data/revenue_example.csv": "region,revenue\nEU,10.5\nUS,3.0\n",
    "data/orders_hidden.csv": "order_id,region,amount\n1,APAC,\n2,APAC,4.25\n",
    "data/revenue_hidden.csv": "region,revenue\nAPAC,4.25\n",
}


def csv_rows(path: Path) -> list[list[str | None]]:
    return [record for _, record in read_csv_file(path).records]


def write_scenario(
    root: Path,
    text: str = GOOD,
    category: str = "coding",
    level: str = "mid",
    name: str = "all-kinds",
    files: dict[str, str] | None = None,
) -> Path:
    """Write ``<root>/<category>/<level>/<name>.yaml`` (+ its CSV files); return the path."""
    folder = root / category / level
    folder.mkdir(parents=True, exist_ok=True)
    for rel, content in (CSV_FILES if files is None else files).items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(content)
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


def edit(old: str, new: str, text: str = GOOD) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def line_of_text(text: str, fragment: str, occurrence: int = 1) -> int:
    """The 1-based line of the n-th line containing ``fragment`` (``fragment@n`` also works)."""
    if "@" in fragment:
        fragment, _, nth = fragment.rpartition("@")
        occurrence = int(nth)
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if fragment in line]
    return hits[occurrence - 1]


def all_issues(path: Path) -> list[ContentIssue]:
    with pytest.raises(ContentError) as info:
        load_scenario(path)
    for issue in info.value.issues:
        assert str(issue) == f"{issue.path}:{issue.line}: {issue.message}"
    return info.value.issues


def issues(path: Path) -> list[tuple[int, str]]:
    """(line, message) of the issues located in the scenario YAML itself."""
    return [(i.line, i.message) for i in all_issues(path) if i.path == path]


def csv_issues(path: Path, rel: str) -> list[tuple[int, str]]:
    """(line, message) of the issues located in one of the scenario's CSV files."""
    return [(i.line, i.message) for i in all_issues(path) if i.path == path.parent / rel]


def assert_issue(found: list[tuple[int, str]], line: int, fragment: str) -> None:
    assert any(ln == line and fragment in msg for ln, msg in found), found


# --------------------------------------------------------------------------- shipped content


@functools.cache
def shipped_catalog() -> InterviewCatalog:
    """The shipped catalog, loaded once (loading casts every dataset in DuckDB)."""
    return InterviewCatalog([SHIPPED_INTERVIEWS])


def shipped() -> list[Scenario]:
    return list(shipped_catalog().scenarios.values())


def test_shipped_scenarios_all_load_one_per_category_and_level() -> None:
    catalog = shipped_catalog()
    assert catalog.issues == []
    assert len(catalog.scenarios) >= 8
    for category in CATEGORIES:
        for level in LEVELS:
            assert catalog.filter(category, level), (category, level)
    for scenario in catalog.scenarios.values():
        spec = scenario.spec
        assert scenario.path.parent.name == spec.level
        assert scenario.path.parent.parent.name == spec.category
        assert spec.estimated_minutes >= sum(r.time_minutes for r in spec.rounds), spec.id
        types = {r.type for r in spec.rounds}
        if spec.category == "coding":
            assert 3 <= len(spec.rounds) <= 5, spec.id
            assert {"sql", "python", "debug", "quiz"} <= types, spec.id
        else:
            assert {"architecture", "modeling", "quiz"} <= types, spec.id
    assert "quick-check" not in catalog.scenarios


def test_shipped_sql_and_python_rounds_have_visible_and_hidden_data() -> None:
    for scenario in shipped():
        for rnd in scenario.rounds:
            if isinstance(rnd, (SqlRound, SqlDebugRound)):
                datasets = rnd.datasets
                assert datasets[0].visible and all(not d.visible for d in datasets[1:])
                assert len(datasets) >= 2
                for dataset in datasets:
                    for table in dataset.tables:
                        rows = table.rows
                        if rows is None:
                            assert table.csv is not None
                            rows = csv_rows(scenario.root / table.csv)
                        assert len(rows) <= 30, (scenario.id, rnd.id, dataset.name)
            elif isinstance(rnd, (PythonRound, PythonDebugRound)):
                assert rnd.visible_tests and len(rnd.visible_tests) < len(rnd.tests)
            if isinstance(rnd, (SqlDebugRound, PythonDebugRound)):
                assert rnd.initial_code.strip() and rnd.initial_code != rnd.solution


def test_reference_answers_cover_every_round_and_score_full_marks() -> None:
    for scenario in [*shipped(), load_scenario(QUICK_CHECK)]:
        refs = reference_answers(scenario)
        assert list(refs) == [r.id for r in scenario.rounds]
        for rnd in scenario.rounds:
            answer = refs[rnd.id]
            if isinstance(rnd, QuizRound):
                assert score_quiz(rnd, answer) == 1.0
            elif isinstance(rnd, ArchitectureRound):
                assert score_architecture(rnd, answer["components"], answer["connections"]) == 1.0
            elif isinstance(rnd, ModelingRound):
                assert score_modeling(rnd, answer) == 1.0
            else:
                assert answer == rnd.solution and answer.strip()


def test_quick_check_fixture_is_tiny_and_outside_the_shipped_lobby() -> None:
    scenario = load_scenario(QUICK_CHECK)
    assert [(r.type, r.time_minutes) for r in scenario.rounds] == [("quiz", 1), ("python", 1)]
    assert QUICK_CHECK not in scenario_files([SHIPPED_INTERVIEWS])


# --------------------------------------------------------------------------- models


def test_a_valid_scenario_loads_with_datasets_groups_and_a_content_hash(tmp_path: Path) -> None:
    path = write_scenario(tmp_path)
    scenario = load_scenario(path)
    assert scenario.id == "all-kinds" and scenario.root == path.parent
    sql = scenario.round("revenue")
    assert isinstance(sql, SqlRound) and sql.language == "sql"
    assert [(d.name, d.visible) for d in sql.datasets] == [("example", True), ("from-csv", False)]
    assert all(isinstance(d, DatasetSpec) for d in sql.datasets)
    assert sql.datasets[0].expected_output == "data/revenue_example.csv"
    assert sql.compare.ordered is False and sql.question_type == "write"
    python = scenario.round("add")
    assert isinstance(python, PythonRound) and isinstance(python.tests[0], ChallengeTestSpec)
    assert list(python.groups) == ["example", "big"]
    assert isinstance(scenario.round("fix-count"), SqlDebugRound)
    assert isinstance(scenario.round("fix-add"), PythonDebugRound)
    assert scenario.round("fix-add").question_type == "fix"
    assert scenario.round("basics").language is None
    with pytest.raises(KeyError):
        scenario.round("nope")
    # the hash covers the CSV files too
    before = scenario.content_hash
    (path.parent / "data/orders_hidden.csv").write_text("order_id,region,amount\n1,APAC,1\n")
    assert load_scenario(path).content_hash != before


# --------------------------------------------------------------------------- validation errors


ERROR_CASES: list[tuple[str, str, str, str]] = [
    # (old fragment, new fragment, fragment of the line the issue must point at, message part)
    ("    type: quiz\n", "    type: poll\n", "type: poll", "unknown round type 'poll'"),
    ("tags: [test]\n", "tags: [test]\ncolour: blue\n", "colour: blue", "unknown key 'colour'"),
    (
        "        correct_answer: 1\n",
        "        correct_answer: 1\n        weight: 2\n",
        "weight: 2",
        "unknown key 'weight'",
    ),
    (
        "        correct_answer: 1\n",
        "        correct_answer: 3\n",
        "correct_answer: 3",
        "index 3 is out of range (0..2)",
    ),
    (
        "        correct_answer: [0, 2]\n",
        "        correct_answer: [0, 5]\n",
        "correct_answer: [0, 5]",
        "index 5 is out of range",
    ),
    ("    time_minutes: 2\n", "    time_minutes: 0\n", "time_minutes: 0", "greater than 0"),
    ("    time_minutes: 2\n", "    time_minutes: -3\n", "time_minutes: -3", "greater than 0"),
    (
        "    required: [source, sink]\n",
        "    required: [source, sink, database]\n",
        "required: [source, sink, database]",
        "'database' is not a component of the palette",
    ),
    (
        "    wrong: [laptop]\n",
        "    wrong: [laptop, mainframe]\n",
        "wrong: [laptop, mainframe]",
        "'mainframe' is not a component",
    ),
    (
        "      - [source, sink]\n",
        "      - [source, lake]\n",
        "- [source, lake]",
        "'lake' is not a component",
    ),
    (
        "    acceptable: [queue]\n",
        "    acceptable: [queue, laptop]\n",
        "wrong: [laptop]",
        "wrong: 'laptop' is already listed in acceptable",
    ),
    (
        "{id: city, label: city, entity: dim}",
        "{id: city, label: city, entity: bridge}",
        "entity: bridge",
        "entity 'bridge' is not declared",
    ),
    ("  - id: star\n", "  - id: design\n", "  - id: design@2", "duplicate round id 'design'"),
    (
        "category: coding\n",
        "category: system_design\n",
        "category: system_design",
        "does not match the folder 'coding'",
    ),
    ("level: mid\n", "level: senior\n", "level: senior", "does not match the folder 'mid'"),
    ("id: all-kinds\n", "id: other-name\n", "id: other-name", "does not match the file name"),
    (
        "    type: debug\n    language: sql\n",
        "    type: debug\n",
        "type: debug",
        "debug rounds need 'language: sql' or 'language: python'",
    ),
    (
        "    language: python\n",
        "    language: ruby\n",
        "language: ruby",
        "debug rounds need 'language",
    ),
    (
        "    entrypoint: add\n    solution: |\n      def add(a, b):\n          return a + b\n    tests:\n"
        "      - {name: example, visible: true, args: [1, 2], expected: 3}\n      - {name: secret",
        "    entrypoint: plus\n    solution: |\n      def add(a, b):\n          return a + b\n    tests:\n"
        "      - {name: example, visible: true, args: [1, 2], expected: 3}\n      - {name: secret",
        "    solution: |",
        "does not define the entrypoint 'plus'",
    ),
    (
        "      - {name: example, visible: true, args: [1, 2], expected: 3}\n      - {name: secret",
        "      - {name: example, args: [1, 2], expected: 3}\n      - {name: secret",
        "    tests:",
        "at least one test must be visible",
    ),
    (
        "    title: Basics\n",
        "    title: Basics\n    language: sql\n",
        "language: sql@2",
        "a quiz round takes no 'language'",
    ),
    (
        "    title: Design\n",
        "    title: Design\n    question_type: write\n",
        "question_type: write",
        "does not fit a round of type 'architecture'",
    ),
    ("estimated_minutes: 30\n", "", "id: all-kinds", "missing required key 'estimated_minutes'"),
    (
        "        options: [A, B, C]\n        correct_answer: 1\n",
        "        options: [A, B, C]\n        correct_answer: one\n",
        "correct_answer: one",
        "rounds.4.questions.0.correct_answer",
    ),
]


@pytest.mark.parametrize(("old", "new", "at", "message"), ERROR_CASES)
def test_every_error_kind_names_file_and_line(
    tmp_path: Path, old: str, new: str, at: str, message: str
) -> None:
    text = edit(old, new)
    path = write_scenario(tmp_path, text)
    assert_issue(issues(path), line_of_text(text, at), message)


def test_expected_csv_that_does_not_parse_points_into_the_csv(tmp_path: Path) -> None:
    files = dict(CSV_FILES)
    files["data/revenue_hidden.csv"] = 'region,revenue\nAPAC,4.25\n"EU,1.0\n'
    found = csv_issues(write_scenario(tmp_path, files=files), "data/revenue_hidden.csv")
    assert_issue(found, 3, "bad CSV: unterminated quoted field")


def test_expected_csv_with_ragged_rows_is_rejected(tmp_path: Path) -> None:
    files = dict(CSV_FILES)
    files["data/revenue_example.csv"] = "region,revenue\nEU,10.5\nUS,3.0,extra\n"
    found = csv_issues(write_scenario(tmp_path, files=files), "data/revenue_example.csv")
    assert_issue(found, 3, "record has 3 field(s), the header has 2")


def test_expected_csv_columns_must_agree_across_datasets(tmp_path: Path) -> None:
    files = dict(CSV_FILES)
    files["data/revenue_hidden.csv"] = "area,total\nAPAC,4.25\n"
    found = issues(write_scenario(tmp_path, files=files))
    assert_issue(
        found,
        line_of_text(GOOD, "expected_output: data/revenue_hidden.csv"),
        "expected_output columns (area, total) do not match",
    )


def test_table_csv_columns_must_match_the_declared_ones(tmp_path: Path) -> None:
    files = dict(CSV_FILES)
    files["data/orders_hidden.csv"] = "order_id,amount,region\n1,2.0,EU\n"
    found = csv_issues(write_scenario(tmp_path, files=files), "data/orders_hidden.csv")
    assert_issue(found, 1, "CSV header columns (order_id, amount, region) do not match")


def test_table_values_must_cast_to_the_declared_types(tmp_path: Path) -> None:
    files = dict(CSV_FILES)
    files["data/orders_hidden.csv"] = "order_id,region,amount\n1,APAC,1.5\nx,APAC,2\n"
    found = csv_issues(write_scenario(tmp_path, files=files), "data/orders_hidden.csv")
    assert found and found[0][0] == 3 and "order_id" in found[0][1]
    text = edit("          - [2, US, 3.0]\n", "          - [2, US, lots]\n")
    found = issues(write_scenario(tmp_path / "b", text))
    assert any(ln == line_of_text(text, "[2, US, lots]") and "amount" in m for ln, m in found)
    text = edit(
        "columns: {order_id: INTEGER, amount: DOUBLE}\n        rows: [[1, null]",
        "columns: {order_id: INTEGR, amount: DOUBLE}\n        rows: [[1, null]",
    )
    found = issues(write_scenario(tmp_path / "c", text))
    assert any(ln == line_of_text(text, "INTEGR") for ln, _ in found), found


def test_missing_and_escaping_csv_files_are_errors(tmp_path: Path) -> None:
    text = edit("expected_output: data/revenue_hidden.csv", "expected_output: ../../../secret.csv")
    files = {k: v for k, v in CSV_FILES.items() if k != "data/orders_hidden.csv"}
    found = issues(write_scenario(tmp_path, text, files=files))
    assert_issue(
        found,
        line_of_text(text, "csv: data/orders_hidden.csv"),
        "file 'data/orders_hidden.csv' does not exist",
    )
    assert_issue(found, line_of_text(text, "../../../secret.csv"), "points outside")


def test_hidden_datasets_must_declare_the_visible_tables(tmp_path: Path) -> None:
    text = edit(
        "            columns: {order_id: INTEGER, amount: DOUBLE}\n            rows: [[7, null]]",
        "            columns: {order_id: BIGINT, amount: DOUBLE}\n            rows: [[7, null]]",
    )
    found = issues(write_scenario(tmp_path, text))
    assert_issue(
        found, line_of_text(text, "order_id: BIGINT"), "must declare the same columns and types"
    )
    text = edit(
        "          - name: orders\n            columns: {order_id: INTEGER, amount: DOUBLE}\n"
        "            rows: [[7, null]]",
        "          - name: sales\n            columns: {order_id: INTEGER, amount: DOUBLE}\n"
        "            rows: [[7, null]]",
    )
    found = issues(write_scenario(tmp_path / "b", text))
    assert_issue(
        found,
        line_of_text(text, "- name: empty-amounts") + 1,
        "must declare the same tables as the visible one (orders)",
    )


def test_sql_round_shape_errors_point_at_their_key(tmp_path: Path) -> None:
    text = edit("          - [2, US, 3.0]\n", "          - [2, US]\n")
    found = issues(write_scenario(tmp_path, text))
    assert_issue(found, line_of_text(text, "- name: orders"), "row 2 has 2 values")
    text = edit(
        "      - name: empty-amounts\n", "      - name: empty-amounts\n        visible: true\n"
    )
    found = issues(write_scenario(tmp_path / "b", text))
    assert_issue(found, line_of_text(text, "hidden_tables:", 2), "cannot be visible")
    text = edit("      - name: from-csv\n", "      - name: example\n")
    found = issues(write_scenario(tmp_path / "c", text))
    assert_issue(found, line_of_text(text, "hidden_tables:"), "duplicate dataset name 'example'")


def test_debug_round_without_buggy_code_and_syntax_errors(tmp_path: Path) -> None:
    text = edit("    initial_code: |\n      def add(a, b):\n          return a - b\n", "")
    found = issues(write_scenario(tmp_path, text))
    assert_issue(found, line_of_text(text, "- id: fix-add"), "needs the buggy code")
    text = edit("          return a - b\n", "          return a -\n")
    found = issues(write_scenario(tmp_path / "b", text))
    assert_issue(found, line_of_text(text, "return a -"), "initial_code: syntax error")


def test_all_errors_are_reported_not_just_the_first(tmp_path: Path) -> None:
    text = edit("    time_minutes: 2\n", "    time_minutes: 0\n")
    text = edit("    type: quiz\n", "    type: poll\n", text)
    text = edit("tags: [test]\n", "tags: [test]\ncolour: blue\n", text)
    found = issues(write_scenario(tmp_path, text))
    assert len(found) >= 2
    lines = {ln for ln, _ in found}
    assert line_of_text(text, "colour: blue") in lines
    assert line_of_text(text, "type: poll") in lines
    text = edit("  - id: star\n", "  - id: design\n")
    text = edit("{id: city, label: city, entity: dim}", "{id: city, label: city, entity: x}", text)
    text = edit("        correct_answer: 1\n", "        correct_answer: 9\n", text)
    found = issues(write_scenario(tmp_path / "b", text))
    assert len(found) == 3


def test_yaml_syntax_errors_and_non_mappings(tmp_path: Path) -> None:
    found = issues(write_scenario(tmp_path, GOOD + "  - [unclosed\n"))
    assert found and "YAML syntax error" in found[0][1]
    found = issues(write_scenario(tmp_path / "b", "- just\n- a list\n"))
    assert found == [(1, "a scenario file must be a mapping")]


def test_catalog_reports_issues_and_duplicate_ids(tmp_path: Path) -> None:
    write_scenario(tmp_path)
    write_scenario(tmp_path, edit("level: mid\n", "level: senior\n"), level="senior")
    write_scenario(
        tmp_path, edit("    type: quiz\n", "    type: poll\n"), name="broken", level="staff"
    )
    catalog = InterviewCatalog([tmp_path])
    assert list(catalog.scenarios) == ["all-kinds"]
    messages = [str(i) for i in catalog.issues]
    assert any("duplicate scenario id 'all-kinds'" in m for m in messages)
    assert any("broken.yaml" in m and "does not match the file name" in m for m in messages)
    assert any("unknown round type 'poll'" in m for m in messages)


# --------------------------------------------------------------------------- public views

FORBIDDEN_KEYS = {
    "solution",
    "hidden_tables",
    "expected_output",
    "correct_answer",
    "explanation",
    "required",
    "acceptable",
    "wrong",
    "required_connections",
    "entity",
    "hints",
    "tests",
    "datasets",
    "compare",
}


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _secrets(scenario: Scenario, rnd: Any) -> list[str]:
    """Values that exist only in the hidden part of a round (long enough to be telling)."""
    shown = json.dumps(
        [
            rnd.description,
            rnd.initial_code,
            rnd.title,
            [t.model_dump() for t in getattr(rnd, "tables", [])],
            [t.model_dump() for t in getattr(rnd, "visible_tests", [])],
        ],
        default=str,
    )
    if isinstance(rnd, (SqlRound, SqlDebugRound)):
        for table in rnd.tables:
            if table.csv:
                shown += json.dumps(csv_rows(scenario.root / table.csv))
    secrets: list[str] = list(rnd.hints)
    for text in _strings([rnd.model_dump().get("solution")]):
        secrets += [ln.strip() for ln in text.splitlines() if len(ln.strip()) >= 12]
    if isinstance(rnd, (SqlRound, SqlDebugRound)):
        for dataset in rnd.hidden_tables:
            for table in dataset.tables:
                cells: list[list[Any]] = (
                    table.rows or [] if table.csv is None else csv_rows(scenario.root / table.csv)
                )
                secrets += [str(v) for row in cells for v in row if v is not None]
        for dataset in rnd.datasets:
            if dataset.expected_output:
                expected = csv_rows(scenario.root / dataset.expected_output)
                secrets += [str(v) for row in expected for v in row if v is not None]
    elif isinstance(rnd, (PythonRound, PythonDebugRound)):
        for test in rnd.tests:
            if not test.visible:
                if test.code:
                    secrets += [
                        ln.strip() for ln in test.code.splitlines() if len(ln.strip()) >= 12
                    ]
                secrets += [json.dumps(test.args), json.dumps(test.expected)]
    elif isinstance(rnd, QuizRound):
        secrets += [q.explanation for q in rnd.questions]
    elif isinstance(rnd, ModelingRound):
        secrets += [f.explanation for f in rnd.fields]
    return [
        s for s in secrets if len(s) >= 4 and s not in shown and s not in ("true", "false", "null")
    ]


def test_public_views_leak_nothing_hidden() -> None:
    scenarios = [*shipped(), load_scenario(QUICK_CHECK)]
    checked = 0
    for scenario in scenarios:
        overview = public_scenario(scenario)
        overview_json = json.dumps(overview)
        assert not _keys(overview) & FORBIDDEN_KEYS
        for entry in overview["rounds"]:
            assert set(entry) == {"index", "id", "title", "type", "time_minutes"}
        for rnd in scenario.rounds:
            # later rounds' content never shows in the scenario view
            for text in (rnd.description, rnd.initial_code, *rnd.hints):
                if len(text.strip()) >= 12:
                    assert text not in overview_json, (scenario.id, rnd.id)
            view = public_round(rnd, scenario.root)
            assert scenario.public_round(rnd.id) == view
            view_json = json.dumps(view)
            assert not _keys(view) & FORBIDDEN_KEYS, (
                scenario.id,
                rnd.id,
                _keys(view) & FORBIDDEN_KEYS,
            )
            for secret in _secrets(scenario, rnd):
                assert secret not in view_json, (scenario.id, rnd.id, secret)
                checked += 1
            if isinstance(rnd, ArchitectureRound):
                assert [c["id"] for c in view["palette"]] == rnd.palette_ids
            if isinstance(rnd, ModelingRound):
                assert all(set(f) == {"id", "label"} for f in view["fields"])
            if isinstance(rnd, QuizRound):
                for q, shown in zip(rnd.questions, view["questions"], strict=True):
                    assert set(shown) == {"id", "prompt", "options", "multi_select"}
                    assert shown["multi_select"] == q.multi_select
    assert checked > 500


def test_public_round_shows_the_visible_data(tmp_path: Path) -> None:
    scenario = load_scenario(write_scenario(tmp_path))
    sql = public_round(scenario.round("revenue"), scenario.root)
    assert sql["tables"] == [
        {
            "name": "orders",
            "columns": {"order_id": "INTEGER", "region": "VARCHAR", "amount": "DOUBLE"},
            "rows": [[1, "EU", 10.5], [2, "US", 3.0]],
        }
    ]
    assert sql["hidden_dataset_count"] == 1 and "APAC" not in json.dumps(sql)
    py = public_round(scenario.round("add"))
    assert [t["name"] for t in py["visible_tests"]] == ["example"]
    assert py["hidden_test_count"] == 1 and "40002" not in json.dumps(py)
    assert py["entrypoint"] == "add" and py["hint_count"] == 0
    shipped_csv = next(s for s in shipped() if s.id == "clickstream-dedup-sessions")
    view = shipped_csv.public_round("dedupe-events")
    assert view["tables"][0]["rows"][0][0] == "e-001"


# --------------------------------------------------------------------------- scoring


def _round(scenario: Scenario, round_id: str) -> Any:
    return scenario.round(round_id)


def test_score_quiz_single_and_multi_select(tmp_path: Path) -> None:
    quiz = _round(load_scenario(write_scenario(tmp_path)), "basics")
    assert score_quiz(quiz, {"one": 1, "many": [0, 2]}) == 1.0
    assert score_quiz(quiz, {"one": 1, "many": [2, 0]}) == 1.0  # order does not matter
    assert score_quiz(quiz, {"one": 1, "many": [0]}) == 0.5  # partial multi-select is wrong
    assert score_quiz(quiz, {"one": 1, "many": [0, 1, 2]}) == 0.5  # extra option is wrong
    assert score_quiz(quiz, {"one": [1], "many": [0, 2]}) == 1.0
    assert score_quiz(quiz, {"one": [1, 2]}) == 0.0
    assert score_quiz(quiz, {"one": True, "many": None}) == 0.0  # bool is not an index
    assert score_quiz(quiz, [1, [0, 2]]) == 1.0  # answers by position
    assert score_quiz(quiz, [0]) == 0.0
    assert score_quiz(quiz, {}) == 0.0 and score_quiz(quiz, None) == 0.0
    assert score_quiz(quiz, {"one": "1", "many": "0,2"}) == 0.0


def test_score_architecture_counts_components_connections_and_wrong_picks(tmp_path: Path) -> None:
    design = _round(load_scenario(write_scenario(tmp_path)), "design")
    # required: source, sink; connection source->sink; wrong: laptop -> total 3
    assert score_architecture(design, ["source", "sink"], [["source", "sink"]]) == 1.0
    assert score_architecture(design, ["source", "sink", "queue"], [("source", "sink")]) == 1.0
    assert score_architecture(design, ["source", "sink"], []) == pytest.approx(2 / 3)
    assert score_architecture(design, ["source", "sink"], [["sink", "source"]]) == pytest.approx(
        2 / 3
    )
    assert score_architecture(design, ["source"], [["source", "sink"]]) == pytest.approx(2 / 3)
    assert score_architecture(
        design, ["source", "sink", "laptop"], [["source", "sink"]]
    ) == pytest.approx(2 / 3)
    assert score_architecture(design, ["laptop"], []) == 0.0  # clamped, never negative
    assert score_architecture(design, ["source", "source", "nope"], [["a"], "xy"]) == pytest.approx(
        1 / 3
    )
    assert score_architecture(design, [], []) == 0.0


def test_score_architecture_on_a_shipped_round() -> None:
    scenario = next(s for s in shipped() if s.id == "nightly-sales-reporting")
    rnd = scenario.round("batch-pipeline")
    assert isinstance(rnd, ArchitectureRound)
    total = len(rnd.required) + len(rnd.required_connections)
    everything = [*rnd.required, *rnd.acceptable]
    conns = [list(c) for c in rnd.required_connections]
    assert score_architecture(rnd, everything, conns) == 1.0
    assert score_architecture(rnd, [*everything, rnd.wrong[0]], conns) == pytest.approx(
        (total - 1) / total
    )


def test_score_modeling_is_fraction_of_correct_fields(tmp_path: Path) -> None:
    star = _round(load_scenario(write_scenario(tmp_path)), "star")
    assert score_modeling(star, {"amount": "fact", "city": "dim"}) == 1.0
    assert score_modeling(star, {"amount": "fact", "city": "fact"}) == 0.5
    assert score_modeling(star, {"amount": "dim"}) == 0.0
    assert score_modeling(star, {}) == 0.0


# --------------------------------------------------------------------------- lobby


def test_lobby_lists_every_category_and_level_with_coming_soon() -> None:
    full = lobby_index(shipped_catalog())
    assert [c["id"] for c in full["categories"]] == list(CATEGORIES)
    for category in full["categories"]:
        assert [lv["id"] for lv in category["levels"]] == list(LEVELS)
        for level in category["levels"]:
            assert level["status"] == "available" and level["scenarios"]
            for entry in level["scenarios"]:
                assert entry["category"] == category["id"] and entry["level"] == level["id"]
                assert entry["round_count"] == len(entry["round_types"])
    assert not _keys(full) & FORBIDDEN_KEYS

    partial = lobby_index(InterviewCatalog([FIXTURES]))
    cells = {(c["id"], lv["id"]): lv for c in partial["categories"] for lv in c["levels"]}
    assert len(cells) == len(CATEGORIES) * len(LEVELS)
    assert cells[("coding", "junior")]["status"] == "available"
    assert [s["id"] for s in cells[("coding", "junior")]["scenarios"]] == ["quick-check"]
    others = [cell for key, cell in cells.items() if key != ("coding", "junior")]
    assert all(c["status"] == "coming_soon" and c["scenarios"] == [] for c in others)
    assert partial["scenario_count"] == 1
    json.dumps(partial)


def test_scenario_files_finds_nested_scenarios_but_not_data(tmp_path: Path) -> None:
    path = write_scenario(tmp_path)
    (path.parent / "data" / "notes.yaml").write_text("x: 1\n")
    (tmp_path / "README.yaml").write_text("x: 1\n")
    assert scenario_files([tmp_path]) == [path]
    assert scenario_files([path]) == [path]
    assert scenario_files([tmp_path / "coding"]) == [path]
