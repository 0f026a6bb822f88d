"""What this machine has for training: CUDA as torch sees it, the NVIDIA driver, bf16.

Read by the recipe's machine checks (`toolzero.training.machine_checks`), the compute
precision (`toolzero.training.precision`) and `toolzero env`. torch is imported only
inside functions. Imports nothing of ours.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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


# The x86 instruction sets that multiply bf16 natively (Intel Cooper Lake / Sapphire Rapids
# and later, AMD Zen 4 and later). Without them torch still runs bf16, but converts it in
# software: on this project's AVX2-only AMD EPYC (Zen 3) a 512x1024 @ 1024x1024 bf16
# linear took ~4x as long as fp32, and a 1024x1024 matmul under autocast far longer.
CPU_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_bf16_flags(path: Path = Path("/proc/cpuinfo")) -> list[str]:
    """The CPU's bf16 instruction sets (AVX-512 BF16, AMX-BF16) named in /proc/cpuinfo.

    >>> cpu_bf16_flags(Path("/nonexistent"))
    []
    """
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.partition(":")[2].split())
            return [f for f in CPU_BF16_FLAGS if f in flags]
    return []


def torch_cpu_bf16() -> list[str]:
    """The same instruction sets as torch's CPU helpers see them (CPUID, via cpuinfo).

    For systems without /proc/cpuinfo (macOS, Windows). The helpers are private in torch
    2.13 (`torch.cpu._is_avx512_bf16_supported`, `_is_amx_tile_supported`), so a torch
    without them reads as no bf16.
    """
    import torch

    checks = {"avx512_bf16": "_is_avx512_bf16_supported", "amx_bf16": "_is_amx_tile_supported"}
    out = []
    for flag, name in checks.items():
        check = getattr(torch.cpu, name, None)
        try:
            if check is not None and check():
                out.append(flag)
        except Exception:  # a helper that cannot answer on this platform
            continue
    return out


def cpu_fast_bf16(path: Path = Path("/proc/cpuinfo")) -> list[str]:
    """This CPU's native bf16 instruction sets: empty when bf16 would be emulated (slow).

    /proc/cpuinfo is the source where it exists: it lists a flag only when the kernel
    also supports it (AMX needs kernel support for its tile state), which torch's CPUID
    check does not see. Elsewhere torch's own check answers.
    """
    if path.exists():
        return cpu_bf16_flags(path)
    return torch_cpu_bf16()


def why_no_cpu_bf16() -> str:
    """One clause saying why bf16 compute on this CPU would not pay."""
    return (
        "this CPU has no AVX-512 BF16 or AMX-BF16 instructions (flags avx512_bf16 / amx_bf16), "
        "so torch would emulate bf16, slower than fp32"
    )
