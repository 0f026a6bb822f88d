"""`GenerationSettings`: one record of how answers are generated, from flags, recipes, manifests;
and the CLI's generic benchmark options (`--data-dir`, per-benchmark flags) from the registry."""

from __future__ import annotations

import argparse
from pathlib import Path

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
         "--temperature", "0.7", "--stop", "</tool_call>", "</response>", "--keep-stop",
         "--bf16"]
    )  # fmt: skip
    assert GenerationSettings.from_args(args) == GenerationSettings(
        "compact", "<think>", 64, 0.7, ("</tool_call>", "</response>"), True, bf16=True
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


def test_env_fit_tasks_flag_reaches_the_env_benchmark():
    assert bench_options(parse(["--env-fit-tasks"]), ["env"]).env_fit_tasks is True
    assert bench_options(parse([]), ["env"]).env_fit_tasks is False


MULTITURN = Path(__file__).resolve().parents[2] / "recipes" / "multiturn-quickstart.yaml"


def test_recipe_gives_the_quickstart_evaluation_and_flags_win(tmp_path: Path):
    import yaml

    from toolzero.cli.eval import recipe_defaults

    raw = yaml.safe_load(MULTITURN.read_text())
    model, env, section = raw["model"], raw["environment"], raw["evaluation"]
    settings, options, benches, limit = recipe_defaults(str(MULTITURN))
    # As the recipe's before/after evaluation: its prompt, stops kept, a turn's token cap.
    assert settings == GenerationSettings(
        model["protocol"], model["prefill"], env["max_turn_tokens"], 0.0,
        tuple(model["stop_strings"]), keep_stop=True,
    )  # fmt: skip
    assert (options.env_max_turns, options.env_fit_tasks) == (env["max_turns"], env["fit_tasks"])
    assert (benches, limit) == (section["benches"], section["limit"])
    # Flags given on the command line replace the recipe's values, one by one.
    args = parse(["--temperature", "0.5", "--env-max-turns", "3"])
    changed = GenerationSettings.from_args(args, settings)
    assert changed == settings.with_changes(temperature=0.5)
    assert bench_options(args, ["env"], options).env_max_turns == 3
    assert bench_options(args, ["env"], options).env_fit_tasks is env["fit_tasks"]
    # A run folder holding recipe.yaml works as well; anything else is one line.
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "recipe.yaml").write_text(MULTITURN.read_text())
    assert recipe_defaults(str(tmp_path / "run"))[0] == settings
    with pytest.raises(BadInputError, match=r"--recipe .*no such recipe file or run folder"):
        recipe_defaults(str(tmp_path / "nothing"))
