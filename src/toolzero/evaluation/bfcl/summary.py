"""BFCL summaries: accuracy per category, and every "overall" papers use, each labelled.

Papers disagree on what "BFCL overall" means, so toolzero reports each with its formula:

- `non_live`: unweighted mean of simple (itself the mean of python, java, javascript),
  multiple, parallel, parallel_multiple and irrelevance.
- `live`: sample-weighted accuracy over all live categories (simple, multiple, parallel,
  parallel_multiple, irrelevance, relevance).
- `multi_turn`: unweighted mean of base, miss_func, miss_param, long_context.
- `overall_v3`: unweighted mean of non_live, live and multi_turn (BFCL v3's overall, the
  number ToolRL and Tool-Zero report).
- `overall_non_live_live`: unweighted mean of non_live and live (what Tool-N1 reports).
- `bfcl_eval_sections`: the section scores exactly as the installed bfcl-eval (v4
  leaderboard code) computes them, for comparison with its CSVs: non-live AST summary
  (unweighted, no irrelevance), live AST summary (weighted, no (ir)relevance), multi-turn,
  hallucination (mean of the two irrelevance categories) and relevance.

An aggregate over categories that were not all run (or not fully, with `--limit`) is
computed over what ran and marked `complete: false` with what is missing: it is not the
leaderboard number, and the report says so.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from toolzero.evaluation.bfcl import official

SIMPLE = ("simple_python", "simple_java", "simple_javascript")
NON_LIVE_PARTS = ("simple", "multiple", "parallel", "parallel_multiple", "irrelevance")

DEFINITIONS = {
    "simple": "unweighted mean of simple_python, simple_java, simple_javascript",
    "non_live": "unweighted mean of simple, multiple, parallel, parallel_multiple, irrelevance",
    "live": "sample-weighted accuracy over live_simple, live_multiple, live_parallel, "
    "live_parallel_multiple, live_irrelevance, live_relevance",
    "multi_turn": "unweighted mean of multi_turn_base, multi_turn_miss_func, "
    "multi_turn_miss_param, multi_turn_long_context",
    "overall_v3": "BFCL v3 overall: unweighted mean of non_live, live, multi_turn",
    "overall_non_live_live": "unweighted mean of non_live and live (Tool-N1's 'overall')",
}


@functools.cache
def category_size(category: str) -> int:
    return len(official.load_entries(category, with_hints=False))


def per_category(
    rows: Iterable[dict[str, Any]], categories: list[str]
) -> dict[str, dict[str, Any]]:
    counts = {c: [0, 0] for c in categories}
    for row in rows:
        cat = row.get("category") or official.category_of(row["id"])
        if cat in counts:
            counts[cat][0] += bool(row.get("valid"))
            counts[cat][1] += 1
    out = {}
    for cat, (correct, total) in counts.items():
        size = category_size(cat)
        out[cat] = {
            "correct": correct,
            "total": total,
            "size": size,
            "accuracy": correct / total if total else None,
            "complete": total == size,
        }
    return out


def _mean(parts: dict[str, dict[str, Any] | None], weighted: bool = False) -> dict[str, Any] | None:
    """Mean of the parts that ran; `complete` only when every part ran completely."""
    ran = {k: v for k, v in parts.items() if v and v.get("accuracy") is not None}
    if not ran:
        return None
    if weighted:
        correct = sum(v["correct"] for v in ran.values())
        total = sum(v["total"] for v in ran.values())
        value = correct / total
    else:
        value = sum(v["accuracy"] for v in ran.values()) / len(ran)
    missing = sorted(k for k in parts if k not in ran)
    partial = sorted(k for k, v in ran.items() if not v["complete"])
    return {
        "accuracy": value,
        "complete": not missing and not partial,
        "missing": missing,
        "partial": partial,
        "correct": sum(v.get("correct", 0) for v in ran.values()),
        "total": sum(v.get("total", 0) for v in ran.values()),
    }


def aggregates(cats: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any] | None]:
    """Every labelled aggregate from per-category results (see the module docstring)."""
    simple = _mean({c: cats.get(c) for c in SIMPLE})
    non_live = _mean({"simple": simple, **{c: cats.get(c) for c in NON_LIVE_PARTS[1:]}})
    live = _mean({c: cats.get(c) for c in official.LIVE}, weighted=True)
    multi_turn = _mean({c: cats.get(c) for c in official.MULTI_TURN})
    out = {
        "simple": simple,
        "non_live": non_live,
        "live": live,
        "multi_turn": multi_turn,
        "overall_v3": _mean({"non_live": non_live, "live": live, "multi_turn": multi_turn}),
        "overall_non_live_live": _mean({"non_live": non_live, "live": live}),
    }
    for name, value in out.items():
        if value is not None:
            value["definition"] = DEFINITIONS[name]
    return out


def bfcl_eval_sections(cats: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any] | None]:
    """Section scores as bfcl-eval's `generate_leaderboard_csv` computes them (v4 code)."""
    simple = _mean({c: cats.get(c) for c in SIMPLE})
    ast_parts = ("multiple", "parallel", "parallel_multiple")
    live_ast = ("live_simple", "live_multiple", "live_parallel", "live_parallel_multiple")
    return {
        "non_live_ast": _mean({"simple": simple, **{c: cats.get(c) for c in ast_parts}}),
        "live_ast": _mean({c: cats.get(c) for c in live_ast}, weighted=True),
        "multi_turn": _mean({c: cats.get(c) for c in official.MULTI_TURN}),
        "hallucination_irrelevance": _mean(
            {c: cats.get(c) for c in ("irrelevance", "live_irrelevance")}
        ),
        "relevance": _mean({"live_relevance": cats.get("live_relevance")}),
    }


def summarize_bfcl(rows: list[dict[str, Any]], categories: list[str]) -> dict[str, Any]:
    """The BFCL summary: per category, labelled aggregates, and bfcl-eval's sections."""
    cats = per_category(rows, categories)
    return {
        "categories": cats,
        "aggregates": aggregates(cats),
        "bfcl_eval_sections": bfcl_eval_sections(cats),
        "data": f"bfcl-eval {official.installed_version()} (BFCL_v4_* files, v3 categories)",
        "error_types": _error_types(rows),
    }


def _error_types(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        if not row.get("valid"):
            key = row.get("error_type") or "unknown"
            counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))
