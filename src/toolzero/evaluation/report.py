"""Evaluation reports: `report.md` with a table per benchmark, a BFCL bar chart, and before/after comparison.

    write_report(summary, out_dir)         # report.md + bfcl_categories.png
    compare_runs(dir_a, dir_b) -> str      # markdown: every headline number, A, B, B - A

Accuracies are shown in percent with the counts behind them; an aggregate that did not
cover all its items says "partial" (see `bfcl_summary`). Every item's verdict stays in
`<bench>/items.jsonl`; the report points at those files and counts failures by type.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from toolzero import run_folder
from toolzero.user_files import BadInputError, MissingInputError, read_text

CHART_NAME = "bfcl_categories.png"


def pct(value: float | None) -> str:
    """
    >>> pct(0.4567), pct(None)
    ('45.67', '—')
    """
    return "—" if value is None else f"{100 * value:.2f}"


def _bfcl_section(bfcl: dict[str, Any]) -> list[str]:
    lines = [
        "## BFCL",
        "",
        f"Data: {bfcl.get('data', '')}. Verdicts: BFCL's official checkers.",
        "",
    ]
    lines += ["| aggregate | accuracy (%) | coverage | definition |", "| --- | --- | --- | --- |"]
    for name, agg in (bfcl.get("aggregates") or {}).items():
        if agg is None:
            lines.append(f"| {name} | — | not run | |")
            continue
        cover = (
            "complete"
            if agg["complete"]
            else "partial: "
            + ", ".join(
                [f"missing {m}" for m in agg["missing"]]
                + [f"{p} incomplete" for p in agg["partial"]]
            )
        )
        lines.append(
            f"| **{name}** | {pct(agg['accuracy'])} | {cover} | {agg.get('definition', '')} |"
        )
    lines += ["", "| category | accuracy (%) | correct / run | size |", "| --- | --- | --- | --- |"]
    for cat, c in (bfcl.get("categories") or {}).items():
        lines.append(
            f"| {cat} | {pct(c['accuracy'])} | {c['correct']} / {c['total']} | {c['size']} |"
        )
    errors = bfcl.get("error_types") or {}
    if errors:
        lines += [
            "",
            "Failures by BFCL error type: " + ", ".join(f"`{k}` {v}" for k, v in errors.items()),
        ]
    lines += ["", f"![BFCL accuracy per category]({CHART_NAME})"]
    return lines


def _api_bank_section(api: dict[str, Any]) -> list[str]:
    lines = [
        "## API-Bank",
        "",
        f"Prompts: {api.get('protocol', '')}; correct = any call equals the gold call.",
        "",
    ]
    lines += ["| level | accuracy (%) | correct / run | size |", "| --- | --- | --- | --- |"]
    for level, v in api["levels"].items():
        lines.append(
            f"| {level} | {pct(v['accuracy'])} | {v['correct']} / {v['total']} | {v['size']} |"
        )
    o = api["overall"]
    lines.append(
        f"| **overall** (micro) | {pct(o['accuracy'])} | {o['correct']} / {o['total']} | |"
    )
    return lines


def _bamboogle_section(b: dict[str, Any]) -> list[str]:
    judge = pct(b.get("judge_accuracy")) if b.get("judge") else "not run"
    return [
        "## Bamboogle",
        "",
        f"{b['n']} of {b['size']} questions; search backend {b.get('search')}, "
        f"up to {b.get('max_rounds')} rounds.",
        "",
        "| exact match (%) | F1 (%) | contains (%) | LLM judge (%) | answered (%) | searches / question |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| {pct(b['exact_match'])} | {pct(b['f1'])} | {pct(b['contains'])} | {judge} | "
        f"{pct(b['answered'])} | {b['avg_searches'] if b['avg_searches'] is None else round(b['avg_searches'], 2)} |",
    ]


def _synthetic_section(s: dict[str, Any]) -> list[str]:
    reward = "—" if s["reward_mean"] is None else f"{s['reward_mean']:.3f}"
    return [
        "## Synthetic (held-out tools)",
        "",
        f"{s['n']} tasks, seed {s.get('seed')}.",
        "",
        f"| format valid (%) | right tools (%) | exact match (%) | mean reward ({s['reward_preset']}) |",
        "| --- | --- | --- | --- |",
        f"| {pct(s['format_valid'])} | {pct(s['right_tools'])} | {pct(s['exact_match'])} | {reward} |",
    ]


SECTIONS = {
    "bfcl": _bfcl_section,
    "api_bank": _api_bank_section,
    "bamboogle": _bamboogle_section,
    "synthetic": _synthetic_section,
}


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
        lines += SECTIONS[name](result)
        timing = result.get("timing") or {}
        lines += [
            "",
            f"Per-item results: `{result.get('items_file', '')}`. Throughput: "
            f"{timing.get('generation_items_per_second')} items/s generating, "
            f"{timing.get('scoring_items_per_second')} items/s scoring.",
            "",
        ]
    return "\n".join(lines) + "\n"


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
    """Every number worth comparing, under a stable name (`bfcl/overall_v3`, ...)."""
    out: dict[str, float | None] = {}
    benches = summary.get("benchmarks") or {}
    if "bfcl" in benches:
        for name, agg in (benches["bfcl"].get("aggregates") or {}).items():
            out[f"bfcl/{name}"] = None if agg is None else agg["accuracy"]
        for cat, c in (benches["bfcl"].get("categories") or {}).items():
            out[f"bfcl/{cat}"] = c["accuracy"]
    if "api_bank" in benches:
        for level, v in benches["api_bank"]["levels"].items():
            out[f"api_bank/{level}"] = v["accuracy"]
        out["api_bank/overall"] = benches["api_bank"]["overall"]["accuracy"]
    for bench, keys in (
        ("bamboogle", ("exact_match", "f1", "contains", "judge_accuracy", "avg_searches")),
        ("synthetic", ("format_valid", "right_tools", "exact_match", "reward_mean")),
    ):
        if bench in benches:
            out.update({f"{bench}/{k}": benches[bench].get(k) for k in keys})
    return out


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
        scale = 1 if name.endswith(("avg_searches", "reward_mean")) else 100
        fa = "—" if va is None else f"{scale * va:.2f}"
        fb = "—" if vb is None else f"{scale * vb:.2f}"
        delta = "—" if va is None or vb is None else f"{scale * (vb - va):+.2f}"
        lines.append(f"| {name} | {fa} | {fb} | {delta} |")
    return "\n".join(lines) + "\n"
