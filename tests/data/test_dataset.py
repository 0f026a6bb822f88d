"""Prepared folders and the data-spec strings `load_examples` accepts."""

import json
from pathlib import Path

import pytest

from toolzero.data.dataset import load_examples, load_prepared, save_prepared, split_format
from toolzero.data.synthetic import generate_examples

FIXTURES = Path(__file__).parent / "fixtures"


def test_save_and_load_prepared_round_trip(tmp_path):
    train = generate_examples(5, seed=1, shapes={"single": 1, "parallel": 1, "no_call": 1})
    eval_ = generate_examples(2, split="heldout")
    out = save_prepared(tmp_path / "ds", train, eval_, {"note": "x"})
    assert load_prepared(out) == (train, eval_)
    assert json.loads((out / "summary.json").read_text()) == {"note": "x"}
    assert load_examples(str(out)) == train
    from_file = load_examples(str(out / "eval.jsonl"))  # read as a file: rows get an origin
    assert [e.metadata.pop("origin") for e in from_file] == [
        f"{out / 'eval.jsonl'}#{i}" for i in range(2)
    ]
    assert from_file == eval_


@pytest.mark.parametrize(
    ("spec", "count", "source"),
    [
        ("synthetic:train:7", 7, "synthetic-train"),
        ("synthetic:heldout:4:2", 4, "synthetic-heldout"),
        (f"xlam:{FIXTURES / 'xlam.json'}", 3, "xlam"),
        (f"hammer:{FIXTURES / 'hammer.jsonl'}", 2, "hammer"),
        (str(FIXTURES / "toolace.json"), 3, "toolace"),
        (f"bfcl:{FIXTURES / 'bfcl' / 'BFCL_v4_simple_python.json'}", 1, "bfcl"),
    ],
)
def test_load_examples_specs(spec, count, source):
    examples = load_examples(spec)
    assert len(examples) == count
    assert {e.source for e in examples} == {source}


def test_default_synthetic_spec():
    examples = load_examples("synthetic")
    assert len(examples) == 1000 and examples[0].id == "synthetic-train-0-0"


def test_not_prepared_folder_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a prepared dataset"):
        load_prepared(tmp_path)


def test_bad_synthetic_spec():
    with pytest.raises(ValueError, match="synthetic"):
        load_examples("synthetic:train:many")


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("xlam:rows.json", ("xlam", "rows.json")),
        (
            "hf:Salesforce/xlam-function-calling-60k",
            ("xlam", "hf:Salesforce/xlam-function-calling-60k"),
        ),
        ("hf:someone/else:test", (None, "hf:someone/else:test")),
        ("toolace:hf:Team-ACE/ToolACE", ("toolace", "hf:Team-ACE/ToolACE")),
        ("/abs/path.json", (None, "/abs/path.json")),
    ],
)
def test_split_format(spec, expected):
    assert split_format(spec) == expected
