"""Run a recipe: the run folder, training, checkpoints, resume, the final model.

    result = train(load_recipe("recipes/quickstart.yaml"))
    result = resume("runs/quickstart")          # after a crash or a kill

A run folder holds everything needed to continue or inspect a run: the resolved recipe
(so `--resume RUN_DIR` needs nothing else), one metrics row per step, the trainer's
checkpoints, the final model with LoRA merged in, and the status (steps, wall and CPU
time, peak memory, prompts dropped by the cap). `toolzero.run_folder` names and
describes each file.

Resume continues from the newest *complete* checkpoint (one whose `trainer_state.json`
parses; a checkpoint torn by a kill is skipped), drops metric rows logged after it, and
lets transformers restore the optimizer, scheduler, RNG and data position: the reward
schedule and the data order continue where they were, at most `run.save_steps` steps lost.
"""

from __future__ import annotations

import logging
import os
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolzero import run_folder
from toolzero.training.allocator import keep_freed_memory
from toolzero.training.final_model import check_final_save, save_final_model
from toolzero.training.recipe import Recipe, RecipeError, load_recipe
from toolzero.training.recipe_checks import check_environment
from toolzero.training.stopping import uninstall_stop_strings

logger = logging.getLogger(__name__)


@dataclass
class RunResult:
    run_dir: Path
    final_model: Path | None
    total_steps: int
    wall_s: float
    peak_rss_mb: float
    model: Any = field(default=None, repr=False)  # the trained model, still in memory
    tokenizer: Any = field(default=None, repr=False)


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time (user + system) of this process so far: load-independent cost."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _update_status(run_dir: Path, **values: Any) -> None:
    """`run.json`, written by the main process only (every rank runs `train`)."""
    if int(os.environ.get("RANK", "0")) == 0:
        run_folder.update_status(run_dir, **values)


def prepare_run_dir(
    recipe: Recipe, resume: bool, resume_command: str = "toolzero train --resume"
) -> Path:
    """Create the run folder (or check it for a resume) and save the resolved recipe. A
    new run refuses a folder where training has started and names `resume_command`."""
    run_dir = Path(recipe.run.output_dir)
    if run_folder.holds_a_run(run_dir) and not resume:
        raise RecipeError(
            [
                f"run.output_dir: {run_dir} already holds a run; continue it with "
                f"`{resume_command} {run_dir}` or choose another run.output_dir"
            ]
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    saved = run_folder.recipe_path(run_dir)
    if not resume or not saved.exists():
        saved.write_text(recipe.to_yaml(), encoding="utf-8")
    return run_dir


def train(
    recipe: Recipe,
    resume: bool = False,
    model: Any = None,
    tokenizer: Any = None,
    callbacks: list[Any] | None = None,
) -> RunResult:
    """Train a recipe into its run folder; `model`/`tokenizer` skip loading when given.

    `callbacks`: extra `transformers.TrainerCallback`s (e.g. a benchmark's step clock).
    """
    problems = check_environment(recipe)
    if problems:
        raise RecipeError(problems)
    start, cpu_start = time.monotonic(), cpu_seconds()
    if recipe.grpo.keep_freed_memory:
        from toolzero.training.precision import on_cpu

        if on_cpu(recipe):
            logger.info(keep_freed_memory())
    run_dir = prepare_run_dir(recipe, resume)
    checkpoint = run_folder.latest_checkpoint(run_dir) if resume else None
    last_step = run_folder.checkpoint_step(checkpoint) if checkpoint else 0
    run_folder.truncate_metrics(run_dir, last_step)
    if tokenizer is None:
        from toolzero.models import load_tokenizer

        tokenizer = load_tokenizer(recipe.model.name)
    train_set, eval_set, prompts, examples = _make_datasets(recipe, tokenizer)
    rollout = _make_rollout(recipe, examples)  # before the model: bad tasks fail first
    _update_status(run_dir, prompts=prompts)  # what data.max_prompt_tokens dropped
    # The trainer's config before the model: creating it sets up the distributed state
    # (DeepSpeed's global config), so `from_pretrained` partitions the weights as they
    # load (ZeRO-3 init) instead of each rank holding a full copy. Keep it alive.
    args = _make_config(recipe, run_dir, tokenizer, train_set, eval_set)
    if model is None:
        from toolzero.models import load_model
        from toolzero.training.precision import weights_dtype

        model = load_model(recipe.model.name, weights_dtype(recipe), **recipe.model.load_kwargs())
    trainer = _make_trainer(
        recipe, run_dir, model, tokenizer, train_set, eval_set, args, rollout
    )
    for callback in callbacks or []:
        trainer.add_callback(callback)
    check_final_save(trainer)
    steps = trainer.args.max_steps
    _update_status(
        run_dir, status="running", total_steps=steps, resumed_from=str(checkpoint or "")
    )
    logger.info(
        "training %d steps into %s%s", steps, run_dir, f" from {checkpoint}" if checkpoint else ""
    )
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    uninstall_stop_strings(model)  # later generate() calls (evaluation) behave as before
    from toolzero.training.head_logprobs import WORKSPACE

    WORKSPACE.clear()  # the LM head's kept buffers (~1.3 GB for Gemma-3's vocabulary)
    final, trained = save_final_model(trainer, recipe, run_dir, tokenizer)
    wall = time.monotonic() - start
    _update_status(
        run_dir,
        status="finished",
        wall_s=round(wall, 1),
        cpu_s=round(cpu_seconds() - cpu_start, 1),
        peak_rss_mb=round(peak_rss_mb(), 1),
    )
    return RunResult(run_dir, final, steps, wall, peak_rss_mb(), trained, tokenizer)


def resume(run_dir: str | Path, overrides: list[str] | None = None) -> RunResult:
    """Continue a run from its folder alone (its saved recipe and newest checkpoint)."""
    path = run_folder.recipe_path(run_dir)
    if not path.exists():
        raise RecipeError([f"{run_dir}: no {path.name}; is this a toolzero run folder?"])
    recipe = load_recipe(path, [*(overrides or []), f"run.output_dir={run_dir}"])
    return train(recipe, resume=True)


def _make_datasets(recipe: Recipe, tokenizer: Any) -> tuple[Any, Any, dict[str, Any], list]:
    """(train, eval or None) prompt datasets of the recipe, what the prompt cap dropped,
    and the examples behind both (a multi-turn rollout plays their tasks)."""
    from toolzero.training.prompts import (
        augment_examples,
        build_prompt_dataset,
        load_recipe_examples,
    )

    d, m, e = recipe.data, recipe.model, recipe.environment
    fit = e.max_turns if e.fit_tasks else None  # the recipe check: fit_tasks needs a name
    train_examples = load_recipe_examples(d.train, d.limit, d.shuffle_seed, fit, d.synthetic)
    train_examples = augment_examples(train_examples, d.augment, d.shuffle_seed)
    cap = d.max_prompt_tokens
    train_set, train_cap = build_prompt_dataset(
        train_examples, tokenizer, m.protocol, m.prefill, cap
    )
    prompts = {"train": train_cap.as_status()}
    eval_set, examples = None, list(train_examples)
    if d.eval is not None:
        eval_examples = load_recipe_examples(d.eval, d.eval_limit, d.shuffle_seed, fit, d.synthetic)
        eval_set, eval_cap = build_prompt_dataset(
            eval_examples, tokenizer, m.protocol, m.prefill, cap, "eval"
        )
        prompts["eval"] = eval_cap.as_status()
        examples += eval_examples
    return train_set, eval_set, prompts, examples


def _make_rollout(recipe: Recipe, examples: list) -> Any:
    """The multi-turn rollout of `environment.name` (None: single-turn training).

    Every example's tools must be executable there: checked here, before the model loads.
    """
    e = recipe.environment
    if e.name is None:
        return None
    from toolzero.environments.registry import make_environment
    from toolzero.training.rollout import EnvironmentRollout

    environment = make_environment(e.name, **e.options)
    problems = environment.task_problems(examples)
    if problems:
        raise RecipeError(problems)
    return EnvironmentRollout(
        environment,
        examples,
        recipe.model.protocol,
        recipe.model.prefill,
        e.max_turns,
        e.max_turn_tokens,
        e.workers,
    )


def _make_config(
    recipe: Recipe, run_dir: Path, tokenizer: Any, train_set: Any, eval_set: Any
) -> Any:
    """The run's `GRPOConfig`, built before the model loads (so ZeRO-3 init applies)."""
    from toolzero.training.stopping import stop_token_ids
    from toolzero.training.trainer import build_grpo_config, total_steps

    steps = total_steps(recipe, len(train_set))
    has_eval = eval_set is not None
    return build_grpo_config(recipe, run_dir, steps, has_eval, stop_token_ids(tokenizer))


def _make_trainer(
    recipe: Recipe,
    run_dir: Path,
    model: Any,
    tokenizer: Any,
    train_set: Any,
    eval_set: Any,
    args: Any,
    rollout: Any = None,
) -> Any:
    from toolzero.training.metrics import MetricsWriter
    from toolzero.training.trainer import build_trainer

    preset = recipe.reward.build()  # the run's one preset (validation already built it)
    writer = MetricsWriter(run_dir, preset.schedule_values)
    return build_trainer(
        recipe, run_dir, model, tokenizer, train_set, preset, eval_set, [writer], args, rollout
    )
