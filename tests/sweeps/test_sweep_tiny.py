"""A real sweep on the tiny model, 2 points x 2 seeds of 2 steps each: interrupted in the
middle of a point, then rerun: finished runs are not touched, the interrupted one resumes
from its checkpoint, and the report reads the four run folders."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from toolzero import run_folder
from toolzero.sweeps import launch, load_sweep, write_sweep_report

from .conftest import TINY_EVALUATION, tiny_settings, write_sweep


def files_of(run_dir: str) -> dict[Path, int]:
    """Every file of a run folder and its modification time (ns)."""
    return {p: p.stat().st_mtime_ns for p in Path(run_dir).rglob("*") if p.is_file()}


@pytest.mark.slow
def test_interrupted_sweep_resumes_without_redoing_finished_runs(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_sweep(
        tmp_path,
        overrides=tiny_settings(tiny_model),
        grid={"reward.preset": ["toolzero", "tool-n1"]},
        seeds=[0, 1],
        evaluation=TINY_EVALUATION,
        metrics={"evaluation": ["synthetic.format_valid", "synthetic.exact_match"]},
        baseline="preset-toolzero",
    )
    spec = load_sweep(path)
    jobs = list(spec.jobs())
    victim = jobs[2]  # preset-tool-n1 seed 0

    # Interrupt the third run when it logs step 2: checkpoint-1 is saved, step 2 is not.
    append = run_folder.append_metrics_row

    def interrupt(file: Path, row: dict) -> None:
        if str(file).startswith(victim.run_dir) and row.get("step") == 2:
            raise KeyboardInterrupt
        append(file, row)

    monkeypatch.setattr(run_folder, "append_metrics_row", interrupt)
    first: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        launch(spec, "local", echo=first.append)
    assert len(first) == 2 and "[2/4] preset-toolzero seed 1: trained and evaluated in" in first[1]
    assert "ETA" in first[1] and "for 2 more" in first[1]
    assert run_folder.read_status(victim.run_dir)["status"] == "running"
    assert run_folder.latest_checkpoint(victim.run_dir).name == "checkpoint-1"
    finished = {job.run_dir: files_of(job.run_dir) for job in jobs[:2]}

    monkeypatch.setattr(run_folder, "append_metrics_row", append)
    second: list[str] = []
    outcomes = launch(load_sweep(path), "local", echo=second.append)
    assert [o["state"] for o in outcomes] == ["done", "done", "resume", "fresh"]
    assert second[0] == "[1/4] preset-toolzero seed 0: already done, skipped"
    assert "[3/4] preset-tool-n1 seed 0: resumed, trained and evaluated in" in second[2]
    for run_dir, files in finished.items():  # not redone: not one file rewritten
        assert files_of(run_dir) == files
    status = run_folder.read_status(victim.run_dir)
    assert status["status"] == "finished"
    assert status["resumed_from"].endswith("checkpoint-1")
    assert [r["step"] for r in run_folder.read_metrics(run_folder.metrics_path(victim.run_dir))] == [1, 2]
    for job in jobs:
        summary = run_folder.summary_path(run_folder.evaluation_dir(job.run_dir, "after"))
        assert json.loads(summary.read_text())["benchmarks"]["synthetic"]["n"] == 2

    report = write_sweep_report(spec.output_dir)
    text = report.read_text()
    assert text.index("## Held-out evaluation after training") < text.index("## Training rewards")
    assert "## Differences against preset-toolzero, paired over seeds" in text
    assert (spec.output_dir / "plots" / "sweep_total.png").is_file()
    with (spec.output_dir / "results.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [(r["point"], r["seed"]) for r in rows] == [
        ("preset-toolzero", "0"), ("preset-toolzero", "1"), ("preset-tool-n1", "0"), ("preset-tool-n1", "1")
    ]
    for row, job in zip(rows, jobs, strict=True):
        summary = json.loads(
            run_folder.summary_path(run_folder.evaluation_dir(job.run_dir, "after")).read_text()
        )
        assert float(row["synthetic.exact_match"]) == summary["benchmarks"]["synthetic"]["exact_match"]
