"""BFCL aggregates (each labelled definition), per-item storage, resume bookkeeping, reports."""

from __future__ import annotations

import json

import pytest

from toolzero.evaluation.bfcl.summary import aggregates, bfcl_eval_sections
from toolzero.evaluation.report import compare_runs, headline_metrics, render_report
from toolzero.evaluation.results import ItemStore, RunManifest, clip_text


def cat(correct, total, size=None):
    return {
        "correct": correct,
        "total": total,
        "size": size or total,
        "accuracy": correct / total,
        "complete": total == (size or total),
    }


FULL = {
    "simple_python": cat(300, 400),
    "simple_java": cat(50, 100),
    "simple_javascript": cat(25, 50),
    "multiple": cat(100, 200),
    "parallel": cat(50, 200),
    "parallel_multiple": cat(150, 200),
    "irrelevance": cat(240, 240),
    "live_simple": cat(129, 258),
    "live_multiple": cat(0, 1053),
    "live_parallel": cat(16, 16),
    "live_parallel_multiple": cat(0, 24),
    "live_irrelevance": cat(884, 884),
    "live_relevance": cat(0, 16),
    "multi_turn_base": cat(100, 200),
    "multi_turn_miss_func": cat(0, 200),
    "multi_turn_miss_param": cat(50, 200),
    "multi_turn_long_context": cat(0, 200),
}


def test_aggregates_follow_their_definitions():
    agg = aggregates(FULL)
    simple = (0.75 + 0.5 + 0.5) / 3
    non_live = (simple + 0.5 + 0.25 + 0.75 + 1.0) / 5
    live = (129 + 0 + 16 + 0 + 884 + 0) / (258 + 1053 + 16 + 24 + 884 + 16)
    multi = (0.5 + 0 + 0.25 + 0) / 4
    expected = {
        "simple": simple,
        "non_live": non_live,
        "live": live,
        "multi_turn": multi,
        "overall_v3": (non_live + live + multi) / 3,
        "overall_non_live_live": (non_live + live) / 2,
    }
    for name, value in expected.items():
        assert agg[name]["accuracy"] == pytest.approx(value), name
        assert agg[name]["complete"] and agg[name]["definition"]
    sections = bfcl_eval_sections(FULL)
    assert sections["non_live_ast"]["accuracy"] == pytest.approx((simple + 0.5 + 0.25 + 0.75) / 4)
    assert sections["live_ast"]["accuracy"] == pytest.approx(145 / (258 + 1053 + 16 + 24))
    assert sections["hallucination_irrelevance"]["accuracy"] == pytest.approx(1.0)


def test_partial_runs_are_marked():
    agg = aggregates({"simple_python": cat(1, 2, size=400), "live_simple": cat(1, 1, size=258)})
    assert agg["non_live"]["complete"] is False
    assert agg["non_live"]["missing"] == [
        "irrelevance",
        "multiple",
        "parallel",
        "parallel_multiple",
    ]
    assert agg["simple"]["partial"] == ["simple_python"]
    assert agg["multi_turn"] is None
    assert agg["overall_v3"]["missing"] == ["multi_turn"]


def test_item_store_resumes_and_repairs_a_cut_line(tmp_path):
    store = ItemStore(tmp_path / "b" / "items.jsonl")
    store.append([{"id": "a", "valid": True}, {"id": "b", "valid": False}])
    with open(store.path, "a") as f:
        f.write('{"id": "c", "val')  # killed mid-write
    again = ItemStore(store.path)
    assert again.done_ids() == {"a", "b"}
    again.append([{"id": "c", "valid": True}])
    assert [r["id"] for r in again.load()] == ["a", "b", "c"]


def test_manifest_refuses_a_different_run(tmp_path):
    RunManifest("m", "hf", "toolrl", max_new_tokens=8).check_or_write(tmp_path)
    RunManifest("m", "hf", "toolrl", max_new_tokens=8).check_or_write(tmp_path)  # same run: fine
    with pytest.raises(ValueError, match=r"protocol: 'toolrl' -> 'native'"):
        RunManifest("m", "hf", "native", max_new_tokens=8).check_or_write(tmp_path)
    with pytest.raises(ValueError, match=r"keep_stop: False -> True"):
        RunManifest("m", "hf", "toolrl", max_new_tokens=8, keep_stop=True).check_or_write(tmp_path)


def test_manifest_written_before_keep_stop_existed_still_resumes(tmp_path):
    manifest = RunManifest("m", "hf", "toolrl", stop=["</x>"])
    old = manifest.to_dict()
    del old["keep_stop"]
    (tmp_path / "run.json").write_text(json.dumps(old))  # the manifest's name back then
    with pytest.raises(ValueError, match=r"protocol: 'toolrl' -> 'native'"):
        RunManifest("m", "hf", "native", stop=["</x>"]).check_or_write(tmp_path)
    manifest.check_or_write(tmp_path)  # absent means the default: the same run
    assert json.loads((tmp_path / "manifest.json").read_text())["keep_stop"] is False


def test_clip_text_keeps_size():
    assert clip_text("x" * 30, 10).endswith("[cut: 30 characters in all]")
    assert clip_text("short") == "short"


def _summary(acc):
    bfcl = {
        "categories": {"simple_python": cat(int(acc * 10), 10, 400)},
        "aggregates": aggregates({"simple_python": cat(int(acc * 10), 10, 400)}),
        "error_types": {"ast_decoder:no_function_call": 3},
        "data": "d",
        "items_file": "x",
        "timing": {},
    }
    synthetic = {
        "n": 4,
        "format_valid": acc,
        "right_tools": acc,
        "exact_match": acc,
        "reward_mean": -1.0 + acc,
        "reward_preset": "toolrl",
        "seed": 0,
        "timing": {},
    }
    return {
        "run": {"model": "m", "protocol": "toolrl"},
        "benchmarks": {"bfcl": bfcl, "synthetic": synthetic},
    }


def test_report_and_compare(tmp_path):
    text = render_report(_summary(0.5))
    assert "| simple_python | 50.00 | 5 / 10 | 400 |" in text
    assert "partial" in text and "`ast_decoder:no_function_call` 3" in text
    for name, acc in (("a", 0.2), ("b", 0.6)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "summary.json").write_text(json.dumps(_summary(acc)))
    table = compare_runs(tmp_path / "a", tmp_path / "b")
    assert "| bfcl/simple_python | 20.00 | 60.00 | +40.00 |" in table
    assert "| synthetic/reward_mean | -0.80 | -0.40 | +0.40 |" in table
    assert headline_metrics(_summary(0.5))["synthetic/exact_match"] == 0.5
