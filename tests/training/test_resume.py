"""Resume after SIGKILL: a killed run continues from its last checkpoint with
`toolzero train --resume RUN_DIR` and ends exactly where an uninterrupted run ends.

Sampling is seeded and transformers restores the RNG, optimizer, scheduler and data
position from the checkpoint, so every step's rewards, lengths and schedule values after
the resume must equal those of the uninterrupted run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from toolzero.run_folder import read_metrics

from .conftest import QUICKSTART, tiny_overrides

STEPS = 6
# The killed run sleeps after each step so that the kill lands mid-run, not after it.
SLOW_DRIVER = """
import sys, time
from toolzero.training.metrics import MetricsWriter
MetricsWriter.on_step_end = lambda self, *a, **k: time.sleep(0.7)
from toolzero.cli import main
sys.exit(main(sys.argv[1:]))
"""
COMPARED = (
    "rewards/total",
    "rewards/format",
    "rewards/correctness",
    "completion_length/mean",
    "loss",
)


def cli(args: list[str], driver: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    code = driver or "import sys; from toolzero.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_checkpoint(
    proc: subprocess.Popen, run_dir: Path, step: int, timeout: float = 120
) -> None:
    state = run_dir / "checkpoints" / f"checkpoint-{step}" / "trainer_state.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if state.exists() and proc.poll() is None:
            return
        if proc.poll() is not None:
            pytest.fail(f"run ended before checkpoint-{step}:\n{proc.stdout.read()[-3000:]}")
        time.sleep(0.05)
    proc.kill()
    pytest.fail(f"no checkpoint-{step} after {timeout} s")


@pytest.mark.slow
def test_sigkill_then_resume_matches_an_uninterrupted_run(tiny_model: Path, tmp_path: Path) -> None:
    extra = {"grpo.max_steps": STEPS, "run.save_steps": 2, "grpo.max_completion_length": 12}
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    reference = cli(
        ["train", "--config", str(QUICKSTART), *tiny_overrides(tiny_model, whole, **extra)]
    )

    victim = cli(
        ["train", "--config", str(QUICKSTART), *tiny_overrides(tiny_model, killed, **extra)],
        SLOW_DRIVER,
    )
    wait_for_checkpoint(victim, killed, 2)
    time.sleep(0.3)  # somewhere inside step 3
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL
    assert json.loads((killed / "run.json").read_text())["status"] == "running"
    logged = [r["step"] for r in read_metrics(killed / "metrics.jsonl")]
    assert logged[:2] == [1, 2] and logged[-1] < STEPS

    resumed = cli(["train", "--resume", str(killed)])
    out, _ = resumed.communicate(timeout=180)
    assert resumed.returncode == 0, out[-3000:]
    ref_out, _ = reference.communicate(timeout=180)
    assert reference.returncode == 0, ref_out[-3000:]

    status = json.loads((killed / "run.json").read_text())
    assert status["status"] == "finished" and status["resumed_from"].endswith("checkpoint-2")
    got, want = read_metrics(killed / "metrics.jsonl"), read_metrics(whole / "metrics.jsonl")
    assert [r["step"] for r in got] == list(range(1, STEPS + 1))  # no step lost or doubled
    for g, w in zip(got, want, strict=True):
        for key in [*COMPARED, *(k for k in w if k.startswith("schedule/"))]:
            assert g.get(key) == pytest.approx(w.get(key), rel=1e-4, abs=1e-6), (g["step"], key)
    # samples.jsonl too: the steps redone after the checkpoint replace what the kill left.
    got_samples, want_samples = read_metrics(killed / "samples.jsonl"), read_metrics(
        whole / "samples.jsonl"
    )
    assert [s["step"] for s in got_samples] == [s["step"] for s in want_samples]
    assert [s["completion"] for s in got_samples] == [s["completion"] for s in want_samples]


@pytest.mark.slow
def test_a_killed_quickstart_resumes_without_redoing_finished_work(
    tiny_model: Path, tmp_path: Path
) -> None:
    """`toolzero quickstart --resume RUN_DIR` after SIGKILL in training: the base model's
    evaluation answers are kept, training goes on from the checkpoint with no step lost or
    doubled, and the after evaluation and the report follow. Starting the same quickstart
    again over the folder is refused before the model loads, naming --resume."""
    out = tmp_path / "quick"
    extra = {"grpo.max_steps": 4, "run.save_steps": 2}
    args = [
        "quickstart",
        "--config",
        str(QUICKSTART),
        *tiny_overrides(tiny_model, out, **extra),
        "evaluation.limit=2",
        "evaluation.max_new_tokens=8",
        "evaluation.unfamiliar=null",
    ]
    victim = cli(args, SLOW_DRIVER)
    wait_for_checkpoint(victim, out, 2, timeout=600)  # the base model is evaluated first
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    answers = out / "eval-before" / "synthetic" / "items.jsonl"
    kept = answers.read_bytes()
    assert len(kept.splitlines()) == 2
    assert not (out / "report.md").exists()

    again = cli(args)
    text, _ = again.communicate(timeout=120)
    assert again.returncode == 2, text[-3000:]
    assert f"toolzero quickstart --resume {out}" in text and "loading" not in text

    resumed = cli(["quickstart", "--resume", str(out)])
    text, _ = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, text[-3000:]
    status = json.loads((out / "run.json").read_text())
    assert status["status"] == "finished" and status["resumed_from"].endswith("checkpoint-2")
    assert [r["step"] for r in read_metrics(out / "metrics.jsonl")] == [1, 2, 3, 4]
    assert answers.read_bytes() == kept  # not generated again
    evaluation = json.loads((out / "evaluation.json").read_text())
    assert evaluation["after"]["benchmarks"]["synthetic"]["n"] == 2
    assert "| metric | before | after | change |" in (out / "report.md").read_text()


def test_resume_of_a_folder_without_recipe_names_the_problem(tmp_path: Path) -> None:
    proc = cli(["train", "--resume", str(tmp_path)])
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "file not found" in out and "recipe.yaml" in out
