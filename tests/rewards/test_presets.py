"""Every preset: ranges, schedules, the other papers' rewards, and our improvements."""

import json

import pytest

from toolzero.errors import ConfigError
from toolzero.rewards import PRESET_NAMES, PRESETS, build_preset, get_preset

CALL = {"name": "get_weather", "parameters": {"city": "Paris", "days": 1}}
REF = f"<think> plan </think>\n<tool_call>\n{json.dumps(CALL)}\n</tool_call>"
GOOD = REF
RESPONSE_REF = "<think> a </think>\n<response> hello </response>"


def test_all_ten_presets_exist():
    for name in [
        "toolrl",
        "toolrl-intermediate",
        "toolrl-coarse",
        "toolrl-equalmax",
        "toolrl-twostage",
        "toolrl-dynamic",
        "toolrl-length",
        "tool-zero",
        "tool-n1",
        "toolzero",
    ]:
        assert name in PRESET_NAMES


def test_unknown_preset_names_the_choices():
    with pytest.raises(ValueError, match="choose one of: toolrl"):
        get_preset("toolrlx")


@pytest.mark.parametrize(
    ("step", "fmt_hi", "fmt_lo", "cor_hi", "cor_lo"),
    [
        (0, 2.0, -2.0, 2.0, -2.0),
        (75, 1.5, -1.0, 2.5, -2.5),
        (150, 1.0, -1.0, 3.0, -3.0),
        (300, 1.0, -1.0, 3.0, -3.0),
    ],
)
def test_toolrl_dynamic_ranges_follow_the_formula(step, fmt_hi, fmt_lo, cor_hi, cor_lo):
    values = get_preset("toolrl-dynamic").schedule_values(step)
    assert values["format.high"] == fmt_hi and values["format.low"] == fmt_lo
    assert values["correctness.high"] == cor_hi and values["correctness.low"] == cor_lo
    scores = get_preset("toolrl-dynamic").score(GOOD, REF, step=step)
    assert scores["format"] == fmt_hi and scores["correctness"] == cor_hi
    bad = get_preset("toolrl-dynamic").score("garbage", REF, step=step)
    assert bad["format"] == fmt_lo and bad["correctness"] == cor_lo


@pytest.mark.parametrize(("step", "fmt", "cor"), [(0, 1.0, 1.0), (29, 1.0, 1.0), (30, 0.5, 3.0)])
def test_toolrl_twostage(step, fmt, cor):
    scores = get_preset("toolrl-twostage").score(GOOD, REF, step=step)
    assert (scores["format"], scores["correctness"]) == (fmt, cor)


def test_equalmax_range():
    assert get_preset("toolrl-equalmax").score(GOOD, REF)["correctness"] == 1.0
    assert get_preset("toolrl-equalmax").score("x", REF)["correctness"] == -1.0


def test_length_reward_and_its_schedule():
    text = (
        "<think> " + "word " * 128 + "</think>\n<tool_call>\n" + json.dumps(CALL) + "\n</tool_call>"
    )
    assert get_preset("toolrl-length").score(text, REF)["length"] == pytest.approx(0.25)
    dyn = get_preset("toolrl-length-dynamic")
    assert dyn.score(text, REF, step=0)["length"] == pytest.approx(128 / 384)
    assert dyn.schedule_values(105)["length.target_words"] == pytest.approx(640)
    assert get_preset("toolrl-length").score("<think> no close", REF)["length"] == 0.0


def test_tool_n1_is_binary():
    n1 = get_preset("tool-n1")
    as_list = '<think> x </think>\n<tool_call>[{"name": "get_weather", "arguments": {"days": 1, "city": "Paris"}}]</tool_call>'
    assert n1.score(as_list, REF)["total"] == 1.0
    assert n1.score(GOOD, REF)["total"] == 1.0
    assert n1.score(as_list.replace("Paris", "Rome"), REF)["total"] == 0.0
    assert n1.score(as_list.replace("<think> x </think>\n", ""), REF)["total"] == 0.0
    assert n1.score("<think> x </think>\n<response> hi </response>", RESPONSE_REF)["total"] == 1.0


def test_tool_zero_moves_from_general_to_strict():
    tz = get_preset("tool-zero")
    half = GOOD.replace('"days": 1', '"days": 2')
    early, late = tz.score(half, REF, step=0), tz.score(half, REF, step=100)
    # partially right: the lenient term pays early, the strict term penalises later
    assert early["tool_general"] > 0 > late["tool_strict"]
    assert early["total"] > late["total"]
    weights = tz.schedule_values(25)
    assert weights["tool_general.weight"] == pytest.approx(0.5) == weights["tool_strict.weight"]
    exact = tz.score(GOOD, REF, step=1000)
    assert exact["tool_strict"] == pytest.approx(1.0, abs=1e-6) and exact["format"] == 1.0


def test_fixed_ranges_are_logged_so_the_report_can_show_shares():
    """Tool-Zero's r_general is in [-0.5, 0.5] and r_strict in [-0.3, 1.3] by definition
    (docs: REFERENCE, Tool-Zero's reward); they take no low/high parameters, so the ranges
    in force come from the definition, and a recipe adding r_general to another preset
    logs its range too."""
    values = get_preset("tool-zero").schedule_values(10)
    assert (values["tool_general.low"], values["tool_general.high"]) == (-0.5, 0.5)
    assert (values["tool_strict.low"], values["tool_strict.high"]) == pytest.approx((-0.3, 1.3))
    added = build_preset({"components": {"general": {"function": "general_tool", "weight": 2}}})
    got = added.schedule_values(3, 20)
    assert (got["general.low"], got["general.high"], got["general.weight"]) == (-0.5, 0.5, 2.0)
    assert "grounding.low" in got  # the others as before


def test_tool_zero_strict_bonus_and_penalty():
    from toolzero.rewards.inputs import Completion, read_reference
    from toolzero.rewards.tool_zero import strict_tool_reward

    two = REF.replace(
        "</tool_call>", json.dumps({"name": "t", "parameters": {}}) + "\n</tool_call>"
    )
    ref = read_reference(two)
    assert strict_tool_reward(Completion(two), ref) == pytest.approx(1.3)
    wrong_value = two.replace("Paris", "Rome")
    assert strict_tool_reward(Completion(wrong_value), ref) == pytest.approx(-0.3)
    assert strict_tool_reward(Completion("<tool_call>{}</tool_call>"), ref) == 0.0


def test_toolzero_improvements():
    tz = get_preset("toolzero")
    # type-tolerant values and order-free optimal matching
    reordered = '<think> a </think>\n<tool_call>\n{"name": "get_weather", "arguments": {"days": "1", "city": "paris"}}\n</tool_call>'
    assert tz.score(reordered, REF)["correctness"] == tz.score(GOOD, REF)["correctness"] == 2.0
    # a call where none is wanted is penalised (ToolRL gives 0)
    assert tz.score(GOOD, RESPONSE_REF)["correctness"] < 0
    assert get_preset("toolrl").score(GOOD, RESPONSE_REF)["correctness"] == 0
    # partial credit: half a shape earns part of the format reward
    assert 0 < tz.score("<think> a </think>", REF)["format"] < tz.score(GOOD, REF)["format"]
    # dynamic over the fraction of training
    assert tz.schedule_values(10, 10)["correctness.high"] == 3.0
    assert tz.schedule_values(5, 10)["format.high"] == 1.5


def test_optimal_matching_beats_greedy():
    ref_calls = [
        {"name": "f", "parameters": {"a": 1, "b": 2}},
        {"name": "f", "parameters": {"a": 1}},
    ]
    ref = (
        "<think> x </think>\n<tool_call>\n"
        + "\n".join(map(json.dumps, ref_calls))
        + "\n</tool_call>"
    )
    pred_calls = [
        {"name": "f", "parameters": {"a": 1}},
        {"name": "f", "parameters": {"a": 1, "b": 2}},
    ]
    pred = (
        "<think> x </think>\n<tool_call>\n"
        + "\n".join(map(json.dumps, pred_calls))
        + "\n</tool_call>"
    )
    greedy = build_preset(
        {"preset": "toolrl", "components": {"correctness": {"matching": "greedy"}}}
    )
    optimal = build_preset(
        {"preset": "toolrl", "components": {"correctness": {"matching": "optimal"}}}
    )
    assert optimal.score(pred, ref)["correctness"] == 3.0 * 1  # a perfect assignment
    assert greedy.score(pred, ref)["correctness"] <= optimal.score(pred, ref)["correctness"]


def test_build_preset_reports_every_problem_as_a_list():
    with pytest.raises(ConfigError) as err:
        build_preset(
            {
                "preset": "toolrl",
                "remove": ["nope"],
                "components": {"x": {"function": "missing"}, "format": {"high": {"kind": "bogus"}}},
            }
        )
    fields = [p.split(":")[0] for p in err.value.problems]
    assert fields == ["reward.remove", "reward.components.x.function", "reward.components.format.high"]
    # A problem whose message holds "; " is still one problem.
    assert "unknown; choose one of" in err.value.problems[1]
    with pytest.raises(ConfigError, match="not a parameter of 'format'"):
        build_preset({"preset": "toolrl", "components": {"format": {"lo": 1}}})
    with pytest.raises(ConfigError) as err:
        build_preset({"preset": "nope"})
    assert err.value.problems == [
        f"reward.preset: 'nope' is unknown; choose one of {', '.join(PRESETS)}"
    ]


def test_build_preset_adds_a_component_with_a_schedule():
    p = build_preset(
        {
            "preset": "toolrl",
            "components": {
                "length": {"function": "length", "weight": {"kind": "linear", "start": 0, "end": 1}}
            },
        }
    )
    assert p.component_names == ("format", "correctness", "length")
    assert p.schedule_values(5, 10)["length.weight"] == 0.5


def test_fraction_schedule_needs_total_steps():
    with pytest.raises(ValueError, match="total_steps"):
        get_preset("toolzero").score(GOOD, REF, step=3)


def test_episode_call_cost_charges_a_turn_cut_by_its_cap_only_when_asked():
    """A call block the turn cap cut never runs, so it is no failed call; `per_truncated`
    is its own cost (0 in the `episode` preset), set from a recipe."""
    from toolzero.rewards.episode import EpisodeRecord

    cut = EpisodeRecord(("<think> x </think>\n<tool_call>\n{\"name\": \"f\", \"par",), ended="truncated")
    failed = EpisodeRecord(("<think> x </think>\n<tool_call>\n{}\n</tool_call>",), calls=1, failed_calls=1)
    shipped = get_preset("episode")
    assert shipped.score_episode(cut)["call_cost"] == 0.0
    assert shipped.score_episode(failed)["call_cost"] == pytest.approx(-0.1)
    strict = build_preset(
        {"preset": "episode", "components": {"call_cost": {"per_failed": 0.3, "per_truncated": 0.3}}}
    )
    assert strict.score_episode(cut)["call_cost"] == pytest.approx(-0.3)
    assert strict.score_episode(failed)["call_cost"] == pytest.approx(-0.3)
    floored = build_preset({"preset": "episode", "components": {"call_cost": {"per_truncated": 2.0}}})
    assert floored.score_episode(cut)["call_cost"] == -0.5  # the floor


def test_text_where_a_reward_parameter_takes_a_number_fails_before_training():
    with pytest.raises(ConfigError) as err:
        build_preset({"preset": "episode", "components": {"call_cost": {"per_truncated": "abc"}}})
    assert [p.split(":")[0] for p in err.value.problems] == ["reward.components.call_cost.per_truncated"]
    assert "expected a number" in err.value.problems[0]
