"""Hammer's scoring of its test sets (API-name and parameter F1), plus exact match per item.

Hammer's `evaluation/evaluate.py` compares JSON lists of `{"name", "arguments"}` calls and
sums counts over all items of a set before dividing:

- **API name**: every predicted call counts as predicted; it is correct when its name is
  among the label's names (no one-to-one pairing: two predicted calls of one gold name are
  both correct). Precision = correct / predicted, recall = correct / gold calls.
- **Parameters**: gold parameters are the label's arguments whose value is not the empty
  string; predicted parameters likewise. A correct-name predicted call's hits are the label
  call's parameters whose value, compared as `str(value)`, equals the prediction's.
- An answer that cannot be parsed counts one predicted call and no hits; an empty list
  counts none. `read_hammer_answer` reads Hammer-format answer text (a fenced JSON list)
  as its script does; model completions go through toolzero's parser instead.

Two quirks of that script are part of the published numbers and are reproduced here,
each counted in the item's record so a reader can see where they act:

1. *first hit wins*: a predicted call takes its hits from the first same-name label call
   that yields any hit (not the best one);
2. *parameterless hit*: a predicted call with no arguments against a label call with no
   arguments counts one parameter hit although neither side counts a parameter, so
   parameter recall and F1 can exceed 1 on sets with parameterless tools (Seal-Tools).

Hammer's script prints no metric when a count is zero; here a metric is `None` when its
denominator is zero and 0.0 when there are no hits. `exact` (our addition, per item): the
predicted calls, as a multiset, equal the label's with arguments compared as Hammer
compares them (`str(value)`, empty-string values ignored); an unparsable answer is wrong.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from toolzero.protocol.types import ToolCall


@dataclass(frozen=True)
class HammerItemScore:
    """The counts one item adds to its set's sums, and its exact-match verdict."""

    gold_calls: int
    predicted_calls: int
    correct_calls: int
    gold_params: int
    predicted_params: int
    param_hits: int
    parameterless_hits: int  # quirk 2: hits counted for a no-argument call matching one
    exact: bool
    parsed: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> HammerItemScore:
        """Read back from a results row (extra keys such as `id` are ignored)."""
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


def score_hammer_item(
    gold: Sequence[ToolCall], predicted: Sequence[ToolCall] | None
) -> HammerItemScore:
    """Score one item. `predicted` is None when the answer could not be parsed.

    >>> gold = [ToolCall("f", {"a": "1", "b": "x"})]
    >>> s = score_hammer_item(gold, [ToolCall("f", {"a": 1, "b": "y"})])
    >>> s.correct_calls, s.gold_params, s.predicted_params, s.param_hits, s.exact
    (1, 2, 2, 1, False)
    >>> score_hammer_item(gold, None).predicted_calls
    1
    """
    gold_params = sum(count_params(c.arguments) for c in gold)
    if predicted is None:
        return HammerItemScore(len(gold), 1, 0, gold_params, 0, 0, 0, False, False)
    gold_names = {c.name for c in gold}
    correct = hits = parameterless = predicted_params = 0
    for call in predicted:
        predicted_params += count_params(call.arguments)
        if call.name not in gold_names:
            continue
        correct += 1
        for label in gold:  # quirk 1: the first same-name label call with any hit
            if label.name != call.name:
                continue
            found = param_hits(label.arguments, call.arguments)
            if found > 0:
                hits += found
                parameterless += int(not label.arguments)
                break
    exact = Counter(map(call_key, predicted)) == Counter(map(call_key, gold))
    return HammerItemScore(
        len(gold), len(predicted), correct, gold_params, predicted_params, hits,
        parameterless, exact, True,
    )  # fmt: skip


def read_hammer_answer(text: str) -> list[ToolCall] | None:
    """Read an answer the way Hammer's script does: drop ``` fences, parse JSON, take a
    `tool_calls` member if there is one; None (unparsable) unless that gives a list of calls.

    >>> read_hammer_answer('```json\\n[{"name": "f", "arguments": {"a": 1}}]\\n```')
    [ToolCall(name='f', arguments={'a': 1})]
    >>> read_hammer_answer("null"), read_hammer_answer("{}"), read_hammer_answer("f(a=1)")
    ([], None, None)
    """
    try:
        value = json.loads(text.replace("```json", "").replace("```", ""))
    except json.JSONDecodeError:
        return None
    if isinstance(value, dict) and "tool_calls" in value:
        value = value["tool_calls"]
    if value is None:
        return []
    if not isinstance(value, list):
        return None
    calls = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            return None
        if not isinstance(item.get("arguments"), dict):
            return None
        calls.append(ToolCall(item["name"], item["arguments"]))
    return calls


def count_params(arguments: dict[str, Any]) -> int:
    """Parameters that count: those whose value is not the empty string."""
    return sum(1 for v in arguments.values() if v != "")


def param_hits(label: dict[str, Any], predicted: dict[str, Any]) -> int:
    """Hammer's per-call hits: label parameters whose `str(value)` the prediction matches.

    >>> param_hits({"x": "5", "y": ""}, {"x": 5, "y": "z"})
    1
    >>> param_hits({}, {})  # quirk 2: a parameterless match counts one hit
    1
    """
    if not label and label == predicted:
        return 1
    label_values = as_compared(label)
    predicted_values = as_compared(predicted)
    if not label and label_values == predicted_values:  # e.g. {} vs {"x": ""}
        return 1
    return sum(1 for k, v in label_values.items() if predicted_values.get(k) == v)


def as_compared(arguments: dict[str, Any]) -> dict[str, str]:
    """Arguments as Hammer compares them: empty strings dropped, values as `str(value)`."""
    return {k: str(v) for k, v in arguments.items() if v != ""}


def call_key(call: ToolCall) -> tuple[str, tuple[tuple[str, str], ...]]:
    return call.name, tuple(sorted(as_compared(call.arguments).items()))


def summarize_hammer(scores: Iterable[HammerItemScore | dict[str, Any]]) -> dict[str, Any]:
    """Hammer's set metrics from item scores (or their `to_dict` rows): sums first, then
    P / R / F1; plus exact match."""
    rows = [s if isinstance(s, HammerItemScore) else HammerItemScore.from_dict(s) for s in scores]
    total = {
        field: sum(getattr(r, field) for r in rows)
        for field in (
            "gold_calls", "predicted_calls", "correct_calls",
            "gold_params", "predicted_params", "param_hits", "parameterless_hits",
        )
    }  # fmt: skip
    api = precision_recall_f1(
        total["correct_calls"], total["predicted_calls"], total["gold_calls"]
    )
    param = precision_recall_f1(
        total["param_hits"], total["predicted_params"], total["gold_params"]
    )
    exact = sum(r.exact for r in rows)
    return {
        "items": len(rows),
        "unparsed": sum(not r.parsed for r in rows),
        "api": api,
        "param": param,
        "exact_match": {"correct": exact, "accuracy": exact / len(rows) if rows else None},
        "counts": total,
        "definition": (
            "Hammer's evaluate.py: API-name and parameter precision/recall/F1 over all items "
            "(quirks kept: first same-name label call with a hit; a parameterless match "
            "counts one parameter hit, so param recall/F1 can exceed 1); exact_match is "
            "ours: the calls as a multiset, values compared as str()"
        ),
    }


def precision_recall_f1(hits: int, predicted: int, gold: int) -> dict[str, float | None]:
    """P = hits / predicted, R = hits / gold, F1 = 2PR / (P + R); None for a zero denominator.

    >>> precision_recall_f1(1, 2, 4)
    {'precision': 0.5, 'recall': 0.25, 'f1': 0.3333333333333333}
    """
    precision = hits / predicted if predicted else None
    recall = hits / gold if gold else None
    if precision is None or recall is None:
        f1 = None
    else:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}
