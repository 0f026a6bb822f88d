"""The `when2call` benchmark (generation mode): the model answers each question with the
offered tools, and its answer is classified as a tool call, a question for missing
information, a refusal or a direct answer by `data.classify_answer`.

    toolzero eval --model M --bench when2call --data-dir when2call=DIR --limit 50 --out runs/eval
    toolzero eval score --bench when2call --predictions preds.jsonl --data-dir when2call=DIR

`when2call:mcq` is the multiple-choice mode instead (`mcq`; HF backend
only): its summary names the accuracy `normalised_accuracy`.

`valid` per item: the predicted category is the correct one. The summary holds accuracy,
macro F1 over the four categories and the tool-hallucination rate (definitions in
`data`).
"""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path
from typing import Any

from toolzero.data.report import DataReport
from toolzero.evaluation.backends.openai import OpenAIBackend
from toolzero.evaluation.item_bench import Groups, Item, ItemBench, sizes, with_rejections
from toolzero.evaluation.registry import BenchOptions, RunContext
from toolzero.evaluation.results import ItemStore
from toolzero.evaluation.when2call.data import (
    JUDGE_PROMPT,
    answer_text,
    classify_answer,
    judge_category,
    load_when2call,
    summarize_when2call,
    when2call_file,
)
from toolzero.evaluation.when2call.mcq import choose_answer
from toolzero.protocol.chat import render_prompt
from toolzero.protocol.types import ToolCall
from toolzero.user_files import BadInputError


def load_groups(
    sub: list[str], options: BenchOptions, limit: int | None, report: DataReport
) -> Groups:
    items = load_when2call(options.data_dir("when2call"), report, options.download)
    return {"when2call": [Item(i.example.id, "when2call", i.example, i) for i in items]}


def score_item(
    item: Item, answer: str | None, calls: list[ToolCall] | None, options: BenchOptions
) -> dict[str, Any]:
    predicted = classify_answer(answer, calls)
    judged: dict[str, Any] = {}
    if options.judge_url and predicted != "tool_call":
        reply = judge(options).ask(item.prompt.messages[-1].content, answer_text(answer or ""))
        judged = {"rule_category": predicted, "judge_reply": reply}
        predicted = judge_category(reply) or predicted
    correct = item.data.correct
    return {
        **judged,
        "id": item.id,
        "valid": predicted == correct,
        "reason": "" if predicted == correct else f"answered {predicted}, expected {correct}",
        "predicted": predicted,
        "correct_answer": correct,
        "calls": None if calls is None else [c.to_dict() for c in calls],
    }


class When2CallJudge:
    """The LLM judge: one chat request per answer to an OpenAI-compatible endpoint."""

    def __init__(self, base_url: str, model: str | None, api_key: str | None):
        self.client = OpenAIBackend(base_url, model, api_key=api_key, progress=False)

    def ask(self, question: str, answer: str) -> str:
        prompt = JUDGE_PROMPT.format(question=question, answer=answer)
        return self.client.generate([prompt], max_new_tokens=8, temperature=0.0)[0]


@functools.lru_cache(maxsize=4)
def _judge(url: str, model: str | None, key: str | None) -> When2CallJudge:
    return When2CallJudge(url, model, key)


def judge(options: BenchOptions) -> When2CallJudge:
    assert options.judge_url is not None
    return _judge(options.judge_url, options.judge_model, os.environ.get(options.judge_key_env))


def summarize_rows(
    rows: list[dict[str, Any]], sizes: dict[str, int], options: BenchOptions | None = None
) -> dict[str, Any]:
    summary = summarize_when2call([(r["correct_answer"], r["predicted"]) for r in rows])
    summary["size"] = sizes.get("when2call", 0)
    judged = any("judge_reply" in r for r in rows)
    summary["mode"] = "generation (LLM judge)" if judged else "generation (rule classifier)"
    return summary


class When2CallBench(ItemBench):
    """Generation mode as any `ItemBench`; `when2call:mcq` runs the MCQ mode instead."""

    def run(self, ctx: RunContext) -> dict[str, Any]:
        if "mcq" in ctx.sub:
            return run_mcq(self, ctx)
        return super().run(ctx)

    def score_predictions(
        self, path: str | Path, sub: list[str], options: BenchOptions, out: Path
    ) -> dict[str, Any]:
        if "mcq" in sub:
            raise BadInputError(
                "eval score: when2call:mcq scores the model's log-likelihoods and needs the "
                "model; score saved answers with --bench when2call (generation mode)"
            )
        return super().score_predictions(path, sub, options, out)


WHEN2CALL = When2CallBench("when2call", load_groups, score_item, summarize_rows)


def run_mcq(bench: ItemBench, ctx: RunContext) -> dict[str, Any]:
    """MCQ mode: each item's pick by `choose_answer`, stored and resumable like a run."""
    backend = ctx.model.backend
    weights = getattr(backend, "model", None)
    if weights is None or not hasattr(weights, "device"):
        raise BadInputError(
            "--bench when2call:mcq needs the model's weights (the HF backend); a served "
            "model cannot be scored by log-likelihood: use --bench when2call"
        )
    report = DataReport()
    groups = bench.load(ctx.sub, ctx.options, ctx.limit, report)
    items = [item for group in groups.values() for item in bench.take(group, ctx.limit)]
    store = ItemStore(ctx.out / bench.name / "items.jsonl")
    done = store.done_ids()
    start = time.perf_counter()
    for item in items:
        if item.id in done:
            continue
        prompt = render_prompt(ctx.model.tokenizer, item.prompt, ctx.model.protocol)
        predicted, scores = choose_answer(weights, ctx.model.tokenizer, prompt, item.data.answers)
        correct = item.data.correct
        store.append([{
            "id": item.id,
            "valid": predicted == correct,
            "reason": "" if predicted == correct else f"chose {predicted}, expected {correct}",
            "predicted": predicted,
            "correct_answer": correct,
            "mean_logprobs": scores,
        }])  # fmt: skip
    by_id = {item.id for item in items}
    rows = [r for r in store.load() if r["id"] in by_id]
    summary = summarize_rows(rows, sizes(groups))
    summary["normalised_accuracy"] = summary.pop("accuracy")
    summary["mode"] = "mcq (mean token log-likelihood of each candidate)"
    seconds = round(time.perf_counter() - start, 3)
    summary.update(limit=ctx.limit, items_file=str(store.path), timing={"seconds": seconds})
    return with_rejections(summary, report, bench.name)


def check_when2call(sub: list[str], options: BenchOptions) -> None:
    """With a local folder, the file must be in it; with downloading off, in toolzero's
    cache (no download is tried)."""
    data_dir = options.data_dir("when2call")
    if data_dir is not None or not options.download:
        when2call_file(data_dir, allow_download=False)
