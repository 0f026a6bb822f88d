"""Stop sampling at the end of the answer block, and end the turn there.

A small model keeps writing after `</tool_call>` until `max_completion_length` (measured:
every completion ran to the limit). Stopping at `</tool_call>` / `</response>` saves most
of the generation and log-prob time, and the turn should end there anyway. trl 1.16's
transformers path builds its `GenerationConfig` itself and calls `generate` without the
tokenizer that stop strings need, so:

- `install_stop_strings(model, tokenizer, stops)` wraps that model's `generate` to pass a
  `StopStringCriteria`;
- `finish_turns(...)` (on the ids of either path) turns each stopped completion into a
  finished turn: padding written after the stop is dropped and exactly one end-of-turn
  token is appended, so TRL sees a terminated (not truncated) completion and the policy
  is trained to end its turn there. A completion that ended on an eos / end-of-turn id
  keeps it; one cut at the length limit stays truncated.

vLLM takes stop strings natively (`SamplingParams.stop`, kept in the text); its engine
loads the model's generation config from disk, which may list only `<eos>` (Gemma's base
file) or `<|endoftext|>` (a Qwen base model), so `vllm_stop_kwargs` also passes every
end-of-turn id and eos as `stop_token_ids`. vLLM returns the ids it sampled (the one that
completed the stop string last, no padding), so the same `finish_turns` gives the same
ids as the transformers path for the same text.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from typing import Any

from toolzero.protocol.chat import end_of_turn_ids, stop_token_ids

logger = logging.getLogger(__name__)


def add_end_of_turn_to_eos(model: Any, tokenizer: Any) -> list[int]:
    """Make every end-of-turn token end generation (Gemma's base file lists only `<eos>`)."""
    eos = stop_token_ids(tokenizer, model)
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
    """One completion's ids, ending its turn right after a stop string.

    `stop_tail(ids)` says whether `ids` end with a stop string (see `make_stop_tail`).
    Trailing `pad_id`s are what `generate` wrote after the sequence stopped (with a pad
    that is also an eos id, TRL keeps one of them); if the ids before them end with a stop
    string, they are replaced by one `end_id`, exactly as vLLM's unpadded ids get one.
    Otherwise the ids are returned as they are: a completion that ended on an eos /
    end-of-turn id it sampled keeps it, one cut at the length limit stays truncated.

    >>> end_turn_after_stop([5, 6, 0, 0], 0, 9, [1], lambda ids: ids[-1] == 6)
    [5, 6, 9]
    >>> end_turn_after_stop([5, 6], 0, 9, [1], lambda ids: ids[-1] == 6)
    [5, 6, 9]
    >>> end_turn_after_stop([5, 6, 1], 0, 9, [1], lambda ids: False)
    [5, 6, 1]
    >>> end_turn_after_stop([5, 6, 7], 0, 9, [1], lambda ids: False)
    [5, 6, 7]
    """
    if ids and ids[-1] in eos_ids and ids[-1] != pad_id:
        return ids
    end = len(ids)
    while pad_id is not None and end > 0 and ids[end - 1] == pad_id:
        end -= 1
    trimmed = ids[:end]
    if trimmed and stop_tail(trimmed):
        return [*trimmed, end_id]
    return ids


def finish_turns(
    completion_ids: Sequence[Sequence[int]],
    logprobs: Sequence[Sequence[float | None]] | None,
    pad_id: int | None,
    end_id: int,
    eos_ids: Sequence[int],
    stop_tail: Any,
) -> tuple[list[list[int]], list[list[float | None]] | None]:
    """`end_turn_after_stop` on a batch, keeping vLLM's per-token log-probs aligned.

    `logprobs` (vLLM's sampled-token log-probs, one per id; None on the transformers path)
    follow the ids: cut where padding is dropped, and `None` for the appended end-of-turn
    token, which vLLM did not sample. TRL reads `None` as "not scored": that token gets
    no importance-sampling correction (ratio 1) and stays out of the sampling-divergence
    metrics, which is right for a token the policy is trained on but the engine never
    drew.

    >>> finish_turns([[5, 6], [5, 1]], [[-0.5, -0.1], [-0.2, -0.3]], 0, 9, [1],
    ...              lambda ids: ids[-1] == 6)
    ([[5, 6, 9], [5, 1]], [[-0.5, -0.1, None], [-0.2, -0.3]])
    """
    ids_out: list[list[int]] = []
    logprobs_out: list[list[float | None]] = []
    for i, ids in enumerate(completion_ids):
        done = end_turn_after_stop(list(ids), pad_id, end_id, eos_ids, stop_tail)
        ids_out.append(done)
        if logprobs is not None:
            changed = done != list(ids)  # then `done` is the sampled part + one end token
            row = list(logprobs[i])
            logprobs_out.append([*row[: len(done) - 1], None] if changed else row)
    return ids_out, (logprobs_out if logprobs is not None else None)


def make_stop_tail(tokenizer: Any, stop_strings: Sequence[str]) -> Any:
    """A predicate: do the last few tokens of `ids` contain a stop string?"""
    window = 1 + max(
        (len(tokenizer.encode(s, add_special_tokens=False)) for s in stop_strings), default=0
    )

    def stop_tail(ids: list[int]) -> bool:
        tail = tokenizer.decode(ids[-window:], skip_special_tokens=False)
        return any(s in tail for s in stop_strings)

    return stop_tail


def vllm_stop_kwargs(stop_strings: Sequence[str], stop_ids: Sequence[int] = ()) -> dict[str, Any]:
    """`generation_kwargs` for vLLM: stop at the strings (kept in the text) and at every
    id in `stop_ids` (eos and the end-of-turn ids training adds to it, which the engine's
    own generation config, read from disk, may lack).

    >>> vllm_stop_kwargs(["</tool_call>"], [1, 106])
    {'stop': ['</tool_call>'], 'include_stop_str_in_output': True, 'stop_token_ids': [1, 106]}
    """
    kwargs: dict[str, Any] = {}
    if stop_strings:
        kwargs |= {"stop": list(stop_strings), "include_stop_str_in_output": True}
    if stop_ids:
        kwargs["stop_token_ids"] = list(dict.fromkeys(int(i) for i in stop_ids))
    return kwargs
