"""Validation: each rejection reason on a small hand-made example, and dedupe."""

from dataclasses import replace

import pytest

from toolzero.data.report import DataReport
from toolzero.data.validation import ValidationConfig, plausible, validate_examples
from toolzero.protocol.types import Example, Message, ToolCall, ToolSpec

SPEC = ToolSpec(
    "get_weather",
    "Weather in a city.",
    {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
        "required": ["city"],
    },
)
GOOD = Example(
    "good",
    (SPEC,),
    (Message("user", "Weather in Oslo?"),),
    (ToolCall("get_weather", {"city": "Oslo"}),),
)


@pytest.mark.parametrize(
    ("example", "config", "reason"),
    [
        (GOOD, ValidationConfig(), None),
        (replace(GOOD, messages=()), ValidationConfig(), "no user turn"),
        (replace(GOOD, reference_calls=()), ValidationConfig(), "no reference"),
        (
            replace(GOOD, reference_calls=(ToolCall("get_wether", {"city": "Oslo"}),)),
            ValidationConfig(),
            "unknown tool",
        ),
        (
            replace(GOOD, reference_calls=(ToolCall("get_weather", {"town": "Oslo"}),)),
            ValidationConfig(),
            "undeclared argument",
        ),
        (
            replace(GOOD, reference_calls=(ToolCall("get_weather", {"days": 2}),)),
            ValidationConfig(),
            "missing required argument",
        ),
        (
            replace(GOOD, reference_calls=(ToolCall("get_weather", {"days": 2}),)),
            ValidationConfig(check_required=False),
            None,
        ),
        (
            replace(
                GOOD, reference_calls=(ToolCall("get_weather", {"city": "Oslo", "days": "2"}),)
            ),
            ValidationConfig(),
            "implausible argument type",
        ),
        (
            replace(
                GOOD, reference_calls=(ToolCall("get_weather", {"city": "Oslo", "days": "2"}),)
            ),
            ValidationConfig(check_types=False),
            None,
        ),
        (
            replace(
                GOOD, reference_output="<think> x </think>\n<tool_call>\n{bad json\n</tool_call>"
            ),
            ValidationConfig(),
            "unparseable reference",
        ),
        (GOOD, ValidationConfig(max_tools=0), "too many tools"),
        (GOOD, ValidationConfig(max_prompt_chars=100), "prompt too long"),
        (GOOD, ValidationConfig(max_reference_chars=10), "reference too long"),
        (GOOD, ValidationConfig(max_turns=0), "too many turns"),
    ],
)
def test_validation_reasons(example, config, reason):
    report = DataReport()
    kept = validate_examples([example], config, report)
    assert (kept == []) == (reason is not None)
    assert dict(report.rejected) == ({reason: 1} if reason else {})


def test_duplicates_keep_the_first():
    report = DataReport()
    twin = replace(GOOD, id="twin", reference_calls=(ToolCall("get_weather", {"city": "Lima"}),))
    kept = validate_examples(
        [GOOD, twin, replace(GOOD, id="other", messages=(Message("user", "Lima?"),))], report=report
    )
    assert [e.id for e in kept] == ["good", "other"]
    assert report.rejected == {"duplicate prompt": 1}
    assert report.samples[0].describe() == "data example twin: duplicate prompt"


@pytest.mark.parametrize(
    ("value", "declared", "ok"),
    [
        ("x", "string", True), (1, "string", False), (1, "number", True), (1.5, "integer", False),
        (True, "integer", False), (True, "bool", True), ([1], "List[int]", True), ({}, "dict", True),
        ("x", "str, optional", True), (3, "int, optional", True), ("x", "Union[str, int]", True),
        ("x", "mystery", True), (None, "integer", True), (1, None, True),
    ],
)  # fmt: skip
def test_plausible_types(value, declared, ok):
    assert plausible(value, declared) is ok
