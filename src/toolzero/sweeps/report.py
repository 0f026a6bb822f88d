"""`toolzero sweep report DIR`: per point, the mean and 95% interval over seeds of each
metric, paired differences against a baseline point, overlaid curves with seed bands,
`report.md` and CSV files.

Held-out evaluation comes first: it is measured the same way for every point, whatever
its reward. Training rewards come second, each as a share of the range in force at the
end of training (`reports.runs.RunData.share_of_range`: a dynamic schedule moves a raw
reward by itself, and presets have different ranges); a component whose run logged no
range, and the total, are shown raw and say so.

Files written into DIR: `report.md`, `results.csv` (one row per run: point, seed, every
metric, wall time), `summary.csv` (one row per point and metric: mean, interval, the
difference against the baseline and its interval), and `plots/*.png`.
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

from toolzero import run_folder
from toolzero.sweeps.aggregate import Interval, mean_interval, paired_difference
from toolzero.sweeps.curves import plot_curves
from toolzero.sweeps.results import RAW, SweepResults, load_results

# point -> metric -> (mean over seeds, paired difference against the baseline or None)
Table = dict[str, dict[str, tuple[Interval, Interval | None]]]

# Tables ----------------------------------------------------------------------------------


def intervals(results: SweepResults) -> Table:
    """point -> metric -> (mean over seeds, paired difference against the baseline)."""
    out: Table = {}
    base = results.values.get(results.baseline or "", {})
    for point, metrics in results.values.items():
        out[point] = {}
        for metric, by_seed in metrics.items():
            diff = None
            if results.baseline and point != results.baseline:
                diff = paired_difference(by_seed, base.get(metric, {}))
            out[point][metric] = (mean_interval(list(by_seed.values())), diff)
    return out


def _num(value: float, percent: bool = False) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{100 * value:.1f}" if percent else f"{value:.3f}"


def _ci(iv: Interval, percent: bool = False) -> str:
    if math.isnan(iv.low):
        return "n/a (one seed)" if iv.n == 1 else "n/a"
    return f"[{_num(iv.low, percent)}, {_num(iv.high, percent)}]"


def _is_share(metric: str) -> bool:
    """Shares of items (evaluation rates) and shares of a range, shown as percentages."""
    last = metric.rsplit(".", 1)[-1]
    return not metric.endswith(RAW) and (
        "." not in metric or last in ("format_valid", "right_tools", "exact_match")
        or last.endswith("accuracy")
    )


def metric_table(results: SweepResults, metrics: list[str], table: Table) -> list[str]:
    lines = [
        "| point | metric | mean | 95% CI | seeds | per seed |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for point in results.points:
        for metric in metrics:
            iv, _ = table[point.name][metric]
            if iv.n == 0:  # not this point's (a component of another preset)
                continue
            pct = _is_share(metric)
            per_seed = ", ".join(
                f"{s}: {_num(v, pct)}" for s, v in sorted(results.values[point.name][metric].items())
            )
            unit = " (%)" if pct else ""
            lines.append(
                f"| {point.name} | {metric}{unit} | {_num(iv.mean, pct)} | {_ci(iv, pct)} "
                f"| {iv.n} | {per_seed} |"
            )
    return lines


def difference_table(results: SweepResults, table: Table) -> list[str]:
    lines = [
        f"| point | metric | difference vs {results.baseline} | 95% CI | pairs | interval excludes 0 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for point in results.points:
        if point.name == results.baseline:
            continue
        for metric in [*results.evaluation, *results.training]:
            diff = table[point.name][metric][1]
            if diff is None or diff.n == 0:
                continue
            pct = _is_share(metric)
            unit = " (points)" if pct else ""
            excludes = "" if math.isnan(diff.low) else ("yes" if diff.excludes_zero() else "no")
            lines.append(
                f"| {point.name} | {metric}{unit} | {_num(diff.mean, pct)} | {_ci(diff, pct)} "
                f"| {diff.n} | {excludes} |"
            )
    return lines


def wall_table(results: SweepResults) -> list[str]:
    lines = ["| point | training wall time, mean (s) | 95% CI | runs |", "| --- | --- | --- | --- |"]
    for point in results.points:
        iv = mean_interval(list(results.wall[point.name].values()))
        ci = "n/a" if math.isnan(iv.low) else f"[{iv.low:.0f}, {iv.high:.0f}]"
        lines.append(f"| {point.name} | {iv.mean:.0f} | {ci} | {iv.n} |")
    total = sum(sum(w.values()) for w in results.wall.values())
    lines += ["", f"Training wall time of all runs: {total:.0f} s ({total / 60:.1f} min)."]
    return lines


# Files -----------------------------------------------------------------------------------


def write_csvs(results: SweepResults, table: Table) -> tuple[Path, Path]:
    metrics = [*results.evaluation, *results.training]
    per_run = results.directory / "results.csv"
    with per_run.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["point", "seed", "run_dir", *metrics, "wall_s"])
        for point in results.points:
            for seed, run in sorted(point.runs.items()):
                row = [results.values[point.name][m].get(seed, "") for m in metrics]
                writer.writerow([point.name, seed, run.path, *row, results.wall[point.name].get(seed, "")])
    summary = results.directory / "summary.csv"
    with summary.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["point", "metric", "mean", "ci_low", "ci_high", "seeds",
             "baseline", "diff_mean", "diff_low", "diff_high", "pairs"]
        )
        for point in results.points:
            for metric in metrics:
                iv, diff = table[point.name][metric]
                d = [diff.mean, diff.low, diff.high, diff.n] if diff else ["", "", "", ""]
                writer.writerow(
                    [point.name, metric, iv.mean, iv.low, iv.high, iv.n, results.baseline or "", *d]
                )
    return per_run, summary


def write_sweep_report(directory: str | Path, baseline: str | None = None) -> Path:
    """report.md, results.csv, summary.csv and plots/ in the sweep's folder; returns report.md."""
    results = load_results(directory, baseline)
    table = intervals(results)
    write_csvs(results, table)
    plots = plot_curves(results, run_folder.plots_dir(results.directory))
    path = run_folder.report_path(results.directory)
    seeds = sorted({s for p in results.points for s in [*p.runs, *p.missing]})
    lines = [f"# Sweep report: {results.directory.name}", ""]
    if results.description:
        lines += [results.description.strip(), ""]
    lines += [
        f"{len(results.points)} points x seeds {seeds}. Each value is the mean over a point's "
        "seeds with its 95% Student t interval (n - 1 degrees of freedom); with few seeds the "
        "intervals are wide, and n/a with one.",
        "",
    ]
    for point in results.points:
        if point.missing:
            lines.append(f"- **{point.name}**: seeds {point.missing} not finished (run the sweep again)")
    lines += ["", "## Held-out evaluation after training", "", *metric_table(results, results.evaluation, table)]
    lines += [
        "", "## Training rewards at the end of training", "",
        "Mean of the last logged steps, as a share of the range in force (0% = the range's "
        f"low end, 100% = its high end); values marked{RAW} are the raw rewards (no range "
        "logged, or the total): compare those only between points with the same preset.",
        "", *metric_table(results, results.training, table),
    ]
    if results.baseline:
        lines += [
            "", f"## Differences against {results.baseline}, paired over seeds", "",
            "Each seed's value minus the baseline's at the same seed; mean and 95% t "
            "interval over those differences.", "", *difference_table(results, table),
        ]
    lines += ["", "## Wall time", "", *wall_table(results)]
    if plots:
        lines += ["", "## Training curves (mean over seeds; band: lowest to highest seed)", ""]
        lines += [f"![{p.stem}]({os.path.relpath(p, path.parent)})" for p in plots]
    lines += ["", "Per-run values: `results.csv`; means and intervals: `summary.csv`."]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
