"""Augmentations: what each one does, that it is seeded and reproducible, and that its
output is still a valid example whose reference scores the maximum."""

import pytest

from toolzero.data.augment import AUGMENTATION_NAMES, augment
from toolzero.data.augment.masking import mask_names
from toolzero.data.report import DataReport
from toolzero.data.synthetic import generate_examples
from toolzero.data.validation import validate_examples
from toolzero.errors import ConfigError
from toolzero.protocol.types import Example, Message, ToolCall, ToolSpec

ALL_SHAPES = {"single": 1, "parallel": 1, "multiple": 1, "no_call": 1}


@pytest.fixture(scope="module")
def examples():
    return generate_examples(60, seed=5, shapes=ALL_SHAPES)


@pytest.mark.parametrize("name", AUGMENTATION_NAMES)
def test_augmentation_is_reproducible_and_valid(examples, name):
    from toolzero.rewards import get_preset

    first = augment(examples, name, fraction=0.5, seed=3)
    again = augment(examples, name, fraction=0.5, seed=3)
    assert first == again and first
    assert all(e.id.endswith(f"+{name}") and e.metadata["augmentation"] == name for e in first)
    report = DataReport()
    assert len(validate_examples(first, report=report)) == len(first), report.summary()
    preset = get_preset("toolrl")
    for e in first:
        ref = e.reference_text()
        assert preset.score(ref, ref)["total"] == (4.0 if e.reference_calls else 1.0)


def test_other_seed_other_choice(examples):
    a = [e.id for e in augment(examples, "verify_call", 0.5, seed=1)]
    b = [e.id for e in augment(examples, "verify_call", 0.5, seed=2)]
    assert a != b


def test_not_applicable_is_counted_and_replace_keeps_the_rest(examples):
    report = DataReport()
    out = augment(examples, "irrelevance", 1.0, seed=0, replace=True, report=report)
    no_call = sum(not e.reference_calls for e in examples)
    assert len(out) == len(examples)
    assert report.rejected["irrelevance: not applicable"] >= no_call > 0


TOOL = ToolSpec(
    "search_flights",
    "Find flights. Call search_flights once per route.",
    {
        "type": "object",
        "properties": {"origin": {"type": "string", "description": "From"}},
        "required": ["origin"],
    },
)
EXAMPLE = Example(
    "e1",
    (TOOL, ToolSpec("get_time", "Time.", {"city": {"type": "str", "default": ""}})),
    (Message("user", "Flights from OSL please, use search_flights"),),
    (ToolCall("search_flights", {"origin": "OSL"}),),
    reference_think="search_flights fits.",
)


@pytest.mark.parametrize("style", ["random", "generic"])
def test_masking_renames_consistently(style):
    import random

    masked = mask_names(EXAMPLE, random.Random(0), style=style)
    flights, clock = masked.tools
    assert flights.name != "search_flights" and clock.name != "get_time"
    param = next(iter(flights.properties()))
    assert param != "origin" and flights.required() == [param]
    assert masked.reference_calls == (ToolCall(flights.name, {param: "OSL"}),)
    assert (
        "search_flights"
        not in flights.description + masked.reference_text() + masked.messages[0].content
    )
    assert list(clock.parameters) != ["city"]  # flat ToolRL-style parameters are renamed too
    if style == "generic":
        assert (flights.name, param) == ("func_1", "param_1")


def test_irrelevance_removes_the_needed_tool():
    out = augment([EXAMPLE], "irrelevance")[0]
    assert [t.name for t in out.tools] == ["get_time"]
    assert out.reference_calls == () and out.reference_response


def test_multi_turn_shapes():
    concat = augment([EXAMPLE, generate_examples(1, seed=1)[0]], "concatenate", seed=0)[0]
    assert [m.role for m in concat.messages][:3] == ["user", "assistant", "tool"]
    assert concat.messages[-1] == EXAMPLE.messages[-1]

    reintro = augment([EXAMPLE], "reintroduce_tool")[0]
    assert [m.role for m in reintro.messages] == ["user", "assistant", "user"]
    assert (
        "search_flights" in reintro.messages[-1].content
        and reintro.reference_calls == EXAMPLE.reference_calls
    )

    clarify = augment([EXAMPLE], "clarify_parameter")[0]
    assert "OSL" not in clarify.messages[-1].content and "origin" in clarify.reference_response

    verify = augment([EXAMPLE], "verify_call")[0]
    wrong = verify.messages[1].tool_calls[0]
    assert wrong.name == "search_flights" and wrong.arguments["origin"] != "OSL"
    assert verify.reference_calls == EXAMPLE.reference_calls


def test_unknown_augmentation_is_an_error():
    with pytest.raises(ValueError, match="unknown augmentation"):
        augment([EXAMPLE], "shuffle")


def test_bad_options_are_a_config_error_not_a_type_error():
    with pytest.raises(ConfigError) as err:
        augment([EXAMPLE], "mask", mask_param=False)
    assert err.value.problems[0].startswith("options.mask_param:")
    masked = augment([EXAMPLE], "mask", style="generic", mask_params=False)[0]
    assert masked.tools[0].name == "func_1"
    assert set(masked.tools[0].properties()) == set(EXAMPLE.tools[0].properties())
