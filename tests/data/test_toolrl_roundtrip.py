"""ToolRL's real data (../shared/data) loads, re-renders byte for byte, and scores the maximum.

The maximum under the `toolrl` preset is 4.0 (format 1 + correctness 3) when the reference
calls tools. A response-only reference scores 1.0, its maximum: ToolRL gives correctness
0 whenever the reference has no call, whatever the completion (ToolRL's correctness rule).
"""

import json

import pytest

from toolzero.data.report import DataReport
from toolzero.data.sources import load_source
from toolzero.protocol import render_dialogue, render_system_prompt, toolrl_prompt_messages


@pytest.fixture(scope="module")
def rlla(shared_data):
    path = shared_data / "toolrl" / "rlla_sft.json"
    report = DataReport()
    examples = load_source(str(path), report=report)
    return json.loads(path.read_text()), examples, report


def max_total(reference: str) -> float:
    return 4.0 if "<tool_call>" in reference.split("</think>")[-1] else 1.0


def test_every_rlla_row_loads(rlla):
    rows, examples, report = rlla
    assert report.total_rejected == 0
    assert len(examples) == len(rows) == 400


def test_rlla_renders_back_byte_exact(rlla):
    rows, examples, _ = rlla
    for row, example in zip(rows, examples, strict=True):
        assert example.system is None, example.id  # tools parsed, not kept verbatim
        assert render_system_prompt(example.tools) == row["instruction"], example.id
        assert render_dialogue(example.messages) == row["input"], example.id
        assert example.reference_text() == row["output"]


def test_rlla_references_score_the_maximum(rlla):
    from toolzero.rewards import get_preset

    preset = get_preset("toolrl")
    rows, examples, _ = rlla
    totals = [preset.score(e.reference_text(), e.reference_text())["total"] for e in examples]
    assert totals == [max_total(r["output"]) for r in rows]
    assert totals.count(4.0) == 346  # 341 call-only + 5 call-and-response rows


def test_rlla_multi_turn_history_is_structured(rlla):
    _, examples, _ = rlla
    multi = [e for e in examples if len(e.messages) > 1]
    assert len(multi) >= 37  # the data's README counts 37 multi-turn rows
    assistant_turns = [m for e in multi for m in e.messages if m.role == "assistant"]
    assert assistant_turns and all(m.reasoning for m in assistant_turns)
    assert any(m.tool_calls for m in assistant_turns)


def test_verl_parquet_round_trip(shared_data):
    import pyarrow.parquet as pq

    path = shared_data / "toolrl" / "rlla_test.parquet"
    rows = pq.read_table(path).to_pylist()
    report = DataReport()
    examples = load_source(str(path), report=report)
    assert report.total_rejected == 0 and len(examples) == len(rows) == 80
    for row, example in zip(rows, examples, strict=True):
        messages = toolrl_prompt_messages(example)
        assert [m["content"] for m in messages] == [m["content"] for m in row["prompt"]]
        assert example.reference_text() == row["reward_model"]["ground_truth"]


def test_glaive_loads_with_its_tool_calls_intact(shared_data):
    path = shared_data / "glaive" / "glaive_toolcall_en_demo.json"
    rows = json.loads(path.read_text())
    report = DataReport()
    examples = load_source(str(path), report=report)
    assert report.total_rejected == 0
    expected = [
        json.loads(t["value"])
        for r in rows
        for t in r["conversations"]
        if t["from"] == "function_call"
    ]
    got = [c for e in examples for c in e.reference_calls]
    assert len(got) == len(expected) == 211
    assert [(c.name, c.arguments) for c in got] == [(x["name"], x["arguments"]) for x in expected]
    tool_names = {t.name for e in examples for t in e.tools}
    assert all(c.name in tool_names for c in got)
