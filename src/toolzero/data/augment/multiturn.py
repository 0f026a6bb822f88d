"""Tool-Zero's four multi-turn augmentations, built from single-turn examples.

1. `concatenate`: another example's full turn (request, calls, results) becomes history
   before this example's request; the tool lists are merged.
2. `reintroduce_tool`: the assistant first said no tool could help; the user then adds
   the tool and asks again; the reference is the original call.
3. `clarify_parameter`: a value the call needs is removed from the request; the
   reference is a question asking for it.
4. `verify_call`: the history holds this call with one argument perturbed and its result;
   the reference is the corrected call (the model must check past calls against the request).

Tool results in these histories are simulated (`{"status": "success", ...}`): nothing is
executed. Each function returns None where it does not apply, and the caller counts that.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from toolzero.data.sources.dialogue import PLACEHOLDER_THINK_CALL, PLACEHOLDER_THINK_RESPONSE
from toolzero.protocol.types import Example, Message, ToolCall

SORRY = "Sorry, none of the available tools can do that yet."


def simulated_result(call: ToolCall) -> Message:
    return Message("tool", json.dumps({"name": call.name, "status": "success"}), name=call.name)


def reference_turn(example: Example) -> list[Message]:
    """The example's reference answer as history: the assistant turn and simulated results."""
    think = example.reference_think or (
        PLACEHOLDER_THINK_CALL if example.reference_calls else PLACEHOLDER_THINK_RESPONSE
    )
    turn = Message(
        "assistant", example.reference_response or "", example.reference_calls, None, think
    )
    return [turn, *(simulated_result(c) for c in example.reference_calls)]


def concatenate(
    example: Example, rng: random.Random, pool: Sequence[Example] = ()
) -> Example | None:
    """Another example's turn, then this one: the model must answer the latest request."""
    first = _partner(example, rng, pool)
    if first is None:
        return None
    tools = {t.name: t for t in first.tools}
    for t in example.tools:
        if tools.setdefault(t.name, t) != t:
            return None  # two different tools with one name: the merged list would lie
    history = [m for m in first.messages if m.role != "system"] + reference_turn(first)
    return replace(
        example,
        tools=tuple(tools.values()),
        messages=(*history, *example.messages),
        metadata={**example.metadata, "concatenated_with": first.id},
    )


def _partner(example: Example, rng: random.Random, pool: Sequence[Example]) -> Example | None:
    """A random other example with a reference (random tries, not a scan of the pool)."""
    for _ in range(20 if pool else 0):
        candidate = rng.choice(pool)
        if candidate.id != example.id and (
            candidate.reference_calls or candidate.reference_response
        ):
            return candidate
    return None


def reintroduce_tool(example: Example, rng: random.Random, pool: Any = None) -> Example | None:
    """User asks, no tool fits yet, the tool is added, the user asks again."""
    if not example.reference_calls or not _ends_with_user(example):
        return None
    name = rng.choice([c.name for c in example.reference_calls])
    history = (
        *example.messages,
        Message("assistant", SORRY, reasoning=PLACEHOLDER_THINK_RESPONSE),
        Message("user", f"I have added the {name} tool now. Please try again."),
    )
    return replace(
        example, messages=history, metadata={**example.metadata, "reintroduced_tool": name}
    )


def clarify_parameter(example: Example, rng: random.Random, pool: Any = None) -> Example | None:
    """Remove a string value from the request; the reference asks the user for it."""
    if len(example.reference_calls) != 1 or not _ends_with_user(example):
        return None
    call = example.reference_calls[0]
    request = example.messages[-1].content
    candidates = [
        k for k, v in call.arguments.items() if isinstance(v, str) and len(v) >= 2 and v in request
    ]
    if not candidates:
        return None
    key = rng.choice(candidates)
    words = spoken_name(key)
    vague = request.replace(call.arguments[key], f"the {words} I have in mind")
    return replace(
        example,
        messages=(*example.messages[:-1], Message("user", vague)),
        reference_calls=(),
        reference_response=f"Could you tell me the {words}, so that I can use {call.name}?",
        reference_think=f"{call.name} needs the {words}, which the user has not given. I should ask.",
        reference_output=None,
        metadata={**example.metadata, "clarify_parameter": key},
    )


def verify_call(example: Example, rng: random.Random, pool: Any = None) -> Example | None:
    """History holds the call with one argument perturbed; the reference corrects it."""
    if not example.reference_calls or not _ends_with_user(example):
        return None
    options = [(i, k) for i, c in enumerate(example.reference_calls) for k in c.arguments
               if perturb(c.arguments[k], rng) is not None]  # fmt: skip
    if not options:
        return None
    index, key = rng.choice(options)
    right = example.reference_calls[index]
    wrong = ToolCall(right.name, {**right.arguments, key: perturb(right.arguments[key], rng)})
    calls = tuple(wrong if i == index else c for i, c in enumerate(example.reference_calls))
    history = (
        *example.messages,
        Message("assistant", "", calls, None, PLACEHOLDER_THINK_CALL),
        *(simulated_result(c) for c in calls),
    )
    return replace(
        example,
        messages=history,
        reference_calls=(right,),
        reference_response=None,
        reference_think=f"The earlier {right.name} call used a wrong {key}; I call it again with the value the user gave.",
        reference_output=None,
        metadata={**example.metadata, "perturbed_argument": f"{right.name}.{key}"},
    )


def perturb(value: Any, rng: random.Random) -> Any:
    """A plausible wrong value of the same type, or None when there is none.

    >>> perturb(True, random.Random(0)), perturb([1, 2], random.Random(0))
    (False, [1])
    """
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + rng.choice((1, -1, 10))
    if isinstance(value, float):
        return round(value * rng.choice((0.5, 2.0)) + 1, 2)
    if isinstance(value, str) and len(value) >= 3:
        i = rng.randrange(len(value) - 1)  # swap two neighbours: a typo
        wrong = value[:i] + value[i + 1] + value[i] + value[i + 2 :]
        return wrong if wrong != value else value + value[-1]
    if isinstance(value, list) and len(value) >= 2:
        return value[:-1]
    return None


def spoken_name(key: str) -> str:
    """`check_in_date` / `checkInDate` -> "check in date"."""
    return (
        re.sub(r"(?<=[a-z])(?=[A-Z])", " ", key).replace("_", " ").replace("-", " ").lower().strip()
    )


def _ends_with_user(example: Example) -> bool:
    return bool(example.messages) and example.messages[-1].role == "user"
