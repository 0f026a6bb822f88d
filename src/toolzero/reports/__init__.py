"""Training reports: plots and `report.md` from one run's `metrics.jsonl`, or several
runs overlaid (to compare reward designs).

    from toolzero.reports import generate_report
    generate_report(["runs/quickstart"])                       # -> runs/quickstart/report.md
    generate_report(["runs/a", "runs/b"], "runs/compare-ab")   # overlay

No trainer import: a report can be regenerated anywhere the run folders are.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from toolzero.reports.markdown import write_report
from toolzero.reports.plots import plot_runs
from toolzero.reports.runs import RunData, load_run, start_end
from toolzero.run_folder import plots_dir, report_path


def generate_report(run_dirs: Sequence[str | Path], out_dir: str | Path | None = None) -> Path:
    """Plots and report.md; one run writes into its own folder, several into `out_dir`."""
    if not run_dirs:
        raise ValueError("give at least one run folder")
    runs = [load_run(p) for p in run_dirs]
    if out_dir is None:
        if len(runs) > 1:
            raise ValueError("several runs: give an output folder for the comparison (--out)")
        out_dir = runs[0].path
    plots = plot_runs(runs, plots_dir(out_dir))
    return write_report(runs, plots, report_path(out_dir))


__all__ = ["RunData", "generate_report", "load_run", "start_end"]
