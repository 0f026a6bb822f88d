"""ToolRL's tool-call correctness reward, at fine, intermediate and coarse granularity.

Range [low, high] (ToolRL: [−3, 3]). With the defaults this is ToolRL's definition exactly
(REFERENCE.md §2–3): the predicted block is the text between the first `<tool_call>` and
the next `</tool_call>`, one JSON object per line; any unparsable line, or an item ToolRL's
code cannot read, scores `low`; an identical list scores `high`; otherwise

    S = Jaccard(reference names, predicted names)
        + Σ over reference calls g, in order, of the best unused same-name prediction's
          (Jaccard(keys) + number of g's values matched exactly)
    correctness = (high − low) · S / S_max + low,   S_max = 1 + Σ_g (1 + |keys(g)|)

The improvements are options, off by default: `parser="robust"` (read what the protocol
parser reads: several blocks, JSON lists, `arguments`; unreadable items count as wrong
calls instead of zeroing everything), `matching="optimal"`, `values="normalized"`, and
`penalize_spurious_calls` (a call where the reference has none scores `low`, where ToolRL
gives 0).
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
    normalize_value,
    score_pair,
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
    score: float = 0.0
    score_max: float = 0.0
    name_score: float = 0.0
    pairs: list[PairScore] = field(default_factory=list)
    predicted: list[Any] = field(default_factory=list)


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
    gold = list(reference.calls)
    if predicted == gold:
        return CorrectnessReport(
            high, "the predicted calls equal the reference exactly", predicted=predicted
        )
    if parser == "toolrl":
        problem = _toolrl_unreadable(predicted, gold, granularity)
        if problem:
            return CorrectnessReport(low, problem, predicted=predicted)
    if granularity == "coarse":
        return CorrectnessReport(
            low, "coarse: the call list differs from the reference", predicted=predicted
        )
    names = [p.get("name") if isinstance(p, dict) else None for p in predicted]
    name_score = multiset_jaccard([g["name"] for g in gold], names, binary=refined)
    by_name: dict[Any, list[int]] = {}
    for index, name in enumerate(names):
        if not isinstance(name, list | dict):
            by_name.setdefault(name, []).append(index)
    scorer = _pair_scorer(gold, predicted, granularity, refined, values)
    pairs = assign(len(gold), lambda r: by_name.get(gold[r]["name"], ()), scorer, matching)
    if granularity == "intermediate":
        score_max = 1.0 + len(gold)
    else:
        score_max = 1.0 + sum(1 + len(g["parameters"]) for g in gold)
    score = name_score + sum(p.score for p in pairs)
    value = (high - low) * score / score_max + low
    return CorrectnessReport(
        value,
        f"partial match S={score:g} of {score_max:g}",
        score,
        score_max,
        name_score,
        pairs,
        predicted,
    )


def _has_call_block(completion: Completion, parser: CallParser) -> bool:
    if parser == "toolrl":
        return "<tool_call>" in completion.text
    return completion.parsed.has_call_block


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


def _toolrl_unreadable(predicted: list[Any], gold: list[dict[str, Any]], granularity: str) -> str:
    """The predictions on which ToolRL's code raises (and so scores `low`), if any."""
    for item in predicted:
        if not isinstance(item, dict) or "name" not in item:
            return 'a predicted item is not an object with a "name"'
        if isinstance(item["name"], list | dict):  # unhashable: ToolRL's Counter raises
            return "a predicted tool name is not a string"
    if granularity != "fine":
        return ""
    gold_names = {g["name"] for g in gold}
    for item in predicted:
        if item["name"] in gold_names and not isinstance(item.get("parameters"), dict):
            return f'the call to {item["name"]!r} has no "parameters" object'
    return ""


def _pair_scorer(gold, predicted, granularity, refined, value_mode):
    def scorer(r: int, p: int) -> PairScore | None:
        pred = predicted[p]
        if not isinstance(pred, dict) or pred.get("name") != gold[r]["name"]:
            return None
        if granularity == "intermediate":
            equal = (
                pred == gold[r]
                if value_mode == "exact"
                else (normalize_value(pred) == normalize_value(gold[r]))
            )
            return PairScore(r, p, 1.0 if equal else 0.0)
        pair = score_pair(r, gold[r], p, pred["parameters"], value_mode, binary_keys=refined)
        return pair

    return scorer


__all__ = ["CorrectnessReport", "correctness_report", "correctness_reward", "values_equal"]
