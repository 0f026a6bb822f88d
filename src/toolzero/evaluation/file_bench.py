"""The `file` benchmark: evaluate on any dataset `toolzero data` loads.

    toolzero eval --model M --bench file:data/my.jsonl --limit 50 --out runs/eval
    toolzero eval --model M --bench file:xlam:rows.json,runs/data/prepared --out runs/eval
    toolzero eval score --bench file:data/my.jsonl --predictions preds.jsonl --out runs/s

The sub-selection is a data spec: a local file or folder in any supported format (detected
from its rows, or `FORMAT:PATH`), `hf:owner/name[:split]`, or a prepared folder (`toolzero
data prepare`; its held-out `eval.jsonl` is evaluated). Each spec is one group; item ids are
the examples' ids (`<file-stem>-<row>` for formats without their own). Rows that cannot be
read are reported with file, row and reason (`rejected_rows`) and the rest run.

Per item, the synthetic benchmark's measures (`toolzero.evaluation.synthetic.score_answer`):
`format_valid`, `right_tools` (multiset of called names), `exact_match` (multiset of calls,
values under BFCL's normalisation, `toolzero.rewards.matching.normalize_value`), the reward
under a preset (`--reward-preset`, with its components); plus `no_call_correct`: the answer
opens no call block exactly when the reference calls nothing. An answer whose call block cannot
be read is unparsable: wrong on every measure (including `no_call_correct`, since it tried
to call). `valid` per item is exact match.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolzero.data.dataset import EVAL_FILE, is_prepared, split_format
from toolzero.data.report import DataReport
from toolzero.evaluation.item_bench import Groups, Item, ItemBench
from toolzero.evaluation.registry import BenchOptions
from toolzero.evaluation.synthetic import check_synthetic, score_answer, summarize_synthetic
from toolzero.protocol import render_toolrl_output
from toolzero.protocol.types import ToolCall
from toolzero.user_files import BadInputError, MissingInputError


def data_location(spec: str) -> tuple[str | None, str, str]:
    """(format or None, location, source label) for one `file:` spec; the label (the file
    or folder stem) names the rows in ids and rejection reports."""
    if is_prepared(spec):
        return "example", str(Path(spec) / EVAL_FILE), Path(spec).name
    fmt, location = split_format(spec)
    if location.startswith("hf:"):
        return fmt, location, location[3:].partition(":")[0].rsplit("/", 1)[-1]
    return fmt, location, Path(location).stem


def load_groups(
    sub: list[str], options: BenchOptions, limit: int | None, report: DataReport
) -> Groups:
    """One group per spec, the examples in file order; a duplicated id is a bad row."""
    from toolzero.data.sources import load_source
    from toolzero.rewards import get_preset

    preset = get_preset(options.reward_preset)
    groups: Groups = {}
    seen: set[str] = set()
    for spec in sub:
        fmt, location, label = data_location(spec)
        items = []
        for example in load_source(location, fmt, source=label, report=report, limit=limit):
            if example.id in seen:
                report.reject(label, example.id, "duplicate id", "an earlier row has this id")
                continue
            seen.add(example.id)
            items.append(Item(example.id, spec, example, (example, preset)))
        groups[spec] = items
    return groups


def score_item(
    item: Item, answer: str | None, calls: list[ToolCall] | None, options: BenchOptions
) -> dict[str, Any]:
    """A `calls` row is scored as the ToolRL-format answer holding those calls (no think
    block, so it is not format-valid); `calls` None means the text was unparsable."""
    example, preset = item.data
    if answer is None:
        answer = render_toolrl_output("", calls or (), None)
    row = score_answer(example, answer, preset)
    needs_call = bool(example.reference_calls)
    row.update(group=item.group, needs_call=needs_call, unparsable=calls is None)
    if calls is None:
        row.update(right_tools=False, exact_match=False, valid=False, no_call_correct=False)
    else:
        row["no_call_correct"] = row["called"] == needs_call
    row["reason"] = verdict_reason(row)
    return row


def verdict_reason(row: dict[str, Any]) -> str:
    if row["valid"]:
        return ""
    if row["unparsable"]:
        return "unparsable answer"
    if not row["called"]:
        return "no call"
    if not row["calls"]:
        return "call block with no readable call"
    if not row["needs_call"]:
        return "called a tool where the reference calls none"
    if not row["right_tools"]:
        return "called tools differ from the reference's"
    return "argument values differ"


def summarize(
    rows: list[dict[str, Any]], sizes: dict[str, int], options: BenchOptions
) -> dict[str, Any]:
    """The synthetic benchmark's summary, plus no-call correctness and each file's share."""
    summary = summarize_synthetic(rows, options.reward_preset)
    no_call_items = [r for r in rows if not r["needs_call"]]
    summary.update(
        no_call_correct=mean(r["no_call_correct"] for r in rows),
        no_call_items=len(no_call_items),
        no_call_accuracy=mean(r["no_call_correct"] for r in no_call_items),
        unparsable=sum(bool(r["unparsable"]) for r in rows),
        files={
            spec: {
                "n": len(group),
                "size": size,
                "exact_match": mean(r["exact_match"] for r in group),
            }
            for spec, size in sizes.items()
            for group in [[r for r in rows if r["group"] == spec]]
        },
    )
    return summary


def mean(values: Any) -> float | None:
    values = [float(v) for v in values]
    return sum(values) / len(values) if values else None


FILE = ItemBench("file", load_groups, score_item, summarize)


def check_file(sub: list[str], options: BenchOptions) -> None:
    """A path per spec that exists (Hub datasets are checked when they load)."""
    if not sub:
        raise BadInputError(
            "--bench file: name the data, e.g. --bench file:data/my.jsonl (any format "
            "`toolzero data` loads, or a prepared folder)"
        )
    for spec in sub:
        location = data_location(spec)[1]
        if not location.startswith("hf:") and not Path(location).expanduser().exists():
            raise MissingInputError(
                f"--bench file:{spec}: {location} does not exist; give a data file or a "
                "prepared folder"
            )
    check_synthetic(sub, options)
