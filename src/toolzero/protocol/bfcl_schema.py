"""BFCL's parameter types ("dict", "float", "tuple", ...) as JSON Schema types.

BFCL's function documents use Python-flavoured type names; chat templates, servers and
toolzero's own tool specs expect JSON Schema (`object`, `number`). The table follows
BFCL's own `GORILLA_TO_OPENAPI`. Both the BFCL benchmark (`evaluation.bfcl.items`) and the
environment over BFCL's simulated APIs (`environments.bfcl_api`) convert with it.
"""

from __future__ import annotations

from typing import Any

JSON_SCHEMA_TYPES = {
    "integer": "integer",
    "number": "number",
    "float": "number",
    "string": "string",
    "boolean": "boolean",
    "bool": "boolean",
    "array": "array",
    "list": "array",
    "dict": "object",
    "object": "object",
    "tuple": "array",
    "any": "string",
}


def json_schema_types(spec: Any) -> Any:
    """BFCL types -> JSON Schema types, recursively (unknown types become strings).

    >>> json_schema_types({"type": "dict", "properties": {"x": {"type": "float"}}})
    {'type': 'object', 'properties': {'x': {'type': 'number'}}}
    """
    if isinstance(spec, list):
        return [json_schema_types(s) for s in spec]
    if not isinstance(spec, dict):
        return spec
    out = {k: json_schema_types(v) for k, v in spec.items()}
    if isinstance(spec.get("type"), str):
        out["type"] = JSON_SCHEMA_TYPES.get(spec["type"], "string")
    return out
