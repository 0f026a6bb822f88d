"""TRL reward functions and verl's compute_score, as the engines call them."""

from types import SimpleNamespace

import pytest

from toolzero.rewards import get_preset, trl_reward_functions, verl_compute_score
from toolzero.rewards.adapters import compute_score
from toolzero.rewards.presets import RewardPreset

REF = '<think> p </think>\n<tool_call>\n{"name": "f", "parameters": {"a": 1}}\n</tool_call>'
GOOD = REF
BAD = "<think> p </think>\n<response> nope </response>"


def test_one_named_function_per_component():
    funcs = trl_reward_functions("tool-zero")
    assert [f.__name__ for f in funcs] == ["format", "tool_general", "tool_strict"]


def test_functions_use_the_step_and_log_the_schedule():
    logged = {}
    funcs = trl_reward_functions("toolrl-dynamic")
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
    (fmt, _) = trl_reward_functions("toolrl", prefill="<think>")
    chat = [[{"role": "assistant", "content": GOOD[len("<think>") :]}]]
    assert fmt(prompts=["p"], completions=chat, reference=[REF]) == [1.0]


def test_fraction_schedule_reads_total_from_trainer_state():
    fmt = trl_reward_functions("toolzero")[0]
    state = SimpleNamespace(global_step=5, max_steps=10)
    assert fmt(prompts=["p"], completions=[GOOD], reference=[REF], trainer_state=state) == [1.5]


def test_missing_reference_column_is_a_clear_error():
    (fmt, _) = trl_reward_functions("toolrl")
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


PARTIAL = '<think> p </think>\n<tool_call>\n{"name": "f", "parameters": {"a": 2}}\n</tool_call>'
CALL_G = '<think> p </think>\n<tool_call>\n{"name": "g", "parameters": {"b": 1}}\n</tool_call>'
REF_G = CALL_G
NO_CALL = "<think> p </think>\n<response> hi </response>"


GOOD_BATCH = [GOOD, PARTIAL, BAD, CALL_G]
REFS = [REF, REF, REF_G, REF_G]


def _batch(step: int = 3):
    """A batch as TRL passes it to every reward function: 4 completions, 2 references."""
    return dict(
        prompts=["p"] * 4,
        completions=list(GOOD_BATCH),
        reference=list(REFS),
        tools=[["f", "g"]] * 4,
        trainer_state=SimpleNamespace(global_step=step, max_steps=10),
    )


@pytest.fixture
def score_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    score = RewardPreset.score

    def spy(self, completion, reference, step=0, total_steps=None, tools=None):
        calls.append(completion)
        return score(self, completion, reference, step, total_steps, tools)

    monkeypatch.setattr(RewardPreset, "score", spy)
    return calls


@pytest.mark.parametrize("name", ["toolzero", "tool-zero", "toolrl-dynamic"])
def test_each_completion_is_scored_once_per_batch(name: str, score_calls: list[str]) -> None:
    funcs = trl_reward_functions(name)
    batch = _batch()
    got = [f(**batch) for f in funcs]  # TRL calls them in order on the same batch
    assert len(funcs) >= 2 and len(score_calls) == 4  # once per completion, not per component
    # Each component gets its own value, the one the whole preset gives that completion.
    preset = get_preset(name)
    for i, (completion, ref) in enumerate(zip(batch["completions"], batch["reference"], strict=True)):
        want = preset.score(completion, ref, 3, 10, ["f", "g"])
        assert {n: got[k][i] for k, n in enumerate(preset.component_names)} == {
            n: want[n] for n in preset.component_names
        }


def test_a_new_batch_or_step_is_scored_again(score_calls: list[str]) -> None:
    preset = get_preset("toolrl-dynamic")
    later = _batch(step=120)
    other = {**_batch(step=120), "completions": [NO_CALL, GOOD, GOOD, BAD]}
    want_later = [
        preset.score(c, r, 120, 10)["correctness"] for c, r in zip(GOOD_BATCH, REFS, strict=True)
    ]
    want_other = [
        preset.score(c, r, 120, 10)["format"]
        for c, r in zip(other["completions"], REFS, strict=True)
    ]
    fmt, cor = trl_reward_functions(preset)
    score_calls.clear()
    fmt(**_batch(step=3))
    cor(**_batch(step=3))  # equal content in new list objects: read, not scored
    assert len(score_calls) == 4
    assert cor(**later) == want_later
    assert len(score_calls) == 8  # another step: scored again
    assert fmt(**other) == want_other
    assert len(score_calls) == 12  # other completions at the same step: scored again


def test_out_of_order_calls_give_the_same_values() -> None:
    in_order = [f(**_batch()) for f in trl_reward_functions("toolzero")]
    reverse = [f(**_batch()) for f in reversed(trl_reward_functions("toolzero"))][::-1]
    alone = [[f(**_batch())] for f in trl_reward_functions("toolzero")]
    assert in_order == reverse == [a[0] for a in alone]
