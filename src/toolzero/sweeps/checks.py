"""Validation of a sweep's points: every point's recipe at every seed (the checks of
`toolzero train --dry-run`, machine checks as each recipe says), run folders left by an
earlier sweep, the evaluation's benchmarks and the metrics to compare.

A problem every point has is listed once; another names the points (and seeds) that have
it, so a grid of twelve runs with one bad value reads as one line, not twelve.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

import yaml

from toolzero import run_folder
from toolzero.training.recipe import RecipeError

if TYPE_CHECKING:
    from toolzero.sweeps.spec import Job, SweepSpec
    from toolzero.training.recipe import Recipe

# Recipe settings whose difference does not make a run folder another run.
NOT_COMPARED = ("run.machine_checks", "description")


def check_points(spec: SweepSpec, check_machine: bool = True) -> list[str]:
    """Every point's recipe at every seed, the evaluation and the metrics. A problem every
    point has is listed once; another names the points (and seeds) that have it."""
    found: dict[str, list[tuple[str, int | None]]] = {}  # problem -> (point, seed or None)
    recipes: dict[str, Recipe] = {}
    for job in spec.jobs():
        try:
            recipe = job.build_recipe()
        except RecipeError as exc:
            for problem in exc.problems:
                found.setdefault(problem, []).append((job.point, job.seed))
            continue
        recipes.setdefault(job.point, recipe)
        for problem in _check_run_folder(recipe, job):
            found.setdefault(problem, []).append((job.point, job.seed))
    if check_machine:
        from toolzero.training.recipe_checks import check_environment

        for name, recipe in recipes.items():  # the seed changes nothing these check
            for problem in check_environment(recipe):
                found.setdefault(problem, []).append((name, None))
    problems = [_where(spec, where) + problem for problem, where in found.items()]
    if recipes:
        problems += _check_evaluation(next(iter(recipes.values())))
        problems += _check_metrics(spec, recipes)
    return problems


def _where(spec: SweepSpec, where: list[tuple[str, int | None]]) -> str:
    """"" when every point has the problem; else "point, point seed 1: "."""
    names = list(dict.fromkeys(point for point, _ in where))
    if len(names) == len(spec.points):
        return ""
    labels = []
    for name in names:
        seeds = {seed for point, seed in where if point == name}
        whole = None in seeds or seeds == set(spec.seeds)
        labels += [name] if whole else [f"{name} seed {s}" for s in sorted(seeds)]
    return ", ".join(labels) + ": "


def _check_run_folder(recipe: Recipe, job: Job) -> list[str]:
    """A run folder from an earlier sweep must hold this point's run, not another's."""
    saved = run_folder.recipe_path(job.run_dir)
    if not saved.is_file():
        return []
    before = _flat(yaml.safe_load(saved.read_text(encoding="utf-8")) or {})
    now = _flat(recipe.to_dict())
    changed = sorted(
        k for k in set(before) | set(now)
        if before.get(k) != now.get(k) and not k.startswith(NOT_COMPARED)
    )
    if not changed:
        return []
    return [
        f"{job.run_dir} holds a run with other settings ({', '.join(changed[:5])}); "
        "delete it or choose another output_dir"
    ]


def _flat(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out |= _flat(value, f"{prefix}{key}.")
        return out
    return {prefix.rstrip("."): data}


def _check_evaluation(recipe: Recipe) -> list[str]:
    from toolzero.evaluation import parse_benches
    from toolzero.user_files import BadInputError

    try:
        parse_benches(list(recipe.evaluation.benches))
    except BadInputError as exc:
        return [f"evaluation.benches: {exc}"]
    return []


def _check_metrics(spec: SweepSpec, recipes: dict[str, Recipe]) -> list[str]:
    from toolzero.evaluation import parse_benches

    problems = []
    recipe = next(iter(recipes.values()))
    benches = set(parse_benches(list(recipe.evaluation.benches)))
    for name in spec.metrics.get("evaluation", []):
        bench = name.split(".")[0]
        if bench not in benches or "." not in name:
            problems.append(
                f"metrics.evaluation: {name!r} is not BENCH.METRIC of an evaluated benchmark "
                f"({', '.join(sorted(benches))}); e.g. synthetic.exact_match"
            )
    components = {"total"}
    for r in recipes.values():
        components.update(r.reward.build().component_names)
    for name in spec.metrics.get("training", []):
        if name not in components:
            problems.append(
                unknown("metrics.training: ", name, sorted(components), "reward component")
            )
    return problems


def unknown(prefix: str, key: str, known: Any, what: str = "key") -> str:
    """`PREFIXkey: unknown WHAT; did you mean X?` (or the known names when none is close)."""
    known = list(known)
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(map(str, known))}"
    return f"{prefix}{key}: unknown {what}; {hint}"
