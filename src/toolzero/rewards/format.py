"""Format rewards: does the completion have the shape the reference asks for?

- `format_reward` is ToolRL's check, exactly (docs/rewards.md, "Exactness"): the reference's shape
  (call, response, both, neither) decides the pattern, anchored at both ends, with single
  newlines between blocks and exactly one of each expected tag. It is implemented with
  `str` operations equivalent to ToolRL's regular expressions (Python's `$` also matches
  before one final newline), so an adversarial completion cannot make it backtrack.
  `whitespace_tolerant=True` accepts any whitespace between blocks instead.
- `partial_format_reward` gives credit per requirement met, ToolRL's exact layout being
  the last, so that a base model that gets half the shape right earns half the reward:
  the variance GRPO needs to start learning (with a binary format reward, none of 112
  completions of Gemma-3-270M base had the full shape: every group had zero reward
  variance, so GRPO had nothing to learn from).
"""

from __future__ import annotations

from toolzero.rewards.inputs import Completion, Reference

_T, _TC = ("<think>", "</think>"), ("<tool_call>", "</tool_call>")
_R = ("<response>", "</response>")
LAYOUT_CHECK = "ToolRL's exact layout"
"""The name of `format_checks`' last requirement: `format_reward` passes."""


def format_reward(
    completion: Completion,
    reference: Reference,
    *,
    low: float = 0.0,
    high: float = 1.0,
    whitespace_tolerant: bool = False,
) -> float:
    """`high` if the completion has exactly the reference's shape, else `low`.

    >>> ref = Reference("", True, False, ())
    >>> format_reward(Completion('<think> a </think>\\n<tool_call>\\n{}\\n</tool_call>'), ref)
    1.0
    >>> format_reward(Completion('<think> a </think>\\n\\n<tool_call>\\n{}\\n</tool_call>'), ref)
    0.0
    >>> format_reward(Completion('<think> a </think>\\n\\n<tool_call>{}</tool_call>'), ref, whitespace_tolerant=True)
    1.0
    """
    check = _shape_matches_tolerant if whitespace_tolerant else _shape_matches_exact
    text = completion.text
    if reference.fallback:
        # ToolRL's definition crashes on this reference: tags a thought merely mentions
        # are not counted, for the completion as for the reference.
        text = _without_thought(text)
    return high if check(text, reference.has_call, reference.has_response) else low


def _without_thought(text: str) -> str:
    close = text.find(_T[1])
    if not text.startswith(_T[0]) or close < 0:
        return text
    return _T[0] + " " + text[close:]


def _shape_matches_exact(text: str, call: bool, response: bool) -> bool:
    body = text[:-1] if text.endswith("\n") else text  # `$` matches before a final newline
    if not text.startswith(_T[0]):
        return False
    expected = [_TC] if call else []
    expected += [_R] if response else []
    for opener, closer in expected:
        if text.count(opener) != 1 or text.count(closer) != 1:
            return False
    if not expected:
        return body.endswith(_T[1]) and len(body) >= len(_T[0]) + len(_T[1])
    # The first expected block must follow `</think>\n` (with `<think>` before it).
    first = text.find(expected[0][0])
    if first < len(_T[0]) + len(_T[1]) + 1 or text[first - len(_T[1]) - 1 : first] != _T[1] + "\n":
        return False
    pos = first
    for i, (opener, closer) in enumerate(expected):
        start = text.find(opener, pos)
        if start != pos:
            return False
        end = text.find(closer, start)
        if end < 0:
            return False
        if opener == _TC[0]:
            # `<tool_call>\n.*?\n</tool_call>`: a newline after the opener and before the closer.
            if text[start + len(opener)] != "\n" or end < start + len(opener) + 1:
                return False
            if text[end - 1] != "\n" or end - 1 < start + len(opener) + 1:
                return False
        pos = end + len(closer)
        if i + 1 < len(expected):
            if text[pos : pos + 1] != "\n":
                return False
            pos += 1
    return pos == len(body)


def _shape_matches_tolerant(text: str, call: bool, response: bool) -> bool:
    """The same shape, with any whitespace (or none) between and inside blocks."""
    text = text.strip()
    if not text.startswith(_T[0]):
        return False
    end_think = text.find(_T[1])
    if end_think < 0:
        return False
    pos = end_think + len(_T[1])
    blocks = [_TC] if call else []
    blocks += [_R] if response else []
    for opener, closer in blocks:
        if text.count(opener) != 1 or text.count(closer) != 1:
            return False
        rest = text[pos:].lstrip()
        if not rest.startswith(opener):
            return False
        start = len(text) - len(rest)
        end = text.find(closer, start)
        if end < 0:
            return False
        pos = end + len(closer)
    return pos == len(text) or (not blocks and text.endswith(_T[1]))


def partial_format_reward(
    completion: Completion,
    reference: Reference,
    *,
    low: float = 0.0,
    high: float = 1.0,
) -> float:
    """Credit for each shape requirement met, scaled to [low, high].

    Requirements: `<think>` opened, `</think>` closed, each expected block present and
    closed, no unexpected block, calls that parse (when a call is expected), nothing after
    the last block, and ToolRL's exact layout (`format_reward`: one newline between blocks
    and on each side of a call block's lines). A completion meeting all of them scores
    `high`, so full credit is exactly ToolRL's format: without the last check, GRPO taught
    Gemma-3-270M to close its calls on the call's line (`} </tool_call>`), full credit here
    and 0 under ToolRL's check (docs/quickstart-experiments.md).

    >>> ref = Reference("", True, False, ())
    >>> partial_format_reward(Completion('<think> a </think>\\n<tool_call>\\n{"name": "f"}\\n</tool_call>'), ref)
    1.0
    >>> partial_format_reward(Completion('<think> a </think>\\n<tool_call>\\n{"name": "f"} </tool_call>'), ref)
    0.875
    >>> partial_format_reward(Completion('<think> a </think>'), ref)  # 4 of 8 checks
    0.5
    """
    checks = format_checks(completion, reference)
    return low + (high - low) * sum(checks.values()) / len(checks)


def format_checks(completion: Completion, reference: Reference) -> dict[str, bool]:
    """The named requirements `partial_format_reward` counts (also shown by `explain`)."""
    parsed = completion.parsed
    text = parsed.text
    checks = {
        "starts with <think>": text.startswith(_T[0]),
        "</think> closes the thought": parsed.think_closed,
    }
    has_calls, has_response = parsed.has_call_block, parsed.response is not None
    if reference.has_call:
        checks["<tool_call> block present"] = has_calls
        checks["</tool_call> closes it"] = has_calls and parsed.call_blocks_closed
        checks["calls parse"] = parsed.calls_valid
    else:
        checks["no <tool_call> block"] = not has_calls
    if reference.has_response:
        checks["<response> block present"] = has_response
        checks["</response> closes it"] = has_response and parsed.response_closed
    else:
        checks["no <response> block"] = not has_response
    checks["nothing after the last block"] = not parsed.trailing_text and not any(
        "more than one" in p or "stray text" in p for p in parsed.problems
    )
    checks[LAYOUT_CHECK] = format_reward(completion, reference) == 1.0
    return checks
