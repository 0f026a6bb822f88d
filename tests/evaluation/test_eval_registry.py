"""Every registered benchmark, table-driven: runs through `evaluate`, resumes after an
interruption, appears in the report and in `eval compare`, and (where it can) scores saved
predictions with `eval score` to the same verdicts and metric names as a model run.

A scripted backend stands in for the model (the tiny model runs every benchmark in
`test_eval_runs.py`). The "oracle" answers each item with its reference (rendered in the
protocol's text format); "garbage" answers nonsense. What each must score follows from
the benchmarks' definitions: the reference is right, nonsense is wrong.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from toolzero.cli import main
from toolzero.evaluation import BENCHMARKS, SCORABLE, BenchOptions, GenerationSettings, evaluate
from toolzero.evaluation.generation import ModelUnderTest
from toolzero.evaluation.registry import REGISTRY
from toolzero.evaluation.report import compare_runs, headline_metrics, render_report
from toolzero.protocol import render_toolrl_output
from toolzero.protocol.types import ToolCall

from .eval_fakes import PlainTokenizer, ScriptedBackend

SETTINGS = GenerationSettings(max_new_tokens=8)
NO_CALL = "<think> no tool fits </think>\n<response> I cannot help with that. </response>"
GARBAGE = "}}} not an answer {{{"
LIMIT = 3


class Interrupted(Exception):
    pass


def bench_case(name: str, shared: Path, docs: Path) -> tuple[str, BenchOptions]:
    """The --bench spec and options each benchmark runs with here (real shared samples)."""
    return {
        "bfcl": ("bfcl:simple_python,irrelevance", BenchOptions()),
        "api_bank": ("api_bank:1,2", BenchOptions(data_dirs={"api_bank": str(shared / "toolrl")})),
        "bamboogle": ("bamboogle", BenchOptions(
            search_index=str(docs), bamboogle_file=str(shared / "toolrl" / "bamboogle.json")
        )),
        "synthetic": ("synthetic", BenchOptions(synthetic_n=LIMIT)),
        "hammer": ("hammer:sealtool,apibank_l2", BenchOptions(data_dirs={"hammer": str(shared / "hammer")})),
        "acebench": (
            "acebench:normal_atom_bool,normal_multi_turn_user_adjust,special_irrelevant",
            BenchOptions(data_dirs={"acebench": str(shared / "acebench")}),
        ),
        "file": (f"file:{shared / 'glaive' / 'glaive_toolcall_en_demo.json'}", BenchOptions()),
        "when2call": ("when2call", BenchOptions(data_dirs={"when2call": str(shared / "when2call")})),
        # A seed whose first task is one call then the answer: the interruption after two
        # generations then leaves one finished episode on disk.
        "env": ("env:synthetic_world", BenchOptions(synthetic_seed=one_hop_seed(), env_max_turns=4)),
    }[name]  # fmt: skip


def one_hop_seed() -> int:
    from toolzero.environments.episode import reference_trajectory
    from toolzero.environments.registry import environment_tasks

    return next(
        seed for seed in range(100)
        if len(reference_trajectory(environment_tasks("synthetic_world", 1, seed, "heldout")[0])) == 1
    )  # fmt: skip


def episode_oracle(options: BenchOptions):
    """prompt -> the next turn of the task's reference trajectory, then its answer."""
    from toolzero.environments.episode import reference_trajectory
    from toolzero.environments.registry import environment_tasks

    tasks = environment_tasks("synthetic_world", LIMIT, options.synthetic_seed, "heldout")

    def script(prompt: str) -> str:
        task = next((t for t in tasks if t.messages[0].content in prompt), None)
        if task is None:
            return GARBAGE
        done = prompt.count("[assistant]") - 1  # model turns taken (the prompt opens one)
        calls = reference_trajectory(task)
        if done < len(calls):
            return render_toolrl_output("x", calls[done], None)
        return render_toolrl_output("x", [], task.reference_response)

    return script


def reference_answer(item) -> str:
    """The right answer for a single-turn item, from its own reference."""
    data = item.data
    if hasattr(data, "answers"):  # When2Call: the candidate answer of the right category
        if data.correct == "tool_call":
            call = json.loads(data.answers["tool_call"])
            return render_toolrl_output("x", [ToolCall(call["name"], call["arguments"])], None)
        return f"<think> x </think>\n<response> {data.answers[data.correct]} </response>"
    if isinstance(data, tuple):  # synthetic, file: (example, preset)
        return data[0].reference_text()
    if isinstance(data, list):  # API-Bank: the gold calls
        return f"<think> x </think>\n<tool_call>\n{json.dumps(data[0])}\n</tool_call>"
    category = data.metadata.get("category", "")
    if category == "special_irrelevant":
        return "Due to the limitations of the function, I cannot solve this problem."
    return render_toolrl_output("x", data.reference_calls, None)


def oracle_script(name: str, options: BenchOptions, sub: list[str]):
    """prompt -> the reference answer, for every item the benchmark would show."""
    from toolzero.data.report import DataReport
    from toolzero.lazy import resolve

    if name in ("bfcl", "bamboogle"):
        return lambda prompt: NO_CALL  # right on irrelevance; BFCL/Bamboogle oracles elsewhere
    if name == "env":
        return episode_oracle(options)
    bench = resolve(REGISTRY[name].run.rsplit(".", 1)[0])
    renderer = ModelUnderTest(ScriptedBackend(str), PlainTokenizer(), SETTINGS)
    answers = {}
    for items in bench.load(sub, options, LIMIT, DataReport()).values():
        for item in bench.take(items, LIMIT):
            answers[renderer.render(item.prompt)] = reference_answer(item)
    return lambda prompt: answers.get(prompt, GARBAGE)


def run(monkeypatch, script, spec, out, options, batch_size=8):
    backend = ScriptedBackend(script)
    monkeypatch.setattr(
        "toolzero.evaluation.runner.make_backend", lambda *a, **k: (backend, PlainTokenizer())
    )
    model = (SimpleNamespace(name_or_path="scripted"), PlainTokenizer())  # make_backend: patched
    summary = evaluate(
        model, [spec], out, limit=LIMIT, settings=SETTINGS, batch_size=batch_size, options=options
    )
    return summary, backend


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    path = tmp_path_factory.mktemp("docs") / "docs.jsonl"
    path.write_text('{"title": "Citibank", "text": "Citibank was founded in 1812."}\n')
    return path


def test_the_registry_holds_every_benchmark_once():
    assert BENCHMARKS == (
        "bfcl", "api_bank", "bamboogle", "synthetic", "hammer", "acebench", "file", "when2call",
        "env",
    )  # fmt: skip
    assert SCORABLE == (
        "bfcl", "api_bank", "synthetic", "hammer", "acebench", "file", "when2call",
    )  # fmt: skip
    assert REGISTRY["hammer"].subsets == (
        "sealtool", "toolalpaca", "nexusraven", "apibank_l1", "apibank_l2",
    )  # fmt: skip


# What the oracle must score, per benchmark: a headline metric and its value by definition.
ORACLE_EXPECTED = {
    "bfcl": ("bfcl/irrelevance", 1.0),  # no call on irrelevance items is right
    "api_bank": ("api_bank/overall", 1.0),
    "bamboogle": ("bamboogle/exact_match", 0.0),  # "I cannot help" is no gold answer
    "synthetic": ("synthetic/exact_match", 1.0),
    "hammer": ("hammer/sealtool/exact_match", 1.0),
    "acebench": ("acebench/overall", 1.0),
    "file": ("file/exact_match", 1.0),
    "when2call": ("when2call/accuracy", 1.0),
    "env": ("env/outcome_success", 1.0),  # the reference trajectory passes every check
}


@pytest.mark.parametrize("name", BENCHMARKS)
def test_every_benchmark_runs_resumes_reports_and_compares(
    name, shared_data, docs, tmp_path, monkeypatch
):
    if name == "bfcl":
        pytest.importorskip("bfcl_eval", reason="bfcl-eval not installed")
    spec, options = bench_case(name, shared_data, docs)
    sub = spec.partition(":")[2].split(",") if ":" in spec else []
    oracle = oracle_script(name, options, sub)
    calls = {"n": 0}

    def interrupted(prompt):
        calls["n"] += 1
        if calls["n"] > 2:
            raise Interrupted
        return oracle(prompt)

    out = tmp_path / "oracle"
    with pytest.raises(Interrupted):
        run(monkeypatch, interrupted, spec, out, options, batch_size=1)
    stored = (out / name / "items.jsonl").read_text().splitlines()
    assert 1 <= len(stored) <= 2  # what finished before the interruption is on disk
    summary, backend = run(monkeypatch, oracle, spec, out, options)
    clean, clean_backend = run(monkeypatch, oracle, spec, tmp_path / "clean", options)
    rows = (out / name / "items.jsonl").read_text().splitlines()
    ids = [json.loads(r)["id"] for r in rows]
    assert len(ids) == len(set(ids))  # nothing redone twice
    assert len(backend.prompts) < len(clean_backend.prompts)  # the resumed run did less
    metric, value = ORACLE_EXPECTED[name]
    metrics = headline_metrics(summary)
    assert metrics[metric] == pytest.approx(value)
    assert {k: v for k, v in metrics.items()} == headline_metrics(clean)  # same as unbroken

    bad, _ = run(monkeypatch, lambda p: GARBAGE, spec, tmp_path / "garbage", options)
    report = render_report(bad)
    assert f"## {REGISTRY[name].title}" in report
    assert (tmp_path / "garbage" / "report.md").read_text() == report
    table = compare_runs(out, tmp_path / "garbage")
    assert f"| {metric} |" in table
    for key in metrics:
        assert f"| {key} |" in table
    if name in GARBAGE_EXPECTED:
        assert headline_metrics(bad)[metric] == GARBAGE_EXPECTED[name]


# Nonsense is wrong by every definition here (BFCL irrelevance, synthetic and
# file no-call tasks count a no-call answer as right, so they are left out).
GARBAGE_EXPECTED = {
    "api_bank": 0.0, "hammer": 0.0, "acebench": 0.0, "bamboogle": 0.0,
    "when2call": 0.0,  # "}}} not an answer {{{" is a direct answer; the sample's are all calls
    "env": 0.0,  # no call, no action, no answer any task accepts
}  # fmt: skip


@pytest.mark.parametrize("name", [n for n in SCORABLE if n != "bfcl"])
def test_eval_score_gives_a_model_runs_verdicts_and_metric_names(
    name, shared_data, docs, tmp_path, monkeypatch, capsys
):
    spec, options = bench_case(name, shared_data, docs)
    sub = spec.partition(":")[2].split(",") if ":" in spec else []
    oracle = oracle_script(name, options, sub)
    half = {"n": 0}

    def mixed(prompt):  # every other answer is garbage, so verdicts differ between items
        half["n"] += 1
        return oracle(prompt) if half["n"] % 2 else GARBAGE

    ran, _ = run(monkeypatch, mixed, spec, tmp_path / "run", options)
    run_rows = [json.loads(r) for r in (tmp_path / "run" / name / "items.jsonl").read_text().splitlines()]
    predictions = tmp_path / "preds.jsonl"
    predictions.write_text("".join(
        json.dumps({"id": r["id"], "completion": r["completion"]}) + "\n" for r in run_rows
    ))  # fmt: skip
    args = ["eval", "score", "--bench", spec, "--predictions", str(predictions)]
    args += ["--out", str(tmp_path / "scored")]
    args += _option_flags(name, options)
    assert main(args) == 0
    scored_rows = [
        json.loads(r) for r in (tmp_path / "scored" / name / "items.jsonl").read_text().splitlines()
    ]
    verdict = {r["id"]: r["valid"] for r in run_rows}
    assert {r["id"]: r["valid"] for r in scored_rows} == verdict
    assert len(set(verdict.values())) == 2  # both right and wrong items were scored
    scored = json.loads((tmp_path / "scored" / "summary.json").read_text())
    assert headline_metrics(scored) == headline_metrics(ran)
    printed = capsys.readouterr().out
    assert "## " + REGISTRY[name].title in printed
    assert "None items/s" not in printed  # scored predictions have no generation rate


def _option_flags(name: str, options: BenchOptions) -> list[str]:
    flags = [f"--data-dir={folder}" for folder in options.data_dirs.values()]
    if name == "synthetic":
        flags += ["--synthetic-n", str(options.synthetic_n)]
    return flags


def test_eval_score_takes_calls_rows_and_names_bad_rows(shared_data, tmp_path, capsys):
    folder = shared_data / "hammer"
    gold = json.loads((folder / "sealtool.json").read_text())[0]["answers"]
    calls = [{"name": a.get("name", a.get("tool")), "arguments": a.get("arguments", a.get("parameters"))} for a in gold]  # fmt: skip
    preds = tmp_path / "p.jsonl"
    preds.write_text(
        json.dumps({"id": "sealtool-0", "calls": calls}) + "\n"
        + json.dumps({"id": "sealtool-1", "calls": []}) + "\n"
    )  # fmt: skip
    base = ["eval", "score", "--bench", "hammer:sealtool", "--data-dir", str(folder)]
    assert main([*base, "--predictions", str(preds), "--out", str(tmp_path / "o")]) == 0
    rows = [json.loads(r) for r in (tmp_path / "o" / "hammer" / "items.jsonl").read_text().splitlines()]  # fmt: skip
    assert [r["valid"] for r in rows] == [True, False]
    assert rows[1]["reason"] and rows[0]["reason"] == ""
    capsys.readouterr()
    preds.write_text(
        '{"id": "sealtool-0", "completion": "x"}\n'
        "not json\n"
        '{"id": "nope-3", "completion": "x"}\n'
        '{"id": "sealtool-0", "completion": "x"}\n'
        '{"id": "sealtool-2", "calls": [{"name": 5}]}\n'
        '{"id": "sealtool-3"}\n'
    )
    assert main([*base, "--predictions", str(preds), "--out", str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err
    assert f"--predictions {preds} has 5 problem(s)" in err
    for expected in (
        "line 2: not JSON",
        "line 3: 'nope-3' is not an id of hammer",
        "line 4: 'sealtool-0' appears twice (first on line 1)",
        'line 5: "calls" must be a list of {"name": str, "arguments": object}',
        'line 6: give "completion"',
    ):
        assert expected in err


def test_acebench_limit_counts_whole_dialogues_in_multi_turn_categories(shared_data):
    from toolzero.data.report import DataReport
    from toolzero.evaluation.acebench.bench import ACEBENCH

    options = BenchOptions(data_dirs={"acebench": str(shared_data / "acebench")})
    sub = ["normal_multi_turn_user_adjust", "normal_atom_bool"]
    groups = ACEBENCH.load(sub, options, None, DataReport())
    turns = [i.id for i in ACEBENCH.take(groups["normal_multi_turn_user_adjust"], 2)]
    # the sample holds dialogue 48 (its turn 1) and dialogue 49 (turns 0, 1, 2)
    assert turns == [f"normal_multi_turn_user_adjust_{t}" for t in ("48_1", "49_0", "49_1", "49_2")]
    assert len(ACEBENCH.take(groups["normal_multi_turn_user_adjust"], 1)) == 1
    assert len(ACEBENCH.take(groups["normal_atom_bool"], 2)) == 2


def test_a_bad_data_row_is_named_in_the_summary_and_report_and_the_rest_runs(
    shared_data, tmp_path, monkeypatch
):
    rows = json.loads((shared_data / "hammer" / "sealtool.json").read_text())
    rows[1] = {"query": "no tools or answers here"}
    folder = tmp_path / "hammer"
    folder.mkdir()
    (folder / "sealtool.json").write_text(json.dumps(rows))
    options = BenchOptions(data_dirs={"hammer": str(folder)})
    summary, _ = run(monkeypatch, lambda p: GARBAGE, "hammer:sealtool", tmp_path / "o", options)
    hammer = summary["benchmarks"]["hammer"]
    assert hammer["sets"]["sealtool"]["items"] == LIMIT  # rows 0, 2, 3: the others still run
    assert hammer["sets"]["sealtool"]["size"] == len(rows) - 1
    (example,) = hammer["rejected_rows"]["rejected_examples"]
    assert example.startswith(f"{folder / 'sealtool.json'} row 1: missing field")
    assert "missing field" in example and "tools, answers" in example
    report = (tmp_path / "o" / "report.md").read_text()
    assert "Data rows that could not be read: 1" in report and "missing field" in report
