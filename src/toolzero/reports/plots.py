"""PNG plots of one or more runs: every reward component over steps, schedules, how
multi-turn episodes went (outcome, turns, calls, cut turns, tool time), and the training
health curves (KL, entropy, completion length, step time).

Several runs are overlaid on the same axes, one colour per run, which is how users
compare reward designs. Raw per-step values are drawn thin, a moving average thick (GRPO
batches are small and noisy). matplotlib with the Agg backend: no display needed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from toolzero.reports.runs import RunData
from toolzero.run_folder import REWARD_PREFIX, SCHEDULE_PREFIX

HEALTH = (
    ("kl", "KL to the reference"),
    ("entropy", "entropy (nats/token)"),
    ("completion_length/mean", "completion length (tokens)"),
    ("step_time_s", "step time (s)"),
    ("frac_reward_zero_std", "groups with zero reward variance"),
    ("tokens_per_s", "tokens/s"),
)
# Multi-turn runs (`toolzero.training.rollout`'s `env/...` metrics): how episodes went.
EPISODES = (
    ("env/outcome_success", "episodes whose outcome check passed"),
    ("env/turns", "model turns per episode"),
    ("env/calls", "calls per episode"),
    ("env/failed_calls", "failed calls per episode"),
    ("env/ended_truncated", "episodes ended by a turn's token cap"),
    ("env/observation_token_share", "tool-result share of episode tokens"),
    ("env/tool_time_s", "tool time per step (s)"),
    ("env/rollout_s", "rollout time per step (s)"),
)


def moving_average(values: Sequence[float], window: int) -> list[float]:
    """Trailing mean over up to `window` values.

    >>> moving_average([0.0, 2.0, 4.0], 2)
    [0.0, 1.0, 3.0]
    """
    out = []
    for i in range(len(values)):
        chunk = values[max(0, i - window + 1) : i + 1]
        out.append(sum(chunk) / len(chunk))
    return out


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")


def plot_metric(
    runs: Sequence[RunData], key: str, title: str, path: Path, series=None
) -> Path | None:
    """One metric of every run on one axis; None when no run has it.

    `series(run) -> (steps, values)` draws a derived curve instead of the logged `key`.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    drawn = False
    for i, run in enumerate(runs):
        steps, values = series(run) if series else run.series(key)
        if not steps:
            continue
        colour = f"C{i % 10}"
        window = max(1, len(values) // 10)
        ax.plot(steps, values, color=colour, alpha=0.35, linewidth=1)
        ax.plot(steps, moving_average(values, window), color=colour, linewidth=2, label=run.name)
        drawn = True
    if not drawn:
        plt.close(fig)
        return None
    ax.set_title(title)
    ax.set_xlabel("step")
    ax.grid(alpha=0.3)
    if len(runs) > 1:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_runs(runs: Sequence[RunData], out_dir: str | Path) -> dict[str, list[Path]]:
    """Write all plots; returns {"rewards", "schedule", "episodes", "health"} -> paths
    (`episodes` only for runs that logged multi-turn metrics)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    components: list[str] = []
    schedules: list[str] = []
    for run in runs:
        components += [c for c in run.reward_components() if c not in components]
        schedules += [k for k in run.keys_with_prefix(SCHEDULE_PREFIX) if k not in schedules]
    made: dict[str, list[Path]] = {"rewards": [], "schedule": [], "episodes": [], "health": []}
    for name in components:
        title = "total reward" if name == "total" else f"reward: {name}"
        path = plot_metric(runs, f"{REWARD_PREFIX}{name}", title, out / f"reward_{_slug(name)}.png")
        made["rewards"] += [path] if path else []
        # plot_metric returns None when no run logged the range
        if any(not _constant(runs, f"{SCHEDULE_PREFIX}{name}.{e}") for e in ("low", "high")):
            path = plot_metric(
                runs,
                name,
                f"reward: {name}, share of the range in force",
                out / f"reward_{_slug(name)}_share.png",
                series=lambda run, name=name: run.share_of_range(name),
            )
            made["rewards"] += [path] if path else []
    for key in schedules:
        if _constant(runs, key):
            continue
        path = plot_metric(runs, key, f"schedule: {key.removeprefix(SCHEDULE_PREFIX)}", out / f"{_slug(key)}.png")
        made["schedule"] += [path] if path else []
    for section, curves in (("episodes", EPISODES), ("health", HEALTH)):
        for key, title in curves:
            path = plot_metric(runs, key, title, out / f"{_slug(key)}.png")
            made[section] += [path] if path else []
    return made


def _constant(runs: Sequence[RunData], key: str) -> bool:
    values = {v for run in runs for v in run.series(key)[1]}
    return len(values) <= 1
