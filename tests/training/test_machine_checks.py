"""Machine checks: a GPU recipe on a machine without usable CUDA fails before loading,
naming the cause, unless machine checks are skipped for a recipe meant for elsewhere."""

from __future__ import annotations

import importlib.util
import types

import pytest

from toolzero.cli import main
from toolzero.machine import CudaStatus
from toolzero.training import machine_checks
from toolzero.training.machine_checks import check_machine
from toolzero.training.recipe import load_recipe
from toolzero.training.recipe_checks import check_environment

from .conftest import QUICKSTART, REPO

GPU_RECIPE = REPO / "recipes" / "toolrl-grpo-qwen2.5-3b.yaml"


def status(**changes: object) -> CudaStatus:
    values = dict(
        available=False,
        torch_version="2.11.0+cu130",
        cuda_build="13.0",
        device_count=0,
        driver="580.159.03",
        visible_devices=None,
    )
    return CudaStatus(**{**values, **changes})


def recipe(*overrides: str):
    return load_recipe(QUICKSTART, list(overrides))


def cuda_problem(problems: list[str]) -> str:
    (line,) = [p for p in problems if "needs a CUDA GPU" in p]
    return line


def test_cpu_recipe_needs_no_cuda_and_asks_nothing() -> None:
    assert check_machine(recipe(), status=status()) == []


NO_CPU_BF16: list[str] = []  # an AVX2-only CPU (this project's AMD EPYC Zen 3)
CPU_BF16 = ["avx512_bf16"]  # e.g. AMD Zen 4 or Intel Cooper Lake and later


@pytest.mark.parametrize(
    ("changes", "cause"),
    [
        ({"cuda_build": None, "torch_version": "2.13.0+cpu"}, "torch 2.13.0+cpu is built without CUDA"),
        ({"visible_devices": ""}, "no device is visible (CUDA_VISIBLE_DEVICES='')"),
        ({"driver": None}, "no NVIDIA driver is loaded"),
        ({"driver": "575.57.08"}, "the NVIDIA driver 575.57.08 is too old for torch's CUDA 13.0 build (needs >= 580.65.06)"),
        ({}, "torch sees no CUDA device (driver 580.159.03"),
    ],
)  # fmt: skip
def test_a_gpu_setting_without_cuda_names_the_cause(changes: dict, cause: str) -> None:
    line = cuda_problem(check_machine(recipe("run.use_cpu=false"), status=status(**changes)))
    assert line.startswith("run.use_cpu=false: this recipe needs a CUDA GPU")
    assert cause in line
    assert "--skip-machine-checks" in line and "run.machine_checks=false" in line


def test_bf16_true_without_cuda_or_cpu_bf16_names_both_and_the_fix() -> None:
    (line,) = check_machine(
        recipe("grpo.bf16=true"), status=status(driver=None), cpu_bf16=NO_CPU_BF16
    )
    assert line.startswith("grpo.bf16: true needs a CUDA GPU or a CPU with AVX-512 BF16 or AMX")
    assert "no NVIDIA driver is loaded" in line  # why no GPU
    assert "no AVX-512 BF16 or AMX-BF16 instructions" in line  # why not this CPU
    assert "set grpo.bf16=auto (fp32 here) or false" in line and "--skip-machine-checks" in line


def test_bf16_true_runs_on_a_cpu_with_native_bf16() -> None:
    """CPU bf16 is legitimate where the CPU multiplies bf16 natively."""
    assert check_machine(recipe("grpo.bf16=true"), status=status(), cpu_bf16=CPU_BF16) == []
    r = recipe("grpo.bf16=true", "run.use_cpu=true")
    assert check_machine(r, status=status(), cpu_bf16=["amx_bf16"]) == []


@pytest.mark.parametrize("setting", ["auto", "false"])
def test_bf16_auto_and_false_ask_nothing_of_the_machine(setting: str) -> None:
    """auto falls back to fp32 where bf16 would be slow; nothing to refuse."""
    r = recipe(f"grpo.bf16={setting}")
    assert check_machine(r, status=status(driver=None), cpu_bf16=NO_CPU_BF16) == []


def test_a_cuda_12_build_on_a_new_enough_driver_is_not_called_too_old() -> None:
    line = cuda_problem(
        check_machine(recipe("run.use_cpu=false"), status=status(cuda_build="12.8", driver="550.1"))
    )
    assert "too old" not in line  # 550 >= 525.60.13, CUDA 12's minimum


def test_every_gpu_setting_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(machine_checks, "check_packages", lambda r: [])
    r = recipe("grpo.bf16=false", "grpo.use_vllm=true", "grpo.extra={fp16: true}", "model.dtype=float16")
    line = cuda_problem(check_machine(r, status=status()))
    assert line.startswith("grpo.extra.fp16, grpo.use_vllm, model.dtype=float16:")


def test_available_cuda_passes() -> None:
    gpu = status(available=True, device_count=1)
    assert check_machine(recipe("grpo.bf16=true"), status=gpu, cpu_bf16=NO_CPU_BF16) == []


def test_use_cpu_true_with_bf16_on_a_cpu_without_it_is_a_conflict_not_a_silent_drop() -> None:
    r = recipe("grpo.bf16=true", "run.use_cpu=true")
    (problem,) = check_machine(r, status=status(), cpu_bf16=NO_CPU_BF16)
    assert problem.startswith("grpo.bf16: true, but run.use_cpu is true and this CPU has no AVX-512")
    assert problem.endswith("set grpo.bf16=auto (fp32 here) or false")


def test_use_cpu_true_with_a_gpu_setting_is_a_conflict() -> None:
    problems = check_machine(recipe("model.dtype=float16", "run.use_cpu=true"), status=status())
    assert problems == [
        "model.dtype=float16: needs a CUDA GPU but run.use_cpu is true; drop one of the two"
    ]


def test_use_cpu_false_demands_a_gpu() -> None:
    line = cuda_problem(check_machine(recipe("run.use_cpu=false"), status=status(driver=None)))
    assert line.startswith("run.use_cpu=false: this recipe needs a CUDA GPU")


def test_skipping_machine_checks_skips_them() -> None:
    r = recipe("grpo.bf16=true", "run.use_cpu=false", "run.machine_checks=false")
    assert check_machine(r, status=status(), cpu_bf16=NO_CPU_BF16) == []


def test_missing_vllm_and_deepspeed_are_machine_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        machine_checks.importlib.util,
        "find_spec",
        lambda name, *a: None if name in ("vllm", "deepspeed") else real(name, *a),
    )
    r = recipe("grpo.use_vllm=true", f"grpo.deepspeed={GPU_RECIPE}")
    problems = check_machine(r, status=status(available=True, device_count=1))
    assert [p.split(":")[0] for p in problems] == ["grpo.use_vllm", "grpo.deepspeed"]


def test_report_to_needs_its_package(monkeypatch: pytest.MonkeyPatch) -> None:
    from toolzero.training import recipe_checks

    real = importlib.util.find_spec
    monkeypatch.setattr(
        recipe_checks.importlib.util,
        "find_spec",
        lambda name, *a: None if name in ("tensorboard", "tensorboardX", "wandb") else real(name, *a),
    )
    problems = check_environment(recipe("run.report_to=[none, tensorboard, wandb]"))
    assert problems[0].startswith("run.report_to: 'tensorboard' needs the tensorboard package;")
    assert problems[1].startswith("run.report_to: 'wandb' needs the wandb package;")
    assert len(problems) == 2  # "none" needs nothing
    assert check_environment(recipe("run.report_to=[tensorboard]", "run.machine_checks=false")) == []


def test_report_to_passes_when_the_package_is_there(monkeypatch: pytest.MonkeyPatch) -> None:
    from toolzero.training import recipe_checks

    real = importlib.util.find_spec
    fake = types.SimpleNamespace(name="tensorboard")
    monkeypatch.setattr(
        recipe_checks.importlib.util,
        "find_spec",
        lambda name, *a: fake if name == "tensorboard" else real(name, *a),
    )
    assert check_environment(recipe("run.report_to=[tensorboard]")) == []


@pytest.mark.slow  # imports trl (grpo.extra is checked against GRPOConfig)
def test_cli_dry_run_of_a_gpu_recipe_on_this_machine_says_which_check_and_how_to_skip(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setattr(machine_checks, "cuda_status", lambda: status(driver=None))
    monkeypatch.setattr(machine_checks, "cpu_fast_bf16", lambda: NO_CPU_BF16)
    args = ["train", "--config", str(GPU_RECIPE), "--dry-run", "data.train=synthetic"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "grpo.use_vllm: this recipe needs a CUDA GPU, but no NVIDIA driver" in err
    assert "--skip-machine-checks" in err
    assert main([*args, "--skip-machine-checks"]) == 0
