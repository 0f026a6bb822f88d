"""The quickstart pipeline end to end on the tiny model: evaluate, train, evaluate, report."""

from __future__ import annotations

import json
from pathlib import Path

from toolzero.quickstart import run_quickstart

from .conftest import QUICKSTART, tiny_overrides


def test_quickstart_writes_evaluations_metrics_and_report(tiny_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "quick"
    overrides = [
        *tiny_overrides(tiny_model, out),
        "evaluation.limit=2",
        "evaluation.max_new_tokens=8",
    ]
    report = run_quickstart(QUICKSTART, overrides)
    assert report == out / "report.md"
    evaluation = json.loads((out / "evaluation.json").read_text())
    for when in ("before", "after"):
        synthetic = evaluation[when]["benchmarks"]["synthetic"]
        assert synthetic["n"] == 2 and synthetic["split"] == "heldout"
        # answers end where training ends them: at the recipe's stop strings, kept
        manifest = json.loads((out / f"eval-{when}" / "manifest.json").read_text())
        assert manifest["stop"] == ["</tool_call>", "</response>"] and manifest["keep_stop"]
    text = report.read_text()
    assert "## Evaluation before and after training" in text
    assert "| synthetic.exact_match (%) |" in text and "| synthetic.right_tools (%) |" in text
    assert "| synthetic.reward_components.correctness (toolrl) |" in text
    assert "| quick | format |" in text and "(plots/reward_format.png)" in text
    status = json.loads((out / "run.json").read_text())
    assert status["quickstart_wall_s"] > 0 and status["quickstart_peak_rss_mb"] > 0
    # training's CPU time is written, and the report shows it
    assert 0 < status["cpu_s"] <= status["quickstart_cpu_s"]
    assert f"- training CPU time, user + system (s): {status['cpu_s']}" in text
