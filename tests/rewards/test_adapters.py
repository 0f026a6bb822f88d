"""TRL reward functions and verl's compute_score, as the engines call them."""

from types import SimpleNamespace

import pytest

from toolzero.rewards import get_preset, trl_reward_functions, verl_compute_score
from toolzero.rewards.adapters import compute_score

REF = '<think> p </think>\n<tool_call>\n{"name": "f", "parameters": {"a": 1}}\n</tool_call>'
GOOD = REF
BAD = "<think> p </think>\n<response> nope </response>"


def test_one_named_function_per_component():
    funcs = trl_reward_functions("tool-zero", total_steps=100)
    assert [f.__name__ for f in funcs] == ["format", "tool_general", "tool_strict"]


def test_functions_use_the_step_and_log_the_schedule():
    logged = {}
    funcs = trl_reward_functions("toolrl-dynamic", total_steps=None)
    kwargs = dict(
        reference=[REF, REF],
        trainer_state=SimpleNamespace(global_step=75, max_steps=200),
        log_metric=lambda k, v: logged.__setitem__(k, v),
    )
    fmt = funcs[0](prompts=["p", "p"], completions=[GOOD, BAD], **kwargs)
    cor = funcs[1](prompts=["p", "p"], completions=[GOOD, BAD], **kwargs)
    assert fmt == [1.5, -1.0] and cor == [2.5, -2.5]
    assert logged["schedule/format.high"] == 1.5 and logged["schedule/correctness.low"] == -2.5


def test_chat_completions_and_prefill():
    (fmt, _) = trl_reward_functions("toolrl", total_steps=10, prefill="<think>")
    chat = [[{"role": "assistant", "content": GOOD[len("<think>") :]}]]
    assert fmt(prompts=["p"], completions=chat, reference=[REF]) == [1.0]


def test_fraction_schedule_reads_total_from_trainer_state():
    fmt = trl_reward_functions("toolzero", total_steps=None)[0]
    state = SimpleNamespace(global_step=5, max_steps=10)
    assert fmt(prompts=["p"], completions=[GOOD], reference=[REF], trainer_state=state) == [1.5]


def test_missing_reference_column_is_a_clear_error():
    (fmt, _) = trl_reward_functions("toolrl", total_steps=10)
    with pytest.raises(KeyError, match="needs the dataset column 'reference'"):
        fmt(prompts=["p"], completions=[GOOD], answer=[REF])


def test_verl_compute_score_returns_named_parts():
    out = verl_compute_score("rlla", GOOD, REF, {"reward_preset": "toolrl"})
    assert out == {"score": 4.0, "format": 1.0, "correctness": 3.0}
    assert compute_score is verl_compute_score
    dyn = verl_compute_score("rlla", GOOD, REF, {"reward_preset": "toolrl-dynamic", "step": 150})
    assert dyn["score"] == get_preset("toolrl-dynamic").score(GOOD, REF, 150)["total"] == 4.0


def test_verl_handles_full_decoded_sequences():
    qwen = f"<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n{GOOD}<|im_end|>"
    llama = f"<|start_header_id|>assistant<|end_header_id|>\n\n{GOOD}<|eot_id|>"
    gemma = f"<start_of_turn>model\n{GOOD}<end_of_turn>"
    for text in (qwen, llama, gemma):
        assert verl_compute_score("rlla", text, REF)["score"] == 4.0
