"""`report.md` for one run or a comparison of several: reward start/end table, before/after
evaluation table, the quickstart's generalization view (before/after on a slice of an
unfamiliar-tool suite, or the line saying why it was skipped), run facts (steps, wall and
CPU time, peak memory) and the plots.

Start and end are means over the first and last few logged steps (`runs.start_end`), so a
single noisy GRPO batch does not decide the headline numbers.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from toolzero import run_folder
from toolzero.evaluation.report import headline_metrics, is_unscaled
from toolzero.reports.runs import RunData, start_end
from toolzero.run_folder import REWARD_PREFIX


def _fmt(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.3f}"
    return str(value)


def reward_table(runs: Sequence[RunData]) -> list[str]:
    """One row per (run, component): start, end, change, and the same as a share of the
    component's range in force (a dynamic schedule moves the raw values by itself)."""
    lines = [
        "| run | reward | start | end | change | start, % of range | end, % of range |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in runs:
        for name in run.reward_components():
            first, last = start_end(run.series(f"{REWARD_PREFIX}{name}")[1])
            shares = run.share_of_range(name)[1]
            share_first, share_last = start_end(shares) if shares else (None, None)
            lines.append(
                f"| {run.name} | {name} | {_fmt(first)} | {_fmt(last)} | {_fmt(last - first)} "
                f"| {_percent(share_first)} | {_percent(share_last)} |"
            )
    return lines


def _percent(share: float | None) -> str:
    return "" if share is None or math.isnan(share) else f"{100 * share:.0f}%"


def flat_numbers(data: Any, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a nested dict, as dotted keys.

    >>> flat_numbers({"synthetic": {"accuracy": 0.5, "n": 10, "name": "x"}})
    {'synthetic.accuracy': 0.5, 'synthetic.n': 10}
    """
    out: dict[str, float] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            out |= flat_numbers(value, f"{prefix}{key}.")
    elif isinstance(data, int | float) and not isinstance(data, bool):
        out[prefix.rstrip(".")] = data
    return out


# Evaluation summary keys that describe the run, not the model's answers.
_SETTINGS = {"n", "seed", "limit", "batch_size", "max_new_tokens", "temperature", "seconds"}
# Counts behind a share (BFCL's `correct` / `total` / `size` beside its `accuracy`), and the
# tallies a benchmark keeps for diagnosis: the share is the result, not these.
_COUNTS = {"correct", "total", "size", "published_size", "items"}
_TALLIES = {"timing", "settings", "counts", "error_types"}
# Shares of items, shown as percentages.
_RATES = {
    "format_valid", "right_tools", "exact_match", "accuracy", "overall_accuracy",
    "calls_naming_listed_tools", "calls_missing_required",
}  # fmt: skip


def evaluation_table(run: RunData) -> list[str]:
    """Before/after rows for every result both evaluations report (settings, timings and
    counts left out; shares of items as percentages)."""
    before = result_numbers(run.evaluation.get("before", {}))
    after = result_numbers(run.evaluation.get("after", {}))
    keys = [k for k in after if k in before]
    if not keys:
        return []
    lines = ["| metric | before | after | change |", "| --- | --- | --- | --- |"]
    presets = _presets(run.evaluation.get("before", {}))
    for key in keys:
        name = key.removeprefix("benchmarks.")
        bench, _, metric = name.partition(".")
        if metric.startswith("reward") and bench in presets:
            name += f" ({presets[bench]})"
        if key.rsplit(".", 1)[-1] in _RATES or key.endswith("_accuracy"):
            b, a = 100 * before[key], 100 * after[key]
            lines.append(f"| {name} (%) | {b:.1f} | {a:.1f} | {a - b:+.1f} |")
        else:
            lines.append(
                f"| {name} | {_fmt(before[key])} | {_fmt(after[key])} "
                f"| {_fmt(after[key] - before[key])} |"
            )
    return lines


def _presets(summary: dict) -> dict[str, str]:
    """Each benchmark's reward preset: its rewards mean nothing without it."""
    benchmarks = summary.get("benchmarks", {}) if isinstance(summary, dict) else {}
    return {
        name: bench["reward_preset"]
        for name, bench in benchmarks.items()
        if isinstance(bench, dict) and isinstance(bench.get("reward_preset"), str)
    }


def is_result(key: str) -> bool:
    """Whether a flattened evaluation summary key is a result (not a setting, count or time)."""
    parts = key.split(".")
    return (
        parts[0] != "run"
        and not _TALLIES.intersection(parts)
        and parts[-1] not in _SETTINGS | _COUNTS
    )


def result_numbers(summary: Any) -> dict[str, float]:
    """The results of an evaluation summary as dotted keys (`is_result`), without partial
    aggregates: a mean over several categories some of which were not evaluated (it says so
    with a non-empty `missing` list, as BFCL's `overall_v3` does after `--bench
    bfcl:simple_python`) would show a category's score under the aggregate's name.

    >>> result_numbers({"bfcl": {"categories": {"irrelevance": {"accuracy": 0.8, "total": 40}},
    ...     "aggregates": {"overall_v3": {"accuracy": 0.8, "missing": ["live"]}}}})
    {'bfcl.categories.irrelevance.accuracy': 0.8}
    """
    return {k: v for k, v in flat_numbers(_without_partial(summary)).items() if is_result(k)}


def _without_partial(data: Any) -> Any:
    if not isinstance(data, dict):
        return data
    return {
        key: _without_partial(value)
        for key, value in data.items()
        if not (isinstance(value, dict) and value.get("missing"))
    }


def unfamiliar_table(run: RunData, named: bool = False) -> list[str]:
    """The generalization view: the unfamiliar-tool suite's headline metrics (as its
    benchmark's registry record names them, the names `eval compare` shows) before and
    after training, or the line saying why it was skipped and how to enable it. `named`
    adds the run's name to the heading (a report on several runs)."""
    view = run.evaluation.get("unfamiliar")
    if not isinstance(view, dict):
        return []
    lines = [
        f"## Generalization: unfamiliar tools ({view.get('bench')}, first {view.get('limit')} "
        f"items){f': {run.name}' if named else ''}",
        "",
    ]
    if view.get("skipped"):
        return [*lines, f"Skipped: {view['skipped']}."]
    if not isinstance(view.get("before"), dict) or not isinstance(view.get("after"), dict):
        return []
    before, after = headline_metrics(view["before"]), headline_metrics(view["after"])
    lines += ["| metric | before | after | change |", "| --- | --- | --- | --- |"]
    for name in (k for k in after if k in before):
        b, a = before[name], after[name]
        scale, unit = (1, "") if is_unscaled(name) else (100, " (%)")
        if b is None or a is None:
            shown = ["—" if v is None else f"{scale * v:.1f}" for v in (b, a)]
            lines.append(f"| {name}{unit} | {shown[0]} | {shown[1]} | — |")
        else:
            lines.append(
                f"| {name}{unit} | {scale * b:.1f} | {scale * a:.1f} | {scale * (a - b):+.1f} |"
            )
    definitions = [
        bench["definition"]
        for bench in (view["after"].get("benchmarks") or {}).values()
        if isinstance(bench, dict) and isinstance(bench.get("definition"), str)
    ]
    lines += ["", *(f"Scoring: {d}." for d in definitions)] if definitions else []
    if any(v is None for v in [*before.values(), *after.values()]):
        lines += ["", "—: not defined (a zero denominator, e.g. no call predicted at all)."]
    folders = [
        run_folder.evaluation_dir(run.path, w, unfamiliar=True).name for w in ("before", "after")
    ]
    lines += [
        "",
        "Tools the training never saw, same generation settings as above. Per-item verdicts: "
        f"`{folders[0]}/`, `{folders[1]}/` (`toolzero eval compare` takes the two folders).",
    ]
    return lines


# The `run.json` values shown, in order (keys of `run_folder.RunStatus`).
STATUS_LABELS = (
    ("wall_s", "training wall time (s)"),
    ("cpu_s", "training CPU time, user + system (s)"),
    ("peak_rss_mb", "peak memory (MiB)"),
    ("quickstart_wall_s", "quickstart wall time, evaluations included (s)"),
    ("quickstart_cpu_s", "quickstart CPU time, evaluations included (s)"),
    ("quickstart_peak_rss_mb", "quickstart peak memory (MiB)"),
)


def run_facts(run: RunData) -> list[str]:
    recipe, status = run.recipe, run.status
    model = recipe.get("model", {}).get("name", "?")
    preset = recipe.get("reward", {}).get("preset", "?")
    steps = run.rows[-1]["step"] if run.rows else 0
    facts = [
        f"- **{run.name}**: model `{model}`, reward preset `{preset}`, "
        f"{steps} of {status.get('total_steps', '?')} steps logged, status {status.get('status', '?')}"
    ]
    facts += [f"  - {label}: {status[key]}" for key, label in STATUS_LABELS if key in status]
    return facts


SAMPLES_SHOWN = 8  # completions of one prompt shown per step
SAMPLE_CHARS = 240


def samples_section(run: RunData) -> list[str]:
    """What the model wrote at the first and the last sampled step: the completions of
    the step's first prompt with their total reward and advantage, and how many of the
    step's completions were distinct (all alike: the group has nothing left to learn from).
    """
    if not run.samples:
        return []
    lines = [f"## What the model wrote: {run.name} (first and last sampled steps)"]
    for step, rows in sorted(run.samples.items()):
        prompt = rows[0].get("prompt", "")
        group = [r for r in rows if r.get("prompt") == prompt][:SAMPLES_SHOWN]
        distinct = len({r.get("completion") for r in rows})
        request = request_line(prompt)  # one line already; `_code` escapes it
        lines += [
            "",
            f"**Step {step}**: {distinct} distinct of {len(rows)} completions. "
            f"The first prompt's request: `{_code(request, 160)}`",
            "",
            "| total reward | advantage | completion |",
            "| --- | --- | --- |",
        ]
        for row in group:
            rewards = row.get("rewards") or {}
            total = sum(v for v in rewards.values() if isinstance(v, int | float))
            lines.append(
                f"| {total:.2f} | {_fmt(row.get('advantage'))} | "
                f"`{_code(row.get('completion', ''), SAMPLE_CHARS)}` |"
            )
    return lines


_END_MARKERS = re.compile(r"(<[^<>\s]+>)+$")  # a chat template's end-of-turn markers


def request_line(prompt: str) -> str:
    """The prompt's last `User:` line (the request, before chat markers and prefill), or
    its last non-empty line."""
    lines = [line.strip() for line in prompt.splitlines() if line.strip()]
    users = [line for line in lines if "User:" in line]
    line = users[-1] if users else (lines[-1] if lines else "")
    line = line[line.index("User:") :] if "User:" in line else line
    return _END_MARKERS.sub("", line)


def _one_line(text: str) -> str:
    return text.replace("\r", "").replace("\n", " ⏎ ")


def _code(text: str, limit: int) -> str:
    """Text for a code span inside a table cell: one line, no backticks, pipes escaped."""
    text = _one_line(str(text)).replace("`", "'")
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("|", "\\|")


def write_report(runs: Sequence[RunData], plots: dict[str, list[Path]], path: str | Path) -> Path:
    """Write the markdown report; plot links are relative to the report's folder.

    It leads with what changed on held-out data (the before/after evaluation), then the
    run's facts, the training rewards and the plots."""
    path = Path(path)
    title = runs[0].name if len(runs) == 1 else " vs ".join(r.name for r in runs)
    lines = [f"# Training report: {title}"]
    for run in runs:
        table = evaluation_table(run)
        if table:
            lines += ["", f"## Evaluation before and after training: {run.name}", "", *table]
        generalization = unfamiliar_table(run, named=len(runs) > 1)
        if generalization:
            lines += ["", *generalization]
    lines += ["", "## Runs", ""]
    for run in runs:
        lines += run_facts(run)
    lines += ["", "## Rewards (mean of the first and last logged steps)", "", *reward_table(runs)]
    if len(runs) == 1 and runs[0].samples:
        lines += ["", *samples_section(runs[0])]
    for section, title_text in (
        ("rewards", "Reward components"),
        ("schedule", "Reward schedule in force"),
        ("episodes", "Episodes (multi-turn)"),
        ("health", "Training health"),
    ):
        if plots.get(section):
            lines += ["", f"## {title_text}", ""]
            for plot in plots[section]:
                rel = os.path.relpath(plot, path.parent)
                lines.append(f"![{plot.stem}]({rel})")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
