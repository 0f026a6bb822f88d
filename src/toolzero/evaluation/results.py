"""Per-item results on disk: append-only JSONL that an interrupted evaluation resumes from.

Each benchmark writes one `items.jsonl` (one JSON object per item, with its `id`) as items
finish, flushed line by line. On restart, `ItemStore.done_ids()` says what to skip. A line
cut short by a kill is dropped (its item is redone), never an error.

`RunManifest` (`manifest.json` in the output folder, see `toolzero.run_folder`) records
what produced the results: model, backend, prompt protocol, prefill, decoding settings. Resuming into a folder made with
different settings would mix two models' answers in one score, so it is refused.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from toolzero import run_folder
from toolzero.user_files import BadInputError

logger = logging.getLogger(__name__)


MAX_STORED_CHARS = 20_000  # per completion in items.jsonl; longer text is cut, marked so


def clip_text(text: str, limit: int = MAX_STORED_CHARS) -> str:
    """Text short enough to store; an enormous model output keeps its head and its size.

    >>> clip_text("abcdef", 4)
    'abcd…[cut: 6 characters in all]'
    """
    return text if len(text) <= limit else f"{text[:limit]}…[cut: {len(text)} characters in all]"


class ItemStore:
    """One benchmark's per-item results file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._repair_tail()

    def _repair_tail(self) -> None:
        """Cut a trailing partial line (a write interrupted mid-line)."""
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            logger.warning(
                "%s: dropping an unfinished last line (its item will be redone)", self.path
            )
            with open(self.path, "r+b") as f:
                f.truncate(keep)

    def load(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        rows = []
        with open(self.path, encoding="utf-8") as f:
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    rows.append(json.loads(line))
                except ValueError as exc:
                    raise BadInputError(
                        f"{self.path}:{number} is not valid JSON ({exc}); delete that line to redo its item"
                    ) from exc
        return rows

    def done_ids(self) -> set[str]:
        return {str(row["id"]) for row in self.load()}

    def append(self, rows: Iterable[dict[str, Any]]) -> None:
        with open(self.path, "ab") as f:
            for row in rows:
                line = json.dumps(row, ensure_ascii=False, default=str) + "\n"
                f.write(line.encode("utf-8", errors="replace"))  # a lone surrogate becomes "?"
            f.flush()
            os.fsync(f.fileno())


# The settings that change answers. Two runs that differ in one of these are different runs.
MANIFEST_KEYS = (
    "model",
    "backend",
    "protocol",
    "prefill",
    "max_new_tokens",
    "temperature",
    "stop",
    "keep_stop",
    "bf16",
)


@dataclass
class RunManifest:
    """What produced an output folder's results."""

    model: str
    backend: str
    protocol: str
    prefill: str = ""
    max_new_tokens: int = 0
    temperature: float = 0.0
    stop: list[str] = field(default_factory=list)
    keep_stop: bool = False
    bf16: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def check_or_write(self, out_dir: str | Path) -> None:
        """Write the manifest, or check that the existing one describes the same run."""
        old = run_folder.read_manifest(out_dir)
        if old is not None:
            new = self.to_dict()
            # A key an older manifest lacks had its default then (e.g. keep_stop: False).
            defaults = asdict(RunManifest(model="", backend="", protocol=""))
            diff = [k for k in MANIFEST_KEYS if old.get(k, defaults[k]) != new.get(k)]
            if diff:
                changes = "; ".join(f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in diff)
                raise BadInputError(
                    f"{out_dir} holds results of a different run ({changes}); "
                    "use a new --out folder, or delete the old one to start over"
                )
        run_folder.write_manifest(out_dir, self.to_dict())
