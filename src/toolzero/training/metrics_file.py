"""The `metrics.jsonl` file: the row format, reading, appending and truncating.

One row per logged training step with stable names:

    step, epoch, time_s, step_time_s, tokens_per_s,
    rewards/<component>, rewards/total, reward_std, frac_reward_zero_std,
    schedule/<name>   (the reward ranges/weights in force at that step),
    kl, entropy, loss, grad_norm, learning_rate, clip_ratio,
    completion_length/mean|min|max, clipped_ratio

Plain Python (no torch, no transformers) so that reports read runs without the trainer.
Rows are appended and flushed one at a time, so a killed run keeps every step it logged,
and a torn last line is skipped on reading.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

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
        elif key.startswith(("schedule/", "timing/")):
            row[key] = value
        elif key in RENAMES:
            row[RENAMES[key]] = value
        elif key in KEPT:
            row[key] = value
    for name, value in schedule.items():
        row[f"schedule/{name}"] = value  # exact; the logged copy went through float32
    return row


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a metrics file; a torn last line (a killed run) is skipped."""
    rows = []
    path = Path(path)
    if not path.exists():
        return rows
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def truncate_metrics(run_dir: str | Path, last_step: int) -> int:
    """Keep only rows with step <= last_step (a resume restarts there). Returns rows kept."""
    for name in ("metrics.jsonl", "eval_metrics.jsonl"):
        path = Path(run_dir) / name
        if not path.exists():
            continue
        rows = [r for r in read_metrics(path) if r.get("step", 0) <= last_step]
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        tmp.replace(path)
    return len(read_metrics(Path(run_dir) / "metrics.jsonl"))


def append_row(path: Path, row: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")
        f.flush()


def numeric_items(logs: dict[str, Any]) -> dict[str, float]:
    return {
        k: v
        for k, v in logs.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    }


def last_elapsed(path: Path) -> float:
    rows = read_metrics(path)
    return float(rows[-1].get("time_s", 0.0)) if rows else 0.0
