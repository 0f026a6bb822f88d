"""OpenAI chat format: `{"messages": [...], "tools": [...]}` with assistant `tool_calls`.

Messages use roles `system`, `user`, `assistant` (with `tool_calls`: `{"function": {"name",
"arguments": JSON text}}`), and `tool` (results). `tools` are `{"type": "function",
"function": {...}}` specs (plain specs are accepted too). Also reads a `reasoning` or
`reasoning_content` field on assistant turns as their think text.
"""

from __future__ import annotations

from typing import Any

from toolzero.data.report import RowError
from toolzero.data.sources.dialogue import calls_from, dialogue_examples, json_field, tools_from
from toolzero.protocol.types import Example, Message

ROLES = ("system", "user", "assistant", "tool")


def convert_openai(
    record: dict[str, Any], row: int, source: str, turns: str = "all", **_: Any
) -> list[Example]:
    raw = json_field(record.get("messages"), "messages")
    if not isinstance(raw, list):
        raise RowError("missing messages list")
    tools = tools_from(record.get("tools"))
    messages = []
    for k, m in enumerate(raw):
        if not isinstance(m, dict) or m.get("role") not in ROLES:
            raise RowError(
                "malformed message",
                f"message {k}: role {m.get('role') if isinstance(m, dict) else m!r}",
            )
        content = m.get("content")
        if isinstance(content, list):  # content parts: keep the text ones
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        reasoning = m.get("reasoning") or m.get("reasoning_content")
        messages.append(
            Message(
                m["role"],
                str(content or ""),
                calls_from(m.get("tool_calls"), f"message {k} tool_calls"),
                m.get("name"),
                reasoning if isinstance(reasoning, str) else None,
            )
        )
    system = next((m.content for m in messages if m.role == "system"), None)
    examples = dialogue_examples(f"{source}-{row}", tools, messages, source, turns)
    if system is None:
        return examples
    return [_with_system(e, system) for e in examples]


def _with_system(example: Example, system: str) -> Example:
    from dataclasses import replace

    return replace(example, metadata={**example.metadata, "system_prompt": system})
