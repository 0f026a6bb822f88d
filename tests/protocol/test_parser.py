import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolzero.protocol import ToolCall, parse_completion

CALL = '{"name": "f", "parameters": {"a": 1}}'


@pytest.mark.parametrize(
    ("text", "calls", "response", "think"),
    [
        (f"<think> t </think>\n<tool_call>\n{CALL}\n</tool_call>", [("f", {"a": 1})], None, "t"),
        ("<think>t</think>\n<response> hi </response>", [], "hi", "t"),
        (
            f"<think>t</think><tool_call>{CALL}</tool_call><response>r</response>",
            [("f", {"a": 1})],
            "r",
            "t",
        ),
        # several lines, a JSON list, Hermes-style repeated blocks, `arguments`
        (f"<tool_call>\n{CALL}\n{CALL}\n</tool_call>", [("f", {"a": 1})] * 2, None, None),
        (f"<tool_call>[{CALL}, {CALL}]</tool_call>", [("f", {"a": 1})] * 2, None, None),
        (
            f"<tool_call>{CALL}</tool_call>\n<tool_call>{CALL}</tool_call>",
            [("f", {"a": 1})] * 2,
            None,
            None,
        ),
        (
            '<tool_call>{"name": "g", "arguments": {"x": "é"}}</tool_call>',
            [("g", {"x": "é"})],
            None,
            None,
        ),
        (
            '<tool_call>{"name": "g", "arguments": "{\\"x\\": 2}"}</tool_call>',
            [("g", {"x": 2})],
            None,
            None,
        ),
        (
            '<tool_call>{"function": {"name": "g", "arguments": {}}}</tool_call>',
            [("g", {})],
            None,
            None,
        ),
        # pretty-printed object over several lines
        (
            '<tool_call>\n{\n  "name": "g",\n  "parameters": {"k": [1, 2]}\n}\n</tool_call>',
            [("g", {"k": [1, 2]})],
            None,
            None,
        ),
        # unclosed tag: the call still reads
        (f"<think> t </think>\n<tool_call>\n{CALL}", [("f", {"a": 1})], None, "t"),
        # a <tool_call> mentioned while thinking is not a call
        (
            "<think> I could use <tool_call> here </think>\n<response> no </response>",
            [],
            "no",
            "I could use <tool_call> here",
        ),
        # chat markers from a template are cut away
        (
            f"<|im_start|>assistant\n<think>x</think>\n<tool_call>\n{CALL}\n</tool_call><|im_end|>junk",
            [("f", {"a": 1})],
            None,
            "x",
        ),
        # prefilled <think>: text up to </think> is the thought
        (
            f" reasoning </think>\n<tool_call>\n{CALL}\n</tool_call>",
            [("f", {"a": 1})],
            None,
            "reasoning",
        ),
    ],
)
def test_parse_table(text, calls, response, think):
    parsed = parse_completion(text)
    assert [(c.name, c.arguments) for c in parsed.calls] == calls
    assert parsed.response == response
    assert parsed.think == think


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "format: empty completion"),
        ("<tool_call>\nnot json\n</tool_call>", "call: unparsable JSON at character 1"),
        ("<tool_call>[1, 2]</tool_call>", "call: expected a JSON object, got int"),
        ('<tool_call>{"parameters": {}}</tool_call>', 'call: missing or non-string "name"'),
        (
            '<tool_call>{"name": "f", "parameters": [1]}</tool_call>',
            "call: arguments of 'f' are not a JSON object",
        ),
        ("<tool_call></tool_call>", "call: empty <tool_call> block"),
        (
            "<think> a </think>\n<response> x </response> trailing",
            "format: text after the last block",
        ),
        ("<think> never closed", "format: unclosed <think>"),
        ("just words", "format: no <think>"),
    ],
)
def test_problems_are_reported(text, problem):
    assert problem in parse_completion(text).problems


def test_valid_calls_flag():
    assert parse_completion(f"<tool_call>{CALL}</tool_call>").calls_valid
    assert not parse_completion(f"<tool_call>{CALL}\nnope</tool_call>").calls_valid
    assert not parse_completion("<response>x</response>").calls_valid


def test_deep_nesting_is_a_problem_not_a_crash():
    parsed = parse_completion("<tool_call>" + "[" * 100_000 + "</tool_call>")
    assert parsed.calls == ()
    assert any("unparsable" in p for p in parsed.problems)


def test_many_unparsable_lines_are_bounded():
    parsed = parse_completion("<tool_call>\n" + "[\n" * 200_000 + "</tool_call>")
    assert "call: too many unparsable lines, rest of block skipped" in parsed.problems


TAG = st.sampled_from(
    [
        "<think>",
        "</think>",
        "<tool_call>",
        "</tool_call>",
        "<response>",
        "</response>",
        "\n",
        CALL,
        "{",
        "[",
        '"name"',
        "<|im_end|>",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(TAG, st.text(max_size=20)), max_size=30))
def test_parser_never_raises(parts):
    parsed = parse_completion("".join(parts))
    for call in parsed.calls:
        assert isinstance(call, ToolCall)
        assert isinstance(call.name, str) and isinstance(call.arguments, dict)
        json.dumps(call.arguments)


def test_marker_hints_cover_every_chat_marker():
    # the fast path skips marker handling when no hint occurs: every marker must contain one
    from toolzero.protocol.parser import _MARKER_HINTS, ASSISTANT_MARKERS, END_OF_TURN_MARKERS

    for marker in (*ASSISTANT_MARKERS, *END_OF_TURN_MARKERS):
        assert any(hint in marker for hint in _MARKER_HINTS), marker
