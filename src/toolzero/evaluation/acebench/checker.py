"""ACEBench's verdicts: the AST-style check of normal items and the fixed phrases of special ones.

A normal item's answer (decoded calls) is right when, against one of its possible answers:

1. the number of calls equals the ground truth's, and so does the count per function name
   (ground-truth keys may carry a `_N` suffix for repeated calls; it is stripped);
2. every expected call matches *some* predicted call of the same name, where a call matches
   when every required parameter (of the function's schema) is present, every predicted
   parameter is both in the schema and in the expected call (an optional parameter the
   ground truth leaves out is wrong; one it has but the answer omits is not checked), its
   type fits the schema and its value the expected one;
3. types: `"true"` / `"false"` are read as booleans, an int is accepted for `float`;
   `number` takes an int; a value of the expected value's own type, or equal to it, is
   accepted too (ACEBench's fallback: so 7.0 for an integer 7, a float for a `number`
   whose expected value is a float); booleans only as booleans; unknown type names pass;
4. values: a string is right when the standardised expected string (drop ` ,./-_*^`,
   lower-case, `'` -> `"`) is a *substring* of the standardised answer; strings directly
   in a list must be equal after standardising; lists are compared element-wise (same
   length, same order), objects key by key (same keys), numbers and booleans by value;
5. a function without parameters is called with none.

Special items are judged on the raw answer text by the phrases ACEBench's system prompt asks
for (`SPECIAL_INSTRUCTIONS` in `toolzero.evaluation.acebench.data`): `special_incomplete` needs
"Missing necessary parameters", the API name and each missing parameter name;
`special_error_param` "There is incorrect value" and each incorrect value;
`special_irrelevant` "the limitations of the function". Case-sensitive, as ACEBench.

Where ACEBench's `checker.py` does something its description does not, we follow the
description and say so: its checker never compares top-level numbers and booleans by value
(only their types), compares non-string values inside objects by `str()` substring (so `5`
matches `50`), strips all whitespace from the raw answer before decoding (so strings inside
nested lists lose their spaces and fail), and rejects a no-argument call of a function
whose schema lists only optional parameters. Scores on those items can differ from the
official script's.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from toolzero.protocol.types import ToolCall

# Declared type -> accepted Python types (exact type, so a bool is not an int).
TYPE_NAMES: dict[str, tuple[type, ...]] = {
    "string": (str,), "str": (str,), "any": (str,),
    "integer": (int,), "int": (int,), "number": (int,),
    "float": (float, int),
    "boolean": (bool,), "bool": (bool,),
    "array": (list,), "list": (list,), "tuple": (list,), "objectArray": (list,),
    "list(string)": (list,), "list(enum)": (list,),
    "object": (dict,), "dict": (dict,),
}  # fmt: skip
SUFFIX = re.compile(r"_\d+$")
STANDARDISE_DROP = re.compile(r"[ ,./\-_*^]")

INCOMPLETE_PHRASE = "Missing necessary parameters"
ERROR_PARAM_PHRASE = "There is incorrect value"
IRRELEVANT_PHRASE = "the limitations of the function"


@dataclass(frozen=True)
class Verdict:
    """Right or wrong, and why (empty reason when right)."""

    valid: bool
    reason: str = ""


RIGHT = Verdict(True)


def standardise(text: str) -> str:
    """ACEBench's string standardisation.

    >>> standardise("Dr. Smith's  Clinic-1")
    'drsmith"sclinic1'
    """
    return STANDARDISE_DROP.sub("", text).lower().replace("'", '"')


def check_special(category: str, answer: str, ground_truth: Any) -> Verdict:
    """A special-category verdict from the raw answer text.

    >>> check_special("special_incomplete",
    ...     '["Missing necessary parameters (city) for the api (Weather)"]', {"Weather": ["city"]})
    Verdict(valid=True, reason='')
    """
    if category == "special_irrelevant":
        return RIGHT if IRRELEVANT_PHRASE in answer else Verdict(False, "did not decline")
    if category == "special_incomplete":
        if INCOMPLETE_PHRASE not in answer:
            return Verdict(False, "did not ask for the missing parameters")
        for name, params in ground_truth.items():
            missing = [p for p in [name, *params] if str(p) not in answer]
            if missing:
                return Verdict(False, f"did not name {', '.join(map(str, missing))}")
        return RIGHT
    if category == "special_error_param":
        if ERROR_PARAM_PHRASE not in answer:
            return Verdict(False, "did not flag the incorrect value")
        values = [str(v) for values in ground_truth.values() for v in values]
        missing = [v for v in values if v not in answer]
        return Verdict(False, f"did not quote {', '.join(missing)}") if missing else RIGHT
    raise ValueError(f"not a special ACEBench category: {category!r}")


def check_normal(
    functions: Sequence[dict[str, Any]], calls: Sequence[ToolCall] | None, ground_truth: Any
) -> Verdict:
    """A normal item's verdict: right against any of its possible answers.

    >>> fn = [{"name": "f", "parameters": {"type": "object",
    ...        "properties": {"city": {"type": "string"}}, "required": ["city"]}}]
    >>> check_normal(fn, [ToolCall("f", {"city": "New York City"})], {"f": {"city": "new york"}})
    Verdict(valid=True, reason='')
    """
    if calls is None:
        return Verdict(False, "unparsable answer")
    answers = ground_truth if isinstance(ground_truth, list) else [ground_truth]
    verdict = Verdict(False, "no possible answer")
    for answer in answers:
        verdict = check_against(functions, calls, answer)
        if verdict.valid:
            return verdict
    return verdict


def expected_calls(answer: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Ground-truth calls, `_N` suffixes of repeated names stripped."""
    return [(SUFFIX.sub("", key), args) for key, args in answer.items()]


def check_against(
    functions: Sequence[dict[str, Any]], calls: Sequence[ToolCall], answer: dict[str, Any]
) -> Verdict:
    expected = expected_calls(answer)
    if len(calls) != len(expected):
        return Verdict(False, f"wrong number of calls: expected {len(expected)}, got {len(calls)}")
    if Counter(c.name for c in calls) != Counter(name for name, _ in expected):
        return Verdict(False, "called functions differ from the expected ones")
    for name, args in expected:
        schema = function_schema(functions, name)
        verdicts = [check_call(schema, c.arguments, args) for c in calls if c.name == name]
        if not any(v.valid for v in verdicts):
            return Verdict(False, f"{name}: {verdicts[0].reason}")
    return RIGHT


def function_schema(functions: Sequence[dict[str, Any]], name: str) -> dict[str, Any]:
    """The parameter schema of function `name` (`parameters` or `arguments`), {} if absent."""
    for function in functions:
        if function.get("name") == name:
            schema = function.get("parameters", function.get("arguments"))
            return schema if isinstance(schema, dict) else {}
    return {}


def check_call(schema: dict[str, Any], given: dict[str, Any], expected: Any) -> Verdict:
    """One predicted call's arguments against one expected call's."""
    if not isinstance(expected, dict):
        return Verdict(False, "malformed ground truth")
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    required = schema.get("required") if isinstance(schema.get("required"), list) else []
    for param in required:
        if param not in given:
            return Verdict(False, f"missing required parameter {param!r}")
    for param, value in given.items():
        if param not in properties or param not in expected:
            return Verdict(False, f"unexpected parameter {param!r}")
        value = read_bool(value)
        spec = properties[param] if isinstance(properties[param], dict) else {}
        if not type_fits(spec.get("type"), value, expected[param]):
            return Verdict(False, f"wrong type for {param!r}: {type(value).__name__}")
        if not value_matches(value, expected[param]):
            return Verdict(False, f"wrong value for {param!r}: {value!r}")
    return RIGHT


def read_bool(value: Any) -> Any:
    return {"true": True, "false": False}.get(value, value) if isinstance(value, str) else value


def type_fits(declared: Any, value: Any, expected: Any) -> bool:
    """The schema's type, else the expected value's type or value (ACEBench's fallback)."""
    accepted = TYPE_NAMES.get(declared) if isinstance(declared, str) else None
    if accepted is None or type(value) in accepted:
        return True
    if isinstance(value, bool) or isinstance(expected, bool):
        return type(value) is type(expected)
    return expected != "" and (type(value) is type(expected) or value == expected)


def value_matches(value: Any, expected: Any, in_list: bool = False) -> bool:
    """Rule 4 of the module docstring, recursively."""
    if isinstance(expected, str):
        if not isinstance(value, str):
            return False
        if in_list:
            return standardise(value) == standardise(expected)
        return standardise(expected) in standardise(value)
    if isinstance(expected, bool) or isinstance(value, bool):
        return type(value) is type(expected) and value == expected
    if isinstance(expected, (int, float)):
        return isinstance(value, (int, float)) and value == expected
    if isinstance(expected, list):
        return (
            isinstance(value, list)
            and len(value) == len(expected)
            and all(value_matches(v, e, in_list=True) for v, e in zip(value, expected, strict=True))
        )
    if isinstance(expected, dict):
        return (
            isinstance(value, dict)
            and value.keys() == expected.keys()
            and all(value_matches(read_bool(value[k]), expected[k]) for k in expected)
        )
    return value == expected
