"""Tool-Zero's rewards (Tool-Zero, arXiv 2511.01934; no public code): format, a lenient r_general and a strict r_strict.

Tool-Zero has no public code; these follow the paper's description and are approximate
where it is:
- `think_answer_format_reward` ∈ {low, high}: a closed `<think>…</think>` first, then at
  least one closed answer block (`<tool_call>` or `<response>`), nothing else around.
- `general_tool_reward` = −0.5 + |Y ∩ Y*| / |Y*| ∈ [−0.5, 0.5]: multiset overlap of the
  tokens of the predicted calls Y and of the reference calls Y*, both serialised as JSON and
  split on delimiters (quotes, braces, brackets, colons, commas, whitespace). Lenient: a
  half-right call earns half. Without reference calls it is 0.5 if no call was made and
  −0.5 otherwise.
- `strict_tool_reward`: 1 for an exact (AST-level: names and decoded argument values,
  order-free) match of the call multiset, else 0; plus 0.3 when a match of two or more
  calls is exact (multi-tool collaboration) and −0.3 when every tool name is right but
  some argument value is wrong. Range [−0.3, 1.3].
The preset mixes the last two with σ(t) = 1 / (1 + e^(−κ(t − m))): early training rewards
exploration (r_general), later exactness (r_strict).
"""

from __future__ import annotations

import json
import re
from collections import Counter

from toolzero.rewards.inputs import Completion, Reference, calls_as_dicts

_DELIMITERS = re.compile(r"[\s\"'{}\[\]:,]+")
COLLABORATION_BONUS = 0.3
WRONG_VALUE_PENALTY = 0.3


def think_answer_format_reward(
    completion: Completion, reference: Reference, *, low: float = 0.0, high: float = 1.0
) -> float:
    """`<think>…</think>` then an answer block.

    >>> think_answer_format_reward(Completion("<think>a</think>\\n<response>b</response>"), None)
    1.0
    >>> think_answer_format_reward(Completion("<response>b</response>"), None)
    0.0
    """
    parsed = completion.parsed
    ok = (
        parsed.text.startswith("<think>")
        and parsed.think_closed
        and (parsed.has_call_block or parsed.response is not None)
        and parsed.call_blocks_closed
        and (parsed.response is None or parsed.response_closed)
        and not parsed.trailing_text
    )
    return high if ok else low


def _tokens(calls: list[dict]) -> Counter:
    text = " ".join(json.dumps(c, ensure_ascii=False) for c in calls)
    return Counter(t for t in _DELIMITERS.split(text) if t)


def general_tool_reward(completion: Completion, reference: Reference) -> float:
    """Token overlap of predicted and reference calls, in [−0.5, 0.5].

    >>> ref = Reference("", True, False, ({"name": "f", "parameters": {"city": "Paris"}},))
    >>> general_tool_reward(Completion('<tool_call>{"name": "f", "parameters": {"city": "Paris"}}</tool_call>'), ref)
    0.5
    """
    predicted = calls_as_dicts(completion.parsed)
    if not reference.has_call or not reference.calls:
        return 0.5 if not predicted else -0.5
    gold = _tokens(list(reference.calls))
    overlap = sum((gold & _tokens(predicted)).values())
    return -0.5 + overlap / sum(gold.values())


def strict_tool_reward(completion: Completion, reference: Reference) -> float:
    """Exact call-multiset match (1/0) with Tool-Zero's ±0.3 terms, in [−0.3, 1.3]."""
    predicted = calls_as_dicts(completion.parsed)
    gold = list(reference.calls)
    if not reference.has_call:
        return 1.0 if not completion.parsed.has_call_block else 0.0

    def key(c: dict) -> str:
        return json.dumps(c, sort_keys=True)

    if Counter(map(key, predicted)) == Counter(map(key, gold)):
        return 1.0 + (COLLABORATION_BONUS if len(gold) >= 2 else 0.0)
    if Counter(c["name"] for c in predicted) == Counter(c["name"] for c in gold):
        return -WRONG_VALUE_PENALTY
    return 0.0
