"""The building blocks of the synthetic task library: tool templates and their parameters.

A `ToolTemplate` is a tool schema (name, short description, typed parameters) plus the
natural-language requests that call it. Each request template names, in `{braces}`, the
parameters whose values it mentions; the generator draws those values from named pools
(`pools.py`) and writes the same values into the reference call. Required parameters must
appear in every template; optional ones appear in some, so the model learns to leave them
out when the user did not ask.

Kept deliberately small: no nested object parameters and no arrays of objects; BFCL and the
public sets cover those shapes.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any

from toolzero.protocol.types import ToolSpec


@dataclass(frozen=True)
class Param:
    """One parameter: JSON Schema type, a short description, and the pool its values come from."""

    name: str
    type: str  # JSON Schema: string, integer, number, boolean, array
    description: str
    pool: str
    required: bool = True
    enum: tuple[str, ...] = ()

    def schema(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"type": self.type, "description": self.description}
        if self.type == "array":
            spec["items"] = {"type": "string"}
        if self.enum:
            spec["enum"] = list(self.enum)
        return spec


@dataclass(frozen=True)
class ToolTemplate:
    """A tool and the requests that call it (`queries` use `{param}` placeholders)."""

    name: str
    description: str
    domain: str
    params: tuple[Param, ...]
    queries: tuple[str, ...]
    refusal: str = ""  # what it does, for "none of the tools can ..." responses
    extras: dict[str, Any] = field(default_factory=dict)

    def spec(self) -> ToolSpec:
        """The JSON Schema tool spec shown to the model."""
        return ToolSpec(
            name=self.name,
            description=self.description,
            parameters={
                "type": "object",
                "properties": {p.name: p.schema() for p in self.params},
                "required": [p.name for p in self.params if p.required],
            },
        )

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(f"tool {self.name!r} has no parameter {name!r}")


def placeholders(template: str) -> list[str]:
    """The `{names}` a request template uses, in order.

    >>> placeholders("Weather in {city} in {unit}?")
    ['city', 'unit']
    """
    return [f for _, f, _, _ in string.Formatter().parse(template) if f]


def check_template(tool: ToolTemplate) -> list[str]:
    """Problems with a tool template (empty when it is consistent); tests run this on all."""
    problems = []
    names = {p.name for p in tool.params}
    required = {p.name for p in tool.params if p.required}
    if not tool.queries:
        problems.append(f"{tool.name}: no queries")
    for q in tool.queries:
        used = set(placeholders(q))
        if used - names:
            problems.append(f"{tool.name}: query {q!r} uses undeclared {sorted(used - names)}")
        if required - used:
            problems.append(f"{tool.name}: query {q!r} misses required {sorted(required - used)}")
    return problems


def tool(
    name: str,
    description: str,
    domain: str,
    params: list[Param],
    queries: list[str],
    refusal: str = "",
) -> ToolTemplate:
    """Shorthand used by the catalog modules."""
    return ToolTemplate(name, description, domain, tuple(params), tuple(queries), refusal)


def p(
    name: str,
    type_: str,
    description: str,
    pool: str,
    required: bool = True,
    enum: tuple[str, ...] = (),
) -> Param:
    """Shorthand used by the catalog modules."""
    return Param(name, type_, description, pool, required, enum)
