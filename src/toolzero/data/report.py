"""What happened to every row: how many were read, kept, and rejected, and why.

A malformed row never stops a run. Loaders, validation and augmentations record each row
they could not use as a `Rejection` (source, row number, reason, detail) in a
`DataReport`; `DataReport.summary()` counts them by reason for `summary.json` and logs.
The individual rejections are kept (capped per reason) so that a user can find the row.

What is left out: no retry or repair. A row that cannot be read is reported, not guessed at.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

# Enough rejections per reason to find the pattern, without storing 60k copies of one error.
KEEP_PER_REASON = 20


class RowError(ValueError):
    """A row cannot become an `Example`; `reason` is a short category, `detail` the specifics.

    Converters raise it; the loading loop records it and goes on with the next row.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Rejection:
    """One row that was not used: where it came from and why."""

    source: str
    row: int | str
    reason: str
    detail: str = ""

    def describe(self) -> str:
        where = (
            f"{self.source} row {self.row}"
            if isinstance(self.row, int)
            else f"{self.source} example {self.row}"
        )
        return f"{where}: {self.reason}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class DataReport:
    """Counts rows read and examples kept (used in a mix) per source, and every rejection
    by reason. One row may give several examples (one per assistant turn)."""

    read: Counter[str] = field(default_factory=Counter)
    kept: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)  # "reason" -> count
    rejected_by_source: Counter[str] = field(default_factory=Counter)
    samples: list[Rejection] = field(default_factory=list)

    def count_read(self, source: str, n: int = 1) -> None:
        self.read[source] += n

    def count_kept(self, source: str, n: int = 1) -> None:
        self.kept[source] += n

    def reject(self, source: str, row: int | str, reason: str, detail: str = "") -> None:
        """Record one rejected row (logged at debug level; counted always)."""
        self.rejected[reason] += 1
        self.rejected_by_source[source] += 1
        rejection = Rejection(source, row, reason, detail[:300])
        if self.rejected[reason] <= KEEP_PER_REASON:
            self.samples.append(rejection)
        logger.debug("rejected %s", rejection.describe())

    def merge(self, other: DataReport) -> None:
        """Add another report's counts and samples to this one."""
        self.read.update(other.read)
        self.kept.update(other.kept)
        self.rejected.update(other.rejected)
        self.rejected_by_source.update(other.rejected_by_source)
        for sample in other.samples:
            if sum(s.reason == sample.reason for s in self.samples) < KEEP_PER_REASON:
                self.samples.append(sample)

    @property
    def total_rejected(self) -> int:
        return sum(self.rejected.values())

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary: counts, rejects by reason, and example rejections.

        >>> r = DataReport()
        >>> r.count_read("x", 2); r.reject("x", 1, "unknown tool", "get_wether")
        >>> r.summary()["rejected_by_reason"]
        {'unknown tool': 1}
        """
        return {
            "read": dict(self.read),
            "kept": dict(self.kept),
            "rejected_total": self.total_rejected,
            "rejected_by_reason": dict(self.rejected.most_common()),
            "rejected_by_source": dict(self.rejected_by_source),
            "rejected_examples": [s.describe() for s in self.samples],
        }

    def log(self, what: str = "data") -> None:
        """One info line, plus one line per rejection reason."""
        logger.info(
            "%s: read %d, kept %d, rejected %d",
            what,
            sum(self.read.values()),
            sum(self.kept.values()),
            self.total_rejected,
        )
        for reason, n in self.rejected.most_common():
            example = next((s for s in self.samples if s.reason == reason), None)
            logger.info("  %5d x %s%s", n, reason, f" e.g. {example.describe()}" if example else "")
