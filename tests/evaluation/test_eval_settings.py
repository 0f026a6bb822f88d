"""`GenerationSettings`: one record of how answers are generated, from flags, recipes, manifests;
and the CLI's generic benchmark options (`--data-dir`, per-benchmark flags) from the registry."""

from __future__ import annotations

import argparse

import pytest

from toolzero.cli.eval import bench_options, register
from toolzero.evaluation import GenerationSettings
from toolzero.evaluation.results import MANIFEST_KEYS
from toolzero.evaluation.settings import add_arguments
from toolzero.user_files import BadInputError


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    return parser.parse_args(["eval", *argv])


def test_flags_give_the_settings():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        ["--protocol", "compact", "--prefill", "<think>", "--max-new-tokens", "64",
         "--temperature", "0.7", "--stop", "</tool_call>", "</response>", "--keep-stop"]
    )  # fmt: skip
    assert GenerationSettings.from_args(args) == GenerationSettings(
        "compact", "<think>", 64, 0.7, ("</tool_call>", "</response>"), True
    )
    assert GenerationSettings.from_args(parser.parse_args([])) == GenerationSettings()


def test_settings_are_the_manifests_generation_keys_and_round_trip():
    settings = GenerationSettings("native", "<think>", 32, stop=["</x>"], keep_stop=True)
    data = settings.to_dict()
    assert set(data) == set(MANIFEST_KEYS) - {"model", "backend"}
    assert data["stop"] == ["</x>"]  # JSON-ready
    assert GenerationSettings.from_dict({**data, "model": "m", "backend": "hf"}) == settings


def test_a_recipe_gives_its_training_prompt_and_stop_strings_kept():
    from toolzero.training.recipe import load_recipe

    recipe = load_recipe(
        None,
        [
            "grpo.max_steps=1",
            "model.protocol=compact",
            "model.prefill=<think>",
            "model.stop_strings=[</tool_call>]",
            "evaluation.max_new_tokens=64",
        ],
    )
    assert GenerationSettings.from_recipe(recipe) == GenerationSettings(
        "compact", "<think>", 64, 0.0, ("</tool_call>",), keep_stop=True
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"protocol": "xml"}, "unknown prompt protocol"),
        ({"max_new_tokens": 0}, "max_new_tokens"),
        ({"temperature": -1.0}, "temperature"),
    ],
)
def test_bad_settings_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        GenerationSettings(**changes)


def test_data_dir_goes_to_the_benchmarks_that_read_one():
    args = parse(["--data-dir", "d/all", "--data-dir", "acebench=d/ace"])
    options = bench_options(args, ["bfcl", "hammer", "acebench"])
    assert options.data_dirs == {"hammer": "d/all", "acebench": "d/ace"}
    args = parse(["--api-bank-dir", "d/api", "--synthetic-n", "7", "--reward-preset", "toolrl"])
    options = bench_options(args, ["api_bank", "synthetic"])
    assert options.data_dirs == {"api_bank": "d/api"} and options.synthetic_n == 7
    with pytest.raises(BadInputError, match="bfcl reads no local data folder"):
        bench_options(parse(["--data-dir", "bfcl=x"]), ["bfcl"])
