"""Sweeps: a grid of training runs over seeds from one file, resumable, on this machine or a
cluster, then a report with confidence intervals.

    from toolzero.sweeps import load_sweep, launch, write_sweep_report
    spec = load_sweep("recipes/sweeps/presets-cpu.yaml")     # validated: every problem at once
    launch(spec, "local")                                    # or "slurm", "print"
    write_sweep_report(spec.output_dir, baseline="preset-toolzero")

Sweeps only compose: each job is an ordinary training run (`toolzero.training.run`) plus
an ordinary evaluation (`toolzero.evaluation.evaluate`) in its run folder, and the report
reads run folders (`toolzero.reports.runs`). Modules: `spec` (the file, its points and
their validation), `runner` (one job, its state, progress), `launchers` (local, slurm,
print), `aggregate` (intervals), `report`.
"""

from toolzero.sweeps.launchers import LAUNCHERS, launch
from toolzero.sweeps.report import write_sweep_report
from toolzero.sweeps.spec import SweepError, SweepSpec, load_sweep

__all__ = ["LAUNCHERS", "SweepError", "SweepSpec", "launch", "load_sweep", "write_sweep_report"]
