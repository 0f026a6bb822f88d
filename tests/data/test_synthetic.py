"""The synthetic generator: seeded, realistic, valid, and a held-out split that differs."""

import re

import pytest

from toolzero.data.report import DataReport
from toolzero.data.stats import example_shape
from toolzero.data.synthetic import SHAPES, generate_examples
from toolzero.data.synthetic.schema import check_template
from toolzero.data.synthetic.tools_heldout import HELDOUT_TOOLS
from toolzero.data.synthetic.tools_train import TRAIN_TOOLS
from toolzero.data.validation import ValidationConfig, validate_examples

ALL = {"single": 1, "parallel": 1, "multiple": 1, "no_call": 1}


def test_templates_are_consistent_and_libraries_large():
    assert [p for t in TRAIN_TOOLS + HELDOUT_TOOLS for p in check_template(t)] == []
    assert len(TRAIN_TOOLS) >= 40 and len({t.domain for t in TRAIN_TOOLS}) >= 15
    assert len(HELDOUT_TOOLS) >= 15


def test_heldout_tools_domains_and_phrasings_differ():
    train_names = {t.name for t in TRAIN_TOOLS}
    assert train_names.isdisjoint(t.name for t in HELDOUT_TOOLS)
    assert {t.domain for t in TRAIN_TOOLS}.isdisjoint(t.domain for t in HELDOUT_TOOLS)
    skeleton = lambda q: re.sub(r"\{\w+\}", "{}", q)  # noqa: E731
    assert {skeleton(q) for t in TRAIN_TOOLS for q in t.queries}.isdisjoint(
        skeleton(q) for t in HELDOUT_TOOLS for q in t.queries
    )


def test_seeded_and_prefix_stable():
    a = generate_examples(30, seed=4, shapes=ALL)
    assert a == generate_examples(30, seed=4, shapes=ALL)
    assert a[:10] == generate_examples(10, seed=4, shapes=ALL)
    assert a != generate_examples(30, seed=5, shapes=ALL)


@pytest.mark.parametrize("split", ["train", "heldout"])
def test_examples_pass_strict_validation(split):
    examples = generate_examples(400, seed=0, split=split, shapes=ALL)
    report = DataReport()
    kept = validate_examples(examples, ValidationConfig(), report)
    assert set(report.rejected) <= {"duplicate prompt"} and len(kept) >= 390
    assert {example_shape(e) for e in examples} == set(SHAPES)
    library = {t.name for t in (TRAIN_TOOLS if split == "train" else HELDOUT_TOOLS)}
    assert all(t.name in library for e in examples for t in e.tools)


def test_argument_values_come_from_the_request():
    for e in generate_examples(200, seed=1):
        request = e.messages[0].content
        for call in e.reference_calls:
            for value in call.arguments.values():
                if isinstance(value, str) and not re.fullmatch(
                    r"[\d:-]+|[A-Z]{3,5}|[a-z]{2}|\w+", value
                ):
                    assert value in request, (value, request)


@pytest.mark.parametrize(("distractors", "tools"), [(0, 1), (2, 3), (5, 6)])
def test_distractor_count(distractors, tools):
    examples = generate_examples(20, seed=0, distractors=distractors, shapes={"single": 1})
    assert {len(e.tools) for e in examples} == {tools}


def test_default_mix_is_mostly_short_single_calls():
    examples = generate_examples(300, seed=0)
    shapes = [example_shape(e) for e in examples]
    assert shapes.count("single") / len(shapes) > 0.8
    assert max(len(e.messages[0].content) for e in examples) < 160


def test_no_call_never_offers_a_tool_that_fits():
    examples = generate_examples(200, seed=2, shapes={"no_call": 1})
    missing_tool = [e for e in examples if e.metadata["domains"]]  # the other half: out of scope
    assert 60 < len(missing_tool) < 140
    for e in examples:
        assert e.reference_calls == () and e.reference_response
        offered = {t.domain for t in TRAIN_TOOLS if t.name in {x.name for x in e.tools}}
        assert offered.isdisjoint(e.metadata["domains"])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"shapes": {"single": 0}}, "at least one"),
        ({"shapes": {"nested": 1}}, "unknown shapes"),
        ({"distractors": -1}, "distractors"),
        ({"parallel_calls": (1, 2)}, "parallel_calls"),
        ({"split": "dev"}, "split"),
    ],
)
def test_bad_options_are_clear_errors(options, message):
    split = options.pop("split", "train")
    with pytest.raises(ValueError, match=message):
        generate_examples(1, split=split, **options)


def test_unknown_option_names_the_known_ones():
    with pytest.raises(ValueError, match="distractors"):
        generate_examples(1, n_tools=3)
