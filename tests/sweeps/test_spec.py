"""The sweep file: expansion into points and runs, stable names, validation of the file and
of every point's recipe with every problem reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from toolzero.sweeps.spec import SweepError, expand_points, load_sweep, override_text
from toolzero.training.recipe import parse_override

from .conftest import QUICKSTART, write_sweep


def test_grid_times_zip_times_seeds(tmp_path: Path) -> None:
    path = write_sweep(
        tmp_path,
        grid={"reward.preset": ["toolrl", "tool-n1"], "lora.r": [8, 16]},
        zip={"grpo.learning_rate": [1.0e-4, 2.0e-4], "grpo.temperature": [0.8, 1.0]},
        seeds=[3, 7],
        overrides={"grpo.max_steps": 4},
    )
    spec = load_sweep(path, check_machine=False)
    names = [p.name for p in spec.points]
    assert len(names) == 2 * 2 * 2 == len(set(names))
    # the first grid key varies slowest, zip rows fastest; values pair up by position
    assert names[:3] == [
        "preset-toolrl_r-8_learning_rate-0.0001_temperature-0.8",
        "preset-toolrl_r-8_learning_rate-0.0002_temperature-1.0",
        "preset-toolrl_r-16_learning_rate-0.0001_temperature-0.8",
    ]
    jobs = list(spec.jobs())
    assert len(jobs) == 16
    assert [(j.point, j.seed) for j in jobs[:2]] == [(names[0], 3), (names[0], 7)]
    last = jobs[-1].build_recipe()
    assert last.reward.preset == "tool-n1" and last.lora.r == 16
    assert (last.grpo.learning_rate, last.grpo.temperature) == (2.0e-4, 1.0)
    assert last.grpo.max_steps == 4 and last.run.seed == 7
    assert last.run.output_dir == str(tmp_path / "out" / names[-1] / "seed-7")
    assert jobs[-1].run_dir == last.run.output_dir
    # the rest comes from the base recipe, as its file says
    base = yaml.safe_load(QUICKSTART.read_text())
    assert last.model.protocol == base["model"]["protocol"]
    assert last.grpo.num_generations == base["grpo"]["num_generations"]
    assert last.grpo.prompts_per_step == base["grpo"]["prompts_per_step"]


def test_names_are_stable_and_independent_of_seeds(tmp_path: Path) -> None:
    one = write_sweep(tmp_path, "a.yaml", grid={"reward.preset": ["toolrl"]}, seeds=[0])
    two = write_sweep(tmp_path, "b.yaml", grid={"reward.preset": ["toolrl"]}, seeds=[5, 1, 0])
    a, b = load_sweep(one, check_machine=False), load_sweep(two, check_machine=False)
    assert [p.name for p in a.points] == [p.name for p in b.points] == ["preset-toolrl"]
    assert a.run_dir("preset-toolrl", 0) == b.run_dir("preset-toolrl", 0)


def test_no_axes_is_one_point_and_seeds_default_to_the_recipes(tmp_path: Path) -> None:
    spec = load_sweep(write_sweep(tmp_path), check_machine=False)
    assert [p.name for p in spec.points] == ["base"] and spec.seeds == [0]  # quickstart's seed


def test_list_values_name_a_point() -> None:
    (point,) = expand_points({"model.stop_strings": [["</tool_call>", "</response>"]]}, {})
    assert point.name == "stop_strings-tool_call-response"


def test_base_is_relative_to_the_sweep_file(tmp_path: Path) -> None:
    folder = tmp_path / "sweeps"
    folder.mkdir()
    (tmp_path / "base.yaml").write_text(QUICKSTART.read_text())
    spec = load_sweep(write_sweep(folder, base="../base.yaml"), check_machine=False)
    assert spec.base == tmp_path / "base.yaml"


def test_every_problem_at_once(tmp_path: Path) -> None:
    path = write_sweep(
        tmp_path,
        grids={"reward.preset": ["toolrl"]},
        grid={"reward.preset": ["toolrl", "nosuch"], "run.seed": [1, 2], "grpo.top_k": [1]},
        zip={"grpo.top_k": [1, 2], "grpo.temperature": [0.5, 0.7]},
        seeds=[0, 0],
        overrides={"nosection.x": 1},
        baseline="preset-tolrl",
        metrics={"evaluation": ["bfcl.overall"], "training": ["corectness"]},
        slurm={"partition": "gpu"},
    )
    with pytest.raises(SweepError) as caught:
        load_sweep(path, check_machine=False)
    problems = caught.value.problems
    text = "\n".join(problems)
    expected = [
        "grids: unknown key; did you mean grid?",
        "grid.run.seed: run.seed is set by the sweep; list the seeds under `seeds: [...]`",
        "grpo.top_k: in both grid and zip; keep it in one",
        "seeds: [0, 0] repeats a seed",
        "overrides.nosection.x: nosection: unknown section",
        "slurm.partition: unknown parameter; write slurm_partition for a SlurmExecutor parameter",
        "baseline: preset-tolrl: unknown point; known: preset-toolrl_top_k-1_temperature-0.5,",
        "metrics.evaluation: 'bfcl.overall' is not BENCH.METRIC of an evaluated benchmark (synthetic)",
        "metrics.training: corectness: unknown reward component; did you mean correctness?",
    ]
    for words in expected:
        assert words in text, (words, text)
    # a point's recipe problem names the points that have it
    prefix = "preset-nosuch_top_k-1_temperature-0.5, preset-nosuch_top_k-1_temperature-0.7: reward.preset: 'nosuch'"
    assert any(p.startswith(prefix) for p in problems), text
    assert str(caught.value).startswith(f"{path} has {len(problems)} problem(s):")


def test_a_problem_of_every_point_is_listed_once(tmp_path: Path) -> None:
    path = write_sweep(
        tmp_path, grid={"reward.preset": ["toolrl", "tool-n1"]}, seeds=[0, 1], overrides={"lora.r": 0}
    )
    with pytest.raises(SweepError) as caught:
        load_sweep(path, check_machine=False)
    assert caught.value.problems == ["lora.r: must be > 0, got 0"]


def test_a_problem_of_one_seed_names_it(tmp_path: Path) -> None:
    spec = load_sweep(write_sweep(tmp_path, grid={"reward.preset": ["toolrl", "tool-n1"]}, seeds=[0, 1]), check_machine=False)
    job = list(spec.jobs())[1]
    Path(job.run_dir).mkdir(parents=True)
    (Path(job.run_dir) / "recipe.yaml").write_text("grpo: {max_steps: 1}\n")
    with pytest.raises(SweepError) as caught:
        load_sweep(spec.source, check_machine=False)
    (problem,) = caught.value.problems
    assert problem.startswith(f"preset-toolrl seed 1: {job.run_dir} holds a run with other settings")


def test_zip_lists_must_pair_up(tmp_path: Path) -> None:
    path = write_sweep(tmp_path, zip={"grpo.top_k": [1, 2], "grpo.temperature": [0.5]})
    with pytest.raises(SweepError, match=r"zip: every list must have the same length \(grpo.top_k: 2, grpo.temperature: 1\)"):
        load_sweep(path, check_machine=False)


def test_missing_and_broken_base(tmp_path: Path) -> None:
    with pytest.raises(SweepError, match="base: missing"):
        load_sweep(write_sweep(tmp_path, base=""), check_machine=False)
    with pytest.raises(SweepError, match="base: no such recipe file"):
        load_sweep(write_sweep(tmp_path, base="nope.yaml"), check_machine=False)


def test_machine_checks_run_as_each_recipe_says(tmp_path: Path) -> None:
    """A point asking for a GPU fails on a machine without one, before anything runs;
    run.machine_checks=false (--skip-machine-checks) skips it, as for `toolzero train`."""
    from toolzero.machine import cuda_status

    if cuda_status().available:
        pytest.skip("this machine has a usable CUDA GPU")
    path = write_sweep(tmp_path, grid={"model.dtype": ["float32", "float16"]})
    with pytest.raises(SweepError) as caught:
        load_sweep(path)
    (problem,) = caught.value.problems
    assert problem.startswith("dtype-float16: model.dtype=float16: this recipe needs a CUDA GPU")
    load_sweep(path, ["run.machine_checks=false"])


def test_a_run_folder_with_other_settings_is_refused(tmp_path: Path) -> None:
    spec = load_sweep(write_sweep(tmp_path, seeds=[0]), check_machine=False)
    job = next(spec.jobs())
    Path(job.run_dir).mkdir(parents=True)
    recipe = job.build_recipe()
    recipe.grpo.max_steps = 99
    (Path(job.run_dir) / "recipe.yaml").write_text(recipe.to_yaml())
    with pytest.raises(SweepError, match=r"holds a run with other settings \(grpo.max_steps\)"):
        load_sweep(spec.source, check_machine=False)
    (Path(job.run_dir) / "recipe.yaml").write_text(job.build_recipe().to_yaml())
    load_sweep(spec.source, check_machine=False)  # the same settings: resumable


@pytest.mark.parametrize(
    "value", ["toolrl", "tool-n1", 2.0e-4, 12, True, None, ["</tool_call>"], {"a": 1}, "a: b", "[x"]
)
def test_override_text_reads_back(value: object) -> None:
    path, parsed = parse_override(override_text("section.key", value))
    assert path == ["section", "key"] and parsed == value and type(parsed) is type(value)
