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
accumulation, non-reentrant gradient checkpointing and DistributedDataParallel: the
computation runs inside the model's `forward` (`shared_prefix_forward`), so PEFT's hooks
and DDP's gradient synchronisation apply as to any forward. Left out, each with a logged
fallback to TRL's path (`SharedPrefixMixin`): FSDP and DeepSpeed (their sharded LM-head
weight is not gathered here), reentrant checkpointing, multimodal inputs, the MoE
load-balancing loss, LoRA on the LM head, bidirectional attention, caches other than plain
key/value layers (recurrent, chunked, shared-KV) and encoder-decoder models. Speed and
memory: benchmarks/shared_prefix.py and docs/performance.md.

    class MyTrainer(SharedPrefixMixin, GRPOTrainer): ...   # on by default; .shared_prefix
    logps, entropies = shared_prefix_logps(model, input_ids, attention_mask, logits_to_keep)
"""

from __future__ import annotations

import logging
import sys
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from typing import Any

import torch
from torch.nn.parallel import DistributedDataParallel
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer, DynamicSlidingWindowLayer
from trl.extras.profiling import profiling_decorator

from toolzero.training.shared_prefix_cache import checkpointing_reason
from toolzero.training.shared_prefix_forward import (
    PrefixGroups,
    SharedPrefixRequest,
    find_prefix_groups,
    install_shared_prefix_forward,
)

logger = logging.getLogger(__name__)

TRL_TARGET = "1.16.0"
SUPPORTED_CACHE_LAYERS = (DynamicLayer, DynamicSlidingWindowLayer)
__all__ = [
    "PrefixGroups",
    "SharedPrefixMixin",
    "find_prefix_groups",
    "prefix_cache_reason",
    "shared_prefix_logps",
    "unsupported_reason",
]


def sharded_wrapper(wrapped: Any, unwrapped: Any) -> str | None:
    """What shards the model (the shared-prefix paths then step aside), or None for a plain
    or DDP model: a wrapper object around it (FSDP1's `FullyShardedDataParallel`,
    DeepSpeed's engine), or FSDP2's `fully_shard`, which wraps nothing but turns the
    model's own modules into FSDP modules in place, so `unwrap_model` returns the model
    itself. Under FSDP2 a submodule (the embedding, the head) called on its own before the
    root's forward fails ("FSDP requires a single root module"): seen on an H200 with
    `accelerate launch` and `fsdp_version: 2`."""
    if isinstance(wrapped, DistributedDataParallel):
        return None
    # Only a process that imported torch.distributed.fsdp can hold an FSDP2 model; reading
    # the class from sys.modules needs no import (a bare `import torch` does not load it).
    fsdp = sys.modules.get("torch.distributed.fsdp")
    fsdp_module = getattr(fsdp, "FSDPModule", None)
    if fsdp_module is not None and any(isinstance(m, fsdp_module) for m in unwrapped.modules()):
        return "FSDP2 (fully_shard)"
    return None if unwrapped is wrapped else type(wrapped).__name__


def causal_lm(model: Any) -> Any:
    """The transformers model inside DDP and PEFT wrappers (LoRA layers stay injected)."""
    if isinstance(model, DistributedDataParallel):
        model = model.module
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def prefix_cache_reason(base: Any) -> str | None:
    """Why a prompt's key/value states cannot be computed once and shared, or None.

    Shared by training (`unsupported_reason`) and generation (`shared_prefix_generation`):
    `base` must be a decoder-only transformers causal LM whose cache holds plain
    attention keys and values, with causal attention over the prompt.
    """
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
    layers = DynamicCache(config=text).layers
    odd = {type(layer).__name__ for layer in layers if type(layer) not in SUPPORTED_CACHE_LAYERS}
    if odd:
        return f"cache layers {sorted(odd)} are not plain attention key/value caches"
    return None


def unsupported_reason(model: Any) -> str | None:
    """Why `shared_prefix_logps` cannot run this model exactly, or None."""
    base = causal_lm(model)
    if (reason := prefix_cache_reason(base)) is not None:
        return reason
    if (reason := checkpointing_reason(base)) is not None:
        return reason
    head = base.get_output_embeddings()
    if type(head) is not torch.nn.Linear:
        return f"the LM head is a {type(head).__name__} (e.g. LoRA on lm_head), not a plain Linear"
    return None


def shared_prefix_logps(
    model: Any,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    logits_to_keep: int,
    batch_size: int | None = None,
    temperature: float = 1.0,
    compute_entropy: bool = False,
    cast_lm_head_to_fp32: bool = False,
    score_mask: torch.Tensor | None = None,
    cpu_head: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Per-token log-probs `[B, logits_to_keep]` of the completion tokens (and entropies).

    Same contract as trl 1.16's `_get_per_token_logps_and_entropies`: `input_ids` is
    `prompt + completion`, the last `logits_to_keep` columns are the completion, rows are
    processed `batch_size` at a time. Rows sharing a prompt are found, not assumed, so no
    group size is needed. `model` is a causal LM, optionally inside PEFT and/or
    DistributedDataParallel; check `unsupported_reason(model)` first. `score_mask`
    (`[B, logits_to_keep]`, optional): completion positions whose log-prob is not needed
    (0: a multi-turn episode's environment tokens, masked out of the loss) skip the LM
    head and get log-prob 0, like padding. `cpu_head`: on a CPU the LM head's log-probs
    come from `head_logprobs` (same values, far fewer passes over the logits).
    """
    prompt_length = input_ids.size(1) - logits_to_keep
    if prompt_length < 1 or logits_to_keep < 1:
        raise ValueError(
            f"shared prefix needs at least one prompt and one completion column; got "
            f"{input_ids.size(1)} columns with logits_to_keep={logits_to_keep}"
        )
    install_shared_prefix_forward(causal_lm(model))
    request = SharedPrefixRequest(
        prompt_length, temperature, compute_entropy, cast_lm_head_to_fp32, cpu_head
    )
    batch_size = batch_size or input_ids.size(0)
    logps, entropies = [], []
    for start in range(0, input_ids.size(0), batch_size):
        rows = slice(start, start + batch_size)
        part = request if score_mask is None else replace(request, score_mask=score_mask[rows])
        out = model(
            input_ids=input_ids[rows], attention_mask=attention_mask[rows], shared_prefix=part
        )
        logps.append(out.log_probs)
        entropies.append(out.entropy)
    return torch.cat(logps), torch.cat(entropies) if compute_entropy else None


class SharedPrefixMixin:
    """Put before `GRPOTrainer` (trl 1.16.0) in a trainer's bases: shared-prefix log-probs.

    Overrides one method, `_get_per_token_logps_and_entropies`, which trl 1.16.0 calls for
    the policy loss, the old-policy log-probs and the reference model (LoRA: the same
    model with adapters off). `shared_prefix = False` turns it off; settings it cannot
    run exactly fall back to TRL's method, logging the reason once.
    """

    shared_prefix: bool = True
    cpu_head_logprobs: bool = False  # on a CPU, the LM head through `head_logprobs`

    def _compute_loss(self, model, inputs):  # type: ignore[no-untyped-def]
        # The loss scores model tokens only (`tool_mask`: 0 on a multi-turn episode's
        # environment tokens); the log-prob call below then skips the LM head there.
        self._score_mask = inputs.get("tool_mask")
        try:
            return super()._compute_loss(model, inputs)  # type: ignore[misc]
        finally:
            self._score_mask = None

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
        with self.accelerator.autocast(), self.loss_forward_weights():  # type: ignore[attr-defined]
            logps, entropies = shared_prefix_logps(
                model,
                input_ids,
                attention_mask,
                logits_to_keep,
                batch_size=batch_size,
                temperature=self.temperature,  # type: ignore[attr-defined]
                compute_entropy=compute_entropy,
                cast_lm_head_to_fp32=self.args.cast_lm_head_to_fp32,  # type: ignore[attr-defined]
                score_mask=self.score_mask_for(input_ids, logits_to_keep),
                cpu_head=self.cpu_head_logprobs,
            )
        return logps, entropies, None

    def loss_forward_weights(self) -> AbstractContextManager[Any]:
        """A context for the log-prob forward's weights (none here; the trainer reads bf16
        copies of the frozen matrices there on a CPU, see `bf16_weights`)."""
        return nullcontext()

    def score_mask_for(self, input_ids: torch.Tensor, logits_to_keep: int) -> torch.Tensor | None:
        """The loss's environment-token mask while `_compute_loss` runs on this batch."""
        mask = self.__dict__.get("_score_mask")
        if mask is None or tuple(mask.shape) != (input_ids.size(0), logits_to_keep):
            return None
        return mask

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
        elif (
            wrapper := sharded_wrapper(model, self.accelerator.unwrap_model(model))  # type: ignore[attr-defined]
        ) is not None:
            reason = f"the model is wrapped by {wrapper}, not DDP"
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
