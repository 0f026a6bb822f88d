"""The reward debugger: for one case, each component's value and why.

`explain(preset, completion, reference)` returns plain text: how the completion and the
reference were read, the ranges and weights in force, which predicted call matched which
reference call, which parameter values differed, and which format requirements failed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from toolzero.rewards.correctness import correctness_report
from toolzero.rewards.format import format_checks
from toolzero.rewards.inputs import Completion, read_reference
from toolzero.rewards.presets import FUNCTIONS, RewardPreset, completion_for, get_preset


def explain(
    preset: str | RewardPreset,
    completion: str,
    reference: str,
    step: int = 0,
    total_steps: int | None = None,
    tools: Sequence[str] | None = None,
) -> str:
    """A human-readable account of every component's value for one case."""
    preset = get_preset(preset)
    comp = completion_for(completion)
    ref = read_reference(reference, preset.reference_mode, tools)
    scores = preset.score(completion, reference, step, total_steps, tools)
    lines = [f"preset {preset.name}: {preset.description}", ""]
    lines += _describe_inputs(comp, ref)
    for component in preset.components:
        params, weight = component.resolve(step, total_steps)
        shown = ", ".join(
            f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()
        )
        lines.append("")
        lines.append(
            f"{component.name} = {scores[component.name]:.4g}"
            f"   [{component.function}({shown}) x weight {weight:.4g}]"
        )
        lines += ["  " + line for line in _why(component.function, comp, ref, params)]
    lines += ["", f"total = {scores['total']:.4g}"]
    return "\n".join(lines)


def _describe_inputs(comp: Completion, ref) -> list[str]:
    parsed = comp.parsed
    lines = [
        f"reference: shape {ref.shape}, {len(ref.calls)} call(s)"
        + (" (read robustly: ToolRL's own reading crashes on it)" if ref.fallback else "")
    ]
    lines += [
        f"  ref call {i}: {json.dumps(c, ensure_ascii=False)}" for i, c in enumerate(ref.calls)
    ]
    lines.append(
        f"completion: {len(parsed.calls)} call(s), response "
        f"{'present' if parsed.response is not None else 'absent'}"
    )
    lines += [
        f"  call {i}: {json.dumps(c.to_dict(), ensure_ascii=False)[:300]}"
        for i, c in enumerate(parsed.calls)
    ]
    lines += [f"  problem: {p}" for p in parsed.problems[:10]]
    return lines


def _why(function: str, comp: Completion, ref, params: dict) -> list[str]:
    if function == "correctness":
        report = correctness_report(comp, ref, **params)
        out = [report.reason]
        if report.score_max:
            out.append(
                f"names Jaccard {report.name_score:.3g}; S = {report.score:.3g} "
                f"of S_max {report.score_max:.3g}"
            )
        for pair in report.pairs:
            out.append(
                f"ref call {pair.reference_index} <- predicted item {pair.predicted_index}:"
                f" keys {pair.key_score:.3g}, values right {pair.values_right or '-'}"
            )
            if pair.values_wrong:
                out.append(f"  values differ: {pair.values_wrong}")
            if pair.keys_missing or pair.keys_extra:
                out.append(f"  keys missing {pair.keys_missing}, extra {pair.keys_extra}")
        matched = {p.reference_index for p in report.pairs}
        out += [
            f"ref call {i} unmatched"
            for i in range(len(report.expected))
            if i not in matched and report.score_max
        ]
        return out
    if function == "grounding":
        offered = sorted(ref.offered_tools())
        source = "offered" if ref.tools is not None else "offered unknown; the reference's"
        named = [c.name for c in comp.parsed.calls]
        return [
            f"tools {source}: {offered}",
            f"called: {named or 'none'}"
            + ("" if ref.has_call else " (the reference makes no call)"),
        ]
    if function == "partial_format":
        return [f"[{'x' if ok else ' '}] {name}" for name, ok in format_checks(comp, ref).items()]
    if function == "format":
        ok = FUNCTIONS["format"](
            comp,
            ref,
            low=0.0,
            high=1.0,
            whitespace_tolerant=params.get("whitespace_tolerant", False),
        )
        return [
            f"expected shape {ref.shape!r}: "
            + (
                "matched exactly"
                if ok
                else "not matched (tags, their counts, or the newlines between blocks differ)"
            )
        ]
    return []
