"""BFCL entries as toolzero `Example`s, and model answers as the calls BFCL's checkers read.

Prompting: the tools are BFCL's function documents with BFCL's language hints (what its
own handlers show a model); a system message of the entry is kept: appended to ToolRL's
system prompt under the `toolrl` protocol, as a system turn otherwise. Under `native`,
parameter types are mapped to JSON Schema with BFCL's own `GORILLA_TO_OPENAPI` table
(`protocol.bfcl_schema`), since chat templates and servers expect `object`/`number`, not
`dict`/`float`.

Decoding (each BFCL handler has its own; this is toolzero's): `parse_completion` reads the
answer; a call block with any unreadable call is a decode failure for the whole answer,
like a syntax error in BFCL's Python-syntax decoders; an answer without calls decodes to
no calls.
"""

from __future__ import annotations

import copy
from typing import Any

from toolzero.protocol.bfcl_schema import json_schema_types
from toolzero.protocol.parser import parse_completion
from toolzero.protocol.toolrl_format import render_system_prompt
from toolzero.protocol.types import Example, Message, ToolCall, ToolSpec


def bfcl_tools(functions: list[dict[str, Any]], protocol: str) -> tuple[ToolSpec, ...]:
    tools = []
    for fn in functions:
        params = copy.deepcopy(fn.get("parameters") or {})
        if protocol == "native":
            params = json_schema_types(params)
        tools.append(
            ToolSpec(name=fn["name"], description=fn.get("description", ""), parameters=params)
        )
    return tuple(tools)


def bfcl_example(
    item_id: str,
    tools: tuple[ToolSpec, ...],
    messages: list[Message],
    protocol: str,
    category: str,
) -> Example:
    """An Example from tools and dialogue; the dialogue's system text handled per protocol."""
    system_texts = [m.content for m in messages if m.role == "system" and m.content]
    system = None
    if protocol == "toolrl" and system_texts:
        system = render_system_prompt(tools) + "\n\n" + "\n\n".join(system_texts)
        messages = [m for m in messages if m.role != "system"]
    return Example(
        id=item_id,
        tools=tools,
        messages=tuple(messages),
        system=system,
        source="bfcl",
        metadata={"category": category},
    )


def messages_from_bfcl(turn: list[dict[str, Any]]) -> list[Message]:
    return [Message(role=m["role"], content=str(m.get("content") or "")) for m in turn]


def single_turn_example(entry: dict[str, Any], protocol: str, category: str) -> Example:
    """The Example for a single-turn entry (its one turn of messages)."""
    tools = bfcl_tools(entry["function"], protocol)
    return bfcl_example(
        entry["id"], tools, messages_from_bfcl(entry["question"][0]), protocol, category
    )


def decode_calls(answer: str) -> tuple[list[ToolCall] | None, list[str]]:
    """(calls, problems); calls is None when the answer has a call it could not read."""
    parsed = parse_completion(answer)
    problems = list(parsed.problems)
    if any(p.startswith("call:") for p in problems):
        return None, problems
    return list(parsed.calls), problems


def calls_from_rows(raw: Any) -> tuple[list[ToolCall] | None, list[str]]:
    """Calls given directly in a predictions file (`[{"name", "arguments"}]`): malformed
    calls are the model's output, so they make a decode failure, not an error."""
    if not isinstance(raw, list):
        return None, [f"call: 'calls' must be a list, got {type(raw).__name__}"]
    calls = []
    for i, item in enumerate(raw):
        try:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise ValueError("needs a string 'name'")
            calls.append(ToolCall.from_dict(item))
        except (ValueError, TypeError, KeyError) as exc:
            return None, [f"call: call {i} is malformed ({exc})"]
    return calls, []
