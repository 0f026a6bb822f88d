"""A run's precision: the dtype its weights load in, and whether it computes in bf16.

**Weights.** AdamW adds `lr x update` to each weight. In bfloat16 a weight has 8
significant bits, so an addition smaller than about 1/256 of the weight rounds back to the
weight itself: with the paper recipes' learning rates (5e-7 to 1e-6, updates of that
order) a full fine-tuning run in bf16 weights would leave almost every weight unchanged.
Full fine-tuning therefore loads the weights in float32 (the optimizer's master copy) and
gets bf16 speed from mixed precision (`grpo.bf16`). With LoRA the base weights are frozen,
so they may stay in `model.dtype` (bf16 halves their memory); the adapters are trained in
fp32 (PEFT upcasts them), except under DeepSpeed ZeRO-3, where trl keeps them in the base
dtype and DeepSpeed's optimizer holds their fp32 master copy.

**Compute.** `grpo.bf16` turns on bf16 mixed precision: `GRPOConfig(bf16=True)`, which
accelerate applies as `torch.autocast(device, torch.bfloat16)` around the model's forward
and trl's log-prob forward (the backward follows the forward's dtypes), on GPUs and on
CPUs alike (DeepSpeed casts the module itself); `ToolzeroGRPOTrainer` adds the same
context around generation, which trl 1.16 runs outside it. Parameters, their gradients
and the optimizer state keep their dtype: only the matrix products run in bf16 (with
fp32 accumulation). `auto` uses it where the hardware multiplies bf16 natively: a GPU
with bf16 (Ampere and later), or a CPU with AVX-512 BF16 or AMX. On other CPUs torch
emulates bf16 and is slower than fp32, so `auto` stays in fp32 there, and `true` is an
error before anything loads (`machine_checks`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from toolzero.machine import cpu_fast_bf16, why_no_cpu_bf16
from toolzero.training.recipe import Recipe

logger = logging.getLogger(__name__)

HALF_DTYPES = ("bfloat16", "float16")


def on_cpu(recipe: Recipe) -> bool:
    """The run computes on the CPU: `run.use_cpu` when set, else when no GPU is visible."""
    if recipe.run.use_cpu is not None:
        return recipe.run.use_cpu
    import torch

    return not torch.cuda.is_available()


def weights_dtype(recipe: Recipe) -> str:
    """The dtype to load the policy in: `model.dtype`, or float32 when it is a 16-bit type
    and every weight is trained (LoRA off)."""
    dtype = recipe.model.dtype
    if recipe.lora.enabled or dtype not in HALF_DTYPES:
        return dtype
    logger.info(
        "full fine-tuning: loading the weights in float32, not model.dtype=%s: the optimizer "
        "needs fp32 master weights (updates below ~1/256 of a weight round away in %s); "
        "grpo.bf16 still computes in bf16 where the hardware has it",
        dtype,
        dtype,
    )
    return "float32"


@dataclass(frozen=True)
class ComputePrecision:
    """Whether the run computes in bf16 (mixed precision), and the reason, for the log."""

    bf16: bool
    why: str

    def describe(self, weights: str) -> str:
        """The log line: what runs in which dtype, and why."""
        if not self.bf16:
            return f"compute precision: fp32 ({self.why}); weights {weights}"
        return (
            f"compute precision: bf16 mixed precision (autocast) for generation, log-probs "
            f"and backward ({self.why}); weights {weights}, LoRA adapters, gradients and "
            "optimizer state keep their fp32 dtype"
        )


def compute_precision(
    recipe: Recipe,
    cpu: bool,
    cpu_bf16: list[str] | None = None,
    cuda_bf16: bool | None = None,
) -> ComputePrecision:
    """Resolve `grpo.bf16` (auto / true / false) for a run on the CPU (`cpu`) or a GPU.

    `cpu_bf16` (the CPU's native bf16 instruction sets) and `cuda_bf16` (the GPU has bf16)
    are read from the machine when not given. `true` is taken as asked: the machine
    checks have already refused it where the hardware lacks bf16, unless they were
    skipped.
    """
    g = recipe.grpo
    if g.bf16 is False:
        return ComputePrecision(False, "grpo.bf16 is false")
    if g.bf16 is True:
        return ComputePrecision(True, "grpo.bf16 is true")
    if g.extra.get("fp16"):
        return ComputePrecision(False, "grpo.bf16 is auto and grpo.extra.fp16 asks for fp16")
    if cpu:
        flags = cpu_fast_bf16() if cpu_bf16 is None else cpu_bf16
        if flags:
            return ComputePrecision(True, f"grpo.bf16 is auto and this CPU has {', '.join(flags)}")
        return ComputePrecision(False, f"grpo.bf16 is auto and {why_no_cpu_bf16()}")
    if cuda_bf16 is None:
        import torch

        cuda_bf16 = bool(torch.cuda.is_bf16_supported())
    if cuda_bf16:
        return ComputePrecision(True, "grpo.bf16 is auto and the GPU has bf16")
    return ComputePrecision(False, "grpo.bf16 is auto and the GPU has no bf16 (before Ampere)")
