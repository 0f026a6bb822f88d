"""Downloading off (`BenchOptions(download=False)`, as the quickstart runs): a benchmark that
fetches its files reads a local folder or toolzero's cache and never the network; a file in
neither is a `NotDownloadedError` naming its URL, raised by the check before any model loads.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from toolzero.evaluation import (
    BenchOptions,
    GenerationSettings,
    NotDownloadedError,
    evaluate,
    get_benchmark,
    parse_benches,
)

from .eval_fakes import PlainTokenizer, ScriptedBackend

OFFLINE = BenchOptions(download=False)
# Benchmark spec -> the files it needs, relative to toolzero's cache (each module's layout).
CACHED_FILES = {
    "hammer:sealtool": ["hammer/sealtool.json"],
    "acebench:normal_atom_bool": [
        "acebench/en/data_normal_atom_bool.json",
        "acebench/en/possible_answer/data_normal_atom_bool.json",
    ],
    "when2call": ["when2call/when2call_test_llm_judge.jsonl"],
}
SEALTOOL_ROWS = [  # Seal-Tools' shape: `required` beside `parameters`, `tool`/`parameters` answers
    {
        "query": "What is the status of asset A1?",
        "tools": [
            {
                "name": "getAssetStatus",
                "description": "Status of an asset",
                "parameters": {"asset_id": {"type": "str", "description": "the asset"}},
                "required": ["asset_id"],
            },
            {"name": "getRandomPoem", "description": "A random poem", "parameters": {}},
        ],
        "answers": [{"tool": "getAssetStatus", "parameters": {"asset_id": "A1"}}],
    },
    {
        "query": "Read me any poem.",
        "tools": [{"name": "getRandomPoem", "description": "A random poem", "parameters": {}}],
        "answers": [{"tool": "getRandomPoem", "parameters": {}}],
    },
]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty toolzero cache, and any network access fails the test."""

    def forbidden(*args, **kwargs):
        raise AssertionError(f"network access with downloading off: {args}")

    cache = tmp_path / "cache"
    monkeypatch.setenv("TOOLZERO_CACHE", str(cache))
    monkeypatch.setattr("urllib.request.urlopen", forbidden)
    return cache


def check(spec: str, options: BenchOptions) -> None:
    for name, sub in parse_benches(spec).items():
        get_benchmark(name).check_inputs(sub, options)


@pytest.mark.parametrize("spec", CACHED_FILES)
def test_nothing_cached_is_not_downloaded_and_says_so(no_network: Path, spec: str) -> None:
    with pytest.raises(NotDownloadedError, match=r"https://\S+ is not in toolzero's cache"):
        check(spec, OFFLINE)
    assert not no_network.exists() or not any(no_network.rglob("*.json*"))


@pytest.mark.parametrize("spec", CACHED_FILES)
def test_a_cached_file_is_enough(no_network: Path, spec: str) -> None:
    for relative in CACHED_FILES[spec]:
        (no_network / relative).parent.mkdir(parents=True, exist_ok=True)
        (no_network / relative).write_text("[]\n")
    check(spec, OFFLINE)  # no error, no network


def test_a_local_folder_needs_no_cache(no_network: Path, tmp_path: Path) -> None:
    folder = tmp_path / "hammer"
    folder.mkdir()
    (folder / "sealtool.json").write_text(json.dumps(SEALTOOL_ROWS))
    check("hammer:sealtool", BenchOptions(data_dirs={"hammer": str(folder)}, download=False))
    with pytest.raises(NotDownloadedError):
        check("hammer:toolalpaca", OFFLINE)  # another set, not in the cache either


def test_an_offline_run_reads_the_cache(
    no_network: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (no_network / "hammer").mkdir(parents=True)
    (no_network / "hammer" / "sealtool.json").write_text(json.dumps(SEALTOOL_ROWS))
    answer = (
        "<think> asset status </think>\n<tool_call>\n"
        '{"name": "getAssetStatus", "arguments": {"asset_id": "A1"}}\n</tool_call>'
    )
    backend = ScriptedBackend(lambda prompt: answer)
    monkeypatch.setattr(
        "toolzero.evaluation.runner.make_backend", lambda *a, **k: (backend, PlainTokenizer())
    )
    model = (SimpleNamespace(name_or_path="scripted"), PlainTokenizer())
    settings = GenerationSettings(max_new_tokens=8)
    summary = evaluate(
        model, ["hammer:sealtool"], tmp_path / "out", settings=settings, options=OFFLINE
    )
    sealtool = summary["benchmarks"]["hammer"]["sets"]["sealtool"]
    # Row 0 is answered exactly, row 1 (getRandomPoem) with the wrong tool. By Hammer's
    # rules: 1 of 2 predicted calls names a label tool (API P = R = F1 = 1/2); parameters:
    # 1 gold with a value (asset_id), 2 predicted (asset_id twice), 1 hit (row 0; row 1's
    # call has no same-name label call), so P = 1/2, R = 1, F1 = 2/3.
    assert sealtool["items"] == 2
    assert sealtool["api"]["f1"] == pytest.approx(0.5)
    assert sealtool["param"]["f1"] == pytest.approx(2 / 3)
    assert sealtool["exact_match"]["accuracy"] == pytest.approx(0.5)
