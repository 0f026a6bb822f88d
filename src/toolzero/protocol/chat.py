"""Render an `Example` into a model's prompt string, in one of three protocols.

- `toolrl`: ToolRL's system prompt and dialogue text (see `toolrl_format`), wrapped in the
  model's chat template. The model answers in `<think>/<tool_call>/<response>` text.
- `native`: the model's own chat template with `tools=[...]` (Qwen, Llama, Hermes...);
  the model answers in its own tool-call syntax, which `parse_completion` also reads.
- `compact`: ToolRL's answer format behind a few-line prompt (see `compact_format`), for
  small base models.

Models without a chat template (the embedded Gemma-3-270M *base* file has none) get
`GEMMA_CHAT_TEMPLATE`, Gemma's turn format (`<start_of_turn>user ... <end_of_turn>`),
supplied here. The tokenizer is duck-typed (anything with `apply_chat_template`), so this
module never imports transformers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from toolzero.protocol.compact_format import compact_prompt_messages, render_compact_dialogue
from toolzero.protocol.toolrl_format import render_system_prompt, toolrl_prompt_messages
from toolzero.protocol.types import Example, Message

# Chat end-of-turn tokens that end generation alongside the tokenizer's eos (training and
# every evaluation backend use this one list, so both stop on the same ids).
END_OF_TURN_TOKENS = ("<end_of_turn>", "<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<|end|>")

Protocol = Literal["toolrl", "native", "compact"]
PROTOCOLS: tuple[str, ...] = ("toolrl", "native", "compact")

# Gemma has no system role: the system text opens the first user turn, as Google's own
# template does. Assistant turns are `model` turns.
GEMMA_CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{%- set ns = namespace(system='') -%}"
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'system' -%}{%- set ns.system = message['content'] + '\n\n' -%}"
    "{%- else -%}"
    "{%- set role = 'model' if message['role'] == 'assistant' else 'user' -%}"
    "{{ '<start_of_turn>' + role + '\n' }}"
    "{%- if loop.index0 == 1 or (loop.first and ns.system == '') -%}{{ ns.system }}{%- endif -%}"
    "{{ message['content'] | trim }}{{ '<end_of_turn>\n' }}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\n' }}{%- endif -%}"
)


def prompt_messages(example: Example, protocol: Protocol = "toolrl") -> list[dict[str, Any]]:
    """The chat messages for an example under a protocol (tools excluded for `native`)."""
    if protocol == "toolrl":
        return toolrl_prompt_messages(example)
    if protocol == "compact":  # ToolRL's answer format behind a short prompt
        return compact_prompt_messages(example)
    if protocol == "native":
        messages = [m.to_dict() for m in example.messages]
        for m in messages:  # chat templates expect OpenAI's call shape
            if "tool_calls" in m:
                m["tool_calls"] = [
                    {"type": "function", "function": c} for c in m["tool_calls"]
                ]
        if example.system is not None and not any(m["role"] == "system" for m in messages):
            messages.insert(0, {"role": "system", "content": example.system})
        return messages
    raise ValueError(f"unknown prompt protocol {protocol!r}; choose one of {PROTOCOLS}")


def render_prompt(
    tokenizer: Any,
    example: Example,
    protocol: Protocol = "toolrl",
    prefill: str = "",
) -> str:
    """The full prompt text a model continues, ending with the assistant-turn opener.

    `prefill` (e.g. `"<think>"`) is appended after the opener: the model continues it, and
    whoever scores the completion must put it back in front (see `toolzero.rewards`).
    """
    messages = prompt_messages(example, protocol)
    kwargs: dict[str, Any] = {"tokenize": False, "add_generation_prompt": True}
    if protocol == "native":
        kwargs["tools"] = [t.to_openai() for t in example.tools]
    if not getattr(tokenizer, "chat_template", None):
        kwargs["chat_template"] = GEMMA_CHAT_TEMPLATE
    text = tokenizer.apply_chat_template(messages, **kwargs)
    return text + prefill


# A placeholder assistant turn: found again in the rendered template to cut around it.
_TURN_MARK = "\x00toolzero-model-turn\x00"


def render_observations(results: Sequence[tuple[str, str]], protocol: Protocol) -> str:
    """Tool results as one user turn's text, in the protocol's own form.

    `results` are `(tool name, content)` pairs in call order. `toolrl`: one `<obs> ... </obs>`
    line each (ToolRL's dialogue form); `compact`: `Tool result: ...` lines, as its prompt
    shows past results.

    >>> render_observations([("f", '{"a": 1}')], "toolrl")
    '<obs> {"a": 1} </obs>'
    >>> render_observations([("f", '{"a": 1}')], "compact")
    'Tool result: {"a": 1}'
    """
    if protocol == "toolrl":
        return "\n".join(f"<obs> {content} </obs>" for _, content in results)
    if protocol == "compact":
        return render_compact_dialogue([Message("tool", c, name=n) for n, c in results])
    raise ValueError(f"render_observations: protocol {protocol!r} renders results as tool turns")


INLINE_RESULT_PROTOCOLS = ("compact",)  # results continue the model's turn; see below


def observation_turn_text(
    tokenizer: Any,
    results: Sequence[tuple[str, str]],
    protocol: Protocol = "toolrl",
    prefill: str = "",
) -> tuple[str, str]:
    r"""The text that follows a model turn which made calls: `(end_of_turn, rest)`.

    `end_of_turn` is the chat template's end-of-turn text (e.g. `<end_of_turn>`; "" when the
    template has none), which the model's turn may already end with; `rest` is the turn
    carrying the tool results (the template's `tool` role under `native`, a user turn
    with `<obs>` lines under `toolrl`, as ToolRL's dialogues hold them) and the reopened
    model turn, prefill included. Cut out of the model's own chat template, so multi-turn
    episodes continue exactly as a rendered dialogue would read.

    `compact` shows results *inline*, inside the model's turn, exactly as its prompt's
    worked example does (`</tool_call>` / `Tool result: ...` / `<think>` ...): `end_of_turn`
    is "" and `rest` is the result lines and the prefill. The turn does not end, as in
    ReAct's and Search-R1's rollouts. Measured on Gemma-3-270M base (one-hop synthetic-world
    tasks, the right call's result shown): it answers from an inline result in 5 of 6 tasks
    (greedy) and never from a result in a new user turn, where it repeats its call instead.

    >>> observation_turn_text(None, [("f", '{"a": 1}')], "compact", "<think>")
    ('', '\nTool result: {"a": 1}\n<think>')
    """
    if protocol in INLINE_RESULT_PROTOCOLS:
        return "", "\n" + render_observations(results, protocol) + "\n" + prefill
    if protocol == "native":
        turns = [{"role": "tool", "name": n, "content": c} for n, c in results]
    else:
        turns = [{"role": "user", "content": render_observations(results, protocol)}]
    messages = [
        {"role": "user", "content": "?"},
        {"role": "assistant", "content": _TURN_MARK},
        *turns,
    ]
    kwargs: dict[str, Any] = {"tokenize": False, "add_generation_prompt": True}
    if not getattr(tokenizer, "chat_template", None):
        kwargs["chat_template"] = GEMMA_CHAT_TEMPLATE
    text = tokenizer.apply_chat_template(messages, **kwargs)
    at = text.find(_TURN_MARK)
    if at < 0:
        raise ValueError("the chat template drops assistant text; cannot place tool results")
    after = text[at + len(_TURN_MARK) :]
    for marker in END_OF_TURN_TOKENS:
        if after.startswith(marker):
            return marker, after[len(marker) :] + prefill
    return "", after + prefill


__all__ = [
    "GEMMA_CHAT_TEMPLATE",
    "INLINE_RESULT_PROTOCOLS",
    "PROTOCOLS",
    "Protocol",
    "observation_turn_text",
    "prompt_messages",
    "render_observations",
    "render_prompt",
    "render_system_prompt",
]


def end_of_turn_ids(tokenizer: Any) -> list[int]:
    """Ids of the end-of-turn tokens this tokenizer has as single tokens."""
    vocab = tokenizer.get_vocab()
    return [vocab[t] for t in END_OF_TURN_TOKENS if t in vocab]


def stop_token_ids(tokenizer: Any, model: Any = None) -> list[int]:
    """The ids that end a turn, each once: the tokenizer's eos first unless the model's
    generation-config eos (when a model is given) already lists it, then that list, then
    the tokenizer's end-of-turn tokens.

    The Gemma base file lists only `<eos>`, yet its turns end with `<end_of_turn>`; an
    engine that reads the generation config from disk (vLLM) needs them passed explicitly.
    """
    eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    ids = [] if eos is None else [eos] if isinstance(eos, int) else list(eos)
    if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in ids:
        ids.insert(0, int(tokenizer.eos_token_id))
    return list(dict.fromkeys([*ids, *end_of_turn_ids(tokenizer)]))
