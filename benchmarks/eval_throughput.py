"""Evaluation throughput: items per second for scoring (BFCL's official checkers) and for generation.

    python benchmarks/eval_throughput.py                       # both parts, Gemma-3-270M base, 8 items
    python benchmarks/eval_throughput.py --part scoring
    python benchmarks/eval_throughput.py --part generation --model gemma-3-270m --n 8 --max-new-tokens 64

Scoring: every single-turn AST item of BFCL with a correct prediction (built from its
possible answers) through toolzero's path (ToolRL text -> parser -> official AST
checker), then BFCL multi-turn ground-truth replays through the official multi-turn
checker (execution against the simulated APIs). Generation: `toolzero.evaluation.evaluate`
on the first N BFCL simple_python items (ToolRL protocol, `<think>` prefill, greedy),
with its progress bar; prints items/s, new tokens/s and the accuracy.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def correct_calls(ground_truth: list[dict]) -> list[dict]:
    calls = []
    for answer in ground_truth:
        ((name, params),) = answer.items()
        args = {
            k: next(o for o in v if o != "") for k, v in params.items() if any(o != "" for o in v)
        }
        calls.append({"name": name, "parameters": args})
    return calls


def bench_scoring(multi_turn_items: int) -> None:
    from toolzero.evaluation.bfcl import official
    from toolzero.evaluation.bfcl.bench import score_single_turn

    texts = []
    for category in official.GROUPS["ast"]:
        for entry in official.load_entries(category, with_hints=False):
            calls = correct_calls(official.ground_truth(entry["id"]))
            lines = "\n".join(json.dumps(c) for c in calls)
            texts.append((entry["id"], f"<think> x </think>\n<tool_call>\n{lines}\n</tool_call>"))
    start = time.perf_counter()
    valid = sum(score_single_turn(i, answer=t)["valid"] for i, t in texts)
    seconds = time.perf_counter() - start
    print(
        f"scoring, single-turn AST: {len(texts)} items in {seconds:.2f} s = {len(texts) / seconds:.0f} items/s "
        f"({valid} valid)"
    )
    entries = [e for c in official.MULTI_TURN for e in official.load_entries(c, with_hints=False)]
    entries = entries[:: max(1, len(entries) // multi_turn_items)][:multi_turn_items]
    start = time.perf_counter()
    valid = sum(
        official.check_multi_turn(
            e["id"], [[turn] for turn in official.ground_truth(e["id"])]
        ).valid
        for e in entries
    )
    seconds = time.perf_counter() - start
    print(
        f"scoring, multi-turn (execution + state check): {len(entries)} items in {seconds:.2f} s = "
        f"{len(entries) / seconds:.1f} items/s ({valid} valid)"
    )


def bench_generation(model: str, n: int, max_new_tokens: int, batch_size: int) -> None:
    from transformers import AutoTokenizer

    from toolzero.evaluation import GenerationSettings, evaluate
    from toolzero.evaluation.backends.model_paths import resolve_checkpoint
    from toolzero.models import resolve_model_path

    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        summary = evaluate(
            model,
            ["bfcl:simple_python"],
            out,
            limit=n,
            settings=GenerationSettings(prefill="<think>", max_new_tokens=max_new_tokens),
            batch_size=batch_size,
        )
        wall = time.perf_counter() - start
        rows = [
            json.loads(x) for x in (Path(out) / "bfcl" / "items.jsonl").read_text().splitlines()
        ]
    timing = summary["benchmarks"]["bfcl"]["timing"]
    tokenizer = AutoTokenizer.from_pretrained(str(resolve_checkpoint(resolve_model_path(model))))
    tokens = sum(
        len(tokenizer(r["completion"], add_special_tokens=False)["input_ids"]) for r in rows
    )
    acc = summary["benchmarks"]["bfcl"]["categories"]["simple_python"]["accuracy"]
    print(
        f"generation, {model} on {n} BFCL simple_python items (batch {batch_size}, max {max_new_tokens} "
        f"new tokens): {timing['generation_seconds']:.1f} s generating = "
        f"{timing['generation_items_per_second']} items/s, ~{tokens / timing['generation_seconds']:.1f} "
        f"new tokens/s; accuracy {acc:.2%}; wall {wall:.1f} s with model load"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["scoring", "generation", "both"], default="both")
    parser.add_argument("--model", default="gemma-3-270m")
    parser.add_argument("--n", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--multi-turn-items", type=int, default=80)
    args = parser.parse_args()
    if args.part in ("scoring", "both"):
        bench_scoring(args.multi_turn_items)
    if args.part in ("generation", "both"):
        bench_generation(args.model, args.n, args.max_new_tokens, args.batch_size)


if __name__ == "__main__":
    main()
