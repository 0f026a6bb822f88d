"""ACEBench (English), normal and special categories: items, instructions, verdicts, summary.

ACEBench (github ACEBench/ACEBench, MIT) ships one JSON-lines file per category,
`data_<category>.json` with `{"id", "question", "function", "time"?, "profile"?}`, and
beside it `possible_answer/data_<category>.json` with `{"id", "ground_truth"}`. The
`question` is the conversation so far as text (`user: ...` / `system: ...` lines); it
becomes the single user message, verbatim, as ACEBench prompts it. `time` and `profile`
(preference category) go to `Example.metadata`; `acebench_instructions` turns them, and
the instructions special items need, into system text for the runner.

Multi-turn categories (`normal_multi_turn_user_switch` / `_adjust`) hold one item per turn,
id `<category>_<dialogue>_<turn>`, each with the dialogue up to that turn; every turn is
checked on its own, and, as ACEBench scores them, a dialogue is right when all its turns
are (`accuracy`), with the mean share of right turns per dialogue as `process_accuracy`.

Verdicts are in `toolzero.evaluation.acebench.checker`. The summary gives each category's
accuracy and an overall accuracy weighted by items (ACEBench's `calculate_weighted_accuracy`:
each category's accuracy times its item count), plus the normal / special group means
ACEBench's leaderboard shows (unweighted over the categories run). No rounding.

Left out: the agent categories (`agent_multi_turn`, `agent_multi_step`) need ACEBench's
simulated apps and user; the Chinese data. Full data: a local folder (`data_dir`) or
ACEBench's repository files (`ACEBENCH_BASE_URL`, downloaded once into toolzero's cache).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from toolzero.data.report import DataReport, RowError
from toolzero.errors import UserError
from toolzero.evaluation.acebench.checker import SUFFIX, Verdict, check_normal, check_special
from toolzero.evaluation.downloads import cached_download
from toolzero.protocol.types import Example, Message, ToolCall, ToolSpec

ACEBENCH_BASE_URL = "https://raw.githubusercontent.com/ACEBench/ACEBench/main/data_all/data_en/"
NORMAL_CATEGORIES = (
    "normal_single_turn_single_function", "normal_single_turn_parallel_function",
    "normal_multi_turn_user_switch", "normal_multi_turn_user_adjust",
    "normal_similar_api", "normal_preference",
    "normal_atom_bool", "normal_atom_enum", "normal_atom_number", "normal_atom_list",
    "normal_atom_object_deep", "normal_atom_object_short",
)  # fmt: skip
SPECIAL_CATEGORIES = ("special_incomplete", "special_error_param", "special_irrelevant")
ACEBENCH_CATEGORIES = NORMAL_CATEGORIES + SPECIAL_CATEGORIES
MULTI_TURN_CATEGORIES = ("normal_multi_turn_user_switch", "normal_multi_turn_user_adjust")

# What a model must be told for its special-category answers to be scorable. The three
# bracketed sentences are ACEBench's fixed forms, verbatim; the checker looks for them.
SPECIAL_INSTRUCTIONS = """\
When the functions can do what the user asks and every value they need is given, call them.
Otherwise answer with one sentence in this exact form (brackets and quotes included) instead
of a call, checking the cases in this order:
1. A value in the conversation does not fit what the function accepts (wrong type or form):
["There is incorrect value (value) for the parameters (key) in the conversation history."]
with value and key replaced by the wrong value and its parameter name.
2. A value the function requires was never given:
["Missing necessary parameters (key1, key2) for the api (ApiName)"]
with the missing parameter names and the function's name.
3. None of the functions can do what the user asks:
["Due to the limitations of the function, I cannot solve this problem."]"""

# ACEBench's normal prompt asks for this too, and the checker counts on it: an optional
# parameter nobody mentioned makes a call wrong.
NORMAL_INSTRUCTIONS = """\
Give only the parameters the conversation (or the user profile) supplies values for; leave
out optional ones nobody mentioned. Where a function does not fix a value's format, use the
user's own words."""


def load_acebench(
    categories: Sequence[str] = ACEBENCH_CATEGORIES,
    data_dir: str | Path | None = None,
    report: DataReport | None = None,
    allow_download: bool = True,
) -> list[Example]:
    """The items of `categories`, in file order; unreadable rows go to `report`. Without
    `data_dir` the files are downloaded once into toolzero's cache (with `allow_download`
    false, only the cache is read)."""
    report = report if report is not None else DataReport()
    examples = []
    for category in categories:
        if category not in ACEBENCH_CATEGORIES:
            raise UserError(
                f"unknown ACEBench category {category!r}; use one of: "
                f"{', '.join(ACEBENCH_CATEGORIES)} (agent categories are not supported)"
            )
        questions = category_file(category, data_dir, False, allow_download)
        answers = category_file(category, data_dir, True, allow_download)
        examples += load_category(category, questions, answers, report)
    return examples


def category_file(
    category: str, data_dir: str | Path | None, answers: bool, allow_download: bool = True
) -> Path:
    relative = ("possible_answer/" if answers else "") + f"data_{category}.json"
    if data_dir is None:
        url = ACEBENCH_BASE_URL + relative
        return cached_download(url, f"acebench/en/{relative}", allow_download)
    path = Path(data_dir).expanduser() / relative
    if not path.is_file():
        raise UserError(
            f"ACEBench {category}: {path} not found; the folder must hold data_<category>.json "
            f"and possible_answer/ (ACEBench's data_all/data_en/)"
        )
    return path


def read_json_lines(path: Path, report: DataReport) -> list[tuple[int, dict[str, Any]]]:
    """(line index, record) for every line that decodes to an object; others reported."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise UserError(f"{path}: cannot read ({err})") from None
    records = []
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            report.reject(str(path), index, "invalid JSON line", str(err))
            continue
        if isinstance(record, dict) and isinstance(record.get("id"), str):
            records.append((index, record))
        else:
            report.reject(str(path), index, "not an object with an id")
    return records


def load_category(
    category: str, questions: Path, answers: Path, report: DataReport
) -> list[Example]:
    truths = {r["id"]: r for _, r in read_json_lines(answers, report)}
    rows = read_json_lines(questions, report)
    source = f"acebench:{category}"
    report.count_read(source, len(rows))
    examples = []
    for index, row in rows:
        try:
            examples.append(acebench_example(category, row, truths.get(row["id"])))
        except RowError as err:
            report.reject(str(questions), index, err.reason, err.detail)
    report.count_kept(source, len(examples))
    return examples


def acebench_example(category: str, row: dict[str, Any], truth: dict[str, Any] | None) -> Example:
    """One item as an `Example`; a malformed row raises `RowError`."""
    if truth is None or "ground_truth" not in truth:
        raise RowError("no possible answer", row["id"])
    functions, question = row.get("function"), row.get("question")
    if not isinstance(question, str) or not isinstance(functions, list):
        raise RowError("malformed item", "needs a question string and a function list")
    if not all(isinstance(f, dict) and isinstance(f.get("name"), str) for f in functions):
        raise RowError("malformed function", "every function needs a name")
    ground_truth = truth["ground_truth"]
    reference = reference_calls(category, ground_truth, functions)
    metadata = {
        "category": category,
        "ground_truth": ground_truth,
        "functions": functions,
        "time": row.get("time") or "",
        "profile": row.get("profile") or "",
    }
    if category in MULTI_TURN_CATEGORIES:
        dialogue, _, turn = row["id"].rpartition("_")
        metadata.update(dialogue=dialogue, turn=turn)
    return Example(
        id=row["id"],
        tools=tuple(ToolSpec.from_dict(f) for f in functions),
        messages=(Message("user", question),),
        reference_calls=reference,
        reference_response=ground_truth if category == "special_irrelevant" else None,
        source=f"acebench:{category}",
        metadata=metadata,
    )


def reference_calls(
    category: str, ground_truth: Any, functions: list[dict[str, Any]]
) -> tuple[ToolCall, ...]:
    """The first possible answer's calls (normal items); checks they name offered functions."""
    if category in SPECIAL_CATEGORIES:
        if category != "special_irrelevant" and not isinstance(ground_truth, dict):
            raise RowError("malformed ground truth", "expected an object")
        return ()
    answers = ground_truth if isinstance(ground_truth, list) else [ground_truth]
    if not answers or not all(isinstance(a, dict) for a in answers):
        raise RowError("malformed ground truth", "expected an object of calls")
    offered = {f["name"] for f in functions}
    calls = []
    for key, args in answers[0].items():
        name = SUFFIX.sub("", key)
        if name not in offered:
            raise RowError("ground truth names a function not offered", name)
        if not isinstance(args, dict):
            raise RowError("malformed ground truth", f"{key}: arguments are not an object")
        calls.append(ToolCall(name, args))
    return tuple(calls)


def acebench_instructions(example: Example) -> str:
    """System text an ACEBench item needs besides the tools: its instructions, date, profile."""
    category = example.metadata["category"]
    parts = [SPECIAL_INSTRUCTIONS if category in SPECIAL_CATEGORIES else NORMAL_INSTRUCTIONS]
    if example.metadata.get("time"):
        parts.append(str(example.metadata["time"]))
    if example.metadata.get("profile"):
        parts.append(f"User profile:\n{example.metadata['profile']}")
    return "\n\n".join(parts)


def score_acebench_item(
    example: Example, calls: Sequence[ToolCall] | None, answer_text: str
) -> Verdict:
    """The verdict on one answer: decoded `calls` (None when unparsable) for normal items,
    the raw `answer_text` for special ones."""
    category = example.metadata["category"]
    ground_truth = example.metadata["ground_truth"]
    if category in SPECIAL_CATEGORIES:
        return check_special(category, answer_text, ground_truth)
    return check_normal(example.metadata["functions"], calls, ground_truth)


def acebench_row(example: Example, verdict: Verdict) -> dict[str, Any]:
    """One item's result as a JSON-ready row (what `summarize_acebench` reads)."""
    row = {
        "id": example.id,
        "category": example.metadata["category"],
        "valid": verdict.valid,
        "reason": verdict.reason,
    }
    if "dialogue" in example.metadata:
        row.update(dialogue=example.metadata["dialogue"], turn=example.metadata["turn"])
    return row


def summarize_acebench(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Per-category accuracy, group means and the item-weighted overall accuracy, from
    `acebench_row` rows (e.g. read back from an items file)."""
    by_category: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_category[row["category"]].append(row)
    categories = {
        c: category_summary(c, by_category[c]) for c in ACEBENCH_CATEGORIES if c in by_category
    }
    items = sum(s["items"] for s in categories.values())
    weighted = sum(s["accuracy"] * s["items"] for s in categories.values())
    groups = {}
    for group, members in (("normal", NORMAL_CATEGORIES), ("special", SPECIAL_CATEGORIES)):
        accuracies = [categories[c]["accuracy"] for c in members if c in categories]
        groups[group] = sum(accuracies) / len(accuracies) if accuracies else None
    return {
        "categories": categories,
        "groups": groups,
        "overall": {"items": items, "accuracy": weighted / items if items else None},
        "definition": (
            "ACEBench normal/special (English): per-category accuracy (multi-turn: a dialogue "
            "is right when all its turns are); overall weighted by items; groups are "
            "unweighted means of the categories run; agent categories not included"
        ),
    }


def category_summary(category: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    correct = sum(bool(r["valid"]) for r in rows)
    summary: dict[str, Any] = {"items": len(rows), "correct": correct}
    if category not in MULTI_TURN_CATEGORIES:
        summary["accuracy"] = correct / len(rows)
        return summary
    dialogues: dict[str, list[bool]] = defaultdict(list)
    for row in rows:
        dialogues[row["dialogue"]].append(bool(row["valid"]))
    summary.update(
        dialogues=len(dialogues),
        accuracy=sum(all(v) for v in dialogues.values()) / len(dialogues),
        process_accuracy=sum(sum(v) / len(v) for v in dialogues.values()) / len(dialogues),
        turn_accuracy=correct / len(rows),
    )
    return summary
