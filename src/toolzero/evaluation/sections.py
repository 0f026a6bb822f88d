"""Each benchmark's part of the evaluation report and its headline metrics.

`<name>_section(summary) -> markdown lines` (under the heading the report writes from the
benchmark's registered title) and `<name>_headline(summary) -> {metric:
value}` (metric names without the `<name>/` prefix; fractions unless the registry marks
them `unscaled`). The registry (`toolzero.evaluation.registry`) names them per benchmark;
`report.py` and `eval compare` read them from there.
"""

from __future__ import annotations

from typing import Any

CHART_NAME = "bfcl_categories.png"


def pct(value: float | None) -> str:
    """
    >>> pct(0.4567), pct(None)
    ('45.67', '—')
    """
    return "—" if value is None else f"{100 * value:.2f}"


def bfcl_section(bfcl: dict[str, Any]) -> list[str]:
    lines = [
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


def api_bank_section(api: dict[str, Any]) -> list[str]:
    lines = [
                f"Prompts: {api.get('protocol', '')}. Accuracy: ToolRL's scripts (last `<tool_call>` "
        "block read line by line, first gold answer, a parameters-only object read as the "
        "gold API's). Robust: toolzero's parser, any gold answer.",
        "",
        "| level | accuracy (%) | correct / run | robust accuracy (%) | size |",
        "| --- | --- | --- | --- | --- |",
    ]
    for level, v in api["levels"].items():
        lines.append(
            f"| {level} | {pct(v['accuracy'])} | {v['correct']} / {v['total']} | "
            f"{pct(v.get('robust_accuracy'))} | {v['size']} |"
        )
    o = api["overall"]
    lines.append(
        f"| **overall** (micro) | {pct(o['accuracy'])} | {o['correct']} / {o['total']} | "
        f"{pct(o.get('robust_accuracy'))} | |"
    )
    return lines


def bamboogle_section(b: dict[str, Any]) -> list[str]:
    judge = pct(b.get("judge_accuracy")) if b.get("judge") else "not run"
    return [
                f"{b['n']} of {b['size']} questions; search backend {b.get('search')}, "
        f"up to {b.get('max_rounds')} rounds.",
        "",
        "| exact match (%) | F1 (%) | contains (%) | LLM judge (%) | answered (%) | searches / question |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| {pct(b['exact_match'])} | {pct(b['f1'])} | {pct(b['contains'])} | {judge} | "
        f"{pct(b['answered'])} | {b['avg_searches'] if b['avg_searches'] is None else round(b['avg_searches'], 2)} |",
    ]


def synthetic_section(s: dict[str, Any]) -> list[str]:
    reward = "—" if s["reward_mean"] is None else f"{s['reward_mean']:.3f}"
    return [
                f"{s['n']} tasks, seed {s.get('seed')}.",
        "",
        f"| format valid (%) | right tools (%) | exact match (%) | mean reward ({s['reward_preset']}) |",
        "| --- | --- | --- | --- |",
        f"| {pct(s['format_valid'])} | {pct(s['right_tools'])} | {pct(s['exact_match'])} | {reward} |",
    ]


def environment_section(s: dict[str, Any]) -> list[str]:
    ended = ", ".join(f"{k} {pct(v)}%" for k, v in (s.get("ended") or {}).items() if v)
    settings = s.get("settings") or {}
    fit = settings.get("max_turns") if settings.get("fit_tasks") else None
    chosen = f" (those solvable in {fit} turns)" if fit else ""
    lines = [
        f"{s['n']} held-out tasks of {s['environment']}{chosen}, seed {s.get('seed')}; "
        f"episodes ended: {ended or '—'}.",
        "",
        "| outcome success (%) | outcome score (%) | turns | calls | failed calls |",
        "| --- | --- | --- | --- | --- |",
        f"| {pct(s['outcome_success'])} | {pct(s['outcome_score'])} | {_num(s['turns'])} | "
        f"{_num(s['calls'])} | {_num(s['failed_calls'])} |",
        "",
        "| task family | tasks | outcome success (%) |",
        "| --- | --- | --- |",
    ]
    for name, f in (s.get("by_family") or {}).items():
        lines.append(f"| {name} | {f['n']} | {pct(f['outcome_success'])} |")
    return lines


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def file_section(f: dict[str, Any]) -> list[str]:
    reward = "—" if f["reward_mean"] is None else f"{f['reward_mean']:.3f}"
    lines = [
        f"{f['n']} items; {f['no_call_items']} need no call (no-call accuracy "
        f"{pct(f['no_call_accuracy'])}); {f['unparsable']} unparsable.",
        "",
        "| format valid (%) | right tools (%) | exact match (%) | no-call correct (%) | "
        f"mean reward ({f['reward_preset']}) |",
        "| --- | --- | --- | --- | --- |",
        f"| {pct(f['format_valid'])} | {pct(f['right_tools'])} | {pct(f['exact_match'])} | "
        f"{pct(f['no_call_correct'])} | {reward} |",
        "",
        "| data | exact match (%) | items / size |",
        "| --- | --- | --- |",
    ]
    for spec, g in (f.get("files") or {}).items():
        lines.append(f"| {spec} | {pct(g['exact_match'])} | {g['n']} / {g['size']} |")
    return lines + rejected_line(f)


def hammer_section(h: dict[str, Any]) -> list[str]:
    lines = [
                "Scored as Hammer's evaluate.py (sums over a set, then P / R / F1; its two quirks "
        "kept, so parameter F1 can exceed 100 on sets with parameterless tools). Exact "
        "match per item is ours.",
        "",
        "| set | API F1 (%) | param F1 (%) | exact match (%) | items / size | unparsable |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, s in (h.get("sets") or {}).items():
        lines.append(
            f"| {name} | {pct(s['api']['f1'])} | {pct(s['param']['f1'])} | "
            f"{pct(s['exact_match']['accuracy'])} | {s['items']} / {s['size']} | {s['unparsed']} |"
        )
    return lines + rejected_line(h)


def acebench_section(a: dict[str, Any]) -> list[str]:
    groups = a.get("groups") or {}
    lines = [
                f"Overall (weighted by items): {pct(a['overall']['accuracy'])} over "
        f"{a['overall']['items']} items; normal {pct(groups.get('normal'))}, special "
        f"{pct(groups.get('special'))} (unweighted means of the categories run).",
        "",
        "| category | accuracy (%) | correct / items | size |",
        "| --- | --- | --- | --- |",
    ]
    for name, c in (a.get("categories") or {}).items():
        unit = f" ({c['dialogues']} dialogues)" if "dialogues" in c else ""
        lines.append(
            f"| {name} | {pct(c['accuracy'])} | {c['correct']} / {c['items']}{unit} | "
            f"{c.get('size', '')} |"
        )
    return lines + rejected_line(a)


def rejected_line(summary: dict[str, Any]) -> list[str]:
    rejected = summary.get("rejected_rows")
    if not rejected:
        return []
    examples = "; ".join(rejected["rejected_examples"][:3])
    return ["", f"Data rows that could not be read: {rejected['rejected_total']} ({examples})."]


def bfcl_headline(bfcl: dict[str, Any]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for name, agg in (bfcl.get("aggregates") or {}).items():
        out[name] = None if agg is None else agg["accuracy"]
    for cat, c in (bfcl.get("categories") or {}).items():
        out[cat] = c["accuracy"]
    return out


def api_bank_headline(api: dict[str, Any]) -> dict[str, float | None]:
    out = {level: v["accuracy"] for level, v in api["levels"].items()}
    out["overall"] = api["overall"]["accuracy"]
    out |= {f"robust/{lv}": v.get("robust_accuracy") for lv, v in api["levels"].items()}
    out["robust/overall"] = api["overall"].get("robust_accuracy")
    return out


def bamboogle_headline(b: dict[str, Any]) -> dict[str, float | None]:
    keys = ("exact_match", "f1", "contains", "judge_accuracy", "avg_searches")
    return {k: b.get(k) for k in keys}


def synthetic_headline(s: dict[str, Any]) -> dict[str, float | None]:
    keys = ("format_valid", "right_tools", "exact_match", "reward_mean")
    return {k: s.get(k) for k in keys}


def environment_headline(s: dict[str, Any]) -> dict[str, float | None]:
    keys = ("outcome_success", "outcome_score", "turns", "calls", "failed_calls")
    return {k: s.get(k) for k in keys}


def file_headline(f: dict[str, Any]) -> dict[str, float | None]:
    keys = (
        "format_valid", "right_tools", "exact_match", "no_call_correct", "no_call_accuracy",
        "reward_mean",
    )  # fmt: skip
    return {k: f.get(k) for k in keys}


def hammer_headline(h: dict[str, Any]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for name, s in (h.get("sets") or {}).items():
        out[f"{name}/api_f1"] = s["api"]["f1"]
        out[f"{name}/param_f1"] = s["param"]["f1"]
        out[f"{name}/exact_match"] = s["exact_match"]["accuracy"]
    return out


def acebench_headline(a: dict[str, Any]) -> dict[str, float | None]:
    out: dict[str, float | None] = {"overall": a["overall"]["accuracy"]}
    out |= {group: value for group, value in (a.get("groups") or {}).items()}
    out |= {name: c["accuracy"] for name, c in (a.get("categories") or {}).items()}
    return out


def when2call_section(w: dict[str, Any]) -> list[str]:
    mcq = "normalised_accuracy" in w
    accuracy = w["normalised_accuracy"] if mcq else w["accuracy"]
    lines = [
        f"Mode: {w.get('mode', 'generation')}. Tool hallucination: a call where the right "
        "answer is not a call (n/a when every item's right answer is a call).",
        "",
        f"| {'normalised accuracy' if mcq else 'accuracy'} (%) | macro F1 (%) | "
        "tool hallucination (%) | items / size |",
        "| --- | --- | --- | --- |",
        f"| {pct(accuracy)} | {pct(w['macro_f1'])} | "
        f"{pct(w['tool_hallucination_rate'])} | {w['items']} / {w.get('size', '')} |",
    ]
    return lines + rejected_line(w)


def when2call_headline(w: dict[str, Any]) -> dict[str, float | None]:
    keys = ("accuracy", "normalised_accuracy", "macro_f1", "tool_hallucination_rate")
    return {k: w[k] for k in keys if k in w}
