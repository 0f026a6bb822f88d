"""One sampled token per row, from a large vocabulary, without `torch.multinomial`'s cost.

transformers' sampling loop draws each token with `torch.multinomial(probs, 1)`. For one
sample per row torch computes `argmax(probs / q)` with `q` an exponential variate for
*every* vocabulary entry: on a CPU that is 4.2M exponentials per decoding step for 16
rows over Gemma-3's 262k tokens, 98 ms a token on 2 cores (2026-12-03), ~6 s of a
quickstart step's 64 tokens.

`sample_categorical` draws from the same categorical distribution by inverting its CDF,
in two levels so that no float64 copy of a whole row is needed: block sums choose a block
of the vocabulary (~512 blocks of ~512 tokens), then the float64 cumulative sum inside
that one block chooses the token. It needs one float64 uniform per row; a token of
probability zero is never drawn. The only rounding is that of the block sums (float32:
~1e-7 of a block's mass, the precision the probabilities are computed in). ~1 ms for the
same 16 x 262k, validity checks included. The draws differ from
`torch.multinomial`'s for the same generator state (another algorithm); the
distribution is the same.

`categorical_multinomial()` puts it behind `torch.multinomial` while transformers
generates: calls of the form `torch.multinomial(probs, 1)` on a 2-D CPU tensor use it,
every other call goes to torch's own. Recipe switch: `grpo.cdf_sampling` (on by default,
CPU runs on the transformers path only).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_BLOCK_MIN = 1024  # below this many entries a row is one block


def sample_categorical(probs: Any, generator: Any = None) -> Any:
    """One index per row of `probs` (B, V), drawn with probability proportional to the
    row's entries (non-negative, finite, positive sum; need not sum to 1). Returns (B, 1)
    int64, as `torch.multinomial(probs, 1)` does."""
    import torch

    rows, vocab = probs.shape
    block = vocab if vocab <= _BLOCK_MIN else math.isqrt(vocab - 1) + 1
    blocks = -(-vocab // block)
    padded = probs
    if blocks * block != vocab:
        padded = torch.nn.functional.pad(probs, (0, blocks * block - vocab))
    padded = padded.reshape(rows, blocks, block)
    # Block sums accumulate in the input's precision (to its relative rounding, ~1e-7 in
    # float32, as the probabilities themselves); their running total is float64.
    ends = padded.sum(-1).to(torch.float64).cumsum(-1)  # (B, blocks)
    u = torch.rand(rows, 1, dtype=torch.float64, generator=generator, device=probs.device)
    target = below(u * ends[:, -1:], ends[:, -1:])
    chosen = torch.searchsorted(ends, target, right=True)  # the block holding the target
    start = torch.where(chosen > 0, ends.gather(1, (chosen - 1).clamp(min=0)), 0.0)
    inside = padded.gather(1, chosen[:, :, None].expand(rows, 1, block))[:, 0]
    inner = inside.to(torch.float64).cumsum(-1)  # (B, block)
    # The block's own cumulative sum may end a rounding below its sum from `ends`: stay
    # under its last value, so the draw lands on a token of positive probability.
    offset = below(target - start, inner[:, -1:])
    token = torch.searchsorted(inner, offset, right=True)
    return chosen * block + token


def below(value: Any, limit: Any) -> Any:
    """`value`, capped at the largest float64 under `limit` (`searchsorted(right=True)`
    then returns the index of the last positive step)."""
    import torch

    return torch.minimum(value, torch.nextafter(limit, torch.zeros_like(limit)))


def valid_rows(probs: Any) -> bool:
    """Every row non-negative (a NaN fails too) with a finite, positive sum."""
    import torch

    sums = probs.sum(-1)
    return bool(probs.amin() >= 0) and bool(torch.isfinite(sums).all()) and bool((sums > 0).all())


@contextmanager
def categorical_multinomial() -> Iterator[None]:
    """Within the block, `torch.multinomial(probs, 1)` on a 2-D CPU tensor of valid
    probabilities draws with `sample_categorical`; anything else (other shapes or sample
    counts, replacement, GPU tensors, invalid rows, which torch's own rejects) goes to
    torch's function. Restored on exit."""
    import torch

    original = torch.multinomial

    def multinomial(  # torch's signature
        input: Any,
        num_samples: int,
        replacement: bool = False,
        *,
        generator: Any = None,
        out: Any = None,
    ) -> Any:
        if (
            num_samples == 1
            and out is None
            and input.dim() == 2
            and input.device.type == "cpu"
            and input.dtype in (torch.float32, torch.float64, torch.bfloat16)
            and input.shape[-1] > 0
            and valid_rows(input)
        ):
            return sample_categorical(input, generator)
        kwargs = {"generator": generator} if out is None else {"generator": generator, "out": out}
        return original(input, num_samples, replacement, **kwargs)

    torch.multinomial = multinomial
    try:
        yield
    finally:
        torch.multinomial = original
