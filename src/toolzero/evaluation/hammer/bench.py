"""The `hammer` benchmark: Hammer's unfamiliar-tool suites, run and scored per set.

    toolzero eval --model M --bench hammer:sealtool,nexusraven --limit 50 --out runs/eval
    toolzero eval --model M --bench hammer --data-dir hammer=path/to/hammer --out runs/eval

Items come from `toolzero.evaluation.hammer.data` (Hammer's files, downloaded once, or a local
folder with `--data-dir`), ids `<set>-<row>`. Each item is shown in the chosen prompt
protocol with its tools and dialogue; the answer's calls (toolzero's parser; an answer
whose call block cannot be read is unparsable) are scored by Hammer's rules
(`toolzero.evaluation.hammer.scoring`). The summary holds each set's API-name and parameter
precision / recall / F1 and exact-match accuracy; `valid` per item is exact match.
"""

from __future__ import annotations

from typing import Any

from toolzero.data.report import DataReport
from toolzero.evaluation.hammer.data import HAMMER_SETS, HAMMER_SIZES, hammer_file, load_hammer
from toolzero.evaluation.hammer.scoring import score_hammer_item, summarize_hammer
from toolzero.evaluation.item_bench import Groups, Item, ItemBench
from toolzero.evaluation.registry import BenchOptions
from toolzero.protocol.types import ToolCall


def load_groups(
    sub: list[str], options: BenchOptions, limit: int | None, report: DataReport
) -> Groups:
    data_dir = options.data_dir("hammer")
    return {
        name: [
            Item(e.id, name, e, e)
            for e in load_hammer(name, data_dir, report, allow_download=options.download)
        ]
        for name in (sub or HAMMER_SETS)
    }


def score_item(
    item: Item, answer: str | None, calls: list[ToolCall] | None, options: BenchOptions
) -> dict[str, Any]:
    gold = item.data.reference_calls
    score = score_hammer_item(gold, calls)
    if not score.parsed:
        reason = "unparsable answer"
    elif score.exact:
        reason = ""
    elif not calls:
        reason = "no call"
    elif sorted(c.name for c in calls) != sorted(c.name for c in gold):
        reason = "called functions differ from the label's"
    else:
        reason = "argument values differ"
    return {
        "id": item.id,
        "set": item.group,
        "valid": score.exact,
        "reason": reason,
        **score.to_dict(),
        "calls": None if calls is None else [c.to_dict() for c in calls],
        "gold": [c.to_dict() for c in gold],
    }


def summarize_sets(
    rows: list[dict[str, Any]], sizes: dict[str, int], options: BenchOptions | None = None
) -> dict[str, Any]:
    """Hammer's metrics per set (each set on its own, as Hammer reports them)."""
    sets = {}
    for name, size in sizes.items():
        summary = summarize_hammer(r for r in rows if r["set"] == name)
        summary.pop("definition")
        sets[name] = summary | {"size": size, "published_size": HAMMER_SIZES[name]}
    return {
        "sets": sets,
        "definition": (
            "Hammer's evaluate.py per set: API-name and parameter precision/recall/F1 over all "
            "items (quirks kept: first same-name label call with a hit; a parameterless match "
            "counts one parameter hit, so param F1 can exceed 100%); exact_match is ours: the "
            "calls as a multiset, values compared as str()"
        ),
    }


HAMMER = ItemBench("hammer", load_groups, score_item, summarize_sets)


def check_hammer(sub: list[str], options: BenchOptions) -> None:
    """With a local folder, every set asked for must be in it; with downloading off, in
    toolzero's cache (no download is tried)."""
    data_dir = options.data_dir("hammer")
    if data_dir is not None or not options.download:
        for name in sub or HAMMER_SETS:
            hammer_file(name, data_dir, allow_download=False)
