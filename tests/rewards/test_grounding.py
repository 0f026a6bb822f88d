"""The grounding component: calls name offered tools, and only when a call is due."""

import json

import pytest

from toolzero.rewards import get_preset, read_reference, trl_reward_functions, verl_compute_score
from toolzero.rewards.grounding import grounding_reward
from toolzero.rewards.inputs import Completion


def block(*names: str) -> str:
    lines = "\n".join(json.dumps({"name": n, "parameters": {"city": "Oslo"}}) for n in names)
    return f"<think> t </think>\n<tool_call>\n{lines}\n</tool_call>"


REF = block("get_weather")
NO_CALL_REF = "<think> t </think>\n<response> none fits </response>"
OFFERED = ["get_weather", "get_forecast", "book_hotel"]


def score(completion: str, reference: str = REF, tools=OFFERED, **params) -> float:
    return grounding_reward(
        Completion(completion), read_reference(reference, "robust", tools), **params
    )


def test_share_of_calls_on_offer():
    assert score(block("get_weather")) == 1.0
    assert score(block("book_hotel")) == 1.0  # offered but wrong: correctness says so, not this
    assert score(block("get_sunrise")) == 0.0  # invented
    assert score(block("get_forecast", "get_sunrise")) == 0.5
    assert score(block("get_forecast", "get_sunrise"), low=-1.0, high=1.0) == 0.0


def test_no_call_where_one_is_due_and_unreadable_calls_score_low():
    assert score("<think> t </think>\n<response> hi </response>") == 0.0
    assert score("") == 0.0
    half = '<think> t </think>\n<tool_call>\n{"name": "get_weather", "parameters": {}}\n{oops\n</tool_call>'
    assert score(half) == 0.5  # the unparsable line counts as a call on no offered tool


def test_no_call_reference_rewards_abstaining():
    assert score(NO_CALL_REF, NO_CALL_REF) == 1.0
    assert score(block("get_weather"), NO_CALL_REF) == 0.0
    assert score("<think> t </think>\n<tool_call>\n</tool_call>", NO_CALL_REF) == 0.0


def test_unknown_offer_falls_back_to_the_reference_tools():
    assert score(block("get_weather"), tools=None) == 1.0
    assert score(block("book_hotel"), tools=None) == 0.0


@pytest.mark.parametrize(
    "text",
    ["<tool_call>" * 500, "\ud800", "<tool_call>\n" + "[" * 5000 + "\n</tool_call>", "\x00" * 99],
)
def test_garbage_scores_in_range(text):
    assert 0.0 <= score(text) <= 1.0


def test_preset_trl_and_verl_read_the_offered_tools():
    wrong_but_offered, invented = block("book_hotel"), block("get_sunrise")
    preset = get_preset("toolzero")
    assert preset.score(wrong_but_offered, REF, 0, 10, OFFERED)["grounding"] == 1.0
    assert preset.score(invented, REF, 0, 10, OFFERED)["grounding"] == 0.0
    # same correctness for both: only grounding tells an offered tool from an invented one
    assert (
        preset.score(wrong_but_offered, REF, 0, 10, OFFERED)["correctness"]
        == preset.score(invented, REF, 0, 10, OFFERED)["correctness"]
    )
    grounding = trl_reward_functions("toolzero")[-1]
    assert grounding.__name__ == "grounding"
    got = grounding(
        prompts=["p", "p"],
        completions=[wrong_but_offered, invented],
        reference=[REF, REF],
        tools=[OFFERED, OFFERED],
    )
    assert got == [1.0, 0.0]
    # without a tools column, only the reference's tool counts as offered
    assert grounding(prompts=["p"], completions=[wrong_but_offered], reference=[REF]) == [0.0]
    extra = {"reward_preset": "toolzero", "total_steps": 10, "tools": OFFERED}
    assert verl_compute_score("synthetic", wrong_but_offered, REF, extra)["grounding"] == 1.0


# Offered tools with their parameters, as training rows carry them.
SCHEMAS = [
    {"name": "get_weather", "parameters": ["city", "unit"], "required": ["city"]},
    {"name": "book_hotel", "parameters": ["city", "nights"], "required": ["city", "nights"]},
    {"name": "get_forecast", "parameters": [], "required": []},
]


def call(name: str, arguments: object) -> str:
    body = json.dumps({"name": name, "parameters": arguments})
    return f"<think> t </think>\n<tool_call>\n{body}\n</tool_call>"


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        (call("get_weather", {"city": "Oslo"}), 1.0),  # required present, optional absent
        (call("get_weather", {"city": "Oslo", "unit": "C"}), 1.0),
        (call("get_weather", {}), 0.5),  # the required city missing
        (call("get_weather", {"harbour": "Bergen"}), 0.5),  # a parameter it does not take
        (call("get_weather", {"city": "Oslo", "harbour": "Bergen"}), 0.5),
        (call("book_hotel", {"city": "Oslo"}), 0.5),  # offered, one required missing
        (call("get_forecast", {}), 1.0),  # no parameters to pass
        (call("get_sunrise", {"city": "Oslo"}), 0.0),  # not offered: no half credit either
    ],
)
def test_keys_credit_calls_that_fit_the_offered_tool(completion: str, expected: float):
    assert score(completion, tools=SCHEMAS, keys=True) == expected
    # without `keys`, naming an offered tool is full credit, as before
    assert score(completion, tools=SCHEMAS) == (0.0 if "get_sunrise" in completion else 1.0)


def test_keys_average_over_calls_and_fall_back_to_names_without_parameters():
    two = block("get_weather", "book_hotel")  # both pass {"city": "Oslo"}
    assert score(two, tools=SCHEMAS, keys=True) == 0.75
    assert score(two, tools=SCHEMAS, keys=True, low=-1.0, high=1.0) == 0.5
    # names only (no parameters known): naming an offered tool earns both halves
    assert score(call("get_weather", {"harbour": "x"}), keys=True) == 1.0
    assert score(NO_CALL_REF, NO_CALL_REF, SCHEMAS, keys=True) == 1.0


def test_the_keys_option_is_checked_as_a_switch():
    from toolzero.errors import ConfigError
    from toolzero.rewards.presets import build_preset

    preset = build_preset({"preset": "toolzero", "components": {"grounding": {"keys": True}}})
    scores = preset.score(call("get_weather", {}), REF, 0, 10, SCHEMAS)
    assert scores["grounding"] == 0.5
    with pytest.raises(ConfigError, match=r"grounding\.keys: expected true or false"):
        build_preset({"preset": "toolzero", "components": {"grounding": {"keys": "yes"}}})
