"""Hammer's processed unfamiliar-tool test sets: Seal-Tools, ToolAlpaca, Nexus Raven, API-Bank.

These are the suites Tool-Zero reports for generalization to tools never seen in training,
as Hammer (MadeAgents/Hammer, Apache-2.0) processed them: each file is a JSON list of
`{"query", "tools", "answers"}` rows. The sets differ in detail, and every shape is read:

- `query`: a string (one user turn), or (API-Bank) a list of `{"role", "content"}` turns with
  roles `user`, `agent` (the assistant speaking), `assistant` (the assistant's earlier calls,
  a fenced JSON list) and `tool` (their results). The text is kept verbatim, including the
  `Generate API Request:` cue API-Bank appends to the last turn;
- `tools`: `{"name", "description", "parameters": {name: spec}}` with `required` as a list
  beside `parameters`, or as `"required": true` inside a parameter's spec, or (API-Bank) not
  at all, where a description starting with `[Optional]` marks the optional ones. Each is
  read into a JSON Schema `ToolSpec` (`properties` kept as given) so that `required()` is
  right for every set; API-Bank's `return` descriptions are left out (no protocol shows them);
- `answers`: `{"tool", "parameters"}` (Seal-Tools) or `{"name", "arguments"}`.

Item ids are `<set>-<row>`, the 0-based row index in the source file, so a verdict can be
traced back to its row. A row that cannot be read is recorded in a `DataReport` with file,
row and reason, and the rest of the file is kept.

Data: Hammer's repository files (`HAMMER_BASE_URL` + file name, downloaded once into
toolzero's cache), or a local folder holding them (`data_dir`; the file may be named as in
Hammer's repository or `<set>.json`). Scoring is in `toolzero.evaluation.hammer.scoring`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from toolzero.data.report import DataReport, RowError
from toolzero.errors import UserError
from toolzero.evaluation.downloads import cached_download
from toolzero.protocol.types import Example, Message, ToolCall, ToolSpec

HAMMER_BASE_URL = "https://raw.githubusercontent.com/MadeAgents/Hammer/main/data/test/original/"
# Set name -> file name in Hammer's repository (`data/test/original/`).
HAMMER_FILES = {
    "sealtool": "sealtool.json",
    "toolalpaca": "toolalpaca.json",
    "nexusraven": "NexusRaven.json",
    "apibank_l1": "apibank_l1.json",
    "apibank_l2": "apibank_l2.json",
}
# Rows in each full set, as published (a shorter file is a sample or a slice).
HAMMER_SIZES = {
    "sealtool": 294,
    "toolalpaca": 114,
    "nexusraven": 318,
    "apibank_l1": 399,
    "apibank_l2": 127,
}
HAMMER_SETS = tuple(HAMMER_FILES)


def hammer_url(name: str) -> str:
    """Where Hammer's repository keeps the set `name`."""
    return HAMMER_BASE_URL + HAMMER_FILES[check_set(name)]


def check_set(name: str) -> str:
    if name not in HAMMER_FILES:
        raise UserError(f"unknown Hammer set {name!r}; use one of: {', '.join(HAMMER_SETS)}")
    return name


def load_hammer(
    name: str,
    data_dir: str | Path | None = None,
    report: DataReport | None = None,
    allow_download: bool = True,
) -> list[Example]:
    """Every readable row of set `name` as an `Example`; unreadable rows go to `report`.

    `data_dir` is a folder holding the set's file; without it the file is downloaded from
    Hammer's repository (once; later calls read toolzero's cache; with `allow_download`
    false, only the cache is read).
    """
    report = report if report is not None else DataReport()
    path = hammer_file(name, data_dir, allow_download)
    rows = read_rows(path)
    source = f"hammer:{name}"
    report.count_read(source, len(rows))
    examples = []
    for index, row in enumerate(rows):
        try:
            examples.append(hammer_example(name, index, row))
        except RowError as err:
            report.reject(str(path), index, err.reason, err.detail)
    report.count_kept(source, len(examples))
    return examples


def hammer_file(name: str, data_dir: str | Path | None = None, allow_download: bool = True) -> Path:
    """The local file of set `name`: found in `data_dir`, or downloaded into the cache."""
    filename = HAMMER_FILES[check_set(name)]
    if data_dir is not None:
        folder = Path(data_dir).expanduser()
        for candidate in (folder / filename, folder / f"{name}.json"):
            if candidate.is_file():
                return candidate
        names = filename if filename == f"{name}.json" else f"neither {filename} nor {name}.json"
        raise UserError(
            f"Hammer set {name!r}: {names} not in {folder}; "
            f"download it from {hammer_url(name)} into that folder"
        )
    return cached_download(hammer_url(name), f"hammer/{filename}", allow_download)


def read_rows(path: Path) -> list[Any]:
    """The file's JSON list; a file that is not one is a UserError naming it."""
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        problem = f"{path}: not a readable JSON file ({err}); expected Hammer's list of rows"
        raise UserError(problem) from None
    if not isinstance(rows, list):
        raise UserError(f"{path}: expected a JSON list of rows, got {type(rows).__name__}")
    return rows


def hammer_example(name: str, index: int, row: Any) -> Example:
    """One row as an `Example`; a malformed row raises `RowError` (reason, detail)."""
    if not isinstance(row, dict):
        raise RowError("row is not an object", type(row).__name__)
    missing = [k for k in ("query", "tools", "answers") if k not in row]
    if missing:
        raise RowError("missing field", ", ".join(missing))
    if not isinstance(row["tools"], list) or not isinstance(row["answers"], list):
        raise RowError("tools and answers must be lists")
    return Example(
        id=f"{name}-{index}",
        tools=tuple(hammer_tool(t) for t in row["tools"]),
        messages=hammer_messages(row["query"]),
        reference_calls=tuple(hammer_call(a, "answer") for a in row["answers"]),
        source=f"hammer:{name}",
        metadata={"set": name, "row": index},
    )


def hammer_tool(spec: Any) -> ToolSpec:
    """A tool in any of the sets' shapes, as a JSON Schema `ToolSpec` (see module docstring)."""
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise RowError("malformed tool", "a tool needs a string name")
    properties = spec.get("parameters") or {}
    specs = properties.values() if isinstance(properties, dict) else [None]
    if any(not isinstance(p, dict) for p in specs):
        raise RowError("malformed tool", f"{spec['name']}: parameters must map names to specs")
    required = spec.get("required")
    if isinstance(required, list):
        names = [r for r in required if isinstance(r, str)]
    elif any("required" in p for p in properties.values()):
        names = [k for k, p in properties.items() if p.get("required") is True]
    else:  # API-Bank: no marks at all, optional ones say so in their description
        names = [
            k for k, p in properties.items()
            if not str(p.get("description", "")).lstrip().startswith("[Optional]")
        ]  # fmt: skip
    schema = {"type": "object", "properties": properties, "required": names}
    return ToolSpec(spec["name"], str(spec.get("description") or ""), schema)


def hammer_call(answer: Any, what: str) -> ToolCall:
    """`{"tool", "parameters"}` or `{"name", "arguments"}` as a `ToolCall`."""
    if not isinstance(answer, dict):
        raise RowError(f"malformed {what}", f"expected an object, got {type(answer).__name__}")
    name = answer.get("name", answer.get("tool"))
    args = answer.get("arguments", answer.get("parameters", {}))
    if not isinstance(name, str) or not isinstance(args, dict):
        raise RowError(f"malformed {what}", "needs a string name and an arguments object")
    return ToolCall(name, args)


def hammer_messages(query: Any) -> tuple[Message, ...]:
    """The dialogue: a string is one user turn; a list of turns maps `agent` text and the
    `assistant` call turn after it onto one assistant message."""
    if isinstance(query, str):
        return (Message("user", query),)
    if not isinstance(query, list) or not query:
        raise RowError("malformed query", "expected a string or a non-empty list of turns")
    messages: list[Message] = []
    for turn in query:
        if not isinstance(turn, dict) or not isinstance(turn.get("content"), str):
            raise RowError("malformed query turn", repr(turn)[:120])
        role, content = turn.get("role"), turn["content"]
        if role == "user":
            messages.append(Message("user", content))
        elif role == "agent":
            messages.append(Message("assistant", content))
        elif role == "assistant":
            calls = fenced_calls(content)
            if messages and messages[-1].role == "assistant" and not messages[-1].tool_calls:
                messages[-1] = Message("assistant", messages[-1].content, calls)
            else:
                messages.append(Message("assistant", "", calls))
        elif role == "tool":
            previous = messages[-1].tool_calls if messages else ()
            name = previous[0].name if len(previous) == 1 else None
            messages.append(Message("tool", content, name=name))
        else:
            raise RowError("unknown query role", repr(role))
    return tuple(messages)


def fenced_calls(text: str) -> tuple[ToolCall, ...]:
    """An earlier call turn: a JSON list of calls, possibly in a ``` fence."""
    body = text.replace("```json", "").replace("```", "").strip()
    try:
        calls = json.loads(body)
    except json.JSONDecodeError as err:
        raise RowError("unreadable call turn in query", str(err)) from None
    calls = calls if isinstance(calls, list) else [calls]
    return tuple(hammer_call(c, "call turn in query") for c in calls)
