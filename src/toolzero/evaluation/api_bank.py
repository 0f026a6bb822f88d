"""API-Bank levels 1-3, prompted and scored as ToolRL's scripts do.

ToolRL's processed API-Bank files (`api_bank_level{1,2,3}.json`: 399 / 67 / 131 items) hold
a ToolRL system prompt with the tools, the dialogue text and the gold call. The prompts
are used verbatim (they define the benchmark), so the prompt protocol here is always
ToolRL's text format wrapped in the model's chat template.

Two verdicts per item, accuracy per level and overall (micro: items pooled):

- `valid` (the headline, `accuracy`): ToolRL's scripts, quirks included. The predicted
  calls are the lines of the text after the *last* `<tool_call>` up to the next
  `</tool_call>` (without any `<tool_call>`, every line of the answer); each line is read
  with `json.loads` and lines that fail are skipped. Only the *first* gold answer counts.
  A read object with both `name` and `parameters` is that call; any other value is read as
  the parameters of the gold API (so `{"date": "2023-03-26"}` alone can be right). Right
  when some read call equals the gold name and parameters under Python `==` (so `1 == 1.0`
  and `True == 1`, but `"5" != 5`);
- `robust_valid` (`robust_accuracy`): toolzero's parser reads every call (any block, JSON
  lists, `arguments`, multi-line objects), right when one equals *any* gold call (name and
  argument dict, strict equality). It credits well-formed answers ToolRL's line reader
  misses, and gives no credit to bare parameter objects.

Data: the folder holding the three files (`--data-dir api_bank=DIR`, or the environment
variable `TOOLZERO_API_BANK_DIR`); they come from ToolRL's repository
(`benchmarks/API-Bank/`), processed from API-Bank (Li et al., 2023; MIT licence).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from toolzero.data.report import DataReport
from toolzero.evaluation.item_bench import Groups, Item, ItemBench
from toolzero.evaluation.registry import BenchOptions, RunContext
from toolzero.protocol.parser import parse_completion
from toolzero.protocol.types import ToolCall
from toolzero.user_files import BadInputError, MissingInputError, read_text, require_dir

LEVELS = (1, 2, 3)
ENV_DIR = "TOOLZERO_API_BANK_DIR"


def api_bank_dir(path: str | Path | None = None) -> Path:
    folder = path or os.environ.get(ENV_DIR)
    if not folder:
        raise MissingInputError(
            "API-Bank needs its data folder: pass --data-dir api_bank=DIR (or set "
            "TOOLZERO_API_BANK_DIR) "
            "to a folder with api_bank_level1.json, api_bank_level2.json, api_bank_level3.json "
            "(ToolRL's repository, benchmarks/API-Bank/)"
        )
    return Path(folder)


def load_level(folder: Path, level: int) -> list[dict[str, Any]]:
    """One level's items as {id, level, system, user, gold}; malformed rows named."""
    path = folder / f"api_bank_level{level}.json"
    if not path.is_file():
        raise MissingInputError(
            f"{path} not found (API-Bank level {level}); the API-Bank data folder must hold "
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


def toolrl_calls(answer: str) -> list[Any]:
    """What ToolRL's script reads from an answer: each line of the last `<tool_call>` block
    (or of the whole answer when there is none) that `json.loads` accepts.

    >>> toolrl_calls('<tool_call>\\n{"a": 1}\\n</tool_call> <tool_call>\\nx\\n[2]\\n</tool_call>')
    [[2]]
    >>> toolrl_calls('{"name": "F", "parameters": {}}\\nsure')
    [{'name': 'F', 'parameters': {}}]
    """
    if "<tool_call>" in answer:
        answer = answer.split("<tool_call>")[-1].split("</tool_call>")[0]
    read = []
    for line in answer.split("\n"):
        try:
            read.append(json.loads(line))
        except (ValueError, RecursionError):
            continue
    return read


def toolrl_correct(answer: str, gold: list[dict[str, Any]]) -> tuple[bool, list[Any]]:
    """ToolRL's verdict (see the module docstring) and the (name, parameters) pairs read.

    >>> toolrl_correct('{"date": "2023-03-26"}', [{"name": "F", "parameters": {"date": "2023-03-26"}}])[0]
    True
    """
    first = gold[0] if gold else {}
    wanted = (first.get("name"), first.get("parameters", first.get("arguments", {})))
    pairs = []
    for value in toolrl_calls(answer):
        if isinstance(value, dict) and "name" in value and "parameters" in value:
            pairs.append((value["name"], value["parameters"]))
        else:
            pairs.append((wanted[0], value))
    return any(pair == wanted for pair in pairs), [list(p) for p in pairs]


def is_correct(answer: str, gold: list[dict[str, Any]]) -> tuple[bool, list[dict[str, Any]]]:
    """The robust verdict: any call toolzero's parser reads equals a gold call (name and
    argument dict).

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


def score_item(
    item: Item, answer: str | None, calls: list[ToolCall] | None, options: BenchOptions
) -> dict[str, Any]:
    """Both verdicts on one answer (`calls` rows are written out as ToolRL lines first)."""
    gold = item.data
    if answer is None:
        text = "\n".join(
            json.dumps({"name": c.name, "parameters": c.arguments}) for c in calls or []
        )
        answer = f"<tool_call>\n{text}\n</tool_call>"
    valid, read = toolrl_correct(answer, gold)
    robust, parsed = is_correct(answer, gold)
    reason = "" if valid else ("no JSON line read" if not read else "no read call equals the gold")
    return {
        "id": item.id,
        "level": int(item.group.removeprefix("level")),
        "valid": valid,
        "robust_valid": robust,
        "reason": reason,
        "toolrl_read": read,
        "calls": parsed,
        "gold": gold,
    }


def load_groups(
    sub: list[str], options: BenchOptions, limit: int | None, report: DataReport
) -> Groups:
    folder = api_bank_dir(options.data_dir("api_bank"))
    groups: Groups = {}
    for level in api_bank_levels(sub):
        groups[f"level{level}"] = [
            Item(row["id"], f"level{level}", api_bank_messages(row), row["gold"])
            for row in load_level(folder, level)
        ]
    return groups


def summarize_api_bank(
    rows: list[dict[str, Any]], sizes: dict[str, int], options: BenchOptions | None = None
) -> dict[str, Any]:
    """Per level and overall (micro): ToolRL's `accuracy`, toolzero's `robust_accuracy`."""
    levels = {}
    for level, size in sizes.items():
        mine = [r for r in rows if f"level{r['level']}" == level]
        levels[level] = counts(mine) | {"size": size}
    overall = counts([r for r in rows if f"level{r['level']}" in sizes])
    overall["definition"] = "micro accuracy over all items of the levels run"
    complete = all(v["total"] == v["size"] for v in levels.values())
    return {
        "levels": levels,
        "overall": overall,
        "complete": complete,
        "protocol": "toolrl (ToolRL's verbatim API-Bank prompts)",
        "definition": (
            "accuracy: ToolRL's scripts (last <tool_call> block, line-by-line json.loads, "
            "first gold answer, a parameters-only object read as the gold API's, Python ==); "
            "robust_accuracy: toolzero's parser, any gold answer, strict equality"
        ),
    }


def counts(rows: list[dict[str, Any]]) -> dict[str, Any]:
    correct = sum(bool(r["valid"]) for r in rows)
    robust = sum(bool(r.get("robust_valid")) for r in rows)
    n = len(rows)
    return {
        "correct": correct,
        "total": n,
        "accuracy": correct / n if n else None,
        "robust_correct": robust,
        "robust_accuracy": robust / n if n else None,
    }


API_BANK = ItemBench("api_bank", load_groups, score_item, summarize_api_bank)


def api_bank_levels(sub: list[str]) -> tuple[int, ...]:
    """`api_bank:1,3` -> (1, 3); none -> every level; anything else is a `BadInputError`."""
    if not sub:
        return LEVELS
    if not all(s.isdigit() and int(s) in LEVELS for s in sub):
        raise BadInputError(
            f"--bench api_bank:{','.join(sub)}: API-Bank levels are {', '.join(map(str, LEVELS))}"
        )
    return tuple(int(s) for s in sub)


def check_api_bank(sub: list[str], options: BenchOptions) -> None:
    api_bank_levels(sub)
    require_dir(api_bank_dir(options.data_dir("api_bank")), "--data-dir api_bank=DIR")


def run_api_bank(
    model: Any,
    out_dir: str | Path,
    data_dir: str | Path | None = None,
    levels: tuple[int, ...] = LEVELS,
    limit: int | None = None,
    batch_size: int = 8,
) -> dict[str, Any]:
    """Run API-Bank without the registry (Python use and tests)."""
    options = BenchOptions(data_dirs={"api_bank": str(data_dir)} if data_dir else {})
    sub = [str(level) for level in levels]
    return API_BANK.run(RunContext(model, Path(out_dir), sub, limit, batch_size, options))
