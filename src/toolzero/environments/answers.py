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
  whitespace.
"""

from __future__ import annotations

import re
from typing import Any

NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
CENT = 0.01 + 1e-9


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
