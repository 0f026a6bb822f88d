"""The quickstart pipeline end to end on the tiny model: evaluate, train, evaluate, report,
with the generalization view (an unfamiliar-tool slice before and after) when its data is
here, and a clear skip line when it is not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolzero.evaluation.report import compare_runs
from toolzero.quickstart import run_quickstart

from .conftest import QUICKSTART, tiny_overrides

VIEW_TITLE = "## Generalization: unfamiliar tools (hammer:sealtool, first 2 items)"
# Hammer's Seal-Tools format (see the shared data README): a JSON list of {"query", "tools",
# "answers"}, `required` beside `parameters`, answers as {"tool", "parameters"}.
SEALTOOL_ROWS = [
    {
        "query": f"What is the status of asset {asset}?",
        "tools": [
            {
                "name": "getAssetStatus",
                "description": "Retrieve the current status of an asset",
                "parameters": {"asset_id": {"type": "str", "description": "the asset's id"}},
                "required": ["asset_id"],
            },
            {"name": "getRandomPoetry", "description": "A random poem", "parameters": {}},
        ],
        "answers": [{"tool": "getAssetStatus", "parameters": {"asset_id": asset}}],
    }
    for asset in ("A1", "B2", "C3")
]


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An empty toolzero cache (the tiny model needs none), and no network at all."""

    def forbidden(*args, **kwargs):
        raise AssertionError(f"the quickstart tried the network: {args}")

    monkeypatch.setenv("TOOLZERO_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr("urllib.request.urlopen", forbidden)


def test_quickstart_writes_evaluations_metrics_and_report(
    tiny_model: Path, tmp_path: Path, offline: None, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "quick"
    overrides = [
        *tiny_overrides(tiny_model, out),
        "evaluation.limit=2",
        "evaluation.max_new_tokens=8",
        "evaluation.unfamiliar_limit=2",
    ]
    report = run_quickstart(QUICKSTART, overrides)
    assert report == out / "report.md"
    evaluation = json.loads((out / "evaluation.json").read_text())
    for when in ("before", "after"):
        synthetic = evaluation[when]["benchmarks"]["synthetic"]
        assert synthetic["n"] == 2 and synthetic["split"] == "heldout"
        # answers end where training ends them: at the recipe's stop strings, kept
        manifest = json.loads((out / f"eval-{when}" / "manifest.json").read_text())
        assert manifest["stop"] == ["</tool_call>", "</response>"] and manifest["keep_stop"]
    text = report.read_text()
    assert "## Evaluation before and after training" in text
    assert "| synthetic.exact_match (%) |" in text and "| synthetic.right_tools (%) |" in text
    assert "| synthetic.reward_components.correctness (toolrl) |" in text
    assert "| quick | format |" in text and "(plots/reward_format.png)" in text
    status = json.loads((out / "run.json").read_text())
    assert status["quickstart_wall_s"] > 0 and status["quickstart_peak_rss_mb"] > 0
    # training's CPU time is written, and the report shows it
    assert 0 < status["cpu_s"] <= status["quickstart_cpu_s"]
    assert f"- training CPU time, user + system (s): {status['cpu_s']}" in text
    # Seal-Tools is neither in a local folder nor in the cache: the view is skipped, with
    # one line in the log and one in the report naming the command and the recipe field
    # that enable it; nothing was downloaded (no network) and no view folder was written.
    how = (
        f"hammer:sealtool is not on this machine (the quickstart never downloads); fetch it "
        f"once with `toolzero eval --model {tiny_model} --bench hammer:sealtool --limit 1 "
        "--out runs/fetch-hammer`"
    )
    logged = [line for line in capsys.readouterr().out.splitlines() if "generalization" in line]
    assert len(logged) == 1 and logged[0].startswith(f"generalization view skipped: {how}")
    assert "evaluation.data_dirs.hammer" in logged[0]
    lines = text.splitlines()
    view = lines.index(VIEW_TITLE)
    assert lines[view + 2].startswith(f"Skipped: {how}")
    assert evaluation["unfamiliar"]["skipped"] in lines[view + 2]
    assert not (out / "eval-before-unfamiliar").exists()
    assert not (out / "eval-after-unfamiliar").exists()


def test_quickstart_with_a_local_hammer_folder_shows_the_generalization_view(
    tiny_model: Path, tmp_path: Path, offline: None
) -> None:
    hammer = tmp_path / "hammer"
    hammer.mkdir()
    (hammer / "sealtool.json").write_text(json.dumps(SEALTOOL_ROWS))
    out = tmp_path / "quick"
    overrides = [
        *tiny_overrides(tiny_model, out),
        "evaluation.limit=2",
        "evaluation.max_new_tokens=8",
        "evaluation.unfamiliar_limit=2",
        f"evaluation.data_dirs.hammer={hammer}",
    ]
    text = run_quickstart(QUICKSTART, overrides).read_text()
    view = json.loads((out / "evaluation.json").read_text())["unfamiliar"]
    assert (view["bench"], view["limit"]) == ("hammer:sealtool", 2) and "skipped" not in view
    synthetic_manifest = json.loads((out / "eval-before" / "manifest.json").read_text())
    for when in ("before", "after"):
        folder = out / f"eval-{when}-unfamiliar"
        sealtool = view[when]["benchmarks"]["hammer"]["sets"]["sealtool"]
        assert sealtool["items"] == 2  # the fixed slice: the first 2 of the file's 3 rows
        rows = [json.loads(r) for r in (folder / "hammer" / "items.jsonl").read_text().splitlines()]
        assert sorted(r["id"] for r in rows) == ["sealtool-0", "sealtool-1"]
        # the held-out evaluation's generation settings: the recipe's protocol, prefill and
        # stop strings (kept), the evaluation section's token limit
        manifest = json.loads((folder / "manifest.json").read_text())
        expected = {"protocol": "compact", "prefill": "<think>", "max_new_tokens": 8}
        expected |= {"stop": ["</tool_call>", "</response>"], "keep_stop": True}
        assert {k: manifest[k] for k in expected} == expected
        assert {k: synthetic_manifest[k] for k in expected} == expected
    # the report: the view right after the held-out table, with the suite's headline metrics
    assert text.index("## Evaluation before and after training") < text.index(VIEW_TITLE)
    for metric in ("api_f1", "param_f1", "exact_match"):
        assert f"| hammer/sealtool/{metric} (%) |" in text
    # `eval compare` reads the two folders
    table = compare_runs(out / "eval-before-unfamiliar", out / "eval-after-unfamiliar")
    assert "| hammer/sealtool/api_f1 |" in table and "| hammer/sealtool/exact_match |" in table
