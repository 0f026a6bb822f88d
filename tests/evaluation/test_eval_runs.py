"""End to end: `evaluate` and `toolzero eval` with the tiny local model; resume after interruption."""

from __future__ import annotations

import json
import re

import pytest

from toolzero.cli import main
from toolzero.errors import UserError
from toolzero.evaluation import (
    BENCHMARKS,
    BenchOptions,
    GenerationSettings,
    evaluate,
    parse_benches,
)
from toolzero.evaluation.bfcl.bench import run_bfcl
from toolzero.evaluation.generation import ModelUnderTest

from .eval_fakes import PlainTokenizer, ScriptedBackend


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    path = tmp_path_factory.mktemp("docs") / "docs.jsonl"
    path.write_text('{"title": "Citibank", "text": "Citibank was founded in 1812."}\n')
    return path


# Every registered benchmark: its --bench spec and the count of items `limit=2` runs.
TINY_BENCHES = {
    "bfcl": ("bfcl:simple_python,irrelevance", lambda s: s["categories"]["simple_python"]["total"] + s["categories"]["irrelevance"]["total"], 4),
    "api_bank": ("api_bank:1", lambda s: s["levels"]["level1"]["total"], 2),
    "bamboogle": ("bamboogle", lambda s: s["n"], 2),
    "synthetic": ("synthetic", lambda s: s["n"], 2),
    "hammer": ("hammer:sealtool,apibank_l1", lambda s: sum(x["items"] for x in s["sets"].values()), 4),
    "acebench": ("acebench:normal_atom_bool,special_irrelevant", lambda s: s["overall"]["items"], 4),
    "file": ("file:{shared}/glaive/glaive_toolcall_en_demo.json", lambda s: s["n"], 2),
    "when2call": ("when2call", lambda s: s["items"], 2),
    "env": ("env:synthetic_world", lambda s: s["n"], 2),
}  # fmt: skip


def test_the_tiny_model_table_covers_the_registry():
    assert set(TINY_BENCHES) == set(BENCHMARKS)


@pytest.mark.slow  # ~10 s on an idle machine, more on a loaded one
def test_evaluate_tiny_model_on_every_benchmark(tiny_model_path, shared_data, bfcl, docs, tmp_path):
    pytest.importorskip("toolzero.data.synthetic", reason="synthetic data generator not present")
    out = tmp_path / "eval"
    options = BenchOptions(
        data_dirs={
            "api_bank": str(shared_data / "toolrl"),
            "hammer": str(shared_data / "hammer"),
            "acebench": str(shared_data / "acebench"),
            "when2call": str(shared_data / "when2call"),
        },
        search_index=str(docs),
        bamboogle_file=str(shared_data / "toolrl" / "bamboogle.json"),
        synthetic_n=2,
    )
    benches = [spec.format(shared=shared_data) for spec, _, _ in TINY_BENCHES.values()]
    settings = GenerationSettings(prefill="<think>", max_new_tokens=6)
    summary = evaluate(
        str(tiny_model_path), benches, out, limit=2, settings=settings, batch_size=4, options=options
    )
    assert summary["run"]["protocol"] == "toolrl" and summary["run"]["prefill"] == "<think>"
    for name, (_, count, expected) in TINY_BENCHES.items():
        assert count(summary["benchmarks"][name]) == expected, name
        assert (out / name / "items.jsonl").is_file(), name
    bfcl_cats = summary["benchmarks"]["bfcl"]["categories"]
    for name in ("summary.json", "report.md", "bfcl_categories.png", "manifest.json"):
        assert (out / name).is_file(), name
    rows = [json.loads(x) for x in (out / "bfcl" / "items.jsonl").read_text().splitlines()]
    assert all(
        r["completion"].startswith("<think>") for r in rows
    )  # the prefill is part of the answer
    timing = summary["benchmarks"]["bfcl"]["timing"]
    assert timing["generations"] == 4 and timing["generation_items_per_second"] > 0
    again = evaluate(
        str(tiny_model_path), benches, out, limit=2, settings=settings, batch_size=4, options=options
    )
    for name in TINY_BENCHES:  # resumed: nothing redone
        assert again["benchmarks"][name]["timing"]["generations"] == 0, name
    assert again["benchmarks"]["bfcl"]["categories"] == bfcl_cats
    with pytest.raises(ValueError, match="different run"):
        evaluate(
            str(tiny_model_path),
            benches,
            out,
            limit=2,
            settings=GenerationSettings(max_new_tokens=6),
            options=options,
        )


def test_cli_eval_runs_the_tiny_model(tiny_model_path, bfcl, tmp_path, capsys):
    out = tmp_path / "cli"
    args = [
        "eval",
        "--model",
        str(tiny_model_path),
        "--bench",
        "bfcl:simple_python",
        "--limit",
        "1",
        "--max-new-tokens",
        "4",
        "--protocol",
        "native",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    assert "| simple_python |" in capsys.readouterr().out
    assert json.loads((out / "manifest.json").read_text())["protocol"] == "native"


def test_evaluate_through_an_openai_compatible_server(bfcl, fake_server, tmp_path):
    """A served model (native tool calls over HTTP) scored end to end; dotted names survive."""
    from toolzero.evaluation.bfcl import official

    from .eval_fakes import chat_reply

    truth = {}
    for entry in official.load_entries("simple_python")[:3]:
        ((_, params),) = official.ground_truth(entry["id"])[0].items()
        truth[entry["question"][0][0]["content"]] = {
            k: v[0] for k, v in params.items() if v[0] != ""
        }

    def route(path, body):
        if path.endswith("/models"):
            return 200, {"data": [{"id": "served"}]}
        question = body["messages"][-1]["content"]
        tool = body["tools"][0]["function"]["name"]
        return 200, chat_reply(
            None,
            [
                {
                    "type": "function",
                    "function": {"name": tool, "arguments": json.dumps(truth[question])},
                }
            ],
        )

    server = fake_server(route)
    native = GenerationSettings("native")
    summary = evaluate(server.url + "/v1", ["bfcl:simple_python"], tmp_path, limit=3, settings=native)
    assert summary["run"]["backend"] == "openai"
    assert summary["benchmarks"]["bfcl"]["categories"]["simple_python"]["correct"] == 3


class Interrupted(Exception):
    pass


def test_interrupted_run_resumes_without_redoing_items(bfcl, tmp_path):
    calls = {"n": 0}

    def flaky(prompt):
        calls["n"] += 1
        if calls["n"] > 4:
            raise Interrupted
        return "<think> no </think>\n<response> none </response>"

    first = ModelUnderTest(
        ScriptedBackend(flaky), PlainTokenizer(), GenerationSettings(max_new_tokens=4)
    )
    with pytest.raises(Interrupted):
        run_bfcl(first, tmp_path, ["irrelevance"], limit=10, batch_size=2)
    done = {
        json.loads(x)["id"] for x in (tmp_path / "bfcl" / "items.jsonl").read_text().splitlines()
    }
    assert len(done) == 4
    second_backend = ScriptedBackend(lambda p: "<think> no </think>\n<response> none </response>")
    summary = run_bfcl(
        ModelUnderTest(second_backend, PlainTokenizer()), tmp_path, ["irrelevance"], limit=10
    )
    assert len(second_backend.prompts) == 6
    assert summary["categories"]["irrelevance"] == {
        **summary["categories"]["irrelevance"],
        "correct": 10,
        "total": 10,
    }


def test_protocols_are_all_accepted_and_recorded(tmp_path):
    from toolzero.protocol import PROTOCOLS

    for protocol in PROTOCOLS:
        settings = GenerationSettings(protocol)
        model = ModelUnderTest(ScriptedBackend(lambda p: ""), PlainTokenizer(), settings)
        assert model.protocol == protocol
    with pytest.raises(ValueError, match="unknown prompt protocol"):
        GenerationSettings("xml")


@pytest.mark.parametrize(
    ("benches", "expected"),
    [("bfcl", {"bfcl": []}), (["api-bank:2", "bfcl:live"], {"api_bank": ["2"], "bfcl": ["live"]})],
)
def test_parse_benches(benches, expected):
    assert parse_benches(benches) == expected


def test_cli_score_and_compare(bfcl, tmp_path, capsys):
    preds = tmp_path / "preds.jsonl"
    rows = [
        {
            "id": "simple_python_0",
            "calls": [{"name": "calculate_triangle_area", "arguments": {"base": 10, "height": 5}}],
        },
        {
            "id": "simple_python_1",
            "completion": '<tool_call>\n{"name": "math.factorial", "parameters": {"number": "5"}}\n</tool_call>',
        },
        {"id": "irrelevance_0", "completion": "<response> no </response>"},
    ]
    preds.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    assert (
        main(
            [
                "eval",
                "score",
                "--bench",
                "bfcl",
                "--predictions",
                str(preds),
                "--out",
                str(tmp_path / "a"),
            ]
        )
        == 0
    )
    items = [
        json.loads(x) for x in (tmp_path / "a" / "bfcl" / "items.jsonl").read_text().splitlines()
    ]
    assert [r["valid"] for r in items] == [True, False, True]
    assert (
        items[1]["error_type"] == "type_error:simple"
        and "Expected type integer" in items[1]["errors"][0]
    )
    preds.write_text(
        json.dumps({**rows[1], "completion": rows[1]["completion"].replace('"5"', "5")}) + "\n"
    )
    assert main(["eval", "score", "--predictions", str(preds), "--out", str(tmp_path / "b")]) == 0
    capsys.readouterr()
    assert main(["eval", "compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    assert "| bfcl/simple_python | 50.00 | 100.00 | +50.00 |" in capsys.readouterr().out


def test_cli_rejects_bad_predictions_with_line_numbers(bfcl, tmp_path, capsys):
    preds = tmp_path / "bad.jsonl"
    preds.write_text('{"id": "simple_python_0"}\nnot json\n{"id": "nope_1", "completion": ""}\n')
    assert main(["eval", "score", "--predictions", str(preds), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert re.search(r"line 1: give \"completion\".*\n.*line 2: not JSON.*\n.*line 3", err)
    assert main(["eval"]) == 2
    assert "--model, --bench, --out required" in capsys.readouterr().err


def test_cli_eval_with_a_recipe_plays_its_episodes(tiny_model_path, tmp_path, capsys):
    """`--recipe`: the multi-turn quickstart's evaluation (its bench, prompt, stop strings,
    2-turn episodes on tasks that fit them), here cut to 2 items and 8 tokens a turn."""
    from pathlib import Path

    recipe = Path(__file__).resolve().parents[2] / "recipes" / "multiturn-quickstart.yaml"
    out = tmp_path / "mt"
    argv = ["eval", "--model", str(tiny_model_path), "--recipe", str(recipe), "--limit", "2",
            "--max-new-tokens", "8", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    summary = json.loads((out / "summary.json").read_text())
    env = summary["benchmarks"]["env"]
    assert env["n"] == 2 and env["settings"] == {"max_turns": 2, "fit_tasks": True}
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["protocol"], manifest["prefill"], manifest["keep_stop"]) == (
        "compact", "<think>", True
    )
    assert manifest["max_new_tokens"] == 8  # the flag given wins over the recipe's 80


def test_bf16_is_refused_for_backends_that_choose_their_own_dtype(tmp_path):
    with pytest.raises(UserError, match=r"--bf16: for the hf backend only.*drop --bf16"):
        evaluate(
            "http://127.0.0.1:9/v1",
            "synthetic",
            tmp_path / "out",
            settings=GenerationSettings(bf16=True),
        )
    assert not (tmp_path / "out").exists()  # refused before anything is written
