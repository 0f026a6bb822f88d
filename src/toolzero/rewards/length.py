"""ToolRL's length reward (an ablation; off in its default): longer thinking, up to a target.

    length = low + (high − low) · min(words inside <think> / target_words, 1)

A completion without both `<think>` and `</think>` scores `low`. The target is 512 words,
or with ToolRL's schedule 384 + 256 · step / 105 (see `toolzero.rewards.schedules`).
"""

from __future__ import annotations

from toolzero.rewards.inputs import Completion, Reference


def length_reward(
    completion: Completion,
    reference: Reference,
    *,
    low: float = 0.0,
    high: float = 1.0,
    target_words: float = 512.0,
) -> float:
    """Reward for the number of words in the (last) `<think>` block.

    >>> length_reward(Completion("<think> " + "w " * 256 + "</think>"), None)
    0.5
    >>> length_reward(Completion("no think"), None)
    0.0
    """
    text = completion.text
    if "<think>" not in text or "</think>" not in text:
        return low
    thought = text.split("<think>")[-1].split("</think>")[0].strip()
    fraction = min(len(thought.split()) / max(target_words, 1e-9), 1.0)
    return low + (high - low) * fraction
