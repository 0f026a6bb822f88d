"""Every format loader on small fixtures of its shape (tests/data/fixtures), malformed rows
reported with source, row and reason, and format detection."""

from pathlib import Path

import pytest

from toolzero.data.report import DataReport, RowError
from toolzero.data.sources import detect_format, load_source
from toolzero.data.sources.bfcl import answer_calls
from toolzero.data.sources.python_calls import parse_python_calls
from toolzero.protocol.types import ToolCall

FIXTURES = Path(__file__).parent / "fixtures"

# (file, format or None to detect, example ids, first reference call, rejections as "row: reason")
CASES = [
    (
        "toolace.json",
        None,
        ["toolace-0-t1", "toolace-0-t3", "toolace-1"],
        ToolCall("Currency Rate", {"base": "USD", "target": "EUR"}),
        ["toolace row 2: unparseable call list", "toolace row 3: no tool list in system text"],
    ),
    (
        "xlam.json",
        None,
        ["xlam-1", "xlam-2", "xlam-4"],
        ToolCall("get_dividends", {"symbol": "MSFT", "limit": 5}),
        ["xlam row 2: invalid JSON in answers"],
    ),
    ("hammer.jsonl", "hammer", ["hammer-10", "hammer-11"], None, []),
    (
        "glaive_v2.json",
        None,
        ["glaive-0-t1", "glaive-0-t3", "glaive-1"],
        ToolCall("calculate_bmi", {"weight": 70, "height": 1.75}),
        ["glaive row 2: unparseable function call arguments"],
    ),
    (
        "openai.jsonl",
        None,
        ["openai-0-t2", "openai-0-t4"],
        ToolCall("get_time", {"city": "Tokyo"}),
        ["openai row 1: malformed message", "openai row 2: invalid JSON line"],
    ),
    (
        "bfcl/BFCL_v4_simple_python.json",
        "bfcl",
        ["bfcl-simple_python_0"],
        ToolCall("geometry.circle_area", {"radius": 3}),
        ["bfcl row 1: multi-turn BFCL entry (not supported)"],
    ),
]


@pytest.mark.parametrize(("name", "fmt", "ids", "first_call", "rejected"), CASES)
def test_fixture_loads_and_reports_bad_rows(name, fmt, ids, first_call, rejected):
    report = DataReport()
    examples = load_source(str(FIXTURES / name), fmt, report=report)
    assert [e.id for e in examples] == ids
    if first_call is not None:
        assert examples[0].reference_calls[0] == first_call
    described = [s.describe() for s in report.samples]
    assert len(described) == len(rejected)
    for got, want in zip(described, rejected, strict=True):
        assert got.startswith(want)


def test_multi_turn_rows_give_one_example_per_assistant_turn():
    examples = load_source(str(FIXTURES / "toolace.json"))
    answer = examples[1]  # the turn after the tool result
    assert [m.role for m in answer.messages] == ["user", "assistant", "tool"]
    assert answer.messages[1].tool_calls[0].name == "Currency Rate"
    assert answer.messages[1].reasoning  # ToolRL's placeholder thought for past calls
    assert answer.reference_response == "One US dollar is 0.92 euros."


@pytest.mark.parametrize(
    ("turns", "ids"), [("last", ["toolace-0", "toolace-1"]), ("first", ["toolace-0", "toolace-1"])]
)
def test_turn_selection(turns, ids):
    examples = load_source(str(FIXTURES / "toolace.json"), turns=turns)
    assert [e.id for e in examples] == ids
    assert bool(examples[0].reference_calls) == (turns == "first")


def test_hammer_empty_answers_become_irrelevance_responses():
    examples = load_source(str(FIXTURES / "hammer.jsonl"), "hammer")
    assert examples[0].reference_calls == () and examples[0].reference_response
    assert examples[0].metadata["irrelevance"] is True
    assert examples[1].reference_calls[0].name == "is_palindrome"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"instruction": "", "input": "", "output": ""}, "toolrl"),
        ({"prompt": [], "reward_model": {}}, "verl"),
        ({"query": "q", "tools": "[]", "answers": "[]"}, "xlam"),
        ({"system": "s", "conversations": [{"from": "user", "value": "x"}]}, "toolace"),
        ({"conversations": [{"from": "human", "value": "x"}], "tools": "[]"}, "sharegpt"),
        ({"system": "s", "chat": "USER: x"}, "glaive"),
        ({"messages": []}, "openai"),
        ({"id": "x", "question": [], "function": []}, "bfcl"),
        ({"id": "x", "tools": [], "messages": [], "reference_calls": []}, "example"),
        ({"text": "plain"}, None),
        ("not a dict", None),
    ],
)
def test_detect_format(row, expected):
    assert detect_format(row) == expected


def test_unrecognised_rows_are_reported_not_raised(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"query": "q", "tools": "[]", "answers": "[]"}\n{"text": "odd"}\n[1, 2]\n')
    report = DataReport()
    examples = load_source(str(path), report=report)
    assert len(examples) == 1
    # the first row fixes the format; later rows are checked against it
    assert report.rejected == {"missing query": 1, "unrecognised row format": 1}
    assert all(s.source == "xlam" for s in report.samples)
    assert {s.row for s in report.samples} == {1, 2}


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        load_source(str(tmp_path / "nope.json"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[f()]", (ToolCall("f", {}),)),
        ('[Get Weather(city="Oslo")]', (ToolCall("Get Weather", {"city": "Oslo"}),)),
        (
            "[a.b(x=[1, 2], y={'k': (1)}), c(z=True)]",
            (ToolCall("a.b", {"x": [1, 2], "y": {"k": 1}}), ToolCall("c", {"z": True})),
        ),
        ("[f(s='a, b) c')]", (ToolCall("f", {"s": "a, b) c"}),)),
    ],
)
def test_parse_python_calls(text, expected):
    assert parse_python_calls(text) == expected


@pytest.mark.parametrize("text", ["f(x=1)", "[f(x=1]", "[f(1)]", "[f(x=y)]", "[]"])
def test_parse_python_calls_rejects(text):
    with pytest.raises(RowError):
        parse_python_calls(text)


def test_bfcl_answers_take_the_first_allowed_value():
    assert answer_calls([{"f": {"a": [2, 3], "b": ["", "x"], "c": [[1, 2]]}}]) == (
        ToolCall("f", {"a": 2, "c": [1, 2]}),
    )


def test_bfcl_package_categories():
    pytest.importorskip("bfcl_eval", reason="bfcl-eval is not installed")
    report = DataReport()
    examples = load_source("parallel_multiple", "bfcl", report=report)
    assert len(examples) == 200 and report.total_rejected == 0
    assert all(len(e.reference_calls) >= 2 for e in examples)
    irrelevant = load_source("irrelevance", "bfcl", limit=5)
    assert len(irrelevant) == 5 and all(
        e.reference_response and not e.reference_calls for e in irrelevant
    )
