"""The `synthetic` benchmark: held-out synthetic tool-use tasks, scored per item.

Tasks come from `toolzero.data.synthetic.generate_examples(n, seed, split="heldout")`:
tools and domains never seen in training, so it measures learning to call tools, not
remembering the training tools. It runs offline in seconds, which is why the training
quickstart uses it before and after training. Per item:

- `format_valid`: the parser found nothing wrong (think block, call/response blocks, no
  stray text);
- `right_tools`: the multiset of called tool names equals the reference's (no call for a
  task that needs none: an answer that opens a `<tool_call>` block is a call, even one
  cut off or unreadable, so a truncated attempt never counts as declining);
- `exact_match`: the multiset of calls equals the reference's, names and arguments, with
  BFCL's value normalisation (`toolzero.rewards.matching.normalize_value`: strings
  lower-cased without spaces and `,./-_*^`; ints equal to floats of the same value);
- `reward`: the total (and each component) under a reward preset (default `toolrl`).

Two diagnostics over all the calls made (not per item), for what a trained model does
wrong: `calls_naming_listed_tools`, the share of calls naming a tool in the task's list
(the rest invent a name), and `calls_missing_required`, of those, the share leaving out a
parameter the tool requires (e.g. a call without arguments).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from toolzero.data.report import DataReport
from toolzero.evaluation.item_bench import Groups, Item, ItemBench
from toolzero.evaluation.registry import BenchOptions, RunContext
from toolzero.evaluation.results import clip_text
from toolzero.protocol import render_toolrl_output
from toolzero.protocol.parser import parse_completion
from toolzero.protocol.types import Example, ToolCall
from toolzero.rewards.matching import value_key
from toolzero.user_files import BadInputError

DEFAULT_N = 100
UNREADABLE_CALL = "<unreadable call>"
"""Stands for a call block from which no call could be read (no tool has this name)."""


def call_key(call: ToolCall) -> str:
    """A call's name and BFCL-normalised arguments as text: equal keys, equal calls."""
    return json.dumps([call.name, value_key(call.arguments)])


def score_answer(example: Example, answer: str, preset: Any) -> dict[str, Any]:
    """One item's row: the four measures, the calls, the reward components."""
    parsed = parse_completion(answer)
    ref_calls = list(example.reference_calls)
    # An opened call block that yielded no call (cut off, unreadable JSON) is still a call:
    # it must not pass for declining on a task that needs none.
    unread = [UNREADABLE_CALL] if parsed.has_call_block and not parsed.calls else []
    row: dict[str, Any] = {
        "id": example.id,
        "shape": example.metadata.get("shape", ""),
        "format_valid": not parsed.problems,
        "right_tools": Counter([c.name for c in parsed.calls] + unread)
        == Counter(c.name for c in ref_calls),
        "exact_match": Counter([*map(call_key, parsed.calls), *unread])
        == Counter(map(call_key, ref_calls)),
        "calls": [c.to_dict() for c in parsed.calls],
        **call_checks(example, parsed.calls),
        "called": parsed.has_call_block,
        "problems": list(parsed.problems),
        "completion": clip_text(answer),
    }
    scores = preset.score(answer, example.reference_text(), tools=[t.name for t in example.tools])
    row["reward"] = scores["total"]
    row["reward_components"] = {k: v for k, v in scores.items() if k != "total"}
    row["valid"] = row["exact_match"]
    return row


def call_checks(example: Example, calls: list[ToolCall]) -> dict[str, int]:
    """How many of an answer's calls name a tool the task lists, and how many of those
    leave out a parameter that tool requires."""
    tools = {t.name: set(t.required()) for t in example.tools}
    listed = [c for c in calls if c.name in tools]
    missing = [
        c for c in listed
        if not isinstance(c.arguments, dict) or not tools[c.name] <= set(c.arguments)
    ]  # fmt: skip
    return {"calls_made": len(calls), "calls_listed": len(listed), "calls_missing": len(missing)}


def summarize_synthetic(rows: list[dict[str, Any]], preset_name: str) -> dict[str, Any]:
    n = len(rows)
    made = sum(r.get("calls_made", 0) for r in rows)
    listed = sum(r.get("calls_listed", 0) for r in rows)
    missing = sum(r.get("calls_missing", 0) for r in rows)

    def mean(key: str) -> float | None:
        return sum(float(r[key]) for r in rows) / n if n else None

    by_shape: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_shape.setdefault(row.get("shape") or "unknown", []).append(row)
    shapes = {
        s: {"n": len(r), "exact_match": sum(x["exact_match"] for x in r) / len(r)}
        for s, r in by_shape.items()
    }
    components: dict[str, list[float]] = {}
    for row in rows:
        for name, value in (row.get("reward_components") or {}).items():
            components.setdefault(name, []).append(float(value))
    return {
        "n": n,
        "format_valid": mean("format_valid"),
        "right_tools": mean("right_tools"),
        "exact_match": mean("exact_match"),
        "reward_mean": mean("reward"),
        # None where no call was made: a share of nothing
        "calls_naming_listed_tools": listed / made if made else None,
        "calls_missing_required": missing / listed if listed else None,
        "reward_components": {k: sum(v) / len(v) for k, v in components.items()},
        "reward_preset": preset_name,
        "by_shape": shapes,
    }


def load_groups(
    sub: list[str], options: BenchOptions, limit: int | None, report: DataReport
) -> Groups:
    """`limit` tasks (default `synthetic_n`), generated from `synthetic_seed`."""
    from toolzero.data.synthetic import generate_examples
    from toolzero.rewards import get_preset

    preset = get_preset(options.reward_preset)
    n = limit if limit is not None else options.synthetic_n
    examples = generate_examples(n, options.synthetic_seed, split="heldout")
    return {"heldout": [Item(e.id, "heldout", e, (e, preset)) for e in examples]}


def score_item(
    item: Item, answer: str | None, calls: list[ToolCall] | None, options: BenchOptions
) -> dict[str, Any]:
    """A `calls` row is scored as the ToolRL-format answer holding those calls (no think
    block, so it is not format-valid)."""
    example, preset = item.data
    if answer is None:
        answer = render_toolrl_output("", calls or (), None)
    row = score_answer(example, answer, preset)
    row["reason"] = "" if row["valid"] else "; ".join(row["problems"]) or "calls differ"
    return row


def summarize(
    rows: list[dict[str, Any]], sizes: dict[str, int], options: BenchOptions
) -> dict[str, Any]:
    summary = summarize_synthetic(rows, options.reward_preset)
    summary.update(seed=options.synthetic_seed, split="heldout")
    return summary


SYNTHETIC = ItemBench("synthetic", load_groups, score_item, summarize)


def check_synthetic(sub: list[str], options: BenchOptions) -> None:
    from toolzero.rewards import get_preset

    try:
        get_preset(options.reward_preset)
    except ValueError as exc:
        raise BadInputError(f"--reward-preset: {exc}") from None


def run_synthetic(
    model: Any,
    out_dir: str | Path,
    n: int = DEFAULT_N,
    seed: int = 0,
    preset: str = "toolrl",
    batch_size: int = 8,
) -> dict[str, Any]:
    """Run the synthetic tasks without the registry (Python use and tests)."""
    options = BenchOptions(synthetic_n=n, synthetic_seed=seed, reward_preset=preset)
    return SYNTHETIC.run(RunContext(model, Path(out_dir), [], None, batch_size, options))
