"""Every `toolrl*` preset scores format and correctness exactly as ToolRL's reward function
does (the literal transcription in `toolrl_oracle.py`), on every branch of its control flow:
over ToolRL's own 400 references with generated mutations, and over random tag soups.

Exact means `==` on the floats, not approximately equal. Where ToolRL's own function
crashes (a reference line that is not JSON, as when its thought mentions `<tool_call>`),
there is no value to compare; toolzero must still return a number.
"""

import json
from collections import Counter
from functools import cache

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from toolrl_oracle import OracleUndefined
from toolrl_oracle import score as oracle_score

from toolzero.rewards import PRESET_NAMES, get_preset

TOOLRL_PRESETS = [name for name in PRESET_NAMES if name.startswith("toolrl")]
# The four granularities the must-hold names; the scale variants share their code paths.
GRANULARITIES = ["toolrl", "toolrl-intermediate", "toolrl-coarse", "toolrl-refined"]
# Steps at which the scheduled variants are compared (two-stage switches at 30; the
# dynamic scale moves until 150).
STEPS = (0, 40, 200)


@cache
def ranges(preset_name: str, step: int) -> tuple[dict, float, dict, float]:
    """The preset's format and correctness parameters and weights in force at `step`,
    checked to be ones ToolRL's function has (a `toolrl*` preset may not switch on ours)."""
    parts = {c.name: c.resolve(step, None) for c in get_preset(preset_name).components}
    (fmt, fmt_weight), (corr, corr_weight) = parts["format"], parts["correctness"]
    assert set(corr) <= {"low", "high", "granularity", "refined"}, (preset_name, corr)
    assert set(fmt) <= {"low", "high"}, (preset_name, fmt)
    return fmt, fmt_weight, corr, corr_weight


def oracle_for(preset_name: str, text: str, ref: str, step: int) -> tuple[float, float]:
    """ToolRL's (format, correctness) with the preset's ranges and switches at `step`."""
    fmt, fmt_weight, corr, corr_weight = ranges(preset_name, step)
    f, c = oracle_score(
        text,
        ref,
        corr.get("granularity", "fine"),
        corr.get("refined", False),
        corr["high"],
        corr["low"],
        fmt["high"],
        fmt["low"],
    )
    return fmt_weight * f, corr_weight * c


def compare(preset_name: str, text: str, ref: str, step: int = 0) -> str:
    """'agree', 'undefined' (ToolRL crashes; toolzero gave numbers) or raise on a mismatch."""
    ours = get_preset(preset_name).score(text, ref, step=step)
    assert all(isinstance(v, float) for v in ours.values()), ours
    try:
        expected = oracle_for(preset_name, text, ref, step)
    except OracleUndefined:
        return "undefined"
    got = (ours["format"], ours["correctness"])
    assert got == expected, f"{preset_name} step {step}\n{text!r}\nagainst\n{ref!r}"
    return "agree"


# --- mutations of a real reference -------------------------------------------------------


def mutations(output: str) -> list[tuple[str, str]]:
    """(kind, text): the reference itself and the ways a model gets it wrong, deterministic."""
    think, sep, rest = output.partition("</think>")
    think += sep
    out = [
        ("exact", output),
        ("leading/trailing whitespace", "  \n" + output + "\n\n "),
        ("response only", think + "\n<response> done </response>"),
        ("think only", think),
        ("empty", ""),
        ("no think", rest.strip()),
        ("text after", output + " trailing"),
        ("blank line after think", output.replace("</think>\n", "</think>\n\n", 1)),
        ("CRLF", output.replace("\n", "\r\n")),
        ("response after", output + "\n<response> and more </response>"),
        ("block inside think", "<think> <tool_call>\n{}\n</tool_call> </think>" + rest),
        ("missing opening tag", think + rest.replace("<tool_call>", "")),
        ("unclosed block", think + rest.replace("</tool_call>", "")),
        ("unclosed, text after", think + rest.replace("</tool_call>", "") + "\nthe end"),
        ("doubled opening tag", think + rest.replace("<tool_call>", "<tool_call>\n<tool_call>")),
        ("doubled closing tag", think + rest.replace("</tool_call>", "</tool_call>\n</tool_call>")),
        ("empty block", think + "\n<tool_call>\n\n</tool_call>"),
        ("empty block, one newline", think + "\n<tool_call>\n</tool_call>"),
        ("empty block, no newlines", think + "\n<tool_call></tool_call>"),
        ("spurious call", think + '\n<tool_call>\n{"name": "x", "parameters": {}}\n</tool_call>'),
    ]
    head, opened, tail = rest.partition("<tool_call>")
    if not opened:
        return out
    block, _, after = tail.partition("</tool_call>")
    lines = block.strip().split("\n")
    try:
        calls = [json.loads(line) for line in lines]
    except ValueError:
        return out  # ToolRL's own reading of this reference crashes: text mutations only

    def render(items, sep="\n", raw=None):
        body = sep.join(raw if raw is not None else [json.dumps(c) for c in items])
        return f"{think}{head}<tool_call>\n{body}\n</tool_call>{after}"

    block_text = "\n".join(lines)
    in_think = f"<think> <tool_call>\n{block_text}\n</tool_call> </think>"
    out += [
        ("block inside think, then the block", in_think.replace(block_text, lines[0]) + rest),
        ("block only inside think", in_think + "\n<response> x </response>"),
        ("closing tag before opening tag", f"{think}\n</tool_call>\n<tool_call>\n{block_text}"),
        ("doubled block", output + f"\n<tool_call>\n{block_text}\n</tool_call>"),
        ("block without newlines", f"{think}{head}<tool_call>{block_text}</tool_call>{after}"),
        ("re-serialised", render(calls)),
        ("indented lines", render(calls, raw=["  " + json.dumps(c) + " " for c in calls])),
        ("blank line between calls", render(calls, sep="\n\n")),
        ("unparsable line", render(calls, raw=[*lines, "oops"])),
        ("pretty-printed", render(calls, raw=[json.dumps(c, indent=2) for c in calls])),
        ("JSON list", render(calls, raw=[json.dumps(calls)])),
        ("reversed", render(calls[::-1])),
        ("extra call", render([*calls, {"name": "other_tool", "parameters": {}}])),
        ("duplicated call", render([*calls, calls[0]])),
        ("missing call", render(calls[:-1], raw=None if calls[:-1] else ["{}"])),
        ("not an object", render(calls, raw=["1", *lines[1:]])),
    ]
    for i, c in enumerate(calls):
        if not isinstance(c, dict) or not isinstance(c.get("parameters"), dict):
            continue

        def swap(new, i=i):
            return render([new if j == i else x for j, x in enumerate(calls)])

        name, params = c["name"], c["parameters"]
        out += [
            ("wrong name", swap({**c, "name": f"{name}_x"})),
            ("name as a list", swap({**c, "name": [name]})),
            ("no name", swap({"parameters": params})),
            ("arguments for parameters", swap({"name": name, "arguments": params})),
            ("no parameters", swap({"name": name})),
            ("parameters null", swap({"name": name, "parameters": None})),
            ("parameters as a string", swap({"name": name, "parameters": json.dumps(params)})),
            ("extra parameter", swap({**c, "parameters": {**params, "extra_key": 1}})),
            ("reordered parameters", swap({**c, "parameters": dict(reversed(params.items()))})),
        ]
        for key in sorted(params)[:1]:
            value = params[key]
            without = {k: v for k, v in params.items() if k != key}
            out += [
                ("missing parameter", swap({**c, "parameters": without})),
                ("wrong value", swap({**c, "parameters": {**params, key: _other(value)}})),
            ]
            if not isinstance(value, str):
                out.append(('"1" for 1', swap({**c, "parameters": {**params, key: str(value)}})))
    return out


def _other(value):
    """A different value of the same JSON type where there is an obvious one."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    return value + "!" if isinstance(value, str) else [value]


def _references(shared_data):
    rows = json.loads((shared_data / "toolrl" / "rlla_sft.json").read_text())
    return [row["output"] for row in rows]


def parity(references, presets, steps=(0,), every=1):
    """Counts per preset of cases, agreements and undefined cases, and per mutation kind."""
    counts = {p: Counter() for p in presets}
    kinds = Counter()
    for n, ref in enumerate(references):
        if n % every:
            continue
        for kind, text in mutations(ref):
            kinds[kind] += 1
            for preset in presets:
                for step in steps:
                    counts[preset]["cases"] += 1
                    counts[preset][compare(preset, text, ref, step)] += 1
    return counts, kinds


def test_granularities_agree_with_toolrl_on_every_mutation_of_its_references(shared_data):
    counts, kinds = parity(_references(shared_data), GRANULARITIES)
    for preset, c in counts.items():
        print(f"{preset}: {c['cases']} cases, {c['agree']} agree, {c['undefined']} undefined")
        assert c["agree"] + c["undefined"] == c["cases"]
        assert c["agree"] > 15000
        # ToolRL's own function crashes only on references whose thought mentions the tag.
        assert 0 < c["undefined"] < c["cases"] / 10
    assert kinds["unclosed block"] == 400 and kinds["wrong value"] > 300


def test_scale_variants_agree_with_toolrl(shared_data):
    """equal max, two-stage, dynamic, +length: ToolRL's branches with their ranges."""
    variants = [p for p in TOOLRL_PRESETS if p not in GRANULARITIES]
    assert {"toolrl-equalmax", "toolrl-twostage", "toolrl-dynamic"} <= set(variants)
    counts, _ = parity(_references(shared_data), variants, STEPS, every=16)
    for preset, c in counts.items():
        print(f"{preset}: {c['cases']} cases, {c['agree']} agree, {c['undefined']} undefined")
        assert c["agree"] + c["undefined"] == c["cases"] > 3000, preset


def test_the_issue_case_unclosed_block_scores_the_minimum():
    ref = '<think> x </think>\n<tool_call>\n{"name": "f", "parameters": {"a": 1}}\n</tool_call>'
    unclosed = '<think> x </think>\n<tool_call>\n{"name": "f", "parameters": {"a": 1}}'
    for preset in GRANULARITIES:
        scores = get_preset(preset).score(unclosed, ref)
        assert (scores["format"], scores["correctness"]) == (0.0, -3.0), preset


# --- random tag soups ----------------------------------------------------------------------

CALL_LINES = [
    '{"name": "f", "parameters": {"a": 1}}',
    '{"name": "f", "parameters": {"a": "1"}}',
    '{"name": "f", "parameters": {"a": 1, "b": [2]}}',
    '{"name": "f", "parameters": {}}',
    '{"name": "g", "parameters": {"a": 1}}',
    '{"name": "f", "arguments": {"a": 1}}',
    '{"name": "f"}',
    '{"name": "f", "parameters": "a"}',
    '{"name": "f", "parameters": null}',
    '{"name": "f", "parameters": 2}',
    '{"name": "f", "parameters": ["a"]}',
    '{"name": ["f"], "parameters": {}}',
    '{"parameters": {"a": 1}}',
    '[{"name": "f", "parameters": {"a": 1}}]',
    "1",
    "null",
    '"f"',
    "{}",
    "oops",
    '{"name": "f",',
]
TAGS = ["<think>", "</think>", "<tool_call>", "</tool_call>", "<response>", "</response>"]
# str.strip() strips the last two as well, JSON does not accept them around a value.
SPACES = ["\n", "\n", "\n\n", " ", "\r\n", "\t", "", "\u00a0", "\x0c"]
# A call block, closed or not, with any line separators and padding around its lines.
call_block = st.builds(
    lambda pad, lines, joiner, end_pad, closed: "<tool_call>"
    + pad
    + joiner.join(lines)
    + end_pad
    + ("</tool_call>" if closed else ""),
    st.sampled_from(SPACES),
    st.lists(st.sampled_from(CALL_LINES), max_size=3),
    st.sampled_from(["\n", "\n\n", "\r\n", " \n"]),
    st.sampled_from(SPACES),
    st.booleans(),
)
piece = st.one_of(st.sampled_from([*TAGS, *SPACES, "text", *CALL_LINES]), call_block)
soup = st.lists(piece, max_size=10).map("".join)
well_formed_reference = st.builds(
    lambda lines, response: "<think> plan </think>\n<tool_call>\n"
    + "\n".join(lines)
    + "\n</tool_call>"
    + ("\n<response> r </response>" if response else ""),
    st.lists(st.sampled_from(CALL_LINES[:13]), min_size=1, max_size=3),
    st.booleans(),
)
references = st.one_of(
    well_formed_reference, soup, st.just("<think> x </think>\n<response> y </response>")
)
def _block(*lines: str) -> str:
    return "<think> t </think>\n<tool_call>\n" + "\n".join(lines) + "\n</tool_call>"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(completion=st.one_of(soup, well_formed_reference), reference=references)
# ToolRL takes len() of a reference's string `parameters` and reads its keys only when a
# same-name prediction is still unused: both branches give a value, not the minimum.
@example(
    completion=_block('{"name": "g", "parameters": {"a": 1}}'),
    reference=_block('{"name": "g", "parameters": {"a": 1}}', '{"name": "f", "parameters": "xy"}'),
)
@example(
    completion=_block('{"name": "f", "parameters": {"a": 1}}'),
    reference=_block('{"name": "f", "parameters": {"a": 1}}', '{"name": "f", "parameters": "xy"}'),
)
# Names that cannot be counted (a list) are only counted when the name lists differ.
@example(
    completion=_block('{"name": ["f"], "parameters": {"a": 2}}'),
    reference=_block('{"name": ["f"], "parameters": {"a": 1}}'),
)
@example(
    completion=_block('{"name": ["f"], "parameters": {"a": 1}}', '{"name": "g", "parameters": {}}'),
    reference=_block('{"name": ["f"], "parameters": {"a": 1}}'),
)
def test_tag_soups_agree_with_toolrl_and_never_crash(completion, reference):
    for preset in TOOLRL_PRESETS:
        for step in (0, 40) if preset in ("toolrl-twostage", "toolrl-dynamic") else (0,):
            compare(preset, completion, reference, step)
