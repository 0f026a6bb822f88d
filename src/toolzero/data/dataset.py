"""Prepared dataset folders, and `load_examples(spec)`: one string names any data.

A prepared folder (what `toolzero data prepare` writes and the trainer reads) holds
`train.jsonl` and `eval.jsonl`, one `Example.to_dict()` JSON per line, and `summary.json`
(counts per source and shape, rejects by reason, the recipe).

Data specs accepted by `load_examples`:

- a prepared folder: its training examples (`DIR/eval.jsonl` names the eval ones);
- a local `.json` / `.jsonl` / `.parquet` file or folder in any supported format,
  detected from its rows, or `FORMAT:PATH` to say which (`xlam:rows.json`);
- `hf:owner/name[:split]`: a Hugging Face Hub dataset (format detected, or `FORMAT:hf:...`);
- `bfcl:CATEGORY`: BFCL questions from the installed `bfcl-eval` package;
- `synthetic[:SPLIT[:N[:SEED]]]`: the built-in generator (default train, 1000, seed 0).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from toolzero.data.report import DataReport
from toolzero.data.sources import FORMATS, load_source
from toolzero.protocol.types import Example
from toolzero.user_files import BadInputError, MissingInputError, read_text, writable_file

logger = logging.getLogger(__name__)

TRAIN_FILE = "train.jsonl"
EVAL_FILE = "eval.jsonl"
SUMMARY_FILE = "summary.json"
DEFAULT_SYNTHETIC_N = 1000


def write_jsonl(path: Path, examples: Iterable[Example]) -> int:
    """Write examples one JSON per line (parent folders created); returns how many."""
    n = 0
    with writable_file(path).open("w", encoding="utf-8") as f:
        for example in examples:
            f.write(json.dumps(example.to_dict(), ensure_ascii=False) + "\n")
            n += 1
    return n


def read_jsonl(path: Path) -> list[Example]:
    """Examples from a toolzero JSONL file; a bad line is an error naming file and line."""
    out = []
    for n, line in enumerate(read_text(path, "dataset file").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(Example.from_dict(json.loads(line)))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
            raise BadInputError(
                f"{path} line {n}: not a toolzero example ({err}); re-run `toolzero data prepare`"
            ) from err
    return out


def save_prepared(
    directory: str | Path,
    train: Sequence[Example],
    eval: Sequence[Example],
    summary: dict[str, Any],
) -> Path:
    """Write a prepared dataset folder; returns its path."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / TRAIN_FILE, train)
    write_jsonl(out / EVAL_FILE, eval)
    (out / SUMMARY_FILE).write_text(
        json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    logger.info("wrote %d train and %d eval examples to %s", len(train), len(eval), out)
    return out


def is_prepared(directory: str | Path) -> bool:
    return (Path(directory) / TRAIN_FILE).is_file()


def load_prepared(directory: str | Path) -> tuple[list[Example], list[Example]]:
    """(train, eval) examples of a prepared folder."""
    path = Path(directory)
    if not is_prepared(path):
        raise MissingInputError(
            f"{path} is not a prepared dataset (no {TRAIN_FILE}); build one with "
            "`toolzero data prepare --recipe recipes/data/synthetic.yaml --out DIR`"
        )
    eval_path = path / EVAL_FILE
    return read_jsonl(path / TRAIN_FILE), read_jsonl(eval_path) if eval_path.exists() else []


def load_summary(directory: str | Path) -> dict[str, Any]:
    path = Path(directory) / SUMMARY_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def load_examples(spec: str, report: DataReport | None = None) -> list[Example]:
    """Examples named by a data spec (see the module docstring for the forms)."""
    report = report if report is not None else DataReport()
    if spec == "synthetic" or spec.startswith("synthetic:"):
        return synthetic_examples(spec)
    if is_prepared(spec):
        return load_prepared(spec)[0]
    fmt, location = split_format(spec)
    examples = load_source(location, fmt, report=report)
    if report.total_rejected:
        report.log(f"data {spec}")
    return examples


def split_format(spec: str) -> tuple[str | None, str]:
    """`FORMAT:LOCATION` -> (FORMAT, LOCATION); anything else -> (None, spec).

    >>> split_format("xlam:hf:Salesforce/xlam-function-calling-60k")
    ('xlam', 'hf:Salesforce/xlam-function-calling-60k')
    >>> split_format("hf:Team-ACE/ToolACE")
    ('toolace', 'hf:Team-ACE/ToolACE')
    >>> split_format("data/rows.json")
    (None, 'data/rows.json')
    """
    head, sep, rest = spec.partition(":")
    if sep and head in FORMATS:
        return head, rest
    if head == "hf":
        name = rest.partition(":")[0]
        known = next((f.name for f in FORMATS.values() if f.hub_id == name), None)
        return known, spec
    return None, spec


def synthetic_examples(spec: str) -> list[Example]:
    """`synthetic[:SPLIT[:N[:SEED]]]` through the built-in generator."""
    from toolzero.data.synthetic import generate_examples

    parts = spec.split(":")[1:]
    split = parts[0] if parts and parts[0] else "train"
    try:
        n = int(parts[1]) if len(parts) > 1 else DEFAULT_SYNTHETIC_N
        seed = int(parts[2]) if len(parts) > 2 else 0
    except ValueError:
        raise BadInputError(
            f"bad synthetic spec {spec!r}: use synthetic[:SPLIT[:N[:SEED]]], e.g. synthetic:train:100"
        ) from None
    return generate_examples(n, seed=seed, split=split)
