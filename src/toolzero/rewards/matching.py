"""Comparing calls: multiset Jaccard, value equality, and assigning predicted calls to
reference calls (ToolRL's greedy order, or the optimal Hungarian assignment).

Value equality comes in two strengths:
- `exact`: Python's `==` on the decoded JSON, exactly what ToolRL compares (`"1" != 1`,
  but `1 == 1.0`, as in Python).
- `normalized`: BFCL's tolerance (`normalize_value`, the rule the synthetic benchmark's
  exact match uses too): strings compare after removing spaces and `,./-_*^`, lower-casing
  and reading `'` as `"`; an int equals the float of the same value. On top of it, for a
  training signal, a string that spells a number or `true`/`false` counts as that value
  (`"3"` equals `3`), which BFCL's type check would not accept.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

ValueMode = Literal["exact", "normalized"]
Matching = Literal["greedy", "optimal"]

# The characters BFCL's AST checker removes from strings before comparing them.
_BFCL_STRIP = re.compile(r"[ ,./\-_*^]")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


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


def normalize_value(value: Any, *, typed_strings: bool = False) -> Any:
    """BFCL's normal form of an argument value, as plain JSON values: the one rule for
    "normalised" comparison, in rewards and in the synthetic benchmark.

    - a string: spaces and `,./-_*^` removed, lower-cased, `'` read as `"` (BFCL's AST
      checker does exactly this, so "April 1, 2024" equals "april 1 2024");
    - an int: the float of the same value (BFCL accepts an int where a float is expected),
      or the int itself where no float has its value; a float stays;
    - a boolean or null stays itself: it is neither a number nor a string;
    - a list or tuple: a list of its elements' normal forms, in order;
    - an object: the same keys (unchanged) with their values' normal forms.

    With `typed_strings` (the reward's `normalized` values; not BFCL) a string that is a
    JSON number, or `true`/`false` in any case, is first read as that value, spaces around
    it ignored. Compare normal forms with `value_key`, which keeps `true` apart from `1.0`
    (Python's `==` does not).

    >>> normalize_value({"City": "New York, NY", "n": 2, "ok": True, "tags": ("A-1",)})
    {'City': 'newyorkny', 'n': 2.0, 'ok': True, 'tags': ['a1']}
    >>> normalize_value(["3", " TRUE"]), normalize_value(["3", " TRUE"], typed_strings=True)
    (['3', 'true'], [3.0, True])
    """
    if isinstance(value, str) and typed_strings:
        value = _typed(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        try:
            as_float = float(value)
        except OverflowError:
            return value
        return as_float if as_float == value else value
    if isinstance(value, str):
        return _BFCL_STRIP.sub("", value).lower().replace("'", '"')
    if isinstance(value, list | tuple):
        return [normalize_value(v, typed_strings=typed_strings) for v in value]
    if isinstance(value, dict):
        return {k: normalize_value(v, typed_strings=typed_strings) for k, v in value.items()}
    return value


def _typed(text: str) -> Any:
    """The number or boolean a string spells, or the string."""
    bare = text.strip()
    if bare.lower() in ("true", "false"):
        return bare.lower() == "true"
    if _JSON_NUMBER.fullmatch(bare):
        try:
            return json.loads(bare)
        except ValueError:  # more digits than Python converts to an int
            return text
    return text


def value_key(value: Any, *, typed_strings: bool = False) -> str:
    """The canonical text of `normalize_value(value)`: two values are equal under the rule
    exactly when their keys are (object keys in any order).

    >>> value_key({"b": True, "a": "X"}) == value_key({"a": "x", "b": True}) != value_key({"a": "x", "b": 1})
    True
    """
    return json.dumps(normalize_value(value, typed_strings=typed_strings), sort_keys=True)


def values_equal(reference: Any, predicted: Any, mode: ValueMode = "exact") -> bool:
    """Python's `==` (`exact`, as ToolRL compares) or equal normal forms (`normalized`)."""
    if mode == "exact":
        return bool(predicted == reference)
    return value_key(predicted, typed_strings=True) == value_key(reference, typed_strings=True)


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
