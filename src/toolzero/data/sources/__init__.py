"""Loaders from every public tool-calling format into the canonical `Example`.

`load_source(location, format=None, ...)` reads rows (local file, folder, or `hf:owner/name`)
and converts each with its format's converter; a row that cannot be converted is recorded
in the `DataReport` with its source, row number and reason, and the run goes on. Without
`format`, the first readable row decides (`detect_format`).

| format   | rows look like                                              | Hub id                                  |
| -------- | ----------------------------------------------------------- | --------------------------------------- |
| toolrl   | `instruction`, `input`, `output` (ToolRL's rlla JSON)       | (ToolRL's GitHub: `dataset/rlla_4k`)    |
| verl     | `prompt` messages + `reward_model.ground_truth` (parquet)   |                                         |
| toolace  | `system` with a JSON tool list + `conversations`            | Team-ACE/ToolACE                        |
| xlam     | `query`, `tools`, `answers` (JSON text)                     | Salesforce/xlam-function-calling-60k    |
| hammer   | the xlam shape; empty `answers` = irrelevance               | MadeAgents/xlam-irrelevance-7.5k        |
| sharegpt | `conversations` with `function_call`/`observation`, `tools` | (LLaMA-Factory's glaive_toolcall files) |
| glaive   | `system` + `chat` text (`<functioncall>`)                   | glaiveai/glaive-function-calling-v2     |
| openai   | `messages` with `tool_calls`, `tools`                       |                                         |
| bfcl     | `id`, `question`, `function` (+ possible answers)           | (PyPI bfcl-eval)                        |
| example  | `Example.to_dict()` rows (toolzero's own JSONL)             |                                         |
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from toolzero.data.report import DataReport, RowError
from toolzero.data.sources.bfcl import convert_bfcl, read_bfcl
from toolzero.data.sources.glaive import convert_glaive
from toolzero.data.sources.openai_chat import convert_openai
from toolzero.data.sources.rows import BadRow, read_rows
from toolzero.data.sources.sharegpt import convert_sharegpt
from toolzero.data.sources.toolace import convert_toolace
from toolzero.data.sources.toolrl import convert_rlla, convert_verl
from toolzero.data.sources.xlam import convert_xlam
from toolzero.protocol.types import Example

logger = logging.getLogger(__name__)


def convert_example(record: dict[str, Any], row: int, source: str, **_: Any) -> list[Example]:
    """toolzero's own rows (`Example.to_dict()`), as `save_prepared` writes them."""
    return [Example.from_dict(record)]


@dataclass(frozen=True)
class SourceFormat:
    """A data format: how to recognise a row, convert it, and (rarely) read the rows."""

    name: str
    convert: Callable[..., list[Example]]
    detect: Callable[[dict[str, Any]], bool]
    hub_id: str = ""
    read: Callable[[str], Iterator[tuple[int, Any]]] = read_rows


def _has(*keys: str) -> Callable[[dict[str, Any]], bool]:
    return lambda row: all(k in row for k in keys)


# Order matters for detection: the first match wins.
FORMATS: dict[str, SourceFormat] = {
    f.name: f
    for f in (
        SourceFormat(
            "example", convert_example, _has("id", "tools", "messages", "reference_calls")
        ),
        SourceFormat("toolrl", convert_rlla, _has("instruction", "input", "output")),
        SourceFormat("verl", convert_verl, _has("prompt", "reward_model")),
        SourceFormat(
            "xlam",
            convert_xlam,
            _has("query", "tools", "answers"),
            "Salesforce/xlam-function-calling-60k",
        ),
        SourceFormat("hammer", convert_xlam, lambda row: False, "MadeAgents/xlam-irrelevance-7.5k"),
        SourceFormat(
            "toolace",
            convert_toolace,
            lambda r: "system" in r and _toolace_turns(r),
            "Team-ACE/ToolACE",
        ),
        SourceFormat("sharegpt", convert_sharegpt, _has("conversations")),
        SourceFormat(
            "glaive", convert_glaive, _has("system", "chat"), "glaiveai/glaive-function-calling-v2"
        ),
        SourceFormat("openai", convert_openai, _has("messages")),
        SourceFormat("bfcl", convert_bfcl, _has("question", "function"), read=read_bfcl),
    )
}
FORMAT_NAMES = tuple(FORMATS)


def _toolace_turns(row: dict[str, Any]) -> bool:
    turns = row.get("conversations")
    return isinstance(turns, list) and any(
        isinstance(t, dict) and t.get("from") in ("user", "assistant", "tool") for t in turns
    )


def detect_format(row: Any) -> str | None:
    """The format a row is in, or None.

    >>> detect_format({"query": "hi", "tools": "[]", "answers": "[]"})
    'xlam'
    """
    if not isinstance(row, dict):
        return None
    return next((f.name for f in FORMATS.values() if f.detect(row)), None)


def load_source(
    location: str,
    format: str | None = None,
    source: str | None = None,
    report: DataReport | None = None,
    limit: int | None = None,
    **options: Any,
) -> list[Example]:
    """Examples from one location; every unusable row is recorded in `report`.

    `source` names the rows in ids and reports (default: the format name); `limit` stops
    after that many examples; `options` go to the converter (e.g. `turns="last"`).
    """
    if format is not None and format not in FORMATS:
        raise ValueError(f"unknown data format {format!r}; choose one of {list(FORMATS)}")
    report = report if report is not None else DataReport()
    reader = FORMATS[format].read if format else read_rows
    examples: list[Example] = []
    for row, record in reader(location):
        if limit is not None and len(examples) >= limit:
            break
        fmt = format or detect_format(record)
        if format is None and fmt is not None:
            format = fmt  # the first recognised row fixes the format for the rest
        label = source or fmt or "unknown"
        report.count_read(label)
        converted = convert_row(record, row, label, fmt, report, options)
        origin = f"{location}#{row}"  # lets a mix avoid using one raw row twice
        examples.extend(replace(e, metadata={**e.metadata, "origin": origin}) for e in converted)
    return examples[:limit] if limit is not None else examples


def convert_row(
    record: Any, row: int, source: str, fmt: str | None, report: DataReport, options: dict[str, Any]
) -> list[Example]:
    """One row's examples, or [] with the reason recorded. Data errors never propagate."""
    if isinstance(record, BadRow):
        report.reject(source, row, record.reason, record.detail)
        return []
    if fmt is None or not isinstance(record, dict):
        report.reject(source, row, "unrecognised row format", str(record)[:120])
        return []
    try:
        return FORMATS[fmt].convert(record, row, source, **options)
    except RowError as err:
        report.reject(source, row, err.reason, err.detail)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        # Shape errors deep in a row (a field of the wrong type): data, not a bug here.
        report.reject(source, row, f"malformed {fmt} row", f"{type(err).__name__}: {err}")
    return []


__all__ = ["FORMATS", "FORMAT_NAMES", "SourceFormat", "detect_format", "load_source"]
