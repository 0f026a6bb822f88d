"""`--preset toolrl` gives the paper's worked values and ToolRL's value on hand-made cases
(the full parity checks, on ToolRL's references and random tag soups, are in
test_toolrl_parity.py)."""

import json

import pytest
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
    # an unclosed block: ToolRL asserts both tags, so the minimum however right the call
    (f"<think> t </think>\n<tool_call>\n{call()}", REF, 0.0, -3.0),
    # a closing tag before the opening one: the block runs to the end (no second closer)
    (f"<think> t </think>\n</tool_call>\n<tool_call>\n{call()}", REF, 0.0, 3.0),
    # a block inside the thought is the first block: ToolRL reads it, not the later one
    (
        "<think> <tool_call>\n{}\n</tool_call> </think>\n<tool_call>\n"
        + call()
        + "\n</tool_call>",
        REF,
        0.0,
        -3.0,
    ),
    # an empty block: its one line "" is not JSON
    ("<think> t </think>\n<tool_call>\n\n</tool_call>", REF, 1.0, -3.0),
]


@pytest.mark.parametrize(("text", "ref", "fmt", "corr"), TABLE)
def test_table(text, ref, fmt, corr):
    scores = get_preset("toolrl").score(text, ref)
    assert (scores["format"], scores["correctness"]) == (fmt, pytest.approx(corr))
    assert (scores["format"], scores["correctness"]) == pytest.approx(oracle_score(text, ref))


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
