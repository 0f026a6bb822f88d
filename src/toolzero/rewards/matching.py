"""Comparing calls: multiset Jaccard, value equality, and assigning predicted calls to
reference calls (ToolRL's greedy order, or the optimal Hungarian assignment).

Value equality comes in two strengths:
- `exact`: Python's `==` on the decoded JSON, exactly what ToolRL compares (`"1" != 1`,
  but `1 == 1.0`, as in Python).
- `normalized`: BFCL-style tolerance. Strings compare after lower-casing and removing
  spaces and `,./-_*^`; a number and a numeric string are equal when their values are;
  `"true"`/`"false"` equal booleans; lists and objects compare element-wise.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

ValueMode = Literal["exact", "normalized"]
Matching = Literal["greedy", "optimal"]

_STRIP = re.compile(r"[\s,./\-_*^]")


def multiset_jaccard(
    reference: Sequence[Any], predicted: Sequence[Any], binary: bool = False
) -> float:
    """|R ∩ P| / (|R| + |P| − |R ∩ P|) over multisets; ToolRL's `match_score`.

    Equal lists score 1 first (ToolRL's shortcut), empty against non-empty 0. With
    `binary` (ToolRL's "refined" switch) anything but equal lists scores 0.

    >>> multiset_jaccard(["a"], ["a", "b"])
    0.5
    >>> multiset_jaccard(["a", "a"], ["a"])
    0.5
    >>> multiset_jaccard(["a", "b"], ["b", "a"], binary=True)
    0.0
    """
    if list(reference) == list(predicted):
        return 1.0
    if binary or not reference or not predicted:
        return 0.0
    ref_counts, pred_counts = Counter(reference), Counter(predicted)
    common = sum(min(n, pred_counts[k]) for k, n in ref_counts.items() if k in pred_counts)
    union = len(reference) + len(predicted) - common
    return common / union if union > 0 else 0.0


def normalize_value(value: Any) -> Any:
    """BFCL-style canonical form used by `normalized` comparison.

    >>> normalize_value("New York, NY") == normalize_value("new york ny")
    True
    >>> normalize_value("3") == normalize_value(3.0)
    True
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else str(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        try:
            number = float(lowered)
        except ValueError:
            return _STRIP.sub("", lowered)
        return number if math.isfinite(number) else _STRIP.sub("", lowered)
    if isinstance(value, list):
        return tuple(normalize_value(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), repr(normalize_value(v))) for k, v in value.items()))
    return value


def values_equal(reference: Any, predicted: Any, mode: ValueMode = "exact") -> bool:
    if mode == "exact":
        return bool(predicted == reference)
    return normalize_value(predicted) == normalize_value(reference)


@dataclass(slots=True)
class PairScore:
    """How one predicted call scored against one reference call."""

    reference_index: int
    predicted_index: int
    key_score: float
    values_right: list[str] = field(default_factory=list)
    values_wrong: list[str] = field(default_factory=list)
    keys_missing: list[str] = field(default_factory=list)
    keys_extra: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return self.key_score + len(self.values_right)


def score_pair(
    ref_index: int,
    ref: dict[str, Any],
    pred_index: int,
    pred_params: dict[str, Any],
    value_mode: ValueMode = "exact",
    binary_keys: bool = False,
) -> PairScore:
    """ToolRL's per-call score: Jaccard of parameter keys + number of reference values right."""
    ref_params = ref["parameters"]
    pair = PairScore(
        ref_index,
        pred_index,
        multiset_jaccard(list(ref_params), list(pred_params), binary=binary_keys),
    )
    for key, value in ref_params.items():
        if key not in pred_params:
            pair.keys_missing.append(key)
        elif values_equal(value, pred_params[key], value_mode):
            pair.values_right.append(key)
        else:
            pair.values_wrong.append(key)
    pair.keys_extra = [k for k in pred_params if k not in ref_params]
    return pair


PairScorer = Callable[[int, int], "PairScore | None"]
Candidates = Callable[[int], "Sequence[int]"]


def assign_greedy(n_ref: int, candidates: Candidates, scorer: PairScorer) -> list[PairScore]:
    """ToolRL's assignment: each reference call in order takes the best unused prediction.

    `candidates(r)` lists, in order, the predictions that may match reference call r (those
    with its name). A candidate is taken only if its score beats the best so far, starting
    from 0, so a same-name call scoring 0 is not consumed (ToolRL's behaviour, kept exactly).
    """
    used: set[int] = set()
    pairs = []
    for r in range(n_ref):
        best: PairScore | None = None
        for p in candidates(r):
            if p in used:
                continue
            pair = scorer(r, p)
            if pair is not None and pair.score > (best.score if best else 0.0):
                best = pair
        if best is not None:
            used.add(best.predicted_index)
            pairs.append(best)
    return pairs


def assign_optimal(n_ref: int, candidates: Candidates, scorer: PairScorer) -> list[PairScore]:
    """The assignment of predictions to references that maximises the summed pair score."""
    table = {(r, p): scorer(r, p) for r in range(n_ref) for p in candidates(r)}
    table = {k: v for k, v in table.items() if v is not None and v.score > 0}
    if not table:
        return []
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    weights = np.zeros((n_ref, 1 + max(p for _, p in table)))
    for (r, p), pair in table.items():
        weights[r, p] = pair.score
    rows, cols = linear_sum_assignment(weights, maximize=True)
    return [table[(r, p)] for r, p in zip(rows, cols, strict=True) if (r, p) in table]


def assign(
    n_ref: int, candidates: Candidates, scorer: PairScorer, matching: Matching
) -> list[PairScore]:
    if matching == "greedy":
        return assign_greedy(n_ref, candidates, scorer)
    if matching == "optimal":
        return assign_optimal(n_ref, candidates, scorer)
    raise ValueError(f"unknown matching {matching!r}; use 'greedy' or 'optimal'")
