"""The sweep report on hand-made run folders: each number checked against its definition
(mean over seeds, Student t interval, paired difference, share of the range in force)."""

from __future__ import annotations

import csv
import json
import statistics
from pathlib import Path

import pytest
from scipy import stats

from toolzero import run_folder
from toolzero.cli import main
from toolzero.sweeps import write_sweep_report
from toolzero.user_files import BadInputError

EXACT = {"a": {0: 0.25, 1: 0.5, 2: 0.375}, "b": {0: 0.5, 1: 0.625, 2: 0.5}}
# The last logged format reward of each run; its range in force at the end is [0, 2].
FORMAT_END = {"a": {0: 1.0, 1: 1.5, 2: 0.5}, "b": {0: 2.0, 1: 1.0, 2: 1.0}}


def make_run(run_dir: Path, exact: float, format_end: float, finished: bool = True) -> None:
    run_dir.mkdir(parents=True)
    metrics = run_folder.metrics_path(run_dir)
    for step, value in ((1, 0.0), (2, 0.5), (3, 1.0), (4, format_end)):
        high = 4.0 if step < 4 else 2.0  # a dynamic range: the raw value alone misleads
        run_folder.append_metrics_row(metrics, {
            "step": step, "rewards/format": value, "schedule/format.low": 0.0,
            "schedule/format.high": high, "rewards/length": 0.1 * step, "rewards/total": value,
        })
    run_folder.update_status(run_dir, status="finished" if finished else "running", wall_s=100.0)
    eval_dir = run_folder.evaluation_dir(run_dir, "after")
    eval_dir.mkdir()
    summary = {"benchmarks": {"synthetic": {"n": 8, "exact_match": exact}}}
    run_folder.summary_path(eval_dir).write_text(json.dumps(summary))


@pytest.fixture
def sweep_dir(tmp_path: Path) -> Path:
    points = []
    for name in ("a", "b"):
        runs = {}
        for seed in (0, 1, 2):
            run_dir = tmp_path / name / f"seed-{seed}"
            make_run(run_dir, EXACT[name][seed], FORMAT_END[name][seed], finished=(name, seed) != ("b", 2))
            runs[str(seed)] = str(run_dir)
        points.append({"name": name, "settings": {"reward.preset": name}, "runs": runs})
    manifest = {"points": points, "seeds": [0, 1, 2], "baseline": "a", "metrics": {}}
    (tmp_path / "sweep.json").write_text(json.dumps(manifest))
    return tmp_path


def summary_rows(folder: Path) -> dict[tuple[str, str], dict[str, str]]:
    with (folder / "summary.csv").open() as f:
        return {(r["point"], r["metric"]): r for r in csv.DictReader(f)}


def test_means_intervals_and_paired_differences(sweep_dir: Path) -> None:
    report = write_sweep_report(sweep_dir)
    rows = summary_rows(sweep_dir)
    a = list(EXACT["a"].values())
    row = rows[("a", "synthetic.exact_match")]
    low, high = stats.t.interval(0.95, 2, loc=statistics.fmean(a), scale=stats.sem(a))
    assert float(row["mean"]) == pytest.approx(0.375) and row["seeds"] == "3"
    assert (float(row["ci_low"]), float(row["ci_high"])) == (pytest.approx(low), pytest.approx(high))
    # b's seed 2 is unfinished: two seeds, and two pairs against a
    b = rows[("b", "synthetic.exact_match")]
    assert float(b["mean"]) == pytest.approx(0.5625) and b["seeds"] == "2"
    diffs = [0.5 - 0.25, 0.625 - 0.5]
    low, high = stats.t.interval(0.95, 1, loc=statistics.fmean(diffs), scale=stats.sem(diffs))
    assert float(b["diff_mean"]) == pytest.approx(0.1875) and b["pairs"] == "2"
    assert (float(b["diff_low"]), float(b["diff_high"])) == (pytest.approx(low), pytest.approx(high))
    text = report.read_text()
    assert "- **b**: seeds [2] not finished" in text
    assert text.index("## Held-out evaluation") < text.index("## Training rewards")


def test_training_rewards_are_shares_of_the_range_in_force(sweep_dir: Path) -> None:
    write_sweep_report(sweep_dir)
    rows = summary_rows(sweep_dir)
    # the last step's format reward over its range [0, 2] (not the raw value, not [0, 4])
    shares = [FORMAT_END["a"][s] / 2.0 for s in (0, 1, 2)]
    assert float(rows[("a", "format")]["mean"]) == pytest.approx(statistics.fmean(shares))
    # no range logged: the raw value, and the label says so
    assert float(rows[("a", "length (raw)")]["mean"]) == pytest.approx(0.4)
    assert ("a", "total (raw)") in rows and ("a", "length") not in rows
    assert (sweep_dir / "plots" / "sweep_format.png").is_file()


def test_per_run_csv(sweep_dir: Path) -> None:
    write_sweep_report(sweep_dir)
    with (sweep_dir / "results.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [(r["point"], r["seed"]) for r in rows] == [("a", "0"), ("a", "1"), ("a", "2"), ("b", "0"), ("b", "1")]
    assert [float(r["synthetic.exact_match"]) for r in rows] == [0.25, 0.5, 0.375, 0.5, 0.625]
    assert rows[0]["wall_s"] == "100.0"


def test_baseline_from_the_command_line(sweep_dir: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["sweep", "report", str(sweep_dir), "--baseline", "b"]) == 0
    assert capsys.readouterr().out.strip() == str(sweep_dir / "report.md")
    assert "## Differences against b, paired over seeds" in (sweep_dir / "report.md").read_text()
    with pytest.raises(BadInputError, match="--baseline c: not a point of this sweep; one of: a, b"):
        write_sweep_report(sweep_dir, "c")
