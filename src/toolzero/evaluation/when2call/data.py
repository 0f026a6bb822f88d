"""When2Call (NVIDIA, Apache-2.0): does the model know when to call a tool, when to ask for
missing information, when to say it cannot answer, and when to just answer?

    toolzero eval --model M --bench when2call --limit 50 --out runs/eval
    toolzero eval score --bench when2call --predictions preds.jsonl --data-dir when2call=DIR

Each row: `{"question", "tools" (JSON strings), "correct_answer", "answers": {category:
text}, "target_tool"}`, `correct_answer` one of the four `CATEGORIES`. Item ids are
`when2call-<row>` (0-based row index in the file).

Generation mode (this module): the model answers the question with the offered tools in
the chosen protocol, and `classify_answer` sorts its answer into a category by rules
(below); with a judge endpoint (`--judge-url`) the text of an answer without a call is
classified by the LLM judge instead (`JUDGE_PROMPT`; a reply naming no category falls back
to the rules, and the row says so). The MCQ mode is `toolzero.evaluation.when2call.mcq`.

Metrics (`summarize_when2call`):
- accuracy: predicted category == correct category, over items;
- macro F1: the unweighted mean over the four categories of per-category F1 (F1 = 2PR /
  (P + R); a category with no gold and no predicted items is left out of the mean; one with
  P + R = 0 counts 0);
- tool-hallucination rate: among items whose correct answer is *not* `tool_call`, the
  share where the model made a tool call (None when there are no such items).

Data: NVIDIA's GitHub file (`WHEN2CALL_URL`, downloaded once into toolzero's cache; the same
data is on the Hub as `nvidia/When2Call`), or a local folder (`--data-dir when2call=DIR`)
holding `when2call_test_llm_judge.jsonl` or the shared sample
`when2call_test_llm_judge_sample.jsonl`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolzero.data.report import DataReport, RowError
from toolzero.errors import UserError
from toolzero.evaluation.downloads import cached_download
from toolzero.protocol.parser import parse_completion
from toolzero.protocol.types import Example, Message, ToolCall, ToolSpec

CATEGORIES = ("tool_call", "request_for_info", "cannot_answer", "direct")
WHEN2CALL_FILE = "when2call_test_llm_judge.jsonl"
WHEN2CALL_FILES = (WHEN2CALL_FILE, "when2call_test_llm_judge_sample.jsonl")
WHEN2CALL_URL = f"https://raw.githubusercontent.com/NVIDIA/When2Call/main/data/test/{WHEN2CALL_FILE}"
WHEN2CALL_HUB = "nvidia/When2Call"

# Phrases of a refusal (lower-case, apostrophes normalised to ').
REFUSAL_PHRASES = (
    "i cannot", "i can't", "i can not", "i'm unable", "i am unable", "unable to",
    "i don't have access", "i do not have access", "don't have the ability",
    "do not have the ability", "don't have the capability", "do not have the capability",
    "not able to", "i'm sorry, but i can", "no tool", "none of the available",
    "none of the provided", "not possible for me", "beyond my capabilities",
    "limitations of the function", "don't have real-time", "do not have real-time",
)  # fmt: skip
# Phrases of a question for missing information (lower-case).
ASKING_PHRASES = (
    "could you please provide", "could you provide", "please provide", "can you provide",
    "could you specify", "please specify", "could you please specify", "i need to know",
    "i need more information", "please let me know", "could you tell me", "can you tell me",
)  # fmt: skip
JUDGE_PROMPT = (
    "A user asked an assistant that has tools: {question}\n\nThe assistant answered:\n"
    "{answer}\n\nWhich one describes the answer? tool_call (it calls a tool), "
    "request_for_info (it asks the user for missing information), cannot_answer (it says "
    "it cannot help), direct (it answers directly). Reply with one of these four words."
)
_THINK = re.compile(r"<think>.*?(</think>|$)", re.S)
_TAGS = re.compile(r"</?(response|think|tool_call)>")


@dataclass(frozen=True)
class When2CallItem:
    """One row: the example the model sees, the right category, the four candidate answers."""

    example: Example
    correct: str
    answers: dict[str, str]


def answer_text(answer: str) -> str:
    """The answer's words to the user: the `<response>` if there is one, else the text with
    any `<think>` part and protocol tags cut."""
    parsed = parse_completion(answer)
    if parsed.response is not None:
        return parsed.response.strip()
    return _TAGS.sub("", _THINK.sub("", answer)).strip()


def classify_answer(answer: str | None, calls: list[ToolCall] | None) -> str:
    """The category of one answer, by rules applied in this order:

    1. it holds a tool call (parsed by toolzero's parser, or given as `calls`), or a call
       block that could not be read (`calls` is None: the model tried to call) → `tool_call`;
    2. its text to the user (outside think/call blocks) contains a refusal phrase
       (`REFUSAL_PHRASES`: "I cannot", "unable to", "don't have access", ...) →
       `cannot_answer`;
    3. that text ends with "?" or contains an asking phrase (`ASKING_PHRASES`: "could you
       please provide", "please specify", ...) → `request_for_info`;
    4. anything else (including empty text) → `direct`.

    Refusal is checked before asking, so "I can't do that; could you rephrase?" is a refusal.
    """
    if calls is None or calls:
        return "tool_call"
    text = answer_text(answer or "")
    lowered = text.lower().replace("\u2019", "'")
    if any(p in lowered for p in REFUSAL_PHRASES):
        return "cannot_answer"
    if lowered.rstrip().endswith("?") or any(p in lowered for p in ASKING_PHRASES):
        return "request_for_info"
    return "direct"


def judge_category(reply: str) -> str | None:
    """The category a judge's reply names (the first one it mentions), None if none.

    >>> judge_category("Request_for_info."), judge_category("no idea")
    ('request_for_info', None)
    """
    lowered = reply.lower()
    found = [(lowered.find(cat), cat) for cat in CATEGORIES if cat in lowered]
    return min(found)[1] if found else None


def when2call_file(data_dir: str | Path | None, allow_download: bool = True) -> Path:
    """The local file: in `data_dir`, or downloaded from NVIDIA's GitHub into the cache
    (with `allow_download` false, only the cache is read)."""
    if data_dir is None:
        return cached_download(WHEN2CALL_URL, f"when2call/{WHEN2CALL_FILE}", allow_download)
    folder = Path(data_dir).expanduser()
    for name in WHEN2CALL_FILES:
        if (folder / name).is_file():
            return folder / name
    raise UserError(
        f"When2Call: neither {' nor '.join(WHEN2CALL_FILES)} in {folder}; download "
        f"{WHEN2CALL_URL} (or the Hub dataset {WHEN2CALL_HUB}) into that folder"
    )


def load_when2call(
    data_dir: str | Path | None = None,
    report: DataReport | None = None,
    allow_download: bool = True,
) -> list[When2CallItem]:
    """Every readable row; unreadable rows go to `report` with file, row and reason."""
    report = report if report is not None else DataReport()
    path = when2call_file(data_dir, allow_download)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise UserError(f"{path}: not a readable text file ({err})") from None
    items = []
    report.count_read("when2call", len(lines))
    for index, line in enumerate(lines):
        try:
            items.append(when2call_item(index, line))
        except RowError as err:
            report.reject(str(path), index, err.reason, err.detail)
    report.count_kept("when2call", len(items))
    return items


def when2call_item(index: int, line: str) -> When2CallItem:
    """One JSONL line as an item; a malformed line raises `RowError`."""
    try:
        row = json.loads(line)
    except ValueError as err:
        raise RowError("not JSON", str(err)) from None
    if not isinstance(row, dict):
        raise RowError("row is not an object", type(row).__name__)
    missing = [k for k in ("question", "tools", "correct_answer", "answers") if k not in row]
    if missing:
        raise RowError("missing field", ", ".join(missing))
    if row["correct_answer"] not in CATEGORIES:
        raise RowError("unknown correct_answer", repr(row["correct_answer"]))
    if not isinstance(row["question"], str) or not isinstance(row["answers"], dict):
        raise RowError("question must be a string and answers an object")
    if not isinstance(row["tools"], list):
        raise RowError("tools must be a list of JSON strings")
    example = Example(
        id=f"when2call-{index}",
        tools=tuple(when2call_tool(t) for t in row["tools"]),
        messages=(Message("user", row["question"]),),
        source="when2call",
        metadata={"row": index, "correct_answer": row["correct_answer"]},
    )
    answers = {k: v for k, v in row["answers"].items() if isinstance(v, str)}
    return When2CallItem(example, row["correct_answer"], answers)


def when2call_tool(text: Any) -> ToolSpec:
    """A tool given as a JSON string (BFCL style, `"type": "dict"` read as an object)."""
    try:
        spec = json.loads(text) if isinstance(text, str) else text
    except ValueError as err:
        raise RowError("malformed tool", f"not JSON: {err}") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise RowError("malformed tool", "a tool needs a string name")
    schema = dict(spec.get("parameters") or {})
    if schema.get("type") in (None, "dict"):
        schema["type"] = "object"
    return ToolSpec(spec["name"], str(spec.get("description") or ""), schema)


def f1(tp: int, fp: int, fn: int) -> float:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def summarize_when2call(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Accuracy, macro F1 and tool-hallucination rate of (gold, predicted) pairs (the
    definitions are in the module docstring)."""
    per_category = {}
    for cat in CATEGORIES:
        tp = sum(g == cat and p == cat for g, p in pairs)
        fp = sum(g != cat and p == cat for g, p in pairs)
        fn = sum(g == cat and p != cat for g, p in pairs)
        if tp + fp + fn:
            per_category[cat] = {"f1": f1(tp, fp, fn), "gold": tp + fn, "predicted": tp + fp}
    no_call = [p for g, p in pairs if g != "tool_call"]
    return {
        "items": len(pairs),
        "accuracy": sum(g == p for g, p in pairs) / len(pairs) if pairs else None,
        "macro_f1": (
            sum(c["f1"] for c in per_category.values()) / len(per_category)
            if per_category else None
        ),
        "tool_hallucination_rate": (
            sum(p == "tool_call" for p in no_call) / len(no_call) if no_call else None
        ),
        "categories": per_category,
    }
