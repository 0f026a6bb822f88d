"""The sweep file: a base recipe, the axes to vary, seeds, the evaluation after each point
and the metrics to compare; read, expanded into points and validated before anything runs.

    spec = load_sweep("recipes/sweeps/presets-cpu.yaml")
    for job in spec.jobs(): print(job.point, job.seed, job.run_dir)

The file (every key but `base` optional; see docs/sweeps.md):

    base: ../quickstart.yaml          # the base recipe, relative to this file
    overrides: {grpo.max_steps: 12}   # recipe settings for every point
    grid: {reward.preset: [toolzero, toolrl, tool-n1]}   # every combination of values
    zip: {grpo.learning_rate: [1.0e-4, 2.0e-4], grpo.temperature: [0.8, 1.0]}  # paired
    seeds: [0, 1]                     # run.seed of each point's runs
    output_dir: runs/sweeps/presets-cpu
    evaluation: {benches: [synthetic], limit: 32}   # the recipe's `evaluation` section
    metrics: {evaluation: [synthetic.exact_match], training: [format, correctness]}
    baseline: preset-toolzero         # paired differences against this point
    slurm: {timeout_min: 600, gpus_per_node: 1, slurm_partition: gpu}   # submitit's
    launch: accelerate launch --config_file recipes/launch/zero3.yaml -m toolzero
                                      # how slurm/print start training (default: toolzero)

A point is one combination of grid values and one zip row; it is trained once per seed,
each run an ordinary run folder `OUTPUT_DIR/POINT/seed-S`. A point is named after the
values that vary (`preset-toolrl_temperature-0.8`), so its folder is stable across reruns.
Validation builds every point's recipe (`recipe_from_dict`, with the same checks as
`toolzero train --dry-run`, machine checks as each recipe says) and reports every problem
of the file and of every point at once, as a `SweepError`.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from toolzero.errors import ConfigError
from toolzero.sweeps.checks import check_points, unknown
from toolzero.training.recipe import SECTION_TYPES, Recipe, apply_overrides, recipe_from_dict
from toolzero.user_files import read_text, yaml_problem

TOP_KEYS = (
    "description",
    "base",
    "overrides",
    "grid",
    "zip",
    "seeds",
    "output_dir",
    "evaluation",
    "metrics",
    "baseline",
    "slurm",
    "launch",
)
METRIC_KINDS = ("evaluation", "training")
# Set by the sweep itself, never by an axis or an override.
OWN_SETTINGS = {
    "run.seed": "list the seeds under `seeds: [...]`",
    "run.output_dir": "set the sweep's `output_dir`; each run gets OUTPUT_DIR/POINT/seed-S",
}
# submitit's executor-independent parameters; `slurm_<name>` passes any SlurmExecutor one.
SLURM_GENERIC = (
    "name",
    "timeout_min",
    "mem_gb",
    "nodes",
    "tasks_per_node",
    "cpus_per_task",
    "gpus_per_node",
    "stderr_to_stdout",
)
_DOTTED = re.compile(r"[a-z_]+(\.[A-Za-z0-9_\-]+)+")


class SweepError(ConfigError):
    """Every problem of a sweep file and of its points' recipes, one per line."""


@dataclass(frozen=True)
class Point:
    """One combination of axis values; `settings` are its axis values, dotted keys."""

    name: str
    settings: dict[str, Any]


@dataclass(frozen=True)
class Job:
    """One run of a sweep: a point at one seed, with the recipe it trains (as a dict, so a
    job pickles for another process or a cluster node) and the evaluation after it."""

    point: str
    seed: int
    run_dir: str
    recipe: dict[str, Any]

    def build_recipe(self) -> Recipe:
        return recipe_from_dict(self.recipe, f"{self.point} seed {self.seed}")


@dataclass
class SweepSpec:
    source: Path
    base: Path
    base_raw: dict[str, Any]
    points: list[Point]
    seeds: list[int]
    output_dir: Path
    overrides: dict[str, Any] = field(default_factory=dict)
    evaluation: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, list[str]] = field(default_factory=dict)
    baseline: str | None = None
    slurm: dict[str, Any] = field(default_factory=dict)
    cli_overrides: list[str] = field(default_factory=list)  # KEY=VALUE, after the file's
    description: str = ""
    launch: str | None = None  # the command that starts `toolzero` for training

    def run_dir(self, point: str, seed: int) -> Path:
        return self.output_dir / point / f"seed-{seed}"

    def point_overrides(self, point: Point, seed: int) -> list[str]:
        """Every `KEY=VALUE` the point's run applies to the base recipe, in order."""
        settings = {**self.overrides, **point.settings}
        settings |= {f"evaluation.{k}": v for k, v in self.evaluation.items()}
        return [
            *(override_text(k, v) for k, v in settings.items()),
            *self.cli_overrides,
            f"run.seed={seed}",
            f"run.output_dir={self.run_dir(point.name, seed)}",
        ]

    def jobs(self) -> Iterator[Job]:
        """Every (point, seed) run, points in file order, seeds within each point."""
        for point in self.points:
            for seed in self.seeds:
                raw = apply_overrides(self.base_raw, self.point_overrides(point, seed))
                yield Job(point.name, seed, str(self.run_dir(point.name, seed)), raw)

    def manifest(self) -> dict[str, Any]:
        """`sweep.json`: what `toolzero sweep report DIR` reads (points, seeds, metrics)."""
        return {
            "sweep": str(self.source),
            "base": str(self.base),
            "description": self.description,
            "seeds": self.seeds,
            "points": [
                {
                    "name": p.name,
                    "settings": p.settings,
                    "runs": {str(s): str(self.run_dir(p.name, s)) for s in self.seeds},
                }
                for p in self.points
            ],
            "evaluation": self.evaluation,
            "metrics": self.metrics,
            "baseline": self.baseline,
            "launch": self.launch,
        }


MANIFEST_FILE = "sweep.json"


def write_manifest(spec: SweepSpec) -> Path:
    spec.output_dir.mkdir(parents=True, exist_ok=True)
    path = spec.output_dir / MANIFEST_FILE
    path.write_text(json.dumps(spec.manifest(), indent=2, default=str) + "\n", encoding="utf-8")
    return path


def override_text(key: str, value: Any) -> str:
    """`key=value` that `parse_override` reads back as `value` (plain where it can be).

    >>> override_text("reward.preset", "toolrl"), override_text("grpo.learning_rate", 2e-4)
    ('reward.preset=toolrl', 'grpo.learning_rate=0.0002')
    >>> override_text("model.stop_strings", ["</tool_call>"])
    'model.stop_strings=["</tool_call>"]'
    """
    plain = str(value)
    if not isinstance(value, list | dict) and _reads_back(plain, value):
        return f"{key}={plain}"
    return f"{key}={json.dumps(value)}"


def _reads_back(text: str, value: Any) -> bool:
    try:
        parsed = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError:
        return False
    return parsed == value and type(parsed) is type(value)


# Reading ---------------------------------------------------------------------------------


def load_sweep(
    path: str | Path, overrides: list[str] | None = None, check_machine: bool = True
) -> SweepSpec:
    """Read and validate a sweep file; `overrides` (`KEY=VALUE`) apply to every point after
    the file's own settings. Raises `SweepError` listing every problem."""
    source = Path(path)
    text = read_text(path, "--config", "give a sweep YAML file (see recipes/sweeps/)")
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise SweepError([f"not valid YAML: {yaml_problem(exc)}"], str(path)) from None
    if not isinstance(raw, dict):
        raise SweepError([f"top level must be a mapping, got {type(raw).__name__}"], str(path))
    problems: list[str] = []
    spec = _read_spec(raw, source, list(overrides or []), problems)
    if spec is not None:
        problems += check_points(spec, check_machine)
    if problems:
        raise SweepError(problems, str(path))
    assert spec is not None
    return spec


def _read_spec(
    raw: dict[str, Any], source: Path, cli_overrides: list[str], problems: list[str]
) -> SweepSpec | None:
    for key in raw:
        if key not in TOP_KEYS:
            problems.append(unknown("", str(key), TOP_KEYS))
    base, base_raw = _read_base(raw.get("base"), source, problems)
    overrides = _settings("overrides", raw.get("overrides"), problems)
    grid = _axis("grid", raw.get("grid"), problems)
    zipped = _axis("zip", raw.get("zip"), problems)
    if zipped and len({len(v) for v in zipped.values()}) > 1:
        lengths = ", ".join(f"{k}: {len(v)}" for k, v in zipped.items())
        problems.append(f"zip: every list must have the same length ({lengths}); pair them up")
        zipped = {}  # the points of the rest of the file are still checked
    for key in sorted(set(grid) & set(zipped)):
        problems.append(f"{key}: in both grid and zip; keep it in one")
        del zipped[key]
    for key in sorted(set(overrides) & (set(grid) | set(zipped))):
        problems.append(f"{key}: in overrides and in an axis; drop it from overrides")
    seeds = _seeds(raw.get("seeds"), base_raw, problems)
    evaluation = _mapping("evaluation", raw.get("evaluation"), problems)
    metrics = _metrics(raw.get("metrics"), problems)
    slurm = _slurm(raw.get("slurm"), problems)
    output_dir = raw.get("output_dir", f"runs/sweeps/{source.stem}")
    if not isinstance(output_dir, str) or not output_dir:
        problems.append(f"output_dir: expected a folder path, got {output_dir!r}")
        output_dir = "."
    launch = raw.get("launch")
    if launch is not None and not (isinstance(launch, str) and launch.strip()):
        problems.append(
            f"launch: expected a command, e.g. 'accelerate launch --config_file "
            f"recipes/launch/zero3.yaml -m toolzero', got {launch!r}"
        )
        launch = None
    baseline = raw.get("baseline")
    if baseline is not None and not isinstance(baseline, str):
        problems.append(f"baseline: expected a point name, got {baseline!r}")
        baseline = None
    if base is None:
        return None
    points = expand_points(grid, zipped)
    _check_names(points, problems)
    if baseline is not None and baseline not in {p.name for p in points}:
        known = [p.name for p in points]
        problems.append(unknown("baseline: ", baseline, known, what="point"))
    return SweepSpec(
        source=source,
        base=base,
        base_raw=base_raw,
        points=points,
        seeds=seeds,
        output_dir=Path(output_dir),
        overrides=overrides,
        evaluation=evaluation,
        metrics=metrics,
        baseline=baseline,
        slurm=slurm,
        cli_overrides=cli_overrides,
        description=str(raw.get("description") or ""),
        launch=launch,
    )


def _read_base(
    value: Any, source: Path, problems: list[str]
) -> tuple[Path | None, dict[str, Any]]:
    if not isinstance(value, str) or not value:
        problems.append("base: missing; name the base recipe, e.g. base: ../quickstart.yaml")
        return None, {}
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = Path(os.path.normpath(source.parent / path))
    if not path.is_file():
        problems.append(f"base: no such recipe file: {path} (relative to the sweep file's folder)")
        return None, {}
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        problems.append(f"base: {path} is not valid YAML: {yaml_problem(exc)}")
        return None, {}
    if not isinstance(raw, dict):
        problems.append(f"base: {path} is not a recipe (a mapping of sections)")
        return None, {}
    return path, raw


def _mapping(name: str, value: Any, problems: list[str]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(f"{name}: expected a mapping, got {type(value).__name__}")
        return {}
    return value


def _check_key(where: str, key: Any, problems: list[str]) -> bool:
    if not isinstance(key, str) or not _DOTTED.fullmatch(key):
        problems.append(f"{where}: {key!r} is not a recipe setting; write SECTION.KEY, e.g. grpo.max_steps")
        return False
    if key.split(".")[0] not in SECTION_TYPES:
        problems.append(unknown(f"{where}: ", key.split(".")[0], list(SECTION_TYPES), "section"))
        return False
    if key in OWN_SETTINGS:
        problems.append(f"{where}: {key} is set by the sweep; {OWN_SETTINGS[key]}")
        return False
    return True


def _settings(name: str, value: Any, problems: list[str]) -> dict[str, Any]:
    out = {}
    for key, setting in _mapping(name, value, problems).items():
        if _check_key(f"{name}.{key}", key, problems):
            out[key] = setting
    return out


def _axis(name: str, value: Any, problems: list[str]) -> dict[str, list[Any]]:
    out = {}
    for key, values in _mapping(name, value, problems).items():
        if not _check_key(f"{name}.{key}", key, problems):
            continue
        if not isinstance(values, list) or not values:
            problems.append(f"{name}.{key}: expected a non-empty list of values, got {values!r}")
            continue
        out[key] = values
    return out


def _seeds(value: Any, base_raw: dict[str, Any], problems: list[str]) -> list[int]:
    if value is None:
        run = base_raw.get("run") if isinstance(base_raw.get("run"), dict) else {}
        seed = run.get("seed", 0)
        return [seed] if isinstance(seed, int) else [0]
    ok = isinstance(value, list) and value and all(
        isinstance(s, int) and not isinstance(s, bool) for s in value
    )
    if not ok:
        problems.append(f"seeds: expected a non-empty list of whole numbers, got {value!r}")
        return [0]
    if len(set(value)) != len(value):
        problems.append(f"seeds: {value} repeats a seed; list each once")
    return list(value)


def _metrics(value: Any, problems: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for kind, names in _mapping("metrics", value, problems).items():
        if kind not in METRIC_KINDS:
            problems.append(unknown("metrics.", str(kind), METRIC_KINDS))
            continue
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            problems.append(f"metrics.{kind}: expected a list of names, got {names!r}")
            continue
        out[kind] = names
    return out


def _slurm(value: Any, problems: list[str]) -> dict[str, Any]:
    settings = _mapping("slurm", value, problems)
    for key in settings:
        if key not in SLURM_GENERIC and not str(key).startswith("slurm_"):
            problems.append(
                f"slurm.{key}: unknown parameter; write slurm_{key} for a SlurmExecutor "
                f"parameter, or one of {', '.join(SLURM_GENERIC)}"
            )
    return settings


# Points ----------------------------------------------------------------------------------


def expand_points(grid: dict[str, list[Any]], zipped: dict[str, list[Any]]) -> list[Point]:
    """Every grid combination (first key slowest) times every zip row, named by its values.

    >>> [p.name for p in expand_points({"reward.preset": ["a", "b"]}, {"grpo.top_k": [1, 2]})]
    ['preset-a_top_k-1', 'preset-a_top_k-2', 'preset-b_top_k-1', 'preset-b_top_k-2']
    >>> [p.name for p in expand_points({}, {})]
    ['base']
    """
    rows = [dict(zip(zipped, row, strict=True)) for row in zip(*zipped.values(), strict=True)]
    combos = [dict(zip(grid, c, strict=True)) for c in itertools.product(*grid.values())]
    labels = _labels([*grid, *zipped])
    points = []
    for combo in combos:
        for row in rows or [{}]:
            settings = {**combo, **row}
            name = "_".join(f"{labels[k]}-{_slug(v)}" for k, v in settings.items()) or "base"
            points.append(Point(name, settings))
    return points


def _labels(keys: list[str]) -> dict[str, str]:
    """Each key's last part, or the whole key where two keys share their last part."""
    last = [k.rsplit(".", 1)[-1] for k in keys]
    return {k: (s if last.count(s) == 1 else k) for k, s in zip(keys, last, strict=True)}


def _slug(value: Any) -> str:
    if isinstance(value, list):
        return "-".join(_slug(v) for v in value)
    if isinstance(value, dict):
        return "-".join(f"{k}-{_slug(v)}" for k, v in value.items())
    return re.sub(r"[^A-Za-z0-9.+-]+", "_", str(value)).strip("_") or "none"


def _check_names(points: list[Point], problems: list[str]) -> None:
    seen: dict[str, Point] = {}
    for point in points:
        if point.name in seen:
            problems.append(
                f"points {seen[point.name].settings} and {point.settings} get the same name "
                f"{point.name!r}; make the values differ in letters or digits"
            )
        seen[point.name] = point
