"""What a set of examples contains: shapes, sources, turns and prompt sizes.

`example_shape` names the answer shape the way BFCL does (single, parallel = one tool
several times, multiple = several tools, no_call); `describe_examples` counts shapes per
source and measures prompt lengths (characters of ToolRL's rendered prompt; tokens depend
on the tokenizer, which this layer does not load).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from toolzero.protocol.toolrl_format import toolrl_prompt_messages
from toolzero.protocol.types import Example


def example_shape(example: Example) -> str:
    """single | parallel | multiple | no_call.

    >>> from toolzero.protocol.types import ToolCall
    >>> example_shape(Example("x", (), (), (ToolCall("f"), ToolCall("f"))))
    'parallel'
    """
    calls = example.reference_calls
    if not calls:
        return "no_call"
    if len(calls) == 1:
        return "single"
    return "parallel" if len({c.name for c in calls}) == 1 else "multiple"


def is_multi_turn(example: Example) -> bool:
    """More than one user turn, or any past assistant or tool turn."""
    roles = [m.role for m in example.messages]
    return roles.count("user") > 1 or "assistant" in roles or "tool" in roles


def prompt_chars(example: Example) -> int:
    return sum(len(m["content"]) for m in toolrl_prompt_messages(example))


def describe_examples(examples: Sequence[Example]) -> dict[str, Any]:
    """Counts per source and shape, multi-turn share, and prompt size percentiles."""
    by_source: dict[str, Counter[str]] = defaultdict(Counter)
    shapes: Counter[str] = Counter()
    multi_turn = 0
    for e in examples:
        shape = example_shape(e)
        shapes[shape] += 1
        by_source[e.source or "unknown"][shape] += 1
        multi_turn += is_multi_turn(e)
    sizes = sorted(prompt_chars(e) for e in examples)
    return {
        "count": len(examples),
        "shapes": dict(shapes),
        "by_source": {s: dict(c) for s, c in sorted(by_source.items())},
        "multi_turn": multi_turn,
        "tools_mean": round(sum(len(e.tools) for e in examples) / max(len(examples), 1), 2),
        "prompt_chars": _percentiles(sizes),
    }


def _percentiles(sorted_values: Sequence[int]) -> dict[str, int]:
    if not sorted_values:
        return {}
    pick = lambda q: sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]  # noqa: E731
    return {"min": sorted_values[0], "p50": pick(0.5), "p90": pick(0.9), "max": sorted_values[-1]}
