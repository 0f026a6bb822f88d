"""BFCL questions (PyPI `bfcl-eval`: `bfcl_eval/data/BFCL_v4_*.json`) as `Example`s.

Each JSON line has `id`, `question` (a list of turns, each a list of chat messages) and
`function` (the tool specs). Reference calls come from the matching
`possible_answer/BFCL_v4_*.json` line: every call's first allowed value per parameter, an
omitted parameter when that first value is `""` (BFCL's "may be left out"). Irrelevance
categories have no answers: their reference is a response. Only single-turn entries are
read; multi-turn entries (which need BFCL's simulated APIs) are reported and skipped.

Locations: a BFCL file path, or a category name (`simple_python`, `live_multiple`...) read
from the installed package. Use these for training only on categories you do not evaluate on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from toolzero.data.report import RowError
from toolzero.data.sources.dialogue import IRRELEVANT_RESPONSE, tools_from
from toolzero.data.sources.rows import read_json_lines
from toolzero.protocol.types import Example, Message, ToolCall
from toolzero.user_files import MissingInputError


def bfcl_data_dir() -> Path:
    """Where the installed `bfcl_eval` package keeps its data."""
    try:
        import bfcl_eval
    except ImportError:
        raise MissingInputError("BFCL data needs `pip install --no-deps bfcl-eval`") from None
    return Path(bfcl_eval.__file__).parent / "data"


def bfcl_file(location: str) -> Path:
    """A BFCL category name or a path, as the question file's path."""
    path = Path(location).expanduser()
    if path.exists():
        return path
    name = location if location.startswith("BFCL_") else f"BFCL_v4_{location}"
    path = bfcl_data_dir() / (name if name.endswith(".json") else f"{name}.json")
    if not path.exists():
        known = sorted(p.stem.removeprefix("BFCL_v4_") for p in path.parent.glob("BFCL_v4_*.json"))
        raise MissingInputError(
            f"no BFCL file or category {location!r} (looked for {path}); "
            f"categories: {', '.join(known)}"
        )
    return path


def read_bfcl(location: str) -> Iterator[tuple[int, Any]]:
    """Question rows, each with its `possible_answer` attached when one exists."""
    path = bfcl_file(location)
    answer_path = path.parent / "possible_answer" / path.name
    answers: dict[str, Any] = {}
    if answer_path.exists():
        for _, line in read_json_lines(answer_path.read_text(encoding="utf-8")):
            if isinstance(line, dict) and "id" in line:
                answers[line["id"]] = line.get("ground_truth")
    for n, record in read_json_lines(path.read_text(encoding="utf-8")):
        if isinstance(record, dict) and record.get("id") in answers:
            record = {**record, "possible_answer": answers[record["id"]]}
        yield n, record


def convert_bfcl(record: dict[str, Any], row: int, source: str, **_: Any) -> list[Example]:
    question = record.get("question")
    if not isinstance(question, list) or not question:
        raise RowError("missing question turns")
    if len(question) > 1:
        raise RowError("multi-turn BFCL entry (not supported)")
    if "function" not in record:
        raise RowError("missing function specs")
    turn = question[0] if isinstance(question[0], list) else question
    messages = tuple(
        Message(m["role"], m.get("content") or "") for m in turn if isinstance(m, dict)
    )
    example_id = str(record.get("id", row))
    category = example_id.rsplit("_", 1)[0] if "_" in example_id else ""
    calls = answer_calls(record.get("possible_answer"))
    irrelevant = "possible_answer" not in record and "irrelevance" in example_id
    return [
        Example(
            id=f"{source}-{example_id}",
            tools=tools_from(record["function"], "function"),
            messages=messages,
            reference_calls=calls,
            reference_response=IRRELEVANT_RESPONSE if irrelevant else None,
            source=source,
            metadata={"bfcl_id": example_id, "bfcl_category": category},
        )
    ]


def answer_calls(ground_truth: Any) -> tuple[ToolCall, ...]:
    """BFCL's allowed-values answer as concrete calls (first allowed value each).

    >>> answer_calls([{"f": {"a": [1, 2], "b": ["", "x"]}}])
    (ToolCall(name='f', arguments={'a': 1}),)
    """
    if ground_truth is None:
        return ()
    if not isinstance(ground_truth, list):
        raise RowError("malformed possible answer", type(ground_truth).__name__)
    calls = []
    for entry in ground_truth:
        if not isinstance(entry, dict) or len(entry) != 1:
            raise RowError("malformed possible answer", json.dumps(entry)[:80])
        ((name, params),) = entry.items()
        if not isinstance(params, dict):
            raise RowError("malformed possible answer", f"{name}: parameters are not an object")
        args = {}
        for key, allowed in params.items():
            if not isinstance(allowed, list) or not allowed:
                raise RowError("malformed possible answer", f"{name}.{key}: no allowed values")
            if allowed[0] != "":
                args[key] = allowed[0]
        calls.append(ToolCall(name, args))
    return tuple(calls)
