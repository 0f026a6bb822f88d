"""`toolzero eval`: evaluate a model, score saved predictions, compare two evaluations.

    toolzero eval --model gemma-3-270m --bench bfcl:simple_python --limit 20 --out runs/eval-base
    toolzero eval --model runs/my-run --bench bfcl api_bank bamboogle --search-index docs.jsonl --out runs/eval
    toolzero eval --model http://localhost:8000/v1 --bench bfcl --out runs/eval-served
    toolzero eval score --bench bfcl --predictions preds.jsonl --out runs/scored
    toolzero eval compare runs/eval-base runs/eval

Thin over `toolzero.evaluation` (see `runner.evaluate` for the model and benchmark names).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from toolzero.cli import positive_int
from toolzero.protocol import PROTOCOLS
from toolzero.rewards import PRESET_NAMES


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="evaluate a model on BFCL, API-Bank, Bamboogle, synthetic tasks",
        description="Evaluate a model; `eval score` checks saved predictions; `eval compare` diffs two runs.",
    )
    _add_run_arguments(parser)
    parser.set_defaults(handler=run_handler)
    sub = parser.add_subparsers(dest="eval_command", metavar="{score,compare}")
    score = sub.add_parser("score", help="score saved predictions without a model (BFCL)")
    score.add_argument(
        "--bench", default="bfcl", choices=["bfcl"], help="benchmark of the predictions"
    )
    score.add_argument(
        "--predictions", required=True, help='JSONL: {"id", "completion"} or {"id", "calls"} rows'
    )
    score.add_argument(
        "--out", required=True, help="folder for items.jsonl, summary.json, report.md"
    )
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
        "--bench", nargs="+", help="bfcl[:category|group], api_bank[:level], bamboogle, synthetic"
    )
    p.add_argument("--out", help="output folder (rerun to resume)")
    p.add_argument("--limit", type=positive_int, help="first N items of each category / level")
    p.add_argument("--backend", default="hf", choices=["hf", "vllm", "openai"])
    p.add_argument("--protocol", default="toolrl", choices=list(PROTOCOLS), help="prompt protocol")
    p.add_argument("--prefill", default="", help='text the answer starts with, e.g. "<think>"')
    p.add_argument("--max-new-tokens", type=positive_int, default=512)
    p.add_argument("--batch-size", type=positive_int, default=8)
    p.add_argument("--temperature", type=float, default=0.0)
    p.add_argument("--stop", nargs="*", default=[], help="stop strings (not kept in the answer)")
    p.add_argument(
        "--keep-stop",
        action="store_true",
        help="keep the stop string in the answer (for closing tags such as </tool_call>)",
    )
    p.add_argument(
        "--served-model", help="model name on an OpenAI-compatible server (default: its first)"
    )
    p.add_argument(
        "--api-key-env", default="OPENAI_API_KEY", help="environment variable holding the API key"
    )
    p.add_argument("--api-bank-dir", help="folder with api_bank_level{1,2,3}.json")
    p.add_argument(
        "--bamboogle-file", help="Bamboogle JSON/JSONL (default: Hub chiayewken/bamboogle)"
    )
    p.add_argument("--search-index", help="documents for the local BM25 search (JSONL/JSON/folder)")
    p.add_argument("--search-url", help="web search API URL (Serper-style JSON)")
    p.add_argument("--search-key-env", default="SERPER_API_KEY")
    p.add_argument("--judge-url", help="OpenAI-compatible endpoint for the Bamboogle LLM judge")
    p.add_argument("--judge-model")
    p.add_argument("--synthetic-n", type=positive_int, default=100)
    p.add_argument("--synthetic-seed", type=int, default=0)
    p.add_argument(
        "--reward-preset",
        default="toolrl",
        choices=PRESET_NAMES,
        metavar="PRESET",
        help="preset for the synthetic mean reward (default toolrl; see `toolzero reward presets`)",
    )


def run_handler(args: argparse.Namespace) -> int:
    from toolzero.errors import UserError
    from toolzero.evaluation import BenchOptions, evaluate
    from toolzero.evaluation.report import render_report

    missing = [f"--{k}" for k in ("model", "bench", "out") if not getattr(args, k)]
    if missing:
        raise UserError(
            f"toolzero eval: {', '.join(missing)} required (or use `eval score` / `eval compare`)"
        )
    options = BenchOptions(
        api_bank_dir=args.api_bank_dir,
        bamboogle_file=args.bamboogle_file,
        search_index=args.search_index,
        search_url=args.search_url,
        search_key_env=args.search_key_env,
        judge_url=args.judge_url,
        judge_model=args.judge_model,
        synthetic_n=args.synthetic_n,
        synthetic_seed=args.synthetic_seed,
        reward_preset=args.reward_preset,
    )
    summary = evaluate(
        args.model,
        args.bench,
        args.out,
        limit=args.limit,
        backend=args.backend,
        protocol=args.protocol,
        prefill=args.prefill,
        max_new_tokens=args.max_new_tokens,
        batch_size=args.batch_size,
        temperature=args.temperature,
        stop=args.stop,
        keep_stop=args.keep_stop,
        options=options,
        served_model=args.served_model,
        api_key=os.environ.get(args.api_key_env),
    )
    print(render_report(summary))
    print(f"written: {Path(args.out) / 'report.md'}, {Path(args.out) / 'summary.json'}")
    return 0


def score_handler(args: argparse.Namespace) -> int:
    from toolzero.evaluation.bfcl import score_bfcl_predictions
    from toolzero.evaluation.report import render_report
    from toolzero.evaluation.runner import write_outputs

    bfcl = score_bfcl_predictions(args.predictions, args.out)
    summary = {
        "run": {"model": f"predictions {args.predictions}", "backend": "none (scored predictions)"},
        "benchmarks": {"bfcl": bfcl},
    }
    write_outputs(summary, Path(args.out))
    print(render_report(summary))
    print(json.dumps({k: v and v["accuracy"] for k, v in bfcl["aggregates"].items()}, indent=2))
    return 0


def compare_handler(args: argparse.Namespace) -> int:
    from toolzero.evaluation.report import compare_runs
    from toolzero.user_files import writable_file

    table = compare_runs(args.dir_a, args.dir_b)
    print(table)
    if args.out:
        writable_file(args.out, "--out").write_text(table, encoding="utf-8")
    return 0
