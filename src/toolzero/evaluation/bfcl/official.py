"""BFCL's official data and checkers, imported from the PyPI package `bfcl-eval`, and nothing else.

Every verdict toolzero reports for BFCL comes from the functions this module wraps:
`ast_checker` (single-turn AST categories), the relevance rule of BFCL's runner
(irrelevance: no call; relevance: some call), and `multi_turn_checker` (multi-turn: the
model's calls and the ground truth executed against BFCL's simulated APIs, states and
responses compared). The checker is not reimplemented; only the glue the official runner
does around it (decoding, the "no call" case) is mirrored here, line for line in spirit.

Two things make the package importable without its heavy pins:
- its AST checker imports `bfcl_eval.constants.model_config`, which imports every model
  provider's SDK, only to read `underscore_to_dot` for the model name. A stand-in module
  with one entry for toolzero (`underscore_to_dot=False`: our models see the original
  dotted names) is registered in `sys.modules` first;
- its config module creates `result/`, `score/` and `.file_locks/` under
  `BFCL_PROJECT_ROOT`; that is pointed at toolzero's cache instead of site-packages.

Left out: the agentic categories (web search, memory) and format sensitivity, which are
BFCL v4 additions no paper we reproduce reports.
"""

from __future__ import annotations

import copy
import functools
import itertools
import os
import sys
import threading
import types
from dataclasses import dataclass
from typing import Any

from toolzero.protocol.types import ToolCall
from toolzero.user_files import BadInputError

CHECKER_MODEL_NAME = "toolzero"  # no "_": BFCL maps "_" in model names to "/"
BFCL_VERSION_PIN = "2026.3.23"

NON_LIVE = (
    "simple_python",
    "simple_java",
    "simple_javascript",
    "multiple",
    "parallel",
    "parallel_multiple",
    "irrelevance",
)
LIVE = (
    "live_simple",
    "live_multiple",
    "live_parallel",
    "live_parallel_multiple",
    "live_irrelevance",
    "live_relevance",
)
MULTI_TURN = (
    "multi_turn_base",
    "multi_turn_miss_func",
    "multi_turn_miss_param",
    "multi_turn_long_context",
)
ALL_CATEGORIES = NON_LIVE + LIVE + MULTI_TURN
# BFCL v3 named the three simple categories differently; v4 files use the long names.
V3_ALIASES = {"simple": "simple_python", "java": "simple_java", "javascript": "simple_javascript"}
GROUPS = {
    "all": ALL_CATEGORIES,
    "non_live": NON_LIVE,
    "live": LIVE,
    "multi_turn": MULTI_TURN,
    "single_turn": NON_LIVE + LIVE,
    "ast": tuple(c for c in NON_LIVE + LIVE if "relevance" not in c),
}

# Checker exceptions on model data (e.g. a Java value its converter cannot parse). BFCL's
# own runner would crash on these; we record them as a wrong answer with the reason.
CHECKER_ERRORS = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    NotImplementedError,
    RecursionError,
)

_import_lock = threading.Lock()


def import_bfcl() -> types.SimpleNamespace:
    """Import the official checker functions (once), with the stand-in model config."""
    with _import_lock:
        return _import_bfcl()


@functools.cache
def _import_bfcl() -> types.SimpleNamespace:
    from toolzero.models import cache_dir

    os.environ.setdefault("BFCL_PROJECT_ROOT", str(cache_dir() / "bfcl"))
    name = "bfcl_eval.constants.model_config"
    try:
        import bfcl_eval  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "BFCL needs the PyPI package bfcl-eval: "
            f"pip install --no-deps bfcl-eval=={BFCL_VERSION_PIN} (plus mpmath, filelock)"
        ) from exc
    if name not in sys.modules:
        stand_in = types.ModuleType(name)
        stand_in.__doc__ = "toolzero stand-in: only the entry the AST checker reads."
        stand_in.MODEL_CONFIG_MAPPING = {}
        sys.modules[name] = stand_in
    sys.modules[name].MODEL_CONFIG_MAPPING[CHECKER_MODEL_NAME] = types.SimpleNamespace(
        underscore_to_dot=False
    )
    from bfcl_eval import utils
    from bfcl_eval.constants import default_prompts, enums, executable_backend_config
    from bfcl_eval.eval_checker.ast_eval import ast_checker
    from bfcl_eval.eval_checker.multi_turn_eval import multi_turn_checker, multi_turn_utils

    return types.SimpleNamespace(
        utils=utils,
        ast_checker=ast_checker.ast_checker,
        multi_turn_checker=multi_turn_checker.multi_turn_checker,
        multi_turn_utils=multi_turn_utils,
        execute=multi_turn_utils.execute_multi_turn_func_call,
        api_class_modules=executable_backend_config.CLASS_FILE_PATH_MAPPING,
        Language=enums.Language,
        max_steps=default_prompts.MAXIMUM_STEP_LIMIT,
        holdout_prompt=default_prompts.DEFAULT_USER_PROMPT_FOR_ADDITIONAL_FUNCTION_FC,
    )


def resolve_categories(names: list[str] | tuple[str, ...]) -> list[str]:
    """Expand groups and v3 aliases into BFCL category names, in canonical order.

    >>> resolve_categories(["simple", "live"])[:3]
    ['simple_python', 'live_simple', 'live_multiple']
    >>> resolve_categories(["nope"])
    Traceback (most recent call last):
    toolzero.user_files.BadInputError: unknown BFCL category 'nope'; choose from groups ['all', 'non_live', 'live', 'multi_turn', 'single_turn', 'ast'] or categories simple_python, simple_java, simple_javascript, multiple, parallel, parallel_multiple, irrelevance, live_simple, live_multiple, live_parallel, live_parallel_multiple, live_irrelevance, live_relevance, multi_turn_base, multi_turn_miss_func, multi_turn_miss_param, multi_turn_long_context
    """
    wanted: set[str] = set()
    for name in names:
        name = V3_ALIASES.get(name, name)
        if name in GROUPS:
            wanted.update(GROUPS[name])
        elif name in ALL_CATEGORIES:
            wanted.add(name)
        else:
            raise BadInputError(
                f"unknown BFCL category {name!r}; choose from groups {list(GROUPS)} "
                f"or categories {', '.join(ALL_CATEGORIES)}"
            )
    return [c for c in ALL_CATEGORIES if c in wanted]


def category_of(item_id: str) -> str:
    """`live_simple_3-2-1` -> `live_simple` (BFCL's own rule)."""
    return item_id.rsplit("_", 1)[0]


def is_multi_turn(category: str) -> bool:
    return category in MULTI_TURN


def is_relevance(category: str) -> bool:
    return "relevance" in category


@functools.cache
def _entries(category: str, with_hints: bool) -> tuple[dict[str, Any], ...]:
    bfcl = import_bfcl()
    return tuple(
        bfcl.utils.load_dataset_entry(
            category, include_prereq=False, include_language_specific_hint=with_hints
        )
    )


def load_entries(category: str, with_hints: bool = True) -> list[dict[str, Any]]:
    """The category's test entries (deep copies). `with_hints=True` is what the model sees
    (BFCL adds a language hint and turns Java/JS types into strings); the checker reads the
    entries without hints, as BFCL's runner does."""
    return copy.deepcopy(list(_entries(category, with_hints)))


@functools.cache
def _answers(category: str) -> dict[str, Any]:
    if is_relevance(category):
        return {}
    bfcl = import_bfcl()
    entries = _entries(category, False)
    answers = bfcl.utils.load_ground_truth_entry(category)
    # BFCL aligns prompts and answers by position (some answer ids differ in format).
    return {e["id"]: a["ground_truth"] for e, a in zip(entries, answers, strict=True)}


def ground_truth(item_id: str) -> Any:
    return copy.deepcopy(_answers(category_of(item_id)).get(item_id))


@functools.cache
def _index(category: str, with_hints: bool) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in _entries(category, with_hints)}


def entry_by_id(item_id: str, with_hints: bool = False) -> dict[str, Any] | None:
    category = category_of(item_id)
    if category not in ALL_CATEGORIES:
        return None
    entry = _index(category, with_hints).get(item_id)
    return copy.deepcopy(entry) if entry is not None else None


@dataclass(frozen=True)
class Verdict:
    """One item's verdict: `valid`, and BFCL's error type and messages when not."""

    valid: bool
    error_type: str = ""
    errors: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"valid": self.valid, "error_type": self.error_type, "errors": list(self.errors)}


def to_ast_form(calls: list[ToolCall] | tuple[ToolCall, ...]) -> list[dict[str, Any]]:
    """Calls in the decoded form BFCL's AST checker reads: `[{name: {arg: value}}]`."""
    return [{c.name: c.arguments} for c in calls]


def language_of(category: str) -> Any:
    language = import_bfcl().Language
    if category == "simple_java":
        return language.JAVA
    if category == "simple_javascript":
        return language.JAVASCRIPT
    return language.PYTHON


def check_single_turn(
    item_id: str, calls: list[ToolCall] | None, decode_error: str = ""
) -> Verdict:
    """The official verdict on one single-turn item, given the calls decoded from the output.

    `calls=None` (with `decode_error`) means the output could not be decoded: wrong for AST
    categories, correct for irrelevance (BFCL: a failed decode is "no call").
    """
    category = category_of(item_id)
    if is_relevance(category):
        has_call = bool(calls)
        valid = not has_call if "irrelevance" in category else has_call
        if valid:
            return Verdict(True)
        if "irrelevance" in category:
            return Verdict(
                False,
                "irrelevance_error:decoder_success",
                ("Valid syntax. Successfully decode AST when it should not.",),
            )
        return Verdict(
            False,
            "relevance_error:decoder_failed",
            (f"Invalid syntax. Failed to decode AST when it should have. {decode_error}",),
        )
    if calls is None:
        return Verdict(
            False,
            "ast_decoder:decoder_failed",
            (f"Invalid syntax. Failed to decode AST. {decode_error}",),
        )
    if not calls:  # BFCL: text without a call fails to decode as a call
        return Verdict(
            False, "ast_decoder:no_function_call", ("The output holds no function call.",)
        )
    entry = entry_by_id(item_id, with_hints=False)
    answer = ground_truth(item_id)
    if entry is None or answer is None:
        raise KeyError(f"{item_id!r} is not a BFCL item of category {category!r}")
    bfcl = import_bfcl()
    try:
        result = bfcl.ast_checker(
            entry["function"],
            to_ast_form(calls),
            answer,
            language_of(category),
            category,
            CHECKER_MODEL_NAME,
        )
    except CHECKER_ERRORS as exc:
        return Verdict(False, "checker_exception", (f"{type(exc).__name__}: {exc}",))
    if result["valid"]:
        return Verdict(True)
    return Verdict(
        False, result.get("error_type", ""), tuple(_flatten_errors(result.get("error", [])))
    )


def _flatten_errors(errors: Any) -> list[str]:
    return (
        [e if isinstance(e, str) else repr(e) for e in errors]
        if isinstance(errors, list)
        else [str(errors)]
    )


_counter = itertools.count()


def fresh_instance_name() -> str:
    """A model name unique to one execution, so that BFCL's module-level API instances
    (kept in its `globals()` by name) never leak between items or re-scorings."""
    return f"toolzero{os.getpid()}x{next(_counter)}"


def release_instances(model_name: str) -> None:
    """Drop the simulated-API instances BFCL stored for `model_name` (and its eval twin)."""
    namespace = vars(import_bfcl().multi_turn_utils)
    for key in [k for k in namespace if k.startswith(model_name + "_")]:
        del namespace[key]


def check_multi_turn(item_id: str, turns: list[list[list[str]]]) -> Verdict:
    """The official multi-turn verdict. `turns[t][s]` holds the call strings the model made
    at step `s` of turn `t` (steps without calls are dropped, as BFCL's runner does).

    BFCL `eval`s these strings: they must come from `offered_tools.vet_call`."""
    entry = entry_by_id(item_id, with_hints=False)
    answer = ground_truth(item_id)
    if entry is None or answer is None:
        raise KeyError(f"{item_id!r} is not a BFCL multi-turn item")
    if len(turns) != len(answer):
        return Verdict(
            False,
            "multi_turn:force_terminated",
            (
                f"Model was force-terminated during inference phase. The length of the model result "
                f"turns ({len(turns)}) does not match the length of the ground truth turns ({len(answer)}).",
            ),
        )
    bfcl = import_bfcl()
    is_empty = bfcl.multi_turn_utils.is_empty_execute_response
    decoded = [[step for step in turn if not is_empty(step)] for turn in turns]
    name = fresh_instance_name()
    try:
        result = bfcl.multi_turn_checker(decoded, answer, entry, category_of(item_id), name)
    finally:
        release_instances(name)
    if result["valid"]:
        return Verdict(True)
    return Verdict(False, result.get("error_type", ""), (str(result.get("error_message", "")),))


def installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bfcl-eval")
    except PackageNotFoundError:
        return "not installed"
