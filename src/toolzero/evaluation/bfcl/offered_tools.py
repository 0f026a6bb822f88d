"""The one gate between a model's multi-turn calls and BFCL's executor: only offered tools run.

BFCL's multi-turn executor (`execute_multi_turn_func_call`) rewrites a call string's name
into `instance.method` when it is a public method of an involved API class, and then
`eval`s the string in its own module, where every builtin is in reach: `open(file=P,
mode='w')` truncates a file, `__import__(name='os')` hands out a module, `input()` and
`breakpoint()` wait on stdin, `globals()` dumps the simulated APIs. BFCL's blocklist
names a handful (kill, exit, quit, remove, unlink, popen, Popen, run). Both the steps of
a dialogue and the checker's replay of the model's calls go through that `eval`, so every
call string toolzero hands BFCL for a model's call is built by `vet_call`, and only for a
call that

- names a tool the item offers (one of its function documents, `miss_func` hold-outs
  included) that is also a public method of one of the item's involved API classes: not a
  builtin, not a dunder or `_private` name, not an attribute, not a method of a class the
  item does not involve;
- passes keyword arguments that are parameters of that method;
- passes values that are JSON data of exactly the JSON types (str, int, finite float,
  bool, None, lists, objects with string keys), so that `repr` writes each as a Python
  literal: a string that reads like code (`"__import__('os')"`) stays a string.

Anything else is refused with one line naming the call and what was offered; the
dialogue shows it to the model in BFCL's error form and never hands it to the executor.
The ground truth comes from BFCL's data and is executed as BFCL gives it.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import math
from typing import Any, NamedTuple

from toolzero.evaluation.bfcl import official
from toolzero.protocol.types import ToolCall

OfferedTools = dict[str, tuple[str, ...]]  # tool name -> the names of its parameters


class Vetted(NamedTuple):
    """`call_string` for BFCL's executor, or "" and the `refusal` to show instead."""

    call_string: str
    refusal: str = ""


def offered_tools(entry: dict[str, Any]) -> OfferedTools:
    """The tools a call of the model may name for a multi-turn `entry`: its function
    documents, `miss_func` hold-outs included, that are public methods of its involved
    API classes, each with its parameter names.

    Hold-outs count from the first turn, as in BFCL's executor, which binds every public
    method of the involved classes: BFCL's own ground truth calls one before its turn
    (`multi_turn_miss_func_49` calls `tail` at turn 1, held out until turn 3), so refusing
    them there would score differently from BFCL on the same calls.
    """
    methods: dict[str, tuple[str, ...]] = {}
    for class_name in entry["involved_classes"]:
        methods.update(_public_methods(class_name))
    functions = list(entry["function"])
    for held_out in (entry.get("missed_function") or {}).values():
        functions.extend(held_out)
    return {f["name"]: methods[f["name"]] for f in functions if f["name"] in methods}


def vet_call(call: ToolCall, offered: OfferedTools) -> Vetted:
    """The Python call string BFCL may `eval` for `call`, or a refusal saying why not.

    >>> tools = {"cd": ("folder",)}
    >>> print(vet_call(ToolCall("cd", {"folder": "__import__('os')"}), tools).call_string)
    cd(folder="__import__('os')")
    >>> vet_call(ToolCall("open", {"file": "x", "mode": "w"}), tools).refusal
    'no such tool: open (offered: cd)'
    >>> vet_call(ToolCall("cd", {"path": "x"}), tools).refusal
    "tool cd has no parameter 'path' (parameters: folder)"
    """
    if call.name not in offered:
        return Vetted("", f"no such tool: {call.name} (offered: {', '.join(offered) or 'none'})")
    parameters = offered[call.name]
    for key, value in call.arguments.items():
        if key not in parameters:
            return Vetted(
                "",
                f"tool {call.name} has no parameter {key!r} "
                f"(parameters: {', '.join(parameters) or 'none'})",
            )
        if not _is_json_data(value):
            return Vetted(
                "",
                f"argument {key!r} of {call.name} is not JSON data "
                "(string, number, true/false, null, list or object)",
            )
    args = ",".join(f"{k}={v!r}" for k, v in call.arguments.items())
    return Vetted(f"{call.name}({args})")


def _is_json_data(value: Any) -> bool:
    """Exactly the JSON types (no subclasses, whose `repr` could be anything); no NaN or
    infinity, whose `repr` is a bare name."""
    kind = type(value)
    if kind is float:
        return math.isfinite(value)
    if kind in (str, int, bool, type(None)):
        return True
    if kind is list:
        return all(_is_json_data(v) for v in value)
    if kind is dict:
        return all(type(k) is str and _is_json_data(v) for k, v in value.items())
    return False


@functools.cache
def _public_methods(class_name: str) -> dict[str, tuple[str, ...]]:
    """The methods BFCL's executor binds for `class_name` (public, plain instance methods),
    each with the parameters it takes by keyword."""
    module = importlib.import_module(official.import_bfcl().api_class_modules[class_name])
    cls = getattr(module, class_name)
    methods = {}
    for name, attribute in inspect.getmembers(cls):
        # BFCL binds what is a method on an instance: plain functions, not static methods
        if name.startswith("_") or not inspect.isfunction(inspect.getattr_static(cls, name)):
            continue
        parameters = list(inspect.signature(attribute).parameters.values())[1:]  # not self
        methods[name] = tuple(
            p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        )
    return methods
