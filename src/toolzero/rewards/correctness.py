"""ToolRL's tool-call correctness reward, at fine, intermediate and coarse granularity.

Range [low, high] (ToolRL: [−3, 3]). With the defaults this is ToolRL's definition exactly,
branch by branch, on the completion text (chat markers cut, whitespace stripped):

1. a reference without `<tool_call>` scores 0;
2. a completion lacking `<tool_call>` or `</tool_call>` scores `low` (an unclosed block
   too: ToolRL asserts both tags);
3. the predicted block is the text between the first `<tool_call>` and the next
   `</tool_call>`, stripped and split on `\n`; a line that is not one JSON value (an empty
   block included) scores `low`;
4. a list equal to the reference's (Python `==`, order-sensitive) scores `high`;
5. `coarse`: anything else scores `low`;
6. an item ToolRL's code cannot read where it reads it (not an object with a `name`,
   unhashable names being counted, a reference call without a sized `parameters` at fine
   granularity, a same-name pair whose `parameters` are not both objects) scores `low`;
7. otherwise

    S = Jaccard(reference names, predicted names)
        + Σ over reference calls g, in order, of the best unused same-name prediction's
          (Jaccard(keys) + number of g's values matched exactly)
    correctness = (high − low) · S / S_max + low,   S_max = 1 + Σ_g (1 + |keys(g)|)

The improvements are options, off by default: `parser="robust"` (read what the protocol
parser reads: several blocks, JSON lists, `arguments`, unclosed blocks; unreadable items
count as wrong calls instead of zeroing everything), `matching="optimal"`,
`values="normalized"`, and `penalize_spurious_calls` (a call where the reference has none
scores `low`, where ToolRL gives 0).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from toolzero.rewards.inputs import Completion, Reference, unreadable_calls
from toolzero.rewards.matching import (
    Matching,
    PairScore,
    ValueMode,
    assign,
    multiset_jaccard,
    score_pair,
    value_key,
    values_equal,
)

_DECODER = json.JSONDecoder()
_JSON_WHITESPACE = " \t\n\r"

Granularity = Literal["fine", "intermediate", "coarse"]
CallParser = Literal["toolrl", "robust"]


@dataclass(slots=True)
class CorrectnessReport:
    """The value and why: which reference call matched which prediction, and how well."""

    value: float
    reason: str
    pairs: list[PairScore] = field(default_factory=list)
    predicted: list[Any] = field(default_factory=list)
    expected: list[Any] = field(default_factory=list)
    score: float = 0.0
    score_max: float = 0.0
    name_score: float = 0.0


def correctness_reward(
    completion: Completion,
    reference: Reference,
    *,
    low: float = -3.0,
    high: float = 3.0,
    granularity: Granularity = "fine",
    refined: bool = False,
    parser: CallParser = "toolrl",
    matching: Matching = "greedy",
    values: ValueMode = "exact",
    penalize_spurious_calls: bool = False,
) -> float:
    """ToolRL correctness in [low, high].

    >>> ref = Reference("", True, False, ({"name": "f", "parameters": {"a": 1, "b": 2}},))
    >>> correctness_reward(Completion('<tool_call>\\n{"name": "f", "parameters": {"a": 1, "b": 3}}\\n</tool_call>'), ref)
    1.5
    >>> correctness_reward(Completion('<tool_call>\\n{"name": "g", "parameters": {"a": 1, "b": 2}}\\n</tool_call>'), ref)
    -3.0
    """
    return correctness_report(
        completion,
        reference,
        low=low,
        high=high,
        granularity=granularity,
        refined=refined,
        parser=parser,
        matching=matching,
        values=values,
        penalize_spurious_calls=penalize_spurious_calls,
    ).value


def correctness_report(
    completion: Completion,
    reference: Reference,
    *,
    low: float = -3.0,
    high: float = 3.0,
    granularity: Granularity = "fine",
    refined: bool = False,
    parser: CallParser = "toolrl",
    matching: Matching = "greedy",
    values: ValueMode = "exact",
    penalize_spurious_calls: bool = False,
) -> CorrectnessReport:
    """`correctness_reward` with its explanation."""
    if reference.fallback:
        parser = "robust"  # ToolRL's reading crashes on this reference: use ours throughout
    if not reference.has_call:
        if penalize_spurious_calls and _has_call_block(completion, parser):
            return CorrectnessReport(low, "the reference makes no call but the completion does")
        return CorrectnessReport(0.0, "the reference makes no call: correctness is not scored")
    predicted, problem = _predicted_items(completion, parser)
    if problem:
        return CorrectnessReport(low, problem, predicted=predicted)
    gold = _gold_items(reference, parser)
    if predicted == gold:
        return CorrectnessReport(
            high, "the predicted calls equal the reference exactly", [], predicted, gold
        )
    if granularity == "coarse":
        return CorrectnessReport(
            low, "coarse: the call list differs from the reference", [], predicted, gold
        )
    try:
        return _partial_match(
            gold, predicted, low, high, granularity, refined, parser, matching, values
        )
    except _ToolRLRaises as unreadable:
        return CorrectnessReport(low, str(unreadable), [], predicted, gold)


class _ToolRLRaises(Exception):
    """ToolRL's code raises on this item (inside its `try`), so the score is `low`."""


def _partial_match(gold, predicted, low, high, granularity, refined, parser, matching, values):
    """Step 6–7 of the module docstring: names Jaccard, then each reference call's match."""
    if parser == "toolrl":
        _check_readable(gold, predicted, refined, granularity)
    names = [p.get("name") if isinstance(p, dict) else None for p in predicted]
    gold_names = [g["name"] for g in gold]
    name_score = multiset_jaccard(gold_names, names, binary=refined)

    def candidates(r: int) -> list[int]:
        # ToolRL's test (`p["name"] != g["name"]` skips), so unhashable names work too.
        return [i for i, name in enumerate(names) if name == gold_names[r]]

    scorer = _pair_scorer(gold, predicted, granularity, refined, values, parser)
    pairs = assign(len(gold), candidates, scorer, matching)
    score_max = 1.0
    score = name_score
    for g in gold:  # summed in ToolRL's order, so the value is the same to the last bit
        score_max += 1.0 if granularity == "intermediate" else 1.0 + len(g["parameters"])
    for pair in pairs:
        score += pair.score
    return CorrectnessReport(
        (high - low) * score / score_max + low,
        f"partial match S={score:g} of {score_max:g}",
        pairs,
        predicted,
        gold,
        score,
        score_max,
        name_score,
    )


def _check_readable(gold: list[Any], predicted: list[Any], refined: bool, granularity: str):
    """Raise `_ToolRLRaises` where ToolRL's scoring raises before matching any pair."""
    for side, items in (("reference", gold), ("predicted", predicted)):
        for item in items:
            if not isinstance(item, dict) or "name" not in item:
                raise _ToolRLRaises(f'a {side} item is not an object with a "name"')
    gold_names = [g["name"] for g in gold]
    names = [p["name"] for p in predicted]
    counted = gold_names != names and not refined  # only then are names counted (hashed)
    if counted and any(isinstance(n, list | dict) for n in (*gold_names, *names)):
        raise _ToolRLRaises("a tool name is not a string (a list or an object)")
    if granularity == "fine":
        for g in gold:
            if not isinstance(g.get("parameters"), str | list | dict):
                raise _ToolRLRaises(f'the reference call to {g["name"]!r} has no "parameters"')


def _has_call_block(completion: Completion, parser: CallParser) -> bool:
    if parser == "toolrl":
        return "<tool_call>" in completion.text
    return completion.parsed.has_call_block


def _gold_items(reference: Reference, parser: CallParser) -> list[Any]:
    """The reference's calls as the parser compares them: ToolRL's decoded lines as they
    are, or the readable calls."""
    if parser == "toolrl" and reference.items is not None:
        return list(reference.items)
    return list(reference.calls)


def _predicted_items(completion: Completion, parser: CallParser) -> tuple[list[Any], str]:
    """The predicted items (decoded JSON values), or a reason to give `low`."""
    if parser == "robust":
        parsed = completion.parsed
        if not parsed.has_call_block:
            return [], "no <tool_call> block"
        items: list[Any] = [{"name": c.name, "parameters": c.arguments} for c in parsed.calls]
        # Values that were not readable calls stay in the list as wrong calls.
        return items + [None] * unreadable_calls(parsed), ""
    text = completion.text
    if "<tool_call>" not in text:
        return [], "no <tool_call> tag"
    if "</tool_call>" not in text:
        return [], "no </tool_call> tag (an unclosed block scores the minimum in ToolRL)"
    block = text.split("<tool_call>")[1].split("</tool_call>")[0].strip()
    items = []
    for number, line in enumerate(block.split("\n"), start=1):
        # json.loads(line), without its per-call regex overhead: JSON whitespace around a
        # value is allowed, anything else after it is an error.
        line = line.strip(_JSON_WHITESPACE)
        try:
            value, end = _DECODER.raw_decode(line)
        except (ValueError, RecursionError):
            end = -1
        if end != len(line):
            return items, f"line {number} of the <tool_call> block is not JSON"
        items.append(value)
    return items, ""


def _pair_scorer(gold, predicted, granularity, refined, value_mode, parser):
    def scorer(r: int, p: int) -> PairScore | None:
        pred, ref = predicted[p], gold[r]
        if granularity == "intermediate":
            if value_mode == "exact":
                equal = pred == ref
            else:
                equal = value_key(pred, typed_strings=True) == value_key(ref, typed_strings=True)
            return PairScore(r, p, 1.0 if equal else 0.0)
        if parser == "toolrl" and not (
            isinstance(pred.get("parameters"), dict) and isinstance(ref["parameters"], dict)
        ):
            raise _ToolRLRaises(f'the call to {ref["name"]!r} has no "parameters" object')
        return score_pair(r, ref, p, pred["parameters"], value_mode, binary_keys=refined)

    return scorer


__all__ = ["CorrectnessReport", "correctness_report", "correctness_reward", "values_equal"]
