"""The `when2call` benchmark (generation mode): the model answers each question with the
offered tools, and its answer is classified as a tool call, a question for missing
information, a refusal or a direct answer by `toolzero.evaluation.when2call.classify_answer`.

    toolzero eval --model M --bench when2call --data-dir when2call=DIR --limit 50 --out runs/eval
    toolzero eval score --bench when2call --predictions preds.jsonl --data-dir when2call=DIR

`valid` per item: the predicted category is the correct one. The summary holds accuracy,
macro F1 over the four categories and the tool-hallucination rate (definitions in
`toolzero.evaluation.when2call`).
"""

from __future__ import annotations

from typing import Any

from toolzero.data.report import DataReport
from toolzero.evaluation.item_bench import Groups, Item, ItemBench
from toolzero.evaluation.registry import BenchOptions
from toolzero.evaluation.when2call import (
    classify_answer,
    load_when2call,
    summarize_when2call,
    when2call_file,
)
from toolzero.protocol.types import ToolCall


def load_groups(
    sub: list[str], options: BenchOptions, limit: int | None, report: DataReport
) -> Groups:
    items = load_when2call(options.data_dir("when2call"), report)
    return {"when2call": [Item(i.example.id, "when2call", i.example, i) for i in items]}


def score_item(
    item: Item, answer: str | None, calls: list[ToolCall] | None, options: BenchOptions
) -> dict[str, Any]:
    predicted = classify_answer(answer, calls)
    correct = item.data.correct
    return {
        "id": item.id,
        "valid": predicted == correct,
        "reason": "" if predicted == correct else f"answered {predicted}, expected {correct}",
        "predicted": predicted,
        "correct_answer": correct,
        "calls": None if calls is None else [c.to_dict() for c in calls],
    }


def summarize_rows(
    rows: list[dict[str, Any]], sizes: dict[str, int], options: BenchOptions | None = None
) -> dict[str, Any]:
    summary = summarize_when2call([(r["correct_answer"], r["predicted"]) for r in rows])
    summary["size"] = sizes.get("when2call", 0)
    summary["mode"] = "generation (rule classifier)"
    return summary


WHEN2CALL = ItemBench("when2call", load_groups, score_item, summarize_rows)


def check_when2call(sub: list[str], options: BenchOptions) -> None:
    """With a local folder, the file must be in it (no download is tried)."""
    data_dir = options.data_dir("when2call")
    if data_dir is not None:
        when2call_file(data_dir)
