"""Read a run folder for reporting: its metrics rows, recipe, status and evaluations.

Plain Python and YAML: reports never import the trainer. A run is whatever folder holds a
metrics file; everything else (the recipe, the status, the quickstart's evaluations) is
optional and shown when present. `toolzero.run_folder` names the files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from toolzero import run_folder
from toolzero.run_folder import REWARD_PREFIX, SCHEDULE_PREFIX
from toolzero.user_files import MissingInputError


@dataclass
class RunData:
    name: str
    path: Path
    rows: list[dict[str, Any]]
    recipe: dict[str, Any] = field(default_factory=dict)
    status: dict[str, Any] = field(default_factory=dict)
    evaluation: dict[str, Any] = field(default_factory=dict)  # {"before": {...}, "after": {...}}
    # samples.jsonl rows of the first and the last step it holds: {step: rows}
    samples: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    def reward_components(self) -> list[str]:
        """Component names in first-seen order, `total` last."""
        names: list[str] = []
        for row in self.rows:
            for key in row:
                name = key.removeprefix(REWARD_PREFIX)
                if name != key and name not in names:
                    names.append(name)
        return [n for n in names if n != "total"] + (["total"] if "total" in names else [])

    def series(self, key: str) -> tuple[list[int], list[float]]:
        """(steps, values) of one metric, skipping rows without it."""
        points = [(r["step"], r[key]) for r in self.rows if isinstance(r.get(key), int | float)]
        return [p[0] for p in points], [float(p[1]) for p in points]

    def share_of_range(self, name: str) -> tuple[list[int], list[float]]:
        """(steps, shares) of a component's mean within the range in force at each step.

        With a dynamic schedule the raw mean moves with the range itself (ToolRL's format
        maximum falls from 2 to 1 while the model gets better): `(mean - low) / (high -
        low)` from the logged `schedule/NAME.low` and `.high` is what compares start and
        end. Empty when the run did not log the range.
        """
        points = []
        for row in self.rows:
            value = row.get(f"{REWARD_PREFIX}{name}")
            low = row.get(f"{SCHEDULE_PREFIX}{name}.low")
            high = row.get(f"{SCHEDULE_PREFIX}{name}.high")
            numbers = all(isinstance(v, int | float) for v in (value, low, high))
            if numbers and high > low:
                points.append((row["step"], (float(value) - low) / (high - low)))
        return [p[0] for p in points], [p[1] for p in points]

    def keys_with_prefix(self, prefix: str) -> list[str]:
        seen: list[str] = []
        for row in self.rows:
            seen += [k for k in row if k.startswith(prefix) and k not in seen]
        return seen


def load_run(path: str | Path) -> RunData:
    """A run folder's data; a folder without a metrics file is an error naming the fix."""
    path = Path(path)
    metrics = run_folder.metrics_path(path)
    if not metrics.exists():
        raise MissingInputError(
            f"{path}: no {metrics.name}; give a run folder written by `toolzero train`"
        )
    return RunData(
        name=path.name,
        path=path,
        rows=run_folder.read_metrics(metrics),
        recipe=_read_yaml(run_folder.recipe_path(path)),
        status=run_folder.read_status(path),
        evaluation=run_folder.read_evaluation(path),
        samples=first_and_last_samples(run_folder.samples_path(path)),
    )


def first_and_last_samples(path: Path) -> dict[int, list[dict[str, Any]]]:
    """The rows of the first and the last step in a samples file (empty when absent).

    Read line by line, keeping two steps: a long run's file can be large."""
    if not path.exists():
        return {}
    first: list[dict[str, Any]] = []
    last: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn last line (a killed run)
            if not is_sample_row(row):
                continue
            step = row["step"]
            if not first or step == first[0]["step"]:
                first.append(row)
            elif last and step == last[0]["step"]:
                last.append(row)
            else:
                last = [row]
    out = {first[0]["step"]: first} if first else {}
    if last:
        out[last[0]["step"]] = last
    return out


def is_sample_row(row: Any) -> bool:
    """A row as `training.samples_file.sample_rows` writes it: an int step, text prompt
    and completion, a {component: number or null} rewards object."""
    return (
        isinstance(row, dict)
        and isinstance(row.get("step"), int)
        and isinstance(row.get("prompt"), str)
        and isinstance(row.get("completion"), str)
        and isinstance(row.get("rewards"), dict)
        and all(v is None or isinstance(v, int | float) for v in row["rewards"].values())
    )


def start_end(values: list[float], window: int | None = None) -> tuple[float, float]:
    """Mean of the first and of the last `window` values (default: a quarter, 1 to 3).

    >>> start_end([0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0])
    (0.0, 2.0)
    """
    if not values:
        return float("nan"), float("nan")
    k = window or max(1, min(3, len(values) // 4))
    return sum(values[:k]) / k, sum(values[-k:]) / k


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}
