"""Hammer-style name masking: function and parameter names become meaningless strings.

A model trained on masked tools must read descriptions instead of matching familiar
names (Hammer; ToolRL's 1k "Hammer" examples; Tool-Zero's "generic ids"). Two styles:
`random` (Hammer's random strings such as `d_blfHF`) and `generic` (`func_1`, `param_1`).
Names are renamed consistently in tool specs (including JSON Schema `required`),
reference calls and history calls. With `mask_descriptions` (the default), mentions of the
old function names inside descriptions, dialogue text and the reference think are renamed
too, so they do not leak. Parameter names are not renamed in free text: they are often
ordinary words ("city", "name").
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from toolzero.protocol.types import Example, Message, ToolCall, ToolSpec

STYLES = ("random", "generic")
_ALPHABET = string.ascii_letters + string.digits + "_"
MIN_TEXT_NAME = 4  # shorter function names are not renamed inside free text


def random_name(rng: random.Random, taken: set[str]) -> str:
    while True:
        name = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(5, 14)))
        if name not in taken:
            taken.add(name)
            return name


def mask_names(
    example: Example,
    rng: random.Random,
    pool: Any = None,
    style: str = "random",
    mask_params: bool = True,
    mask_descriptions: bool = True,
) -> Example | None:
    """The example with masked names, or None when it has no tools to mask."""
    if style not in STYLES:
        raise ValueError(f"masking style must be one of {STYLES}, got {style!r}")
    if not example.tools:
        return None
    taken: set[str] = set()
    functions: dict[str, str] = {}
    params: dict[str, dict[str, str]] = {}
    for i, tool in enumerate(example.tools, start=1):
        functions[tool.name] = f"func_{i}" if style == "generic" else random_name(rng, taken)
        names = list(tool.properties()) if mask_params else []
        params[tool.name] = {
            p: f"param_{j}" if style == "generic" else random_name(rng, taken)
            for j, p in enumerate(names, 1)
        }
    text = _text_renamer(functions) if mask_descriptions else (lambda s: s)
    return replace(
        example,
        id=example.id,
        tools=tuple(_mask_tool(t, functions[t.name], params[t.name], text) for t in example.tools),
        messages=tuple(_mask_message(m, functions, params, text) for m in example.messages),
        reference_calls=tuple(_mask_call(c, functions, params) for c in example.reference_calls),
        reference_think=text(example.reference_think)
        if example.reference_think
        else example.reference_think,
        reference_response=text(example.reference_response)
        if example.reference_response
        else example.reference_response,
        reference_output=None,  # re-rendered from the masked calls
        metadata={**example.metadata, "masked": style},
    )


def _text_renamer(functions: Mapping[str, str]):
    names = sorted((n for n in functions if len(n) >= MIN_TEXT_NAME), key=len, reverse=True)
    if not names:
        return lambda s: s
    pattern = re.compile(r"(?<![\w])(" + "|".join(re.escape(n) for n in names) + r")(?![\w])")
    return lambda s: pattern.sub(lambda m: functions[m.group(1)], s) if s else s


def _mask_tool(tool: ToolSpec, new_name: str, params: Mapping[str, str], text) -> ToolSpec:
    def rename_props(props: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for key, spec in props.items():
            if isinstance(spec, dict) and isinstance(spec.get("description"), str):
                spec = {**spec, "description": text(spec["description"])}
            out[params.get(key, key)] = spec
        return out

    schema = tool.parameters
    if isinstance(schema.get("properties"), dict) and tool.properties() is schema["properties"]:
        new_schema = {**schema, "properties": rename_props(schema["properties"])}
        if isinstance(schema.get("required"), list):
            new_schema["required"] = [params.get(r, r) for r in schema["required"]]
    else:
        new_schema = rename_props(schema)
    return ToolSpec(new_name, text(tool.description), new_schema)


def _mask_call(
    call: ToolCall, functions: Mapping[str, str], params: Mapping[str, Mapping[str, str]]
) -> ToolCall:
    renames = params.get(call.name, {})
    return ToolCall(
        functions.get(call.name, call.name),
        {renames.get(k, k): v for k, v in call.arguments.items()},
    )


def _mask_message(message: Message, functions, params, text) -> Message:
    return Message(
        message.role,
        text(message.content),
        tuple(_mask_call(c, functions, params) for c in message.tool_calls),
        functions.get(message.name, message.name) if message.name else message.name,
        text(message.reasoning) if message.reasoning else message.reasoning,
    )
