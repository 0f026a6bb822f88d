"""The dtype the policy's weights load in: fp32 master weights for full fine-tuning.

AdamW adds `lr x update` to each weight. In bfloat16 a weight has 8 significant bits, so
an addition smaller than about 1/256 of the weight rounds back to the weight itself: with
the paper recipes' learning rates (5e-7 to 1e-6, updates of that order) a full
fine-tuning run in bf16 weights would leave almost every weight unchanged. Full
fine-tuning therefore loads the weights in float32 (the optimizer's master copy) and gets
bf16 speed from mixed precision (`grpo.bf16`: autocast under DDP and FSDP; DeepSpeed casts
the module to bf16 itself and keeps fp32 master weights in its optimizer).

With LoRA the base weights are frozen, so they may stay in `model.dtype` (bf16 halves
their memory); the adapters are trained in fp32 (PEFT upcasts them), except under
DeepSpeed ZeRO-3, where trl keeps them in the base dtype and DeepSpeed's optimizer holds
their fp32 master copy.
"""

from __future__ import annotations

import logging

from toolzero.training.recipe import Recipe

logger = logging.getLogger(__name__)

HALF_DTYPES = ("bfloat16", "float16")


def weights_dtype(recipe: Recipe) -> str:
    """The dtype to load the policy in: `model.dtype`, or float32 when it is a 16-bit type
    and every weight is trained (LoRA off)."""
    dtype = recipe.model.dtype
    if recipe.lora.enabled or dtype not in HALF_DTYPES:
        return dtype
    logger.info(
        "full fine-tuning: loading the weights in float32, not model.dtype=%s: the optimizer "
        "needs fp32 master weights (updates below ~1/256 of a weight round away in %s); "
        "grpo.bf16 still computes in bf16 on GPUs",
        dtype,
        dtype,
    )
    return "float32"
