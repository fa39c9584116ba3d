"""Kernel-side harness: calls the student's function and hands back its return value as data.

It also runs SQL answers (:func:`run_sql`): one student query against one dataset in a
fresh in-memory DuckDB (duckdb imported lazily); the grader runs the reference query
through the very same function on its own side, so both results are encoded alike.

This source is sent into the sandboxed kernel as the first cell of every grading run, so it
uses the standard library only (numpy and pandas are optional and imported lazily). Nothing
here decides pass or fail: the student can replace or patch this object and gains nothing,
because the grader compares the returned data with expected values it never sends in.

:func:`contain_forks` (installed at boot) keeps a forked copy of the kernel from acting as
the kernel, in every sandbox alike; see there.
"""

from __future__ import annotations

import os
import sys
from typing import Any

RESULT_MIME = "text/x-kodelab-result"


def contain_forks() -> int:
    """Keep forked copies of the kernel from acting as the kernel; the kernel's pid.

    ``os.fork()`` in an answer copies the whole kernel: its event loop, its ZeroMQ sockets and
    its logging. What a copy does outside the answer's own code is no part of the answer, yet
    it reached the verdict: an unbounded fork bomb came out as ``output_limit_exceeded`` (each
    copy logs "attempted to send message from fork" with the whole message, and prints its
    tracebacks, on the kernel's fds 1-2), or as ``time_limit_exceeded`` / (in a container)
    ``memory_limit_exceeded`` (the copies, back in the kernel's event loop, spin on the
    inherited sockets, steal the kernel's wake-ups and dirty their memory), never as the fork
    failure it causes (``runtime_error``). So in every forked child (an at-fork hook):

    * fds 1-2, and ipykernel's copies of the kernel's original fds 1-2 (its log and echo go
      there), point at /dev/null: what the copy's kernel machinery writes there is not the
      answer's output, and nothing written to /dev/null costs the grader anything. The
      copy's ``print`` still reaches the kernel (ipykernel forwards it) and is metered on
      iopub; processes started with ``subprocess`` (which runs no at-fork hook unless given
      a ``preexec_fn``) keep fds 1-2 and are metered as before.
    * it runs at the lowest CPU priority (nice 19; unprivileged code cannot undo that), so
      what the answer forks cannot starve the kernel that talks to the grader (a forked
      worker only runs slower while the kernel itself needs the CPU).
    * when it comes back to the kernel's code (a traceback is about to be shown, a call of
      the harness or the cell ended) it exits at once (status 1).
    """
    from IPython import get_ipython

    shell = get_ipython()
    kernel_pid = os.getpid()
    fds = {1, 2}
    for stream in (sys.stdout, sys.stderr):
        copy = getattr(stream, "_original_stdstream_copy", None)
        if isinstance(copy, int):
            fds.add(copy)

    def leave_if_copy(*_args: Any, **_kwargs: Any) -> None:
        if os.getpid() != kernel_pid:
            os._exit(1)

    def in_child() -> None:
        try:
            os.nice(19)
        except OSError:
            pass
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                for fd in sorted(fds):
                    os.dup2(null, fd)
            finally:
                os.close(null)
        except OSError:  # no descriptor left: the copy keeps its fds
            pass
        if shell is not None:
            shell.showtraceback = leave_if_copy  # in this child's memory only

    os.register_at_fork(after_in_child=in_child)
    if shell is not None:
        shell.events.register("post_execute", leave_if_copy)
    return kernel_pid


def _to_plain(value: Any) -> Any:
    """Map numpy / pandas / datetime values to plain data; NotImplemented when unknown."""
    import datetime
    import decimal

    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    np = sys.modules.get("numpy")
    pd = sys.modules.get("pandas")
    if pd is not None:
        if isinstance(value, pd.DataFrame):
            columns = [str(c) for c in value.columns]
            return [
                {c: _cell(v, pd) for c, v in zip(columns, row, strict=False)}
                for row in value.itertuples(index=False, name=None)
            ]
        if isinstance(value, pd.Series):
            return [_cell(v, pd) for v in value.tolist()]
        if isinstance(value, pd.Timestamp):
            return value.isoformat()
        if value is pd.NA or value is pd.NaT:
            return None
    if np is not None:
        if isinstance(value, np.ndarray):
            return value.tolist()
        if isinstance(value, np.generic):
            return value.item()
    return NotImplemented


def _cell(value: Any, pd: Any) -> Any:
    """A DataFrame/Series cell: every missing marker (NaN, None, NaT, NA) becomes None."""
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def _from_wire_arg(value: Any) -> Any:
    """Test arguments written as ``{$dataframe: [records]}`` arrive as DataFrames."""
    if type(value) is dict and set(value) == {"$dataframe"}:
        import pandas

        return pandas.DataFrame.from_records(value["$dataframe"])
    return value


# ----------------------------------------------------------------------------------- SQL

SQL_TZ_TYPES = ("TIMESTAMP WITH TIME ZONE", "TIME WITH TIME ZONE")


def sql_connect(config: dict[str, Any]) -> Any:
    """A fresh in-memory DuckDB with the grader's settings (sent as data in each request:
    no files, no network, no extensions, one thread)."""
    import duckdb

    con = duckdb.connect(":memory:", config=dict(config))
    con.execute("SET enable_progress_bar = false")  # a connection setting, not a global one
    return con


def sql_value(value: Any) -> Any:
    """A DuckDB result value as plain data; typed values become ``(tag, text)`` tuples."""
    import datetime
    import decimal
    import uuid

    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, decimal.Decimal):
        return ("decimal", str(value))
    if isinstance(value, datetime.datetime):
        return ("timestamp", value.isoformat())
    if isinstance(value, datetime.date):
        return ("date", value.isoformat())
    if isinstance(value, datetime.time):
        return ("time", value.isoformat())
    if isinstance(value, datetime.timedelta):
        return ("interval", [value.days, value.seconds, value.microseconds])
    if isinstance(value, (bytes, bytearray, memoryview)):
        return ("blob", bytes(value).hex())
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [sql_value(v) for v in value]
    if isinstance(value, dict):
        if all(type(k) is str for k in value):
            return {k: sql_value(v) for k, v in value.items()}
        return ("map", [[sql_value(k), sql_value(v)] for k, v in value.items()])
    return ("text", str(value))


def _sql_size(row: list[Any]) -> int:
    import json

    return len(json.dumps(row, default=str, separators=(",", ":"))) + 1


def _sql_error(exc: BaseException, stage: str) -> dict[str, Any]:
    return {"error": type(exc).__name__, "message": str(exc)[:2000], "stage": stage}


def run_sql(request: dict[str, Any], interrupt_after: float | None = None) -> dict[str, Any]:
    """Load the request's tables into a fresh database, lock it, run its one query.

    Returns ``{columns, types, rows}``, or ``{columns, types, limit}`` when the result passes
    ``row_cap`` rows or ``byte_cap`` bytes, or ``{error, message, stage}`` for a DuckDB
    error. ``interrupt_after`` (seconds) interrupts the query (the grader's own runs; in the
    sandbox the wall clock is kept from outside).
    """
    import duckdb

    con = sql_connect(request["config"])
    timer = None
    try:
        try:
            for table in request["tables"]:
                name = '"' + str(table["name"]).replace('"', '""') + '"'
                cols = ", ".join(
                    '"' + str(c).replace('"', '""') + '" ' + str(t) for c, t in table["columns"]
                )
                con.execute(f"CREATE TABLE {name} ({cols})")
                if table["rows"]:
                    marks = ", ".join("?" for _ in table["columns"])
                    con.executemany(f"INSERT INTO {name} VALUES ({marks})", table["rows"])
            con.execute("SET lock_configuration = true")
        except duckdb.Error as exc:
            return _sql_error(exc, "load")
        query = str(request["query"])
        try:
            statements = duckdb.extract_statements(query)
        except duckdb.Error as exc:
            return _sql_error(exc, "query")
        if len(statements) != 1 or str(statements[0].type).rsplit(".", 1)[-1] != "SELECT":
            return {
                "error": "PermissionException",
                "message": "only one read-only SELECT statement may run",
                "stage": "query",
            }
        if interrupt_after is not None:
            import threading

            timer = threading.Timer(interrupt_after, con.interrupt)
            timer.daemon = True
            timer.start()
        try:
            cursor = con.execute(query)
            description = cursor.description or []
            columns = [str(d[0]) for d in description]
            types = [str(d[1]) for d in description]
            tz = [t in SQL_TZ_TYPES for t in types]
            if any(tz):  # fetching them needs pytz: fetch their text form instead
                exprs = ", ".join(
                    f"CAST(#{i + 1} AS VARCHAR)" if z else f"#{i + 1}" for i, z in enumerate(tz)
                )
                cursor = con.execute(f"SELECT {exprs} FROM (\n{query}\n) AS __kodelab_q")
            row_cap = int(request.get("row_cap", 10000))
            byte_cap = int(request.get("byte_cap", 1 << 20))
            rows: list[list[Any]] = []
            size = 0
            while len(rows) <= row_cap:
                batch = cursor.fetchmany(min(1000, row_cap + 1 - len(rows)))
                if not batch:
                    break
                for raw in batch:
                    row = [
                        ("timestamptz" if t == SQL_TZ_TYPES[0] else "timetz", v)
                        if z and v is not None
                        else sql_value(v)
                        for v, t, z in zip(raw, types, tz, strict=False)
                    ]
                    size += _sql_size(row)
                    if size > byte_cap:
                        return {"columns": columns, "types": types, "limit": "bytes"}
                    rows.append(row)
            if len(rows) > row_cap:
                return {"columns": columns, "types": types, "limit": "rows"}
        except duckdb.Error as exc:
            return _sql_error(exc, "query")
        return {"columns": columns, "types": types, "rows": rows}
    finally:
        if timer is not None:
            timer.cancel()
        con.close()


class Harness:
    """Calls the entry point for one test and publishes the outcome as a display message."""

    def __init__(self, wire: Any, kernel_pid: int | None = None) -> None:
        self._wire = wire
        self._kernel_pid = kernel_pid

    def sql_ready(self, config: dict[str, Any]) -> str:
        """Import and initialise duckdb before the clock starts; its version."""
        import duckdb

        sql_connect(config).close()
        return str(duckdb.__version__)

    def sql(self, request: dict[str, Any]) -> dict[str, Any]:
        """Run one SQL dataset (called through :meth:`call`; the query is data, not code)."""
        return run_sql(request)

    def call(self, index: int, request: str) -> None:
        """Run one call described by the JSON ``request`` and publish what happened."""
        from IPython import get_ipython
        from IPython.display import publish_display_data

        req = self._wire.loads(request, 1 << 30)
        func = get_ipython().user_ns.get(req["fn"])
        try:
            if func is None:
                raise NameError(f"name {req['fn']!r} is not defined")
            args = [_from_wire_arg(a) for a in req["args"]]
            kwargs = {k: _from_wire_arg(v) for k, v in req["kwargs"].items()}
            try:
                value = func(*args, **kwargs)
            finally:
                if self._kernel_pid not in (None, os.getpid()):
                    os._exit(1)  # a forked copy of the kernel: see contain_forks
        except BaseException as exc:
            text = self._wire.dumps({"i": index, "error": type(exc).__name__})
        else:
            try:
                text = self._wire.dumps({"i": index, "value": value}, _to_plain)
            except self._wire.WireError as exc:
                text = self._wire.dumps(
                    {"i": index, "error": "Unserializable", "detail": str(exc)[:200]}
                )
        publish_display_data({RESULT_MIME: text})
