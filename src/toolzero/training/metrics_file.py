"""From TRL's log dictionary to a `metrics.jsonl` row (`toolzero.run_folder.MetricsRow`).

TRL logs ~40 keys per step under its own names (`reward`, `completions/mean_length`,
`rewards/<name>/mean` and `/std`...); `metrics_row` keeps the ones a run is read by and
gives them the stable names of `MetricsRow`:

    step, epoch, time_s, step_time_s, tokens_per_s, num_tokens,
    rewards/<component>, rewards/total, reward_std, frac_reward_zero_std,
    schedule/<name>   (the reward ranges/weights in force at that step),
    kl, entropy, loss, grad_norm, learning_rate, clip_ratio,
    completion_length/mean|min|max, clipped_ratio,
    env/<name>        (multi-turn episodes: turns, calls, outcome... see training.rollout)

Plain Python (no torch, no transformers). Reading, appending and truncating the file are
`toolzero.run_folder`'s.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from toolzero.run_folder import read_metrics

RENAMES = {
    "reward": "rewards/total",
    "completions/mean_length": "completion_length/mean",
    "completions/min_length": "completion_length/min",
    "completions/max_length": "completion_length/max",
    "completions/clipped_ratio": "clipped_ratio",
    "clip_ratio/region_mean": "clip_ratio",
    "step_time": "step_time_s",
}
KEPT = (
    "reward_std",
    "frac_reward_zero_std",
    "kl",
    "entropy",
    "loss",
    "grad_norm",
    "learning_rate",
    "epoch",
    "num_tokens",
)


def metrics_row(
    logs: dict[str, Any], step: int, schedule: dict[str, float], elapsed: float
) -> dict[str, Any]:
    """Flatten one TRL log dictionary into a metrics row.

    >>> row = metrics_row({"rewards/format/mean": 0.5, "rewards/format/std": 0.1,
    ...                    "reward": 0.5, "kl": 0.0}, 3, {"format_max": 1.0}, 12.0)
    >>> row["step"], row["rewards/format"], row["rewards/total"], row["schedule/format_max"]
    (3, 0.5, 0.5, 1.0)
    """
    row: dict[str, Any] = {"step": step, "time_s": round(elapsed, 3)}
    for key, value in logs.items():
        if not isinstance(value, int | float) or isinstance(value, bool):
            continue
        if key.startswith("rewards/") and key.endswith("/mean"):
            row["rewards/" + key[len("rewards/") : -len("/mean")]] = value
        elif key.startswith(("schedule/", "timing/", "env/")):
            row[key] = value
        elif key in RENAMES:
            row[RENAMES[key]] = value
        elif key in KEPT:
            row[key] = value
    for name, value in schedule.items():
        row[f"schedule/{name}"] = value  # exact; the logged copy went through float32
    return row


def numeric_items(logs: dict[str, Any]) -> dict[str, float]:
    return {
        k: v
        for k, v in logs.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    }


def last_elapsed(path: Path) -> float:
    """`time_s` of a metrics file's last row: a resumed run's clock continues from it."""
    rows = read_metrics(path)
    return float(rows[-1].get("time_s", 0.0)) if rows else 0.0
