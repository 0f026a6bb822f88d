"""The two inputs of every reward component: a `Completion` and a `Reference`.

A `Completion` holds the assistant text and parses it lazily, once, whatever number of
components read it: ToolRL's exact components only need the text, and skipping the parse
keeps them fast.

A `Reference` is read from reference text in ToolRL's format in one of two ways:
- `toolrl` reads it as ToolRL does (substring tests for the expected shape; the call block
  is the text between the first `<tool_call>` and the next `</tool_call>`, stripped, one
  JSON value per line, kept as decoded in `items`). Where ToolRL's reading crashes (a line
  is not JSON: about 4% of its own data, whose `<think>` text mentions `<tool_call>`), the
  robust reading below is used instead, so every reference has a defined value.
- `robust` reads it with `toolzero.protocol.parse_completion` (tags inside `<think>` are
  ignored, `arguments` and `parameters` both accepted).
References repeat (G completions per prompt), so parsing is cached.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from typing import Any, Literal

from toolzero.protocol.parser import ParsedCompletion, extract_assistant_text, parse_completion

ReferenceMode = Literal["toolrl", "robust"]


@dataclass(frozen=True)
class Completion:
    """A model completion: `raw` as generated, `text` cut to the assistant turn and stripped."""

    raw: str

    @cached_property
    def text(self) -> str:
        return extract_assistant_text(self.raw if isinstance(self.raw, str) else str(self.raw))

    @cached_property
    def parsed(self) -> ParsedCompletion:
        return parse_completion(self.text)


@dataclass(frozen=True)
class Reference:
    """What a correct answer looks like: its shape and its calls as plain dicts.

    `calls` are the readable calls as `{"name": str, "parameters": dict}` dicts (the shape
    ToolRL compares against); `items` is the call block exactly as ToolRL decodes it, one
    JSON value per line, whatever their shape (`toolrl` reading only; `None` otherwise):
    ToolRL's correctness compares those. `fallback` tells that ToolRL's own reading failed
    and the robust one was used. `tools` names the tools the prompt offered, where the
    caller knows them (training rows carry them in a `tools` column); `None` when unknown.
    `tool_keys` holds, for offered tools whose parameters the caller gave, (name, its
    parameter names, the required ones): `grounding(keys=true)` reads it.
    """

    text: str
    has_call: bool
    has_response: bool
    calls: tuple[dict[str, Any], ...]
    fallback: bool = False
    tools: tuple[str, ...] | None = None
    items: tuple[Any, ...] | None = None
    tool_keys: tuple[tuple[str, frozenset[str], frozenset[str]], ...] = ()

    def offered_tools(self) -> frozenset[str]:
        """The tools on offer: `tools` where known, else at least the reference's own."""
        if self.tools is not None:
            return frozenset(self.tools)
        return frozenset(c["name"] for c in self.calls if isinstance(c.get("name"), str))

    @property
    def shape(self) -> str:
        """One of `call`, `response`, `call+response`, `think-only`."""
        if self.has_call and self.has_response:
            return "call+response"
        if self.has_call:
            return "call"
        return "response" if self.has_response else "think-only"


def read_reference(
    text: str, mode: ReferenceMode = "toolrl", tools: Sequence[Any] | None = None
) -> Reference:
    """Read reference text (cached), with the tools on offer if known.

    Each offered tool is a name or a mapping `{"name", "parameters": [names], "required":
    [names]}` (training rows carry the mappings); the mappings also fill `tool_keys`.

    Raises `ValueError` only for a non-string.

    >>> read_reference('<think> x </think>\\n<tool_call>\\n{"name": "f", "parameters": {}}\\n</tool_call>').calls
    ({'name': 'f', 'parameters': {}},)
    >>> read_reference("<think> no <tool_call> needed </think>\\n<response> hi </response>").shape
    'response'
    """
    if not isinstance(text, str):
        raise ValueError(f"a reference must be a string, got {type(text).__name__}")
    reference = _read_reference_cached(text, mode)
    if tools is None:
        return reference
    names = tuple(str(t.get("name")) if isinstance(t, Mapping) else str(t) for t in tools)
    keys = tuple(
        (
            str(t.get("name")),
            frozenset(map(str, t.get("parameters") or ())),
            frozenset(map(str, t.get("required") or ())),
        )
        for t in tools
        if isinstance(t, Mapping)
    )
    return replace(reference, tools=names, tool_keys=keys)


@lru_cache(maxsize=65536)
def _read_reference_cached(text: str, mode: ReferenceMode) -> Reference:
    if mode == "toolrl":
        has_call, has_response = "<tool_call>" in text, "<response>" in text
        if not has_call:
            return Reference(text, False, has_response, ())
        items = _toolrl_reference_items(text)
        if items is not None:
            return Reference(text, True, has_response, _readable_calls(items), items=items)
    elif mode != "robust":
        raise ValueError(f"unknown reference mode {mode!r}; use 'toolrl' or 'robust'")
    parsed = parse_completion(text)
    calls = tuple({"name": c.name, "parameters": c.arguments} for c in parsed.calls)
    return Reference(
        text=text,
        has_call=bool(parsed.call_blocks),
        has_response=parsed.response is not None,
        calls=calls,
        fallback=mode == "toolrl",
    )


def _toolrl_reference_items(text: str) -> tuple[Any, ...] | None:
    """The reference's call block as ToolRL decodes it, or None where ToolRL crashes."""
    block = text.split("<tool_call>")[1].split("</tool_call>")[0].strip()
    try:
        return tuple(json.loads(line) for line in block.split("\n"))
    except (ValueError, RecursionError):
        return None


def _readable_calls(items: tuple[Any, ...]) -> tuple[dict[str, Any], ...]:
    """The items that are calls (a string `name`; `parameters` or `arguments` an object)."""
    calls = []
    for value in items:
        if not isinstance(value, dict) or not isinstance(value.get("name"), str):
            continue
        params = value.get("parameters", value.get("arguments", {}))
        if isinstance(params, dict):
            calls.append({"name": value["name"], "parameters": params})
    return tuple(calls)


def unreadable_calls(parsed: ParsedCompletion) -> int:
    """Values in call blocks that are not readable calls, plus unparsable call blocks: each
    counts as one wrong call."""
    unreadable = max(parsed.call_values - len(parsed.calls), 0)
    return unreadable + sum(p.startswith("call: unparsable") for p in parsed.problems)


def calls_as_dicts(parsed: ParsedCompletion) -> list[dict[str, Any]]:
    """A parsed completion's calls in the reference's dict shape."""
    return [{"name": c.name, "parameters": c.arguments} for c in parsed.calls]
