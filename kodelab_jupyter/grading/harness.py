"""Kernel-side harness: calls the student's function and hands back its return value as data.

This source is sent into the sandboxed kernel as the first cell of every grading run, so it
uses the standard library only (numpy and pandas are optional and imported lazily). Nothing
here decides pass or fail: the student can replace or patch this object and gains nothing,
because the grader compares the returned data with expected values it never sends in.
"""

from __future__ import annotations

import sys
from typing import Any

RESULT_MIME = "text/x-kodelab-result"


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


class Harness:
    """Calls the entry point for one test and publishes the outcome as a display message."""

    def __init__(self, wire: Any) -> None:
        self._wire = wire

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
            value = func(*args, **kwargs)
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
