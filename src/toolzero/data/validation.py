"""Validation and cleaning: keep examples whose reference is parseable and consistent with
the tools offered, drop duplicates and over-long ones, and count every rejection by reason.

Checks, each a reason in the report:
- `no user turn`, `no reference` (neither calls nor response);
- `unparseable reference`: the reference text does not parse back to its calls;
- `unknown tool`: a reference call names a tool not on offer;
- `undeclared argument`, `missing required argument`, `implausible argument type`
  (`"5"` for an integer is implausible; an int for a number is fine; unknown or union
  types are accepted);
- `too many tools`, `prompt too long`, `reference too long`, `too many turns`;
- `duplicate prompt`: the same tools and dialogue as an earlier example (first one kept).

What is left out: semantic checks (is the value the one the user said?), which need a model.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from toolzero.data.report import DataReport
from toolzero.protocol.parser import parse_completion
from toolzero.protocol.toolrl_format import toolrl_prompt_messages
from toolzero.protocol.types import Example, ToolCall, ToolSpec

# Declared type name (lower case, first word) -> accepted Python types.
TYPE_CHECKS: dict[str, tuple[type, ...]] = {
    "string": (str,), "str": (str,), "text": (str,),
    "integer": (int,), "int": (int,),
    "number": (int, float), "float": (int, float), "double": (int, float),
    "boolean": (bool,), "bool": (bool,),
    "array": (list, tuple), "list": (list, tuple), "tuple": (list, tuple),
    "object": (dict,), "dict": (dict,),
}  # fmt: skip


@dataclass(frozen=True)
class ValidationConfig:
    """Which checks run, and the limits (None = no limit)."""

    check_schema: bool = True
    check_required: bool = True
    check_types: bool = True
    dedupe: bool = True
    max_tools: int | None = None
    max_prompt_chars: int | None = None
    max_reference_chars: int | None = None
    max_turns: int | None = None


def validate_examples(
    examples: Iterable[Example],
    config: ValidationConfig | None = None,
    report: DataReport | None = None,
) -> list[Example]:
    """The examples that pass every check; the others are counted in `report` by reason."""
    config = config or ValidationConfig()
    report = report if report is not None else DataReport()
    seen: set[str] = set()
    kept = []
    for example in examples:
        problem = example_problem(example, config)
        if problem is None and config.dedupe:
            key = prompt_key(example)
            problem = ("duplicate prompt", "") if key in seen else None
            seen.add(key)
        if problem is None:
            kept.append(example)
        else:
            report.reject(example.source or "data", example.id, *problem)
    return kept


def example_problem(example: Example, config: ValidationConfig) -> tuple[str, str] | None:
    """The first problem found, as (reason, detail), or None."""
    if not any(m.role == "user" for m in example.messages):
        return "no user turn", ""
    if (
        not example.reference_calls
        and example.reference_response is None
        and example.reference_output is None
    ):
        return "no reference", ""
    parsed = parse_completion(example.reference_text())
    if parsed.problems or list(parsed.calls) != list(example.reference_calls):
        return "unparseable reference", "; ".join(parsed.problems)[:200]
    if config.check_schema:
        tools = {t.name: t for t in example.tools}
        for call in example.reference_calls:
            problem = call_problem(call, tools, config)
            if problem:
                return problem
    return length_problem(example, config)


def call_problem(
    call: ToolCall, tools: dict[str, ToolSpec], config: ValidationConfig
) -> tuple[str, str] | None:
    """Is this call consistent with the offered tool's schema?

    >>> spec = ToolSpec("f", "", {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]})
    >>> call_problem(ToolCall("f", {"n": "5"}), {"f": spec}, ValidationConfig())
    ('implausible argument type', 'f.n: integer got str')
    >>> call_problem(ToolCall("g", {}), {"f": spec}, ValidationConfig())
    ('unknown tool', 'g')
    """
    spec = tools.get(call.name)
    if spec is None:
        return "unknown tool", call.name
    properties = spec.properties()
    for key, value in call.arguments.items():
        if key not in properties:
            return "undeclared argument", f"{call.name}.{key}"
        declared = properties[key].get("type") if isinstance(properties[key], dict) else None
        if config.check_types and not plausible(value, declared):
            return (
                "implausible argument type",
                f"{call.name}.{key}: {declared} got {type(value).__name__}",
            )
    if config.check_required:
        missing = [r for r in spec.required() if r not in call.arguments]
        if missing:
            return "missing required argument", f"{call.name}: {', '.join(missing)}"
    return None


def plausible(value: Any, declared: Any) -> bool:
    """Does a value fit a declared type? Unknown, union or absent types accept anything.

    >>> plausible(3, "float"), plausible(True, "integer"), plausible("x", "str, optional")
    (True, False, True)
    """
    if value is None or not isinstance(declared, str):
        return True
    name = declared.lower().split(",")[0].split("[")[0].strip()
    if "|" in name or " or " in name:
        return True
    accepted = TYPE_CHECKS.get(name)
    if accepted is None:
        return True
    if isinstance(value, bool) and bool not in accepted:
        return False
    return isinstance(value, accepted)


def length_problem(example: Example, config: ValidationConfig) -> tuple[str, str] | None:
    if config.max_tools is not None and len(example.tools) > config.max_tools:
        return "too many tools", f"{len(example.tools)} > {config.max_tools}"
    if config.max_turns is not None and len(example.messages) > config.max_turns:
        return "too many turns", f"{len(example.messages)} > {config.max_turns}"
    if (
        config.max_reference_chars is not None
        and len(example.reference_text()) > config.max_reference_chars
    ):
        return "reference too long", f"{len(example.reference_text())} chars"
    if config.max_prompt_chars is not None:
        chars = sum(len(m["content"]) for m in toolrl_prompt_messages(example))
        if chars > config.max_prompt_chars:
            return "prompt too long", f"{chars} chars"
    return None


def prompt_key(example: Example) -> str:
    """A hash of what the model sees: tools and dialogue."""
    payload = json.dumps(
        [[t.to_dict() for t in example.tools], [m.to_dict() for m in example.messages]],
        sort_keys=True,
    )
    return hashlib.sha1(payload.encode()).hexdigest()
