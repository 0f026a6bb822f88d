"""A literal transcription of ToolRL's reward control flow, used only as a test oracle:
regular expressions, a broad `except`, Python `==`, in the order ToolRL evaluates them.
toolzero's `toolrl*` presets are checked against it on every case where it is defined.

The control flow, branch by branch (the response is `.strip()`-ed first):
- format: the reference's shape (substring tests for `<tool_call>` and `<response>`) picks
  an anchored pattern; the expected tags must each occur exactly once;
- correctness: a reference without `<tool_call>` scores 0; the reference block is the text
  between its first `<tool_call>` and the next `</tool_call>`, stripped, split on `\n`,
  each line `json.loads`-ed *outside* the `try` (a failure crashes ToolRL: here
  `OracleUndefined`); inside the `try` the response must contain both `<tool_call>` and
  `</tool_call>`, its block is split and decoded the same way, and the scoring runs;
  anything raised there gives the minimum. Equal lists give the maximum, `coarse` the
  minimum otherwise, then the greedy matching.
"""

import json
import re
from collections import Counter


class OracleUndefined(Exception):
    """ToolRL's definition crashes on this reference (json.loads outside its try)."""


def _match_score(list1, list2, refined=False):
    if list1 == list2:
        return 1.0
    if refined and list1 != list2:
        return 0.0
    if not list1 or not list2:
        return 0.0
    c1, c2 = Counter(list1), Counter(list2)
    inter = sum(min(c1[k], c2[k]) for k in c1.keys() & c2.keys())
    return inter / (len(list1) + len(list2) - inter)


def _tool_call_reward(gt, pd, hi, lo, granularity="fine", refined=False):
    if gt == pd:
        return hi
    if granularity == "coarse":
        return lo
    gt_names = [t["name"] for t in gt]
    pd_names = [t["name"] for t in pd]
    score = _match_score(list(gt_names), list(pd_names), refined)
    local_max = 1.0
    used = set()
    for g in gt:
        local_max += 1.0 if granularity == "intermediate" else 1.0 + len(g["parameters"])
        best, best_score, best_i = None, 0.0, -1
        for i, p in enumerate(pd):
            if i in used or p["name"] != g["name"]:
                continue
            if granularity == "intermediate":
                if g == p:
                    best, best_i, best_score = p, i, 1.0
                    break
                continue
            pp = p["parameters"]
            s = _match_score(list(g["parameters"].keys()), list(pp.keys()), refined)
            s += sum(1.0 for k, v in g["parameters"].items() if k in pp and pp[k] == v)
            if s > best_score:
                best, best_score, best_i = p, s, i
        if best:
            used.add(best_i)
            score += best_score
    return (hi - lo) * score / local_max + lo


def correctness(response, answer, hi=3.0, lo=-3.0, granularity="fine", refined=False):
    if "<tool_call>" not in answer:
        return 0.0
    gt = answer.split("<tool_call>")[1].split("</tool_call>")[0].strip().split("\n")
    try:
        gt = [json.loads(t) for t in gt]
    except Exception as exc:
        raise OracleUndefined from exc
    try:
        assert "<tool_call>" in response
        assert "</tool_call>" in response
        pd = response.split("<tool_call>")[1].split("</tool_call>")[0].strip().split("\n")
        pd = [json.loads(t) for t in pd]
        return _tool_call_reward(gt, pd, hi, lo, granularity, refined)
    except Exception:
        return lo


def format_(response, answer, hi=1.0, lo=0.0):
    if "<response>" in answer and "<tool_call>" not in answer:
        ok = re.search(r"^<think>.*?</think>\n<response>.*?</response>$", response, re.DOTALL)
        ok = ok and response.count("<response>") == 1 and response.count("</response>") == 1
    elif "<response>" not in answer and "<tool_call>" in answer:
        ok = re.search(r"^<think>.*?</think>\n<tool_call>\n.*?\n</tool_call>$", response, re.DOTALL)
        ok = ok and response.count("<tool_call>") == 1 and response.count("</tool_call>") == 1
    elif "<response>" in answer and "<tool_call>" in answer:
        ok = re.search(
            r"^<think>.*?</think>\n<tool_call>\n.*?\n</tool_call>\n<response>.*?</response>$",
            response,
            re.DOTALL,
        )
        ok = ok and all(
            response.count(t) == 1
            for t in ("<tool_call>", "</tool_call>", "<response>", "</response>")
        )
    else:
        ok = re.search(r"^<think>.*?</think>$", response, re.DOTALL)
    return hi if ok else lo


def score(
    solution,
    answer,
    granularity="fine",
    refined=False,
    hi=3.0,
    lo=-3.0,
    format_hi=1.0,
    format_lo=0.0,
):
    """(format, correctness) on the stripped solution, or OracleUndefined."""
    response = solution.strip()
    c = correctness(response, answer, hi, lo, granularity, refined)
    return format_(response, answer, format_hi, format_lo), c
