"""The canonical data types every layer speaks: tools, calls, messages and examples.

An `Example` is one training or evaluation item: the tools on offer, the dialogue so far,
and what the assistant should do next (reference calls and/or a reference response).
Every data loader produces `Example`s, every renderer consumes them, and the reward
functions compare model output against `Example.reference_text()`.

Plain frozen dataclasses with `to_dict` / `from_dict` so that examples travel through
JSONL files and `datasets` columns unchanged. No torch, no I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]
ROLES: tuple[str, ...] = ("system", "user", "assistant", "tool")


@dataclass(frozen=True)
class ToolSpec:
    """A tool the model may call.

    `parameters` is kept exactly as the source gave it, so that prompts re-render byte for
    byte: either a JSON Schema object (`{"type": "object", "properties": {...},
    "required": [...]}`) or the flat `{name: {type, description, default}}` map that
    ToolRL's data uses. `properties()` and `required()` read both shapes.
    """

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)

    def properties(self) -> dict[str, Any]:
        """Parameter name -> its spec (type, description, default, enum...)."""
        params = self.parameters
        if isinstance(params.get("properties"), dict) and (
            "type" in params or "required" in params or len(params) <= 3
        ):
            return params["properties"]
        return {k: v for k, v in params.items() if isinstance(v, dict)}

    def required(self) -> list[str]:
        """Names of required parameters.

        JSON Schema lists them; the flat ToolRL shape marks a parameter optional when it
        has a non-empty `default` or says `"required": false`.
        """
        params = self.parameters
        if isinstance(params.get("properties"), dict):
            req = params.get("required", [])
            return [r for r in req if isinstance(r, str)] if isinstance(req, list) else []
        out = []
        for name, spec in self.properties().items():
            if spec.get("required") is True or (
                spec.get("required") is None and spec.get("default", "") in ("", None)
            ):
                out.append(name)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "parameters": self.parameters}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ToolSpec:
        """Read OpenAI-style (`{"type": "function", "function": {...}}`) or plain specs."""
        if isinstance(d.get("function"), dict):
            d = d["function"]
        params = d.get("parameters", d.get("arguments", {}))
        if isinstance(params, str):
            params = json.loads(params)
        return cls(
            name=str(d["name"]),
            description=str(d.get("description") or ""),
            parameters=params if isinstance(params, dict) else {},
        )

    def to_openai(self) -> dict[str, Any]:
        """The `tools=[...]` entry chat templates and OpenAI-compatible servers expect."""
        params = self.parameters
        if not isinstance(params.get("properties"), dict):
            params = {
                "type": "object",
                "properties": self.properties(),
                "required": self.required(),
            }
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": params},
        }


@dataclass(frozen=True)
class ToolCall:
    """One call: a tool name and its arguments (a JSON object)."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": self.arguments}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ToolCall:
        """Accept `arguments` or `parameters`, and OpenAI's `{"function": {...}}` wrapper
        whose arguments are a JSON string."""
        if isinstance(d.get("function"), dict):
            d = d["function"]
        args = d.get("arguments", d.get("parameters", {}))
        if isinstance(args, str):
            args = json.loads(args) if args.strip() else {}
        if not isinstance(args, dict):
            raise ValueError(
                f"tool call arguments must be a JSON object, got {type(args).__name__}"
            )
        return cls(name=str(d["name"]), arguments=args)

    def to_toolrl_json(self) -> str:
        """One line of a ToolRL `<tool_call>` block."""
        return json.dumps({"name": self.name, "parameters": self.arguments})


@dataclass(frozen=True)
class Message:
    """One dialogue turn. Assistant turns may carry calls; tool turns carry results."""

    role: Role
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    name: str | None = None  # the tool that produced a `tool` message, when known
    reasoning: str | None = None  # an assistant turn's `<think>` text, kept for re-rendering

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"message role must be one of {ROLES}, got {self.role!r}")

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            d["tool_calls"] = [c.to_dict() for c in self.tool_calls]
        if self.name is not None:
            d["name"] = self.name
        if self.reasoning is not None:
            d["reasoning"] = self.reasoning
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Message:
        return cls(
            role=d["role"],
            content=d.get("content") or "",
            tool_calls=tuple(ToolCall.from_dict(c) for c in d.get("tool_calls") or ()),
            name=d.get("name"),
            reasoning=d.get("reasoning"),
        )


@dataclass(frozen=True)
class Example:
    """One task: tools, dialogue history, and the reference next assistant turn.

    `reference_calls` and `reference_response` describe what a correct answer contains;
    `reference_output`, when a source provides it (ToolRL's data does), is the exact
    reference text in ToolRL's format and wins over re-rendering. An example with neither
    calls nor response is a no-op turn (rare; ToolRL scores it on format alone).
    """

    id: str
    tools: tuple[ToolSpec, ...]
    messages: tuple[Message, ...]
    reference_calls: tuple[ToolCall, ...] = ()
    reference_response: str | None = None
    reference_think: str | None = None
    reference_output: str | None = None
    system: str | None = None  # a source's own system prompt, if it must be kept verbatim
    source: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    def reference_text(self) -> str:
        """The reference in ToolRL's text format: what `toolzero.rewards` scores against."""
        if self.reference_output is not None:
            return self.reference_output
        return render_toolrl_output(
            think=self.reference_think or "",
            calls=self.reference_calls,
            response=self.reference_response,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tools": [t.to_dict() for t in self.tools],
            "messages": [m.to_dict() for m in self.messages],
            "reference_calls": [c.to_dict() for c in self.reference_calls],
            "reference_response": self.reference_response,
            "reference_think": self.reference_think,
            "reference_output": self.reference_output,
            "system": self.system,
            "source": self.source,
            "metadata": self.metadata,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Example:
        return cls(
            id=str(d["id"]),
            tools=tuple(ToolSpec.from_dict(t) for t in d.get("tools") or ()),
            messages=tuple(Message.from_dict(m) for m in d.get("messages") or ()),
            reference_calls=tuple(ToolCall.from_dict(c) for c in d.get("reference_calls") or ()),
            reference_response=d.get("reference_response"),
            reference_think=d.get("reference_think"),
            reference_output=d.get("reference_output"),
            system=d.get("system"),
            source=d.get("source", ""),
            metadata=dict(d.get("metadata") or {}),
        )


def render_toolrl_output(
    think: str, calls: tuple[ToolCall, ...] | list[ToolCall], response: str | None
) -> str:
    """Render one assistant turn in ToolRL's output format.

    >>> print(render_toolrl_output("ok", [ToolCall("f", {"x": 1})], None))
    <think> ok </think>
    <tool_call>
    {"name": "f", "parameters": {"x": 1}}
    </tool_call>
    """
    parts = [f"<think> {think} </think>"]
    if calls:
        lines = "\n".join(c.to_toolrl_json() for c in calls)
        parts.append(f"<tool_call>\n{lines}\n</tool_call>")
    if response is not None:
        parts.append(f"<response> {response} </response>")
    return "\n".join(parts)
