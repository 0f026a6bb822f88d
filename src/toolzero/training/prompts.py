"""Examples in, a TRL prompt dataset out: columns `prompt` (rendered text), `reference`,
`tools` (the names on offer, for the grounding reward).

Prompts are rendered to text here, with the recipe's protocol and prefill, rather than
left as chat messages for TRL to template: the prefill (e.g. `<think>`) must sit after the
assistant-turn opener, which a message list cannot express. `reference` is
`Example.reference_text()`, the column every reward preset reads.

`data.max_prompt_tokens` drops (never truncates) every prompt longer than that many
tokens, counted as trl will tokenize it for generation (the rendered text, prefill
included, special tokens added): vLLM rejects a prompt over its `max_model_len` with an
error that aborts the whole generate call, and ToolRL capped prompts at 2048 tokens.
What was dropped is logged and returned (`PromptCap`) for the run's status.

Loading goes through `toolzero.data` (prepared folders, files, `hf:` datasets, the
built-in synthetic tasks); nothing here knows file formats.
"""

from __future__ import annotations

import dataclasses
import logging
import random
from collections.abc import Sequence
from typing import Any

from toolzero.errors import ConfigError, UserError
from toolzero.protocol.chat import render_prompt
from toolzero.protocol.types import Example

logger = logging.getLogger(__name__)


SYNTHETIC_DEFAULT_COUNT = 512


def augment_examples(
    examples: Sequence[Example], augments: Sequence[dict[str, Any]] | None, seed: int
) -> list[Example]:
    """`examples` with `data.augment` applied in order (a data recipe's augment list,
    checked with the recipe); what did not apply is logged. None or []: unchanged."""
    if not augments:
        return list(examples)
    from toolzero.data.prepare import apply_augments
    from toolzero.data.recipe import parse_augments
    from toolzero.data.report import DataReport

    problems: list[str] = []
    specs = parse_augments(list(augments), "data", problems)
    if problems:
        raise ConfigError(problems, "recipe")
    report = DataReport()
    out = apply_augments(examples, specs, seed, report)
    for reason, count in report.rejected.items():
        logger.info("data.augment: %s for %d examples (kept as they were)", reason, count)
    return out


def load_recipe_examples(
    spec: str,
    limit: int | None,
    seed: int,
    max_turns: int | None = None,
    synthetic: dict[str, Any] | None = None,
) -> list[Example]:
    """Examples named by a data spec, shuffled with `seed`, cut to `limit`.

    `synthetic` / `synthetic:heldout` generate exactly `limit` (default 512) tasks with
    `seed` and the generator options `synthetic` (`data.synthetic`), and so does `env:NAME[:SPLIT]` from an environment's task generator (only tasks
    that fit in `max_turns` when it is set); other specs go through
    `toolzero.data.dataset.load_examples`.
    """
    if spec.split(":", 1)[0] == "env":
        from toolzero.environments.registry import environment_tasks

        # `env:NAME[:SPLIT]`: the environment's own seeded tasks (multi-turn training).
        parts = spec.split(":")
        split = parts[2] if len(parts) > 2 else "train"
        return environment_tasks(
            parts[1], limit or SYNTHETIC_DEFAULT_COUNT, seed, split, max_turns=max_turns
        )
    if spec.split(":", 1)[0] == "synthetic":
        from toolzero.data.synthetic import generate_examples

        # `synthetic[:SPLIT[:N[:SEED]]]` as `load_examples` reads it; here `limit` and the
        # run's seed decide N and SEED.
        split = spec.split(":")[1] if ":" in spec else "train"
        return generate_examples(
            limit or SYNTHETIC_DEFAULT_COUNT, seed=seed, split=split, **(synthetic or {})
        )
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
                # names and parameter names: `grounding` (its `keys` option) reads them
                "tools": [
                    {"name": t.name, "parameters": sorted(t.properties()), "required": t.required()}
                    for t in ex.tools
                ],
                "example_id": ex.id,
            }
        )
    return rows


@dataclasses.dataclass(frozen=True)
class PromptCap:
    """What `data.max_prompt_tokens` did to one split's prompts (lengths in tokens)."""

    split: str
    max_tokens: int | None
    kept: int
    dropped: int
    longest: int  # before the cap
    longest_dropped: int | None

    def as_status(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "split"}


def prompt_token_counts(prompts: Sequence[str], tokenizer: Any) -> list[int]:
    """Each prompt's length as trl 1.16 tokenizes a text prompt for generation
    (`processing_class(text=prompts)`, special tokens added): the ids vLLM receives."""
    if not prompts:
        return []
    return [len(ids) for ids in tokenizer(text=list(prompts))["input_ids"]]


def drop_long_prompts(
    rows: Sequence[dict[str, Any]], counts: Sequence[int], max_tokens: int | None, split: str
) -> tuple[list[dict[str, Any]], PromptCap]:
    """The rows whose prompt has at most `max_tokens` tokens (None: all), and the tally.

    Raises `UserError` when every prompt is over the cap: there is nothing to train on.

    >>> rows, cap = drop_long_prompts([{"p": 1}, {"p": 2}, {"p": 3}], [4, 5, 6], 5, "train")
    >>> rows, cap.kept, cap.dropped, cap.longest, cap.longest_dropped
    ([{'p': 1}, {'p': 2}], 2, 1, 6, 6)
    """
    kept = [r for r, n in zip(rows, counts, strict=True) if max_tokens is None or n <= max_tokens]
    over = [n for n in counts if max_tokens is not None and n > max_tokens]
    longest, longest_dropped = max(counts, default=0), max(over, default=None)
    cap = PromptCap(split, max_tokens, len(kept), len(over), longest, longest_dropped)
    if rows and not kept:
        raise UserError(
            f"data.max_prompt_tokens: all {len(rows)} {split} prompts are longer than "
            f"{max_tokens} tokens (shortest {min(counts)}); raise data.max_prompt_tokens "
            "(and the vLLM max_model_len with it) or use shorter prompts"
        )
    return kept, cap


def build_prompt_dataset(
    examples: Sequence[Example],
    tokenizer: Any,
    protocol: str,
    prefill: str,
    max_tokens: int | None = None,
    split: str = "train",
) -> tuple[Any, PromptCap]:
    """A `datasets.Dataset` of `prompt_rows` of at most `max_tokens` tokens, and the tally."""
    from datasets import Dataset

    rows = prompt_rows(examples, tokenizer, protocol, prefill)
    counts = prompt_token_counts([r["prompt"] for r in rows], tokenizer)
    rows, cap = drop_long_prompts(rows, counts, max_tokens, split)
    logger.info(
        "%d %s prompts (%s protocol); prompt tokens: mean %.0f, max %d",
        len(counts),
        split,
        protocol,
        sum(counts) / max(len(counts), 1),
        cap.longest,
    )
    if cap.dropped:
        logger.warning(
            "data.max_prompt_tokens=%d: dropped %d of %d %s prompts (longest %d tokens); "
            "%d kept",
            max_tokens,
            cap.dropped,
            len(counts),
            split,
            cap.longest_dropped,
            cap.kept,
        )
    return Dataset.from_list(rows), cap
