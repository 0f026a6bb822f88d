"""The install sets: pyproject's ranges, the CPU pins (constraints/cpu.txt) and the GPU extra.

What can be checked on a CPU machine: the CPU pins sit inside the ranges and are what is
installed here; the GPU extra's versions are inside the ranges that the installed trl
declares for its `vllm` and `deepspeed` extras; and the GPU extra's transformers / torch
sit inside what vLLM 0.31.0 declares (copied below from its PyPI metadata, and compared
with the installed vllm's own metadata where vllm is installed).
"""

from __future__ import annotations

import importlib.metadata as metadata
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from toolzero.env_report import package_problems

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
# vllm 0.31.0's Requires-Dist for these two (PyPI, read with
# `pip install --dry-run --no-deps --report - vllm==0.31.0`, 2026-12-02).
VLLM_031 = {"transformers": "<5.18.0,>=5.10.4", "torch": "==2.13.0"}
# transformers releases around the boundaries (PyPI `pip index versions transformers`).
TRANSFORMERS_RELEASES = ["5.16.1", "5.17.0", "5.18.0", "5.20.2", "5.22.2", "5.23.0", "5.25.0"]


def requirements(lines: list[str]) -> dict[str, Requirement]:
    reqs = [Requirement(line) for line in lines]
    return {canonicalize_name(r.name): r for r in reqs}


BASE = requirements(PYPROJECT["dependencies"])
GPU = requirements(PYPROJECT["optional-dependencies"]["gpu"])


def cpu_pins() -> dict[str, Version]:
    pins = {}
    for line in (ROOT / "constraints" / "cpu.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", f"{line}: constraints/cpu.txt holds exact pins only"
            pins[canonicalize_name(req.name)] = Version(spec.version)
    return pins


def test_cpu_pins_are_inside_the_base_ranges() -> None:
    pins = cpu_pins()
    assert {"torch", "transformers", "trl", "peft", "accelerate", "gguf"} <= set(pins)
    for name, version in pins.items():
        if name in BASE:
            assert BASE[name].specifier.contains(version), f"{name} {version} vs {BASE[name]}"


def test_cpu_pins_are_what_is_installed_here() -> None:
    for name, version in cpu_pins().items():
        installed = Version(metadata.version(name))
        assert installed.public == str(version), f"{name}: installed {installed}, pinned {version}"


def test_gpu_extra_is_inside_trls_declared_extras() -> None:
    trl = metadata.version("trl")
    assert GPU["trl"].specifier.contains(trl) and "vllm" in GPU["trl"].extras
    declared = [Requirement(r) for r in metadata.requires("trl") or []]
    for extra, name in (("vllm", "vllm"), ("deepspeed", "deepspeed")):
        (req,) = [
            r for r in declared
            if canonicalize_name(r.name) == name and r.marker and r.marker.evaluate({"extra": extra})
        ]  # fmt: skip
        (pin,) = GPU[name].specifier
        assert req.specifier.contains(pin.version), f"trl {trl} [{extra}] declares {req}, not {pin}"


def test_gpu_extra_is_inside_what_vllm_declares() -> None:
    (torch_pin,) = GPU["torch"].specifier
    assert torch_pin.operator == "==" and VLLM_031["torch"] == f"=={torch_pin.version}"
    assert BASE["torch"].specifier.contains(torch_pin.version)
    allowed = [
        v for v in TRANSFORMERS_RELEASES
        if GPU["transformers"].specifier.contains(v) and BASE["transformers"].specifier.contains(v)
    ]  # fmt: skip
    assert allowed == ["5.17.0"]
    vllm_transformers = Requirement(f"transformers{VLLM_031['transformers']}").specifier
    assert all(vllm_transformers.contains(v) for v in allowed)


def test_vllm_alias_is_the_gpu_set() -> None:
    assert PYPROJECT["optional-dependencies"]["vllm"] == ["toolzero[gpu]"]
    assert {"vllm", "deepspeed", "tensorboard"} <= set(GPU)


def test_installed_vllm_agrees_with_this_install() -> None:
    pytest.importorskip("vllm")  # a GPU machine with the GPU set
    versions = {n: metadata.version(n) for n in ("vllm", "transformers", "torch")}
    problems = package_problems(versions, lambda n: list(metadata.requires(n) or []))
    assert problems == []


def test_gradient_checkpointing_uses_the_installed_transformers_name(monkeypatch) -> None:
    """transformers 5.17 (the GPU set's) has no `activation_checkpointing` field."""
    import dataclasses

    from toolzero.training import trainer

    names = {f.name for f in dataclasses.fields(trainer.GRPOConfig)}
    assert trainer.checkpointing_field() in names

    @dataclasses.dataclass
    class OldConfig:  # the 5.17 shape: only the old name
        gradient_checkpointing: bool = False

    monkeypatch.setattr(trainer, "GRPOConfig", OldConfig)
    assert trainer.checkpointing_field() == "gradient_checkpointing"
