"""Where a sweep's jobs run: here (`local`), on a SLURM cluster (`slurm`, through
submitit), or anywhere (`print`: the `toolzero train` and `toolzero eval` commands).

- `local` runs the jobs one after another in this process, or `parallel` at a time in
  worker processes (each with its share of the CPU threads); a progress line per job.
- `slurm` submits each unfinished job as one SLURM job with submitit (`pip install
  'toolzero[sweep]'`) and the sweep file's `slurm:` parameters. Without `launch:` a job
  runs `run_job` in one process on its node; with `launch:` (e.g. `accelerate launch
  --config_file recipes/launch/zero3.yaml -m toolzero`, for multi-GPU training) it runs
  that command's `train` and then `toolzero eval`, choosing a fresh start or `--resume`
  from what the run folder holds when the job starts. Rerun the sweep to submit what is
  unfinished; `toolzero sweep report DIR` once the jobs are done.
- `print` writes, per job, the commands that bring it to done from where its run folder
  is now (train or `train --resume`, then the held-out evaluation into `eval-after/`), for
  any scheduler; a finished job is a comment.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from toolzero import run_folder
from toolzero.errors import UserError
from toolzero.sweeps.runner import Progress, State, job_state, run_job
from toolzero.sweeps.spec import Job, SweepSpec, write_manifest

LAUNCHERS = ("local", "slurm", "print")
SUBMITIT_MISSING = (
    "--launcher slurm needs submitit: pip install 'toolzero[sweep]' (or pip install submitit)"
)


def launch(
    spec: SweepSpec,
    launcher: str = "local",
    parallel: int = 1,
    echo: Callable[[str], None] = print,
) -> list[Any]:
    """Run, submit or print every job of a validated sweep; writes `OUTPUT_DIR/sweep.json`
    first, so `toolzero sweep report OUTPUT_DIR` finds the points whoever runs them."""
    if launcher not in LAUNCHERS:
        raise UserError(f"--launcher {launcher}: choose one of {', '.join(LAUNCHERS)}")
    if parallel > 1 and launcher != "local":
        raise UserError(f"--parallel {parallel}: only the local launcher runs jobs itself")
    jobs = list(spec.jobs())
    write_manifest(spec)
    if launcher == "print":
        for job in jobs:
            commands = job_commands(spec, job, job_state(job.run_dir))
            line = " && ".join(shlex.join(c) for c in commands)
            echo(line or f"# {job.point} seed {job.seed}: done ({job.run_dir})")
        return []
    if launcher == "slurm":
        return submit_slurm(spec, jobs, echo)
    return run_local(jobs, parallel, echo)


def run_local(
    jobs: list[Job], parallel: int = 1, echo: Callable[[str], None] = print
) -> list[dict]:
    cores = os.cpu_count() or 1
    if parallel > cores:
        raise UserError(
            f"--parallel {parallel}: this machine has {cores} CPU core(s); give at most {cores}"
        )
    progress = Progress(len(jobs), parallel, echo)
    if parallel == 1:
        outcomes = []
        for job in jobs:
            outcomes.append(run_job(job))
            progress.report(outcomes[-1])
        return outcomes
    return _run_parallel(jobs, parallel, max(1, cores // parallel), progress)


def _run_parallel(
    jobs: list[Job], parallel: int, threads: int, progress: Progress
) -> list[dict]:
    """`parallel` worker processes (spawned: no torch state shared), results as they end."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    outcomes = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=parallel, mp_context=context) as pool:
        futures = [pool.submit(run_job, job, threads) for job in jobs]
        try:
            for future in as_completed(futures):
                outcomes.append(future.result())
                progress.report(outcomes[-1])
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return outcomes


@dataclass(frozen=True)
class CommandJob:
    """A SLURM job running commands: the ones for the run folder's state when it starts."""

    job: Job
    commands: dict[str, list[list[str]]]  # state -> commands

    def __call__(self) -> str:
        state = job_state(self.job.run_dir)
        for command in self.commands[state]:
            subprocess.run(command, check=True)
        return state


def submit_slurm(
    spec: SweepSpec, jobs: list[Job], echo: Callable[[str], None] = print
) -> list[Any]:
    """One SLURM job per unfinished sweep job, submitted as one array; returns submitit's
    job handles (`.job_id`, `.result()`)."""
    try:
        import submitit
    except ImportError:
        raise UserError(SUBMITIT_MISSING) from None
    pending = [job for job in jobs if job_state(job.run_dir) != "done"]
    for job in jobs:
        if job not in pending:
            echo(f"{job.point} seed {job.seed}: already done, not submitted")
    if not pending:
        return []
    executor = submitit.AutoExecutor(folder=str(spec.output_dir / "slurm" / "%j"))
    executor.update_parameters(**{"name": f"toolzero-sweep-{spec.source.stem}", **spec.slurm})
    here = [sys.executable, "-m", "toolzero"]  # the environment that submits runs the jobs
    with executor.batch():
        handles = [
            executor.submit(CommandJob(job, _commands_by_state(spec, job, here)))
            if spec.launch
            else executor.submit(run_job, job)
            for job in pending
        ]
    for job, handle in zip(pending, handles, strict=True):
        echo(f"{job.point} seed {job.seed}: submitted as job {handle.job_id} ({job.run_dir})")
    return handles


def _commands_by_state(spec: SweepSpec, job: Job, toolzero: list[str]) -> dict[str, list]:
    states: tuple[State, ...] = ("done", "evaluate", "resume", "restart", "fresh")
    return {state: job_commands(spec, job, state, toolzero) for state in states}


def job_commands(
    spec: SweepSpec, job: Job, state: State = "fresh", toolzero: list[str] | None = None
) -> list[list[str]]:
    """The commands that bring a job from `state` to done: `train` with the point's
    overrides (or `train --resume`), started with the sweep's `launch` command, then
    `toolzero eval` of the final model with the recipe's evaluation settings."""
    toolzero = toolzero or ["toolzero"]
    trainer = shlex.split(spec.launch) if spec.launch else toolzero
    point = next(p for p in spec.points if p.name == job.point)
    recipe = job.build_recipe()
    settings = recipe.evaluation
    commands = []
    if state == "restart":  # started, no complete checkpoint: nothing to keep
        commands.append(["rm", "-rf", job.run_dir])
    if state in ("fresh", "restart"):
        overrides = spec.point_overrides(point, job.seed)
        commands.append([*trainer, "train", "--config", str(spec.base), *overrides])
    elif state == "resume":
        commands.append([*trainer, "train", "--resume", job.run_dir])
    if state == "done":
        return commands
    evaluate = [
        *toolzero, "eval",
        "--model", str(run_folder.final_dir(job.run_dir)),
        "--bench", *settings.benches,
        "--out", str(run_folder.evaluation_dir(job.run_dir, "after")),
        "--limit", str(settings.limit),
        "--protocol", recipe.model.protocol,
        "--prefill", recipe.model.prefill,
        "--max-new-tokens", str(settings.max_new_tokens),
        "--batch-size", str(settings.batch_size),
    ]
    if recipe.model.stop_strings:
        evaluate += ["--stop", *recipe.model.stop_strings, "--keep-stop"]
    return [*commands, evaluate]
