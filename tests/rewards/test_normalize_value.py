"""One `normalize_value`, BFCL's rule, shared by the synthetic benchmark's exact match and
the reward's `normalized` values (which also read strings that spell numbers and booleans).
Expected answers follow BFCL's AST checker: strings compare without spaces and `,./-_*^`,
lower-cased, with `'` read as `"`; an int is accepted for a float of the same value; types
otherwise stay apart."""

import pytest

from toolzero.evaluation.synthetic import call_key
from toolzero.protocol.types import ToolCall
from toolzero.rewards.matching import normalize_value, value_key, values_equal

SAME = [
    ("New York, NY", "new york ny"),
    ("April 1, 2024", "april 1 2024"),
    ("san_francisco", "San-Francisco"),
    ("x*y^2", "XY2"),
    ("it's", 'it"s'),
    ("v1.5", "V15"),  # BFCL removes "." from strings, decimal points included
    (1, 1.0),
    (-3, -3.0),
    ([1, "A B"], [1.0, "ab"]),
    ({"a": 1, "b": "C"}, {"b": "c", "a": 1.0}),
    ({"nested": {"k": ["X.Y"]}}, {"nested": {"k": ["xy"]}}),
    (10**400, 10**400),  # no float has this value: compared as the int, no crash
    (None, None),
]
DIFFERENT = [
    ("3", 3),  # BFCL checks types: a string is not a number
    ("true", True),
    (True, 1),  # nor is a boolean a number (although Python's True == 1)
    (False, 0.0),
    ("a\tb", "ab"),  # only spaces are removed, not other whitespace
    ([1, 2], [2, 1]),  # lists keep their order
    ({"A": 1}, {"a": 1}),  # keys are not normalised
    (2**60 + 1, float(2**60)),
    (None, ""),
]


def bfcl_equal(a, b) -> bool:
    """Equal under the synthetic benchmark's rule (BFCL's), checked both ways it is used."""
    by_key = value_key(a) == value_key(b)
    by_call = call_key(ToolCall("f", {"x": a})) == call_key(ToolCall("f", {"x": b}))
    assert by_key == by_call
    return by_key


@pytest.mark.parametrize(("a", "b"), SAME)
def test_equal_under_bfcl_rule(a, b):
    assert bfcl_equal(a, b) and bfcl_equal(b, a)
    assert values_equal(a, b, "normalized")  # the reward's rule is BFCL's, plus typed strings


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_under_bfcl_rule(a, b):
    assert not bfcl_equal(a, b)


# The reward's `normalized` values read a string that spells a JSON number or a boolean as
# that value first; nothing else changes.
TYPED = [
    ("3", 3, True),
    (" 2.5 ", 2.5, True),
    ("1e3", 1000, True),
    ("-0", 0, True),
    ("true", True, True),
    ("FALSE", False, True),
    (["1", "x"], [1, "X"], True),
    ({"n": "4"}, {"n": 4.0}, True),
    ("007", 7, False),  # not a JSON number
    ("3 apples", 3, False),
    ("True", 1, False),  # read as a boolean, which is not a number
    ("yes", True, False),
    ("3", "three", False),
    ("1.5", "15", False),  # numbers here, although BFCL's string rule makes them equal
]


@pytest.mark.parametrize(("a", "b", "equal"), TYPED)
def test_reward_reads_typed_strings(a, b, equal):
    assert values_equal(a, b, "normalized") is equal
    assert values_equal(b, a, "normalized") is equal


def test_normal_form_is_plain_json():
    assert normalize_value({"City": "Los Angeles", "n": 2, "tags": ("A", None, False)}) == {
        "City": "losangeles",
        "n": 2.0,
        "tags": ["a", None, False],
    }
    assert normalize_value({"n": "2", "b": " True "}, typed_strings=True) == {"n": 2.0, "b": True}


def test_exact_values_are_python_equality():
    assert values_equal(1, 1.0) and not values_equal("1", 1) and not values_equal("A", "a")


def test_one_definition():
    import toolzero.evaluation.synthetic as synthetic

    assert not hasattr(synthetic, "normalize_value")
