"""Comparison of a student's returned data with the expected value, on the trusted side."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_NUMBER = (int, float)


@dataclass(frozen=True)
class CompareSpec:
    """How results are compared: exact, unordered, float (with tolerances) or custom."""

    mode: str = "exact"
    rel_tol: float = 1e-9
    abs_tol: float = 1e-9
    custom: Callable[[Any, Any], bool] | None = None


def _kind(value: Any) -> str:
    """The comparison kind: bool never equals int, str never equals a number."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, _NUMBER):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, (list, tuple)):
        return "sequence"
    if isinstance(value, dict):
        return "dict"
    if isinstance(value, (set, frozenset)):
        return "set"
    return type(value).__name__


def equal(expected: Any, got: Any, tol: tuple[float, float] | None = None) -> bool:
    """Python equality with kinds that must agree; numbers within ``tol`` when given."""
    kind = _kind(expected)
    if kind != _kind(got):
        return False
    if kind == "number":
        if tol is None:
            return bool(expected == got)
        if math.isnan(expected) or math.isnan(got):
            return math.isnan(expected) and math.isnan(got)
        return math.isclose(expected, got, rel_tol=tol[0], abs_tol=tol[1])
    if kind == "sequence":
        return len(expected) == len(got) and all(
            equal(e, g, tol) for e, g in zip(expected, got, strict=True)
        )
    if kind == "dict":
        return expected.keys() == got.keys() and all(
            equal(expected[k], got[k], tol) for k in expected
        )
    if kind == "set":
        if tol is None:
            return bool(expected == got) and all(any(equal(e, g) for g in got) for e in expected)
        return _same_multiset(list(expected), list(got), tol)
    return bool(expected == got)


def _same_multiset(expected: list[Any], got: list[Any], tol: tuple[float, float] | None) -> bool:
    """Multiset equality; hashable canonical keys when possible, pairwise matching otherwise."""
    if len(expected) != len(got):
        return False
    if tol is None:
        try:
            return Counter(map(_canonical, expected)) == Counter(map(_canonical, got))
        except TypeError:
            pass
    remaining = list(got)
    for item in expected:
        for idx, candidate in enumerate(remaining):
            if equal(item, candidate, tol):
                del remaining[idx]
                break
        else:
            return False
    return True


def _canonical(value: Any) -> Any:
    """A hashable key that is equal exactly when :func:`equal` (without tolerance) holds."""
    kind = _kind(value)
    if kind == "number":
        if isinstance(value, float) and value.is_integer():
            return (kind, int(value))
        return (kind, value)
    if kind == "sequence":
        return (kind, tuple(_canonical(v) for v in value))
    if kind == "dict":
        return (kind, frozenset((k, _canonical(v)) for k, v in value.items()))
    if kind == "set":
        return (kind, frozenset(_canonical(v) for v in value))
    return (kind, value)


def matches(spec: CompareSpec, expected: Any, got: Any) -> bool:
    """Whether ``got`` is an accepted answer for ``expected`` under ``spec``."""
    if spec.mode == "custom" and spec.custom is not None:
        return bool(spec.custom(expected, got))
    if spec.mode == "unordered":
        if _kind(expected) == "sequence" and _kind(got) == "sequence":
            return _same_multiset(list(expected), list(got), None)
        return equal(expected, got)
    if spec.mode == "float":
        return equal(expected, got, (spec.rel_tol, spec.abs_tol))
    return equal(expected, got)
