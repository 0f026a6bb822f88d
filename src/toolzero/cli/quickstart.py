"""`toolzero quickstart`: evaluate Gemma-3-270M base, GRPO-train it on offline synthetic
tool-use tasks, evaluate again, and write a report (~15 minutes on a 2-core CPU).

    toolzero quickstart                               # recipes/quickstart.yaml
    toolzero quickstart grpo.max_steps=4              # a shorter look
    toolzero quickstart --config my.yaml run.output_dir=runs/mine
    toolzero quickstart --resume runs/quickstart      # after a crash or kill
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "quickstart",
        help="evaluate, train with pure GRPO, evaluate again, report (CPU, offline)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", help="recipe (default: recipes/quickstart.yaml)")
    parser.add_argument(
        "--resume",
        metavar="RUN_DIR",
        help="continue a killed quickstart from its folder: finished evaluation answers and "
        "training steps are kept (the recipe saved there is used)",
    )
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="e.g. grpo.max_steps=4")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from toolzero.quickstart import run_quickstart

    run_quickstart(args.config, args.overrides, resume=args.resume)
    return 0
