"""`toolzero reward score|explain|presets`: score completions with a preset from the shell.

    toolzero reward score --preset toolrl --input cases.jsonl --output out.jsonl
    toolzero reward explain --preset toolrl --completion '<think>...' --reference '<think>...'
    toolzero reward presets

Input rows are `{"completion": str, "reference": str}` (reference in ToolRL's text format), with
an optional `"tools": [names on offer]` for the grounding component;
output rows are `{"total": float, <component>: float, ...}` in input order. A bad row gets
a one-line error naming its line and field on stderr and an output row with `"error"`, so
output lines stay aligned with input lines; the other rows are scored, and the exit code
is 1 if any row failed.
"""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("reward", help="score completions with a reward preset")
    sub = parser.add_subparsers(dest="reward_command", metavar="ACTION", required=True)

    score = sub.add_parser("score", help="score a JSONL file of {completion, reference} rows")
    _common(score)
    score.add_argument("--input", required=True, help="JSONL file, or - for stdin")
    score.add_argument("--output", default="-", help="JSONL file, or - for stdout (default)")
    score.set_defaults(handler=run_score)

    explain = sub.add_parser("explain", help="show each component's value and why, for one case")
    _common(explain)
    explain.add_argument("--completion", help="the completion text (or --input FILE --row N)")
    explain.add_argument("--reference", help="the reference text in ToolRL format")
    explain.add_argument("--input", help="JSONL file to take the case from")
    explain.add_argument("--row", type=int, default=1, help="1-based row of --input (default 1)")
    explain.add_argument(
        "--tools", help="comma-separated names of the tools the prompt offered (for grounding)"
    )
    explain.set_defaults(handler=run_explain)

    presets = sub.add_parser("presets", help="list the reward presets")
    presets.set_defaults(handler=run_presets)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", default="toolrl", help="reward preset (default: toolrl)")
    parser.add_argument("--step", type=int, default=0, help="training step (for schedules)")
    parser.add_argument(
        "--total-steps",
        type=int,
        default=None,
        help="total training steps (for schedules over the fraction done)",
    )


def _preset_or_exit(name: str):
    from toolzero.rewards import get_preset

    try:
        return get_preset(name)
    except ValueError as exc:
        sys.exit(f"toolzero reward: --preset: {exc}")


def _score_row(preset, line_no: int, line: str, step: int, total: int | None) -> tuple[dict, str]:
    """(output row, error message or '')."""
    try:
        row = json.loads(line)
    except ValueError as exc:
        return {"error": "not JSON"}, f"line {line_no}: not JSON ({exc.msg})"
    if not isinstance(row, dict):
        return {"error": "not an object"}, f"line {line_no}: expected a JSON object"
    for field in ("completion", "reference"):
        if not isinstance(row.get(field), str):
            problem = "missing" if field not in row else "not a string"
            return {"error": f"{field} {problem}"}, f"line {line_no}: field {field!r} {problem}"
    tools = row.get("tools")
    if not _is_tool_list(tools):
        return {"error": "tools not a list of names"}, (
            f"line {line_no}: field 'tools' must be a list of tool names"
        )
    try:
        return preset.score(row["completion"], row["reference"], step, total, tools), ""
    except ValueError as exc:  # a schedule that needs --total-steps
        sys.exit(f"toolzero reward: {exc}")


def _is_tool_list(tools: object) -> bool:
    """Absent, or a list of tool names."""
    return tools is None or (isinstance(tools, list) and all(isinstance(t, str) for t in tools))


def run_score(args: argparse.Namespace) -> int:
    preset = _preset_or_exit(args.preset)
    source = sys.stdin if args.input == "-" else _open(args.input)
    sink = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")  # noqa: SIM115
    failures = 0
    with source, sink:
        for line_no, line in enumerate(source, start=1):
            if not line.strip():
                continue
            out, error = _score_row(preset, line_no, line, args.step, args.total_steps)
            if error:
                failures += 1
                print(f"toolzero reward: {args.input}: {error}", file=sys.stderr)
            sink.write(json.dumps(out) + "\n")
    return 1 if failures else 0


def _open(path: str):
    try:
        return open(path, encoding="utf-8")
    except OSError as exc:
        sys.exit(f"toolzero reward: --input: cannot read {path}: {exc.strerror}")


def run_explain(args: argparse.Namespace) -> int:
    from toolzero.rewards.explain import explain

    preset = _preset_or_exit(args.preset)
    completion, reference = args.completion, args.reference
    tools = [t.strip() for t in args.tools.split(",") if t.strip()] if args.tools else None
    if args.input:
        with _open(args.input) as f:
            lines = [ln for ln in f if ln.strip()]
        if not 1 <= args.row <= len(lines):
            sys.exit(f"toolzero reward: --row {args.row}: the file has {len(lines)} rows")
        row = json.loads(lines[args.row - 1])
        completion, reference = row.get("completion"), row.get("reference")
        tools = row.get("tools", tools)
        if not _is_tool_list(tools):
            sys.exit(
                f"toolzero reward: --row {args.row}: field 'tools' must be a list of tool names"
            )
    if not isinstance(completion, str) or not isinstance(reference, str):
        sys.exit("toolzero reward explain: give --completion and --reference, or --input FILE")
    print(explain(preset, completion, reference, args.step, args.total_steps, tools))
    return 0


def run_presets(args: argparse.Namespace) -> int:
    from toolzero.rewards import PRESETS

    width = max(map(len, PRESETS))
    for name, preset in PRESETS.items():
        print(f"{name:<{width}}  {', '.join(preset.component_names):<36} {preset.description}")
    return 0
