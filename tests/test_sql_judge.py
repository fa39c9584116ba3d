"""SQL challenges end to end: content (datasets, CSV rules, file:line errors), the static
check (one read-only SELECT), comparison rules, and grading in DuckDB inside the real
sandbox (kernel tests are marked ``sandbox``).

DESIGN.md, "SQL challenges": every dataset is one test, runs in a fresh in-memory DuckDB
in the sandboxed kernel, and its expected result never enters the kernel.
"""

from __future__ import annotations

import asyncio
import datetime
import decimal
import gc
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

from kodelab_jupyter.content.challenge import Challenge, load_challenge
from kodelab_jupyter.content.errors import ContentError
from kodelab_jupyter.content.model import (
    ChallengeSpec,
    DatasetSpec,
    SqlCompareSpec,
    TableSpec,
)
from kodelab_jupyter.content.sqldata import (
    LoadedTable,
    load_dataset_tables,
    parse_csv_text,
)
from kodelab_jupyter.grading import sql as sqljudge
from kodelab_jupyter.grading.harness import run_sql
from kodelab_jupyter.grading.judge import Judge
from kodelab_jupyter.grading.session import KernelSession
from kodelab_jupyter.grading.sql import (
    ResultSet,
    SqlRefused,
    build_kernel_request,
    check_sql_challenge,
    compare_results,
    decode_result,
    prepare_query,
    prepared_datasets,
)

REPO = Path(__file__).resolve().parents[1]
WRONG_SOLUTIONS = Path(__file__).resolve().parent / "wrong_solutions"
SQL_SHIPPED = sorted(
    p.parent
    for p in (REPO / "challenges").glob("*/challenge.yaml")
    if "language: sql" in p.read_text()
)
STATUSES = {"passed", "failed", "error", "timeout", "skipped"}


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

BASIC_YAML = """\
id: {id}
title: Test SQL challenge
difficulty: easy
category: sql
language: sql
statement: statement.md
starter: starter.sql
solution: solution.sql
{extra}datasets:
{datasets}compare: {compare}
"""

ORDERS_DATASETS = """\
  - name: example
    visible: true
    tables:
      - name: orders
        columns: {order_id: INTEGER, region: VARCHAR, amount: "DECIMAL(10,2)"}
        rows:
          - [1, EU, 10.50]
          - [2, US, 20.00]
          - [3, EU, 4.50]
  - name: secret
    points: 2
    tables:
      - name: orders
        columns: {order_id: INTEGER, region: VARCHAR, amount: "DECIMAL(10,2)"}
        rows:
          - [1, APAC, 7777.25]
          - [2, APAC, 1111.50]
          - [3, LATAM, null]
"""
ORDERS_SOLUTION = (
    "SELECT region, COALESCE(SUM(amount), 0) AS revenue FROM orders GROUP BY region;\n"
)


def make_sql(
    root: Path,
    datasets: str = ORDERS_DATASETS,
    solution: str = ORDERS_SOLUTION,
    compare: str = "{ordered: false}",
    extra: str = "",
    files: dict[str, str] | None = None,
    slug: str | None = None,
) -> Path:
    """Write a SQL challenge folder and return it."""
    slug = slug or root.name
    root.mkdir(parents=True, exist_ok=True)
    (root / "challenge.yaml").write_text(
        BASIC_YAML.format(
            id=slug, extra=extra, datasets=textwrap.indent(src(datasets), "  "), compare=compare
        )
    )
    (root / "statement.md").write_text("# Test\n")
    (root / "starter.sql").write_text("SELECT 1\n")
    (root / "solution.sql").write_text(solution)
    for rel, text in (files or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def issues_of(root: Path) -> list[str]:
    with pytest.raises(ContentError) as info:
        load_challenge(root)
    return [str(i) for i in info.value.issues]


def result(query: str, tables: list[LoadedTable] | None = None) -> ResultSet:
    """A real DuckDB result, through the same runner the kernel uses."""
    raw = run_sql(build_kernel_request(query, tables or [], "64MB"))
    assert "error" not in raw, raw
    return decode_result(raw)


def differs(expected: str, got: str, **compare: Any) -> str | None:
    mismatch = compare_results(result(expected), result(got), SqlCompareSpec(**compare))
    return None if mismatch is None else mismatch.message


async def grade_async(judge: Judge, challenge: Challenge, answer: str) -> dict[str, Any]:
    for attempt in range(3):
        verdict = (await judge.grade(challenge, answer)).to_json()
        if verdict.get("message") != "internal error: SandboxUnavailable":
            break
        await asyncio.sleep(1 + attempt)
    return verdict


def grade(challenge: Challenge, answer: str, judge: Judge | None = None) -> dict[str, Any]:
    verdict = asyncio.run(grade_async(judge or Judge(), challenge, answer))
    gc.collect()
    assert_contract(verdict)
    return verdict


def by_name(verdict: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in verdict["tests"]}


def assert_contract(verdict: dict[str, Any]) -> None:
    assert set(verdict) <= {"verdict", "score", "max_score", "duration_s", "tests", "message"}
    assert verdict["score"] == sum(t["points"] for t in verdict["tests"])
    assert verdict["max_score"] == sum(t["max_points"] for t in verdict["tests"])
    for test in verdict["tests"]:
        assert test["status"] in STATUSES
        if not test["visible"]:
            # hidden: at most an exception class name or why the run stopped
            assert (
                test["message"] == ""
                or test["message"].isidentifier()
                or test["message"]
                in ("time limit exceeded", "output limit exceeded", "memory limit exceeded")
            ), test
    assert (verdict["verdict"] == "accepted") == all(
        t["status"] == "passed" for t in verdict["tests"]
    )
    json.dumps(verdict, allow_nan=False)


# --------------------------------------------------------------------------------------------
# Content: models, datasets, CSV, file:line errors
# --------------------------------------------------------------------------------------------


def test_sql_challenge_loads_with_datasets_and_sql_compare(tmp_path: Path) -> None:
    challenge = load_challenge(make_sql(tmp_path / "orders-sql", compare="{ordered: true}"))
    spec = challenge.spec
    assert spec.language == "sql" and spec.entrypoint is None and spec.tests == []
    assert [d.name for d in spec.datasets or []] == ["example", "secret"]
    assert isinstance(spec.datasets[0], DatasetSpec)  # type: ignore[index]
    assert isinstance(spec.datasets[0].tables[0], TableSpec)  # type: ignore[index]
    table = spec.datasets[0].tables[0]  # type: ignore[index]
    assert list(table.columns) == ["order_id", "region", "amount"]  # order kept
    assert isinstance(spec.compare, SqlCompareSpec) and spec.compare.ordered
    assert spec.compare.float_tol == 1e-6 and spec.compare.column_names == "case_insensitive"
    # no compare key: SQL defaults, not the Python ones
    plain = make_sql(tmp_path / "plain-sql", compare="{}")
    assert load_challenge(plain).spec.compare == SqlCompareSpec()


def test_dataset_rules_in_the_model() -> None:
    base = {
        "id": "x",
        "title": "t",
        "difficulty": "easy",
        "category": "sql",
        "language": "sql",
        "statement": "s.md",
        "starter": "a.sql",
        "solution": "b.sql",
    }
    table = {"name": "t", "columns": {"a": "INTEGER"}, "rows": [[1]]}
    ok = {"name": "d", "visible": True, "tables": [table]}
    ChallengeSpec.model_validate({**base, "datasets": [ok]})
    bad = [
        {},  # no datasets
        {"datasets": []},
        {"datasets": [{**ok, "visible": False}]},  # none visible
        {"datasets": [ok, ok]},  # duplicate names
        {"datasets": [ok], "tests": [{"name": "x", "code": "assert True"}]},
        {"datasets": [ok], "entrypoint": "f"},
        {"datasets": [ok], "compare": "exact"},  # a python compare mode
        {"datasets": [{**ok, "tables": [{**table, "csv": "t.csv"}]}]},  # rows and csv
        {"datasets": [{**ok, "tables": [{"name": "t", "columns": {"a": "INTEGER"}}]}]},
        {"datasets": [{**ok, "tables": [{**table, "rows": [[1, 2]]}]}]},  # width
        {"datasets": [{**ok, "tables": [{**table, "name": "bad name"}]}]},
        {"datasets": [{**ok, "tables": [{**table, "columns": {"a-b": "INTEGER"}}]}]},
    ]
    for extra in bad:
        with pytest.raises(ValueError):
            ChallengeSpec.model_validate({**base, **extra})
    # python challenges take no datasets and no SQL compare
    python = {**base, "language": "python", "entrypoint": "f"}
    python["tests"] = [{"name": "x", "args": [], "expected": 1, "visible": True}]
    ChallengeSpec.model_validate(python)
    with pytest.raises(ValueError):
        ChallengeSpec.model_validate({**python, "datasets": [ok]})
    with pytest.raises(ValueError):
        ChallengeSpec.model_validate({**python, "compare": {"ordered": True}})


def test_csv_rules_nulls_quotes_newlines_crlf_and_bom() -> None:
    text = '\ufeffa,b,c\r\n1,,""\r\n2,"x, ""y""","multi\nline"\n3,plain,\n'
    data = parse_csv_text(text, Path("t.csv"))
    assert data.header == ["a", "b", "c"]
    assert data.records == [
        (2, ["1", None, ""]),  # empty unquoted = NULL, "" = empty string
        (3, ["2", 'x, "y"', "multi\nline"]),
        (5, ["3", "plain", None]),  # the line count kept across the quoted newline
    ]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ('a,b\n1,2\n3,"open\n', 3, "unterminated quoted field"),
        ('a,b\n1,2\n3,x"y\n', 3, "quote inside an unquoted field"),
        ('a,b\n1,"2"x\n', 2, "after a closing quote"),
        ("a,b\n1,2\n3\n", 3, "1 field(s), the header has 2"),
        ("a,b\n1,2\n\n4,5\n", 3, "1 field(s), the header has 2"),  # a blank line
        ("a,,c\n1,2,3\n", 1, "header column 2 has no name"),
        ("", 1, "empty"),
    ],
)
def test_bad_csv_is_a_file_line_error(text: str, line: int, fragment: str) -> None:
    with pytest.raises(ContentError) as info:
        parse_csv_text(text, Path("data/t.csv"))
    (issue,) = info.value.issues
    assert (str(issue.path), issue.line) == ("data/t.csv", line)
    assert fragment in issue.message


CSV_DATASET = """\
  - name: example
    visible: true
    tables:
      - name: orders
        columns: {order_id: INTEGER, region: VARCHAR, amount: "DECIMAL(10,2)"}
        csv: data/orders.csv
"""


@pytest.mark.parametrize(
    ("csv", "where", "fragment"),
    [
        ("order_id,region,amount\n1,EU,1.50\n2,US,abc\n", "data/orders.csv:3", "'amount'"),
        ("order_id,region,amount\n1,EU,1.50\n2.5,US,1\n", "data/orders.csv:3", "not an integer"),
        ("order_id,region\n1,EU\n", "data/orders.csv:1", "do not match the declared columns"),
        ("order_id,amount,region\n1,1,EU\n", "data/orders.csv:1", "do not match"),
        ("order_id,region,amount\n1,EU,1\n2,US\n", "data/orders.csv:3", "field(s)"),
        (b"order_id,region,amount\n1,\xff,1\n", "data/orders.csv:2", "not UTF-8"),
    ],
)
def test_bad_dataset_csv_points_at_the_csv_line(
    tmp_path: Path, csv: str | bytes, where: str, fragment: str
) -> None:
    root = make_sql(tmp_path / "c", datasets=CSV_DATASET)
    (root / "data").mkdir()
    target = root / "data" / "orders.csv"
    if isinstance(csv, bytes):
        target.write_bytes(csv)
    else:
        target.write_text(csv)
    issues = issues_of(root)
    assert any(i.startswith(f"{root / where}:") and fragment in i for i in issues), issues


def test_dataset_errors_point_at_the_yaml_line(tmp_path: Path) -> None:
    datasets = """\
      - name: example
        visible: true
        tables:
          - name: orders
            columns: {order_id: INTEGER, amount: NOTATYPE}
            rows: [[1, 2]]
      - name: bad-value
        tables:
          - name: orders
            columns:
              order_id: INTEGER
              day: DATE
            rows:
              - [1, "2024-01-01"]
              - [2, "not a date"]
      - name: missing-csv
        tables:
          - name: orders
            columns: {order_id: INTEGER}
            csv: data/nope.csv
        expected_output: data/nope_expected.csv
    """
    root = make_sql(tmp_path / "c", datasets=datasets, solution="SELECT 1 AS x\n")
    issues = issues_of(root)
    yaml = root / "challenge.yaml"
    text = yaml.read_text().splitlines()

    def line_with(fragment: str) -> int:
        return next(i for i, t in enumerate(text, 1) if fragment in t)

    expected = [
        (line_with("NOTATYPE"), "unknown DuckDB type 'NOTATYPE'"),
        (line_with("not a date"), "column 'day' (DATE): cannot cast 'not a date'"),
        (line_with("data/nope.csv"), "csv file 'data/nope.csv' does not exist"),
        (line_with("nope_expected"), "expected_output 'data/nope_expected.csv' does not exist"),
    ]
    for line, fragment in expected:
        assert any(i.startswith(f"{yaml}:{line}:") and fragment in i for i in issues), (
            line,
            fragment,
            issues,
        )
    # pydantic-level problems also carry the YAML line
    broken = make_sql(tmp_path / "d", datasets=ORDERS_DATASETS.replace("visible: true", ""))
    assert any("at least one dataset must be visible" in i for i in issues_of(broken))


def test_load_dataset_tables_casts_to_declared_types(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text(
        'id,price,day,at,flag,note\n1,10.50,2024-02-29,2024-02-29 23:59:59.5,true,""\n2,,,,,\n'
    )
    dataset = DatasetSpec(
        name="d",
        visible=True,
        tables=[
            TableSpec(
                name="t",
                columns={
                    "id": "int",
                    "price": "decimal(10,2)",
                    "day": "date",
                    "at": "timestamp",
                    "flag": "boolean",
                    "note": "varchar",
                },
                csv="t.csv",
            )
        ],
    )
    (table,) = load_dataset_tables(tmp_path, dataset)
    assert table.columns == [
        ("id", "INTEGER"),
        ("price", "DECIMAL(10,2)"),
        ("day", "DATE"),
        ("at", "TIMESTAMP"),
        ("flag", "BOOLEAN"),
        ("note", "VARCHAR"),
    ]
    assert table.rows == [
        [1, "10.50", "2024-02-29", "2024-02-29 23:59:59.5", True, ""],
        [2, None, None, None, None, None],
    ]
    # the kernel's runner re-creates exactly these values
    got = result("SELECT * FROM t", [table])
    assert got.rows[0] == [
        1,
        decimal.Decimal("10.50"),
        datetime.date(2024, 2, 29),
        datetime.datetime(2024, 2, 29, 23, 59, 59, 500000),
        True,
        "",
    ]
    assert got.types == ["INTEGER", "DECIMAL(10,2)", "DATE", "TIMESTAMP", "BOOLEAN", "VARCHAR"]


def test_reference_and_expected_output_are_checked_with_file_line(tmp_path: Path) -> None:
    datasets = """\
      - name: example
        visible: true
        tables:
          - name: orders
            columns: {order_id: INTEGER, region: VARCHAR, amount: "DECIMAL(10,2)"}
            rows: [[1, EU, 10.50], [2, US, 20.00], [3, EU, 4.50]]
        expected_output: data/example_expected.csv
    """
    files = {"data/example_expected.csv": "region,revenue\nEU,15.00\nUS,20.01\n"}
    root = make_sql(tmp_path / "c", datasets=datasets, files=files)
    challenge = load_challenge(root)  # loads: CSV syntax is fine
    (issue,) = check_sql_challenge(challenge)
    assert (issue.path, issue.line) == (root / "data/example_expected.csv", 3)
    assert "differs from expected_output" in issue.message
    # the right expected values pass, as numbers of the reference's types
    (root / "data/example_expected.csv").write_text("region,revenue\nUS,20\nEU,15.00\n")
    assert check_sql_challenge(load_challenge(root)) == []
    # a column count that does not match the reference
    (root / "data/example_expected.csv").write_text("region\nEU\nUS\n")
    (issue,) = check_sql_challenge(load_challenge(root))
    assert issue.line == 1 and "1 column(s) but the reference solution returns 2" in str(issue)
    # a value that does not cast to the reference's type
    (root / "data/example_expected.csv").write_text("region,revenue\nEU,15.00\nUS,lots\n")
    (issue,) = check_sql_challenge(load_challenge(root))
    assert issue.line == 3 and "cannot cast 'lots'" in issue.message
    # a reference that fails, or that is not one SELECT
    (root / "data/example_expected.csv").write_text("region,revenue\nEU,15.00\nUS,20.00\n")
    (root / "solution.sql").write_text("SELECT region, revenue FROM missing_table")
    (issue,) = check_sql_challenge(load_challenge(root))
    assert issue.path == root / "solution.sql" and "CatalogException" in issue.message
    (root / "solution.sql").write_text("DELETE FROM orders")
    (issue,) = check_sql_challenge(load_challenge(root))
    assert issue.path == root / "solution.sql" and "not DELETE" in issue.message


def test_validate_cli_reports_a_broken_sql_reference(tmp_path: Path) -> None:
    root = make_sql(tmp_path / "broken-sql", solution="SELECT nope FROM orders\n")
    done = subprocess.run(
        [sys.executable, "-m", "kodelab_jupyter.cli", "validate", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert f"{root / 'solution.sql'}:1: dataset 'example': the reference solution fails" in (
        done.stdout
    )


def test_shipped_sql_library() -> None:
    assert len(SQL_SHIPPED) >= 3
    difficulties = set()
    for folder in SQL_SHIPPED:
        challenge = load_challenge(folder)
        assert check_sql_challenge(challenge) == [], folder
        datasets = challenge.spec.datasets or []
        assert datasets[0].visible and 2 <= sum(not d.visible for d in datasets) <= 4
        assert (WRONG_SOLUTIONS / f"{folder.name}.sql").is_file()
        difficulties.add(challenge.spec.difficulty)
    assert difficulties == {"easy", "medium", "hard"}


# --------------------------------------------------------------------------------------------
# Static check: one read-only SELECT, else compile_error
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        ("COPY orders TO 'out.csv'", "not COPY"),
        ("ATTACH 'other.db' AS other", "not ATTACH"),
        ("INSTALL httpfs", "not INSTALL/LOAD"),
        ("LOAD httpfs", "not INSTALL/LOAD"),
        ("PRAGMA database_list", "not PRAGMA"),
        ("SET threads = 8", "not SET"),
        ("SELECT 1; SELECT 2", "exactly one SQL statement"),
        ("SELECT * FROM orders; DROP TABLE orders;", "exactly one SQL statement"),
        ("SELECT * FROM read_csv('/etc/passwd')", "table function 'read_csv'"),
        ("SELECT * FROM read_csv_auto('/etc/passwd')", "table function 'read_csv_auto'"),
        ("SELECT * FROM '/etc/passwd'", "'/etc/passwd' in FROM"),
        ("SELECT * FROM 'orders.csv'", "'orders.csv' in FROM"),
        ("SELECT * FROM 'https://example.com/x.parquet'", "in FROM"),
        ("SELECT * FROM read_parquet('s3://bucket/x.parquet')", "'read_parquet'"),
        ("SELECT * FROM duckdb_secrets()", "'duckdb_secrets'"),
        ("SELECT * FROM duckdb_settings()", "'duckdb_settings'"),
        ("SELECT * FROM query('SELECT 1')", "'query'"),
        ("SELECT * FROM orders WHERE region IN (SELECT * FROM glob('/*'))", "'glob'"),
        ("SELECT getenv('HOME')", "function 'getenv'"),
        ("SELECT * FROM other.main.orders", "catalog 'other'"),
        ("CREATE TABLE x AS SELECT 1", "not CREATE"),
        ("DELETE FROM orders", "not DELETE"),
        ("EXPLAIN SELECT 1", "not EXPLAIN"),
        ("CALL duckdb_secrets()", "not CALL"),
        ("EXPORT DATABASE 'out'", "not EXPORT"),
        ("", "no SQL statement"),
        ("-- just a comment\n", "no SQL statement"),
        ("SELEC region FROM orders", "syntax error"),
    ],
)
def test_forbidden_statements_are_refused(answer: str, fragment: str) -> None:
    with pytest.raises(SqlRefused) as info:
        prepare_query(answer)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("answer", "query"),
    [
        ("SELECT 1;", "SELECT 1"),
        ("SELECT 1 ; -- done\n", "SELECT 1"),
        (
            "%%sql\n-- revenue\nSELECT region FROM orders;\n",
            "-- revenue\nSELECT region FROM orders",
        ),
        ("  %%sql\nSELECT 1 /* x */;", "SELECT 1"),
        ("WITH a AS (SELECT 1 AS x) SELECT x FROM a", "WITH a AS (SELECT 1 AS x) SELECT x FROM a"),
        ("FROM orders SELECT region", "FROM orders SELECT region"),
        ("SELECT * FROM range(3)", "SELECT * FROM range(3)"),
        ("SELECT * FROM information_schema.tables", "SELECT * FROM information_schema.tables"),
        ("SELECT 'a;b' AS s -- c;\n;", "SELECT 'a;b' AS s"),
    ],
)
def test_read_only_queries_pass_with_trailing_semicolon_and_comments(
    answer: str, query: str
) -> None:
    assert prepare_query(answer) == query


def test_compile_error_verdict_lists_every_dataset_skipped(tmp_path: Path) -> None:
    challenge = load_challenge(make_sql(tmp_path / "c"))
    started = time.monotonic()
    verdict = asyncio.run(Judge().grade(challenge, "COPY orders TO '/tmp/x.csv'")).to_json()
    assert time.monotonic() - started < 5  # no kernel was started
    assert verdict["verdict"] == "compile_error" and "not COPY" in verdict["message"]
    assert [t["status"] for t in verdict["tests"]] == ["skipped", "skipped"]
    assert verdict["score"] == 0 and verdict["max_score"] == 3


# --------------------------------------------------------------------------------------------
# Comparison rules (real DuckDB results, compared outside DuckDB)
# --------------------------------------------------------------------------------------------


def test_row_order_is_ignored_unless_ordered() -> None:
    a = "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) t(n, s)"
    b = "SELECT * FROM (VALUES (2, 'b'), (1, 'a')) t(n, s)"
    assert differs(a, b) is None
    message = differs(a, b, ordered=True)
    assert message is not None and "row 1 differs (row order matters)" in message
    assert differs(a, a, ordered=True) is None


def test_numbers_compare_by_value_across_integer_decimal_double() -> None:
    assert differs("SELECT 3::INTEGER AS x", "SELECT 3::BIGINT AS x") is None
    assert differs("SELECT 3::INTEGER AS x", "SELECT 3.00::DECIMAL(10,2) AS x") is None
    assert differs("SELECT 3::INTEGER AS x", "SELECT 3.0::DOUBLE AS x") is None
    assert differs("SELECT 15.50::DECIMAL(10,2) AS x", "SELECT 15.5::DOUBLE AS x") is None
    assert differs("SELECT 15.50::DECIMAL(10,2) AS x", "SELECT 15.5::DECIMAL(38,4) AS x") is None
    assert differs("SELECT 2::HUGEINT AS x", "SELECT 2::TINYINT AS x") is None
    assert differs("SELECT 3::INTEGER AS x", "SELECT 4::INTEGER AS x") is not None
    # exact types compare exactly: no tolerance between two integers or decimals
    assert differs("SELECT 10000000::BIGINT AS x", "SELECT 10000001::BIGINT AS x") is not None
    assert differs("SELECT 1.01::DECIMAL(5,2) AS x", "SELECT 1.02::DECIMAL(5,2) AS x") is not None
    # a number is never a string or a boolean
    assert differs("SELECT 1 AS x", "SELECT '1' AS x") is not None
    assert differs("SELECT 1 AS x", "SELECT true AS x") is not None


def test_float_tolerance_absolute_or_relative() -> None:
    assert differs("SELECT 0.1 + 0.2 AS x", "SELECT 0.3::DOUBLE AS x") is None
    assert differs("SELECT 1.0::DOUBLE AS x", "SELECT 1.0000005::DOUBLE AS x") is None  # abs
    assert differs("SELECT 1e9::DOUBLE AS x", "SELECT 1000000500.0::DOUBLE AS x") is None  # rel
    assert differs("SELECT 1.0::DOUBLE AS x", "SELECT 1.00001::DOUBLE AS x") is not None
    assert differs("SELECT 1.0::DOUBLE AS x", "SELECT 1.00001::DOUBLE AS x", float_tol=1e-3) is None
    assert differs("SELECT 2.0/3 AS x", "SELECT 0.666667::DECIMAL(7,6) AS x") is None
    assert differs("SELECT 'nan'::DOUBLE AS x", "SELECT 'nan'::DOUBLE AS x") is None
    assert differs("SELECT 'inf'::DOUBLE AS x", "SELECT 1e308 AS x") is not None
    # unordered matching with tolerance: rows tie-break on the inexact column
    a = "SELECT k, v::DOUBLE AS v FROM (VALUES ('a', 1.0), ('b', 1.0000001), ('a', 2.0)) t(k, v)"
    b = "SELECT k, v::DOUBLE AS v FROM (VALUES ('a', 2.0000001), ('b', 1.0), ('a', 0.9999999)) t(k, v)"
    assert differs(a, b) is None
    # decimal literals are exact: no tolerance between two DECIMAL values
    assert differs(a.replace("::DOUBLE", ""), b.replace("::DOUBLE", "")) is not None


def test_nulls_equal_nulls_only() -> None:
    assert differs("SELECT NULL::INTEGER AS x", "SELECT NULL::VARCHAR AS x") is None
    assert differs("SELECT NULL::INTEGER AS x", "SELECT 0 AS x") is not None
    assert differs("SELECT NULL::VARCHAR AS x", "SELECT '' AS x") is not None
    assert differs("SELECT 'NULL' AS x", "SELECT NULL AS x") is not None


def test_duplicates_count() -> None:
    two = "SELECT * FROM (VALUES (1), (1), (2)) t(x)"
    assert differs(two, "SELECT * FROM (VALUES (1), (2), (1)) t(x)") is None
    message = differs(two, "SELECT * FROM (VALUES (1), (2)) t(x)")
    assert message is not None and "expected 3 row(s), got 2" in message
    assert "missing 1 row(s), e.g. (1)" in message
    message = differs(two, "SELECT * FROM (VALUES (1), (2), (2)) t(x)")
    assert message is not None and "unexpected 1 row(s), e.g. (2)" in message


def test_column_count_must_match() -> None:
    message = differs("SELECT 1 AS a, 2 AS b", "SELECT 1 AS a")
    assert message == "expected 2 column(s) (a, b), got 1 (a)"
    assert differs("SELECT 1 AS a", "SELECT 1 AS a, 2 AS b", column_names="ignore") is not None


def test_column_names_in_each_mode() -> None:
    expected, upper, other = "SELECT 1 AS total", "SELECT 1 AS Total", "SELECT 1 AS sum_x"
    assert differs(expected, upper) is None  # case_insensitive is the default
    message = differs(expected, other)
    assert message is not None and "column names differ (case-insensitive)" in message
    assert differs(expected, upper, column_names="exact") is not None
    assert differs(expected, expected, column_names="exact") is None
    assert differs(expected, other, column_names="ignore") is None
    # positions matter, not names: swapped columns differ even when names are ignored
    swapped = differs("SELECT 1 AS a, 'x' AS b", "SELECT 'x' AS b, 1 AS a", column_names="ignore")
    assert swapped is not None


def test_dates_and_timestamps_compare_as_values() -> None:
    assert differs("SELECT DATE '2024-03-01' AS d", "SELECT '2024-03-01'::DATE AS d") is None
    assert differs("SELECT DATE '2024-03-01' AS d", "SELECT '2024-03-01' AS d") is not None
    # a DATE equals the TIMESTAMP at its midnight; other times differ
    assert differs("SELECT DATE '2024-03-01' AS d", "SELECT TIMESTAMP '2024-03-01' AS d") is None
    assert (
        differs("SELECT DATE '2024-03-01' AS d", "SELECT TIMESTAMP '2024-03-01 00:00:01' AS d")
        is not None
    )
    assert (
        differs(
            "SELECT TIMESTAMP '2024-03-01 10:00:00' AS t",
            "SELECT TIMESTAMP '2024-03-01 10:00:00.000' AS t",
        )
        is None
    )
    # TIMESTAMPTZ values compare as instants
    same_instant = differs(
        "SELECT TIMESTAMPTZ '2024-03-01 10:00:00+00' AS t",
        "SELECT TIMESTAMPTZ '2024-03-01 12:00:00+02' AS t",
    )
    assert same_instant is None
    a = result("SELECT TIMESTAMPTZ '2024-03-01 10:00:00+00' AS t, TIME '10:30:00' AS h")
    assert a.rows == [
        [datetime.datetime(2024, 3, 1, 10, tzinfo=datetime.timezone.utc), datetime.time(10, 30)]
    ]
    assert differs("SELECT INTERVAL 1 DAY AS i", "SELECT INTERVAL 24 HOUR AS i") is None


def test_nested_and_other_types_round_trip() -> None:
    got = result(
        "SELECT [1, 2] AS l, {'k': 1.5} AS s, MAP {1: 'a'} AS m, "
        "'\\xAB'::BLOB AS b, 12345678901234567890123::HUGEINT AS h"
    )
    assert got.rows == [
        [
            [1, 2],
            {"k": decimal.Decimal("1.5")},
            ("map", ((1, "a"),)),
            b"\xab",
            12345678901234567890123,
        ]
    ]
    assert compare_results(got, got, SqlCompareSpec()) is None


# --------------------------------------------------------------------------------------------
# Grading in the sandbox
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped_sql_verdicts() -> dict[tuple[str, str], dict[str, Any]]:
    async def run() -> dict[tuple[str, str], dict[str, Any]]:
        judge = Judge()
        gate = asyncio.Semaphore(2)

        async def one(folder: Path, kind: str) -> tuple[tuple[str, str], dict[str, Any]]:
            challenge = load_challenge(folder)
            if kind == "reference":
                answer = challenge.solution
            else:
                answer = (WRONG_SOLUTIONS / f"{folder.name}.sql").read_text()
            async with gate:
                return (folder.name, kind), await grade_async(judge, challenge, answer)

        jobs = [one(f, k) for f in SQL_SHIPPED for k in ("reference", "wrong")]
        return dict(await asyncio.gather(*jobs))

    verdicts = asyncio.run(run())
    gc.collect()
    return verdicts


@pytest.mark.sandbox
@pytest.mark.parametrize("slug", [f.name for f in SQL_SHIPPED])
def test_shipped_sql_reference_accepted_and_wrong_solution_not(
    slug: str, shipped_sql_verdicts: dict[tuple[str, str], dict[str, Any]]
) -> None:
    reference = shipped_sql_verdicts[(slug, "reference")]
    wrong = shipped_sql_verdicts[(slug, "wrong")]
    assert_contract(reference)
    assert_contract(wrong)
    assert reference["verdict"] == "accepted", reference
    assert wrong["verdict"] == "wrong_answer", wrong
    assert wrong["score"] < wrong["max_score"]
    assert reference["duration_s"] < 10


@pytest.mark.sandbox
def test_visible_dataset_shows_expected_and_got_hidden_only_status(tmp_path: Path) -> None:
    challenge = load_challenge(make_sql(tmp_path / "c"))
    verdict = grade(challenge, "SELECT region, SUM(amount) AS revenue FROM orders GROUP BY 1")
    tests = by_name(verdict)
    assert verdict["verdict"] == "wrong_answer" and verdict["score"] == 1
    assert tests["example"]["status"] == "passed"
    assert tests["secret"] == {**tests["secret"], "status": "failed", "message": ""}
    verdict = grade(challenge, "SELECT region, 0 AS revenue FROM orders GROUP BY 1")
    shown = by_name(verdict)["example"]["message"]
    assert "missing 2 row(s)" in shown and "expected: ('EU', 15.00)" in shown
    assert "got: ('EU', 0)" in shown
    text = json.dumps(verdict)
    for secret in ("APAC", "7777", "8888", "LATAM"):
        assert secret not in text


@pytest.mark.sandbox
def test_missing_table_is_a_runtime_error_with_the_duckdb_class(tmp_path: Path) -> None:
    challenge = load_challenge(make_sql(tmp_path / "c"))
    verdict = grade(challenge, "SELECT * FROM no_such_table")
    tests = by_name(verdict)
    assert verdict["verdict"] == "runtime_error"
    assert tests["example"]["status"] == "error"
    assert tests["example"]["message"].startswith("CatalogException: ")
    assert "no_such_table" in tests["example"]["message"]
    assert tests["secret"]["message"] == "CatalogException"  # hidden: the class name only
    # a refused operation at run time is a runtime error too (external access is off)
    verdict = grade(challenge, "SELECT current_setting('enable_external_access') AS revenue, 1")
    assert verdict["verdict"] == "wrong_answer"  # it ran: and external access was off
    verdict = grade(challenge, "SELECT region, error('boom') AS revenue FROM orders")
    assert verdict["verdict"] == "runtime_error"
    assert by_name(verdict)["example"]["message"].startswith("InvalidInputException: ")


@pytest.mark.sandbox
def test_cross_join_explosion_is_time_limit_exceeded(tmp_path: Path) -> None:
    root = make_sql(tmp_path / "c", extra="limits: {wall_seconds: 3}\n")
    challenge = load_challenge(root)
    query = (  # 3 x 3 x 10^5 x 10^6 rows: minutes of work, streamed (little memory)
        "SELECT SUM(a.order_id * b.order_id + c.range - d.range) AS revenue, 1 AS x "
        "FROM orders a, orders b, range(100000) c, range(1000000) d"
    )
    started = time.monotonic()
    verdict = grade(challenge, query)
    elapsed = time.monotonic() - started
    tests = by_name(verdict)
    assert verdict["verdict"] == "time_limit_exceeded", verdict
    assert tests["example"]["status"] == "timeout"
    assert tests["secret"]["status"] == "skipped"  # the run stopped
    assert elapsed < 3 + 15, elapsed  # the wall limit, plus kernel start and kill


@pytest.mark.sandbox
def test_output_caps_rows_and_bytes(tmp_path: Path) -> None:
    challenge = load_challenge(make_sql(tmp_path / "c"))
    verdict = grade(challenge, "SELECT range AS region, 1 AS revenue FROM range(10001)")
    tests = by_name(verdict)
    assert verdict["verdict"] == "output_limit_exceeded"
    assert tests["example"]["message"] == (
        "output limit exceeded: the result has more than 10,000 rows"
    )
    assert tests["secret"]["message"] == "output limit exceeded"
    verdict = grade(challenge, "SELECT repeat('x', 4000) AS region, 1 AS n FROM range(300)")
    assert verdict["verdict"] == "output_limit_exceeded"
    assert "bytes" in by_name(verdict)["example"]["message"]
    # exactly at the row cap is fine (a wrong answer here, not an output limit)
    verdict = grade(challenge, "SELECT range AS region, 1 AS revenue FROM range(10000)")
    assert verdict["verdict"] == "wrong_answer"


@pytest.mark.sandbox
def test_memory_hungry_query_is_memory_limit_exceeded_and_spills_nothing(tmp_path: Path) -> None:
    challenge = load_challenge(make_sql(tmp_path / "c", extra="limits: {wall_seconds: 20}\n"))
    watched = [Path(tempfile.gettempdir()), Path.cwd(), Path.home()]
    before = {p: set(os.listdir(p)) for p in watched}
    verdict = grade(
        challenge,
        "SELECT COUNT(DISTINCT r) AS revenue, 1 AS x FROM "
        "(SELECT range * 7919 % 1000000007 AS r, repeat('x', 64) AS pad FROM range(40000000))",
    )
    assert verdict["verdict"] == "memory_limit_exceeded", verdict
    assert by_name(verdict)["example"]["message"].startswith("OutOfMemoryException")
    for path, names in before.items():
        new = set(os.listdir(path)) - names
        assert not [n for n in new if "duckdb" in n.lower() or n.endswith(".tmp")], (path, new)


@pytest.mark.sandbox
def test_each_dataset_runs_in_a_fresh_database(tmp_path: Path) -> None:
    datasets = """\
      - name: first
        visible: true
        tables:
          - name: alpha
            columns: {x: INTEGER}
            rows: [[1]]
          - name: shared
            columns: {x: INTEGER}
            rows: [[1], [2]]
      - name: second
        visible: true
        tables:
          - name: beta
            columns: {x: INTEGER}
            rows: []
          - name: shared
            columns: {y: VARCHAR}
            rows: [[a]]
    """
    listing = (
        "SELECT table_schema, table_name, "
        "(SELECT COUNT(*) FROM information_schema.columns c WHERE c.table_name = t.table_name) "
        "AS columns FROM information_schema.tables t"
    )
    root = make_sql(tmp_path / "c", datasets=datasets, solution=listing)
    challenge = load_challenge(root)
    expected = prepared_datasets(challenge, "128MB")
    assert sorted(r[1] for r in expected["first"].expected.rows) == ["alpha", "shared"]
    assert sorted(r[1] for r in expected["second"].expected.rows) == ["beta", "shared"]
    verdict = grade(challenge, listing)
    assert verdict["verdict"] == "accepted", verdict  # the kernel saw just those tables
    # a query that would see another dataset's table fails on the dataset without it
    verdict = grade(challenge, "SELECT 'main', 'alpha', COUNT(*) FROM alpha")
    assert by_name(verdict)["second"]["message"].startswith("CatalogException")


@pytest.mark.sandbox
def test_expected_values_never_enter_the_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    challenge = load_challenge(make_sql(tmp_path / "c"))
    prepared = prepared_datasets(challenge, "128MB")
    # the request built for a dataset holds its own tables and the query, nothing else
    request = build_kernel_request("SELECT 1", prepared["secret"].tables, "128MB")
    assert set(request) == {"query", "tables", "config", "row_cap", "byte_cap"}
    assert [t["name"] for t in request["tables"]] == ["orders"]
    assert "8888.75" not in json.dumps(request)  # APAC's expected revenue (7777.25+1111.50)
    sent: list[Any] = []
    real_call = KernelSession.call

    async def spy(self: KernelSession, function: str, args: list[Any], kwargs: Any) -> Any:
        sent.append((function, args, kwargs))
        return await real_call(self, function, args, kwargs)

    monkeypatch.setattr(KernelSession, "call", spy)
    verdict = grade(challenge, ORDERS_SOLUTION)
    assert verdict["verdict"] == "accepted"
    assert len(sent) == 2
    for function, args, _ in sent:
        assert function == sqljudge.KERNEL_FUNCTION
        (req,) = args
        assert set(req) == {"query", "tables", "config", "row_cap", "byte_cap"}
        text = json.dumps(req)
        for expected_value in ("8888.75", "15.00", "15.0", 'revenue": '):
            assert expected_value not in text
    # dataset 1 carries only its own rows, dataset 2 only its own
    assert "APAC" not in json.dumps(sent[0]) and "EU" not in json.dumps(sent[1])


@pytest.mark.sandbox
def test_grade_cli_with_a_sql_file_and_a_sql_magic_notebook(tmp_path: Path) -> None:
    folder = REPO / "challenges" / "revenue-by-region-sql"
    answer = tmp_path / "answer.sql"
    answer.write_text((folder / "solution.sql").read_text())

    def kodelab(*args: str) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-m", "kodelab_jupyter.cli", *args],
            capture_output=True,
            text=True,
            timeout=180,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
        verdict: dict[str, Any] = json.loads(done.stdout)  # exactly one JSON document
        return verdict

    assert kodelab("grade", str(folder), str(answer), "--json")["verdict"] == "accepted"
    nb = nbformat.v4.new_notebook()
    statement = nbformat.v4.new_markdown_cell("# statement")
    cell = nbformat.v4.new_code_cell("%%sql\n" + (folder / "solution.sql").read_text())
    cell.metadata["kodelab"] = {"role": "answer"}
    decoy = nbformat.v4.new_code_cell("%%sql\nDROP TABLE orders")  # not an answer cell
    nb.cells = [statement, cell, decoy]
    path = tmp_path / "student.ipynb"
    nbformat.write(nb, str(path))
    assert kodelab("grade", "revenue-by-region-sql", str(path), "--json")["verdict"] == "accepted"
