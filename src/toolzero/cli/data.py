"""`toolzero data ...`: build, look at, and convert training data.

    toolzero data prepare --recipe recipes/data/synthetic.yaml --out data/synthetic
    toolzero data inspect data/synthetic -n 3
    toolzero data convert xlam:rows.json --out rows.jsonl     # any format -> toolzero JSONL

The work lives in `toolzero.data`; this module only parses flags and prints.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path
from typing import Any

from toolzero.cli import positive_int


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("data", help="prepare, inspect and convert tool-use data")
    commands = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    prepare = commands.add_parser("prepare", help="build a dataset folder from a data recipe")
    prepare.add_argument("--recipe", required=True, help="recipes/data/NAME.yaml")
    prepare.add_argument(
        "--out", required=True, help="folder to write train/eval.jsonl + summary.json"
    )
    prepare.set_defaults(handler=run_prepare)

    inspect = commands.add_parser("inspect", help="print rendered prompts, references and stats")
    inspect.add_argument("dir", help="a prepared dataset folder, or any data spec")
    inspect.add_argument("-n", type=positive_int, default=3, help="how many examples to print (default 3)")
    inspect.add_argument("--split", choices=("train", "eval"), default="train")
    inspect.add_argument("--protocol", choices=("toolrl", "compact"), default="toolrl")
    inspect.add_argument("--seed", type=int, default=0, help="which examples (random pick)")
    inspect.set_defaults(handler=run_inspect)

    convert = commands.add_parser("convert", help="convert any supported data to toolzero JSONL")
    convert.add_argument("spec", help="FORMAT:PATH, a file, hf:owner/name, bfcl:CATEGORY ...")
    convert.add_argument("--out", required=True, help="output .jsonl file")
    convert.set_defaults(handler=run_convert)


def run_prepare(args: argparse.Namespace) -> int:
    from toolzero.data.prepare import prepare_dataset
    from toolzero.data.recipe import load_recipe

    summary = prepare_dataset(load_recipe(args.recipe), args.out)
    print(format_stats(summary))
    print(f"\nwrote {args.out}/train.jsonl, eval.jsonl, summary.json")
    return 0


def run_inspect(args: argparse.Namespace) -> int:
    from toolzero.data.dataset import is_prepared, load_examples, load_prepared, load_summary
    from toolzero.data.report import DataReport
    from toolzero.data.stats import describe_examples

    if is_prepared(args.dir):
        train, eval_ = load_prepared(args.dir)
        summary = load_summary(args.dir) or {
            "train": describe_examples(train),
            "eval": describe_examples(eval_),
        }
        examples = train if args.split == "train" else eval_
    else:
        report = DataReport()
        examples = load_examples(args.dir, report=report)
        summary = {"train": describe_examples(examples), "report": report.summary()}
    picked = random.Random(args.seed).sample(examples, min(args.n, len(examples)))
    for example in picked:
        print(render_example(example, args.protocol))
    print(format_stats(summary))
    return 0


def run_convert(args: argparse.Namespace) -> int:
    from toolzero.data.dataset import load_examples, write_jsonl
    from toolzero.data.report import DataReport

    report = DataReport()
    examples = load_examples(args.spec, report=report)
    n = write_jsonl(Path(args.out), examples)
    print(f"wrote {n} examples to {args.out}; rejected rows: {report.total_rejected}")
    for reason, count in report.rejected.most_common():
        print(f"  {count:6d}  {reason}")
    return 0


def render_example(example: Any, protocol: str) -> str:
    """One example as the model sees it (chat messages, before the chat template) + reference."""
    from toolzero.protocol.chat import prompt_messages

    rule = "=" * 100
    parts = [rule, f"{example.id}  (source {example.source}, {len(example.tools)} tools)", rule]
    for message in prompt_messages(example, protocol):
        parts.append(f"--- {message['role']} ---\n{message['content']}")
    parts.append(f"--- reference ---\n{example.reference_text()}\n")
    return "\n".join(parts)


def format_stats(summary: dict[str, Any]) -> str:
    """The counts of a summary as short text."""
    lines = ["", "stats"]
    for split in ("train", "eval"):
        stats = summary.get(split)
        if not stats:
            continue
        lines.append(
            f"  {split}: {stats['count']} examples, shapes {stats['shapes']}, multi-turn {stats['multi_turn']}"
        )
        for source, shapes in stats["by_source"].items():
            lines.append(f"    {source}: {sum(shapes.values())} {shapes}")
        lines.append(
            f"    prompt chars {stats['prompt_chars']}, tools per example {stats['tools_mean']}"
        )
    report = summary.get("report") or {}
    if report.get("rejected_total"):
        lines.append(f"  rejected {report['rejected_total']}:")
        lines.extend(f"    {n:6d}  {reason}" for reason, n in report["rejected_by_reason"].items())
    elif report:
        lines.append("  rejected: none")
    return "\n".join(lines)
