"""BFCL's simulated API classes: import them, load scenarios, list their callable methods.

`bfcl-eval` ships the classes behind BFCL's multi-turn categories (a file system, a
trading bot, a vehicle, messaging, ...) as plain Python objects: `_load_scenario(config)`
sets their state from a dict, and each public method is one tool with a JSON function
document in `bfcl_eval/data/multi_turn_func_doc/`. This module is the only one of the
environment that imports `bfcl_eval`, and it does so when first asked (a `UserError` with
the install line when the package is absent), so reading the registry stays cheap.

The tools are exactly the documented methods that are public, plain instance methods of
their class (never a `_private` one, a static method or an attribute), each called
directly: `getattr(instance, name)(**arguments)`. Nothing is `eval`ed.
"""

from __future__ import annotations

import copy
import functools
import importlib
import inspect
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolzero.errors import UserError
from toolzero.protocol.bfcl_schema import json_schema_types
from toolzero.protocol.types import ToolSpec

BFCL_INSTALL = "pip install --no-deps bfcl-eval==2026.3.23 (plus mpmath)"

# The classes of BFCL's multi-turn categories; the memory and web-search classes are left
# out (they need faiss, sentence-transformers or the network).
MULTI_TURN_CLASSES = (
    "GorillaFileSystem",
    "MathAPI",
    "MessageAPI",
    "TicketAPI",
    "TradingBot",
    "TravelAPI",
    "TwitterAPI",
    "VehicleControlAPI",
)


@dataclass
class ApiWorld:
    """One episode's API instances, by class name, each loaded with its scenario."""

    instances: dict[str, Any]


@functools.cache
def _backend() -> tuple[dict[str, str], dict[str, str], Path]:
    """(class -> module, class -> function-doc file, the doc folder), importing bfcl_eval."""
    try:
        import bfcl_eval
        from bfcl_eval.constants import executable_backend_config as config
    except ImportError as exc:
        raise UserError(
            f"the bfcl_api environment needs the package bfcl-eval: {BFCL_INSTALL}"
        ) from exc
    docs = Path(bfcl_eval.__file__).parent / "data" / "multi_turn_func_doc"
    return config.CLASS_FILE_PATH_MAPPING, config.MULTI_TURN_FUNC_DOC_FILE_MAPPING, docs


def check_classes(classes: list[str] | tuple[str, ...]) -> None:
    """`UserError` naming any class that is not one of `MULTI_TURN_CLASSES`."""
    unknown = [c for c in classes if c not in MULTI_TURN_CLASSES]
    if unknown:
        raise UserError(
            f"bfcl_api classes: unknown {unknown}; choose from {', '.join(MULTI_TURN_CLASSES)}"
        )


@functools.cache
def api_class(class_name: str) -> type:
    """The class itself, imported from bfcl_eval."""
    check_classes([class_name])
    modules, _, _ = _backend()
    return getattr(importlib.import_module(modules[class_name]), class_name)


@functools.cache
def public_methods(class_name: str) -> frozenset[str]:
    """The names that may be called: public plain functions defined on the class."""
    cls = api_class(class_name)
    return frozenset(
        name
        for name, _ in inspect.getmembers(cls)
        if not name.startswith("_") and inspect.isfunction(inspect.getattr_static(cls, name))
    )


@functools.cache
def function_docs(class_name: str) -> tuple[dict[str, Any], ...]:
    """BFCL's function documents of the class (one JSON object a line in its doc file)."""
    _, doc_files, folder = _backend()
    lines = (folder / doc_files[class_name]).read_text(encoding="utf-8").splitlines()
    return tuple(json.loads(line) for line in lines if line.strip())


def tool_specs(class_name: str) -> tuple[ToolSpec, ...]:
    """The class's callable methods as tool specs: BFCL's documents, JSON Schema types.

    A documented name that is not a public method of the class is left out, so no spec
    can point at anything else.
    """
    callable_names = public_methods(class_name)
    return tuple(
        ToolSpec(
            name=doc["name"],
            description=doc.get("description", ""),
            parameters=json_schema_types(copy.deepcopy(doc.get("parameters") or {})),
        )
        for doc in function_docs(class_name)
        if doc["name"] in callable_names
    )


def build_api_world(world: dict[str, Any]) -> ApiWorld:
    """Fresh instances for `world` (`{"classes": [...], "scenario": {class: config}}`).

    The scenario is deep-copied first: the classes keep the dicts they are given as
    their live state, and the task's metadata must never change. A stateless class
    (`MathAPI`) has no `_load_scenario` and is used as constructed, as in BFCL.
    """
    instances = {}
    for class_name in world["classes"]:
        instance = api_class(class_name)()
        if hasattr(instance, "_load_scenario"):
            scenario = world.get("scenario", {}).get(class_name, {})
            instance._load_scenario(copy.deepcopy(scenario))
        instances[class_name] = instance
    return ApiWorld(instances)


def public_state(instance: Any) -> dict[str, Any]:
    """What BFCL's multi-turn state checker compares: the instance's non-private attributes."""
    return {k: v for k, v in vars(instance).items() if not k.startswith("_")}


def state_differences(actual: Any, reference: Any) -> list[str]:
    """The public attributes whose values differ, as BFCL's `_compare_instances` finds them."""
    mine, theirs = public_state(actual), public_state(reference)
    return sorted(k for k in theirs if mine.get(k) != theirs[k])
