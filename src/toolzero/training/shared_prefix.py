"""Shared-prefix GRPO: encode each prompt once per group, with the same log-probs and gradients.

GRPO scores G completions of one prompt. TRL's training forward runs every row as
`prompt + completion`, so a 1,000-token tool prompt is encoded (and back-propagated) G
times for 50-token completions. Here each *unique* prompt runs once; its key/value states
are shared by the completions of its group (Prefix Grouper, Liu et al. 2025, arXiv
2506.05433, shows this is training-equivalent; the tests prove it for this code).

Method (chosen over a grouped 4D-mask layout because it reuses the model's own attention,
masks and rotary code, so Gemma-3's sliding-window layers, SDPA/eager kernels and LoRA
need nothing special):

1. Groups are found by comparing rows: two rows share a prefix when their prompt ids *and*
   prompt mask are equal. Nothing assumes contiguous groups; TRL shuffles a generation
   batch and gradient accumulation may split a group over micro-batches.
2. The backbone runs once on the U unique prompts (left or right padded, as given),
   recording each layer's key/value states (`shared_prefix_cache`). Causal attention
   makes these states identical to the prompt part of TRL's full-row forward.
3. The recorded states are indexed to the B rows (indexing keeps the autograd graph: each
   row's gradient flows back into the one prompt computation and sums there), and the
   backbone runs on the completion tokens with the full `prompt + completion` mask.
   Position ids continue from the padded prompt length, exactly as in the full row.
4. The LM head runs only on real completion positions (the state before each completion
   token: the prompt's last state, then the completion's own), in vocabulary chunks
   through TRL's `ChunkedLogProbFunction`, which recomputes its tiles in the backward: the
   `[tokens x 262k]` logits never exist at once. Padding positions get log-prob 0 and
   entropy 0, like TRL. The last completion token predicts nothing scored: not run.

Works with full fine-tuning and LoRA (the reference model too: TRL's `ref_model`, or
adapters switched off), KL on or off, any padding, uneven completion lengths, gradient
accumulation, and non-reentrant gradient checkpointing. Left out, each with a logged
fallback to TRL's path (`SharedPrefixMixin`): models wrapped for distributed training
(DDP/FSDP/DeepSpeed: calling the backbone directly would bypass the wrapper's hooks),
reentrant checkpointing, multimodal inputs, the MoE load-balancing loss, LoRA on the LM
head, bidirectional attention, caches other than plain key/value layers (recurrent,
chunked, shared-KV), and encoder-decoder models. Speed and memory: benchmarks/shared_prefix.py
and docs/performance.md.

    class MyTrainer(SharedPrefixMixin, GRPOTrainer): ...   # on by default; .shared_prefix
    logps, entropies = shared_prefix_logps(model, input_ids, attention_mask, logits_to_keep)
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer, DynamicSlidingWindowLayer
from trl.extras.profiling import profiling_decorator
from trl.kernels.chunked_logprob import ChunkedLogProbFunction
from trl.trainer.utils import _CHUNKED_LOGPROB_CHUNK_SIZE

from toolzero.training.shared_prefix_cache import (
    cache_through_checkpoints,
    checkpointing_reason,
    recording_cache,
    shared_cache,
)

logger = logging.getLogger(__name__)

TRL_TARGET = "1.16.0"
SUPPORTED_CACHE_LAYERS = (DynamicLayer, DynamicSlidingWindowLayer)


@dataclass(frozen=True)
class PrefixGroups:
    """Which rows share a prompt: `first_rows[g]` holds group g's prompt, `row_group[b]` is b's group."""

    prompt_length: int
    first_rows: torch.Tensor  # [U] long
    row_group: torch.Tensor  # [B] long

    @property
    def num_groups(self) -> int:
        return int(self.first_rows.numel())


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


def causal_lm(model: Any) -> Any:
    """The transformers model under a PEFT wrapper (LoRA layers stay injected in it)."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def unsupported_reason(model: Any) -> str | None:
    """Why `shared_prefix_logps` cannot run this (unwrapped) model exactly, or None."""
    base = causal_lm(model)
    config = getattr(base, "config", None)
    if config is None or not hasattr(base, "get_output_embeddings"):
        return f"{type(base).__name__} is not a transformers causal LM"
    if getattr(base, "base_model", base) is base:
        return f"{type(base).__name__} exposes no decoder stack (`base_model_prefix`)"
    text = config.get_text_config(decoder=True)
    if getattr(config, "is_encoder_decoder", False):
        return "encoder-decoder models have no shared causal prefix"
    if getattr(text, "use_bidirectional_attention", False):
        return "bidirectional attention lets prompt tokens see the completion"
    if (reason := checkpointing_reason(base)) is not None:
        return reason
    head = base.get_output_embeddings()
    if head is None or not isinstance(getattr(head, "weight", None), torch.Tensor):
        return "the model has no plain LM head weight"
    if type(head) is not torch.nn.Linear:
        return f"the LM head is a {type(head).__name__} (e.g. LoRA on lm_head), not a plain Linear"
    layers = DynamicCache(config=text).layers
    odd = {type(layer).__name__ for layer in layers if type(layer) not in SUPPORTED_CACHE_LAYERS}
    if odd:
        return f"cache layers {sorted(odd)} are not plain attention key/value caches"
    return None


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


def completion_logps(
    base: Any,
    hidden: torch.Tensor,
    targets: torch.Tensor,
    mask: torch.Tensor,
    temperature: float = 1.0,
    compute_entropy: bool = False,
    cast_lm_head_to_fp32: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Log-prob of each target (and entropy) from the hidden state before it; LM head on `mask` only.

    `hidden`, `targets`, `mask` are `[B, C, H]`, `[B, C]`, `[B, C]`; padded positions get 0.
    """
    head = base.get_output_embeddings()
    softcap, scale = head_scaling(base.config)
    mask = mask.bool().to(head.weight.device)
    states = hidden.to(head.weight.device)[mask]
    autocast = nullcontext()
    if cast_lm_head_to_fp32:
        states = states.float()
        autocast = torch.autocast(states.device.type, enabled=False)
    outputs = ("log_probs", "entropy") if compute_entropy else ("log_probs",)
    with autocast:
        logps, entropy, *_ = ChunkedLogProbFunction.apply(
            states,
            head.weight,
            head.bias,
            targets.to(head.weight.device)[mask],
            temperature,
            _CHUNKED_LOGPROB_CHUNK_SIZE,
            softcap,
            scale,
            outputs,
        )
    # masked_scatter keeps an all-padding batch connected to the graph (a zero gradient).
    logps = logps.new_zeros(mask.shape).masked_scatter(mask, logps)
    if entropy is not None:
        entropy = entropy.new_zeros(mask.shape).masked_scatter(mask, entropy)
    return logps, entropy


def shared_prefix_logps(
    model: Any,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    logits_to_keep: int,
    batch_size: int | None = None,
    temperature: float = 1.0,
    compute_entropy: bool = False,
    cast_lm_head_to_fp32: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Per-token log-probs `[B, logits_to_keep]` of the completion tokens (and entropies).

    Same contract as trl 1.16's `_get_per_token_logps_and_entropies`: `input_ids` is
    `prompt + completion`, the last `logits_to_keep` columns are the completion, rows are
    processed `batch_size` at a time. Rows sharing a prompt are found, not assumed (no
    group size needed). `model` is a causal LM or a PEFT model around one, not wrapped for
    distributed training; check `unsupported_reason(model)` first.
    """
    prompt_length = input_ids.size(1) - logits_to_keep
    if prompt_length < 1 or logits_to_keep < 1:
        raise ValueError(
            f"shared prefix needs at least one prompt and one completion column; got "
            f"{input_ids.size(1)} columns with logits_to_keep={logits_to_keep}"
        )
    batch_size = batch_size or input_ids.size(0)
    logps, entropies = [], []
    for start in range(0, input_ids.size(0), batch_size):
        rows = slice(start, start + batch_size)
        lp, ent = _shared_prefix_chunk(
            model,
            input_ids[rows],
            attention_mask[rows],
            prompt_length,
            temperature,
            compute_entropy,
            cast_lm_head_to_fp32,
        )
        logps.append(lp)
        entropies.append(ent)
    return torch.cat(logps), torch.cat(entropies) if compute_entropy else None


def _shared_prefix_chunk(
    model: Any,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    prompt_length: int,
    temperature: float,
    compute_entropy: bool,
    cast_lm_head_to_fp32: bool,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    base = causal_lm(model)
    backbone = base.base_model  # the decoder stack, LoRA layers included
    groups = find_prefix_groups(input_ids, attention_mask, prompt_length)
    logger.debug("shared prefix: %d rows, %d unique prompts", input_ids.size(0), groups.num_groups)
    with cache_through_checkpoints(backbone):
        cache = recording_cache(base.config.get_text_config(decoder=True).num_hidden_layers)
        prefix = backbone(
            input_ids=input_ids[groups.first_rows, :prompt_length],
            attention_mask=attention_mask[groups.first_rows, :prompt_length],
            past_key_values=cache,
            use_cache=True,
        )
        # The prompt's last state predicts the first completion token of each row of its group.
        hidden = prefix.last_hidden_state[groups.row_group, -1:]
        if input_ids.size(1) - prompt_length > 1:
            # The last completion token predicts nothing that is scored, so it is not run.
            suffix = backbone(
                input_ids=input_ids[:, prompt_length:-1],
                attention_mask=attention_mask[:, :-1],
                past_key_values=shared_cache(cache, groups.row_group),
                use_cache=True,
            )
            hidden = torch.cat([hidden, suffix.last_hidden_state], 1)
    return completion_logps(
        base,
        hidden,
        input_ids[:, prompt_length:],
        attention_mask[:, prompt_length:],
        temperature,
        compute_entropy,
        cast_lm_head_to_fp32,
    )


class SharedPrefixMixin:
    """Put before `GRPOTrainer` (trl 1.16.0) in a trainer's bases: shared-prefix log-probs.

    Overrides one method, `_get_per_token_logps_and_entropies`, which trl 1.16.0 calls for
    the policy loss, the old-policy log-probs and the reference model (LoRA: the same
    model with adapters off). `shared_prefix = False` turns it off; settings it cannot
    run exactly fall back to TRL's method, logging the reason once.
    """

    shared_prefix: bool = True

    @profiling_decorator
    def _get_per_token_logps_and_entropies(  # type: ignore[no-untyped-def]
        self,
        model,
        input_ids,
        attention_mask,
        logits_to_keep,
        batch_size=None,
        compute_entropy=False,
        compute_aux_loss=False,
        **multimodal,
    ):
        reason = self.shared_prefix_refusal(
            model, input_ids, logits_to_keep, compute_aux_loss, multimodal
        )
        if reason is not None:
            return super()._get_per_token_logps_and_entropies(  # type: ignore[misc]
                model,
                input_ids,
                attention_mask,
                logits_to_keep,
                batch_size=batch_size,
                compute_entropy=compute_entropy,
                compute_aux_loss=compute_aux_loss,
                **multimodal,
            )
        with self.accelerator.autocast():  # type: ignore[attr-defined]
            logps, entropies = shared_prefix_logps(
                model,
                input_ids,
                attention_mask,
                logits_to_keep,
                batch_size=batch_size,
                temperature=self.temperature,  # type: ignore[attr-defined]
                compute_entropy=compute_entropy,
                cast_lm_head_to_fp32=self.args.cast_lm_head_to_fp32,  # type: ignore[attr-defined]
            )
        return logps, entropies, None

    def shared_prefix_refusal(
        self,
        model: Any,
        input_ids: torch.Tensor,
        logits_to_keep: int,
        compute_aux_loss: bool,
        multimodal: dict[str, Any],
    ) -> str | None:
        """Why this call takes TRL's path (logged once per reason), or None."""
        if not self.shared_prefix:
            return "off"
        reason = None
        if compute_aux_loss:
            reason = "the MoE load-balancing loss needs router logits from a full-row forward"
        elif any(v is not None for v in multimodal.values()):
            reason = "multimodal inputs (images, token types) are not supported"
        elif self.accelerator.unwrap_model(model) is not model:  # type: ignore[attr-defined]
            reason = f"the model is wrapped by {type(model).__name__} (distributed training)"
        elif logits_to_keep >= input_ids.size(1):
            reason = "the batch has no prompt columns"
        else:
            reason = unsupported_reason(model)
        if reason is not None:
            seen = self.__dict__.setdefault("_shared_prefix_logged", set())
            if reason not in seen:
                seen.add(reason)
                logger.warning("shared-prefix GRPO off, using TRL's log-prob path: %s", reason)
        return reason
