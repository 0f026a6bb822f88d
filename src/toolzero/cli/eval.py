"""`toolzero eval`: evaluate a model, score saved predictions, compare two evaluations.

    toolzero eval --model gemma-3-270m --bench bfcl:simple_python --limit 20 --out runs/eval-base
    toolzero eval --model runs/my-run --bench bfcl api_bank bamboogle --search-index docs.jsonl --out runs/eval
    toolzero eval --model http://localhost:8000/v1 --bench bfcl --out runs/eval-served
    toolzero eval --model M --bench hammer:sealtool acebench --limit 20 --out runs/eval-new
    toolzero eval score --bench bfcl --predictions preds.jsonl --out runs/scored
    toolzero eval score --bench api_bank --data-dir data/api_bank --predictions p.jsonl --out runs/s
    toolzero eval compare runs/eval-base runs/eval
    toolzero eval --model runs/multiturn-quickstart/final --recipe runs/multiturn-quickstart --limit 48 --out runs/mt-eval

Thin over `toolzero.evaluation`: the benchmarks, their sub-selections and options come from
its registry (`toolzero.evaluation.registry`), the generation flags from `GenerationSettings`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from toolzero.cli import positive_int
from toolzero.errors import UserError
from toolzero.evaluation.registry import REGISTRY, SCORABLE, BenchOptions
from toolzero.evaluation.settings import GenerationSettings
from toolzero.evaluation.settings import add_arguments as add_generation_arguments
from toolzero.rewards import PRESET_NAMES
from toolzero.user_files import BadInputError

# BenchOptions field -> (flag, argparse keywords); each benchmark's record names the fields
# it reads, and the CLI shows them grouped under that benchmark.
OPTION_FLAGS: dict[str, tuple[str, dict[str, Any]]] = {
    "bamboogle_file": (
        "--bamboogle-file", {"help": "Bamboogle JSON/JSONL (default: Hub chiayewken/bamboogle)"}
    ),
    "search_index": (
        "--search-index", {"help": "documents for the local BM25 search (JSONL/JSON/folder)"}
    ),
    "search_url": ("--search-url", {"help": "web search API URL (Serper-style JSON)"}),
    "search_key_env": ("--search-key-env", {"default": "SERPER_API_KEY"}),
    "judge_url": (
        "--judge-url", {"help": "OpenAI-compatible endpoint for the LLM judge (Bamboogle, When2Call)"}
    ),
    "judge_model": ("--judge-model", {}),
    "judge_key_env": ("--judge-key-env", {"default": "OPENAI_API_KEY"}),
    "synthetic_n": ("--synthetic-n", {"type": positive_int, "default": 100}),
    "synthetic_seed": ("--synthetic-seed", {"type": int, "default": 0}),
    # Left out of the namespace when not given, so `--recipe`'s values stand.
    "env_max_turns": (
        "--env-max-turns",
        {
            "type": positive_int,
            "default": argparse.SUPPRESS,
            "help": "turns per episode (env; default 4)",
        },
    ),
    "env_fit_tasks": (
        "--env-fit-tasks",
        {"action": "store_true", "default": argparse.SUPPRESS,
         "help": "only tasks whose solution fits in --env-max-turns"},
    ),
    "reward_preset": (
        "--reward-preset",
        {
            "default": "toolrl",
            "choices": PRESET_NAMES,
            "metavar": "PRESET",
            "help": "preset for the synthetic and file benchmarks' mean reward "
            "(see `toolzero reward presets`)",
        },
    ),
}  # fmt: skip


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="evaluate a model on " + ", ".join(b.short_title for b in REGISTRY.values()),
        description="Evaluate a model; `eval score` checks saved predictions; `eval compare` diffs two runs.",
    )
    _add_run_arguments(parser)
    parser.set_defaults(handler=run_handler)
    sub = parser.add_subparsers(dest="eval_command", metavar="{score,compare}")
    score = sub.add_parser(
        "score", help=f"score saved predictions without a model ({', '.join(SCORABLE)})"
    )
    score.add_argument(
        "--bench",
        default="bfcl",
        help=f"benchmark of the predictions, with sub-selections: {', '.join(SCORABLE)} "
        "(default bfcl)",
    )
    score.add_argument(
        "--predictions",
        required=True,
        help='JSONL: {"id", "completion"} or {"id", "calls": [{"name", "arguments"}]} rows',
    )
    score.add_argument(
        "--out", required=True, help="folder for items.jsonl, summary.json, report.md"
    )
    _add_bench_options(score, SCORABLE)
    score.set_defaults(handler=score_handler)
    compare = sub.add_parser("compare", help="compare two evaluation folders (before/after)")
    compare.add_argument("dir_a")
    compare.add_argument("dir_b")
    compare.add_argument("--out", help="also write the table to this file")
    compare.set_defaults(handler=compare_handler)


def _add_run_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model",
        help="run folder, checkpoint, Hub id, local path, gemma-3-270m, or http(s) base URL",
    )
    p.add_argument(
        "--bench", nargs="+", help="; ".join(b.help for b in REGISTRY.values())
    )
    p.add_argument("--out", help="output folder (rerun to resume)")
    p.add_argument(
        "--recipe",
        help="a training recipe (YAML, or a run folder's recipe.yaml): evaluate as its "
        "before/after evaluation does (protocol, prefill, stop strings, token limit, "
        "episode turns, benches and limit); flags given here win",
    )
    p.add_argument("--limit", type=positive_int, help="first N items of each category / level / set")
    p.add_argument("--backend", default="hf", choices=["hf", "vllm", "openai"])
    p.add_argument("--batch-size", type=positive_int, default=8)
    add_generation_arguments(p)
    p.add_argument(
        "--served-model", help="model name on an OpenAI-compatible server (default: its first)"
    )
    p.add_argument(
        "--api-key-env", default="OPENAI_API_KEY", help="environment variable holding the API key"
    )
    _add_bench_options(p, tuple(REGISTRY))


def _add_bench_options(p: argparse.ArgumentParser, names: tuple[str, ...]) -> None:
    """`--data-dir` for benchmarks reading a local folder, then each benchmark's options."""
    with_data = [n for n in names if REGISTRY[n].data_dir]
    p.add_argument(
        "--data-dir",
        action="append",
        default=[],
        metavar="[BENCH=]DIR",
        help=f"local data folder of {', '.join(with_data)} (BENCH=DIR for one of them; "
        "repeat for several)",
    )
    p.add_argument("--api-bank-dir", help=argparse.SUPPRESS)  # older spelling
    added: set[str] = set()  # an option two benchmarks read gets one flag, in the first's group
    for name in names:
        fields = [f for f in REGISTRY[name].options if f not in added]
        if fields:
            group = p.add_argument_group(f"{REGISTRY[name].title} options")
            for field in fields:
                flag, kwargs = OPTION_FLAGS[field]
                group.add_argument(flag, dest=field, **kwargs)
                added.add(field)


def bench_options(
    args: argparse.Namespace, selected: list[str], base: BenchOptions | None = None
) -> BenchOptions:
    """The `BenchOptions` the flags give, over `base` (a recipe's); `--data-dir DIR` goes to
    every selected benchmark that reads a local folder, `--data-dir BENCH=DIR` to that one."""
    with_data = [n for n in selected if REGISTRY[n].data_dir]
    dirs: dict[str, str] = {}
    if args.api_bank_dir:
        dirs["api_bank"] = args.api_bank_dir
    for value in args.data_dir:
        bench, eq, folder = value.partition("=")
        if eq and bench.replace("-", "_") in REGISTRY:
            bench = bench.replace("-", "_")
            if not REGISTRY[bench].data_dir:
                raise BadInputError(f"--data-dir {value}: {bench} reads no local data folder")
            dirs[bench] = folder
        else:
            dirs.update({name: value for name in with_data})
    fields = {f: getattr(args, f) for f in OPTION_FLAGS if hasattr(args, f)}
    if base is None:
        return BenchOptions(data_dirs=dirs, **fields)
    return dataclasses.replace(base, data_dirs={**base.data_dirs, **dirs}, **fields)


def recipe_defaults(path: str) -> tuple[GenerationSettings, BenchOptions, list[str], int | None]:
    """What a training recipe's before/after evaluation uses: generation settings, bench
    options (episode turns, task fit, data folders), benches and limit. `path`: the YAML
    recipe or a run folder holding `recipe.yaml`."""
    from toolzero.quickstart import bench_options as recipe_bench_options
    from toolzero.training.recipe import load_recipe

    file = Path(path) / "recipe.yaml" if Path(path).is_dir() else Path(path)
    if not file.is_file():
        raise BadInputError(f"--recipe {path}: no such recipe file or run folder with recipe.yaml")
    recipe = load_recipe(file, ["run.machine_checks=false"])  # read, not run, here
    options = dataclasses.replace(recipe_bench_options(recipe), download=True)
    section = recipe.evaluation
    return GenerationSettings.from_recipe(recipe), options, list(section.benches), section.limit


def run_handler(args: argparse.Namespace) -> int:
    from toolzero.evaluation import evaluate, parse_benches
    from toolzero.evaluation.report import render_report

    settings, options, benches, limit = None, None, args.bench, args.limit
    if args.recipe:
        settings, options, recipe_benches, recipe_limit = recipe_defaults(args.recipe)
        benches, limit = benches or recipe_benches, limit or recipe_limit
    missing = [f"--{k}" for k, v in (("model", args.model), ("bench", benches), ("out", args.out))
               if not v]  # fmt: skip
    if missing:
        raise UserError(
            f"toolzero eval: {', '.join(missing)} required (or use `eval score` / `eval compare`)"
        )
    options = bench_options(args, list(parse_benches(benches)), options)
    summary = evaluate(
        args.model,
        benches,
        args.out,
        limit=limit,
        backend=args.backend,
        settings=GenerationSettings.from_args(args, settings),
        batch_size=args.batch_size,
        options=options,
        served_model=args.served_model,
        api_key=os.environ.get(args.api_key_env),
    )
    print(render_report(summary))
    print(f"written: {Path(args.out) / 'report.md'}, {Path(args.out) / 'summary.json'}")
    return 0


def score_handler(args: argparse.Namespace) -> int:
    from toolzero.evaluation import parse_benches, score_predictions
    from toolzero.evaluation.report import headline_metrics, render_report

    options = bench_options(args, list(parse_benches(args.bench)))
    summary = score_predictions(args.bench, args.predictions, args.out, options)
    print(render_report(summary))
    print(json.dumps(headline_metrics(summary), indent=2))
    print(f"written: {Path(args.out) / 'report.md'}, {Path(args.out) / 'summary.json'}")
    return 0


def compare_handler(args: argparse.Namespace) -> int:
    from toolzero.evaluation.report import compare_runs
    from toolzero.user_files import writable_file

    table = compare_runs(args.dir_a, args.dir_b)
    print(table)
    if args.out:
        writable_file(args.out, "--out").write_text(table, encoding="utf-8")
    return 0
