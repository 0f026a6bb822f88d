"""Evaluation reports: `report.md` with a section per benchmark, a BFCL bar chart, and before/after comparison.

    write_report(summary, out_dir)         # report.md + bfcl_categories.png
    compare_runs(dir_a, dir_b) -> str      # markdown: every headline number, A, B, B - A

Each benchmark's section and headline metrics come from its registry record (written in
`sections.py`). Accuracies are shown in percent with the counts behind them; an aggregate
that did not cover all its items says "partial" (see `bfcl.summary`). Every item's verdict stays in
`<bench>/items.jsonl`; the report points at those files and counts failures by type.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from toolzero import run_folder
from toolzero.evaluation.registry import REGISTRY, get_benchmark
from toolzero.evaluation.sections import CHART_NAME, pct
from toolzero.user_files import BadInputError, MissingInputError, read_text

__all__ = ["CHART_NAME", "compare_runs", "headline_metrics", "pct", "render_report"]


def _run_line(run: dict[str, Any]) -> str:
    if "protocol" not in run:  # `toolzero eval score`: no model was run
        return f"Scored {run.get('model')} (no generation)."
    return (
        f"Model `{run.get('model')}`, backend `{run.get('backend')}`, prompt protocol "
        f"`{run.get('protocol')}`, prefill `{run.get('prefill') or '(none)'}`, max "
        f"{run.get('max_new_tokens')} new tokens, temperature {run.get('temperature')}, limit "
        f"{run.get('limit') or 'none'}; toolzero {run.get('toolzero')}, bfcl-eval {run.get('bfcl_eval')}."
    )


def render_report(summary: dict[str, Any]) -> str:
    lines = ["# Evaluation report", "", _run_line(summary.get("run", {})), ""]
    for name, result in (summary.get("benchmarks") or {}).items():
        bench = get_benchmark(name)
        lines += [f"## {bench.title}", "", *bench.section(result)]
        lines += ["", f"Per-item results: `{result.get('items_file', '')}`.{_throughput(result)}", ""]
    return "\n".join(lines) + "\n"


def _throughput(result: dict[str, Any]) -> str:
    """' Throughput: ...' with the rates this run measured (scored predictions have no
    generation rate), or '' when it measured none."""
    timing = result.get("timing") or {}
    rates = [
        f"{timing[key]} items/s {what}"
        for key, what in (
            ("generation_items_per_second", "generating"),
            ("scoring_items_per_second", "scoring"),
        )
        if timing.get(key) is not None
    ]
    return f" Throughput: {', '.join(rates)}." if rates else ""


def bfcl_chart(bfcl: dict[str, Any], path: Path) -> Path | None:
    """A horizontal bar per BFCL category that ran (accuracy, %)."""
    cats = {
        k: v for k, v in (bfcl.get("categories") or {}).items() if v.get("accuracy") is not None
    }
    if not cats:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 0.35 * len(cats) + 1.2))
    names = list(cats)[::-1]
    ax.barh(names, [100 * cats[n]["accuracy"] for n in names], color="#4c72b0")
    ax.set_xlim(0, 100)
    ax.set_xlabel("accuracy (%)")
    ax.set_title("BFCL accuracy per category")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_report(summary: dict[str, Any], out_dir: str | Path) -> Path:
    out = Path(out_dir)
    if "bfcl" in (summary.get("benchmarks") or {}):
        bfcl_chart(summary["benchmarks"]["bfcl"], out / CHART_NAME)
    path = run_folder.report_path(out)
    path.write_text(render_report(summary), encoding="utf-8")
    return path


def headline_metrics(summary: dict[str, Any]) -> dict[str, float | None]:
    """Every number worth comparing, under a stable name (`bfcl/overall_v3`, ...): each
    benchmark's registered headline metrics, prefixed with its name."""
    out: dict[str, float | None] = {}
    for name, result in (summary.get("benchmarks") or {}).items():
        metrics = get_benchmark(name).headline(result)
        out.update({f"{name}/{metric}": value for metric, value in metrics.items()})
    return out


def is_unscaled(metric: str) -> bool:
    """A headline metric that is not a fraction (shown as is, not in percent)."""
    bench, _, name = metric.partition("/")
    return bench in REGISTRY and name in REGISTRY[bench].unscaled


def load_summary(run_dir: str | Path) -> dict[str, Any]:
    path = run_folder.summary_path(run_dir)
    if not path.is_file():
        raise MissingInputError(
            f"{path} not found: is {run_dir} a `toolzero eval` output folder? "
            "Give folders written by `toolzero eval` or `toolzero eval score`"
        )
    try:
        return json.loads(read_text(path, "evaluation summary"))
    except json.JSONDecodeError as exc:
        raise BadInputError(f"{path}: not valid JSON ({exc}); rerun the evaluation") from None


def compare_runs(dir_a: str | Path, dir_b: str | Path) -> str:
    """A markdown table of every headline number of two runs, with B - A."""
    a, b = headline_metrics(load_summary(dir_a)), headline_metrics(load_summary(dir_b))
    lines = [f"| metric | A: {dir_a} | B: {dir_b} | B - A |", "| --- | --- | --- | --- |"]
    for name in [*a, *(k for k in b if k not in a)]:
        va, vb = a.get(name), b.get(name)
        scale = 1 if is_unscaled(name) else 100
        fa = "—" if va is None else f"{scale * va:.2f}"
        fb = "—" if vb is None else f"{scale * vb:.2f}"
        delta = "—" if va is None or vb is None else f"{scale * (vb - va):+.2f}"
        lines.append(f"| {name} | {fa} | {fb} | {delta} |")
    return "\n".join(lines) + "\n"
