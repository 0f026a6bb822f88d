"""Every subcommand on bad input: one `error: ...` line naming what and the fix, exit code 2
(1 for partially scored input), no traceback; `-v` adds the traceback; a bug in toolzero
itself still raises.

Each case runs `toolzero.cli.main` in-process; two run the real `toolzero` process to check
the exit code and that no "Traceback" reaches the terminal. `{d}` in an argument is the
test's folder of inputs (see `inputs`).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from toolzero.cli import main

REF = '<think> p </think>\n<tool_call>\n{"name": "f", "parameters": {"a": 1}}\n</tool_call>'
needs_bfcl = pytest.mark.skipif(
    importlib.util.find_spec("bfcl_eval") is None, reason="bfcl-eval not installed"
)


def _offline() -> bool:
    from huggingface_hub import is_offline_mode

    return is_offline_mode()


needs_offline = pytest.mark.skipif(not _offline(), reason="needs HF_HUB_OFFLINE=1")
needs_no_vllm = pytest.mark.skipif(
    importlib.util.find_spec("vllm") is not None, reason="vLLM is installed here"
)


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """A folder of bad (and a few good) inputs, named as the cases use them."""
    d = tmp_path
    (d / "adir").mkdir()
    (d / "emptydir").mkdir()
    (d / "one.jsonl").write_text(json.dumps({"completion": REF, "reference": REF}) + "\n")
    (d / "notjson.jsonl").write_text("not json\n")
    (d / "t.txt").write_text("x\n")
    (d / "bad.yaml").write_text("a: [1\n")
    (d / "unknown_key.yaml").write_text("foo: 1\nsources: [{data: synthetic}]\n")
    (d / "missing_source.yaml").write_text(f"sources: [{{data: {d}/nosuch.jsonl}}]\n")
    prepared = d / "prepared"
    prepared.mkdir()
    (prepared / "train.jsonl").write_text("not json\n")
    row = {"id": "simple_python_0", "completion": "[f(a=1)]"}
    (d / "dup.jsonl").write_text(json.dumps(row) + "\n" + json.dumps(row) + "\n")
    (d / "unknown_id.jsonl").write_text(json.dumps({**row, "id": "nope_1"}) + "\n")
    return d


# (command line, exit code, words the error must contain: what is wrong and the fix)
CASES = [
    # data
    ("data prepare --recipe {d}/missing.yaml --out {d}/o", 2,
     ["data recipe", "no such file", "missing.yaml", "give a YAML file"]),
    ("data prepare --recipe {d}/adir --out {d}/o", 2, ["adir is a folder", "give a YAML file"]),
    ("data prepare --recipe {d}/bad.yaml --out {d}/o", 2,
     ["bad.yaml", "not valid YAML", "line 2, column 1"]),
    ("data prepare --recipe {d}/unknown_key.yaml --out {d}/o", 2,
     ["unknown key 'foo'", "known: name, seed"]),
    ("data prepare --recipe {d}/missing_source.yaml --out {d}/o", 2,
     ["data file not found", "nosuch.jsonl", "give a file, a folder"]),
    ("data prepare --recipe {d}/unknown_key.yaml --out {d}/one.jsonl", 2,
     ["unknown key 'foo'"]),  # the recipe is checked first
    ("data inspect {d}/nosuch", 2, ["data file not found", "nosuch", "give a file, a folder"]),
    ("data inspect {d}/emptydir", 2, ["no .json/.jsonl/.parquet files", "emptydir"]),
    ("data inspect {d}/t.txt", 2, ["unsupported data file", "t.txt", "give a .json, .jsonl"]),
    ("data inspect {d}/prepared", 2,
     ["train.jsonl line 1", "not a toolzero example", "toolzero data prepare"]),
    ("data inspect synthetic:train:abc", 2, ["bad synthetic spec", "synthetic[:SPLIT[:N[:SEED]]]"]),
    ("data inspect synthetic:dev", 2, ["synthetic split must be one of", "heldout", "'dev'"]),
    ("data inspect synthetic -n 0", 2, ["argument -n", "at least 1"]),
    pytest.param("data inspect bfcl:nosuchcat", 2,
                 ["no BFCL file or category 'nosuchcat'", "simple_python"], marks=needs_bfcl),
    ("data convert synthetic:train:2 --out {d}/adir", 2, ["adir is a folder", "give a file name"]),
    # eval (every check runs before the model loads)
    ("eval", 2, ["--model, --bench, --out required", "eval score"]),
    ("eval --model {d}/no/such/dir --bench bfcl --out {d}/o", 2,
     ["--model", "no such model folder", "no/such/dir", "Hub id (owner/name)"]),
    pytest.param("eval --model nobody/not-cached-model --bench bfcl --out {d}/o", 2,
                 ["'nobody/not-cached-model'", "offline", "HF_HUB_OFFLINE", "with network access"],
                 marks=needs_offline),
    ("eval --model {d}/emptydir --bench bfcl --out {d}/o", 2,
     ["emptydir holds no model", "config.json", "checkpoint-N"]),
    ("eval --model gemma-3-270m --bench nosuch --out {d}/o", 2,
     ["unknown benchmark 'nosuch'", "bfcl, api_bank, bamboogle, synthetic"]),
    ("eval --model gemma-3-270m --bench bfcl:nosuchcat --out {d}/o", 2,
     ["unknown BFCL category 'nosuchcat'", "simple_python"]),
    ("eval --model gemma-3-270m --bench api_bank:7 --out {d}/o", 2,
     ["api_bank:7", "levels are 1, 2, 3"]),
    ("eval --model gemma-3-270m --bench api_bank --data-dir {d}/nosuch --out {d}/o", 2,
     ["--data-dir api_bank=DIR", "no such folder"]),
    ("eval --model gemma-3-270m --bench hammer:sealtool --data-dir {d} --out {d}/o", 2,
     ["Hammer set 'sealtool'", "sealtool.json", "download it from"]),
    ("eval --model gemma-3-270m --bench hammer:seal --out {d}/o", 2,
     ["Hammer suites sets are sealtool"]),
    ("eval --model gemma-3-270m --bench synthetic:big --out {d}/o", 2,
     ["synthetic:big", "takes no sub-selection"]),
    ("eval --model gemma-3-270m --bench file --out {d}/o", 2,
     ["--bench file", "--bench file:data/my.jsonl"]),
    ("eval --model gemma-3-270m --bench file:{d}/nosuch.jsonl --out {d}/o", 2,
     ["nosuch.jsonl does not exist", "prepared folder"]),
    ("eval score --bench bamboogle --predictions {d}/p.jsonl --out {d}/o", 2,
     ["bamboogle cannot be scored without a model"]),
    ("eval --model gemma-3-270m --bench bamboogle --out {d}/o", 2,
     ["Bamboogle needs a search backend", "--search-index", "--search-url"]),
    ("eval --model gemma-3-270m --bench bamboogle --search-index {d}/nosuch --out {d}/o", 2,
     ["--search-index", "no such file"]),
    ("eval --model gemma-3-270m --bench synthetic --reward-preset nosuch --out {d}/o", 2,
     ["--reward-preset", "invalid choice: 'nosuch'", "toolrl"]),
    ("eval --model gemma-3-270m --bench synthetic --out {d}/one.jsonl", 2,
     ["one.jsonl is a file", "give a folder"]),
    ("eval --model gemma-3-270m --bench synthetic --batch-size 0 --out {d}/o", 2,
     ["--batch-size", "at least 1"]),
    pytest.param("eval --model gemma-3-270m --bench synthetic --backend vllm --out {d}/o", 2,
                 ["--backend vllm", "not installed", "--backend hf"], marks=needs_no_vllm),
    ("eval --model gemma-3-270m --bench synthetic --backend openai --out {d}/o", 2,
     ["--backend openai", "base URL", "http://localhost:8000/v1"]),
    ("eval score --predictions {d}/nosuch.jsonl --out {d}/o", 2,
     ["--predictions", "no such file", "give a JSONL file"]),
    ("eval score --predictions {d}/adir --out {d}/o", 2, ["adir is a folder"]),
    ("eval score --predictions {d}/notjson.jsonl --out {d}/o", 2,
     ["notjson.jsonl", "line 1: not JSON", "fix or remove the line"]),
    pytest.param("eval score --predictions {d}/dup.jsonl --out {d}/o", 2,
                 ["dup.jsonl", "line 2: 'simple_python_0' appears twice",
                  "keep one prediction per id"], marks=needs_bfcl),
    pytest.param("eval score --predictions {d}/unknown_id.jsonl --out {d}/o", 2,
                 ["line 1: 'nope_1' is not an id"], marks=needs_bfcl),
    ("eval compare {d}/nosuch {d}/adir", 2,
     ["nosuch/summary.json not found", "toolzero eval"]),
    # quickstart and train (recipes and overrides: every problem at once)
    ("quickstart --config {d}/missing.yaml", 2, ["file not found", "pass an existing YAML recipe"]),
    ("quickstart foo", 2, ["override 'foo' is not KEY=VALUE", "grpo.max_steps=10"]),
    ("quickstart grpo.nosuch=1", 2, ["grpo.nosuch: unknown setting"]),
    # the evaluation section, checked against the evaluation registry before the model loads
    ("quickstart evaluation.unfamiliar=hammer:seal", 2,
     ["evaluation.unfamiliar", "hammer:seal", "sealtool, toolalpaca"]),
    ("quickstart evaluation.unfamiliar=hammer", 2, ["evaluation.unfamiliar", "BENCH:SELECTION"]),
    ("quickstart evaluation.data_dirs.hammer={d}/adir", 2,
     ["evaluation.unfamiliar", "sealtool.json not in {d}/adir"]),
    ("quickstart evaluation.data_dirs.hamer={d}/adir", 2,
     ["evaluation.data_dirs.hamer: not a benchmark that reads a local folder", "hammer"]),
    ("train --config {d}/missing.yaml --dry-run", 2, ["file not found", "missing.yaml"]),
    ("train --config {d}/adir --dry-run", 2, ["adir is a folder", "YAML recipe file"]),
    ("train --config {d}/bad.yaml --dry-run", 2, ["not valid YAML", "line 2, column 1"]),
    ("train --config {d}/bad.yaml --resume {d}/adir", 2, ["--config or --resume, not both"]),
    ("train --resume {d}/adir", 2, ["adir/recipe.yaml", "file not found"]),
    ("train --dry-run foo", 2, ["override 'foo' is not KEY=VALUE"]),
    ("train --dry-run grpo.max_steps=1 model.stop_strings=[", 2,
     ["override 'model.stop_strings=['", "not valid YAML", "quote it"]),
    ("train --dry-run grpo.max_steps=1 data.train={d}/t.txt", 2,
     ["data.train", "t.txt", "is not a .json/.jsonl/.parquet file"]),
    ("train --dry-run grpo.max_steps=1 model.name={d}/emptydir", 2,
     ["model.name", "not a model folder", "fix the path"]),
    ("train --dry-run grpo.max_steps=1 model.name={d}/no/such/model", 2,
     ["model.name", "no/such/model is not a model folder", "fix the path"]),
    pytest.param("train --dry-run grpo.max_steps=1 model.name=nobody/not-cached-model", 2,
                 ["model.name", "offline", "HF_HUB_OFFLINE"], marks=needs_offline),
    # sweep (the file and every point's recipe: every problem at once)
    ("sweep", 2, ["--config SWEEP.yaml is required", "toolzero sweep report DIR"]),
    ("sweep --config {d}/missing.yaml --dry-run", 2,
     ["--config", "no such file", "missing.yaml", "give a sweep YAML file"]),
    ("sweep --config {d}/adir --dry-run", 2, ["adir is a folder"]),
    ("sweep --config {d}/bad.yaml --dry-run", 2, ["not valid YAML", "line 2, column 1"]),
    ("sweep --config {d}/unknown_key.yaml --dry-run", 2,
     ["unknown_key.yaml has 3 problem(s)", "foo: unknown key", "sources: unknown key",
      "base: missing; name the base recipe"]),
    ("sweep --config {d}/unknown_key.yaml --parallel 0", 2, ["--parallel", "at least 1"]),
    ("sweep --config {d}/unknown_key.yaml --launcher nosuch", 2,
     ["--launcher", "invalid choice: 'nosuch'", "local"]),
    ("sweep report {d}/nosuch", 2, ["sweep folder", "no such folder", "toolzero sweep"]),
    ("sweep report {d}/adir", 2, ["adir: no sweep.json", "output_dir of a `toolzero sweep` run"]),
    # report
    ("report {d}/nosuch", 2, ["no metrics.jsonl", "toolzero train"]),
    ("report {d}/nosuch --out {d}/one.jsonl", 2, ["--out", "one.jsonl is a file", "give a folder"]),
    # reward
    ("reward score --preset nosuch --input {d}/one.jsonl", 2,
     ["--preset", "invalid choice: 'nosuch'", "toolrl"]),
    ("reward score --input {d}/nosuch.jsonl", 2, ["--input", "no such file", "give a JSONL file"]),
    ("reward score --input {d}/adir", 2, ["adir is a folder"]),
    ("reward score --input {d}/one.jsonl --output {d}/adir", 2,
     ["--output", "adir is a folder", "give a file name"]),
    ("reward score --input {d}/notjson.jsonl --output {d}/out.jsonl", 1,
     ["notjson.jsonl: line 1: not JSON"]),  # partially scored: the other rows are written
    ("reward explain --input {d}/one.jsonl --row 0", 2,
     ["--row 0", "rows are counted from 1", "has 1 row(s)", "give --row 1 to 1"]),
    ("reward explain --input {d}/one.jsonl --row 3", 2, ["--row 3", "counted from 1"]),
    ("reward explain --input {d}/notjson.jsonl", 2,
     ["notjson.jsonl line 1: not valid JSON", "fix or remove the line"]),
    ("reward explain --input {d}/nosuch.jsonl", 2, ["--input", "no such file"]),
    ("reward explain", 2, ["give --completion and --reference, or --input FILE"]),
]


def _argv(line: str, d: Path) -> list[str]:
    return [part.replace("{d}", str(d)) for part in line.split()]


@pytest.mark.parametrize(("line", "code", "words"), CASES)
def test_bad_input_is_one_clear_error(
    line: str, code: int, words: list[str], inputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        rc = main(_argv(line, inputs))
    except SystemExit as exc:  # argparse (choices, types) exits 2 itself
        rc = exc.code
    err = capsys.readouterr().err
    assert rc == code, err
    assert "Traceback" not in err
    message = next(ln for ln in err.splitlines() if "error:" in ln or ": line " in ln)
    text = err[err.index(message) :]  # the error line, and a ConfigError's problem lines
    header, *problems = text.rstrip("\n").splitlines()
    assert all(p.startswith("  - ") for p in problems), text  # one line, or a list
    assert not problems or "problem(s):" in header
    for word in words:
        assert word.replace("{d}", str(inputs)) in text, (word, text)


def test_a_bad_model_leaves_no_manifest_behind(inputs: Path) -> None:
    """The model is checked before the manifest is written, so the next try is not refused."""
    out = inputs / "o"
    assert main(["eval", "--model", str(inputs / "nope"), "--bench", "bfcl", "--out", str(out)]) == 2
    assert not (out / "manifest.json").exists() and not (out / "run.json").exists()


def test_row_help_says_rows_count_from_1(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["reward", "explain", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--row ROW which row of --input, counted from 1" in help_text


def test_verbose_adds_the_traceback(inputs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["reward", "explain", "--input", str(inputs / "one.jsonl"), "--row", "0"]
    assert main(["-v", *argv]) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "UserError" in err
    assert err.rstrip().splitlines()[-1].startswith("error: --row 0: rows are counted from 1")


def test_a_bug_in_toolzero_still_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only `UserError`s become error lines; anything else is our bug and must be loud."""
    import toolzero.cli.reward as reward_cli

    def broken(args):
        return {}["no such key"]

    monkeypatch.setattr(reward_cli, "run_presets", broken)
    with pytest.raises(KeyError, match="no such key"):
        main(["reward", "presets"])


def _toolzero(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "toolzero", *args], capture_output=True, text=True, timeout=120
    )


@needs_bfcl
def test_real_process_exit_code_and_no_traceback(inputs: Path) -> None:
    dup = _toolzero("eval", "score", "--predictions", str(inputs / "dup.jsonl"), "--out", str(inputs / "o"))
    model = _toolzero("eval", "--model", "/no/such/dir", "--bench", "bfcl", "--out", str(inputs / "o2"))
    assert (dup.returncode, model.returncode) == (2, 2)
    assert "Traceback" not in dup.stderr + model.stderr
    assert dup.stderr.startswith("error: --predictions") and "appears twice" in dup.stderr
    assert model.stderr.strip() == (
        "error: --model: no such model folder: /no/such/dir; give a run folder, a checkpoint, "
        "a model folder, a Hub id (owner/name) or gemma-3-270m"
    )


def test_real_process_bug_prints_a_traceback(tmp_path: Path) -> None:
    """A non-`UserError` escaping a handler reaches the terminal with its traceback."""
    code = (
        "import sys, toolzero.cli.reward as r; from toolzero.cli import main\n"
        "r.run_presets = lambda args: {}['no such key']\n"
        "sys.exit(main(['reward', 'presets']))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "Traceback (most recent call last)" in proc.stderr and "KeyError" in proc.stderr
    assert "error:" not in proc.stderr
