"""Visible-test helpers used inside a student's notebook (the student's own kernel).

These only give quick feedback on the examples; the verdict comes from *Submit*, which
grades in a sandbox with hidden tests and decides outside the kernel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .grading.compare import CompareSpec, matches
from .grading.harness import _from_wire_arg, _to_plain
from .grading.wire import WireError, decode, encode


def _plain(value: Any) -> Any:
    return decode(encode(value, _to_plain))


def check(
    name: str,
    func: Callable[..., Any],
    args: list[Any],
    kwargs: dict[str, Any],
    expected: Any,
    compare: str = '{"mode": "exact"}',
) -> bool:
    """Call ``func`` on a visible test's input, print a one-line result, return pass/fail."""
    import json

    mode = json.loads(compare)
    spec = CompareSpec(
        mode.get("mode", "exact"), mode.get("rel_tol", 1e-9), mode.get("abs_tol", 1e-9)
    )
    try:
        got = _plain(
            func(
                *[_from_wire_arg(a) for a in args],
                **{k: _from_wire_arg(v) for k, v in kwargs.items()},
            )
        )
    except WireError as exc:
        print(f"✗ {name}: result is not plain data ({exc})")
        return False
    except Exception as exc:
        print(f"✗ {name}: raised {type(exc).__name__}: {exc}")
        return False
    ok = spec.mode == "custom" or matches(spec, expected, got)
    print(f"✓ {name}" if ok else f"✗ {name}: expected {expected!r}, got {got!r}")
    return ok


def check_code(name: str, code: str, namespace: dict[str, Any]) -> bool:
    """Run an assert-style visible test in the notebook's namespace."""
    try:
        exec(code, dict(namespace))
    except AssertionError:
        print(f"✗ {name}: assertion failed: {code}")
        return False
    except Exception as exc:
        print(f"✗ {name}: raised {type(exc).__name__}: {exc}")
        return False
    print(f"✓ {name}")
    return True
