"""The `file` benchmark: any dataset `toolzero data` loads, scored per item.

Expected verdicts follow from the definitions, computed here: exact match is the multiset
of calls equal to the reference's after BFCL's value normalisation (strings lower-cased,
without spaces and `,./-_*^`); right tools is the multiset of called names; no-call
correctness is "calls nothing exactly when the reference calls nothing"; an unparsable
answer is wrong on every measure. (The run/resume/report/compare path of `file` is in
`test_eval_registry.py`, table-driven over the registry.)
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from toolzero.cli import main
from toolzero.data.report import DataReport
from toolzero.evaluation.file_bench import FILE
from toolzero.evaluation.registry import BenchOptions
from toolzero.evaluation.report import headline_metrics, render_report
from toolzero.protocol import render_toolrl_output
from toolzero.protocol.types import ToolCall

WEATHER = {"name": "get_weather", "description": "weather", "parameters": {
    "city": {"type": "string", "description": "city"},
    "unit": {"type": "string", "description": "unit"},
}}  # fmt: skip
ADD = {"name": "add", "description": "sum", "parameters": {
    "a": {"type": "integer", "description": "a"}, "b": {"type": "integer", "description": "b"},
}}  # fmt: skip
GOLD = {  # row -> the reference calls (row 3 is a bad row: it has no query)
    0: [{"name": "get_weather", "arguments": {"city": "New York", "unit": "celsius"}}],
    1: [{"name": "add", "arguments": {"a": 1, "b": 2}}],
    2: [],  # no offered tool fits: the right answer calls nothing
    4: [{"name": "add", "arguments": {"a": 3, "b": 4}}, {"name": "add", "arguments": {"a": 5, "b": 6}}],
}  # fmt: skip


@pytest.fixture
def rows_file(tmp_path: Path) -> Path:
    """Five xLAM rows (`query`, `tools`, `answers` as JSON text); row 3 lacks its query."""
    lines = []
    for row in range(5):
        record = {"query": f"question {row}", "tools": json.dumps([WEATHER, ADD])}
        record["answers"] = json.dumps(GOLD.get(row, []))
        if row == 3:
            del record["query"]
        lines.append(json.dumps(record))
    path = tmp_path / "mine.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def normalize(value):
    """BFCL's rule, written out: strings lower-cased without spaces and ,./-_*^."""
    if isinstance(value, str):
        return re.sub(r"[ ,./\-_*^]", "", value.lower())
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return value


def expected(gold: list[dict], calls: list[dict] | None) -> dict[str, bool]:
    if calls is None:  # unparsable: wrong on every measure
        return {"exact_match": False, "right_tools": False, "no_call_correct": False}

    def key(call):
        return json.dumps([call["name"], normalize(call["arguments"])], sort_keys=True)

    return {
        "exact_match": Counter(map(key, calls)) == Counter(map(key, gold)),
        "right_tools": Counter(c["name"] for c in calls) == Counter(c["name"] for c in gold),
        "no_call_correct": (not calls) == (not gold),
    }


def answer(calls: list[dict]) -> str:
    if not calls:
        return "<think> none fits </think>\n<response> No tool can do that. </response>"
    return render_toolrl_output("x", [ToolCall(c["name"], c["arguments"]) for c in calls], None)


def score(path: Path, predictions: list[dict], out: Path) -> dict:
    preds = out.parent / f"{out.name}-preds.jsonl"
    preds.write_text("".join(json.dumps(p) + "\n" for p in predictions))
    args = ["eval", "score", "--bench", f"file:{path}", "--predictions", str(preds)]
    assert main([*args, "--out", str(out)]) == 0
    return json.loads((out / "summary.json").read_text())


def bench_summary(summary: dict) -> dict:
    return summary["benchmarks"]["file"]


def item_rows(out: Path) -> dict[str, dict]:
    lines = (out / "file" / "items.jsonl").read_text().splitlines()
    return {r["id"]: r for r in map(json.loads, lines)}


def test_ids_come_from_the_file_stem_and_row_and_a_bad_row_is_reported(rows_file):
    report = DataReport()
    groups = FILE.load([str(rows_file)], BenchOptions(), None, report)
    assert [i.id for i in groups[str(rows_file)]] == ["mine-0", "mine-1", "mine-2", "mine-4"]
    assert report.total_rejected == 1
    assert "mine row 3: missing query" in report.summary()["rejected_examples"]


def test_right_answers_score_full_marks(rows_file, tmp_path):
    predictions = [{"id": f"mine-{r}", "completion": answer(g)} for r, g in GOLD.items()]
    summary = score(rows_file, predictions, tmp_path / "right")
    metrics = headline_metrics(summary)
    for name in ("exact_match", "right_tools", "no_call_correct", "no_call_accuracy"):
        assert metrics[f"file/{name}"] == 1.0
    assert bench_summary(summary)["no_call_items"] == 1  # row 2
    rejected = bench_summary(summary)["rejected_rows"]
    assert rejected["rejected_total"] == 1  # the bad row is named; the other four ran
    report = render_report(summary)
    assert "## Any dataset (file)" in report and "mine row 3: missing query" in report


VARIANTS = {  # row -> (what the model calls, or None for an unparsable answer)
    "right, values in another case and spacing": (0, [
        {"name": "get_weather", "arguments": {"city": "new york", "unit": "Celsius"}}]),
    "wrong value": (1, [{"name": "add", "arguments": {"a": 1, "b": 3}}]),
    "extra call": (4, GOLD[4] + [{"name": "add", "arguments": {"a": 7, "b": 8}}]),
    "wrong name": (1, [{"name": "get_weather", "arguments": {"a": 1, "b": 2}}]),
    "no call where one is needed": (0, []),
    "a call where none is needed": (2, GOLD[1]),
    "no call where none is needed": (2, []),
    "unparsable": (1, None),
    "unparsable where none is needed": (2, None),  # a broken call block is no "no call"
}  # fmt: skip


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_answer_variant_scores_as_the_rules_say(variant, rows_file, tmp_path):
    row, calls = VARIANTS[variant]
    text = "<think> x </think>\n<tool_call>\n{not json\n</tool_call>" if calls is None else answer(calls)
    score(rows_file, [{"id": f"mine-{row}", "completion": text}], tmp_path / "o")
    got = item_rows(tmp_path / "o")[f"mine-{row}"]
    want = expected(GOLD[row], calls)
    assert {k: got[k] for k in want} == want
    assert got["valid"] == want["exact_match"]
    assert got["unparsable"] == (calls is None)
    assert bool(got["reason"]) == (not want["exact_match"])


def test_calls_rows_score_like_text(rows_file, tmp_path):
    predictions = [
        {"id": "mine-1", "calls": GOLD[1]},
        {"id": "mine-4", "calls": GOLD[4][:1]},  # a missing call
    ]
    summary = score(rows_file, predictions, tmp_path / "o")
    rows = item_rows(tmp_path / "o")
    assert rows["mine-1"]["exact_match"] and not rows["mine-4"]["exact_match"]
    assert bench_summary(summary)["exact_match"] == 0.5
    assert "reward_mean" in bench_summary(summary) and bench_summary(summary)["reward_preset"] == "toolrl"


def test_a_prepared_folder_evaluates_its_eval_split(rows_file, tmp_path):
    from toolzero.data.dataset import save_prepared
    from toolzero.data.sources import load_source

    examples = load_source(str(rows_file), "xlam", source="mine")
    folder = save_prepared(tmp_path / "prep", examples[:1], examples[1:], {})
    groups = FILE.load([str(folder)], BenchOptions(), None, DataReport())
    assert [i.id for i in groups[str(folder)]] == ["mine-1", "mine-2", "mine-4"]


def test_the_glaive_sample_scores_its_references_as_exact(shared_data, tmp_path):
    path = shared_data / "glaive" / "glaive_toolcall_en_demo.json"
    if not path.exists():
        pytest.skip(f"{path} not present")
    items = FILE.load([str(path)], BenchOptions(), 30, DataReport())[str(path)]
    predictions = [{"id": i.id, "completion": i.data[0].reference_text()} for i in items]
    summary = bench_summary(score(path, predictions, tmp_path / "g"))
    needing = sum(bool(i.data[0].reference_calls) for i in items)
    assert 0 < needing < len(items)  # the slice has both kinds of turns
    assert summary["n"] == len(items) and summary["exact_match"] == 1.0
    assert summary["no_call_items"] == len(items) - needing
    assert summary["no_call_correct"] == 1.0
