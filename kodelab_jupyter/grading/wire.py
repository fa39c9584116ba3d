"""The data format that crosses the sandbox boundary, in both directions.

Plain JSON cannot tell a tuple from a list, a set from a list, NaN from a number, or hold
integers past Python's digit limit, so those travel as one-key tagged objects. Every JSON
object on the wire is such a tag; plain dicts travel as ``{"$dict": {...}}``.

This module is stdlib-only and imports nothing from the package: its source is also sent
into the grading kernel, so both sides share one codec. The trusted side only ever calls
:func:`loads`, which parses data and never evaluates or unpickles anything.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

MAX_DEPTH = 100
_BIG_INT_DIGITS = 4000  # below Python's int<->str limit (4300 digits)


class WireError(ValueError):
    """The value cannot be represented as plain data (or the payload is not valid wire data)."""


def encode(value: Any, convert: Callable[[Any], Any] | None = None, depth: int = 0) -> Any:
    """Turn plain data into a JSON-ready structure.

    Only exact built-in types are accepted, so a subclass cannot smuggle in its own
    ``__eq__`` or ``__iter__``; ``convert`` may map other objects (numpy, pandas) to plain
    data first and returns ``NotImplemented`` when it does not know the object.
    """
    if depth > MAX_DEPTH:
        raise WireError("value is nested too deeply")
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if kind is int:
        if abs(value).bit_length() > _BIG_INT_DIGITS * 3:
            return {"$int": hex(value)}
        return value
    if kind is float:
        if math.isfinite(value):
            return value
        return {"$float": repr(value)}
    if kind is list:
        return [encode(v, convert, depth + 1) for v in value]
    if kind is tuple:
        return {"$tuple": [encode(v, convert, depth + 1) for v in value]}
    if kind is set or kind is frozenset:
        return {"$set": [encode(v, convert, depth + 1) for v in value]}
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                raise WireError(f"dict keys must be str, not {type(key).__name__}")
            out[key] = encode(item, convert, depth + 1)
        return {"$dict": out}
    if convert is not None:
        converted = convert(value)
        if converted is not NotImplemented:
            return encode(converted, convert, depth + 1)
    raise WireError(f"{kind.__name__} is not plain data")


def decode(obj: Any, depth: int = 0) -> Any:
    """Rebuild plain data from :func:`encode`'s output (already parsed from JSON)."""
    if depth > MAX_DEPTH:
        raise WireError("value is nested too deeply")
    kind = type(obj)
    if obj is None or kind in (bool, str, int, float):
        return obj
    if kind is list:
        return [decode(v, depth + 1) for v in obj]
    if kind is dict and len(obj) == 1:
        ((tag, inner),) = obj.items()
        if tag == "$dict" and type(inner) is dict:
            return {str(k): decode(v, depth + 1) for k, v in inner.items()}
        if tag == "$tuple" and type(inner) is list:
            return tuple(decode(v, depth + 1) for v in inner)
        if tag == "$set" and type(inner) is list:
            items = [decode(v, depth + 1) for v in inner]
            try:
                return set(items)
            except TypeError as exc:
                raise WireError("set holds an unhashable value") from exc
        if tag == "$float" and inner in ("nan", "inf", "-inf"):
            return float(inner)
        if tag == "$int" and type(inner) is str:
            try:
                return int(inner, 16)
            except ValueError as exc:
                raise WireError("bad big integer") from exc
    raise WireError("not wire data")


def dumps(value: Any, convert: Callable[[Any], Any] | None = None) -> str:
    """Encode ``value`` and serialise it to a compact JSON string."""
    return json.dumps(encode(value, convert), allow_nan=False, separators=(",", ":"))


def loads(text: str | bytes, max_bytes: int) -> Any:
    """Parse wire text into plain data, refusing anything larger than ``max_bytes``."""
    if len(text) > max_bytes:
        raise WireError(f"payload of {len(text)} bytes exceeds {max_bytes}")

    def _no_constants(name: str) -> Any:
        raise WireError(f"bare {name} is not wire data")

    try:
        parsed = json.loads(text, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        raise WireError(f"payload is not valid JSON: {type(exc).__name__}") from exc
    return decode(parsed)
