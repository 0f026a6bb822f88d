"""The shared-prefix forward of one batch, and the hook that routes it through the model.

`shared_forward` does the work described in `shared_prefix`: find the rows that share a
prompt, encode each prompt once, run the completions on its recorded states, and score
only completion tokens through the LM head. It runs *inside* the model's `forward`:
`install_shared_prefix_forward` wraps the causal LM's `forward` (as trl 1.16's
`add_fused_lm_head` does) so that `model(input_ids=..., attention_mask=...,
shared_prefix=SharedPrefixRequest(...))` computes it. The call therefore passes through
every wrapper on the way (PEFT's forward hooks, DistributedDataParallel's gradient
synchronisation); without the `shared_prefix` argument the model behaves as before.
"""

from __future__ import annotations

import functools
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import torch
from transformers.utils import ModelOutput
from trl.kernels.chunked_logprob import ChunkedLogProbFunction
from trl.trainer.utils import _CHUNKED_LOGPROB_CHUNK_SIZE

from toolzero.training.head_logprobs import head_logprobs
from toolzero.training.shared_prefix_cache import (
    cache_through_checkpoints,
    recording_cache,
    shared_cache,
)


@dataclass(frozen=True)
class PrefixGroups:
    """Which rows share a prompt: `first_rows[g]` holds group g's prompt, `row_group[b]` is b's group."""

    prompt_length: int
    first_rows: torch.Tensor  # [U] long
    row_group: torch.Tensor  # [B] long


def find_prefix_groups(
    input_ids: torch.Tensor, attention_mask: torch.Tensor, prompt_length: int
) -> PrefixGroups:
    """Group rows whose first `prompt_length` ids and mask values are equal.

    >>> ids = torch.tensor([[5, 6, 1], [7, 8, 2], [5, 6, 3]])
    >>> g = find_prefix_groups(ids, torch.ones_like(ids), prompt_length=2)
    >>> g.first_rows.tolist(), g.row_group.tolist()
    ([0, 1], [0, 1, 0])
    """
    key = torch.cat([input_ids[:, :prompt_length], attention_mask[:, :prompt_length].long()], 1)
    _, inverse = torch.unique(key, dim=0, return_inverse=True)
    rows = torch.arange(key.size(0), device=key.device)
    first = torch.full((int(inverse.max()) + 1,), key.size(0), device=key.device, dtype=torch.long)
    first = first.scatter_reduce(0, inverse, rows, reduce="amin")
    # Number groups by first appearance so the order follows the batch, not the sort.
    order = torch.argsort(first)
    rank = torch.empty_like(order)
    rank[order] = torch.arange(order.numel(), device=key.device)
    return PrefixGroups(prompt_length, first[order], rank[inverse])


def head_scaling(config: Any) -> tuple[float | None, float]:
    """(final logit softcap, logit scale) exactly as trl 1.16's fused LM head reads them."""
    text = config.get_text_config()
    softcap = getattr(text, "final_logit_softcapping", None)
    scale = getattr(text, "logit_scale", None)
    if scale is None:
        scale = getattr(text, "output_multiplier", None)
    if scale is None:
        scale = getattr(text, "lm_head_multiplier", None)
    if scale is None and getattr(text, "logits_scaling", None) is not None:
        scaling = text.logits_scaling
        scale = scaling if text.model_type == "hyperclovax" else 1 / scaling
    return softcap, 1.0 if scale is None else scale


@dataclass(frozen=True)
class SharedPrefixRequest:
    """Passed as `model(..., shared_prefix=request)`: what to compute instead of logits."""

    prompt_length: int
    temperature: float = 1.0
    compute_entropy: bool = False
    cast_lm_head_to_fp32: bool = False
    # On a CPU, the LM head's log-probs come from `head_logprobs` (full-vocabulary rows,
    # few passes) instead of trl's tiled `ChunkedLogProbFunction` (its torch fallback).
    cpu_head: bool = False
    # [B, completion columns]: 0 where a completion token is not scored (the environment's
    # tokens in a multi-turn episode, masked out of the loss): the LM head skips them.
    score_mask: torch.Tensor | None = field(default=None, compare=False)


@dataclass
class SharedPrefixOutput(ModelOutput):
    """`[B, completion columns]` log-probs (and entropies); 0 at padding, as in TRL."""

    log_probs: torch.Tensor | None = None
    entropy: torch.Tensor | None = None


def completion_logps(
    causal_lm: Any,
    hidden: torch.Tensor,
    targets: torch.Tensor,
    mask: torch.Tensor,
    request: SharedPrefixRequest,
) -> SharedPrefixOutput:
    """Log-prob of each target from the state before it, LM head on `mask` positions only.

    `hidden`, `targets`, `mask` are `[B, C, H]`, `[B, C]`, `[B, C]`.
    """
    head = causal_lm.get_output_embeddings()
    softcap, scale = head_scaling(causal_lm.config)
    mask = mask.bool().to(head.weight.device)
    states = hidden.to(head.weight.device)[mask]
    autocast = nullcontext()
    if request.cast_lm_head_to_fp32:
        states = states.float()
        autocast = torch.autocast(states.device.type, enabled=False)
    outputs = ("log_probs", "entropy") if request.compute_entropy else ("log_probs",)
    with autocast:
        if request.cpu_head and states.device.type == "cpu":
            logps, entropy = head_logprobs(
                states,
                head.weight,
                head.bias,
                targets.to(head.weight.device)[mask],
                request.temperature,
                softcap,
                scale,
                request.compute_entropy,
            )
        else:
            logps, entropy, *_ = ChunkedLogProbFunction.apply(
                states,
                head.weight,
                head.bias,
                targets.to(head.weight.device)[mask],
                request.temperature,
                _CHUNKED_LOGPROB_CHUNK_SIZE,
                softcap,
                scale,
                outputs,
            )
    # masked_scatter keeps an all-padding batch connected to the graph (a zero gradient).
    logps = logps.new_zeros(mask.shape).masked_scatter(mask, logps)
    if entropy is not None:
        entropy = entropy.new_zeros(mask.shape).masked_scatter(mask, entropy)
    return SharedPrefixOutput(log_probs=logps, entropy=entropy)


def shared_forward(
    causal_lm: Any,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    request: SharedPrefixRequest,
) -> SharedPrefixOutput:
    """Completion log-probs of `prompt + completion` rows, each distinct prompt encoded once."""
    n = request.prompt_length
    backbone = causal_lm.base_model  # the decoder stack, LoRA layers included
    groups = find_prefix_groups(input_ids, attention_mask, n)
    with cache_through_checkpoints(backbone):
        cache = recording_cache(causal_lm.config.get_text_config(decoder=True).num_hidden_layers)
        prefix = backbone(
            input_ids=input_ids[groups.first_rows, :n],
            attention_mask=attention_mask[groups.first_rows, :n],
            past_key_values=cache,
            use_cache=True,
        )
        # The prompt's last state predicts the first completion token of each row of its group.
        hidden = prefix.last_hidden_state[groups.row_group, -1:]
        if input_ids.size(1) - n > 1:
            # The last completion token predicts nothing that is scored, so it is not run.
            suffix = backbone(
                input_ids=input_ids[:, n:-1],
                attention_mask=attention_mask[:, :-1],
                past_key_values=shared_cache(cache, groups.row_group),
                use_cache=True,
            )
            hidden = torch.cat([hidden, suffix.last_hidden_state], 1)
    scored = attention_mask[:, n:]
    if request.score_mask is not None:
        scored = scored * request.score_mask.to(scored.device, scored.dtype)
    return completion_logps(causal_lm, hidden, input_ids[:, n:], scored, request)


def install_shared_prefix_forward(causal_lm: Any) -> None:
    """Make `causal_lm.forward` accept `shared_prefix=SharedPrefixRequest(...)` (idempotent)."""
    if getattr(causal_lm.forward, "shared_prefix_hook", False):
        return
    original = causal_lm.forward

    @functools.wraps(original)  # keeps the signature `generate` validates its kwargs against
    def forward(*args: Any, shared_prefix: SharedPrefixRequest | None = None, **kwargs: Any):
        if shared_prefix is None:
            return original(*args, **kwargs)
        input_ids = kwargs["input_ids"] if "input_ids" in kwargs else args[0]
        return shared_forward(causal_lm, input_ids, kwargs["attention_mask"], shared_prefix)

    forward.shared_prefix_hook = True  # type: ignore[attr-defined]
    causal_lm.forward = forward
