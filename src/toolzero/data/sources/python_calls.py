"""Read Python-style call lists, `[get_weather(city="Oslo"), Search Managers(name='Ferguson')]`.

ToolACE's assistant turns (and BFCL's and many Gorilla-style datasets') write calls this
way. Tool names may contain spaces and dots, which Python's parser rejects, so the list is
split by hand: a name up to `(`, then the balanced argument text, whose `key=value` pairs
`ast.literal_eval` reads. Anything else is a `RowError`, never a guess.
"""

from __future__ import annotations

import ast

from toolzero.data.report import RowError
from toolzero.protocol.types import ToolCall

_CLOSERS = {"(": ")", "[": "]", "{": "}"}


def looks_like_call_list(text: str) -> bool:
    s = text.strip()
    return s.startswith("[") and s.endswith("]") and "(" in s


def parse_python_calls(text: str) -> tuple[ToolCall, ...]:
    """Calls in a `[name(k=v, ...), ...]` string.

    >>> parse_python_calls('[Get Weather(city="Oslo", days=3), ping()]')
    (ToolCall(name='Get Weather', arguments={'city': 'Oslo', 'days': 3}), ToolCall(name='ping', arguments={}))
    """
    s = text.strip()
    if not (s.startswith("[") and s.endswith("]")):
        raise RowError("unparseable call list", f"not a [...] list: {s[:60]!r}")
    body = s[1:-1].strip()
    calls: list[ToolCall] = []
    pos = 0
    while pos < len(body):
        open_at = body.find("(", pos)
        if open_at < 0:
            raise RowError(
                "unparseable call list", f"no '(' after offset {pos}: {body[pos : pos + 40]!r}"
            )
        name = body[pos:open_at].strip()
        close_at = _matching(body, open_at)
        calls.append(ToolCall(name, _keyword_args(name, body[open_at + 1 : close_at])))
        pos = close_at + 1
        rest = body[pos:].lstrip()
        if rest.startswith(","):
            rest = rest[1:].lstrip()
        pos = len(body) - len(rest)
    if not calls or any(not c.name for c in calls):
        raise RowError("unparseable call list", f"empty call or name in {s[:60]!r}")
    return tuple(calls)


def _matching(text: str, open_at: int) -> int:
    """Index of the bracket closing the one at `open_at`, skipping quoted strings."""
    stack = [")"]
    quote = ""
    i = open_at + 1
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c in _CLOSERS:
            stack.append(_CLOSERS[c])
        elif c in ")]}":
            if c != stack.pop():
                raise RowError("unparseable call list", f"unbalanced {c!r} at offset {i}")
            if not stack:
                return i
        i += 1
    raise RowError("unparseable call list", "unclosed '('")


def _keyword_args(name: str, text: str) -> dict:
    if not text.strip():
        return {}
    try:
        node = ast.parse(f"f({text})", mode="eval").body
    except SyntaxError as err:
        raise RowError("unparseable call arguments", f"{name}: {err.msg}: {text[:60]!r}") from None
    if not isinstance(node, ast.Call) or node.args:
        raise RowError("unparseable call arguments", f"{name}: positional arguments")
    args = {}
    for kw in node.keywords:
        if kw.arg is None:
            raise RowError("unparseable call arguments", f"{name}: **kwargs")
        try:
            args[kw.arg] = ast.literal_eval(kw.value)
        except ValueError:
            raise RowError(
                "unparseable call arguments", f"{name}.{kw.arg} is not a literal"
            ) from None
    return args
