"""Unit tests (no kernel) of the trusted comparison and of the wire codec at the boundary."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from kodelab_jupyter.grading import wire
from kodelab_jupyter.grading.compare import CompareSpec, equal, matches

EXACT = CompareSpec()
UNORDERED = CompareSpec("unordered")
FLOAT = CompareSpec("float")


def _id(value: Any) -> str:
    """A short test id (huge ints cannot even be turned into str)."""
    if type(value) is int and abs(value).bit_length() > 64:
        return f"int{'-' if value < 0 else ''}{abs(value).bit_length()}bits"
    text = repr(value) if not isinstance(value, (list, tuple, dict)) else type(value).__name__
    return text[:30]

# --------------------------------------------------------------------------------------------
# compare: exact
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "got"),
    [
        (1, 1),
        (1, 1.0),
        (1.0, 1),
        (0, -0.0),
        (True, True),
        (None, None),
        ("abc", "abc"),
        ([1, 2], (1, 2)),  # list and tuple compare as sequences
        ((1, [2, (3,)]), [1, (2, [3])]),
        ({"a": {"b": [1, 2]}, "c": None}, {"c": None, "a": {"b": (1, 2.0)}}),
        ({1, 2, 3}, {3, 2, 1}),
        ({1, 2}, frozenset({1, 2})),
        (10**5000, 10**5000),
        ([], ()),
        ({}, {}),
    ],
    ids=_id,
)
def test_exact_accepts_equal_data(expected: Any, got: Any) -> None:
    assert matches(EXACT, expected, got)


@pytest.mark.parametrize(
    ("expected", "got"),
    [
        (1, True),  # bool never equals int...
        (True, 1),
        (0, False),
        (False, 0),
        (1.0, True),
        ("1", 1),  # ...and str never equals a number
        (1, "1"),
        ("", None),
        (0, None),
        (None, 0),
        ([1, 2], [2, 1]),
        ([1, 2], [1, 2, 3]),
        ([1], 1),
        ([True], [1]),
        ({"a": 1}, {"a": True}),
        ({"a": 1}, {"a": 1, "b": 2}),
        ({"a": {"b": 1}}, {"a": {"b": "1"}}),
        ({1, 2}, [1, 2]),
        ({1}, {True}),  # 1 == True in a Python set, not here
        ({0, 1}, {False, True}),
        ({"a": 1}, [("a", 1)]),
        (1.0, 1.0 + 1e-12),  # exact means exact
        (math.nan, math.nan),
    ],
)
def test_exact_rejects_unequal_kinds_and_values(expected: Any, got: Any) -> None:
    assert not matches(EXACT, expected, got)


def test_exact_is_not_fooled_by_an_object_claiming_equality() -> None:
    class Anything:
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = object.__hash__

    assert not matches(EXACT, 3, Anything())
    assert not matches(EXACT, [1], [Anything()])
    assert not matches(EXACT, {"a": 1}, {"a": Anything()})


# --------------------------------------------------------------------------------------------
# compare: unordered
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "got", "ok"),
    [
        ([1, 2, 3], [3, 1, 2], True),
        ([1, 1, 2], [1, 2, 1], True),
        ([1, 1, 2], [1, 2, 2], False),  # duplicates count
        ([1, 1, 2], [1, 2], False),
        ([1, 2], [1, 1, 2], False),
        ([[1, 2], [3]], [[3], [1, 2]], True),
        ([[1, 2], [3]], [[3], [2, 1]], False),  # only the outer level is unordered
        ([{"k": 1}, {"k": 2}], [{"k": 2}, {"k": 1}], True),  # unhashable items
        ([{"k": 1}, {"k": 1}], [{"k": 1}, {"k": 2}], False),
        ([1, 2], (2, 1), True),
        ([1, 2.0], [2, 1.0], True),
        ([1, True], [True, 1], True),
        ([1, 1], [True, 1], False),  # kinds still count inside the multiset
        (["1", 1], [1, 1], False),
        ([], [], True),
        ([None, None], [None], False),
        (5, 5, True),
        (5, [5], False),
    ],
)
def test_unordered_compares_multisets(expected: Any, got: Any, ok: bool) -> None:
    assert matches(UNORDERED, expected, got) is ok


# --------------------------------------------------------------------------------------------
# compare: float
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "got", "ok"),
    [
        (0.1 + 0.2, 0.3, True),
        (1.0, 1.0 + 1e-10, True),
        (1.0, 1.001, False),
        (1e20, 1e20 * (1 + 1e-10), True),  # relative tolerance
        (0.0, 1e-10, True),  # absolute tolerance near zero
        (0.0, 1e-6, False),
        (math.nan, math.nan, True),  # nan matches nan under a tolerance...
        (math.nan, 1.0, False),
        (1.0, math.nan, False),
        (math.inf, math.inf, True),
        (math.inf, -math.inf, False),
        (math.inf, 1e308, False),
        (3, 3.0000000001, True),
        (True, 1.0, False),  # kinds still apply
        ("1.0", 1.0, False),
        ([1.0, [2.0, {"x": 3.0}]], (1.0 + 1e-12, [2.0, {"x": 3.0 - 1e-12}]), True),
        ([1.0, 2.0], [1.0], False),
        ({"a": [0.1 + 0.2]}, {"a": [0.3]}, True),
        ({0.1 + 0.2, 1.0}, {0.3, 1.0}, True),  # sets match element-wise with tolerance
        ({1.0, 2.0}, {1.0, 3.0}, False),
    ],
)
def test_float_mode_uses_tolerances(expected: Any, got: Any, ok: bool) -> None:
    assert matches(FLOAT, expected, got) is ok


def test_float_mode_tolerances_are_configurable() -> None:
    loose = CompareSpec("float", rel_tol=0.0, abs_tol=0.01)
    assert matches(loose, 1.0, 1.005)
    assert not matches(loose, 1.0, 1.02)
    relative = CompareSpec("float", rel_tol=0.1, abs_tol=0.0)
    assert matches(relative, 100.0, 109.0)
    assert not matches(relative, 100.0, 112.0)


def test_exact_nan_never_matches_but_equal_helper_with_tolerance_does() -> None:
    assert not equal(math.nan, math.nan)
    assert equal(math.nan, math.nan, (1e-9, 1e-9))


# --------------------------------------------------------------------------------------------
# compare: custom
# --------------------------------------------------------------------------------------------


def test_custom_comparator_decides() -> None:
    calls: list[tuple[Any, Any]] = []

    def same_length(expected: Any, got: Any) -> bool:
        calls.append((expected, got))
        return len(expected) == len(got)

    spec = CompareSpec("custom", custom=same_length)
    assert matches(spec, [1, 2], ["a", "b"])
    assert not matches(spec, [1, 2], [1])
    assert calls == [([1, 2], ["a", "b"]), ([1, 2], [1])]


def test_custom_comparator_result_is_made_a_bool() -> None:
    spec = CompareSpec("custom", custom=lambda e, g: [g])  # truthy, not a bool
    assert matches(spec, 1, 2) is True
    assert matches(CompareSpec("custom", custom=lambda e, g: 0), 1, 1) is False


# --------------------------------------------------------------------------------------------
# wire: round trips
# --------------------------------------------------------------------------------------------

BIG = 7**6000  # about 5,070 digits: past Python's 4,300-digit int/str conversion limit


@pytest.mark.parametrize(
    "value",
    [
        None, True, False, 0, -1, 2**63, -(2**200), BIG, -BIG, 0.5, -0.0, 1e308, 5e-324,
        "", "text", "ünïcödé ☃ \x00 \n", "$dict", {"$tuple": [1]}, [], (), set(), {},
        [1, "a", None, 2.5], (1, (2, (3,))), {1, 2, 3}, frozenset({"x"}), {"a": 1},
        {"nested": {"dict": {"with": [1, (2, {3, 4}), {"k": None}]}}},
        {"$set": [1, 2]},  # a plain dict whose key looks like a tag
        [[[[[[[[[[1]]]]]]]]]],
        {"": 0, "with space": [True]},
    ],
    ids=_id,
)
def test_wire_round_trips_plain_data(value: Any) -> None:
    text = wire.dumps(value)
    json.loads(text)  # valid JSON: no NaN, no Infinity
    back = wire.loads(text, 10**7)
    assert back == value
    assert _shape(back) == _shape(value)


def _shape(value: Any) -> Any:
    """Types all the way down (tuple vs list, set vs list, int vs bool)."""
    if isinstance(value, dict):
        return ("dict", {k: _shape(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_shape(v) for v in value])
    if isinstance(value, (set, frozenset)):
        return ("set", sorted(map(repr, value)))
    return type(value).__name__


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_wire_round_trips_non_finite_floats(value: float) -> None:
    text = wire.dumps(value)
    assert "NaN" not in text and "Infinity" not in text
    back = wire.loads(text, 1000)
    assert type(back) is float
    assert (math.isnan(back) and math.isnan(value)) or back == value


def test_wire_round_trips_nan_inside_containers() -> None:
    back = wire.loads(wire.dumps({"xs": [math.nan, (math.inf,)]}), 1000)
    assert math.isnan(back["xs"][0]) and back["xs"][1] == (math.inf,)


def test_wire_big_int_travels_as_tag_and_stays_exact() -> None:
    text = wire.dumps([BIG, 10**4299, -(10**4400)])
    assert '"$int"' in text
    assert wire.loads(text, 10**7) == [BIG, 10**4299, -(10**4400)]


def test_wire_tuple_set_dict_are_distinguished() -> None:
    back = wire.loads(wire.dumps([(1, 2), {1, 2}, [1, 2], {"1": 2}]), 1000)
    assert [type(v) for v in back] == [tuple, set, list, dict]


@pytest.mark.parametrize(
    "value",
    [
        object(),
        {1: "int key"},
        {("a",): 1},
        b"bytes",
        bytearray(b"x"),
        1 + 2j,
        range(3),
        iter([1]),
        type("Int", (int,), {})(3),  # subclasses are refused: no smuggled __eq__
        type("List", (list,), {})([1]),
        type("Str", (str,), {})("s"),
        type("Dict", (dict,), {})(a=1),
        [1, object()],
    ],
)
def test_wire_encode_refuses_anything_but_exact_plain_types(value: Any) -> None:
    with pytest.raises(wire.WireError):
        wire.dumps(value)


def test_wire_encode_uses_converter_only_for_unknown_objects() -> None:
    class Point:
        def __init__(self, x: int) -> None:
            self.x = x

    def convert(value: Any) -> Any:
        return {"x": value.x} if isinstance(value, Point) else NotImplemented

    assert wire.loads(wire.dumps([Point(3)], convert), 1000) == [{"x": 3}]
    with pytest.raises(wire.WireError):
        wire.dumps(object(), convert)


def test_wire_encode_refuses_self_referencing_and_too_deep_values() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(wire.WireError):
        wire.dumps(loop)
    deep: Any = 1
    for _ in range(wire.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(wire.WireError):
        wire.dumps(deep)


# --------------------------------------------------------------------------------------------
# wire: decoding untrusted text
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"$pickle": "gASVAAAAAAAAAACMBGV2YWyUk5Qu"}',  # unknown tag
        '{"$eval": "__import__(\'os\')"}',
        '{"a": 1}',  # a bare dict is not wire data
        '{"$dict": {"a": 1}, "$tuple": []}',  # two keys
        "{}",
        '{"$tuple": "abc"}',
        '{"$set": {"a": 1}}',
        '{"$set": [[1]]}',  # unhashable member
        '{"$float": "1.5"}',  # only nan/inf travel tagged
        '{"$float": 1}',
        '{"$int": 12}',
        '{"$int": "0xzz"}',
        '{"$dict": [1, 2]}',
        "NaN",
        "[1, NaN]",
        "Infinity",
        "-Infinity",
        '{"$dict": {"x": NaN}}',
        "",
        "not json",
        "[1, 2",
        "\"unterminated",
    ],
)
def test_wire_decode_rejects_what_encode_never_produces(text: str) -> None:
    with pytest.raises(wire.WireError):
        wire.loads(text, 10**6)


def test_wire_decode_rejects_oversize_payload_before_parsing() -> None:
    text = wire.dumps("x" * 1000)
    assert wire.loads(text, len(text)) == "x" * 1000
    with pytest.raises(wire.WireError, match="exceeds"):
        wire.loads(text, len(text) - 1)
    with pytest.raises(wire.WireError):
        wire.loads(b"[" * 10**6, 100)


@pytest.mark.parametrize("depth", [wire.MAX_DEPTH + 2, 5000, 200_000])
def test_wire_decode_rejects_deeply_nested_input(depth: int) -> None:
    for text in ("[" * depth + "]" * depth, '{"$tuple":[' * depth + "]}" * depth):
        with pytest.raises(wire.WireError):
            wire.loads(text, 10**7)


def test_wire_decode_accepts_nesting_up_to_the_limit() -> None:
    depth = wire.MAX_DEPTH
    assert wire.loads("[" * depth + "]" * depth, 10**6) is not None


def test_wire_decode_of_big_int_hex_is_bounded_by_the_payload_cap() -> None:
    text = json.dumps({"$int": hex(BIG)})
    assert wire.loads(text, 10**6) == BIG
    with pytest.raises(wire.WireError):
        wire.loads(text, 100)
