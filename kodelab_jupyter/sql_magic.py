"""``%%sql`` in the candidate's own kernel: explore a round's visible tables in DuckDB.

The setup cell of a SQL interview round runs::

    %load_ext kodelab_jupyter.sql_magic
    from kodelab_jupyter.sql_magic import load_tables, run_sql
    load_tables([{"name": ..., "columns": {...}, "rows": [...]}, ...])

which puts the round's *visible* tables (public data, written into the notebook) into a
fresh in-memory DuckDB, the explorer. A ``%%sql`` cell (or ``run_sql("...")``) runs its SQL
there and shows the result as a pandas DataFrame of at most :data:`ROW_LIMIT` rows
(``%%sql name`` also stores it in the variable ``name``). The explorer has no access to
files or the network (``enable_external_access = false``, no extensions, configuration
locked). Nothing here grades anything: the answer cell is graded on the server, on these
tables and on hidden ones.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from .content.sqldata import quote_ident, trusted_config

__all__ = [
    "ROW_LIMIT",
    "connection",
    "load_ipython_extension",
    "load_tables",
    "run_sql",
    "sql",
    "table_names",
]

ROW_LIMIT = 200
MAX_MEMORY = "1GB"
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

_explorer: Any = None


def _connect() -> Any:
    import duckdb

    config = dict(trusted_config(MAX_MEMORY))
    config["threads"] = 2
    con = duckdb.connect(":memory:", config=config)
    con.execute("SET enable_progress_bar = false")
    return con


def connection() -> Any:
    """The explorer database (an empty one until :func:`load_tables` runs)."""
    global _explorer
    if _explorer is None:
        _explorer = _connect()
        _explorer.execute("SET lock_configuration = true")
    return _explorer


def load_tables(tables: Iterable[Mapping[str, Any]], show: bool = True) -> list[str]:
    """Replace the explorer by a fresh database holding ``tables``; returns their names.

    Each table is ``{"name": str, "columns": {column: duckdb_type}, "rows": [[...], ...]}``
    (the public view of a round's visible tables). Values may be given as their text form
    (dates, decimals...): DuckDB casts them to the declared column types.
    """
    global _explorer
    con = _connect()
    names: list[str] = []
    try:
        for table in tables:
            name = str(table["name"])
            columns = list(dict(table.get("columns") or {}).items())
            if not columns:
                raise ValueError(f"table '{name}' has no columns")
            spec = ", ".join(f"{quote_ident(str(c))} {t}" for c, t in columns)
            con.execute(f"CREATE TABLE {quote_ident(name)} ({spec})")
            rows = [list(r) for r in table.get("rows") or []]
            if rows:
                marks = ", ".join("?" for _ in columns)
                con.executemany(f"INSERT INTO {quote_ident(name)} VALUES ({marks})", rows)
            names.append(name)
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    old, _explorer = _explorer, con
    if old is not None:
        old.close()
    if show:
        _show_loaded(con, names)
    return names


def _show_loaded(con: Any, names: list[str]) -> None:
    from IPython.display import display
    for name in names:
        count = con.execute(f"SELECT count(*) FROM {quote_ident(name)}").fetchall()[0][0]
        print(f"{name}: {count} row{'s' if count != 1 else ''}")
        display(_frame(con.sql(f"SELECT * FROM {quote_ident(name)} LIMIT {ROW_LIMIT}")))
    if names:
        print("Explore them with %%sql cells or run_sql('SELECT ...').")


def table_names() -> list[str]:
    """The tables of the explorer."""
    rows = connection().execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()
    return [str(r[0]) for r in rows]


def _frame(relation: Any) -> Any:
    return relation.df()


def run_sql(query: str, limit: int = ROW_LIMIT) -> Any:
    """Run ``query`` in the explorer: a DataFrame of at most ``limit`` rows, or None for a
    statement without a result. DuckDB errors are raised (``duckdb.Error``)."""
    from .grading.source import strip_cell_magic

    text = strip_cell_magic(str(query), "sql")
    if not text.strip():
        return None
    relation = connection().sql(text)
    if relation is None:
        return None
    frame = _frame(relation.limit(limit + 1))
    if len(frame) > limit:
        frame = frame.head(limit)
        frame.attrs["kodelab_truncated"] = True
        print(f"(showing the first {limit} rows)")
    return frame


def sql(line: str, cell: str | None = None) -> Any:
    """The ``%%sql [variable]`` cell magic: run the cell, show the result.

    A SQL error is printed (one short message, no traceback) and the cell shows nothing.
    """
    import duckdb

    variable = (line or "").strip()
    if variable and not _VARIABLE.match(variable):
        print(f"%%sql: '{variable}' is not a variable name (use %%sql or %%sql result)")
        return None
    try:
        frame = run_sql(cell or "")
    except duckdb.Error as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"SQL error: {message}", file=sys.stderr)
        return None
    if variable:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            shell.user_ns[variable] = frame
    return frame


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext kodelab_jupyter.sql_magic``: register ``%%sql`` and ``run_sql``."""
    ipython.register_magic_function(sql, magic_kind="cell", magic_name="sql")
    ipython.user_ns.setdefault("run_sql", run_sql)
