"""`toolzero data prepare / inspect / convert` end to end on small inputs."""

import json
from pathlib import Path

from toolzero.cli import main

FIXTURES = Path(__file__).parent / "fixtures"


def test_prepare_then_inspect(tmp_path, capsys):
    recipe = tmp_path / "tiny.yaml"
    recipe.write_text(
        "sources:\n  - {name: syn, data: 'synthetic:train', count: 20}\n"
        f"  - {{name: xlam, data: '{FIXTURES / 'xlam.json'}'}}\n"
        "eval:\n  - {name: heldout, data: 'synthetic:heldout', count: 5}\n"
    )
    assert main(["data", "prepare", "--recipe", str(recipe), "--out", str(tmp_path / "ds")]) == 0
    out = capsys.readouterr().out
    assert "train: 22 examples" in out and "unknown tool" in out
    summary = json.loads((tmp_path / "ds" / "summary.json").read_text())
    assert summary["report"]["rejected_by_reason"] == {
        "invalid JSON in answers": 1,
        "unknown tool": 1,
    }

    assert main(["data", "inspect", str(tmp_path / "ds"), "-n", "2", "--split", "eval"]) == 0
    out = capsys.readouterr().out
    assert out.count("--- reference ---") == 2 and "**Available Tools**" in out and "heldout" in out


def test_convert(tmp_path, capsys):
    out_file = tmp_path / "rows.jsonl"
    assert main(["data", "convert", str(FIXTURES / "glaive_v2.json"), "--out", str(out_file)]) == 0
    assert "wrote 3 examples" in capsys.readouterr().out
    rows = [json.loads(line) for line in out_file.read_text().splitlines()]
    assert rows[0]["reference_calls"] == [
        {"name": "calculate_bmi", "arguments": {"weight": 70, "height": 1.75}}
    ]
