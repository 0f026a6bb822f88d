"""`toolzero reward score|explain|presets`: score completions with a preset from the shell.

    toolzero reward score --preset toolrl --input cases.jsonl --output out.jsonl
    toolzero reward explain --preset toolrl --completion '<think>...' --reference '<think>...'
    toolzero reward presets

Input rows are `{"completion": str, "reference": str}` (reference in ToolRL's text format), with
an optional `"tools": [...]` for the grounding component: the names on offer, or
`{"name", "parameters": [names], "required": [names]}` objects (for `grounding`'s `keys`);
output rows are `{"total": float, <component>: float, ...}` in input order. A bad row gets
a one-line error naming its line and field on stderr and an output row with `"error"`, so
output lines stay aligned with input lines; the other rows are scored, and the exit code
is 1 if any row failed. A missing or unreadable file is an `error: ...` line and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys

from toolzero.errors import UserError
from toolzero.rewards import PRESET_NAMES


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
    explain.add_argument(
        "--row",
        type=int,
        default=1,
        help="which row of --input, counted from 1 (the first row is 1; blank lines are "
        "skipped; default 1)",
    )
    explain.add_argument(
        "--tools", help="comma-separated names of the tools the prompt offered (for grounding)"
    )
    explain.set_defaults(handler=run_explain)

    presets = sub.add_parser("presets", help="list the reward presets")
    presets.set_defaults(handler=run_presets)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--preset",
        default="toolrl",
        choices=PRESET_NAMES,
        metavar="PRESET",
        help="reward preset (default: toolrl): " + ", ".join(PRESET_NAMES),
    )
    parser.add_argument("--step", type=int, default=0, help="training step (for schedules)")
    parser.add_argument(
        "--total-steps",
        type=int,
        default=None,
        help="total training steps (for schedules over the fraction done)",
    )


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
            f"line {line_no}: field 'tools' must be a list of tool names or of "
            '{"name", "parameters", "required"} objects'
        )
    try:
        return preset.score(row["completion"], row["reference"], step, total, tools), ""
    except ValueError as exc:  # a schedule that needs --total-steps
        raise UserError(f"--preset {preset.name}: {exc}") from exc


def _is_tool_list(tools: object) -> bool:
    """Absent, or a list of tool names or of {"name", "parameters", "required"} objects."""
    return tools is None or (isinstance(tools, list) and all(map(_is_tool, tools)))


def _is_tool(tool: object) -> bool:
    if isinstance(tool, str):
        return True
    if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
        return False
    lists = (tool.get(key) for key in ("parameters", "required"))
    return all(v is None or (isinstance(v, list) and all(isinstance(k, str) for k in v)) for v in lists)


def run_score(args: argparse.Namespace) -> int:
    from toolzero.rewards import get_preset
    from toolzero.user_files import writable_file

    preset = get_preset(args.preset)
    source = sys.stdin if args.input == "-" else _open(args.input)
    sink = (
        sys.stdout
        if args.output == "-"
        else writable_file(args.output, "--output").open("w", encoding="utf-8")
    )
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
    import io

    from toolzero.user_files import read_text

    return io.StringIO(read_text(path, "--input", "give a JSONL file of {completion, reference}"))


def run_explain(args: argparse.Namespace) -> int:
    from toolzero.rewards import get_preset
    from toolzero.rewards.explain import explain

    preset = get_preset(args.preset)
    completion, reference = args.completion, args.reference
    tools = [t.strip() for t in args.tools.split(",") if t.strip()] if args.tools else None
    if args.input:
        row = _input_row(args.input, args.row)
        completion, reference = row.get("completion"), row.get("reference")
        tools = row.get("tools", tools)
        if not _is_tool_list(tools):
            raise UserError(f"--row {args.row}: field 'tools' must be a list of tool names")
        for name, value in (("completion", completion), ("reference", reference)):
            if not isinstance(value, str):
                raise UserError(f"--row {args.row} of {args.input}: field {name!r} missing or not a string")
    if not isinstance(completion, str) or not isinstance(reference, str):
        raise UserError("reward explain: give --completion and --reference, or --input FILE")
    print(explain(preset, completion, reference, args.step, args.total_steps, tools))
    return 0


def _input_row(path: str, row: int) -> dict:
    """Row `row` (counted from 1, blank lines skipped) of a JSONL file, as a JSON object."""
    from toolzero.user_files import json_line

    with _open(path) as f:
        lines = [(n, ln) for n, ln in enumerate(f, start=1) if ln.strip()]
    if not 1 <= row <= len(lines):
        raise UserError(
            f"--row {row}: rows are counted from 1 and {path} has {len(lines)} row(s); "
            f"give --row 1 to {len(lines)}"
            if lines
            else f"--input {path} has no rows; give a JSONL file of {{completion, reference}}"
        )
    number, line = lines[row - 1]
    value = json_line(line, path, number)
    if not isinstance(value, dict):
        raise UserError(f"{path} line {number}: expected a JSON object with completion, reference")
    return value


def run_presets(args: argparse.Namespace) -> int:
    from toolzero.rewards import PRESETS

    width = max(map(len, PRESETS))
    for name, preset in PRESETS.items():
        print(f"{name:<{width}}  {', '.join(preset.component_names):<36} {preset.description}")
    return 0
