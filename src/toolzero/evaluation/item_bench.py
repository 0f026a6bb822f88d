"""Single-turn benchmarks from three functions: load items, score one answer, summarize.

API-Bank, the Hammer suites, ACEBench and the synthetic tasks all show the model one
prompt per item and score its one answer. An `ItemBench` gives each of them the same two
entry points the registry calls:

- `run(ctx)`: the first `limit` items of each group (set, level, category), generated in
  batches, scored and appended to `<out>/<name>/items.jsonl` as they finish, so a rerun
  resumes; the summary is computed from that file (rows of the items asked for only);
- `score_predictions(path, sub, options, out)`: the same verdicts and the same summary for
  saved answers, one JSON line each: `{"id", "completion"}` (raw text, read by the
  benchmark with toolzero's parser) or `{"id", "calls": [{"name", "arguments"}]}`.
  Every bad line is named with file, line and reason, all at once, before anything is
  scored.

A benchmark's `score(item, answer, calls, options)` gets the raw text (None for `calls`
rows) and the decoded calls (None when the text's calls could not be read); it returns the
item's row, with `valid` (the headline verdict) and `reason` (why not, empty when right).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolzero.data.report import DataReport
from toolzero.errors import ConfigError
from toolzero.evaluation.generation import RunStats, SingleTurn, run_dialogues
from toolzero.evaluation.registry import BenchOptions, RunContext
from toolzero.evaluation.results import ItemStore, clip_text
from toolzero.protocol.parser import parse_completion
from toolzero.protocol.types import ToolCall
from toolzero.user_files import checked_json_lines, writable_dir

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Item:
    """One benchmark item: its id, its group, what the model sees, what the scorer needs."""

    id: str
    group: str
    prompt: Any  # an Example, an Instructed example, or verbatim chat messages
    data: Any


Groups = dict[str, list[Item]]  # group -> every item of the group, in source order


@dataclass(frozen=True)
class ItemBench:
    """`load(sub, options, limit, report) -> Groups` (rows it cannot read go to `report`,
    with file, row and reason: they appear in the summary as `rejected_rows`);
    `score(item, answer, calls, options) -> row`; `summarize(rows, sizes, options) ->
    summary` (sizes: items per group in the source); `take(items, limit)` picks what
    `--limit` runs of a group (default: the first `limit` items)."""

    name: str
    load: Callable[[list[str], BenchOptions, int | None, DataReport], Groups]
    score: Callable[[Item, str | None, list[ToolCall] | None, BenchOptions], dict[str, Any]]
    summarize: Callable[[list[dict[str, Any]], dict[str, int], BenchOptions], dict[str, Any]]
    take: Callable[[list[Item], int | None], list[Item]] = lambda items, limit: items[:limit]

    def run(self, ctx: RunContext) -> dict[str, Any]:
        report = DataReport()
        groups = self.load(ctx.sub, ctx.options, ctx.limit, report)
        items = [item for group in groups.values() for item in self.take(group, ctx.limit)]
        store = ItemStore(ctx.out / self.name / "items.jsonl")
        done = store.done_ids()
        if done:
            logger.info("%s: resuming, %d items already done", self.name, len(done))
        by_id = {item.id: item for item in items}
        pending = [SingleTurn(item.id, item.prompt) for item in items if item.id not in done]

        def score(dialogue: SingleTurn) -> dict[str, Any]:
            answer = dialogue.answer or ""
            row = self.score(by_id[dialogue.id], answer, decoded_calls(answer), ctx.options)
            return {**row, "completion": clip_text(answer)}

        stats = run_dialogues(
            ctx.model, pending, score, store, ctx.batch_size, len(pending), self.name
        )
        rows = [r for r in store.load() if r["id"] in by_id]
        summary = self.summarize(rows, sizes(groups), ctx.options)
        summary.update(limit=ctx.limit, items_file=str(store.path), timing=stats.to_dict())
        return with_rejections(summary, report, self.name)

    def score_predictions(
        self, path: str | Path, sub: list[str], options: BenchOptions, out: Path
    ) -> dict[str, Any]:
        report = DataReport()
        groups = self.load(sub, options, None, report)
        by_id = {item.id: item for group in groups.values() for item in group}
        rows = read_predictions(path, by_id, self.name)
        items_path = writable_dir(out) / self.name / "items.jsonl"
        items_path.unlink(missing_ok=True)
        start = time.perf_counter()
        scored = []
        for item_id, answer, calls in rows:
            if answer is not None:
                calls = decoded_calls(answer)
            row = self.score(by_id[item_id], answer, calls, options)
            if answer is not None:
                row["completion"] = clip_text(answer)
            scored.append(row)
        stats = RunStats(items=len(scored), scoring_seconds=time.perf_counter() - start)
        ItemStore(items_path).append(scored)
        present = {by_id[item_id].group for item_id, _, _ in rows}
        group_sizes = {g: n for g, n in sizes(groups).items() if g in present}
        summary = self.summarize(scored, group_sizes, options)
        summary.update(predictions=str(path), items_file=str(items_path), timing=stats.to_dict())
        return with_rejections(summary, report, self.name)


def with_rejections(summary: dict[str, Any], report: DataReport, name: str) -> dict[str, Any]:
    """The summary, with the data rows that could not be read (file, row, reason)."""
    if report.total_rejected:
        report.log(name)
        summary["rejected_rows"] = report.summary()
    return summary


def sizes(groups: Groups) -> dict[str, int]:
    return {name: len(items) for name, items in groups.items()}


def decoded_calls(answer: str) -> list[ToolCall] | None:
    """The calls toolzero's parser reads in `answer`; None when a call block held something
    it could not read as calls (an unparsable answer), [] when there is no call at all. An
    unclosed `<tool_call>` whose calls read is not unparsable (stop strings are cut off)."""
    parsed = parse_completion(answer)
    if any(p.startswith("call:") for p in parsed.problems):
        return None
    return list(parsed.calls)


Prediction = tuple[str, str | None, list[ToolCall] | None]  # id, completion, calls


def read_predictions(path: str | Path, known: dict[str, Any], bench: str) -> list[Prediction]:
    """Every row of a predictions file, checked; all problems raised at once as a
    `ConfigError` naming the file and each line (unknown id, duplicate, bad shape)."""
    example_id = next(iter(known), "...")

    def check(row: Any, seen: dict[str, int]) -> tuple[str, str | None, Prediction | None]:
        problem, prediction = check_row(row, known, seen, bench, example_id)
        return problem, prediction[0] if prediction else None, prediction

    rows = checked_json_lines(path, check)
    if not rows:
        raise ConfigError(["no prediction rows; give one JSON object per line"], str(path))
    return rows


def check_row(
    row: Any, known: dict[str, Any], seen: dict[str, int], bench: str, example_id: str
) -> tuple[str, Prediction | None]:
    """(problem, None) or ("", prediction) for one decoded line."""
    item_id = row.get("id") if isinstance(row, dict) else None
    if not isinstance(item_id, str):
        return f'needs a string "id" (an id of {bench}, like "{example_id}")', None
    if item_id not in known:
        return f"{item_id!r} is not an id of {bench} (ids look like {example_id!r})", None
    if item_id in seen:
        return f"{item_id!r} appears twice (first on line {seen[item_id]}); keep one", None
    if "completion" in row:
        if not isinstance(row["completion"], str):
            return '"completion" must be the model\'s text (a string)', None
        return "", (item_id, row["completion"], None)
    if "calls" not in row:
        return 'give "completion" (the model\'s text) or "calls" (a list of calls)', None
    calls = read_calls(row["calls"])
    if calls is None:
        return '"calls" must be a list of {"name": str, "arguments": object}', None
    return "", (item_id, None, calls)


def read_calls(value: Any) -> list[ToolCall] | None:
    if not isinstance(value, list):
        return None
    calls = []
    for call in value:
        if not isinstance(call, dict) or not isinstance(call.get("name"), str):
            return None
        arguments = call.get("arguments", call.get("parameters", {}))
        if not isinstance(arguments, dict):
            return None
        calls.append(ToolCall(call["name"], arguments))
    return calls
