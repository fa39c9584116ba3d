"""SQL datasets: CSV files and inline rows, checked and cast to their declared DuckDB types.

Everything here runs on the trusted side (the grader or ``kodelab validate``). A table is
loaded into a private in-memory DuckDB (external access off, no extensions, no temporary
files) only to cast its values to the declared column types, so a bad value is reported as
``file:line`` before any student sees the challenge. What comes out, :class:`LoadedTable`,
holds plain values (None, bool, int, float, str) that the grading kernel inserts into a
typed table with query parameters: DuckDB casts the text form of a DECIMAL, DATE, TIMESTAMP
or any other type back to the exact same value.

CSV rules (DESIGN.md): UTF-8 (a leading BOM is ignored), RFC 4180 (``,`` separator, ``"``
quoting with ``""`` for a quote, CRLF or LF line ends), a header row, and an empty
*unquoted* field is NULL while ``""`` is the empty string.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ContentError, ContentIssue
from .model import DatasetSpec, TableSpec

# Values of these types travel as Python values; every other type travels as its text form.
NATIVE_TYPES = frozenset(
    {
        "BOOLEAN",
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "FLOAT",
        "DOUBLE",
        "VARCHAR",
    }
)
INTEGER_TYPES = frozenset(
    {
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
        "UHUGEINT",
    }
)
_INTEGER_TEXT = re.compile(r"\s*[+-]?\d+\s*")
_MESSAGE_LIMIT = 200

Locator = Callable[..., int]


def trusted_config(max_memory: str = "256MB") -> dict[str, Any]:
    """DuckDB settings of every connection the grader opens itself (and of the kernel's)."""
    return {
        "enable_external_access": False,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "allow_community_extensions": False,
        "allow_unsigned_extensions": False,
        "allow_persistent_secrets": False,
        "threads": 1,
        "max_memory": max_memory,
        "temp_directory": "",
    }


def quote_ident(name: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class LoadedTable:
    """A dataset table ready to create: canonical column types and plain row values."""

    name: str
    columns: list[tuple[str, str]]
    rows: list[list[Any]] = field(default_factory=list)

    def to_request(self) -> dict[str, Any]:
        """The table as plain data for the grading kernel."""
        return {
            "name": self.name,
            "columns": [[c, t] for c, t in self.columns],
            "rows": [list(r) for r in self.rows],
        }


@dataclass(frozen=True)
class CsvData:
    """A parsed CSV file: its header and each record with the line it starts on."""

    path: Path
    header: list[str]
    records: list[tuple[int, list[str | None]]]


# --------------------------------------------------------------------------- CSV parsing

_QUOTED = re.compile(r'"((?:[^"]+|"")*)"')
_UNQUOTED = re.compile(r'[^,"\r\n]*')


def parse_csv_text(text: str, path: Path) -> CsvData:
    """Parse RFC 4180 text; raise ContentError with ``path:line`` on malformed input."""
    if text.startswith("\ufeff"):
        text = text[1:]
    records: list[tuple[int, list[str | None]]] = []
    pos, line, end = 0, 1, len(text)
    while pos < end:
        start_line = line
        fields: list[str | None] = []
        while True:
            quoted = _QUOTED.match(text, pos)
            value: str | None
            if quoted is not None:
                raw = quoted.group(1)
                value = raw.replace('""', '"')
                line += raw.count("\n") + raw.count("\r") - raw.count("\r\n")
                pos = quoted.end()
            else:
                unquoted = _UNQUOTED.match(text, pos)
                assert unquoted is not None  # matches the empty string at least
                value = unquoted.group(0) or None
                pos = unquoted.end()
            fields.append(value)
            if pos >= end:
                break
            char = text[pos]
            if char == ",":
                pos += 1
                continue
            if char in "\r\n":
                pos += 2 if text.startswith("\r\n", pos) else 1
                line += 1
                break
            if quoted is not None:
                problem = "unexpected character after a closing quote (double a quote inside one)"
            elif value is None:
                problem = "unterminated quoted field"
            else:
                problem = "quote inside an unquoted field (quote the field, double the quote)"
            raise ContentError([ContentIssue(path, line, f"bad CSV: {problem}")])
        records.append((start_line, fields))
    if not records:
        raise ContentError(
            [ContentIssue(path, 1, "bad CSV: the file is empty (a header row is required)")]
        )
    (_, header), body = records[0], records[1:]
    names: list[str] = []
    for idx, name in enumerate(header):
        if name is None or not name.strip():
            raise ContentError(
                [ContentIssue(path, 1, f"bad CSV: header column {idx + 1} has no name")]
            )
        names.append(name.strip())
    for rec_line, fields in body:
        if len(fields) != len(names):
            raise ContentError(
                [
                    ContentIssue(
                        path,
                        rec_line,
                        f"bad CSV: record has {len(fields)} field(s), the header has {len(names)}",
                    )
                ]
            )
    return CsvData(path, names, body)


def read_csv_file(path: Path, shown: Path | None = None) -> CsvData:
    """Read and parse a UTF-8 CSV file (``shown`` is the path used in messages)."""
    shown = shown or path
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ContentError([ContentIssue(shown, 1, f"cannot read CSV: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ContentError([ContentIssue(shown, line, "bad CSV: not UTF-8 text")]) from None
    return parse_csv_text(text, shown)


def resolve_data_path(root: Path, rel: str) -> Path | None:
    """``rel`` inside ``root`` (None when it points outside the challenge folder)."""
    path = (Path(root) / rel).resolve()
    if not path.is_relative_to(Path(root).resolve()):
        return None
    return path


# --------------------------------------------------------------------------- casting


def trusted_connect(max_memory: str = "256MB") -> Any:
    """A private in-memory DuckDB of the grader (see :func:`trusted_config`)."""
    import duckdb

    con = duckdb.connect(":memory:", config=trusted_config(max_memory))
    con.execute("SET enable_progress_bar = false")
    return con


def _connect() -> Any:
    return trusted_connect("256MB")


def _first_line(message: str) -> str:
    text = message.strip().splitlines()[0] if message.strip() else message
    text = re.sub(r"^[A-Za-z ]+Error: ", "", text)
    return text[:_MESSAGE_LIMIT]


def canonical_type(con: Any, type_name: str) -> str:
    """DuckDB's own spelling of a type name; ValueError for an unknown or unusable type."""
    import duckdb

    try:
        parsed = con.type(type_name)
    except (duckdb.Error, RuntimeError, TypeError, ValueError) as exc:
        raise ValueError(f"unknown DuckDB type '{type_name}': {_first_line(str(exc))}") from None
    canonical = str(parsed)
    try:  # the type must also be usable as a column type
        con.execute(f"SELECT CAST(NULL AS {canonical})").fetchall()
    except duckdb.Error as exc:
        raise ValueError(f"type '{type_name}' cannot be used: {_first_line(str(exc))}") from None
    return canonical


def _precheck(value: Any, type_name: str) -> str | None:
    """Stricter than DuckDB's casts where they round silently: integers must be integers."""
    if value is None:
        return None
    base = type_name.split("(")[0].strip()
    if base in INTEGER_TYPES:
        if isinstance(value, bool):
            return f"{value!r} is a boolean, not an integer"
        if isinstance(value, float) and not value.is_integer():
            return f"{value!r} is not an integer"
        if isinstance(value, str) and not _INTEGER_TEXT.fullmatch(value):
            return f"'{value}' is not an integer"
    return None


def cast_rows(
    con: Any,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[Any]],
    where: Callable[[int], tuple[Path, int]],
    what: str,
) -> list[list[Any]]:
    """Cast ``rows`` to the (canonical) column types; plain transport values come back.

    ``where(i)`` locates row ``i`` as (file, line) for error messages; ``what`` names the
    table in them. Raises ContentError on the first value that does not cast.
    """
    import duckdb

    for idx, row in enumerate(rows):
        for (column, type_name), value in zip(columns, row, strict=True):
            problem = _precheck(value, type_name)
            if problem:
                path, line = where(idx)
                raise ContentError(
                    [
                        ContentIssue(
                            path, line, f"{what}, column '{column}' ({type_name}): {problem}"
                        )
                    ]
                )
    table = "__kodelab_cast"
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(
        f"CREATE TABLE {table} (" + ", ".join(f"{quote_ident(c)} {t}" for c, t in columns) + ")"
    )
    insert = f"INSERT INTO {table} VALUES ({', '.join('?' for _ in columns)})"
    try:
        if rows:
            con.executemany(insert, [list(r) for r in rows])
    except duckdb.Error:
        con.execute(f"DELETE FROM {table}")
        for idx, row in enumerate(rows):
            try:
                con.execute(insert, list(row))
            except duckdb.Error as exc:
                path, line = where(idx)
                column, type_name = _bad_column(con, columns, row)
                raise ContentError(
                    [
                        ContentIssue(
                            path,
                            line,
                            f"{what}, column '{column}' ({type_name}): cannot cast "
                            f"{_show(row[[c for c, _ in columns].index(column)])}: "
                            f"{_first_line(str(exc))}",
                        )
                    ]
                ) from None
        raise  # every row inserted one by one: the batch failure was not about a value
    select = ", ".join(
        quote_ident(c) if t in NATIVE_TYPES else f"CAST({quote_ident(c)} AS VARCHAR)"
        for c, t in columns
    )
    out = [list(r) for r in con.execute(f"SELECT {select} FROM {table} ORDER BY rowid").fetchall()]
    con.execute(f"DROP TABLE {table}")
    return out


def _bad_column(
    con: Any, columns: Sequence[tuple[str, str]], row: Sequence[Any]
) -> tuple[str, str]:
    """The first column whose value of ``row`` does not cast to its type."""
    import duckdb

    for (column, type_name), value in zip(columns, row, strict=True):
        try:
            con.execute(f"SELECT CAST(? AS {type_name})", [value]).fetchall()
        except duckdb.Error:
            return column, type_name
    return columns[0]


def _show(value: Any) -> str:
    text = "NULL" if value is None else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --------------------------------------------------------------------------- datasets


def load_dataset_tables(
    root: Path,
    dataset: DatasetSpec,
    yaml_path: Path | None = None,
    at: Locator | None = None,
) -> list[LoadedTable]:
    """Load every table of ``dataset``: types checked, CSV files parsed, values cast.

    ``root`` is the content folder CSV paths are relative to. ``yaml_path`` and ``at`` (a
    function of a location inside the dataset, e.g. ``at("tables", 0, "rows", 2)``, giving
    its line) locate errors in the YAML; raises ContentError listing every problem found.
    """
    root = Path(root)
    shown_yaml = yaml_path or root / "challenge.yaml"

    def line(*loc: Any) -> int:
        return at(*loc) if at is not None else 1

    issues: list[ContentIssue] = []
    tables: list[LoadedTable] = []
    con = _connect()
    try:
        for t_idx, table in enumerate(dataset.tables):
            try:
                tables.append(_load_table(con, root, table, t_idx, shown_yaml, line, dataset.name))
            except ContentError as exc:
                issues += exc.issues
    finally:
        con.close()
    if issues:
        raise ContentError(issues)
    return tables


def _load_table(
    con: Any,
    root: Path,
    table: TableSpec,
    t_idx: int,
    yaml_path: Path,
    line: Callable[..., int],
    dataset: str,
) -> LoadedTable:
    what = f"dataset '{dataset}', table '{table.name}'"
    columns: list[tuple[str, str]] = []
    issues = []
    for column, type_name in table.columns.items():
        try:
            columns.append((column, canonical_type(con, type_name)))
        except ValueError as exc:
            issues.append(
                ContentIssue(yaml_path, line("tables", t_idx, "columns", column), f"{what}: {exc}")
            )
    if issues:
        raise ContentError(issues)
    if table.csv is not None:
        path = resolve_data_path(root, table.csv)
        if path is None:
            raise ContentError(
                [
                    ContentIssue(
                        yaml_path,
                        line("tables", t_idx, "csv"),
                        f"{what}: csv '{table.csv}' points outside the challenge folder",
                    )
                ]
            )
        if not path.is_file():
            raise ContentError(
                [
                    ContentIssue(
                        yaml_path,
                        line("tables", t_idx, "csv"),
                        f"{what}: csv file '{table.csv}' does not exist",
                    )
                ]
            )
        shown = Path(root) / table.csv
        data = read_csv_file(path, shown)
        declared = [c for c, _ in columns]
        if [h.lower() for h in data.header] != [c.lower() for c in declared]:
            raise ContentError(
                [
                    ContentIssue(
                        shown,
                        1,
                        f"{what}: CSV header columns ({', '.join(data.header)}) do not match "
                        f"the declared columns ({', '.join(declared)}), in order",
                    )
                ]
            )
        records = data.records
        rows = cast_rows(
            con,
            columns,
            [r for _, r in records],
            lambda i: (shown, records[i][0]),
            what,
        )
    else:
        inline = table.rows or []
        rows = cast_rows(
            con,
            columns,
            inline,
            lambda i: (yaml_path, line("tables", t_idx, "rows", i)),
            what,
        )
    return LoadedTable(table.name, columns, rows)


def load_expected_csv(root: Path, rel: str) -> CsvData:
    """Parse a dataset's ``expected_output`` CSV (casting needs the reference's types)."""
    path = resolve_data_path(root, rel)
    shown = Path(root) / rel
    if path is None:
        raise ContentError(
            [ContentIssue(shown, 1, f"expected_output '{rel}' points outside the challenge folder")]
        )
    if not path.is_file():
        raise ContentError([ContentIssue(shown, 1, f"expected_output file '{rel}' does not exist")])
    return read_csv_file(path, shown)


def cast_expected(
    data: CsvData, types: Sequence[str], what: str = "expected_output"
) -> list[list[Any]]:
    """Cast an expected-output CSV to the reference result's column types."""
    if len(data.header) != len(types):
        raise ContentError(
            [
                ContentIssue(
                    data.path,
                    1,
                    f"{what} has {len(data.header)} column(s) but the reference solution "
                    f"returns {len(types)}",
                )
            ]
        )
    seen = [h.lower() for h in data.header]
    columns = [
        (h if seen.count(h.lower()) == 1 else f"{h}#{i + 1}", t)
        for i, (h, t) in enumerate(zip(data.header, types, strict=True))
    ]
    con = _connect()
    try:
        return cast_rows(
            con,
            columns,
            [r for _, r in data.records],
            lambda i: (data.path, data.records[i][0]),
            what,
        )
    finally:
        con.close()
