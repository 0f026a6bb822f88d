"""ToolRL's own text format: `rlla` JSON rows and the verl parquet rows built from them.

An `rlla` row is `{"instruction": system prompt with the numbered tool list, "input":
"**Dialogue Records History**" + turns, "output": the reference answer}`. The verl parquet
holds the same text as `prompt` (system + user chat messages) and
`reward_model.ground_truth`. We parse both back into an `Example` whose tools and history
re-render, byte for byte, to the original prompt via `render_system_prompt` /
`render_dialogue`; `reference_output` keeps the raw output text, and the reference calls,
response and think are read from it with the protocol parser.

A row whose system text does not re-render exactly (hand-edited data) keeps its system text
verbatim in `Example.system`, so the prompt still matches, and is flagged in metadata.
"""

from __future__ import annotations

import json
from typing import Any

from toolzero.data.report import RowError
from toolzero.protocol.parser import parse_completion
from toolzero.protocol.toolrl_format import (
    HISTORY_HEADER,
    INSTRUCTIONS,
    TASK_STATEMENT,
    TOOLS_HEADER,
    render_system_prompt,
)
from toolzero.protocol.types import Example, Message, ToolCall, ToolSpec

_DECODER = json.JSONDecoder()


def convert_rlla(record: dict[str, Any], row: int, source: str, **_: Any) -> list[Example]:
    """One `rlla` row (`instruction`, `input`, `output`) to one `Example`."""
    for key in ("instruction", "input", "output"):
        if not isinstance(record.get(key), str):
            raise RowError(f"missing text field {key!r}")
    return [
        toolrl_example(
            record["instruction"], record["input"], record["output"], f"{source}-{row}", source
        )
    ]


def convert_verl(record: dict[str, Any], row: int, source: str, **_: Any) -> list[Example]:
    """One verl row (`prompt` chat messages + `reward_model.ground_truth`) to one `Example`."""
    prompt = record.get("prompt")
    reward_model = record.get("reward_model") or {}
    truth = reward_model.get("ground_truth") if isinstance(reward_model, dict) else None
    if not isinstance(truth, str):
        raise RowError("missing reward_model.ground_truth")
    if not isinstance(prompt, list) or not prompt:
        raise RowError("missing prompt messages")
    by_role = {m.get("role"): m.get("content") for m in prompt if isinstance(m, dict)}
    if not isinstance(by_role.get("system"), str) or not isinstance(by_role.get("user"), str):
        raise RowError("prompt needs one system and one user message")
    index = (record.get("extra_info") or {}).get("index", row)
    return [toolrl_example(by_role["system"], by_role["user"], truth, f"{source}-{index}", source)]


def toolrl_example(
    instruction: str, dialogue: str, output: str, example_id: str, source: str
) -> Example:
    tools, task = parse_system_prompt(instruction)
    exact = render_system_prompt(tools, task) == instruction
    parsed = parse_completion(output)
    return Example(
        id=example_id,
        tools=tools,
        messages=parse_dialogue(dialogue),
        reference_calls=parsed.calls,
        reference_response=parsed.response,
        reference_think=parsed.think,
        reference_output=output,
        system=None if exact and task == TASK_STATEMENT else instruction,
        source=source,
        metadata={} if exact else {"system_verbatim": True},
    )


def parse_system_prompt(text: str) -> tuple[tuple[ToolSpec, ...], str]:
    """The tools listed in a ToolRL system prompt, and its task statement."""
    head = f"\n\n{TOOLS_HEADER}\n"
    start = text.find(head)
    end = text.rfind(f"\n\n{INSTRUCTIONS}")
    if start < 0 or end < start:
        raise RowError("instruction is not a ToolRL system prompt", "no tool list section")
    return parse_tool_list(text[start + len(head) : end]), text[:start]


def parse_tool_list(text: str) -> tuple[ToolSpec, ...]:
    """`1. Name: ...\\nDescription: ...\\nParameters: {json}` entries, in order."""
    tools: list[ToolSpec] = []
    pos = 0
    while pos < len(text):
        opener = f"{len(tools) + 1}. Name: "
        if not text.startswith(opener, pos):
            raise RowError("malformed tool list", f"expected {opener!r} at offset {pos}")
        desc_at = text.find("\nDescription: ", pos)
        params_at = text.find("\nParameters: ", desc_at + 1)
        if desc_at < 0 or params_at < 0:
            raise RowError(
                "malformed tool list", f"tool {len(tools) + 1} lacks Description/Parameters"
            )
        try:
            params, after = _DECODER.raw_decode(text, params_at + len("\nParameters: "))
        except json.JSONDecodeError as err:
            raise RowError(
                "invalid JSON in tool parameters", f"tool {len(tools) + 1}: {err}"
            ) from None
        if not isinstance(params, dict):
            raise RowError("tool parameters are not a JSON object", f"tool {len(tools) + 1}")
        name = text[pos + len(opener) : desc_at]
        description = text[desc_at + len("\nDescription: ") : params_at]
        tools.append(ToolSpec(name, description, params))
        pos = after + 1 if text.startswith("\n", after) else after
        if pos != len(text) and after == pos:
            raise RowError("malformed tool list", f"text after tool {len(tools)} parameters")
    return tuple(tools)


def parse_dialogue(text: str) -> tuple[Message, ...]:
    """The `**Dialogue Records History**` text back into messages (inverse of render_dialogue)."""
    if not text.startswith(HISTORY_HEADER):
        raise RowError("input does not start with the dialogue history header")
    pos = len(HISTORY_HEADER)
    messages: list[Message] = []
    while pos < len(text):
        sep = "\n" if not messages else "\n\n"
        if not text.startswith(sep, pos):
            raise RowError("malformed dialogue", f"expected a turn separator at offset {pos}")
        pos += len(sep)
        if text.startswith("<user> ", pos):
            content, pos = _span(text, pos, "<user> ", " </user>")
            messages.append(Message("user", content))
        elif text.startswith("<obs> ", pos):
            content, pos = _span(text, pos, "<obs> ", " </obs>")
            messages.append(Message("tool", content))
        elif text.startswith("<think> ", pos):
            pos = _assistant_turn(text, pos, messages)
        else:
            raise RowError(
                "malformed dialogue", f"unknown turn at offset {pos}: {text[pos : pos + 20]!r}"
            )
    return tuple(messages)


def _span(text: str, pos: int, opener: str, closer: str) -> tuple[str, int]:
    end = text.find(closer, pos + len(opener))
    if end < 0:
        raise RowError("malformed dialogue", f"unclosed {opener.strip()} at offset {pos}")
    return text[pos + len(opener) : end], end + len(closer)


def _assistant_turn(text: str, pos: int, messages: list[Message]) -> int:
    """Read `<think>`, optional `<tool_call>` lines, optional `<response>`, then `<obs>` lines."""
    think, pos = _span(text, pos, "<think> ", " </think>")
    calls: list[ToolCall] = []
    if text.startswith("\n<tool_call>\n", pos):
        body, pos = _span(text, pos, "\n<tool_call>\n", "\n</tool_call>")
        for line in body.split("\n"):
            try:
                calls.append(ToolCall.from_dict(json.loads(line)))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as err:
                raise RowError(
                    "unparseable tool call in history", f"{line[:80]!r}: {err}"
                ) from None
    response = ""
    if text.startswith("\n<response> ", pos):
        response, pos = _span(text, pos, "\n<response> ", " </response>")
    messages.append(Message("assistant", response, tuple(calls), None, think))
    while text.startswith("\n<obs> ", pos):
        content, pos = _span(text, pos, "\n<obs> ", " </obs>")
        messages.append(Message("tool", content))
    return pos
