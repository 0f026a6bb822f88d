"""Read raw records from where users keep them: local files, folders, or the Hugging Face Hub.

`read_rows(location)` yields `(row_number, record)` pairs, row numbers counted from 0 in
each file, so that a rejected row can be found again. Local files: `.json` (a list, a dict
holding one list, or JSON lines), `.jsonl`, `.parquet`; a folder reads every such file in
it, sorted by name. `hf:owner/name` (optionally `hf:owner/name:split`, default `train`)
loads with `datasets.load_dataset`, which needs the network or a warm Hub cache.

A file that cannot be read at all is an error naming the file; a single line of a JSON-lines
file that does not decode is yielded as a `BadRow`, which the loader reports and skips.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolzero.user_files import BadInputError, MissingInputError, read_text

logger = logging.getLogger(__name__)

FILE_SUFFIXES = (".json", ".jsonl", ".parquet")


@dataclass(frozen=True)
class BadRow:
    """A record that could not even be decoded (a broken JSON line)."""

    reason: str
    detail: str


def is_hub_id(location: str) -> bool:
    return location.startswith("hf:")


def read_rows(location: str | Path) -> Iterator[tuple[int, Any]]:
    """Every record at `location`, numbered. See the module docstring for what is accepted."""
    text = str(location)
    if is_hub_id(text):
        yield from read_hub(text[3:])
        return
    path = Path(text).expanduser()
    if path.is_dir():
        files = sorted(f for f in path.iterdir() if f.suffix in FILE_SUFFIXES)
        if not files:
            raise MissingInputError(
                f"no {'/'.join(FILE_SUFFIXES)} files in folder {path}; give a folder of data files"
            )
        offset = 0
        for f in files:  # number rows across the folder so numbers stay unique
            n = -1
            for n, record in read_file(f):
                yield offset + n, record
            offset += n + 1
        return
    if not path.exists():
        raise MissingInputError(
            f"data file not found: {path}; give a file, a folder, hf:owner/name, "
            "bfcl:CATEGORY or synthetic"
        )
    yield from read_file(path)


def read_file(path: Path) -> Iterator[tuple[int, Any]]:
    """Records of one local file, by suffix."""
    if path.suffix == ".parquet":
        yield from enumerate(read_parquet(path))
    elif path.suffix == ".jsonl":
        yield from read_json_lines(read_text(path, "data file"))
    elif path.suffix == ".json":
        yield from read_json(path)
    else:
        raise BadInputError(
            f"unsupported data file {path}: give a {', '.join(FILE_SUFFIXES)} file"
        )


def read_json(path: Path) -> Iterator[tuple[int, Any]]:
    text = read_text(path, "data file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        yield from read_json_lines(text)  # many ".json" files are really JSON lines
        return
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise BadInputError(
                f"{path}: a JSON object must hold exactly one list of rows, "
                f"found {len(lists)}; give a list of rows or JSON lines"
            )
        data = lists[0]
    if not isinstance(data, list):
        raise BadInputError(f"{path}: expected a JSON list of rows, got {type(data).__name__}")
    yield from enumerate(data)


def read_json_lines(text: str) -> Iterator[tuple[int, Any]]:
    for n, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except json.JSONDecodeError as err:
            yield n, BadRow("invalid JSON line", str(err))


def read_parquet(path: Path) -> list[dict[str, Any]]:
    """Rows of a parquet file as plain Python values (numpy arrays become lists)."""
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


def read_hub(spec: str) -> Iterator[tuple[int, Any]]:
    """Rows of a Hub dataset `owner/name[:split]`; needs network access or the Hub cache."""
    from datasets import load_dataset
    from datasets.exceptions import DatasetNotFoundError

    name, _, split = spec.partition(":")
    logger.info("loading %s (split %s) from the Hugging Face Hub", name, split or "train")
    try:
        dataset = load_dataset(name, split=split or "train")
    except ConnectionError as exc:  # datasets' way of saying "offline and not cached"
        raise BadInputError(
            f"hf:{spec}: cannot load this Hub dataset ({exc}); it is not in the local cache "
            "and the Hub cannot be reached (HF_HUB_OFFLINE=1?): load it once with network "
            "access, or give a local file"
        ) from exc
    except DatasetNotFoundError as exc:
        raise MissingInputError(
            f"hf:{spec}: no such dataset on the Hub ({exc}); check the name (owner/name[:split])"
        ) from exc
    yield from enumerate(dataset)
