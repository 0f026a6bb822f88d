"""Rule checks of a final answer against a task's expected answer (no model, no judge).

An expected answer is plain data stored with the task (`Example.metadata["expected"]
["answer"]`), so the check can be rerun from a saved episode:

- `{"kind": "number", "value": 1204.5}`: some number in the answer is within a cent
  (0.01) of the value; thousands separators are allowed ("1,204.50");
- `{"kind": "choice", "value": "Paris", "options": {"Paris": ["Paris"], "Oslo": ["Oslo"]}}`:
  of the options' names, the one the answer mentions first is the value ("Paris is warmer
  than Oslo" passes, "Oslo is colder than Paris" does not: say the answer first);
- `{"kind": "contains", "value": "Lisbon"}`: the answer mentions the value as a word;
- `{"kind": "exact", "value": "42"}`: equal after trimming, case folding and collapsing
  whitespace;
- `{"kind": "qa", "values": ["Veltrix Dynamics", "Veltrix"]}`: an exact match with any of the
  gold answers after the normalisation of question-answering benchmarks (SQuAD's:
  `normalize_answer`). `f1` gives the partial credit (token overlap) for the same answers.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from typing import Any

NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
CENT = 0.01 + 1e-9
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


def answer_problem(expected: dict[str, Any], answer: str | None) -> str | None:
    """Why `answer` does not match `expected`, or None when it does.

    >>> answer_problem({"kind": "number", "value": 1204.5}, "It holds 1,204.50 USD.") is None
    True
    >>> answer_problem({"kind": "choice", "value": "Paris",
    ...                 "options": {"Paris": ["Paris"], "Oslo": ["Oslo"]}}, "Oslo, surely")
    "answer names 'Oslo' first; expected 'Paris'"
    """
    if answer is None or not answer.strip():
        return "no final answer"
    kind, value = expected.get("kind"), expected.get("value")
    if kind == "number":
        found = [float(n.replace(",", "")) for n in NUMBER.findall(answer)]
        if any(abs(n - float(value)) <= CENT for n in found):
            return None
        return f"answer has no number within 0.01 of {value}"
    if kind == "choice":
        named = first_named(answer, expected["options"])
        if named == value:
            return None
        if named is None:
            return f"answer names none of {sorted(expected['options'])}"
        return f"answer names {named!r} first; expected {value!r}"
    if kind == "contains":
        return None if _mentions(answer, str(value)) else f"answer does not mention {value!r}"
    if kind == "exact":
        if _normal(answer) == _normal(str(value)):
            return None
        return f"answer is not {value!r}"
    if kind == "qa":
        golds = expected["values"]
        if any(exact_match(answer, gold) for gold in golds):
            return None
        return f"answer matches none of {golds} (F1 {best_f1(answer, golds):.2f})"
    raise ValueError(f"unknown expected-answer kind {kind!r}")


def first_named(answer: str, options: dict[str, list[str]]) -> str | None:
    """The option whose alias appears earliest in the answer, or None."""
    positions = []
    for name, aliases in options.items():
        for alias in aliases:
            match = re.search(rf"\b{re.escape(alias)}\b", answer, flags=re.IGNORECASE)
            if match:
                positions.append((match.start(), name))
    return min(positions)[1] if positions else None


def _mentions(text: str, value: str) -> bool:
    return re.search(rf"\b{re.escape(value)}\b", text, flags=re.IGNORECASE) is not None


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def normalize_answer(text: str) -> str:
    """Lower case, no punctuation, no articles `a`/`an`/`the`, single spaces (SQuAD's).

    >>> normalize_answer("The  James Madison!")
    'james madison'
    """
    text = _ARTICLES.sub(" ", text.lower().translate(_PUNCT))
    return " ".join(text.split())


def exact_match(prediction: str, gold: str) -> bool:
    """
    >>> exact_match("James Madison.", "james madison")
    True
    """
    return normalize_answer(prediction) == normalize_answer(gold)


def f1(prediction: str, gold: str) -> float:
    """Token-overlap F1 between normalised answers.

    >>> f1("president James Madison", "james madison")
    0.8
    >>> f1("", "x")
    0.0
    """
    pred, ref = normalize_answer(prediction).split(), normalize_answer(gold).split()
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def best_f1(prediction: str | None, golds: list[str]) -> float:
    """The best F1 against any gold answer (0.0 for no answer)."""
    if not prediction:
        return 0.0
    return max((f1(prediction, gold) for gold in golds), default=0.0)
