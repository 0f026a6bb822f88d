"""No completion can make a reward raise or hang."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolzero.rewards import PRESET_NAMES, get_preset

REF = '<think> p </think>\n<tool_call>\n{"name": "f", "parameters": {"a": 1}}\n</tool_call>'
REFS = [
    REF,
    "<think> p </think>\n<response> r </response>",
    REF + "\n<response> r </response>",
    "<think> p </think>",
]
PIECES = st.sampled_from(
    [
        "<think>",
        "</think>",
        "<tool_call>",
        "</tool_call>",
        "<response>",
        "</response>",
        "\n",
        '{"name": "f", "parameters": {"a": 1}}',
        "{",
        "[",
        "]",
        '"name"',
        '"parameters"',
        "null",
        "<|im_end|>",
        "\u00e9",
        " ",
    ]
)


def _check(scores):
    assert set(scores) >= {"total"}
    for value in scores.values():
        assert isinstance(value, float) and value == value  # finite, not NaN


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(PIECES, st.text(max_size=12)), max_size=25), st.sampled_from(REFS))
def test_any_completion_scores(parts, ref):
    text = "".join(parts)
    for name in PRESET_NAMES:
        _check(get_preset(name).score(text, ref, step=7, total_steps=20))


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c, max_size=3),
        max_leaves=10,
    )
)
def test_any_json_in_the_call_block_scores(value):
    line = json.dumps(value)
    for text in (
        f"<think> t </think>\n<tool_call>\n{line}\n</tool_call>",
        f'<think> t </think>\n<tool_call>\n{{"name": "f", "parameters": {line}}}\n</tool_call>',
        f'<think> t </think>\n<tool_call>\n{{"name": {line}, "parameters": {{}}}}\n</tool_call>',
    ):
        for name in PRESET_NAMES:
            _check(get_preset(name).score(text, REF, step=1, total_steps=2))


ADVERSARIAL = [
    "",
    "x" * 1_000_000,
    "<think>" * 100_000,
    "<tool_call>\n" + "[" * 200_000 + "\n</tool_call>",
    "<think></think>\n<tool_call>\n" + "{\n" * 300_000 + "</tool_call>",
    "<think> " + "</think>\n<tool_call>\n\n</tool_call>" * 20_000,
    "<think>a</think>\n<tool_call>\n"
    + '{"name": "f", "parameters": {"a": 1}}\n' * 20_000
    + "</tool_call>",
    '<tool_call>{"name": "f", "parameters": {"a": "' + "\u00e9" * 500_000 + '"}}</tool_call>',
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
@pytest.mark.parametrize("name", PRESET_NAMES)
def test_adversarial_completions_score(name, text):
    _check(get_preset(name).score(text, REF, step=1, total_steps=2))
