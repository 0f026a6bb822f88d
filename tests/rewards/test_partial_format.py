"""`partial_format`'s full credit is exactly ToolRL's format check, nothing more lenient.

A training reward that pays in full for a layout ToolRL's check fails teaches that layout:
GRPO taught Gemma-3-270M to close its calls on the call's line (`} </tool_call>`), full
partial credit and 0 under ToolRL's strict format.
"""

from __future__ import annotations

import json

import pytest

from toolzero.rewards.format import format_reward, partial_format_reward
from toolzero.rewards.inputs import Completion, read_reference

CALL = json.dumps({"name": "get_weather", "parameters": {"city": "Paris"}})
CALL_REF = read_reference(f"<think> plan </think>\n<tool_call>\n{CALL}\n</tool_call>")
RESPONSE_REF = read_reference("<think> a </think>\n<response> hello </response>")

CALL_VARIANTS = [
    f"<think> x </think>\n<tool_call>\n{CALL}\n</tool_call>",  # ToolRL's layout
    f"<think> x </think>\n<tool_call>\n{CALL}\n</tool_call>\n",  # `$` allows one final newline
    f"<think> x </think>\n<tool_call>\n{CALL} </tool_call>",  # closed on the call's line
    f"<think> x </think>\n<tool_call>{CALL}\n</tool_call>",  # call on the opener's line
    f"<think> x </think> <tool_call>\n{CALL}\n</tool_call>",  # a space, not a newline
    f"<think> x </think>\n\n<tool_call>\n{CALL}\n</tool_call>",  # a blank line between blocks
    f"<think> x </think>\n<tool_call>\n{CALL}\n</tool_call> done",  # text after the block
    f"<think> x </think>\n<tool_call>\n{CALL}",  # unclosed
    "<think> x </think>",
]
RESPONSE_VARIANTS = [
    "<think> a </think>\n<response> hi </response>",
    "<think> a </think> <response> hi </response>",
    "<think> a </think>\n<response> hi",
]


@pytest.mark.parametrize(
    ("text", "ref"),
    [(t, CALL_REF) for t in CALL_VARIANTS] + [(t, RESPONSE_REF) for t in RESPONSE_VARIANTS],
)
def test_full_partial_credit_exactly_when_toolrls_check_passes(text, ref):
    strict = format_reward(Completion(text), ref)
    partial = partial_format_reward(Completion(text), ref)
    assert (partial == 1.0) == (strict == 1.0)
    assert 0.0 <= partial <= 1.0


def test_a_call_closed_on_its_own_line_loses_only_the_layout_check():
    text = f"<think> x </think>\n<tool_call>\n{CALL} </tool_call>"
    assert format_reward(Completion(text), CALL_REF) == 0.0
    # every other requirement holds: one of the eight checks fails
    assert partial_format_reward(Completion(text), CALL_REF) == pytest.approx(7 / 8)
