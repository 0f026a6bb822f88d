"""The `env` benchmark: held-out tasks played as multi-turn episodes through the registry.

A scripted backend answers each turn with the task's reference trajectory (read from the
prompt it is shown), so the expected verdicts come from the environment's own rules:
every episode succeeds; a backend that never calls fails every state or answer check.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from toolzero.environments.episode import reference_trajectory
from toolzero.environments.registry import environment_tasks
from toolzero.evaluation.generation import ModelUnderTest
from toolzero.evaluation.registry import BenchOptions, RunContext, get_benchmark
from toolzero.evaluation.settings import GenerationSettings
from toolzero.protocol.types import render_toolrl_output
from toolzero.user_files import BadInputError

from .eval_fakes import PlainTokenizer, ScriptedBackend

PREFILL = "<think>"


def reference_script(tasks):
    """The turn a task's reference trajectory takes, given the text shown so far."""

    def script(prompt: str) -> str:
        task = next(t for t in tasks if t.messages[0].content in prompt)
        done = prompt.count("[assistant]") - 1  # model turns taken (the prompt opens one)
        calls = reference_trajectory(task)
        if done < len(calls):
            text = render_toolrl_output("look it up", calls[done], None)
        else:
            text = render_toolrl_output("done", [], task.reference_response)
        return text[len(PREFILL) :]

    return script


def run_env(
    tmp_path: Path, script, n: int = 6, max_turns: int = 4, seed: int = 2, name: str = "synthetic_world"
):
    settings = GenerationSettings("toolrl", PREFILL, max_new_tokens=64)
    backend = ScriptedBackend(script)
    model = ModelUnderTest(backend, PlainTokenizer(), settings)
    options = BenchOptions(synthetic_seed=seed, env_max_turns=max_turns)
    ctx = RunContext(model, tmp_path, [name], n, 4, options)
    return get_benchmark("env").run_bench(ctx), backend


@pytest.mark.parametrize("name", ["synthetic_world", "search", "bfcl_api"])
def test_reference_trajectories_succeed_and_results_are_shown(tmp_path: Path, name: str) -> None:
    if name == "bfcl_api":
        pytest.importorskip("bfcl_eval", reason="bfcl-eval is not installed")
    tasks = environment_tasks(name, 6, seed=2, split="heldout")
    max_turns = max(len(reference_trajectory(t)) for t in tasks) + 1
    summary, backend = run_env(tmp_path, reference_script(tasks), max_turns=max_turns, name=name)
    assert summary["n"] == 6
    assert summary["outcome_success"] == 1.0 and summary["outcome_score"] == 1.0
    assert summary["failed_calls"] == 0.0
    assert summary["ended"]["answer"] == 1.0
    expected_turns = sum(len(reference_trajectory(t)) + 1 for t in tasks) / 6
    assert summary["turns"] == pytest.approx(expected_turns)
    # Later prompts carry the earlier turns and the tools' results in ToolRL's <obs> form.
    later = [p for p in backend.prompts if "</obs>" in p]
    assert later and all("</tool_call>" in p for p in later)


def test_a_model_that_never_calls_fails_and_max_turns_ends_loops(tmp_path: Path) -> None:
    summary, _ = run_env(tmp_path / "a", lambda p: " no idea </think>\n<response> 7 </response>")
    assert summary["outcome_success"] == 0.0
    assert summary["turns"] == 1.0 and summary["calls"] == 0.0
    call = ' x </think>\n<tool_call>\n{"name": "no_such_tool", "parameters": {}}\n</tool_call>'
    summary, _ = run_env(tmp_path / "b", lambda p: call, max_turns=3)
    assert summary["turns"] == 3.0
    assert summary["failed_calls"] == 3.0
    assert summary["ended"]["max_turns"] == 1.0


def test_env_bench_inputs_are_checked_before_a_model_loads() -> None:
    bench = get_benchmark("env")
    with pytest.raises(BadInputError, match="env:NAME with NAME one of synthetic_world"):
        bench.check_inputs(["atlantis"], BenchOptions())
    with pytest.raises(BadInputError, match="name one environment"):
        bench.check_inputs([], BenchOptions())
    with pytest.raises(BadInputError, match="--env-max-turns"):
        bench.check_inputs(["synthetic_world"], BenchOptions(env_max_turns=0))
    # Every task needs a call turn and the answer: none fits in one turn.
    with pytest.raises(BadInputError, match=r"0 of .* heldout tasks fit in max_turns 1 .*--env-fit-tasks"):
        bench.check_inputs(["synthetic_world"], BenchOptions(env_max_turns=1, env_fit_tasks=True))
    bench.check_inputs(["synthetic_world"], BenchOptions(env_max_turns=2, env_fit_tasks=True))


def test_fit_tasks_plays_only_tasks_solvable_in_max_turns(tmp_path: Path) -> None:
    tasks = environment_tasks("synthetic_world", 60, seed=2, split="heldout")
    fitting = [t for t in tasks if len(reference_trajectory(t)) + 1 <= 2][:6]
    settings = GenerationSettings("toolrl", PREFILL, max_new_tokens=64)
    backend = ScriptedBackend(reference_script(tasks))
    model = ModelUnderTest(backend, PlainTokenizer(), settings)
    options = BenchOptions(synthetic_seed=2, env_max_turns=2, env_fit_tasks=True)
    summary = get_benchmark("env").run_bench(RunContext(model, tmp_path, ["synthetic_world"], 6, 4, options))
    # The reference trajectory of every fitted task ends in 2 turns, so all succeed.
    assert summary["n"] == 6 and summary["outcome_success"] == 1.0
    assert summary["settings"] == {"max_turns": 2, "fit_tasks": True}
    assert summary["turns"] == 2.0
    assert set(summary["by_family"]) == {t.metadata["family"] for t in fitting}
