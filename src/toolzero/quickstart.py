"""The quickstart: evaluate, train with pure GRPO, evaluate again, write the report.

    toolzero quickstart                       # recipes/quickstart.yaml, ~20 min on 2 cores
    toolzero quickstart grpo.max_steps=4      # a shorter look
    toolzero quickstart evaluation.data_dirs.hammer=path/to/hammer   # a local Hammer copy
    toolzero quickstart --resume runs/quickstart   # after a crash or kill: go on from there

One process, one model load: the embedded Gemma-3-270M base is evaluated on held-out
synthetic tool-use tasks, trained on the training tasks (offline, no data download), and
evaluated again on the same tasks with the same settings. The generalization view does the
same on a fixed slice of one unfamiliar-tool suite (`evaluation.unfamiliar`, e.g. the first
16 items of Hammer's Seal-Tools) when its data is on this machine: in a folder the recipe
names (`evaluation.data_dirs`) or in toolzero's download cache. The quickstart never
downloads (it must not wait on a network); without the data the view is skipped with one
line, in the log and in the report, saying how to get it.

The run folder gets the evaluations (`eval-before/`, `eval-after/`,
`eval-before-unfamiliar/`, `eval-after-unfamiliar/`, and their summaries side by side for
the report), the metrics, checkpoints, the final model and the report with plots (see
`toolzero.run_folder`). Evaluation settings come from the recipe's `evaluation` section
(ignored by `toolzero train`); every benchmark it names is checked against the evaluation
registry before the model loads.

A killed quickstart goes on with `--resume RUN_DIR`: the recipe is the one saved in the
folder, an evaluation keeps the answers it already wrote (the evaluation folders resume
themselves), and training continues from its newest checkpoint (`toolzero train
--resume`'s rules), so nothing finished is done again.

The top floor of the package: it composes training, evaluation and reports, and only the
CLI imports it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Literal

from toolzero import run_folder
from toolzero.errors import UserError
from toolzero.evaluation import (
    BenchOptions,
    GenerationSettings,
    NotDownloadedError,
    evaluate,
    get_benchmark,
    parse_benches,
)
from toolzero.evaluation.registry import REGISTRY
from toolzero.models import load_model_and_tokenizer
from toolzero.reports import generate_report
from toolzero.training.precision import compute_precision, on_cpu
from toolzero.training.recipe import Recipe, RecipeError, load_recipe
from toolzero.training.run import cpu_seconds, peak_rss_mb, prepare_run_dir, train
from toolzero.training.stopping import add_end_of_turn_to_eos
from toolzero.user_files import BadInputError, MissingInputError

DEFAULT_RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "quickstart.yaml"


def bench_options(recipe: Recipe) -> BenchOptions:
    """Where the quickstart's benchmarks read data: the recipe's local folders, else
    toolzero's download cache; never the network. Episodes as in training."""
    return BenchOptions(
        data_dirs=dict(recipe.evaluation.data_dirs),
        download=False,
        env_max_turns=recipe.environment.max_turns,  # episodes as long as in training
        env_fit_tasks=recipe.environment.fit_tasks,  # and the tasks chosen as in training
    )


def evaluate_model(
    model: Any,
    tokenizer: Any,
    recipe: Recipe,
    when: Literal["before", "after"],
    unfamiliar: bool = False,
) -> dict:
    """Evaluate into the run folder's `eval-<when>/` (`unfamiliar`: the unfamiliar-tool
    slice into `eval-<when>-unfamiliar/`) with the recipe's prompt protocol, prefill and
    stop strings, in the precision training computes in (`grpo.bf16` resolved for this
    machine: the model is judged as it generated in training, and before and after alike)."""
    section = recipe.evaluation
    settings = GenerationSettings.from_recipe(recipe).with_changes(
        bf16=compute_precision(recipe, on_cpu(recipe)).bf16
    )
    model.eval()
    # The answer ends where training ends it: at the recipe's stop strings, kept (a base
    # model writes on after `</tool_call>`), or at the end-of-turn token.
    return evaluate(
        (model, tokenizer),
        benches=[str(section.unfamiliar)] if unfamiliar else list(section.benches),
        out_dir=str(run_folder.evaluation_dir(recipe.run.output_dir, when, unfamiliar)),
        limit=section.unfamiliar_limit if unfamiliar else section.limit,
        backend="hf",
        settings=settings,
        batch_size=section.batch_size,
        options=bench_options(recipe),
    )


def check_evaluation(recipe: Recipe, source: str = "recipe") -> str | None:
    """Check the evaluation section against the registry before the model loads: every
    benchmark and selection exists, each data folder holds its files. Returns why the
    unfamiliar suite is skipped (its data is neither in a folder nor in the cache), or None.
    Anything else wrong is a `RecipeError` naming the field."""
    section = recipe.evaluation
    options = bench_options(recipe)
    problems = [
        f"evaluation.data_dirs.{name}: not a benchmark that reads a local folder; use one of "
        + ", ".join(b for b, record in REGISTRY.items() if record.data_dir)
        for name in section.data_dirs
        if name not in REGISTRY or not REGISTRY[name].data_dir
    ]
    skipped = None
    unfamiliar = [section.unfamiliar] if section.unfamiliar else []
    for field_name, specs in (("benches", section.benches), ("unfamiliar", unfamiliar)):
        for spec in specs:
            try:
                for name, sub in parse_benches(spec).items():
                    get_benchmark(name).check_inputs(sub, options)
            except NotDownloadedError:
                if field_name == "unfamiliar":
                    skipped = not_here(recipe, spec)
                else:
                    problems.append(f"evaluation.benches: {not_here(recipe, spec)}")
            except UserError as err:
                problems.append(f"evaluation.{field_name}: {err}")
    if problems:
        raise RecipeError(problems, source)
    return skipped


def not_here(recipe: Recipe, spec: str) -> str:
    """Why `spec` cannot run here and the two ways to enable it, in one line."""
    name = spec.partition(":")[0]
    fetch = f"runs/fetch-{name}"
    return (
        f"{spec} is not on this machine (the quickstart never downloads); fetch it once "
        f"with `toolzero eval --model {recipe.model.name} --bench {spec} --limit 1 --out "
        f"{fetch}` (the whole set lands in toolzero's cache), or set "
        f"evaluation.data_dirs.{name} to a local folder holding its files"
    )


def run_quickstart(
    config: str | Path | None = None,
    overrides: list[str] | None = None,
    resume: str | Path | None = None,
) -> Path:
    """The whole quickstart; returns the report path. `resume`: a run folder a killed
    quickstart left, continued with the recipe saved there (`overrides` still apply)."""
    start = time.monotonic()
    recipe, config = _quickstart_recipe(config, overrides, resume)
    settings = recipe.evaluation
    skipped = check_evaluation(recipe, str(config))
    unfamiliar = settings.unfamiliar is not None and skipped is None
    view = {"bench": settings.unfamiliar, "limit": settings.unfamiliar_limit}
    if skipped:
        print(f"generalization view skipped: {skipped}")
    # The recipe saved first, so a kill at any point can be resumed; a new run refuses a
    # folder where training has started, before the model loads.
    run_dir = prepare_run_dir(recipe, resume is not None, "toolzero quickstart --resume")
    print(f"[1/4] loading {recipe.model.name}")
    model, tokenizer = load_model_and_tokenizer(
        recipe.model.name, dtype=recipe.model.dtype, **recipe.model.load_kwargs()
    )
    add_end_of_turn_to_eos(model, tokenizer)  # both evaluations stop at the end of the turn
    also = (
        f" and the first {settings.unfamiliar_limit} of {settings.unfamiliar}" if unfamiliar else ""
    )
    print(f"[2/4] evaluating the base model on {settings.limit} held-out tasks{also}")
    before = evaluate_model(model, tokenizer, recipe, "before")
    if unfamiliar:
        view["before"] = evaluate_model(model, tokenizer, recipe, "before", unfamiliar=True)
    print(f"[3/4] GRPO training: {recipe.grpo.max_steps} steps, preset {recipe.reward.preset}")
    result = train(recipe, resume=resume is not None, model=model, tokenizer=tokenizer)
    print(f"[4/4] evaluating the trained model on the same tasks{also}")
    after = evaluate_model(result.model, tokenizer, recipe, "after")
    if unfamiliar:
        view["after"] = evaluate_model(result.model, tokenizer, recipe, "after", unfamiliar=True)
    if skipped:
        view["skipped"] = skipped
    run_folder.write_evaluation(
        run_dir, before, after, view if settings.unfamiliar is not None else None
    )
    run_folder.update_status(
        run_dir,
        quickstart_wall_s=round(time.monotonic() - start, 1),
        quickstart_cpu_s=round(cpu_seconds(), 1),
        quickstart_peak_rss_mb=round(peak_rss_mb(), 1),
    )
    report = generate_report([run_dir])
    print(f"report: {report}")
    return report


def _quickstart_recipe(
    config: str | Path | None, overrides: list[str] | None, resume: str | Path | None
) -> tuple[Recipe, Path]:
    """The recipe and the file it came from: `config` (default: the shipped quickstart) for
    a new run, the run folder's saved recipe for `resume`."""
    if resume is None:
        config = Path(config) if config else DEFAULT_RECIPE
        return load_recipe(config, overrides), config
    if config is not None:
        raise BadInputError(
            "quickstart: give --config or --resume, not both (a resumed run uses the recipe "
            "saved in its folder)"
        )
    saved = run_folder.recipe_path(resume)
    if not saved.is_file():
        raise MissingInputError(
            f"--resume {resume}: no {saved.name} there; is it a quickstart's run folder? "
            "Start one with `toolzero quickstart`"
        )
    return load_recipe(saved, [*(overrides or []), f"run.output_dir={resume}"]), saved
