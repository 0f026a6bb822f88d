"""`toolzero train --dry-run`: validates everything, prints the resolved recipe, loads nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from toolzero.cli import main

from .conftest import QUICKSTART


def test_dry_run_prints_the_resolved_recipe(capsys) -> None:
    assert (
        main(["train", "--config", str(QUICKSTART), "--dry-run", "grpo.max_steps=3", "lora.r=4"])
        == 0
    )
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["grpo"]["max_steps"] == 3 and printed["lora"]["r"] == 4
    assert printed["model"]["name"] == "gemma-3-270m"


def test_dry_run_lists_every_problem_and_exits_2(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "model: {protocol: xml}\ngrpo: {max_steps: 2, num_generation: 4}\ndata: {train: /nope.jsonl}\n"
    )
    assert main(["train", "--config", str(bad), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "model.protocol: 'xml' is not one of" in err
    assert "grpo.num_generation: unknown setting; did you mean grpo.num_generations?" in err
    assert "2 problem(s)" in err  # value problems first; paths are checked once values pass


def test_dry_run_imports_neither_torch_nor_trl() -> None:
    code = (
        "import sys; from toolzero.cli import main; "
        f"rc = main(['train', '--config', {str(QUICKSTART)!r}, '--dry-run']); "
        "print(rc, 'torch' in sys.modules, 'trl' in sys.modules, file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.split()[-3:] == ["0", "False", "False"]
