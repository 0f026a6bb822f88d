"""`toolzero train`: run a recipe, or continue a run.

    toolzero train --config recipes/quickstart.yaml grpo.max_steps=20 lora.r=8
    toolzero train --config recipes/toolrl-grpo-qwen2.5-3b.yaml --dry-run
    toolzero train --resume runs/quickstart
    toolzero train --config recipes/tool-zero-qwen2.5-7b.yaml --dry-run --skip-machine-checks \
        data.train=data/synthetic        # a GPU recipe checked on a laptop

Overrides are `section.key=value` (YAML values). The whole recipe is validated before any
model loads, and every problem is listed at once. `--dry-run` validates and prints the
resolved recipe without loading a model (torch is asked about CUDA only when the recipe
wants a GPU; `--skip-machine-checks` skips that and the optional-package checks).
"""

from __future__ import annotations

import argparse
import logging

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="GRPO-train a model from a YAML recipe (or resume a run)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", help="the YAML recipe (see recipes/)")
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue the run in this folder")
    parser.add_argument("--dry-run", action="store_true", help="validate and print; load nothing")
    parser.add_argument(
        "--skip-machine-checks",
        action="store_true",
        help="skip the checks of this machine (CUDA, driver, vllm/deepspeed/logger packages) "
        "for a recipe meant for another machine; same as run.machine_checks=false",
    )
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="e.g. grpo.max_steps=10")
    parser.set_defaults(handler=run_train)


def run_train(args: argparse.Namespace) -> int:
    from toolzero.errors import UserError
    from toolzero.training.recipe import RecipeError, load_recipe
    from toolzero.training.recipe_checks import check_environment

    if args.config and args.resume:
        raise UserError("give --config or --resume, not both (a resumed run keeps its recipe)")
    if args.skip_machine_checks:
        args.overrides = [*args.overrides, "run.machine_checks=false"]
    if args.resume:
        from toolzero.run_folder import recipe_path

        path = recipe_path(args.resume)
        recipe = load_recipe(path, [*args.overrides, f"run.output_dir={args.resume}"])
    else:
        recipe = load_recipe(args.config, args.overrides)
    if args.dry_run:
        problems = check_environment(recipe)
        if problems:
            raise RecipeError(problems, args.config or args.resume or "recipe (defaults)")
        print(recipe.to_yaml(), end="")
        return 0
    from toolzero.training.run import train

    result = train(recipe, resume=bool(args.resume))
    print(f"run folder: {result.run_dir}\nfinal model: {result.final_model}")
    return 0
