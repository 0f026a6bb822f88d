"""Irrelevance examples: take away the tool the request needs; the right answer is to say so.

BFCL scores "irrelevance" (no call is correct) and Hammer trains on it; a model that only
ever saw answerable requests calls *something* every time. This turns an example with
reference calls into one whose needed tools are gone and whose reference is a response.
Not applicable (None) when the example has no calls, when no tool would remain, or when
the history already uses a removed tool.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from toolzero.data.sources.dialogue import IRRELEVANT_RESPONSE
from toolzero.protocol.types import Example

THINK = "None of the available tools can do what the user asks, so I should say so instead of calling one."


def remove_needed_tools(example: Example, rng: random.Random, pool: Any = None) -> Example | None:
    """The example with its reference tools removed and a refusal as reference, or None."""
    needed = {c.name for c in example.reference_calls}
    if not needed:
        return None
    remaining = tuple(t for t in example.tools if t.name not in needed)
    used_before = {c.name for m in example.messages for c in m.tool_calls}
    if not remaining or needed & used_before:
        return None
    return replace(
        example,
        tools=remaining,
        reference_calls=(),
        reference_response=IRRELEVANT_RESPONSE,
        reference_think=THINK,
        reference_output=None,
        metadata={**example.metadata, "irrelevance": True, "removed_tools": sorted(needed)},
    )
