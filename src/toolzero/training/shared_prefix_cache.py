"""The key/value caches that carry a prompt's states from its one forward to its completions.

transformers' own `DynamicCache` appends on every call and trims sliding-window layers.
Both passes of the shared-prefix forward need something simpler that also survives
gradient checkpointing, where a layer's forward runs a second time during the backward:

- `PrefixRecorder` (prompt pass) keeps the first key/value states it is given and returns
  them unchanged; a recompute gets its fresh states back and changes nothing.
- `SharedPrefixLayer` (completion pass) holds the prompt states, indexed to one row per
  completion, and returns `prompt states + this call's states`; it stores nothing, so a
  recompute reads the same prompt states.

Every layer keeps the whole prompt, also for sliding-window layers (the mask applies the
window), and reports itself as a full-attention cache of length `prompt_length`, so the
model builds its masks and position ids exactly as for the full row.

Under gradient checkpointing transformers drops any cache unless a layer declares
`_can_checkpoint_with_cache` (true here: the recompute reads the same states);
`cache_through_checkpoints` sets it for the duration of a call. Only non-reentrant
checkpointing keeps the gradient path from the completions into the prompt's states;
`checkpointing_reason` names the other case.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from transformers.cache_utils import Cache, DynamicLayer
from transformers.modeling_layers import GradientCheckpointingLayer


class PrefixRecorder(DynamicLayer):
    """Prompt pass: record the first states seen; hand every call its own states back."""

    def update(self, key_states, value_states, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
            self.keys, self.values = key_states, value_states
        return key_states, value_states


class SharedPrefixLayer(DynamicLayer):
    """Completion pass: the prompt's states (one row per completion) before this call's."""

    def __init__(self, keys: torch.Tensor, values: torch.Tensor) -> None:
        super().__init__()
        self.lazy_initialization(keys, values)
        self.keys, self.values = keys, values

    def update(self, key_states, value_states, *args, **kwargs):  # type: ignore[no-untyped-def]
        return torch.cat([self.keys, key_states], -2), torch.cat([self.values, value_states], -2)


def recording_cache(num_layers: int) -> Cache:
    return Cache(layers=[PrefixRecorder() for _ in range(num_layers)])


def shared_cache(recorded: Cache, row_group: torch.Tensor) -> Cache:
    """One row per completion: `index` keeps the graph, so gradients sum back per prompt."""
    missing = [i for i, layer in enumerate(recorded.layers) if not layer.is_initialized]
    if missing:
        raise RuntimeError(
            f"the prompt pass stored no key/value states for layers {missing}: this model's "
            "forward does not use the cache it is given; turn the shared prefix off for it"
        )
    return Cache(
        layers=[
            SharedPrefixLayer(layer.keys[row_group], layer.values[row_group])
            for layer in recorded.layers
        ]
    )


def checkpointed_layers(model: Any) -> list[GradientCheckpointingLayer]:
    return [
        m
        for m in model.modules()
        if isinstance(m, GradientCheckpointingLayer) and m.gradient_checkpointing
    ]


def checkpointing_reason(model: Any) -> str | None:
    """Why this model's gradient checkpointing would break the shared prefix, or None."""
    for layer in checkpointed_layers(model):
        func = getattr(layer, "_gradient_checkpointing_func", None)
        if not (
            isinstance(func, functools.partial) and func.keywords.get("use_reentrant") is False
        ):
            return (
                "gradient checkpointing is not non-reentrant (use_reentrant=False), so the "
                "completions' gradient could not reach the shared prompt states"
            )
    return None


@contextmanager
def cache_through_checkpoints(model: Any) -> Iterator[None]:
    """Let checkpointed layers keep the shared-prefix cache (see the module docstring)."""
    layers = checkpointed_layers(model)
    for layer in layers:
        layer._can_checkpoint_with_cache = True
    try:
        yield
    finally:
        for layer in layers:
            del layer._can_checkpoint_with_cache  # back to the class's False
