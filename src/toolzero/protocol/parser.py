"""Turn any model completion into a structured `ParsedCompletion`. Never raises on model text.

The parser reads ToolRL's protocol (`<think>`, `<tool_call>` with one JSON object per line,
`<response>`) and the common variants models actually emit: several `<tool_call>` blocks
(Hermes / Qwen style), a JSON list instead of lines, pretty-printed multi-line objects,
`arguments` instead of `parameters`, arguments given as a JSON string, OpenAI's
`{"function": {...}}` wrapper, unclosed tags, trailing text, chat-template markers from
any family (Qwen, Llama, Gemma, Mistral, Phi...). What it could not read is recorded in
`problems`, never raised: rewards score those problems.

Tags inside the `<think>` span are ignored: a model (or a reference) that *talks about*
`<tool_call>` while thinking has not called anything. That is the case which crashes
ToolRL's own reward on about 4% of its reference data.

Work is bounded so that adversarial text cannot hang a reward: tags are found with
`str.find`, JSON decoding gives up after `MAX_DECODE_FAILURES` failures per block, and at
most `MAX_CALLS` calls are read. Deeply nested JSON (which makes Python's decoder raise
`RecursionError`) is a problem, not a crash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from toolzero.protocol.types import ToolCall

THINK = ("<think>", "</think>")
TOOL_CALL = ("<tool_call>", "</tool_call>")
RESPONSE = ("<response>", "</response>")
TAGS = (*THINK, *TOOL_CALL, *RESPONSE)

MAX_CALLS = 256
MAX_DECODE_FAILURES = 16

# Assistant-turn openers and end-of-turn markers of the chat families we know. A completion
# that still contains its chat template (verl decodes prompt + response) is cut to the last
# assistant turn; one without markers is left as it is.
ASSISTANT_MARKERS = (
    "<|im_start|>assistant",
    "<|start_header_id|>assistant<|end_header_id|>",
    "<start_of_turn>model",
    "<|assistant|>",
    "[/INST]",
    "<｜Assistant｜>",
)
END_OF_TURN_MARKERS = (
    "<|im_end|>",
    "<|eot_id|>",
    "<|eom_id|>",
    "<end_of_turn>",
    "<|end|>",
    "<|endoftext|>",
    "<｜end▁of▁sentence｜>",
    "</s>",
    "<eos>",
)

_DECODER = json.JSONDecoder()
# Every marker above contains one of these; testing them with `in` (memchr-fast) lets the
# common marker-free completion skip the 15 searches.
_MARKER_HINTS = ("<|", "_of_turn>", "[/INST]", "<｜", "</s>", "<eos>")


@dataclass(frozen=True)
class ParsedCompletion:
    """What a completion contains, and what was wrong with it.

    `text` is the assistant's text (chat markers cut, whitespace stripped): the exact string
    ToolRL's format check reads. `calls` holds every call that parsed, in order;
    `call_lines` counts the JSON values found in call blocks, so `len(calls) < call_lines`
    means some were not valid calls. `problems` lists short human-readable reasons.
    """

    text: str
    think: str | None = None
    think_closed: bool = False
    calls: tuple[ToolCall, ...] = ()
    call_blocks: tuple[str, ...] = ()
    call_blocks_closed: bool = True
    call_values: int = 0
    response: str | None = None
    response_closed: bool = False
    trailing_text: str = ""
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def has_call_block(self) -> bool:
        return bool(self.call_blocks)

    @property
    def calls_valid(self) -> bool:
        """Every call block parsed completely into calls (and there was at least one)."""
        return bool(self.call_blocks) and not any(
            p.startswith(("call:", "tool_call:")) for p in self.problems
        )


def extract_assistant_text(completion: str) -> str:
    """Cut a decoded sequence to the last assistant turn's text, stripped.

    >>> extract_assistant_text("<|im_start|>user\\nhi<|im_end|>\\n<|im_start|>assistant\\n<think> x </think><|im_end|>")
    '<think> x </think>'
    >>> extract_assistant_text("  plain text  ")
    'plain text'
    """
    if not any(hint in completion for hint in _MARKER_HINTS):
        return completion.strip()
    text = completion
    best = -1
    best_len = 0
    for marker in ASSISTANT_MARKERS:
        pos = text.rfind(marker)
        if pos > best:
            best, best_len = pos, len(marker)
    if best >= 0:
        text = text[best + best_len :]
    cut = len(text)
    for marker in END_OF_TURN_MARKERS:
        pos = text.find(marker)
        if 0 <= pos < cut:
            cut = pos
    return text[:cut].strip()


def parse_completion(completion: str) -> ParsedCompletion:
    """Parse a completion; never raises on any string.

    >>> p = parse_completion('<think> hi </think>\\n<tool_call>\\n{"name": "f", "parameters": {"a": 1}}\\n</tool_call>')
    >>> p.think, p.calls, p.problems
    ('hi', (ToolCall(name='f', arguments={'a': 1}),), ())
    >>> parse_completion('<tool_call>[{"name": "g", "arguments": "{}"}]').calls
    (ToolCall(name='g', arguments={}),)
    >>> parse_completion('').problems
    ('format: empty completion',)
    """
    if not isinstance(completion, str):
        completion = "" if completion is None else str(completion)
    text = extract_assistant_text(completion)
    problems: list[str] = []
    if not text:
        return ParsedCompletion(text="", problems=("format: empty completion",))

    think, think_closed, think_end = _read_think(text, problems)
    rest_start = think_end
    call_blocks, calls_closed, response, response_closed, last_end = _read_blocks(
        text, rest_start, problems
    )
    calls: list[ToolCall] = []
    values = 0
    for block in call_blocks:
        found, n_values = read_calls(block, problems, budget=MAX_CALLS - len(calls))
        calls.extend(found)
        values += n_values
    trailing = text[last_end:].strip() if last_end < len(text) else ""
    if trailing and (call_blocks or response is not None):
        problems.append("format: text after the last block")
    if not call_blocks and response is None:
        problems.append("format: neither <tool_call> nor <response>")
    return ParsedCompletion(
        text=text,
        think=think,
        think_closed=think_closed,
        calls=tuple(calls),
        call_blocks=tuple(call_blocks),
        call_blocks_closed=calls_closed,
        call_values=values,
        response=response,
        response_closed=response_closed,
        trailing_text=trailing,
        problems=tuple(problems),
    )


def _read_think(text: str, problems: list[str]) -> tuple[str | None, bool, int]:
    """Return (think text, closed?, index where the text after think starts)."""
    open_at = text.find(THINK[0])
    close_at = text.find(THINK[1], open_at + len(THINK[0]) if open_at >= 0 else 0)
    if open_at < 0 and close_at < 0:
        problems.append("format: no <think>")
        return None, False, 0
    if open_at < 0:
        # `<think>` prefilled in the prompt, or forgotten: the text up to `</think>` is thought.
        problems.append("format: </think> without <think>")
        return text[:close_at].strip(), True, close_at + len(THINK[1])
    if open_at > 0 and text[:open_at].strip():
        problems.append("format: text before <think>")
    if close_at < 0:
        problems.append("format: unclosed <think>")
        # Without a close we cannot know where thought ends; blocks after it still count.
        first_block = _first_of(text, (TOOL_CALL[0], RESPONSE[0]), open_at)
        end = first_block if first_block >= 0 else len(text)
        return text[open_at + len(THINK[0]) : end].strip(), False, end
    return text[open_at + len(THINK[0]) : close_at].strip(), True, close_at + len(THINK[1])


def _first_of(text: str, needles: tuple[str, ...], start: int) -> int:
    hits = [p for p in (text.find(n, start) for n in needles) if p >= 0]
    return min(hits) if hits else -1


class _NextTag:
    """Finds the next occurrence of each tag at or after a position, remembering results
    so that reading many blocks stays linear in the text length."""

    def __init__(self, text: str, tags: tuple[str, ...]) -> None:
        self.text = text
        self.cached = {tag: -2 for tag in tags}

    def find(self, tag: str, start: int) -> int:
        hit = self.cached[tag]
        if hit == -1 or hit >= start:
            return hit
        hit = self.text.find(tag, start)
        self.cached[tag] = hit
        return hit

    def first(self, tags: tuple[str, ...], start: int) -> int:
        hits = [p for p in (self.find(t, start) for t in tags) if p >= 0]
        return min(hits) if hits else -1


def _read_blocks(
    text: str, start: int, problems: list[str]
) -> tuple[list[str], bool, str | None, bool, int]:
    """Read `<tool_call>` and `<response>` blocks after `start`, in order."""
    blocks: list[str] = []
    calls_closed = True
    response: str | None = None
    response_closed = False
    openers = (TOOL_CALL[0], RESPONSE[0])
    tags = _NextTag(text, (*openers, TOOL_CALL[1], RESPONSE[1]))
    pos = last_end = start
    while len(blocks) <= MAX_CALLS:
        at = tags.first(openers, pos)
        if at < 0:
            break
        if text[last_end:at].strip():
            problems.append("format: stray text between blocks")
        is_call = text.startswith(TOOL_CALL[0], at)
        opener, closer = TOOL_CALL if is_call else RESPONSE
        body_start = at + len(opener)
        close_at = tags.find(closer, body_start)
        next_open = tags.first(openers, body_start)
        closed = close_at >= 0 and (next_open < 0 or close_at < next_open)
        body_end = close_at if closed else (next_open if next_open >= 0 else len(text))
        body = text[body_start:body_end]
        if is_call:
            blocks.append(body)
            if not closed:
                calls_closed = False
                problems.append("tool_call: unclosed <tool_call>")
        elif response is None:
            response, response_closed = body.strip(), closed
            if not closed:
                problems.append("format: unclosed <response>")
        else:
            problems.append("format: more than one <response>")
        pos = last_end = body_end + (len(closer) if closed else 0)
    if len(blocks) > 1:
        problems.append("format: more than one <tool_call> block")
    return blocks, calls_closed, response, response_closed, last_end


def read_calls(block: str, problems: list[str], budget: int) -> tuple[list[ToolCall], int]:
    """Decode the JSON values in one call block into calls; record what failed."""
    calls: list[ToolCall] = []
    values = 0
    failures = 0
    pos, end = 0, len(block)
    while pos < end and len(calls) < budget:
        while pos < end and block[pos] in " \t\r\n,":
            pos += 1
        if pos >= end:
            break
        try:
            value, pos = _DECODER.raw_decode(block, pos)
        except (ValueError, RecursionError):
            failures += 1
            problems.append(f"call: unparsable JSON at character {pos}")
            if failures >= MAX_DECODE_FAILURES:
                problems.append("call: too many unparsable lines, rest of block skipped")
                break
            newline = block.find("\n", pos)
            pos = end if newline < 0 else newline + 1
            continue
        for item in value if isinstance(value, list) else [value]:
            values += 1
            call = _to_call(item, problems)
            if call is not None and len(calls) < budget:
                calls.append(call)
    if values == 0 and failures == 0:
        problems.append("call: empty <tool_call> block")
    return calls, values


def _to_call(item: Any, problems: list[str]) -> ToolCall | None:
    if not isinstance(item, dict):
        problems.append(f"call: expected a JSON object, got {type(item).__name__}")
        return None
    if isinstance(item.get("function"), dict) and "name" not in item:
        item = item["function"]
    name = item.get("name")
    if not isinstance(name, str):
        problems.append('call: missing or non-string "name"')
        return None
    args: Any = item.get("arguments", item.get("parameters", {}))
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except (ValueError, RecursionError):
            problems.append(f"call: arguments of {name!r} are a string that is not JSON")
            return None
    if args is None:
        args = {}
    if not isinstance(args, dict):
        problems.append(f"call: arguments of {name!r} are not a JSON object")
        return None
    return ToolCall(name=name, arguments=args)
