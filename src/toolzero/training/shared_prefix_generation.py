"""Shared-prefix generation: prefill each distinct prompt once, then decode its group together.

TRL repeats every prompt `num_generations` times before its transformers-path `generate`
call, so each group's prompt is prefilled G times (on the quickstart: 16 x ~220 tokens
a step where 2 x 220 would do). Here the rows of the batch TRL passes are compared (two
rows share a prompt when their ids *and* mask are equal: groups are found, not assumed,
as TRL shuffles them), the distinct rows are run once through the decoder stack on all
but their last column, and the key/value cache is indexed to one row per completion.
HF `generate` then continues from that cache ("continue from a cache": the full
`input_ids` and mask, `past_key_values` holding all but the last token), so stop
strings, logits processors and sampling are HF's own and unchanged.

Why this is the same computation: attention is causal, so a prompt's keys and values do
not depend on which row or batch they are computed in; position ids are built from the
mask exactly as `generate` builds them for its own prefill; the decode loop, its logits
and every random draw (one `multinomial` over the same `[B, V]` probabilities per step)
are those of today's path. Greedy decoding gives the same tokens, and sampling with the
same generator state the same samples, up to float rounding (the prompt's last token now
runs in a one-token forward); `tests/training/test_shared_prefix_generation.py` checks
both in float64, with LoRA, stop strings, uneven left padding and shuffled groups.

What it leaves out, falling back to TRL's path with the reason logged once: vLLM and
transformers' continuous batching (they do not call `generate`), multimodal inputs,
models wrapped by FSDP or DeepSpeed (untested here), caches other than plain key/value
layers (`shared_prefix.prefix_cache_reason`), a `cache_implementation` (static caches
cannot be passed in), beam search, dropout active during generation (a shared prompt
would share its dropout mask), and `generate` arguments TRL does not pass. A batch whose
prompts are all distinct is generated as before, silently.

    class MyTrainer(SharedPrefixGenerationMixin, GRPOTrainer): ...   # trl 1.16.0
    with shared_prompt_prefill(causal_lm, on_fallback=print):
        model.generate(input_ids=ids, attention_mask=mask, generation_config=config)
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from transformers import DynamicCache

from toolzero.training.shared_prefix import causal_lm as unwrap_causal_lm
from toolzero.training.shared_prefix import prefix_cache_reason, sharded_wrapper
from toolzero.training.shared_prefix_forward import find_prefix_groups

logger = logging.getLogger(__name__)

TRL_TARGET = "1.16.0"
# What trl 1.16's transformers path passes to `generate` (stop strings add stopping_criteria).
GENERATE_ARGUMENTS = frozenset(
    {"input_ids", "attention_mask", "generation_config", "stopping_criteria", "logits_processor"}
)


def generation_position_ids(attention_mask: torch.Tensor) -> torch.Tensor:
    """Position ids as `generate` builds them from a 2D mask (padding at position 0).

    >>> generation_position_ids(torch.tensor([[0, 1, 1], [1, 1, 1]])).tolist()
    [[0, 0, 1], [0, 1, 2]]
    """
    return (attention_mask.long().cumsum(-1) - 1).masked_fill(attention_mask == 0, 0)


@torch.no_grad()
def prefill_distinct_rows(
    model: Any, input_ids: torch.Tensor, attention_mask: torch.Tensor
) -> DynamicCache | None:
    """A cache of every row's first `L - 1` columns, each distinct row computed once.

    `model` is a transformers causal LM (LoRA layers injected count: they are in its
    decoder stack). Returns None when no two rows are equal (nothing to share).
    """
    groups = find_prefix_groups(input_ids, attention_mask, input_ids.size(1))
    rows = groups.first_rows
    if rows.numel() == input_ids.size(0):
        return None
    mask = attention_mask[rows]
    cache = DynamicCache(config=model.config.get_text_config(decoder=True))
    model.base_model(  # the decoder stack: no LM head, generate's prefill keeps one position
        input_ids=input_ids[rows, :-1],
        # generate drops an all-ones mask (no padding) before its forward; so does this.
        attention_mask=None if bool((attention_mask == 1).all()) else mask[:, :-1],
        position_ids=generation_position_ids(mask)[:, :-1],
        past_key_values=cache,
        use_cache=True,
    )
    cache.reorder_cache(groups.row_group)  # index_select per layer: one row per completion
    return cache


def call_refusal(model: Any, args: tuple, kwargs: dict[str, Any]) -> str | None:
    """Why this `generate` call must run as given, or None."""
    unexpected = sorted(set(kwargs) - GENERATE_ARGUMENTS)
    if args or unexpected:
        return (
            f"generate was called with arguments this does not handle: {unexpected or 'positional'}"
        )
    if kwargs.get("attention_mask") is None or kwargs["attention_mask"].dim() != 2:
        return "generate was called without a 2D attention mask"
    if kwargs["input_ids"].size(1) < 2:
        return "prompts of one token leave nothing to prefill"
    config = kwargs.get("generation_config") or model.generation_config
    if config.cache_implementation is not None:
        return f"cache_implementation={config.cache_implementation!r} cannot continue from a given cache"
    if (config.num_beams or 1) > 1 or (config.num_return_sequences or 1) > 1:
        return "beam search and num_return_sequences expand rows inside generate"
    if dropout_active(model):
        return "dropout is active in generation: rows sharing a prompt would share its mask"
    return None


def dropout_active(model: Any) -> bool:
    """Does a forward of `model` draw random numbers (dropout in training mode)?"""
    if not model.training:
        return False
    text = model.config.get_text_config(decoder=True)
    if any(getattr(text, name, 0) or 0 for name in ("attention_dropout", "hidden_dropout")):
        return True
    return any(isinstance(m, torch.nn.Dropout) and m.p > 0 and m.training for m in model.modules())


@contextmanager
def shared_prompt_prefill(
    model: Any, on_fallback: Callable[[str], None] = logger.warning
) -> Iterator[None]:
    """While open, `model.generate` prefills each distinct prompt row once.

    `model` is a transformers causal LM (inside PEFT: `get_base_model()`; PEFT's own
    `generate` reaches it). Calls it cannot serve exactly run unchanged, after
    `on_fallback(reason)`. On exit the model's `generate` is what it was (an instance
    wrapper such as the stop strings' stays, inside this one).
    """
    had_own = "generate" in vars(model)
    inner = model.generate

    @functools.wraps(inner)
    def generate(*args: Any, **kwargs: Any) -> Any:
        reason = call_refusal(model, args, kwargs)
        if reason is not None:
            on_fallback(reason)
            return inner(*args, **kwargs)
        cache = prefill_distinct_rows(model, kwargs["input_ids"], kwargs["attention_mask"])
        if cache is None:
            return inner(**kwargs)
        return inner(**kwargs, past_key_values=cache)

    model.generate = generate
    try:
        yield
    finally:
        if had_own:
            model.generate = inner
        else:
            del model.generate


class SharedPrefixGenerationMixin:
    """Put before `GRPOTrainer` (trl 1.16.0): each prompt prefilled once per generation.

    Overrides `_generate_single_turn`, scoping `shared_prompt_prefill` to TRL's call of
    `generate`. `shared_prefix_generation = False` turns it off (TRL's path exactly);
    settings it cannot serve exactly fall back to TRL's path, logging the reason once.
    """

    shared_prefix_generation: bool = True

    def _generate_single_turn(  # type: ignore[no-untyped-def]
        self, prompt_ids, images, multimodal_fields, num_generations, has_tool_images=False
    ):
        args = (prompt_ids, images, multimodal_fields, num_generations, has_tool_images)
        reason = self.shared_prefix_generation_refusal(images, multimodal_fields)
        if reason is not None:
            return super()._generate_single_turn(*args)  # type: ignore[misc]
        model = unwrap_causal_lm(self.model)  # type: ignore[attr-defined]
        with shared_prompt_prefill(model, self.log_generation_fallback):
            return super()._generate_single_turn(*args)  # type: ignore[misc]

    def shared_prefix_generation_refusal(
        self, images: Any, multimodal_fields: dict[str, Any] | None
    ) -> str | None:
        """Why this round takes TRL's generation path unchanged (logged once), or None."""
        if not self.shared_prefix_generation:
            return "off"
        # trl 1.16 sets `use_transformers_continuous_batching` only on the transformers path.
        engine = self.use_vllm or getattr(self, "use_transformers_continuous_batching", False)  # type: ignore[attr-defined]
        if engine:
            reason = "vLLM and continuous batching do not call generate"
        elif images is not None or multimodal_fields:
            reason = "multimodal inputs are not supported"
        elif (wrapper := self.sharded_wrapper()) is not None:
            reason = f"the model is wrapped by {wrapper}, not DDP"
        else:
            reason = prefix_cache_reason(unwrap_causal_lm(self.model))  # type: ignore[attr-defined]
        if reason is not None:
            self.log_generation_fallback(reason)
        return reason

    def sharded_wrapper(self) -> str | None:
        """What shards the model (FSDP 1 or 2, DeepSpeed), or None (`sharded_wrapper`)."""
        wrapped = self.model_wrapped  # type: ignore[attr-defined]
        return sharded_wrapper(wrapped, self.accelerator.unwrap_model(wrapped))  # type: ignore[attr-defined]

    def log_generation_fallback(self, reason: str) -> None:
        seen = self.__dict__.setdefault("_shared_prefix_generation_logged", set())
        if reason not in seen:
            seen.add(reason)
            logger.warning("shared-prefix generation off, using TRL's path: %s", reason)
