"""What every generation backend shares: the protocol and the stop-string rule.

    backend.generate(prompts, max_new_tokens, temperature=0.0, stop=None) -> completions

`stop` strings end a completion and are not part of it (OpenAI's and vLLM's rule), or,
with `keep_stop`, end it and stay in it (a protocol's closing tag such as `</tool_call>`
is part of the answer). The HF and vLLM backends (`hf`, `vllm`) and the OpenAI-compatible
client (`openai`) all cut with `cut_at_stop`, so results do not depend on the
backend. Plain Python: no torch, no HTTP.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class GenerationBackend(Protocol):
    """Anything that turns prompt strings into completion strings."""

    def generate(
        self,
        prompts: list[str],
        max_new_tokens: int,
        temperature: float = 0.0,
        stop: list[str] | None = None,
        keep_stop: bool = False,
    ) -> list[str]: ...


def cut_at_stop(text: str, stop: list[str] | None, keep: bool = False) -> str:
    """Cut `text` at the earliest stop string: excluded (OpenAI's semantics) or, with
    `keep`, included (a protocol's closing tag such as `</tool_call>` is part of the answer).

    >>> cut_at_stop("a</tool_call>b<end>", ["<end>", "</tool_call>"])
    'a'
    >>> cut_at_stop("a</tool_call>b<end>", ["<end>", "</tool_call>"], keep=True)
    'a</tool_call>'
    """
    if not stop:
        return text
    hits = [(p, -len(s)) for s in stop if s and (p := text.find(s)) >= 0]
    if not hits:
        return text
    start, minus_length = min(hits)
    return text[: start - minus_length] if keep else text[:start]
