"""API-Bank levels 1-3, prompted and scored as ToolRL does.

ToolRL's processed API-Bank files (`api_bank_level{1,2,3}.json`: 399 / 67 / 131 items) hold
a ToolRL system prompt with the tools, the dialogue text and the gold call. The prompts
are used verbatim (they define the benchmark), so the prompt protocol here is always
ToolRL's text format wrapped in the model's chat template; `native` is recorded as not
applicable. An item is correct when *any* predicted call has the gold API name and
exactly the gold argument dict (strict equality, so `"5"` is not `5`); accuracy is per
level and overall (micro: items pooled).

Data: pass the folder holding the three files (`--api-bank-dir`, or the environment
variable `TOOLZERO_API_BANK_DIR`); they come from ToolRL's repository
(`benchmarks/API-Bank/`), processed from API-Bank (Li et al., 2023; MIT licence).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolzero.evaluation.generation import ModelUnderTest, run_dialogues
from toolzero.evaluation.results import ItemStore, clip_text
from toolzero.protocol.parser import parse_completion
from toolzero.user_files import BadInputError, MissingInputError, read_text

LEVELS = (1, 2, 3)
ENV_DIR = "TOOLZERO_API_BANK_DIR"


def api_bank_dir(path: str | Path | None = None) -> Path:
    folder = path or os.environ.get(ENV_DIR)
    if not folder:
        raise MissingInputError(
            "API-Bank needs its data folder: pass --api-bank-dir (or set TOOLZERO_API_BANK_DIR) "
            "to a folder with api_bank_level1.json, api_bank_level2.json, api_bank_level3.json "
            "(ToolRL's repository, benchmarks/API-Bank/)"
        )
    return Path(folder)


def load_level(folder: Path, level: int) -> list[dict[str, Any]]:
    """One level's items as {id, level, system, user, gold}; malformed rows named."""
    path = folder / f"api_bank_level{level}.json"
    if not path.is_file():
        raise MissingInputError(
            f"{path} not found (API-Bank level {level}); --api-bank-dir must hold "
            "api_bank_level1.json ... api_bank_level3.json"
        )
    try:
        rows = json.loads(read_text(path, f"API-Bank level {level}"))
    except json.JSONDecodeError as exc:
        raise BadInputError(f"{path}: not valid JSON ({exc})") from None
    items = []
    for i, row in enumerate(rows):
        missing = [k for k in ("system", "user", "answer") if k not in row]
        if missing:
            raise BadInputError(
                f"{path} row {i}: missing {missing}; expected ToolRL's API-Bank fields"
            )
        gold = row["answer"] if isinstance(row["answer"], list) else [row["answer"]]
        items.append(
            {
                "id": f"level{level}-{i}",
                "level": level,
                "system": row["system"],
                "user": row["user"],
                "gold": gold,
            }
        )
    return items


def api_bank_messages(item: dict[str, Any]) -> list[dict[str, str]]:
    """The verbatim prompt: ToolRL's system text, then its dialogue text as the user turn."""
    return [
        {"role": "system", "content": item["system"]},
        {"role": "user", "content": item["user"]},
    ]


def is_correct(answer: str, gold: list[dict[str, Any]]) -> tuple[bool, list[dict[str, Any]]]:
    """ToolRL's rule: any predicted call equals a gold call (name and argument dict).

    >>> is_correct('<tool_call>\\n{"name": "F", "parameters": {"a": "1"}}\\n</tool_call>',
    ...            [{"name": "F", "parameters": {"a": "1"}}])[0]
    True
    >>> is_correct('<tool_call>\\n{"name": "F", "parameters": {"a": 1}}\\n</tool_call>',
    ...            [{"name": "F", "parameters": {"a": "1"}}])[0]
    False
    """
    calls = [c.to_dict() for c in parse_completion(answer).calls]
    wanted = [(g.get("name"), g.get("parameters", g.get("arguments", {}))) for g in gold]
    correct = any((c["name"], c["arguments"]) in wanted for c in calls)
    return correct, calls


@dataclass
class ApiBankTurn:
    id: str
    item: dict[str, Any]
    answer: str | None = None

    def next_example(self) -> list[dict[str, str]] | None:
        return api_bank_messages(self.item) if self.answer is None else None

    def advance(self, answer: str) -> None:
        self.answer = answer


def score_turn(turn: ApiBankTurn) -> dict[str, Any]:
    correct, calls = is_correct(turn.answer or "", turn.item["gold"])
    return {
        "id": turn.id,
        "level": turn.item["level"],
        "valid": correct,
        "calls": calls,
        "gold": turn.item["gold"],
        "completion": clip_text(turn.answer or ""),
    }


def summarize_api_bank(rows: list[dict[str, Any]], sizes: dict[int, int]) -> dict[str, Any]:
    levels = {}
    for level, size in sizes.items():
        mine = [r for r in rows if r["level"] == level]
        correct = sum(bool(r["valid"]) for r in mine)
        levels[f"level{level}"] = {
            "correct": correct,
            "total": len(mine),
            "size": size,
            "accuracy": correct / len(mine) if mine else None,
        }
    total = sum(v["total"] for v in levels.values())
    correct = sum(v["correct"] for v in levels.values())
    overall = {
        "correct": correct,
        "total": total,
        "accuracy": correct / total if total else None,
        "definition": "micro accuracy over all items of the levels run",
    }
    complete = all(v["total"] == v["size"] for v in levels.values())
    return {"levels": levels, "overall": overall, "complete": complete}


def run_api_bank(
    model: ModelUnderTest,
    out_dir: str | Path,
    data_dir: str | Path | None = None,
    levels: tuple[int, ...] = LEVELS,
    limit: int | None = None,
    batch_size: int = 8,
) -> dict[str, Any]:
    folder = api_bank_dir(data_dir)
    store = ItemStore(Path(out_dir) / "api_bank" / "items.jsonl")
    done = store.done_ids()
    items, sizes = [], {}
    for level in levels:
        level_items = load_level(folder, level)
        sizes[level] = len(level_items)
        items += level_items[:limit]
    pending = [ApiBankTurn(i["id"], i) for i in items if i["id"] not in done]
    stats = run_dialogues(model, pending, score_turn, store, batch_size, len(pending), "api_bank")
    ids = {i["id"] for i in items}
    summary = summarize_api_bank([r for r in store.load() if r["id"] in ids], sizes)
    summary.update(
        protocol="toolrl (ToolRL's verbatim API-Bank prompts)",
        limit=limit,
        items_file=str(store.path),
        timing=stats.to_dict(),
    )
    return summary
