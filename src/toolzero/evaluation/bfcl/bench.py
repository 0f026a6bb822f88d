"""The BFCL benchmark: run a model on BFCL's categories, or score saved predictions.

    run_bfcl(model, out_dir, categories=["all"], limit=None)       # generate, check, summarize
    score_bfcl_predictions("preds.jsonl", out_dir)                  # check only

Data and verdicts come from the PyPI `bfcl-eval` package (see `official`). Results go
to `out_dir/bfcl/items.jsonl` (one row per item: verdict, BFCL's error type and message,
the model's text and decoded calls) and the summary (see `summary`) is returned.
`limit` takes the first N items of each category, in BFCL's order.

A predictions file has one JSON object per line: `{"id": "simple_python_0", "completion":
"<raw model text>"}` or `{"id": ..., "calls": [{"name": ..., "arguments": {...}}]}`;
multi-turn rows give `"turns"`: a list of turns, each a list of steps, each step a
completion string or a list of calls.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from toolzero.evaluation.bfcl import official
from toolzero.evaluation.bfcl.items import calls_from_rows, decode_calls, single_turn_example
from toolzero.evaluation.bfcl.multi_turn import (
    MultiTurnDialogue,
    executed_from_prediction,
    score_dialogue,
)
from toolzero.evaluation.bfcl.summary import summarize_bfcl
from toolzero.evaluation.generation import ModelUnderTest, RunStats, SingleTurn, run_dialogues
from toolzero.evaluation.registry import BenchOptions, RunContext
from toolzero.evaluation.results import ItemStore, clip_text
from toolzero.user_files import BadInputError, checked_json_lines, writable_dir

logger = logging.getLogger(__name__)


def score_single_turn(item_id: str, answer: str | None = None, calls: Any = None) -> dict[str, Any]:
    """One single-turn item's stored row, from the model's text or from given calls."""
    if answer is not None:
        decoded, problems = decode_calls(answer)
    else:
        decoded, problems = calls_from_rows(calls)
    verdict = official.check_single_turn(item_id, decoded, "; ".join(problems))
    row: dict[str, Any] = {
        "id": item_id,
        "category": official.category_of(item_id),
        **verdict.to_dict(),
    }
    if answer is not None:
        row["completion"] = clip_text(answer)
    row["calls"] = [c.to_dict() for c in decoded] if decoded is not None else None
    row["problems"] = problems
    return row


def _score_turn(dialogue: SingleTurn) -> dict[str, Any]:
    return score_single_turn(dialogue.id, answer=dialogue.answer or "")


def _dialogues(
    categories: list[str], limit: int | None, done: set[str], protocol: str
) -> tuple[list[Any], list[str]]:
    """Pending dialogues (single-turn sorted by prompt size, for even batches) and all ids."""
    single, multi, ids = [], [], []
    for category in categories:
        for entry in official.load_entries(category, with_hints=True)[:limit]:
            ids.append(entry["id"])
            if entry["id"] in done:
                continue
            if official.is_multi_turn(category):
                multi.append(entry)
            else:
                single.append(entry)
    single.sort(key=lambda e: len(json.dumps(e["function"])) + len(json.dumps(e["question"])))
    dialogues: list[Any] = [
        SingleTurn(e["id"], single_turn_example(e, protocol, official.category_of(e["id"])))
        for e in single
    ]
    return dialogues + multi, ids


def run_bfcl(
    model: ModelUnderTest,
    out_dir: str | Path,
    categories: list[str] | tuple[str, ...] = ("all",),
    limit: int | None = None,
    batch_size: int = 8,
) -> dict[str, Any]:
    """Generate and check; resume from `out_dir/bfcl/items.jsonl` if it exists."""
    cats = official.resolve_categories(list(categories))
    store = ItemStore(Path(out_dir) / "bfcl" / "items.jsonl")
    done = store.done_ids()
    pending, ids = _dialogues(cats, limit, done, model.protocol)
    if done:
        logger.info("bfcl: resuming, %d of %d items already done", len(set(ids) & done), len(ids))

    def lazily():  # multi-turn dialogues start (and create API instances) only when run
        for item in pending:
            yield item if isinstance(item, SingleTurn) else MultiTurnDialogue(item, model.protocol)

    def score(dialogue: Any) -> dict[str, Any]:
        return (
            _score_turn(dialogue) if isinstance(dialogue, SingleTurn) else score_dialogue(dialogue)
        )

    stats = run_dialogues(model, lazily(), score, store, batch_size, len(pending), "bfcl")
    wanted = set(ids)
    rows = [r for r in store.load() if r["id"] in wanted]
    summary = summarize_bfcl(rows, cats)
    summary.update(limit=limit, items_file=str(store.path), timing=stats.to_dict())
    return summary


def read_predictions(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a predictions file; every problem named by line, all at once (`ConfigError`)."""
    return checked_json_lines(path, _check_prediction_row)


def _check_prediction_row(row: Any, seen: dict[str, int]) -> tuple[str, str | None, Any]:
    """(problem, id, row) for one decoded line of a BFCL predictions file."""
    item_id = row.get("id") if isinstance(row, dict) else None
    if not isinstance(item_id, str):
        return 'needs a string "id" (a BFCL id like "simple_python_0")', None, None
    if official.category_of(item_id) not in official.ALL_CATEGORIES:
        return (
            f"{item_id!r} is not an id of a BFCL category toolzero scores "
            "(ids look like simple_python_0)"
        ), None, None
    if official.entry_by_id(item_id) is None:
        return f"{item_id!r} is not in BFCL's data", None, None
    if item_id in seen:
        return (
            f"{item_id!r} appears twice (first on line {seen[item_id]}); "
            "keep one prediction per id"
        ), None, None
    if not any(k in row for k in ("completion", "calls", "turns")):
        return 'give "completion" (model text), "calls" or, for multi-turn, "turns"', None, None
    return "", item_id, row


def score_prediction(row: dict[str, Any]) -> dict[str, Any]:
    item_id = row["id"]
    if not official.is_multi_turn(official.category_of(item_id)):
        completion = row.get("completion")
        if completion is not None and not isinstance(completion, str):
            completion = json.dumps(completion)
        return score_single_turn(item_id, answer=completion, calls=row.get("calls"))
    turns = row.get("turns")
    if turns is None:  # one completion or call list for a multi-turn item: one turn, one step
        turns = [[row["completion"] if "completion" in row else row["calls"]]]
    entry = official.entry_by_id(item_id)
    if entry is None:
        raise KeyError(f"{item_id!r} is not a BFCL multi-turn item")
    executed, problems = executed_from_prediction(turns, entry)
    if executed is None:
        verdict = official.Verdict(False, "multi_turn:inference_error", tuple(problems))
    else:
        verdict = official.check_multi_turn(item_id, executed)
    return {
        "id": item_id,
        "category": official.category_of(item_id),
        **verdict.to_dict(),
        "executed": executed,
        "problems": problems,
    }


def score_bfcl_predictions(path: str | Path, out_dir: str | Path) -> dict[str, Any]:
    """Check saved predictions; write `out_dir/bfcl/items.jsonl` afresh; return the summary."""
    from tqdm.auto import tqdm

    rows = read_predictions(path)
    items_path = writable_dir(out_dir) / "bfcl" / "items.jsonl"
    items_path.unlink(missing_ok=True)
    store = ItemStore(items_path)
    start = time.perf_counter()
    scored = [score_prediction(r) for r in tqdm(rows, desc="bfcl score", unit="item")]
    stats = RunStats(items=len(scored), scoring_seconds=time.perf_counter() - start)
    store.append(scored)
    cats = [c for c in official.ALL_CATEGORIES if any(r["category"] == c for r in scored)]
    summary = summarize_bfcl(scored, cats)
    summary.update(predictions=str(path), items_file=str(items_path), timing=stats.to_dict())
    return summary


def run_from_context(ctx: RunContext) -> dict[str, Any]:
    """The registry's entry point: `bfcl` alone runs every category."""
    return run_bfcl(ctx.model, ctx.out, ctx.sub or ["all"], ctx.limit, ctx.batch_size)


def check_categories(sub: list[str], options: BenchOptions) -> None:
    """BFCL categories and groups the user named (before any model loads)."""
    try:
        official.resolve_categories(sub or ["all"])
    except BadInputError as exc:
        raise BadInputError(f"--bench bfcl: {exc}") from None


def score_predictions_for_registry(
    path: str | Path, sub: list[str], options: BenchOptions, out: Path
) -> dict[str, Any]:
    """`eval score --bench bfcl`: every category with a prediction (sub-selections unused)."""
    return score_bfcl_predictions(path, out)
