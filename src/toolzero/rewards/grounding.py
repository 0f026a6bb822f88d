"""Tool grounding: does the completion call only tools the prompt offered, and only when due?

    grounding = low + (high − low) · (calls naming an offered tool) / (calls made)

when the reference makes calls (no call, or no readable call, scores `low`; a call block
whose JSON does not parse counts as one call on no offered tool); when the reference makes
none, `high` for a completion without calls and `low` for one with calls.

Why: ToolRL's correctness gives a call to the wrong tool `low` whether that tool was on
offer or invented, so a base model that names no right tool at the start gets no signal
towards the tool list at all. Measured on Gemma-3-270M base (docs/training.md): it names
the right tool in ~10% of samples and GRPO's advantages in the other groups come from the
format alone, which taught it to copy the prompt's example call. Grounding is partial
credit for the first half of choosing a tool, the way `partial_format` is for the shape.

The offered tools come from `Reference.tools` (the `tools` column of a training row);
where they are unknown, only the reference's own tools count as offered.

With `keys=true` a call also has to fit the offered tool's parameters: half the credit
for naming an offered tool, half for passing only parameter names the tool declares and
every required one (where the tool's parameters are unknown, naming it earns both halves).
Why: on Gemma-3-270M base GRPO settled on calls that name an offered tool and pass no
arguments, or the worked example's argument name, whatever the tool
(docs/quickstart-experiments.md); names alone earned full grounding there.
"""

from __future__ import annotations

from toolzero.rewards.inputs import Completion, Reference, unreadable_calls


def grounding_reward(
    completion: Completion,
    reference: Reference,
    *,
    low: float = 0.0,
    high: float = 1.0,
    keys: bool = False,
) -> float:
    """Share of the completion's calls that name an offered tool, in [low, high]; with
    `keys`, each such call earns half unless its parameter names fit the tool.

    >>> ref = Reference("", True, False, ({"name": "f", "parameters": {}},), tools=("f", "g"))
    >>> call = '<tool_call>\\n{"name": "g", "parameters": {}}\\n{"name": "h", "parameters": {}}\\n</tool_call>'
    >>> grounding_reward(Completion(call), ref)
    0.5
    >>> grounding_reward(Completion("<response> hi </response>"), ref)
    0.0
    """
    parsed = completion.parsed
    names = [call.name for call in parsed.calls]
    made = len(names) + unreadable_calls(parsed)
    if not reference.has_call:
        return low if made or parsed.has_call_block else high
    if not made:
        return low
    offered = reference.offered_tools()
    if not keys:
        grounded = sum(name in offered for name in names)
        return low + (high - low) * grounded / made
    schemas = {name: (declared, required) for name, declared, required in reference.tool_keys}
    credit = 0.0
    for call in parsed.calls:
        if call.name not in offered:
            continue
        passed = set(call.arguments) if isinstance(call.arguments, dict) else None
        schema = schemas.get(call.name)
        fits = schema is None or (
            passed is not None and passed <= schema[0] and schema[1] <= passed
        )
        credit += 1.0 if fits else 0.5
    return low + (high - low) * credit / made
