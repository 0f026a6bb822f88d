"""Run one sweep job: train (or resume, or skip) its run folder, then evaluate the model.

Each job is an ordinary run folder (`toolzero.run_folder`): training writes it through
`toolzero.training.run`, and the held-out evaluation after training goes to its
`eval-after/` folder (an evaluation output folder, as the quickstart writes it), with
the recipe's evaluation settings, prompt protocol, prefill and stop strings.

What a job does depends on what its folder holds, so rerunning a sweep continues it:

    done        run.json says finished and eval-after/summary.json exists: skipped
    evaluate    training finished, the evaluation did not: evaluate (finished items kept)
    resume      training started and saved a complete checkpoint: resume, then evaluate
    restart     training started but saved no complete checkpoint: start it again
    fresh       nothing there yet: train, then evaluate
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from toolzero import run_folder
from toolzero.sweeps.spec import Job

if TYPE_CHECKING:
    from toolzero.training.recipe import Recipe
    from toolzero.training.run import RunResult

logger = logging.getLogger(__name__)

State = Literal["done", "evaluate", "resume", "restart", "fresh"]


def job_state(run_dir: str | Path) -> State:
    status = run_folder.read_status(run_dir).get("status")
    if status == "finished":
        if run_folder.summary_path(run_folder.evaluation_dir(run_dir, "after")).is_file():
            return "done"
        return "evaluate"
    if run_folder.latest_checkpoint(run_dir) is not None:
        return "resume"
    return "restart" if run_folder.holds_a_run(run_dir) else "fresh"


def run_job(job: Job, threads: int | None = None) -> dict:
    """Bring one job to `done`; returns {"point", "seed", "state" (before), "wall_s"}.

    `threads` caps torch's CPU threads (several jobs sharing one machine). Picklable with
    its argument, so the parallel local launcher and submitit run it in other processes.
    """
    start = time.monotonic()
    state = job_state(job.run_dir)
    if state != "done":
        if threads:
            import torch

            torch.set_num_threads(threads)
        recipe = job.build_recipe()
        if state == "restart":
            logger.info("%s: no complete checkpoint; starting the run again", job.run_dir)
            shutil.rmtree(job.run_dir)
        if state in ("fresh", "restart"):
            _release(_train(recipe))
        elif state == "resume":
            from toolzero.training.run import resume

            _release(resume(job.run_dir))
        evaluate_run(job)
    return {"point": job.point, "seed": job.seed, "state": state,
            "wall_s": round(time.monotonic() - start, 1)}


def _train(recipe: Recipe) -> RunResult:
    from toolzero.training.run import train

    return train(recipe)


def _release(result: RunResult) -> None:
    """Drop the trained model: the evaluation loads the saved final model instead, so a
    fresh, a resumed and an evaluate-only job evaluate the same thing the same way."""
    result.model = result.tokenizer = None


def evaluate_run(job: Job) -> dict:
    """The held-out evaluation of the run's final model into its `eval-after/` folder."""
    from toolzero.evaluation import GenerationSettings, evaluate

    recipe = job.build_recipe()
    section = recipe.evaluation
    return evaluate(
        str(run_folder.final_dir(job.run_dir)),
        benches=list(section.benches),
        out_dir=str(run_folder.evaluation_dir(job.run_dir, "after")),
        limit=section.limit,
        backend="hf",
        # as the quickstart evaluates: the recipe's protocol, prefill and stop strings, kept
        settings=GenerationSettings.from_recipe(recipe),
        batch_size=section.batch_size,
    )


class Progress:
    """One line per job: what it did, its time, and the time left at the pace so far."""

    def __init__(self, total: int, parallel: int = 1, echo: Callable[[str], None] = print):
        self.total, self.parallel, self.echo = total, parallel, echo
        self.done = 0
        self.worked: list[float] = []  # wall times of the jobs that ran (not skipped)

    def report(self, outcome: dict) -> None:
        self.done += 1
        if outcome["state"] != "done":
            self.worked.append(outcome["wall_s"])
        left = self.total - self.done
        what = "already done, skipped" if outcome["state"] == "done" else (
            f"{_ACTION[outcome['state']]} in {_duration(outcome['wall_s'])}"
        )
        eta = ""
        if left and self.worked:
            per_job = sum(self.worked) / len(self.worked)
            eta = f"; ETA {_duration(per_job * left / self.parallel)} for {left} more"
        self.echo(f"[{self.done}/{self.total}] {outcome['point']} seed {outcome['seed']}: {what}{eta}")


_ACTION = {
    "evaluate": "evaluated",
    "resume": "resumed, trained and evaluated",
    "restart": "restarted, trained and evaluated",
    "fresh": "trained and evaluated",
}


def _duration(seconds: float) -> str:
    """
    >>> _duration(42.0), _duration(600.0), _duration(5400.0)
    ('42 s', '10.0 min', '1.5 h')
    """
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
