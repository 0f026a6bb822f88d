"""`toolzero reward score|explain|presets` from the command line."""

import json

import pytest

from toolzero.cli import main

REF = '<think> p </think>\n<tool_call>\n{"name": "f", "parameters": {"a": 1}}\n</tool_call>'


def test_score_writes_rows_in_input_order(tmp_path):
    rows = [
        {"completion": REF, "reference": REF},
        {"completion": REF.replace("1", "2"), "reference": REF},
    ]
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    assert (
        main(["reward", "score", "--preset", "toolrl", "--input", str(src), "--output", str(out)])
        == 0
    )
    scored = [json.loads(line) for line in out.read_text().splitlines()]
    assert scored == [
        {"format": 1.0, "correctness": 3.0, "total": 4.0},
        {"format": 1.0, "correctness": 1.0, "total": 2.0},
    ]  # S = 2 of 3


def test_bad_rows_are_named_and_the_rest_scored(tmp_path, capsys):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(
        '{"completion": "x"}\nnot json\n[1]\n'
        + json.dumps({"completion": REF, "reference": REF})
        + "\n"
    )
    assert main(["reward", "score", "--input", str(src), "--output", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].endswith("line 1: field 'reference' missing")
    assert "line 2: not JSON" in err[1] and "line 3: expected a JSON object" in err[2]
    assert len(err) == 3
    scored = [json.loads(line) for line in out.read_text().splitlines()]
    assert [("error" in s) for s in scored] == [True, True, True, False]
    assert scored[3]["total"] == 4.0


def test_unknown_preset_is_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:  # argparse's choices: exit code 2, names the flag
        main(["reward", "score", "--preset", "nope", "--input", str(tmp_path / "x")])
    assert exc.value.code == 2
    assert "argument --preset: invalid choice: 'nope'" in capsys.readouterr().err


def test_schedule_step_flags(tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(json.dumps({"completion": REF, "reference": REF}) + "\n")
    main(
        [
            "reward",
            "score",
            "--preset",
            "toolzero",
            "--input",
            str(src),
            "--output",
            str(out),
            "--step",
            "5",
            "--total-steps",
            "10",
        ]
    )
    assert json.loads(out.read_text())["format"] == 1.5


def test_explain_shows_matches_and_differences(capsys):
    wrong = REF.replace('"a": 1', '"a": 2, "b": 3')
    assert (
        main(["reward", "explain", "--preset", "toolrl", "--completion", wrong, "--reference", REF])
        == 0
    )
    text = capsys.readouterr().out
    assert "correctness = 0 " in text  # names 1 + keys 1/2 + values 0 = 1.5 of 3
    assert "values differ: ['a']" in text and "extra ['b']" in text
    assert "total = 1\n" in text


def test_presets_lists_all(capsys):
    main(["reward", "presets"])
    out = capsys.readouterr().out
    assert "tool-zero" in out and "toolrl-dynamic" in out and "toolzero " in out


def test_tools_field_and_flag_feed_grounding(tmp_path, capsys):
    other = REF.replace('"f"', '"g"')
    rows = [
        {"completion": other, "reference": REF, "tools": ["f", "g"]},
        {"completion": other, "reference": REF},
        {"completion": other, "reference": REF, "tools": "f,g"},
    ]
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    args = ["reward", "score", "--preset", "toolzero", "--total-steps", "10"]
    assert main([*args, "--input", str(src), "--output", str(out)]) == 1
    scored = [json.loads(line) for line in out.read_text().splitlines()]
    assert scored[0]["grounding"] == 1.0 and scored[1]["grounding"] == 0.0
    assert "line 3: field 'tools' must be a list" in capsys.readouterr().err
    explain = ["reward", "explain", "--preset", "toolzero", "--total-steps", "10"]
    main([*explain, "--completion", other, "--reference", REF, "--tools", "f, g"])
    text = capsys.readouterr().out
    assert "grounding = 1" in text and "tools offered: ['f', 'g']" in text


def test_explain_row_with_bad_tools_is_one_line(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"completion": REF, "reference": REF, "tools": "f,g"}) + "\n")
    assert (
        main(
            [
                "reward",
                "explain",
                "--preset",
                "toolzero",
                "--total-steps",
                "10",
                "--input",
                str(src),
            ]
        )
        == 2
    )
    assert "field 'tools' must be a list of tool names" in capsys.readouterr().err
