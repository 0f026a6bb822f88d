"""bf16 copies of the frozen matrices for generation under bf16 autocast.

Under `torch.autocast(..., torch.bfloat16)` a `Linear` with an fp32 weight casts that
weight to bf16 on every call. autocast keeps a cast for reuse only for leaf tensors that
require grad, so the frozen base weights of a LoRA run are cast again in every forward:
in generation, once per decoded token. On Gemma-3-270M (its tied 262k x 640 LM head
holds 168M of the 268M weights) that is ~1.6 GB of memory traffic per token, which made
bf16 generation *slower* than fp32 on a CPU with native bf16 (16 x (220 + 32) tokens,
2026-12-03: fp32 17.4 s, autocast 20.2 s, of which weight copies were 23% of the time).

`frozen_weights_in_bf16` swaps each frozen fp32 `Linear` weight for a bf16 copy while
`generate` runs, and puts the original `Parameter` back after. The copy is `.to(bfloat16)`,
the rounding autocast itself applies, so every product multiplies the same bf16 values as
before: generation gives the same tokens and scores, without the casts. The weights a run
trains (LoRA adapters; every weight without LoRA) are left to autocast. The copies are
kept between calls (frozen weights do not change) and made again if a weight did change
(its version counter moved: an in-place update, a load). A tied LM head gets its own copy
and the embedding it shares a tensor with stays fp32 (an embedding lookup is no product:
autocast leaves it in fp32, and so does this).

The loss's shared-prefix forward reads the same copies (`ToolzeroGRPOTrainer.
loss_forward_weights`): autocast casts frozen weights there once per forward, the
168M-weight head included; the backward multiplies the bf16 tensors the forward saved.

Recipe switch: `grpo.bf16_generation_weights` (on by default; used only when the run
computes in bf16 on a CPU: see `ToolzeroGRPOTrainer.generation_precision`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Bf16WeightCopies:
    """bf16 copies of frozen weights, by the id of the fp32 `Parameter` they copy.

    Each entry keeps its source `Parameter` (so its id stays unique while cached) and the
    source's version counter at copy time, to notice an in-place change.
    """

    copies: dict[int, tuple[Any, int, Any]] = field(default_factory=dict)

    def copy_of(self, weight: Any) -> Any:
        """A frozen bf16 `Parameter` holding `weight` rounded to bf16 (made once)."""
        import torch

        entry = self.copies.get(id(weight))
        if entry is not None and entry[0] is weight and entry[1] == weight._version:
            return entry[2]
        # Outside inference mode: the copy outlives this call (an inference tensor
        # could not be used by code that later runs with autograd on).
        with torch.inference_mode(False), torch.no_grad():
            copy = torch.nn.Parameter(weight.detach().to(torch.bfloat16), requires_grad=False)
        self.copies[id(weight)] = (weight, weight._version, copy)
        return copy


def frozen_linears(model: Any, include_trained: bool = False) -> list[Any]:
    """The `Linear` modules whose weight is fp32 and not trained (`include_trained`: every
    fp32 `Linear`, for inference, where no weight changes)."""
    import torch

    return [
        m
        for m in model.modules()
        if isinstance(m, torch.nn.Linear)
        and isinstance(m._parameters.get("weight"), torch.nn.Parameter)
        and m.weight.dtype == torch.float32
        and (include_trained or not m.weight.requires_grad)
    ]


@contextmanager
def frozen_weights_in_bf16(
    model: Any, copies: Bf16WeightCopies, include_trained: bool = False
) -> Iterator[int]:
    """Within the block, `model`'s frozen fp32 `Linear` weights are bf16 copies; the
    original `Parameter` objects are back in place after, whatever happened inside.
    Yields how many weights were swapped. Use it only under bf16 autocast: outside it, an
    fp32 input meets a bf16 weight and the product fails. `include_trained` swaps the
    weights that require grad too: for evaluation, which updates nothing (in training
    autocast already caches their casts, and they change every step)."""
    swapped: list[tuple[Any, Any]] = []
    try:
        for module in frozen_linears(model, include_trained):
            original = module._parameters["weight"]
            module._parameters["weight"] = copies.copy_of(original)
            swapped.append((module, original))
        yield len(swapped)
    finally:
        for module, original in swapped:
            module._parameters["weight"] = original
