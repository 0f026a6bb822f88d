"""The print launcher's commands, the slurm launcher through a stand-in submitit, and the
command a job needs in each state of its run folder."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import shlex
import sys
import types
from pathlib import Path
from typing import ClassVar

import pytest

from toolzero import run_folder
from toolzero.cli import build_parser
from toolzero.errors import UserError
from toolzero.sweeps import launch, load_sweep
from toolzero.sweeps.launchers import CommandJob, job_commands
from toolzero.sweeps.runner import job_state, run_job
from toolzero.training.recipe import load_recipe

from .conftest import QUICKSTART, write_sweep

ACCELERATE = "accelerate launch --config_file recipes/launch/zero3.yaml -m toolzero"


@pytest.fixture
def spec(tmp_path: Path):
    path = write_sweep(
        tmp_path,
        grid={"reward.preset": ["toolrl", "tool-n1"]},
        seeds=[0, 1],
        overrides={"grpo.max_steps": 3, "model.stop_strings": ["</tool_call>"]},
        evaluation={"benches": ["synthetic"], "limit": 5, "max_new_tokens": 40},
        slurm={"timeout_min": 30, "gpus_per_node": 1, "slurm_partition": "gpu"},
    )
    return load_sweep(path, check_machine=False)


def finish(run_dir: str, evaluated: bool = True) -> None:
    """Make a run folder look finished (and evaluated) without training."""
    Path(run_dir).mkdir(parents=True, exist_ok=True)
    run_folder.update_status(run_dir, status="finished")
    if evaluated:
        eval_dir = run_folder.evaluation_dir(run_dir, "after")
        eval_dir.mkdir(parents=True)
        run_folder.summary_path(eval_dir).write_text("{}")


def checkpoint(run_dir: str, step: int) -> None:
    path = run_folder.checkpoints_dir(run_dir) / f"checkpoint-{step}"
    path.mkdir(parents=True)
    (path / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    run_folder.append_metrics_row(run_folder.metrics_path(run_dir), {"step": step})


def test_job_states(spec) -> None:
    jobs = list(spec.jobs())
    finish(jobs[0].run_dir)
    finish(jobs[1].run_dir, evaluated=False)
    checkpoint(jobs[2].run_dir, 1)
    Path(jobs[3].run_dir).mkdir(parents=True)
    run_folder.append_metrics_row(run_folder.metrics_path(jobs[3].run_dir), {"step": 1})
    assert [job_state(j.run_dir) for j in jobs] == ["done", "evaluate", "resume", "restart"]
    assert job_state(str(Path(jobs[0].run_dir).parent / "seed-9")) == "fresh"


def test_print_gives_train_and_eval_commands_that_do_what_the_job_does(spec) -> None:
    lines: list[str] = []
    assert launch(spec, "print", echo=lines.append) == []
    jobs = list(spec.jobs())
    assert len(lines) == len(jobs) == 4
    parser = build_parser()
    for line, job in zip(lines, jobs, strict=True):
        train, evaluate = (shlex.split(part) for part in line.split(" && "))
        assert train[:4] == ["toolzero", "train", "--config", str(QUICKSTART)]
        # the overrides rebuild exactly the job's recipe
        assert load_recipe(train[3], train[4:]).to_dict() == job.build_recipe().to_dict()
        assert evaluate[:2] == ["toolzero", "eval"]
        args = parser.parse_args(evaluate[1:])
        assert args.model == str(run_folder.final_dir(job.run_dir))
        assert args.out == str(run_folder.evaluation_dir(job.run_dir, "after"))
        assert (args.bench, args.limit, args.max_new_tokens) == (["synthetic"], 5, 40)
        assert (args.protocol, args.prefill) == ("compact", "<think>")
        assert args.stop == ["</tool_call>"] and args.keep_stop
    # the manifest the report reads is written for whoever runs the commands
    manifest = json.loads((spec.output_dir / "sweep.json").read_text())
    assert [p["name"] for p in manifest["points"]] == ["preset-toolrl", "preset-tool-n1"]


def test_print_continues_from_each_run_folder(spec) -> None:
    jobs = list(spec.jobs())
    finish(jobs[0].run_dir)
    finish(jobs[1].run_dir, evaluated=False)
    checkpoint(jobs[2].run_dir, 2)
    Path(jobs[3].run_dir).mkdir(parents=True)
    run_folder.append_metrics_row(run_folder.metrics_path(jobs[3].run_dir), {"step": 1})
    lines: list[str] = []
    launch(spec, "print", echo=lines.append)
    assert lines[0] == f"# preset-toolrl seed 0: done ({jobs[0].run_dir})"
    assert shlex.split(lines[1])[:2] == ["toolzero", "eval"]
    assert shlex.split(lines[2].split(" && ")[0]) == ["toolzero", "train", "--resume", jobs[2].run_dir]
    assert shlex.split(lines[3].split(" && ")[0]) == ["rm", "-rf", jobs[3].run_dir]
    assert shlex.split(lines[3].split(" && ")[1])[:2] == ["toolzero", "train"]


class FakeJob:
    def __init__(self, number: int) -> None:
        self.job_id = str(4000 + number)


class FakeExecutor:
    """submitit.AutoExecutor's interface as the slurm launcher uses it."""

    made: ClassVar[list[FakeExecutor]] = []

    def __init__(self, folder: str) -> None:
        self.folder, self.params, self.submitted, self.in_batch = folder, {}, [], False
        FakeExecutor.made.append(self)

    def update_parameters(self, **params: object) -> None:
        self.params.update(params)

    @contextlib.contextmanager
    def batch(self):
        self.in_batch = True
        yield
        self.in_batch = False

    def submit(self, fn, *args):
        pickle.dumps((fn, args))  # submitit pickles the call for the node
        self.submitted.append((fn, args, self.in_batch))
        return FakeJob(len(self.submitted))


@pytest.fixture
def fake_submitit(monkeypatch: pytest.MonkeyPatch):
    module = types.ModuleType("submitit")
    module.AutoExecutor = FakeExecutor
    FakeExecutor.made = []
    monkeypatch.setitem(sys.modules, "submitit", module)
    return FakeExecutor


def test_slurm_submits_every_unfinished_job_as_one_array(spec, fake_submitit) -> None:
    jobs = list(spec.jobs())
    finish(jobs[0].run_dir)
    lines: list[str] = []
    handles = launch(spec, "slurm", echo=lines.append)
    (executor,) = fake_submitit.made
    assert executor.folder == str(spec.output_dir / "slurm" / "%j")
    assert executor.params == {
        "name": "toolzero-sweep-sweep", "timeout_min": 30, "gpus_per_node": 1, "slurm_partition": "gpu"
    }
    assert [(fn, args, batched) for fn, args, batched in executor.submitted] == [
        (run_job, (job,), True) for job in jobs[1:]
    ]
    assert [h.job_id for h in handles] == ["4001", "4002", "4003"]
    assert lines[0] == "preset-toolrl seed 0: already done, not submitted"
    assert lines[1] == f"preset-toolrl seed 1: submitted as job 4001 ({jobs[1].run_dir})"


def test_slurm_with_a_launch_command_runs_the_commands_for_the_folders_state(
    spec, fake_submitit, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec.launch = ACCELERATE
    launch(spec, "slurm", echo=lambda line: None)
    (executor,) = fake_submitit.made
    command_job = executor.submitted[0][0]
    assert isinstance(command_job, CommandJob) and executor.submitted[0][1] == ()
    ran: list[list[str]] = []
    monkeypatch.setattr("subprocess.run", lambda command, check: ran.append(command))
    job = command_job.job
    checkpoint(job.run_dir, 1)  # by the time the job starts, an earlier one got this far
    assert command_job() == "resume"
    assert ran[0] == [*ACCELERATE.split(), "train", "--resume", job.run_dir]
    assert ran[1][:4] == [sys.executable, "-m", "toolzero", "eval"]


def test_slurm_without_submitit_names_the_extra(spec, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "submitit", None)  # import submitit raises ImportError
    with pytest.raises(UserError, match=r"pip install 'toolzero\[sweep\]'"):
        launch(spec, "slurm")


def test_parallel_is_for_the_local_launcher_and_this_machines_cores(spec) -> None:
    with pytest.raises(UserError, match="--parallel 2: only the local launcher"):
        launch(spec, "print", parallel=2)
    with pytest.raises(UserError, match="CPU core"):
        launch(spec, "local", parallel=100000)


def test_launch_prefix_starts_training_only(spec) -> None:
    spec.launch = ACCELERATE
    job = next(spec.jobs())
    train, evaluate = job_commands(spec, job)
    assert train[: len(ACCELERATE.split()) + 1] == [*ACCELERATE.split(), "train"]
    assert evaluate[:2] == ["toolzero", "eval"]


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs 2 CPU cores")
def test_parallel_runs_jobs_in_worker_processes(spec) -> None:
    """Two workers; every job already done, so each returns at once without a model: the
    jobs and their outcomes cross the process boundary, and each gets a progress line."""
    for job in spec.jobs():
        finish(job.run_dir)
    lines: list[str] = []
    outcomes = launch(spec, "local", parallel=2, echo=lines.append)
    assert sorted((o["point"], o["seed"], o["state"]) for o in outcomes) == sorted(
        (j.point, j.seed, "done") for j in spec.jobs()
    )
    assert [line.split(" ", 1)[0] for line in lines] == ["[1/4]", "[2/4]", "[3/4]", "[4/4]"]


def test_a_job_name_in_the_sweep_file_replaces_the_default(spec, fake_submitit) -> None:
    spec.slurm = {"name": "mine", "timeout_min": 5}
    launch(spec, "slurm", echo=lambda line: None)
    assert fake_submitit.made[0].params == {"name": "mine", "timeout_min": 5}
