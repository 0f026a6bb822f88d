"""Seeded augmentations: masking, irrelevance, and Tool-Zero's four multi-turn shapes.

Every augmentation is `f(example, rng, pool, **options) -> Example | None` (None: does not
apply to this example). `augment(examples, name, fraction, seed)` applies one to a seeded
random `fraction` of the examples and returns the augmented copies (ids get `+name`);
with `replace=True` the chosen examples are replaced instead of joined. The same inputs
and seed always give the same output: each example's RNG is seeded from (seed, name, id).
Options are the augmentation's keyword parameters; `option_problems` checks them before any
example is touched, for a data recipe and for `augment` alike.
"""

from __future__ import annotations

import inspect
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace as dc_replace
from typing import Any

from toolzero.data.augment.irrelevance import remove_needed_tools
from toolzero.data.augment.masking import STYLES, mask_names
from toolzero.data.augment.multiturn import (
    clarify_parameter,
    concatenate,
    reintroduce_tool,
    verify_call,
)
from toolzero.data.report import DataReport
from toolzero.errors import ConfigError
from toolzero.protocol.types import Example
from toolzero.user_files import is_a

AUGMENTATIONS: dict[str, Callable[..., Example | None]] = {
    "mask": mask_names,
    "irrelevance": remove_needed_tools,
    "concatenate": concatenate,
    "reintroduce_tool": reintroduce_tool,
    "clarify_parameter": clarify_parameter,
    "verify_call": verify_call,
}
AUGMENTATION_NAMES = tuple(AUGMENTATIONS)
# Values an option takes beyond its default's type.
OPTION_CHOICES: dict[str, dict[str, tuple[str, ...]]] = {"mask": {"style": STYLES}}


def option_problems(name: str, options: Any) -> list[str]:
    """What is wrong with `options` for augmentation `name`, one line each (empty: nothing).

    Each option must be a keyword parameter of the augmentation (after `example, rng,
    pool`), of its default's type, and one of its choices where it has some.

    >>> option_problems("mask", {"style": "generic", "mask_params": False})
    []
    >>> option_problems("mask", {"mask_param": False})
    ["options.mask_param: 'mask' has no such option; it takes style, mask_params, mask_descriptions"]
    """
    if not isinstance(options, Mapping):
        return [f"options: expected a mapping of option to value, got {options!r}"]
    params = list(inspect.signature(AUGMENTATIONS[name]).parameters.values())[3:]
    defaults = {p.name: p.default for p in params}
    choices = OPTION_CHOICES.get(name, {})
    out = []
    for key, value in options.items():
        kind = type(defaults.get(key))
        if key not in defaults:
            takes = f"it takes {', '.join(defaults)}" if defaults else "it takes none"
            out.append(f"options.{key}: {name!r} has no such option; {takes}")
        elif not is_a(value, (int, float) if kind is float else kind):  # an int is a float
            out.append(f"options.{key}: expected a {kind.__name__}, got {value!r}")
        elif key in choices and value not in choices[key]:
            out.append(f"options.{key}: choose one of {', '.join(choices[key])}, got {value!r}")
    return out


def augment(
    examples: Sequence[Example],
    name: str,
    fraction: float = 1.0,
    seed: int = 0,
    replace: bool = False,
    report: DataReport | None = None,
    **options: Any,
) -> list[Example]:
    """Apply augmentation `name` to a seeded `fraction` of `examples`.

    Returns the augmented copies alone, or (with `replace=True`) all examples with the
    chosen ones replaced by their augmented copies. Examples it does not apply to are
    counted in `report` as `"<name>: not applicable"` and left unchanged.
    """
    if name not in AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {name!r}; choose one of {list(AUGMENTATIONS)}")
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"augmentation fraction must be in [0, 1], got {fraction}")
    problems = option_problems(name, options)
    if problems:
        raise ConfigError(problems, f"augmentation {name!r}")
    function = AUGMENTATIONS[name]
    chooser = random.Random(f"toolzero-augment:{seed}:{name}")
    chosen = {i for i in range(len(examples)) if chooser.random() < fraction}
    out: list[Example] = []
    for i, example in enumerate(examples):
        if i not in chosen:
            if replace:
                out.append(example)
            continue
        rng = random.Random(f"toolzero-augment:{seed}:{name}:{example.id}")
        new = function(example, rng, examples, **options)
        if new is None:
            if report is not None:
                report.reject(example.source or "data", example.id, f"{name}: not applicable")
            if replace:
                out.append(example)
            continue
        out.append(
            dc_replace(
                new, id=f"{example.id}+{name}", metadata={**new.metadata, "augmentation": name}
            )
        )
    return out


__all__ = ["AUGMENTATIONS", "AUGMENTATION_NAMES", "OPTION_CHOICES", "augment", "option_problems"]
