"""Build a dataset folder from a recipe: load, validate, sample, augment, mix, split, save.

Order of work, per recipe (see `recipe.py` for the YAML):
1. each source: load (every unusable row reported), validate with the recipe's filters,
   drop raw rows an earlier source already used, shuffle with the seed, take `count`,
   apply the source's augmentations;
2. mix the sources; split off `eval_fraction` (or build the `eval` sources the same way);
3. apply the recipe-level augmentations to the training split only (no eval leakage);
4. a last validation pass removes duplicates the mix created;
5. write `train.jsonl`, `eval.jsonl`, `summary.json` (counts per source and shape,
   rejects by reason and source, the recipe itself).

Usage: `toolzero data prepare --recipe recipes/data/synthetic.yaml --out data/synthetic`.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from toolzero import __version__
from toolzero.data.augment import augment
from toolzero.data.dataset import is_prepared, load_prepared, save_prepared, split_format
from toolzero.data.recipe import AugmentSpec, DataRecipe, SourceSpec
from toolzero.data.report import DataReport
from toolzero.data.sources import load_source
from toolzero.data.stats import describe_examples
from toolzero.data.validation import ValidationConfig, validate_examples
from toolzero.protocol.types import Example
from toolzero.user_files import writable_dir

logger = logging.getLogger(__name__)


def prepare_dataset(recipe: DataRecipe, out: str | Path) -> dict[str, Any]:
    """Build and save the recipe's dataset into `out`; returns the summary."""
    writable_dir(out)  # a bad --out fails before the sources load
    train, eval_, report = build_mix(recipe)
    summary = {
        "recipe": recipe.to_dict(),
        "toolzero_version": __version__,
        "train": describe_examples(train),
        "eval": describe_examples(eval_),
        "report": report.summary(),
    }
    save_prepared(out, train, eval_, summary)
    report.log(f"prepare {recipe.name}")
    return summary


def build_mix(recipe: DataRecipe) -> tuple[list[Example], list[Example], DataReport]:
    """(train, eval, report) for a recipe, without writing anything."""
    report = DataReport()
    used: set[str] = set()
    mixed = [e for s in recipe.sources for e in build_source(s, recipe, report, used)]
    rng = random.Random(f"toolzero-split:{recipe.seed}")
    if recipe.eval:
        train = mixed
        eval_ = [e for s in recipe.eval for e in build_source(s, recipe, report, used)]
    else:
        rng.shuffle(mixed)
        n_eval = round(len(mixed) * recipe.eval_fraction)
        eval_, train = mixed[:n_eval], mixed[n_eval:]
    train = apply_augments(train, recipe.augment, recipe.seed, report)
    rng.shuffle(train)
    # duplicates only: filters already ran per source, and masking/augmenting keep validity
    final = ValidationConfig(check_schema=False, dedupe=True)
    train = validate_examples(train, final, report)
    eval_ = validate_examples(eval_, final, report)
    return train, eval_, report


def build_source(
    spec: SourceSpec, recipe: DataRecipe, report: DataReport, used: set[str]
) -> list[Example]:
    """One source's examples: loaded, validated, sampled and augmented."""
    examples = load_spec(spec, recipe.seed, report)
    examples = [replace(e, source=spec.name) for e in examples]
    examples = validate_examples(examples, recipe.filters, report)
    fresh = [e for e in examples if e.metadata.get("origin") not in used]
    if len(fresh) < len(examples):
        logger.info(
            "%s: %d rows already used by an earlier source", spec.name, len(examples) - len(fresh)
        )
    random.Random(f"toolzero-sample:{recipe.seed}:{spec.name}").shuffle(fresh)
    if spec.count is not None:
        if len(fresh) < spec.count:
            logger.warning(
                "%s: asked for %d examples, only %d valid", spec.name, spec.count, len(fresh)
            )
        fresh = fresh[: spec.count]
    used.update(e.metadata["origin"] for e in fresh if "origin" in e.metadata)
    report.count_kept(spec.name, len(fresh))
    return apply_augments(fresh, spec.augment, recipe.seed, report)


def load_spec(spec: SourceSpec, seed: int, report: DataReport) -> list[Example]:
    """Raw examples of a source (the synthetic generator makes a little extra for dedupe)."""
    if spec.is_synthetic:
        from toolzero.data.synthetic import generate_examples

        split = spec.data.partition(":")[2] or spec.options.get("split", "train")
        options = {k: v for k, v in spec.options.items() if k not in ("split", "seed")}
        n = math.ceil((spec.count or 1000) * 1.05) + 10
        examples = generate_examples(n, seed=spec.options.get("seed", seed), split=split, **options)
        report.count_read(spec.name, len(examples))
        return examples
    if is_prepared(spec.data):
        examples = load_prepared(spec.data)[0]
        report.count_read(spec.name, len(examples))
        return examples
    fmt, location = split_format(spec.data)
    return load_source(
        location, spec.format or fmt, source=spec.name, report=report, **spec.options
    )


def apply_augments(
    examples: Sequence[Example], augments: Sequence[AugmentSpec], seed: int, report: DataReport
) -> list[Example]:
    """Each augmentation in turn: `replace` swaps examples for their copies, else adds copies."""
    out = list(examples)
    for a in augments:
        made = augment(out, a.name, a.fraction, seed, replace=a.replace, report=report, **a.options)
        out = made if a.replace else out + made
        logger.info("augment %s: %d examples", a.name, len(out))
    return out
