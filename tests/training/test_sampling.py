"""`toolzero.training.sampling`: one token per row by inverse CDF, and its place in a run.

Expected frequencies come from the definition of a categorical draw: index i with
probability p_i / sum(p). Counts are checked against binomial bounds (5 standard
deviations: a correct sampler fails one of these checks about once in a million runs).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from toolzero.training import run as run_module
from toolzero.training import sampling
from toolzero.training.recipe import load_recipe
from toolzero.training.sampling import categorical_multinomial, sample_categorical

from .conftest import QUICKSTART, tiny_overrides


def draw(probs: torch.Tensor, rows: int, rounds: int, seed: int = 0) -> torch.Tensor:
    """Counts per index over `rows x rounds` draws from one probability row."""
    gen = torch.Generator().manual_seed(seed)
    batch = probs.expand(rows, -1).contiguous()
    counts = torch.zeros(probs.shape[-1], dtype=torch.long)
    for _ in range(rounds):
        picked = sample_categorical(batch, gen)
        assert picked.shape == (rows, 1) and picked.dtype == torch.int64
        counts += torch.bincount(picked[:, 0], minlength=probs.shape[-1])
    return counts


def within_binomial(count: int, n: int, p: float) -> bool:
    return abs(count - n * p) <= 5 * math.sqrt(n * p * (1 - p)) + 1


def test_draws_follow_the_distribution_across_blocks() -> None:
    """3001 entries (not a square: the last block is padded), unnormalised weights, zeros
    at the start, at block edges and at the end, mass spread over many blocks."""
    vocab = 3001
    weights = torch.rand(vocab, generator=torch.Generator().manual_seed(1)) ** 4
    heavy = [5, 54, 55, 1000, 2999]
    weights[heavy] = torch.tensor([40.0, 25.0, 10.0, 60.0, 30.0])
    zeros = [0, 1, 55 * 2 - 1, 55 * 2, 1499, 3000]  # 55 = the block size for 3001
    weights[zeros] = 0.0
    p = weights / weights.sum()
    n = 2000 * 60
    counts = draw(weights, 2000, 60)
    assert int(counts.sum()) == n
    assert int(counts[zeros].sum()) == 0
    for i in heavy:
        assert within_binomial(int(counts[i]), n, float(p[i])), (i, int(counts[i]), n * float(p[i]))
    for lo in range(0, vocab, 300):  # the tail's mass, range by range
        share = float(p[lo : lo + 300].sum())
        assert within_binomial(int(counts[lo : lo + 300].sum()), n, share), lo


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float64])
def test_a_single_positive_entry_is_always_drawn(dtype) -> None:
    """Edges where rounding could step onto a zero: first, last, right after a block."""
    vocab = 262_144  # Gemma-3's vocabulary
    for index in (0, vocab - 1, 513, 512 * 300):
        probs = torch.zeros(3, vocab, dtype=dtype)
        probs[:, index] = 1.0
        probs[1, index] = 1e-30 if dtype != torch.bfloat16 else 1e-20  # tiny, still positive
        picked = sample_categorical(probs, torch.Generator().manual_seed(index))
        assert picked[:, 0].tolist() == [index] * 3


def test_small_vocabularies_are_one_block() -> None:
    p = torch.tensor([0.5, 0.0, 0.25, 0.25])
    counts = draw(p, 4000, 10)
    assert counts[1] == 0
    for i in (0, 2, 3):
        assert within_binomial(int(counts[i]), 40_000, float(p[i]))


def test_the_patch_routes_only_single_draws_from_valid_cpu_rows(monkeypatch) -> None:
    calls = []
    real = sampling.sample_categorical
    monkeypatch.setattr(
        sampling, "sample_categorical", lambda *a: calls.append(1) or real(*a)
    )
    original = torch.multinomial
    probs = torch.tensor([[0.2, 0.8], [1.0, 0.0]])
    with categorical_multinomial():
        assert torch.multinomial is not original
        assert torch.multinomial(probs, 1)[1, 0] == 0
        assert len(calls) == 1
        assert torch.multinomial(probs, 2, replacement=True).shape == (2, 2)  # torch's own
        assert torch.multinomial(probs[0], 1).shape == (1,)  # 1-D: torch's own
        assert len(calls) == 1
        with pytest.raises(RuntimeError):  # invalid rows: torch's own error
            torch.multinomial(torch.tensor([[0.5, -0.1]]), 1)
    assert torch.multinomial is original


def recipe(tiny_model: Path, out: Path, *overrides: str):
    base = tiny_overrides(tiny_model, out, **{"grpo.max_steps": 1})
    return load_recipe(QUICKSTART, [*base, "run.save_steps=10", *overrides])


@pytest.mark.parametrize("switch", [True, False])
def test_a_cpu_run_samples_by_inverse_cdf_unless_switched_off(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, switch: bool
) -> None:
    """Every sampled token of a GRPO step's generation goes through the sampler (one
    call per decoding step), and none with `grpo.cdf_sampling=false`."""
    rows = []
    real = sampling.sample_categorical

    def counting(probs, generator=None):
        rows.append(probs.shape[0])
        return real(probs, generator)

    monkeypatch.setattr(sampling, "sample_categorical", counting)
    original = torch.multinomial
    run_module.train(recipe(tiny_model, tmp_path / "run", f"grpo.cdf_sampling={str(switch).lower()}"))
    assert bool(rows) is switch
    if switch:
        assert set(rows) == {4}  # 2 prompts x 2 completions decode together
    assert torch.multinomial is original  # restored
