"""The quickstart: evaluate, train with pure GRPO, evaluate again, write the report.

    toolzero quickstart                       # recipes/quickstart.yaml, ~20 min on 2 cores
    toolzero quickstart grpo.max_steps=4      # a shorter look

One process, one model load: the embedded Gemma-3-270M base is evaluated on held-out
synthetic tool-use tasks, trained on the training tasks (offline, no data download), and
evaluated again on the same tasks with the same settings. The run folder gets the two
evaluations (`eval-before/`, `eval-after/`, and their summaries side by side for the
report), the metrics, checkpoints, the final model and the report with plots (see
`toolzero.run_folder`). Evaluation settings come from the recipe's `evaluation` section
(ignored by `toolzero train`).

The top floor of the package: it composes training, evaluation and reports, and only the
CLI imports it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Literal

from toolzero import run_folder
from toolzero.evaluation import GenerationSettings, evaluate
from toolzero.models import load_model_and_tokenizer
from toolzero.reports import generate_report
from toolzero.training.recipe import Recipe, load_recipe
from toolzero.training.run import cpu_seconds, peak_rss_mb, train
from toolzero.training.stopping import add_end_of_turn_to_eos

DEFAULT_RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "quickstart.yaml"


def evaluate_model(
    model: Any, tokenizer: Any, recipe: Recipe, when: Literal["before", "after"]
) -> dict:
    """Evaluate into the run folder's `eval-<when>/` with the recipe's prompt protocol,
    prefill and stop strings."""
    section = recipe.evaluation
    model.eval()
    # The answer ends where training ends it: at the recipe's stop strings, kept (a base
    # model writes on after `</tool_call>`), or at the end-of-turn token.
    return evaluate(
        (model, tokenizer),
        benches=list(section.benches),
        out_dir=str(run_folder.evaluation_dir(recipe.run.output_dir, when)),
        limit=section.limit,
        backend="hf",
        settings=GenerationSettings.from_recipe(recipe),
        batch_size=section.batch_size,
    )


def run_quickstart(config: str | Path | None = None, overrides: list[str] | None = None) -> Path:
    """The whole quickstart; returns the report path."""
    start = time.monotonic()
    config = Path(config) if config else DEFAULT_RECIPE
    recipe = load_recipe(config, overrides)
    settings = recipe.evaluation
    run_dir = Path(recipe.run.output_dir)
    print(f"[1/4] loading {recipe.model.name}")
    model, tokenizer = load_model_and_tokenizer(recipe.model.name, dtype=recipe.model.dtype)
    add_end_of_turn_to_eos(model, tokenizer)  # both evaluations stop at the end of the turn
    print(f"[2/4] evaluating the base model on {settings.limit} held-out tasks")
    before = evaluate_model(model, tokenizer, recipe, "before")
    print(f"[3/4] GRPO training: {recipe.grpo.max_steps} steps, preset {recipe.reward.preset}")
    result = train(recipe, model=model, tokenizer=tokenizer)
    print("[4/4] evaluating the trained model on the same tasks")
    after = evaluate_model(result.model, tokenizer, recipe, "after")
    run_folder.write_evaluation(run_dir, before, after)
    run_folder.update_status(
        run_dir,
        quickstart_wall_s=round(time.monotonic() - start, 1),
        quickstart_cpu_s=round(cpu_seconds(), 1),
        quickstart_peak_rss_mb=round(peak_rss_mb(), 1),
    )
    report = generate_report([run_dir])
    print(f"report: {report}")
    return report
