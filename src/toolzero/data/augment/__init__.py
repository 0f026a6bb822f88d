"""Seeded augmentations: masking, irrelevance, and Tool-Zero's four multi-turn shapes.

Every augmentation is `f(example, rng, pool, **options) -> Example | None` (None: does not
apply to this example). `augment(examples, name, fraction, seed)` applies one to a seeded
random `fraction` of the examples and returns the augmented copies (ids get `+name`);
with `replace=True` the chosen examples are replaced instead of joined. The same inputs
and seed always give the same output: each example's RNG is seeded from (seed, name, id).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import replace as dc_replace
from typing import Any

from toolzero.data.augment.irrelevance import remove_needed_tools
from toolzero.data.augment.masking import mask_names
from toolzero.data.augment.multiturn import (
    clarify_parameter,
    concatenate,
    reintroduce_tool,
    verify_call,
)
from toolzero.data.report import DataReport
from toolzero.protocol.types import Example

AUGMENTATIONS: dict[str, Callable[..., Example | None]] = {
    "mask": mask_names,
    "irrelevance": remove_needed_tools,
    "concatenate": concatenate,
    "reintroduce_tool": reintroduce_tool,
    "clarify_parameter": clarify_parameter,
    "verify_call": verify_call,
}
AUGMENTATION_NAMES = tuple(AUGMENTATIONS)


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


__all__ = ["AUGMENTATIONS", "AUGMENTATION_NAMES", "augment"]
