"""`toolzero env`: the versions, devices and problems a bug report needs, as pasteable text.

It reports what is installed (python, torch and its CUDA build, transformers, trl, peft,
accelerate, deepspeed, vllm, bfcl-eval, ...), the CUDA devices, the NVIDIA driver, bf16
support (CUDA, and the CPU's AVX-512 BF16 / AMX flags), and the problems it can see:

- a package whose own metadata excludes another installed one (vllm declaring
  `transformers<5.18` next to transformers 5.23, say), read with `importlib.metadata`;
- a vllm that declares no upper bound on transformers: a pair its metadata never declared
  (the GPU set in docs/training.md is one that is declared);
- a CUDA build of torch the driver cannot run, or no device visible;
- the embedded Gemma GGUF not loadable (no `gguf`, or a transformers without its loader).

Nothing here imports trl or loads a model; torch is imported to ask about CUDA.
"""

from __future__ import annotations

import importlib.metadata as metadata
import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from toolzero.machine import CudaStatus, cpu_fast_bf16, why_no_cuda

PACKAGES = (
    "toolzero",
    "torch",
    "transformers",
    "trl",
    "peft",
    "accelerate",
    "datasets",
    "deepspeed",
    "vllm",
    "tensorboard",
    "gguf",
    "bfcl-eval",
    "huggingface-hub",
    "tokenizers",
)
# Whose declared requirements are checked against what is installed.
CHECKED = ("toolzero", "trl", "vllm", "deepspeed", "peft", "accelerate", "transformers")


@dataclass
class EnvReport:
    python: str
    platform: str
    versions: dict[str, str | None]
    cuda: CudaStatus | None  # None when torch is not installed
    devices: list[str] = field(default_factory=list)
    cuda_bf16: bool | None = None
    cpu_bf16: list[str] = field(default_factory=list)
    # why executed tools cannot be sandboxed here (toolzero.environments.sandbox), or None
    sandbox: str | None = None
    problems: list[str] = field(default_factory=list)


def installed_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def declared_requirements(name: str) -> list[str]:
    try:
        return list(metadata.requires(name) or [])
    except metadata.PackageNotFoundError:
        return []


def requirement_problems(
    name: str,
    requires: list[str],
    version_of: Callable[[str], str | None] = installed_version,
) -> list[str]:
    """Each requirement of `name` (not behind an extra) that an installed package breaks.

    A requirement on a package that is not installed is pip's business, not a conflict.

    >>> requirement_problems("vllm", ["transformers<5.18,>=5.10.4"], {"transformers": "5.23.0"}.get)
    ['vllm declares transformers<5.18,>=5.10.4, but transformers 5.23.0 is installed']
    """
    out = []
    for text in requires:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        installed = version_of(canonicalize_name(req.name)) or version_of(req.name)
        if installed is None or not req.specifier:
            continue
        try:
            ok = req.specifier.contains(Version(installed), prereleases=True)
        except InvalidVersion:
            continue
        if not ok:
            out.append(f"{name} declares {text}, but {req.name} {installed} is installed")
    return out


def unbounded_transformers(requires: list[str]) -> str | None:
    """vllm's transformers requirement when it has no upper bound (an undeclared pair).

    >>> unbounded_transformers(["torch==2.13.0", "transformers>=5.10.4"])
    'transformers>=5.10.4'
    >>> unbounded_transformers(["transformers<5.18.0,>=5.10.4"])
    """
    for text in requires:
        req = Requirement(text)
        if canonicalize_name(req.name) != "transformers" or req.marker is not None:
            continue
        if not any(s.operator in ("<", "<=", "==", "~=", "===") for s in req.specifier):
            return text
    return None


def package_problems(
    versions: dict[str, str | None], requires_of: Callable[[str], list[str]]
) -> list[str]:
    """Conflicts between installed packages' declared requirements and their versions."""
    out = []
    for name in CHECKED:
        if versions.get(name) is None:
            continue
        label = f"{name} {versions[name]}"
        out += requirement_problems(label, requires_of(name), versions.get)
    if versions.get("vllm") and versions.get("transformers"):
        loose = unbounded_transformers(requires_of("vllm"))
        if loose:
            out.append(
                f"vllm {versions['vllm']} declares {loose} with no upper bound: its pair with "
                f"transformers {versions['transformers']} is undeclared; install the GPU set "
                "(`pip install 'toolzero[gpu]'`, docs/training.md)"
            )
    return out


def cuda_problems(cuda: CudaStatus | None) -> list[str]:
    """A CUDA build of torch that cannot run here (the driver, no device)."""
    if cuda is None or cuda.cuda_build is None or cuda.available:
        return []
    return [f"CUDA: {why_no_cuda(cuda)}"]


def collect() -> EnvReport:
    """Read this machine: versions, CUDA, devices, bf16, and the problems they show."""
    import toolzero
    from toolzero.environments.sandbox import sandbox_problem
    from toolzero.models import gguf_problem

    versions = {name: installed_version(name) for name in PACKAGES}
    # the code that runs, which may be a source checkout rather than the installed package
    versions["toolzero"] = f"{toolzero.__version__} ({Path(toolzero.__file__).parent})"
    cuda, devices, cuda_bf16 = _cuda_facts() if versions["torch"] else (None, [], None)
    report = EnvReport(
        python=sys.version.split()[0],
        platform=platform.platform(),
        versions=versions,
        cuda=cuda,
        devices=devices,
        cuda_bf16=cuda_bf16,
        cpu_bf16=cpu_fast_bf16(),
        sandbox=sandbox_problem(),
    )
    report.problems = package_problems(versions, declared_requirements) + cuda_problems(cuda)
    gguf = gguf_problem() if versions["transformers"] else None
    if gguf:
        report.problems.append(f"embedded model (gemma-3-270m): {gguf}")
    return report


def _cuda_facts() -> tuple[CudaStatus, list[str], bool | None]:
    import torch

    from toolzero.machine import cuda_status

    status = cuda_status()
    devices = []
    for i in range(status.device_count):
        props = torch.cuda.get_device_properties(i)
        devices.append(
            f"{i}: {props.name}, {props.total_memory / 2**30:.1f} GiB, "
            f"sm_{props.major}{props.minor}"
        )
    bf16 = bool(torch.cuda.is_bf16_supported()) if status.available else None
    return status, devices, bf16


def auto_precision(report: EnvReport) -> str:
    """What `grpo.bf16: auto` picks here, by the rule training applies, and why."""
    from toolzero.training.precision import compute_precision
    from toolzero.training.recipe import Recipe

    on_gpu = report.cuda_bf16 is not None
    choice = compute_precision(
        Recipe(), cpu=not on_gpu, cpu_bf16=report.cpu_bf16, cuda_bf16=report.cuda_bf16
    )
    return f"{'bf16 autocast' if choice.bf16 else 'fp32'} ({choice.why})"


def render(report: EnvReport) -> str:
    """Markdown-ish text for a bug report."""
    cuda = report.cuda
    lines = [
        "## toolzero env",
        "",
        f"- Python: {report.python} ({report.platform})",
    ]
    lines += [f"- {name}: {version or 'not installed'}" for name, version in report.versions.items()]
    lines += ["", "### Hardware", ""]
    if cuda is None:
        lines.append("- torch: not installed")
    else:
        lines += [
            f"- torch CUDA build: {cuda.cuda_build or 'none (CPU-only build)'}",
            f"- NVIDIA driver: {cuda.driver or 'not loaded'}",
            f"- CUDA_VISIBLE_DEVICES: {cuda.visible_devices if cuda.visible_devices is not None else 'unset'}",
            f"- CUDA devices: {len(report.devices)}",
            *[f"  - {d}" for d in report.devices],
        ]
    cuda_bf16 = {True: "yes", False: "no", None: "no CUDA device"}[report.cuda_bf16]
    lines.append(f"- bf16: CUDA {cuda_bf16}; CPU {', '.join(report.cpu_bf16) or 'no bf16 flags'}")
    lines.append(f"- compute with grpo.bf16=auto: {auto_precision(report)}")
    lines.append(f"- sandbox for executed tools: {report.sandbox or 'ready (bubblewrap)'}")
    lines += ["", "### Problems", ""]
    lines += [f"- {p}" for p in report.problems] or ["- none found"]
    return "\n".join(lines) + "\n"
