"""Machine checks: does this machine have what the recipe's hardware settings ask for?

A recipe that sets `grpo.extra.fp16`, `grpo.use_vllm`, `grpo.deepspeed`,
`model.dtype: float16` or `run.use_cpu: false` is meant for CUDA GPUs. Without a usable
CUDA device transformers would quietly train on the CPU (days instead of hours), so these
checks fail before any model loads and name the cause: torch built without CUDA, no NVIDIA
driver, a driver too old for torch's CUDA build, or no device visible. `grpo.bf16: true`
needs bf16 hardware: a CUDA GPU, or a CPU with AVX-512 BF16 or AMX (elsewhere torch
emulates bf16, slower than fp32; `grpo.bf16: auto` then stays in fp32 instead). They also
check the optional packages such a recipe needs here (vllm, deepspeed, and each
`run.report_to` logger's).

A recipe validated on one machine for another (`toolzero train --dry-run` on a laptop for a
cluster) skips them with `--skip-machine-checks` or `run.machine_checks: false`.
torch is imported only when the recipe asks for a GPU (or for `grpo.bf16: true`), so a CPU
recipe's dry run stays fast.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from toolzero.machine import CudaStatus, cpu_fast_bf16, cuda_status, why_no_cpu_bf16, why_no_cuda

if TYPE_CHECKING:
    from toolzero.training.recipe import Recipe

SKIP_HINT = (
    "for a recipe meant for another machine, skip machine checks with --skip-machine-checks "
    "or run.machine_checks=false"
)


def gpu_fields(recipe: Recipe) -> list[str]:
    """The recipe settings that only make sense on a CUDA GPU."""
    g = recipe.grpo
    fields = []
    if g.extra.get("fp16"):
        fields.append("grpo.extra.fp16")
    if g.use_vllm:
        fields.append("grpo.use_vllm")
    if g.deepspeed:
        fields.append("grpo.deepspeed")
    if recipe.model.dtype == "float16":
        fields.append("model.dtype=float16")
    return fields


def check_packages(recipe: Recipe) -> list[str]:
    """The optional packages the recipe's GPU settings need, installed here."""
    out = []
    if recipe.grpo.use_vllm and importlib.util.find_spec("vllm") is None:
        out.append(
            "grpo.use_vllm: vllm is not installed; `pip install 'toolzero[gpu]'` or set "
            f"grpo.use_vllm=false; {SKIP_HINT}"
        )
    if recipe.grpo.deepspeed and importlib.util.find_spec("deepspeed") is None:
        out.append(
            "grpo.deepspeed: deepspeed is not installed; `pip install 'toolzero[gpu]'`; "
            f"{SKIP_HINT}"
        )
    return out


def check_machine(
    recipe: Recipe, status: CudaStatus | None = None, cpu_bf16: list[str] | None = None
) -> list[str]:
    """Problems between the recipe's hardware settings and this machine (none if skipped).

    `status` and `cpu_bf16` (the CPU's native bf16 instruction sets) are for tests; by
    default torch and /proc/cpuinfo are asked, and only when the recipe needs them.
    """
    if not recipe.run.machine_checks:
        return []
    out = check_packages(recipe)
    fields = gpu_fields(recipe)
    wants_bf16 = recipe.grpo.bf16 is True
    if recipe.run.use_cpu is True:
        out += [
            f"{field}: needs a CUDA GPU but run.use_cpu is true; drop one of the two"
            for field in fields
        ]
        if wants_bf16 and not _cpu_bf16(cpu_bf16):
            out.append(
                f"grpo.bf16: true, but run.use_cpu is true and {why_no_cpu_bf16()}; set "
                "grpo.bf16=auto (fp32 here) or false"
            )
        return out
    if recipe.run.use_cpu is False:
        fields.append("run.use_cpu=false")
    if not fields and not wants_bf16:
        return out
    status = status or cuda_status()
    if status.available:
        return out
    if fields:
        out.append(
            f"{', '.join(fields)}: this recipe needs a CUDA GPU, but {why_no_cuda(status)}; "
            f"training would fall back to the CPU; {SKIP_HINT}"
        )
    elif not _cpu_bf16(cpu_bf16):
        out.append(
            f"grpo.bf16: true needs a CUDA GPU or a CPU with AVX-512 BF16 or AMX, but "
            f"{why_no_cuda(status)}, and {why_no_cpu_bf16()}; set grpo.bf16=auto (fp32 here) "
            f"or false; {SKIP_HINT}"
        )
    return out


def _cpu_bf16(given: list[str] | None) -> list[str]:
    return cpu_fast_bf16() if given is None else given
