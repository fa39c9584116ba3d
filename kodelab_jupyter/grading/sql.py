"""The SQL judge: one read-only query, run per dataset in DuckDB inside the sandboxed kernel.

Flow of one grading run (DESIGN.md, "SQL challenges"):

1. Trusted side, before any kernel: the answer (a leading ``%%sql`` line dropped) must be
   exactly one SELECT statement (``duckdb.extract_statements``), and its parsed tree
   (``json_serialize_sql``) may read only the dataset's tables: file or URL table functions,
   ``'file.csv'`` in FROM, ``duckdb_*`` functions and the like are ``compile_error``.
2. Trusted side: every dataset's tables are loaded and cast (content/sqldata.py), and its
   expected result is computed: the ``expected_output`` CSV cast to the reference query's
   result types, or the reference query's own result. Both run in this process through
   :func:`~.harness.run_sql`, the very function the kernel runs, with the same settings.
3. Sandboxed kernel (same sandbox, limits and wall clock as Python answers): per dataset,
   a fresh in-memory DuckDB with external access, extensions and spill files off, the
   dataset's tables created and filled, the configuration locked, then the student's query,
   capped at ``row_cap`` rows and ``byte_cap`` bytes. Only the query and the dataset's own
   tables enter the kernel: never another dataset, never an expected row.
4. Trusted side: results are compared outside DuckDB (:func:`compare_results`).
"""

from __future__ import annotations

import asyncio
import datetime
import decimal
import functools
import hashlib
import json
import math
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..content.challenge import CHALLENGE_FILE, Challenge
from ..content.errors import ContentError, ContentIssue
from ..content.model import DatasetSpec, SqlCompareSpec
from ..content.sqldata import (
    LoadedTable,
    cast_expected,
    load_dataset_tables,
    load_expected_csv,
    trusted_config,
    trusted_connect,
)
from ..content.yamlfile import line_of, load_yaml
from ..sandbox.limits import Limits
from .harness import run_sql
from .session import CallResult, KernelSession, RunStopped
from .source import strip_cell_magic
from .verdict import HIDDEN_MESSAGES, TestResult, Verdict

if TYPE_CHECKING:
    from .judge import Judge

DEFAULT_ROW_CAP = 10_000
DEFAULT_BYTE_CAP = 1 << 20
MAX_QUERY_BYTES = 100 * 1024
REFERENCE_SECONDS = 60.0
ALLOWED_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})
DENIED_FUNCTIONS = frozenset({"getenv"})
ALLOWED_CATALOGS = frozenset({"", "memory", "system", "temp"})
KERNEL_FUNCTION = "__kodelab_sql__"
_SETUP_CELL = (
    f"{KERNEL_FUNCTION} = __kodelab__.sql\n__kodelab__.sql_ready({trusted_config('32MB')!r})"
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_MESSAGE_LIMIT = 600
_SHOWN_ROWS = 5
_FALLBACK_DENY = re.compile(
    r"\b(read_\w+|\w+_scan|glob|query|query_table|sniff_csv|duckdb_\w+|pragma_\w+|"
    r"iceberg_\w+|delta_\w+|getenv|parquet_\w+)\s*\(|\bfrom\s+'",
    re.IGNORECASE,
)
_STATEMENT_NAMES = {
    "MULTI": "PIVOT without an IN list (or another multi-step)",
    "LOAD": "INSTALL/LOAD",
    "SET": "SET/USE",
    "VARIABLE_SET": "SET VARIABLE",
}


class SqlRefused(ValueError):
    """The answer is not one read-only query over the dataset (a ``compile_error``)."""


def _clip(text: str, limit: int = _MESSAGE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _first_line(message: str) -> str:
    lines = [ln for ln in str(message).strip().splitlines() if ln.strip()]
    return lines[0] if lines else str(message)


# ------------------------------------------------------------------------- static check

_PARSER_LOCK = threading.Lock()
_parser_con: Any = None


def _parser() -> Any:
    global _parser_con
    if _parser_con is None:
        _parser_con = trusted_connect("64MB")
    return _parser_con


def _core_text(text: str) -> str:
    """The statement without a trailing ``;`` or trailing comments (so it can be wrapped)."""
    import duckdb

    tokens = duckdb.tokenize(text)
    last = -1
    for idx, (offset, kind) in enumerate(tokens):
        if kind == duckdb.token_type.comment:
            continue
        if kind == duckdb.token_type.operator and text.startswith(";", offset):
            continue
        last = idx
    if last < 0:
        return text.strip()
    end = tokens[last + 1][0] if last + 1 < len(tokens) else len(text)
    return text[:end].rstrip()


def prepare_query(answer: str) -> str:
    """The one read-only query of ``answer``; raises :class:`SqlRefused` with the reason."""
    import duckdb

    text = strip_cell_magic(answer, "sql")
    if len(text.encode()) > MAX_QUERY_BYTES:
        raise SqlRefused(f"the query is longer than {MAX_QUERY_BYTES // 1024} KB")
    try:
        statements = duckdb.extract_statements(text)
    except duckdb.Error as exc:
        detail = re.sub(r"^Parser Error: ", "", _first_line(str(exc)))
        raise SqlRefused(f"SQL syntax error: {_clip(detail, 300)}") from None
    if not statements:
        raise SqlRefused("the answer holds no SQL statement: write one SELECT query")
    if len(statements) > 1:
        raise SqlRefused(
            f"exactly one SQL statement is allowed; the answer holds {len(statements)}"
        )
    kind = str(statements[0].type).rsplit(".", 1)[-1]
    if kind != "SELECT":
        name = _STATEMENT_NAMES.get(kind, kind)
        raise SqlRefused(
            f"only a read-only query (SELECT or WITH ... SELECT) is allowed, not {name}"
        )
    core = _core_text(text)
    _check_tree(core)
    return core


def _check_tree(query: str) -> None:
    """Refuse file, URL and system table functions and file paths in FROM."""
    import duckdb

    with _PARSER_LOCK:
        try:
            row = _parser().execute("SELECT json_serialize_sql(?::VARCHAR)", [query]).fetchone()
        except duckdb.Error:
            row = None
    try:
        tree = json.loads(row[0]) if row and isinstance(row[0], str) else None
    except RecursionError:
        raise SqlRefused("the query is nested too deeply") from None
    except ValueError:
        tree = None
    if not isinstance(tree, dict) or tree.get("error"):
        # The serializer does not know every construct: fall back to a conservative scan.
        match = _FALLBACK_DENY.search(query)
        if match:
            raise SqlRefused(
                f"'{match.group(0).strip()}' is not allowed: query only the dataset's tables"
            )
        return
    stack: list[Any] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        kind = node.get("type")
        if kind == "TABLE_FUNCTION":
            function = node.get("function") or {}
            name = str(function.get("function_name", "?")).lower()
            if function.get("class") != "FUNCTION" or name not in ALLOWED_TABLE_FUNCTIONS:
                raise SqlRefused(
                    f"table function '{name}' is not allowed: query only the dataset's tables "
                    f"(allowed table functions: {', '.join(sorted(ALLOWED_TABLE_FUNCTIONS))})"
                )
        elif kind == "BASE_TABLE":
            table = str(node.get("table_name", ""))
            if not _IDENTIFIER.fullmatch(table):
                raise SqlRefused(
                    f"'{_clip(table, 80)}' in FROM would read a file or URL: "
                    "query only the dataset's tables"
                )
            catalog = str(node.get("catalog_name") or "").lower()
            if catalog not in ALLOWED_CATALOGS:
                raise SqlRefused(f"catalog '{catalog}' is not available: use the dataset's tables")
        if node.get("class") == "FUNCTION":
            name = str(node.get("function_name", "")).lower()
            if name in DENIED_FUNCTIONS:
                raise SqlRefused(f"function '{name}' is not allowed")
        stack.extend(node.values())


# ------------------------------------------------------------------------- result sets


@dataclass
class ResultSet:
    """A decoded query result: column names, DuckDB type names and row values."""

    columns: list[str]
    types: list[str]
    rows: list[list[Any]]


def _parse_timestamp(text: str) -> datetime.datetime:
    text = re.sub(r"([+-]\d\d)$", r"\1:00", text.strip())
    return datetime.datetime.fromisoformat(text)


def decode_value(value: Any) -> Any:
    """Rebuild a typed value from the kernel's ``(tag, text)`` form (never evaluates)."""
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): decode_value(v) for k, v in value.items()}
    if not isinstance(value, tuple):
        return value
    if len(value) != 2 or not isinstance(value[0], str):
        return ("?", repr(value))
    tag, payload = value
    try:
        if tag == "decimal" and isinstance(payload, str) and len(payload) <= 80:
            number = decimal.Decimal(payload)
            if number.is_finite():
                return number
        elif tag == "date" and isinstance(payload, str):
            return datetime.date.fromisoformat(payload)
        elif tag in ("timestamp", "timestamptz") and isinstance(payload, str):
            return _parse_timestamp(payload)
        elif tag == "time" and isinstance(payload, str):
            return datetime.time.fromisoformat(payload)
        elif tag == "interval" and isinstance(payload, list) and len(payload) == 3:
            days, seconds, micros = (int(p) for p in payload)
            return datetime.timedelta(days=days, seconds=seconds, microseconds=micros)
        elif tag == "blob" and isinstance(payload, str):
            return bytes.fromhex(payload)
        elif tag == "map" and isinstance(payload, list):
            return (
                "map",
                tuple(
                    (decode_value(p[0]), decode_value(p[1]))
                    for p in payload
                    if isinstance(p, list) and len(p) == 2
                ),
            )
    except (ValueError, TypeError, OverflowError, ArithmeticError):
        pass
    return (tag, repr(payload) if not isinstance(payload, str) else payload)


def decode_result(raw: Any) -> ResultSet:
    """A :class:`ResultSet` from :func:`run_sql`'s output; ValueError when malformed."""
    if not isinstance(raw, dict):
        raise ValueError("not a result")
    columns, types, rows = raw.get("columns"), raw.get("types"), raw.get("rows")
    if not (isinstance(columns, list) and isinstance(types, list) and isinstance(rows, list)):
        raise ValueError("incomplete result")
    if len(columns) != len(types) or not all(isinstance(c, str) for c in columns + types):
        raise ValueError("bad columns")
    out = []
    for row in rows:
        if not isinstance(row, list) or len(row) != len(columns):
            raise ValueError("bad row")
        out.append([decode_value(v) for v in row])
    return ResultSet([str(c) for c in columns], [str(t) for t in types], out)


# ------------------------------------------------------------------------- comparison


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool)


def _as_datetime(value: datetime.date) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            return value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return value
    return datetime.datetime(value.year, value.month, value.day)


def numbers_equal(a: Any, b: Any, tol: float) -> bool:
    """By value across INTEGER/DECIMAL/DOUBLE; with a float involved, within ``tol``
    (absolute or relative); NaN equals NaN."""
    if not isinstance(a, float) and not isinstance(b, float):
        return bool(a == b)
    try:
        fa, fb = float(a), float(b)
    except OverflowError:
        return bool(a == b)
    if math.isnan(fa) or math.isnan(fb):
        return math.isnan(fa) and math.isnan(fb)
    if math.isinf(fa) or math.isinf(fb):
        return fa == fb
    diff = abs(fa - fb)
    return diff <= tol or diff <= tol * max(abs(fa), abs(fb))


def values_equal(a: Any, b: Any, tol: float) -> bool:
    """One result cell against another: NULL equals NULL, numbers by value, dates as
    values (a DATE equals the TIMESTAMP at its midnight), strings exactly."""
    if a is None or b is None:
        return a is None and b is None
    if _is_number(a) and _is_number(b):
        return numbers_equal(a, b, tol)
    if _is_number(a) or _is_number(b) or isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, datetime.date) and isinstance(b, datetime.date):
        return _as_datetime(a) == _as_datetime(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(values_equal(x, y, tol) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k], tol) for k in a)
    return type(a) is type(b) and bool(a == b)


def _key(value: Any) -> Any:
    """A hashable key equal for cells that compare equal without tolerance."""
    if value is None:
        return (0,)
    if isinstance(value, bool):
        return (1, value)
    if _is_number(value):
        if isinstance(value, float) and math.isnan(value):
            return (2, "nan")
        return (2, value)
    if isinstance(value, str):
        return (3, value)
    if isinstance(value, datetime.date):
        return (4, _as_datetime(value))
    if isinstance(value, list):
        return (5, tuple(_key(v) for v in value))
    if isinstance(value, dict):
        return (6, tuple(sorted((k, _key(v)) for k, v in value.items())))
    try:
        hash(value)
    except TypeError:
        return (9, repr(value))
    return (8, type(value).__name__, value)


def _approx_key(value: Any) -> tuple[int, float]:
    if value is None:
        return (0, 0.0)
    if _is_number(value):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf if value > 0 else -math.inf
        return (2, 0.0) if math.isnan(number) else (1, number)
    return (3, 0.0)


def _approx_order(
    rows: list[list[Any]], columns: list[int]
) -> Callable[[int], tuple[tuple[int, float], ...]]:
    def order(i: int) -> tuple[tuple[int, float], ...]:
        return tuple(_approx_key(rows[i][c]) for c in columns)

    return order


def rows_equal(a: Sequence[Any], b: Sequence[Any], tol: float) -> bool:
    """Two rows of the same width, cell by cell."""
    return all(values_equal(x, y, tol) for x, y in zip(a, b, strict=True))


def match_rows(
    expected: list[list[Any]], got: list[list[Any]], tol: float
) -> tuple[list[int], list[int]]:
    """Multiset matching (duplicates count): indices of unmatched expected and got rows.

    Columns holding a float on either side compare within ``tol``; rows are grouped by the
    other columns (exact keys) and matched inside each group.
    """
    width = len(expected[0]) if expected else len(got[0]) if got else 0
    approx = [
        c
        for c in range(width)
        if any(isinstance(r[c], float) for r in expected)
        or any(isinstance(r[c], float) for r in got)
    ]
    exact = [c for c in range(width) if c not in approx]
    groups_e: dict[Any, list[int]] = defaultdict(list)
    groups_g: dict[Any, list[int]] = defaultdict(list)
    for idx, row in enumerate(expected):
        groups_e[tuple(_key(row[c]) for c in exact)].append(idx)
    for idx, row in enumerate(got):
        groups_g[tuple(_key(row[c]) for c in exact)].append(idx)
    missing: list[int] = []
    extra: list[int] = []
    for key, e_idx in groups_e.items():
        g_idx = groups_g.pop(key, [])
        if not approx:
            n = min(len(e_idx), len(g_idx))
            missing += e_idx[n:]
            extra += g_idx[n:]
            continue
        e_idx.sort(key=_approx_order(expected, approx))
        g_idx.sort(key=_approx_order(got, approx))
        if len(e_idx) == len(g_idx) and all(
            rows_equal(expected[i], got[j], tol) for i, j in zip(e_idx, g_idx, strict=True)
        ):
            continue
        if len(e_idx) * len(g_idx) > 4_000_000:
            missing += e_idx
            extra += g_idx
            continue
        used = [False] * len(g_idx)
        for i in e_idx:
            for pos, j in enumerate(g_idx):
                if not used[pos] and rows_equal(expected[i], got[j], tol):
                    used[pos] = True
                    break
            else:
                missing.append(i)
        extra += [j for pos, j in enumerate(g_idx) if not used[pos]]
    for g_idx in groups_g.values():
        extra += g_idx
    return sorted(missing), sorted(extra)


def format_value(value: Any) -> str:
    """A cell as shown in messages."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)


def format_row(row: Sequence[Any]) -> str:
    """A row as shown in messages."""
    return "(" + ", ".join(format_value(v) for v in row) + ")"


def _rows_text(rows: list[list[Any]]) -> str:
    shown = "; ".join(format_row(r) for r in rows[:_SHOWN_ROWS])
    more = f"; ... ({len(rows)} rows)" if len(rows) > _SHOWN_ROWS else ""
    return (shown or "no rows") + more


@dataclass
class Mismatch:
    """Why a result differs from the expected one; ``expected_row``: index of the first
    expected row involved (for file:line of an expected CSV), if any."""

    message: str
    expected_row: int | None = None


def compare_results(expected: ResultSet, got: ResultSet, spec: SqlCompareSpec) -> Mismatch | None:
    """None when ``got`` matches ``expected`` under ``spec``; otherwise why not (the message
    shows data, so it is for visible datasets only)."""
    if len(expected.columns) != len(got.columns):
        return Mismatch(
            f"expected {len(expected.columns)} column(s) ({', '.join(expected.columns)}), "
            f"got {len(got.columns)} ({', '.join(got.columns)})"
        )
    if spec.column_names != "ignore":
        fold = spec.column_names == "case_insensitive"

        def norm(names: list[str]) -> list[str]:
            return [n.lower() for n in names] if fold else names

        if norm(expected.columns) != norm(got.columns):
            how = " (case-insensitive)" if fold else ""
            return Mismatch(
                f"column names differ{how}: expected ({', '.join(expected.columns)}), "
                f"got ({', '.join(got.columns)})"
            )
    tol = spec.float_tol
    if spec.ordered:
        for idx, (e, g) in enumerate(zip(expected.rows, got.rows, strict=False)):
            if not rows_equal(e, g, tol):
                return Mismatch(
                    f"row {idx + 1} differs (row order matters): expected {format_row(e)}, "
                    f"got {format_row(g)}",
                    idx,
                )
        if len(expected.rows) != len(got.rows):
            idx = min(len(expected.rows), len(got.rows))
            return Mismatch(
                f"expected {len(expected.rows)} row(s), got {len(got.rows)}; "
                f"expected: {_rows_text(expected.rows)}; got: {_rows_text(got.rows)}",
                idx if idx < len(expected.rows) else None,
            )
        return None
    missing, extra = match_rows(expected.rows, got.rows, tol)
    if not missing and not extra:
        return None
    parts = []
    if len(expected.rows) != len(got.rows):
        parts.append(f"expected {len(expected.rows)} row(s), got {len(got.rows)}")
    if missing:
        parts.append(f"missing {len(missing)} row(s), e.g. {format_row(expected.rows[missing[0]])}")
    if extra:
        parts.append(f"unexpected {len(extra)} row(s), e.g. {format_row(got.rows[extra[0]])}")
    parts.append(f"expected: {_rows_text(expected.rows)}; got: {_rows_text(got.rows)}")
    return Mismatch("; ".join(parts), missing[0] if missing else None)


# ------------------------------------------------------------------------- datasets


def sql_max_memory(limits: Limits) -> str:
    """DuckDB's ``max_memory``: half the run's memory limit (at least 32 MB)."""
    return f"{max(32, limits.memory_mb // 2)}MB"


def build_kernel_request(
    query: str,
    tables: Sequence[LoadedTable],
    max_memory: str,
    row_cap: int = DEFAULT_ROW_CAP,
    byte_cap: int = DEFAULT_BYTE_CAP,
) -> dict[str, Any]:
    """Everything the kernel receives for one dataset: the query and that dataset's own
    tables and caps; no expected value, no other dataset."""
    return {
        "query": query,
        "tables": [t.to_request() for t in tables],
        "config": trusted_config(max_memory),
        "row_cap": row_cap,
        "byte_cap": byte_cap,
    }


class ReferenceFailure(RuntimeError):
    """The reference solution (or an expected_output) is broken: a content fault."""

    def __init__(self, issues: list[ContentIssue]) -> None:
        super().__init__("; ".join(str(i) for i in issues))
        self.issues = issues


@dataclass
class PreparedDataset:
    """A dataset ready for grading: its loaded tables and its expected result."""

    spec: DatasetSpec
    tables: list[LoadedTable]
    expected: ResultSet


@dataclass(frozen=True)
class SqlTask:
    """Everything a SQL grading needs, from a challenge or an interview round.

    ``root``: the folder CSV paths are relative to (masked in the sandbox); ``reference``:
    the reference query's text (``reference_path`` locates its issues); ``yaml_path`` and
    ``dataset_loc`` (the YAML location of the datasets list) locate dataset issues;
    ``version``: a content hash, so cached expected results follow content changes.
    """

    root: Path
    datasets: tuple[DatasetSpec, ...]
    reference: str
    reference_path: Path
    compare: SqlCompareSpec = field(default_factory=SqlCompareSpec)
    yaml_path: Path | None = None
    dataset_loc: tuple[Any, ...] = ("datasets",)
    version: str = ""
    label: str = "sql"

    @classmethod
    def from_challenge(cls, challenge: Challenge) -> SqlTask:
        """The task of a SQL challenge."""
        spec = challenge.spec
        return cls(
            root=challenge.root,
            datasets=tuple(spec.datasets or ()),
            reference=challenge.solution,
            reference_path=challenge.root / spec.solution,
            compare=spec.sql_compare,
            yaml_path=challenge.root / CHALLENGE_FILE,
            version=challenge.content_hash,
            label=challenge.id,
        )


_PREPARED: dict[tuple[Any, ...], dict[str, PreparedDataset]] = {}
_PREPARED_LOCK = threading.Lock()
_PREPARED_MAX = 64


def _locator(yaml_path: Path | None) -> Callable[..., int]:
    tree = load_yaml(yaml_path)[0] if yaml_path is not None and yaml_path.is_file() else None

    def at(*loc: Any) -> int:
        return line_of(tree, loc) if tree is not None else 1

    return at


def _within(at: Callable[..., int], prefix: tuple[Any, ...]) -> Callable[..., int]:
    def locate(*loc: Any) -> int:
        return at(*prefix, *loc)

    return locate


def _as_task(source: Challenge | SqlTask) -> SqlTask:
    return source if isinstance(source, SqlTask) else SqlTask.from_challenge(source)


def prepare_task(
    source: Challenge | SqlTask,
    max_memory: str,
    row_cap: int = DEFAULT_ROW_CAP,
    byte_cap: int = DEFAULT_BYTE_CAP,
) -> tuple[dict[str, PreparedDataset], list[ContentIssue]]:
    """Load every dataset and compute its expected result on the trusted side (no cache);
    the issues say what is broken, as ``file:line``."""
    task = _as_task(source)
    root = task.root
    at = _locator(task.yaml_path)
    yaml_path = task.yaml_path or root / CHALLENGE_FILE
    issues: list[ContentIssue] = []
    try:
        reference = prepare_query(task.reference)
    except SqlRefused as exc:
        return {}, [ContentIssue(task.reference_path, 1, f"reference solution refused: {exc}")]
    prepared: dict[str, PreparedDataset] = {}
    for d_idx, dataset in enumerate(task.datasets):
        where = f"dataset '{dataset.name}'"
        locate = _within(at, (*task.dataset_loc, d_idx))
        try:
            tables = load_dataset_tables(root, dataset, yaml_path, at=locate)
        except ContentError as exc:
            issues += exc.issues
            continue
        request = build_kernel_request(reference, tables, max_memory, row_cap, byte_cap)
        raw = run_sql(request, interrupt_after=REFERENCE_SECONDS)
        if "error" in raw:
            issues.append(
                ContentIssue(
                    task.reference_path,
                    1,
                    f"{where}: the reference solution fails: {raw['error']}: "
                    f"{_clip(_first_line(raw.get('message', '')), 300)}",
                )
            )
            continue
        if "limit" in raw:
            issues.append(
                ContentIssue(
                    task.reference_path,
                    1,
                    f"{where}: the reference solution's result passes the output cap "
                    f"({row_cap} rows, {byte_cap} bytes)",
                )
            )
            continue
        result = decode_result(raw)
        if dataset.expected_output:
            try:
                expected = _expected_from_csv(root, dataset, result, max_memory)
            except ContentError as exc:
                issues += exc.issues
                continue
            mismatch = compare_results(expected.result, result, task.compare)
            if mismatch is not None:
                line = (
                    expected.lines[mismatch.expected_row]
                    if mismatch.expected_row is not None
                    else 1
                )
                issues.append(
                    ContentIssue(
                        root / dataset.expected_output,
                        line,
                        f"{where}: the reference solution's result differs from "
                        f"expected_output: {mismatch.message}",
                    )
                )
                continue
            result = expected.result
        prepared[dataset.name] = PreparedDataset(dataset, tables, result)
    return prepared, issues


@dataclass
class _ExpectedCsv:
    result: ResultSet
    lines: list[int]


def _expected_from_csv(
    root: Path, dataset: DatasetSpec, reference: ResultSet, max_memory: str
) -> _ExpectedCsv:
    """The expected_output CSV cast to the reference result's types, encoded like a result."""
    assert dataset.expected_output is not None
    data = load_expected_csv(root, dataset.expected_output)
    what = f"dataset '{dataset.name}' expected_output"
    rows = cast_expected(data, reference.types, what)
    table = LoadedTable("expected", [(f"c{i}", t) for i, t in enumerate(reference.types)], rows)
    raw = run_sql(
        build_kernel_request("SELECT * FROM expected", [table], max_memory, len(rows) + 1, 1 << 40)
    )
    if "error" in raw:
        raise ContentError(
            [ContentIssue(data.path, 1, f"{what}: cannot load: {_first_line(raw['message'])}")]
        )
    decoded = decode_result(raw)
    return _ExpectedCsv(
        ResultSet(list(data.header), list(reference.types), decoded.rows),
        [line for line, _ in data.records],
    )


def _digest(task: SqlTask) -> str:
    """A content key of a task without a version (CSV files are not read: pass a version
    when datasets use them)."""
    text = json.dumps([d.model_dump(mode="json") for d in task.datasets], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def prepared_datasets(
    source: Challenge | SqlTask,
    max_memory: str,
    row_cap: int = DEFAULT_ROW_CAP,
    byte_cap: int = DEFAULT_BYTE_CAP,
) -> dict[str, PreparedDataset]:
    """Every dataset's tables and expected result, cached per content version; raises
    :class:`ReferenceFailure` when the content is broken."""
    task = _as_task(source)
    key = (
        str(task.root.resolve()),
        task.version or _digest(task),
        task.reference,
        max_memory,
        row_cap,
        byte_cap,
    )
    with _PREPARED_LOCK:
        cached = _PREPARED.get(key)
    if cached is not None:
        return cached
    prepared, issues = prepare_task(task, max_memory, row_cap, byte_cap)
    if issues:
        raise ReferenceFailure(issues)
    with _PREPARED_LOCK:
        if len(_PREPARED) >= _PREPARED_MAX:
            _PREPARED.pop(next(iter(_PREPARED)))
        _PREPARED[key] = prepared
    return prepared


def check_sql_challenge(
    source: Challenge | SqlTask, limits: Limits | None = None
) -> list[ContentIssue]:
    """Content checks that need DuckDB, for ``kodelab validate`` and CI: the reference
    solution is one allowed query, runs on every dataset within the output caps, and
    matches each ``expected_output`` given. ``file:line`` issues; [] for python challenges."""
    limits = limits or Limits()
    if isinstance(source, Challenge):
        if source.spec.language != "sql":
            return []
        limits = limits.override(memory_mb=source.spec.limits.memory_mb)
    _, issues = prepare_task(source, sql_max_memory(limits))
    return issues


# ------------------------------------------------------------------------- grading


@functools.lru_cache(maxsize=1)
def duckdb_error_names() -> frozenset[str]:
    """Class names of DuckDB's exceptions (what a hidden dataset's message may show)."""
    import duckdb

    return frozenset(
        name
        for name in dir(duckdb)
        if isinstance(getattr(duckdb, name), type)
        and issubclass(getattr(duckdb, name), duckdb.Error)
    )


class SqlTestResult(TestResult):
    """A dataset's result: a hidden one may also show a DuckDB exception class name."""

    def to_json(self) -> dict[str, Any]:
        """The per-test JSON of the contract."""
        doc = super().to_json()
        if not self.visible and self.message in duckdb_error_names():
            doc["message"] = self.message
        return doc


_ERROR_OUTCOMES = {
    "OutOfMemoryException": "memory_limit_exceeded",
    "MemoryError": "memory_limit_exceeded",
    "InterruptException": "time_limit_exceeded",
}


def sql_limits(limits: Limits, datasets: int, byte_cap: int) -> Limits:
    """The run's limits: room on the output meter for every dataset's capped result (the
    JSON of a result is escaped once more inside the kernel message)."""
    need = datasets * (2 * byte_cap + (64 << 10))
    return limits.override(output_bytes=max(limits.output_bytes, need))


async def grade_sql(
    judge: Judge,
    challenge: Challenge,
    answer: str,
    visible_only: bool = False,
    row_cap: int | None = None,
    byte_cap: int | None = None,
) -> Verdict:
    """Grade a SQL challenge's answer: each dataset is one test (name, visible, points)."""
    return await grade_sql_task(
        judge,
        SqlTask.from_challenge(challenge),
        answer,
        judge.limits_for(challenge),
        visible_only=visible_only,
        row_cap=row_cap,
        byte_cap=byte_cap,
    )


async def grade_sql_task(
    judge: Judge,
    task: SqlTask,
    answer: str,
    limits: Limits,
    visible_only: bool = False,
    row_cap: int | None = None,
    byte_cap: int | None = None,
) -> Verdict:
    """Grade ``answer`` against ``task``'s datasets with ``judge``'s sandbox (also for
    interview SQL rounds); ``limits`` are the run's limits before the SQL output room."""
    started = time.monotonic()
    row_cap = row_cap or int(getattr(judge, "sql_row_cap", DEFAULT_ROW_CAP))
    byte_cap = byte_cap or int(getattr(judge, "sql_byte_cap", DEFAULT_BYTE_CAP))
    datasets = [d for d in task.datasets if d.visible or not visible_only]
    results: list[TestResult] = [
        SqlTestResult(d.name, d.visible, float(d.points)) for d in datasets
    ]
    try:
        query = await asyncio.to_thread(prepare_query, answer)
    except SqlRefused as exc:
        return Verdict(results, time.monotonic() - started, str(exc), forced="compile_error")
    limits = sql_limits(limits, len(datasets), byte_cap)
    max_memory = sql_max_memory(limits)
    session: KernelSession | None = None
    try:
        prepared = await asyncio.to_thread(prepared_datasets, task, max_memory, row_cap, byte_cap)
        session = await judge.session_for(task.root, limits)
        verdict = await _run(
            session, task, query, datasets, results, prepared, max_memory, row_cap, byte_cap
        )
    except ReferenceFailure as exc:
        judge.log.error("SQL task %s is broken: %s", task.label, exc)
        verdict = Verdict(
            results,
            message="internal error: the challenge's reference is broken",
            forced="internal_error",
        )
    except RunStopped as stop:
        judge.log.warning("SQL grading run stopped during set-up: %s", stop.message)
        verdict = Verdict(results, message=stop.message, forced="internal_error")
    except Exception as exc:
        judge.log.exception("internal error while grading %s", task.label)
        verdict = Verdict(
            results, message=f"internal error: {type(exc).__name__}", forced="internal_error"
        )
    finally:
        if session is not None:
            await session.kernel.destroy()
    verdict.duration_s = time.monotonic() - started
    return verdict


async def _run(
    session: KernelSession,
    task: SqlTask,
    query: str,
    datasets: list[DatasetSpec],
    results: list[TestResult],
    prepared: dict[str, PreparedDataset],
    max_memory: str,
    row_cap: int,
    byte_cap: int,
) -> Verdict:
    session.start_clock()
    failed = await session.run_answer(_SETUP_CELL)  # our code: imports duckdb in the kernel
    if failed:
        raise RuntimeError(f"duckdb is not usable in the grading kernel ({failed})")
    session.start_clock()  # the wall budget counts from the first dataset
    message = ""
    for dataset, result in zip(datasets, results, strict=True):
        if session.stopped is not None:
            result.outcome = "skipped"
            result.message = f"not run: {session.stopped.message}" if result.visible else ""
            continue
        ready = prepared[dataset.name]
        request = build_kernel_request(query, ready.tables, max_memory, row_cap, byte_cap)
        began = time.monotonic()
        try:
            call = await session.call(KERNEL_FUNCTION, [request], {})
            judge_dataset(task.compare, ready.expected, call, result, row_cap, byte_cap)
        except RunStopped as stop:
            result.outcome, result.message = stop.outcome, stop.message
            message = stop.message
        result.duration_s = time.monotonic() - began
    return Verdict(results, message=message)


def judge_dataset(
    compare: SqlCompareSpec,
    expected: ResultSet,
    call: CallResult,
    result: TestResult,
    row_cap: int = DEFAULT_ROW_CAP,
    byte_cap: int = DEFAULT_BYTE_CAP,
) -> None:
    """Decide one dataset from what the kernel sent back (nothing it says is a verdict)."""
    visible = result.visible
    if call.error is not None:
        result.outcome = _ERROR_OUTCOMES.get(call.error, "runtime_error")
        result.message = call.error
        return
    raw = call.value
    if isinstance(raw, dict) and "error" in raw:
        name = str(raw.get("error"))
        if name not in duckdb_error_names() and name not in HIDDEN_MESSAGES:
            name = "Error"
        if raw.get("stage") == "load" and name not in _ERROR_OUTCOMES:
            result.outcome = "internal_error"
            result.message = "the dataset could not be loaded" if visible else ""
            return
        result.outcome = _ERROR_OUTCOMES.get(name, "runtime_error")
        detail = _first_line(str(raw.get("message", "")))
        result.message = _clip(f"{name}: {detail}") if visible and detail else name
        return
    if isinstance(raw, dict) and "limit" in raw:
        result.outcome = "output_limit_exceeded"
        what = (
            f"more than {row_cap:,} rows"
            if raw["limit"] == "rows"
            else (f"more than {byte_cap:,} bytes")
        )
        result.message = (
            f"output limit exceeded: the result has {what}"
            if visible
            else ("output limit exceeded")
        )
        return
    try:
        got = decode_result(raw)
    except ValueError:
        result.outcome, result.message = "runtime_error", "NoResult"
        return
    if len(got.rows) > row_cap:
        result.outcome, result.message = "output_limit_exceeded", "output limit exceeded"
        return
    mismatch = compare_results(expected, got, compare)
    if mismatch is None:
        result.outcome, result.message = "accepted", ""
        return
    result.outcome = "wrong_answer"
    result.message = _clip(mismatch.message) if visible else ""
