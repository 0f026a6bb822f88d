"""Training: GRPO on TRL from a YAML recipe, with toolzero's rewards, metrics and resume.

The only package that imports `trl`. Importing it is cheap: the recipe types load at
once, the trainer (torch, transformers, trl) only when `train` / `resume` are called.

    from toolzero.training import load_recipe, train, resume
    result = train(load_recipe("recipes/quickstart.yaml", ["grpo.max_steps=5"]))
"""

from __future__ import annotations

from typing import Any

from toolzero.training.recipe import Recipe, RecipeError, load_recipe, recipe_from_dict


def train(recipe: Recipe, resume: bool = False, **kwargs: Any) -> Any:
    """Train a recipe (see `toolzero.training.run.train`)."""
    from toolzero.training.run import train as run_train

    return run_train(recipe, resume=resume, **kwargs)


def resume(run_dir: str, overrides: list[str] | None = None) -> Any:
    """Continue a run from its folder (see `toolzero.training.run.resume`)."""
    from toolzero.training.run import resume as run_resume

    return run_resume(run_dir, overrides)


__all__ = ["Recipe", "RecipeError", "load_recipe", "recipe_from_dict", "resume", "train"]
