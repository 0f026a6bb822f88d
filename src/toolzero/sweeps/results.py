"""The values a sweep report compares, read from the sweep's run folders.

`load_results(DIR)` reads `DIR/sweep.json` (the points and their run folders), keeps the
runs that finished training and evaluation, and takes from each: the held-out evaluation
metrics (dotted keys of `eval-after/summary.json`'s benchmarks, e.g.
`synthetic.exact_match`) and each training reward at the end of training as a share of
the range in force (`reports.runs.RunData.share_of_range`, mean of the last logged steps
as `reports.runs.start_end` takes them); a reward whose runs logged no range is taken raw
and labelled so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolzero import run_folder
from toolzero.reports.markdown import flat_numbers, result_numbers
from toolzero.reports.runs import RunData, load_run, start_end
from toolzero.sweeps.spec import MANIFEST_FILE
from toolzero.user_files import BadInputError, MissingInputError, json_document, require_dir

RAW = " (raw)"  # the label suffix of a training reward shown without a range


@dataclass
class PointRuns:
    name: str
    settings: dict[str, Any]
    runs: dict[int, RunData] = field(default_factory=dict)  # seed -> its training run
    summaries: dict[int, dict[str, Any]] = field(default_factory=dict)  # seed -> evaluation
    missing: list[int] = field(default_factory=list)  # seeds with no finished run


@dataclass
class SweepResults:
    directory: Path
    points: list[PointRuns]
    evaluation: list[str]  # metric names, in order
    training: list[str]  # reward components (labels end in RAW where no range was logged)
    values: dict[str, dict[str, dict[int, float]]]  # point -> metric -> seed -> value
    wall: dict[str, dict[int, float]]  # point -> seed -> training wall time (s)
    baseline: str | None = None
    description: str = ""


def load_results(directory: str | Path, baseline: str | None = None) -> SweepResults:
    """Every finished run of the sweep in `directory` and the values of its metrics."""
    folder = require_dir(directory, "sweep folder", "give the output_dir of a `toolzero sweep`")
    path = folder / MANIFEST_FILE
    if not path.is_file():
        raise MissingInputError(
            f"{folder}: no {MANIFEST_FILE}; give the output_dir of a `toolzero sweep` run"
        )
    manifest = json_document(path.read_text(encoding="utf-8"), path)
    points = [_load_point(p) for p in manifest["points"]]
    names = [p.name for p in points]
    baseline = baseline or manifest.get("baseline")
    if baseline is not None and baseline not in names:
        raise BadInputError(f"--baseline {baseline}: not a point of this sweep; one of: {', '.join(names)}")
    metrics = manifest.get("metrics") or {}
    evaluation = metrics.get("evaluation") or _default_evaluation(points)
    training = metrics.get("training") or _default_training(points)
    labels = [_training_label(points, name) for name in training]
    values: dict[str, dict[str, dict[int, float]]] = {}
    for point in points:
        values[point.name] = {}
        for name in evaluation:
            values[point.name][name] = _evaluation_values(point, name)
        for name, label in zip(training, labels, strict=True):
            values[point.name][label] = _training_values(point, name, label.endswith(RAW))
    wall = {
        p.name: {s: float(r.status["wall_s"]) for s, r in p.runs.items() if "wall_s" in r.status}
        for p in points
    }
    return SweepResults(
        folder, points, evaluation, labels, values, wall, baseline, manifest.get("description", "")
    )


def _load_point(entry: dict[str, Any]) -> PointRuns:
    point = PointRuns(entry["name"], entry.get("settings") or {})
    for seed_text, run_dir in entry["runs"].items():
        seed = int(seed_text)
        summary = run_folder.summary_path(run_folder.evaluation_dir(run_dir, "after"))
        finished = run_folder.read_status(run_dir).get("status") == "finished"
        if not (finished and summary.is_file()):
            point.missing.append(seed)
            continue
        point.runs[seed] = load_run(run_dir)
        point.summaries[seed] = json.loads(summary.read_text(encoding="utf-8"))
    return point


def _default_evaluation(points: list[PointRuns]) -> list[str]:
    for point in points:
        for summary in point.summaries.values():
            flat = result_numbers(summary.get("benchmarks", {}))
            return [k for k in flat if ".by_shape." not in k]
    return []


def _default_training(points: list[PointRuns]) -> list[str]:
    names: list[str] = []
    for point in points:
        for run in point.runs.values():
            names += [n for n in run.reward_components() if n not in names]
    return [n for n in names if n != "total"] + (["total"] if "total" in names else [])


def _training_label(points: list[PointRuns], name: str) -> str:
    """The component's name; with RAW appended where no run logged its range."""
    ranged = any(run.share_of_range(name)[0] for p in points for run in p.runs.values())
    return name if ranged else name + RAW


def _evaluation_values(point: PointRuns, name: str) -> dict[int, float]:
    out = {}
    for seed, summary in point.summaries.items():
        value = flat_numbers(summary.get("benchmarks", {})).get(name)
        if value is not None:
            out[seed] = float(value)
    return out


def _training_values(point: PointRuns, name: str, raw: bool) -> dict[int, float]:
    """Each seed's value at the end of training (mean of the last logged steps)."""
    out = {}
    for seed, run in point.runs.items():
        series = run.series(f"{run_folder.REWARD_PREFIX}{name}")[1] if raw else run.share_of_range(name)[1]
        if series:
            out[seed] = start_end(series)[1]
    return out
