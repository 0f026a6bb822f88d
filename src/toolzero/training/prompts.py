"""Examples in, a TRL prompt dataset out: columns `prompt` (rendered text), `reference`,
`tools` (the names on offer, for the grounding reward).

Prompts are rendered to text here, with the recipe's protocol and prefill, rather than
left as chat messages for TRL to template: the prefill (e.g. `<think>`) must sit after the
assistant-turn opener, which a message list cannot express. `reference` is
`Example.reference_text()`, the column every reward preset reads.

Loading goes through `toolzero.data` (prepared folders, files, `hf:` datasets, the
built-in synthetic tasks); nothing here knows file formats.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from typing import Any

from toolzero.protocol.chat import render_prompt
from toolzero.protocol.types import Example

logger = logging.getLogger(__name__)


SYNTHETIC_DEFAULT_COUNT = 512


def load_recipe_examples(spec: str, limit: int | None, seed: int) -> list[Example]:
    """Examples named by a data spec, shuffled with `seed`, cut to `limit`.

    `synthetic` / `synthetic:heldout` generate exactly `limit` (default 512) tasks with
    `seed`; other specs go through `toolzero.data.dataset.load_examples`.
    """
    if spec.split(":", 1)[0] == "synthetic":
        from toolzero.data.synthetic import generate_examples

        # `synthetic[:SPLIT[:N[:SEED]]]` as `load_examples` reads it; here `limit` and the
        # run's seed decide N and SEED.
        split = spec.split(":")[1] if ":" in spec else "train"
        return generate_examples(limit or SYNTHETIC_DEFAULT_COUNT, seed=seed, split=split)
    from toolzero.data.dataset import load_examples

    examples = list(load_examples(spec))
    if not examples:
        raise ValueError(f"data spec {spec!r} gave no examples; check the folder or file")
    random.Random(seed).shuffle(examples)
    return examples[:limit] if limit else examples


def strip_duplicate_bos(text: str, tokenizer: Any) -> str:
    """Drop the template's leading BOS when the tokenizer adds its own (no double BOS)."""
    bos = getattr(tokenizer, "bos_token", None)
    if not bos or not text.startswith(bos):
        return text
    ids = tokenizer("x")["input_ids"]
    return text[len(bos) :] if ids and ids[0] == tokenizer.bos_token_id else text


def prompt_rows(
    examples: Sequence[Example], tokenizer: Any, protocol: str, prefill: str
) -> list[dict[str, str]]:
    """One row per example: the prompt text TRL tokenises, and the reference text."""
    rows = []
    for ex in examples:
        text = render_prompt(tokenizer, ex, protocol=protocol, prefill=prefill)
        rows.append(
            {
                "prompt": strip_duplicate_bos(text, tokenizer),
                "reference": ex.reference_text(),
                "tools": [t.name for t in ex.tools],
                "example_id": ex.id,
            }
        )
    return rows


def build_prompt_dataset(
    examples: Sequence[Example], tokenizer: Any, protocol: str, prefill: str
) -> Any:
    """A `datasets.Dataset` of `prompt_rows`."""
    from datasets import Dataset

    rows = prompt_rows(examples, tokenizer, protocol, prefill)
    lengths = [len(tokenizer(r["prompt"])["input_ids"]) for r in rows[:64]]
    logger.info(
        "%d prompts (%s protocol); prompt tokens in the first %d: mean %.0f, max %d",
        len(rows),
        protocol,
        len(lengths),
        sum(lengths) / max(len(lengths), 1),
        max(lengths, default=0),
    )
    return Dataset.from_list(rows)
