"""metrics.jsonl rows: TRL's log names become the stable names of `MetricsRow`."""

from __future__ import annotations

from toolzero.run_folder import is_metrics_key
from toolzero.training.metrics_file import KEPT, RENAMES, metrics_row


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


def test_every_name_a_row_can_get_is_in_the_row_schema() -> None:
    """Readers (reports, benchmarks) look keys up in `MetricsRow`; nothing may fall outside."""
    for name in [*RENAMES.values(), *KEPT]:
        assert is_metrics_key(name), name
    logs = {key: 1.0 for key in [*RENAMES, *KEPT, "rewards/x/mean", "timing/a", "other"]}
    row = metrics_row(logs, step=1, schedule={"x.high": 1.0}, elapsed=0.0)
    assert all(is_metrics_key(k) for k in row) and "other" not in row
