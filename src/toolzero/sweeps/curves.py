"""Overlaid training curves of a sweep: one PNG per training reward, each point's mean
over its seeds (smoothed as `reports.plots` smooths single runs) and a band from the
lowest to the highest seed at each step. matplotlib with the Agg backend."""

from __future__ import annotations

from pathlib import Path

from toolzero import run_folder
from toolzero.reports.plots import moving_average
from toolzero.sweeps.results import RAW, PointRuns, SweepResults


def plot_curves(results: SweepResults, out_dir: Path) -> list[Path]:
    """One PNG per training reward: each point's mean over seeds (smoothed), and a band from
    the lowest to the highest seed at each step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    made = []
    for label in results.training:
        name, raw = label.removesuffix(RAW), label.endswith(RAW)
        fig, ax = plt.subplots(figsize=(6.4, 3.6))
        drawn = False
        for i, point in enumerate(results.points):
            steps, mean, low, high = _seed_band(point, name, raw)
            if not steps:
                continue
            window = max(1, len(steps) // 10)
            colour = f"C{i % 10}"
            ax.fill_between(steps, moving_average(low, window), moving_average(high, window),
                            color=colour, alpha=0.2, linewidth=0)
            ax.plot(steps, moving_average(mean, window), color=colour, linewidth=2,
                    label=f"{point.name} ({len(point.runs)} seeds)")
            drawn = True
        if not drawn:
            plt.close(fig)
            continue
        what = "raw value" if raw else "share of the range in force"
        ax.set_title(f"{'total reward' if name == 'total' else 'reward: ' + name}, {what}")
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        fig.tight_layout()
        path = out_dir / f"sweep_{name}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        made.append(path)
    return made


def _seed_band(
    point: PointRuns, name: str, raw: bool
) -> tuple[list[int], list[float], list[float], list[float]]:
    """(steps, mean, min, max) over the seeds, at the steps every seed logged."""
    series = []
    for run in point.runs.values():
        steps, values = run.series(f"{run_folder.REWARD_PREFIX}{name}") if raw else run.share_of_range(name)
        if steps:
            series.append(dict(zip(steps, values, strict=True)))
    if not series:
        return [], [], [], []
    steps = sorted(set.intersection(*(set(s) for s in series)))
    columns = [[s[step] for s in series] for step in steps]
    return (
        steps,
        [sum(c) / len(c) for c in columns],
        [min(c) for c in columns],
        [max(c) for c in columns],
    )
