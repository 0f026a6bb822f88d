"""The `acebench` benchmark: ACEBench's English normal and special categories, run and scored.

    toolzero eval --model M --bench acebench:normal_atom_bool,special_irrelevant --out runs/eval
    toolzero eval --model M --bench acebench --data-dir acebench=path/to/data_en --out runs/eval

Items come from `toolzero.evaluation.acebench.data` (ACEBench's files, downloaded once, or a
local folder holding `data_<category>.json` and `possible_answer/`). Each item is shown in
the chosen prompt protocol with ACEBench's answer instructions added to the system prompt
(`acebench_instructions`: the fixed sentences special categories are scored on, the date,
the user profile), so special-category numbers mean what ACEBench's do. Normal answers are
checked on their calls (toolzero's parser), special answers on their text. The agent
categories need ACEBench's simulated apps and are not included.
"""

from __future__ import annotations

from typing import Any

from toolzero.data.report import DataReport
from toolzero.evaluation.acebench.data import (
    ACEBENCH_CATEGORIES,
    acebench_instructions,
    acebench_row,
    category_file,
    load_acebench,
    score_acebench_item,
    summarize_acebench,
)
from toolzero.evaluation.generation import Instructed
from toolzero.evaluation.item_bench import Groups, Item, ItemBench
from toolzero.evaluation.registry import BenchOptions
from toolzero.protocol.types import ToolCall


def load_groups(
    sub: list[str], options: BenchOptions, limit: int | None, report: DataReport
) -> Groups:
    data_dir = options.data_dir("acebench")
    groups: Groups = {}
    for category in sub or ACEBENCH_CATEGORIES:
        examples = load_acebench([category], data_dir, report, options.download)
        groups[category] = [
            Item(e.id, category, Instructed(e, acebench_instructions(e)), e) for e in examples
        ]
    return groups


def score_item(
    item: Item, answer: str | None, calls: list[ToolCall] | None, options: BenchOptions
) -> dict[str, Any]:
    """A `calls` row has no text: special items (which are judged on text) are wrong."""
    verdict = score_acebench_item(item.data, calls, answer or "")
    row = acebench_row(item.data, verdict)
    row["calls"] = None if calls is None else [c.to_dict() for c in calls]
    return row


def summarize(
    rows: list[dict[str, Any]], sizes: dict[str, int], options: BenchOptions | None = None
) -> dict[str, Any]:
    summary = summarize_acebench(rows)
    for category, size in sizes.items():
        if category in summary["categories"]:
            summary["categories"][category]["size"] = size
    summary["complete"] = all(
        summary["categories"].get(c, {}).get("items") == n for c, n in sizes.items()
    )
    return summary


def take(items: list[Item], limit: int | None) -> list[Item]:
    """`--limit N`: the first N items, or, in a multi-turn category, every turn of the
    first N dialogues (a dialogue is scored on all its turns)."""
    if limit is None or not items or "dialogue" not in items[0].data.metadata:
        return items[:limit]
    first: list[str] = []
    for item in items:
        dialogue = item.data.metadata["dialogue"]
        if dialogue not in first:
            first.append(dialogue)
    kept = set(first[:limit])
    return [item for item in items if item.data.metadata["dialogue"] in kept]


ACEBENCH = ItemBench("acebench", load_groups, score_item, summarize, take)


def check_acebench(sub: list[str], options: BenchOptions) -> None:
    """With a local folder, every category asked for must be in it; with downloading off,
    in toolzero's cache (no download is tried)."""
    data_dir = options.data_dir("acebench")
    if data_dir is not None or not options.download:
        for category in sub or ACEBENCH_CATEGORIES:
            category_file(category, data_dir, answers=False, allow_download=False)
            category_file(category, data_dir, answers=True, allow_download=False)
