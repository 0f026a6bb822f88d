"""Rows of `samples.jsonl`: what the model wrote at a training step, and what it earned.

The metrics file holds batch means; a falling reward or a collapsing entropy is explained
by the completions themselves (every group writing the same short call, a call without
arguments, text running to the token limit). Every `run.samples_steps` steps the trainer
appends one row per completion:

    step, prompt (its last `PROMPT_TAIL` characters: the user's request), completion (with
    the recipe's prefill in front, as the reward saw it), rewards ({component: value}),
    advantage

Plain Python (no torch); writing and truncating the file are `toolzero.run_folder`'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from toolzero.rewards.adapters import completion_text

PROMPT_TAIL = 400


def prompt_tail(prompt: Any, chars: int = PROMPT_TAIL) -> str:
    """The end of a prompt (text, or the last message of a conversation)."""
    if isinstance(prompt, list) and prompt:
        prompt = prompt[-1]
    text = completion_text(prompt)
    return text[-chars:] if len(text) > chars else text


def sample_rows(
    step: int,
    prompts: Sequence[Any],
    completions: Sequence[Any],
    rewards: Mapping[str, Sequence[float]],
    advantages: Sequence[float],
    prefill: str = "",
) -> list[dict[str, Any]]:
    """One row per completion of a step (the sequences are aligned, as TRL logs them).

    >>> rows = sample_rows(3, ["...User: hi"], ["</think>"], {"format": [0.5]}, [0.25],
    ...                    prefill="<think>")
    >>> rows[0]["completion"], rows[0]["rewards"], rows[0]["advantage"]
    ('<think></think>', {'format': 0.5}, 0.25)
    """
    n = len(completions)
    if len(prompts) != n or len(advantages) != n or any(len(v) != n for v in rewards.values()):
        raise ValueError("sample_rows: prompts, completions, rewards and advantages differ in length")
    return [
        {
            "step": step,
            "prompt": prompt_tail(prompts[i]),
            "completion": prefill + completion_text(completions[i]),
            "rewards": {name: _number(values[i]) for name, values in rewards.items()},
            "advantage": _number(advantages[i]),
        }
        for i in range(n)
    ]


def _number(value: float) -> float | None:
    """JSON-safe: NaN (an unscorable row) becomes null; others are rounded for reading."""
    value = float(value)
    return None if value != value else round(value, 4)
