"""Tool-N1's binary reward (Tool-N1, arXiv 2505.00024): all or nothing.

1 (`high`) only if the completion has a `<think>…</think>` block and its last `<tool_call>`
block holds exactly the reference's calls as a multiset of (name, canonical JSON of the
arguments); otherwise 0 (`low`). Tool-N1 writes the calls as a JSON list; the ToolRL
one-object-per-line form is read too, so the preset works with every prompt protocol. A
reference without calls is matched by a completion with a thought and no call block (a
case Tool-N1's data does not have).
"""

from __future__ import annotations

import json
from collections import Counter

from toolzero.protocol.parser import MAX_CALLS, read_calls
from toolzero.rewards.inputs import Completion, Reference


def _canonical(name: str, arguments: dict) -> tuple[str, str]:
    return name, json.dumps(arguments, sort_keys=True, ensure_ascii=False)


def binary_reward(
    completion: Completion, reference: Reference, *, low: float = 0.0, high: float = 1.0
) -> float:
    """Tool-N1's all-or-nothing reward.

    >>> ref = Reference("", True, False, ({"name": "f", "parameters": {"a": 1}},))
    >>> binary_reward(Completion('<think>x</think><tool_call>[{"name": "f", "arguments": {"a": 1}}]</tool_call>'), ref)
    1.0
    >>> binary_reward(Completion('<tool_call>[{"name": "f", "arguments": {"a": 1}}]</tool_call>'), ref)
    0.0
    """
    parsed = completion.parsed
    if parsed.think is None or not parsed.think_closed:
        return low
    if not reference.has_call:
        return high if not parsed.has_call_block else low
    if not parsed.has_call_block or not parsed.call_blocks_closed:
        return low
    problems: list[str] = []
    calls, values = read_calls(parsed.call_blocks[-1], problems, budget=MAX_CALLS)
    if problems or len(calls) != values:
        return low
    predicted = Counter(_canonical(c.name, c.arguments) for c in calls)
    gold = Counter(_canonical(g["name"], g["parameters"]) for g in reference.calls)
    return high if predicted == gold else low
