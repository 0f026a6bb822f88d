"""metrics.jsonl rows: names, torn lines, truncation on resume."""

from __future__ import annotations

import json
from pathlib import Path

from toolzero.training.metrics_file import metrics_row, read_metrics, truncate_metrics


def test_row_names_are_stable() -> None:
    logs = {
        "rewards/format/mean": 0.5,
        "rewards/format/std": 0.2,
        "rewards/correctness/mean": -1.0,
        "reward": -0.5,
        "kl": 0.01,
        "entropy": 2.0,
        "completions/mean_length": 30.0,
        "step_time": 4.0,
        "schedule/format.high": 1.9,
        "timing/generate_s": 1.5,
        "learning_rate": 1e-4,
        "train_flag": True,
        "note": "text",
    }
    row = metrics_row(logs, step=3, schedule={"format.high": 1.875}, elapsed=10.0)
    assert row == {
        "step": 3,
        "time_s": 10.0,
        "rewards/format": 0.5,
        "rewards/correctness": -1.0,
        "rewards/total": -0.5,
        "kl": 0.01,
        "entropy": 2.0,
        "completion_length/mean": 30.0,
        "step_time_s": 4.0,
        "schedule/format.high": 1.875,  # the exact value wins over the float32 log
        "timing/generate_s": 1.5,
        "learning_rate": 1e-4,
    }


def test_torn_last_line_is_skipped_and_truncation_keeps_earlier_steps(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    rows = [{"step": s, "rewards/total": float(s)} for s in (1, 2, 3, 4)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"step": 5, "rew')
    assert [r["step"] for r in read_metrics(path)] == [1, 2, 3, 4]
    assert truncate_metrics(tmp_path, 2) == 2
    assert read_metrics(path) == rows[:2]
    assert read_metrics(tmp_path / "absent.jsonl") == []
