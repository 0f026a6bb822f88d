"""Stop sampling at the end of the answer block, and end the turn there.

A small model keeps writing after `</tool_call>` until `max_completion_length` (FINDINGS.md:
every completion ran to the limit). Stopping at `</tool_call>` / `</response>` saves most
of the generation and log-prob time, and the turn should end there anyway. trl 1.16's
transformers path builds its `GenerationConfig` itself and calls `generate` without the
tokenizer that stop strings need, so:

- `install_stop_strings(model, tokenizer, stops)` wraps that model's `generate` to pass a
  `StopStringCriteria`;
- `end_turn_after_stop(ids, ...)` turns each stopped completion into a finished turn:
  the padding `generate` wrote after the stop is dropped and one end-of-turn token is
  appended, so TRL sees a terminated (not truncated) completion and the policy is trained
  to end its turn there.

vLLM takes stop strings natively (`SamplingParams.stop`); `generation_kwargs` below gives
them to it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from typing import Any

logger = logging.getLogger(__name__)

# Chat end-of-turn tokens that should end generation alongside the tokenizer's eos.
END_OF_TURN_TOKENS = ("<end_of_turn>", "<|im_end|>", "<|eot_id|>", "<|end|>")


def end_of_turn_ids(tokenizer: Any) -> list[int]:
    """Ids of the end-of-turn tokens this tokenizer has as single tokens."""
    vocab = tokenizer.get_vocab()
    return [vocab[t] for t in END_OF_TURN_TOKENS if t in vocab]


def add_end_of_turn_to_eos(model: Any, tokenizer: Any) -> list[int]:
    """Make every end-of-turn token end generation (Gemma's base file lists only `<eos>`)."""
    eos = model.generation_config.eos_token_id
    eos = [] if eos is None else [eos] if isinstance(eos, int) else list(eos)
    if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in eos:
        eos.insert(0, tokenizer.eos_token_id)
    eos += [i for i in end_of_turn_ids(tokenizer) if i not in eos]
    model.generation_config.eos_token_id = eos
    return eos


def turn_end_id(tokenizer: Any) -> int:
    """The token appended after a stop string: end-of-turn if the chat has one, else eos."""
    ids = end_of_turn_ids(tokenizer)
    return ids[0] if ids else int(tokenizer.eos_token_id)


def install_stop_strings(model: Any, tokenizer: Any, stop_strings: Sequence[str]) -> None:
    """Wrap `model.generate` (this instance only) to stop at any of `stop_strings`."""
    if not stop_strings:
        return
    from transformers import StoppingCriteriaList, StopStringCriteria

    criterion = StopStringCriteria(tokenizer=tokenizer, stop_strings=list(stop_strings))
    original = model.generate

    @functools.wraps(original)
    def generate(*args: Any, **kwargs: Any) -> Any:
        extra = kwargs.pop("stopping_criteria", None) or []
        kwargs["stopping_criteria"] = StoppingCriteriaList([criterion, *extra])
        return original(*args, **kwargs)

    model.generate = generate


def uninstall_stop_strings(model: Any) -> None:
    """Undo `install_stop_strings` (the class's `generate` shows through again)."""
    if "generate" in vars(model):
        del model.generate


def end_turn_after_stop(
    ids: list[int],
    pad_id: int | None,
    end_id: int,
    eos_ids: Sequence[int],
    stop_tail: Any,
) -> list[int]:
    """One completion's ids with trailing padding replaced by a single end-of-turn token.

    `stop_tail(ids)` says whether the completion ends with a stop string. A completion
    that already ends with an eos id, or that neither stopped nor was padded, is returned
    as it is.

    >>> end_turn_after_stop([5, 6, 0, 0], 0, 9, [1], lambda ids: True)
    [5, 6, 9]
    >>> end_turn_after_stop([5, 6, 1], 0, 9, [1], lambda ids: False)
    [5, 6, 1]
    >>> end_turn_after_stop([5, 6, 7], 0, 9, [1], lambda ids: False)
    [5, 6, 7]
    """
    if ids and ids[-1] in eos_ids:
        return ids
    end = len(ids)
    while pad_id is not None and pad_id not in eos_ids and end > 0 and ids[end - 1] == pad_id:
        end -= 1
    trimmed = ids[:end]
    if end < len(ids) or (trimmed and stop_tail(trimmed)):
        return [*trimmed, end_id]
    return ids


def make_stop_tail(tokenizer: Any, stop_strings: Sequence[str]) -> Any:
    """A predicate: do the last few tokens of `ids` contain a stop string?"""
    window = 1 + max(
        (len(tokenizer.encode(s, add_special_tokens=False)) for s in stop_strings), default=0
    )

    def stop_tail(ids: list[int]) -> bool:
        tail = tokenizer.decode(ids[-window:], skip_special_tokens=False)
        return any(s in tail for s in stop_strings)

    return stop_tail


def vllm_stop_kwargs(stop_strings: Sequence[str]) -> dict[str, Any]:
    """`generation_kwargs` that make vLLM stop at the strings and keep them in the text."""
    if not stop_strings:
        return {}
    return {"stop": list(stop_strings), "include_stop_str_in_output": True}
