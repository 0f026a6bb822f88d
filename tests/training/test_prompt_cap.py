"""`data.max_prompt_tokens`: prompts over the cap are dropped (never truncated), counted as
trl will tokenize them for generation (prefill included), and reported."""

from __future__ import annotations

import logging
import types
from pathlib import Path
from typing import Any

import pytest

from toolzero.errors import UserError
from toolzero.training.prompts import build_prompt_dataset, prompt_rows


@pytest.fixture(scope="module")
def tok(tiny_model: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model)


@pytest.fixture(scope="module")
def examples() -> list:
    from toolzero.data.synthetic import generate_examples

    return generate_examples(12, seed=3, split="train")


def trl_prompt_lengths(prompts: list[str], tok: Any) -> list[int]:
    """What trl 1.16's trainer itself feeds the generator for these text prompts."""
    from trl import GRPOTrainer

    trainer = types.SimpleNamespace(processing_class=tok)
    ids, _, _ = GRPOTrainer._tokenize_prompts(trainer, prompts)
    return [len(x) for x in ids]


def test_cap_keeps_a_prompt_exactly_at_it_and_drops_one_over(tok, examples, caplog) -> None:
    rows = prompt_rows(examples, tok, "compact", "<think>")
    lengths = trl_prompt_lengths([r["prompt"] for r in rows], tok)
    cap = sorted(lengths)[len(lengths) // 2]  # a length some prompt has exactly
    over = [n for n in lengths if n > cap]
    assert over and cap in lengths

    with caplog.at_level(logging.INFO, logger="toolzero.training.prompts"):
        dataset, tally = build_prompt_dataset(examples, tok, "compact", "<think>", cap)

    kept = [r["prompt"] for r, n in zip(rows, lengths, strict=True) if n <= cap]
    assert dataset["prompt"] == kept  # in order, untouched: nothing truncated
    assert (tally.kept, tally.dropped) == (len(kept), len(over))
    assert (tally.longest, tally.longest_dropped) == (max(lengths), max(over))
    assert tally.as_status() == {
        "max_tokens": cap,
        "kept": len(kept),
        "dropped": len(over),
        "longest": max(lengths),
        "longest_dropped": max(over),
    }
    line = f"data.max_prompt_tokens={cap}: dropped {len(over)} of {len(rows)} train prompts"
    assert any(line in r.getMessage() and str(max(over)) in r.getMessage() for r in caplog.records)

    # One token less and the prompts exactly at the old cap go too.
    _, tighter = build_prompt_dataset(examples, tok, "compact", "<think>", cap - 1)
    assert tighter.dropped == len(over) + lengths.count(cap)


def test_the_prefill_counts_toward_the_cap(tok, examples) -> None:
    bare = trl_prompt_lengths([r["prompt"] for r in prompt_rows(examples, tok, "compact", "")], tok)
    with_prefill = trl_prompt_lengths(
        [r["prompt"] for r in prompt_rows(examples, tok, "compact", "<think>")], tok
    )
    assert all(p > b for p, b in zip(with_prefill, bare, strict=True))
    _, tally = build_prompt_dataset(examples, tok, "compact", "<think>", max(bare))
    assert tally.dropped == sum(n > max(bare) for n in with_prefill) > 0


def test_no_cap_keeps_everything(tok, examples) -> None:
    dataset, tally = build_prompt_dataset(examples, tok, "compact", "<think>")
    assert len(dataset) == len(examples) == tally.kept and tally.dropped == 0
    assert tally.longest_dropped is None


def test_a_cap_that_drops_every_prompt_is_an_error(tok, examples) -> None:
    with pytest.raises(UserError, match=r"data.max_prompt_tokens: all 12 eval prompts are longer"):
        build_prompt_dataset(examples, tok, "compact", "<think>", 5, "eval")
