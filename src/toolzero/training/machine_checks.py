"""Machine checks: does this machine have what the recipe's hardware settings ask for?

A recipe that sets `grpo.bf16`, `grpo.extra.fp16`, `grpo.use_vllm`, `grpo.deepspeed` or
`run.use_cpu: false` is meant for CUDA GPUs. Without a usable CUDA device transformers
would quietly train on the CPU (bf16 dropped, days instead of hours), so these checks fail
before any model loads and name the cause: torch built without CUDA, no NVIDIA driver, a
driver too old for torch's CUDA build, or no device visible. They also check the optional
packages such a recipe needs here (vllm, deepspeed, and each `run.report_to` logger's).

A recipe validated on one machine for another (`toolzero train --dry-run` on a laptop for a
cluster) skips them with `--skip-machine-checks` or `run.machine_checks: false`.
torch is imported only when the recipe asks for a GPU, so a CPU recipe's dry run stays fast.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from toolzero.training.recipe import Recipe

SKIP_HINT = (
    "for a recipe meant for another machine, skip machine checks with --skip-machine-checks "
    "or run.machine_checks=false"
)

# The oldest Linux driver each CUDA major release runs on (NVIDIA's CUDA release notes,
# "minor version compatibility"): a CUDA 13 torch wheel needs driver >= 580.65.06.
MIN_DRIVER = {11: "450.80.02", 12: "525.60.13", 13: "580.65.06"}

DRIVER_FILE = Path("/proc/driver/nvidia/version")


@dataclass(frozen=True)
class CudaStatus:
    """What torch and the system say about CUDA on this machine."""

    available: bool
    torch_version: str
    cuda_build: str | None  # torch.version.cuda; None for a CPU-only build
    device_count: int
    driver: str | None  # the loaded NVIDIA kernel driver, e.g. "580.159.03"
    visible_devices: str | None  # CUDA_VISIBLE_DEVICES as set, None when unset


def driver_version(path: Path = DRIVER_FILE) -> str | None:
    """The loaded NVIDIA driver's version from /proc, or None when no driver is loaded.

    >>> driver_version(Path("/nonexistent"))
    """
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for word in text.split():
        parts = word.split(".")
        if len(parts) >= 2 and all(p.isdigit() for p in parts):
            return word
    return None


def cuda_status() -> CudaStatus:
    """Ask torch (imported here) and the system about CUDA."""
    import torch

    available = bool(torch.cuda.is_available())
    return CudaStatus(
        available=available,
        torch_version=str(torch.__version__),
        cuda_build=torch.version.cuda,
        device_count=torch.cuda.device_count() if available else 0,
        driver=driver_version(),
        visible_devices=os.environ.get("CUDA_VISIBLE_DEVICES"),
    )


def version_tuple(text: str) -> tuple[int, ...]:
    """`"580.65.06"` -> (580, 65, 6); non-numeric parts end the tuple.

    >>> version_tuple("580.65.06") > version_tuple("575.57.08")
    True
    """
    out = []
    for part in text.split("."):
        if not part.isdigit():
            break
        out.append(int(part))
    return tuple(out)


def min_driver_for(cuda_build: str) -> str | None:
    """The oldest driver a torch built for this CUDA version runs on, when known.

    >>> min_driver_for("13.0")
    '580.65.06'
    """
    major = version_tuple(cuda_build)[:1]
    return MIN_DRIVER.get(major[0]) if major else None


def why_no_cuda(status: CudaStatus) -> str:
    """One sentence naming why torch sees no CUDA device, most basic cause first."""
    if status.cuda_build is None:
        return (
            f"torch {status.torch_version} is built without CUDA (torch.version.cuda is None); "
            "install a CUDA build of torch"
        )
    visible = status.visible_devices
    if visible is not None and visible.strip() in ("", "-1", "none", "NoDevFiles"):
        return f"no device is visible (CUDA_VISIBLE_DEVICES={visible!r}); unset or fix it"
    if status.driver is None:
        return (
            f"no NVIDIA driver is loaded ({DRIVER_FILE} is missing) for torch's CUDA "
            f"{status.cuda_build} build; install the driver or run on a GPU machine"
        )
    needed = min_driver_for(status.cuda_build)
    if needed and version_tuple(status.driver) < version_tuple(needed):
        return (
            f"the NVIDIA driver {status.driver} is too old for torch's CUDA "
            f"{status.cuda_build} build (needs >= {needed}); update the driver or install "
            "a torch built for an older CUDA"
        )
    return (
        f"torch sees no CUDA device (driver {status.driver}, CUDA {status.cuda_build} build, "
        f"CUDA_VISIBLE_DEVICES={visible!r}); run `toolzero env` for details"
    )


def gpu_fields(recipe: Recipe) -> list[str]:
    """The recipe settings that only make sense on a CUDA GPU."""
    g = recipe.grpo
    fields = []
    if g.bf16:
        fields.append("grpo.bf16")
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


def check_machine(recipe: Recipe, status: CudaStatus | None = None) -> list[str]:
    """Problems between the recipe's hardware settings and this machine (none if skipped).

    `status` is for tests; by default torch is asked, and only when the recipe needs a GPU.
    """
    if not recipe.run.machine_checks:
        return []
    out = check_packages(recipe)
    fields = gpu_fields(recipe)
    if recipe.run.use_cpu is True:
        return out + [
            f"{field}: needs a CUDA GPU but run.use_cpu is true; drop one of the two"
            for field in fields
        ]
    if recipe.run.use_cpu is False:
        fields.append("run.use_cpu=false")
    if not fields:
        return out
    status = status or cuda_status()
    if not status.available:
        out.append(
            f"{', '.join(fields)}: this recipe needs a CUDA GPU, but {why_no_cuda(status)}; "
            f"training would fall back to the CPU; {SKIP_HINT}"
        )
    return out
