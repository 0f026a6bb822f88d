"""`--preset toolrl` (and its granularity variants) equals ToolRL's definition exactly."""

import json
import random

import pytest
from toolrl_oracle import OracleUndefined
from toolrl_oracle import score as oracle_score

from toolzero.rewards import get_preset

REF = '<think> plan </think>\n<tool_call>\n{"name": "get_weather", "parameters": {"city": "Paris", "days": 1}}\n</tool_call>'


def call(name="get_weather", **params):
    return json.dumps({"name": name, "parameters": params or {"city": "Paris", "days": 1}})


def completion(*lines, think="<think> t </think>"):
    return f"{think}\n<tool_call>\n" + "\n".join(lines) + "\n</tool_call>"


# The worked values of REFERENCE.md §2 (one reference call with two parameters).
WORKED = [
    ("exact", completion(call()), 1.0, 3.0),
    ("one value wrong", completion(call(city="Rome", days=1)), 1.0, 1.5),
    ('"1" for 1', completion(call(city="Paris", days="1")), 1.0, 1.5),
    ("wrong tool name", completion(call("get_time")), 1.0, -3.0),
    ("extra call", completion(call(), call("get_time")), 1.0, 2.25),
    ("no think", f"<tool_call>\n{call()}\n</tool_call>", 0.0, 3.0),
]


@pytest.mark.parametrize(("case", "text", "fmt", "corr"), WORKED, ids=[w[0] for w in WORKED])
def test_worked_values(case, text, fmt, corr):
    scores = get_preset("toolrl").score(text, REF)
    assert scores["format"] == fmt
    assert scores["correctness"] == pytest.approx(corr)
    assert scores["total"] == pytest.approx(fmt + corr)


TABLE = [
    # (completion, reference, format, correctness)
    (
        "<think> a </think>\n<response> hi </response>",
        "<think> b </think>\n<response> x </response>",
        1.0,
        0.0,
    ),
    (
        "<think> a </think>\n\n<response> hi </response>",
        "<think> b </think>\n<response> x </response>",
        0.0,
        0.0,
    ),
    # reference without calls: ToolRL does not penalise a spurious call
    (completion(call()), "<think> b </think>\n<response> x </response>", 0.0, 0.0),
    ("<think> only </think>", "<think> only </think>", 1.0, 0.0),
    # unparsable line / missing tag give min; "arguments" is not read by ToolRL
    (completion(call(), "oops"), REF, 1.0, -3.0),
    ("<think> t </think>\n<response> no call </response>", REF, 0.0, -3.0),
    (
        completion('{"name": "get_weather", "arguments": {"city": "Paris", "days": 1}}'),
        REF,
        1.0,
        -3.0,
    ),
    # a JSON list on one line is one JSON value that is not an object
    (completion("[" + call() + "]"), REF, 1.0, -3.0),
    # missing a parameter: keys 1/2, values 1 -> S = 1 + 0.5 + 1 = 2.5 of 4
    (completion(call(city="Paris")), REF, 1.0, 0.75),
    # two <tool_call> blocks: format fails, the first block is read
    (completion(call()) + "\n<tool_call>\n" + call() + "\n</tool_call>", REF, 0.0, 3.0),
]


@pytest.mark.parametrize(("text", "ref", "fmt", "corr"), TABLE)
def test_table(text, ref, fmt, corr):
    scores = get_preset("toolrl").score(text, ref)
    assert (scores["format"], scores["correctness"]) == (fmt, pytest.approx(corr))
    assert (scores["format"], scores["correctness"]) == pytest.approx(oracle_score(text, ref))


def mutations(output: str, rng: random.Random) -> list[str]:
    """Realistic ways a model gets a reference wrong, plus the reference itself."""
    think, _, rest = output.partition("</think>")
    think += "</think>"
    out = [
        output,
        "  " + output + "\n",
        rest.strip(),
        think,
        "",
        output + " trailing",
        output.replace("\n<tool_call>", "\n\n<tool_call>"),
        output.replace("</tool_call>", ""),
        output.replace('"parameters"', '"arguments"'),
    ]
    if "<tool_call>" not in rest:
        return [*out, think + '\n<tool_call>\n{"name": "x", "parameters": {}}\n</tool_call>']
    head, _, tail = rest.partition("<tool_call>")
    block, _, after = tail.partition("</tool_call>")
    calls = [json.loads(line) for line in block.strip().split("\n")]

    def render(cs):
        return (
            f"{think}{head}<tool_call>\n"
            + "\n".join(json.dumps(c) for c in cs)
            + f"\n</tool_call>{after}"
        )

    out.append(render(calls[::-1]))
    out.append(render([*calls, calls[0]]))
    out.append(render(calls[:-1] or [{"name": "none", "parameters": {}}]))
    out.append(render([{**c, "name": c["name"] + "_x"} for c in calls]))
    out.append(f"{think}{head}<tool_call>\n" + json.dumps(calls) + f"\n</tool_call>{after}")
    for c in calls:
        params = c["parameters"]
        if params:
            key = rng.choice(sorted(params))
            value = params[key]
            changed = [
                {
                    **c,
                    "parameters": {
                        **params,
                        key: str(value) if not isinstance(value, str) else value + "!",
                    },
                },
                {**c, "parameters": {k: v for k, v in params.items() if k != key}},
                {**c, "parameters": {**params, "extra_key": 1}},
                {**c, "parameters": dict(reversed(list(params.items())))},
            ]
            for variant in changed:
                out.append(render([variant if x is c else x for x in calls]))
    return out


GRANULARITIES = [
    ("toolrl", "fine", False),
    ("toolrl-intermediate", "intermediate", False),
    ("toolrl-coarse", "coarse", False),
    ("toolrl-refined", "fine", True),
]


@pytest.mark.parametrize(("preset", "granularity", "refined"), GRANULARITIES)
def test_real_references_and_mutations_match_toolrl(shared_data, preset, granularity, refined):
    rows = json.loads((shared_data / "toolrl" / "rlla_sft.json").read_text())
    rng = random.Random(0)
    compared = undefined = 0
    for row in rows:
        ref = row["output"]
        for text in mutations(ref, rng):
            ours = get_preset(preset).score(text, ref)
            try:
                expected = oracle_score(text, ref, granularity, refined)
            except OracleUndefined:
                undefined += 1
                assert isinstance(ours["total"], float)
                continue
            compared += 1
            assert (ours["format"], ours["correctness"]) == pytest.approx(expected), (text, ref)
    assert compared > 4000
    # ToolRL's own definition crashes on references whose thought mentions <tool_call>.
    assert 0 < undefined < compared / 10


def test_references_score_the_maximum_even_where_toolrl_crashes(shared_data):
    rows = json.loads((shared_data / "toolrl" / "rlla_sft.json").read_text())
    crashing = 0
    for row in rows:
        ref = row["output"]
        has_call = "<tool_call>" in ref.partition("</think>")[2]
        crashing += "<tool_call>" in ref.partition("</think>")[0]
        expected = {"format": 1.0, "correctness": 3.0 if has_call else 0.0}
        scores = get_preset("toolrl").score(ref, ref)
        assert {k: scores[k] for k in expected} == expected, ref
    assert crashing >= 10
