"""API-Bank scored exactly as ToolRL's scripts score it, and the robust second metric.

The rules (ToolRL's `benchmarks/API-Bank` scripts): the calls are the lines after the
*last* `<tool_call>` up to the next `</tool_call>` (no `<tool_call>`: every line of the
answer); each line goes through `json.loads`, failures skipped; only the first gold answer
counts; an object without both `name` and `parameters` is read as the parameters of the
gold API; right when one read (name, parameters) pair `==` the gold's. Expectations below
are worked out by hand from those rules, or, for the variants on every real row, follow
from how each variant was built.
"""

from __future__ import annotations

import json

import pytest

from toolzero.evaluation.api_bank import is_correct, toolrl_calls, toolrl_correct

GOLD = [{"name": "F", "parameters": {"a": "1", "n": 2}}]
RIGHT = '{"name": "F", "parameters": {"a": "1", "n": 2}}'


def block(*lines: str) -> str:
    return "<tool_call>\n" + "\n".join(lines) + "\n</tool_call>"


# (answer, ToolRL verdict, robust verdict): each by hand from the rules above.
HAND_CASES = [
    (block(RIGHT), True, True),
    ("<think> ok </think>\n" + block(RIGHT), True, True),
    # only the last block is read: the right call in an earlier block does not count
    (block(RIGHT) + "\n" + block('{"name": "G", "parameters": {}}'), False, True),
    (block('{"name": "G", "parameters": {}}') + "\n" + block(RIGHT), True, True),
    # no <tool_call> at all: every line of the answer is tried
    (f"Here is the call:\n{RIGHT}\nDone.", True, False),
    # a parameters-only object is read as the gold API's parameters
    (block('{"a": "1", "n": 2}'), True, False),
    (block('{"a": 1, "n": 2}'), False, False),  # "1" != 1 under ==
    (block('{"name": "F", "parameters": {"a": "1", "n": 2.0}}'), True, True),  # 2 == 2.0
    # `arguments` instead of `parameters`: ToolRL reads the whole object as parameters
    (block('{"name": "F", "arguments": {"a": "1", "n": 2}}'), False, True),
    # a pretty-printed object spans lines, none of which json.loads accepts
    (block(json.dumps(GOLD[0], indent=2)), False, True),
    # an unclosed block (stop string cut off) still has its lines read
    ("<tool_call>\n" + RIGHT, True, True),
    # several lines: any one right is enough; broken lines are skipped (by both readers)
    (block('{"name": "G", "parameters": {}}', "{broken", RIGHT), True, True),
    (block('{"name": "F", "parameters": {"a": "1"}}'), False, False),  # missing parameter
    (block('{"name": "F", "parameters": {"a": "1", "n": 2, "x": 0}}'), False, False),
    (block('{"name": "G", "parameters": {"a": "1", "n": 2}}'), False, False),  # wrong name
    ("<response> I cannot help </response>", False, False),
    ("", False, False),
]


@pytest.mark.parametrize(("answer", "toolrl", "robust"), HAND_CASES)
def test_hand_worked_cases(answer, toolrl, robust):
    assert toolrl_correct(answer, GOLD)[0] is toolrl
    assert is_correct(answer, GOLD)[0] is robust


def test_only_the_first_gold_answer_counts():
    gold = [{"name": "A", "parameters": {}}, {"name": "F", "parameters": {"a": "1", "n": 2}}]
    assert toolrl_correct(block(RIGHT), gold)[0] is False
    assert is_correct(block(RIGHT), gold)[0] is True  # the robust metric takes any gold
    assert toolrl_correct(block('{"name": "A", "parameters": {}}'), gold)[0] is True


def test_lines_are_read_one_by_one():
    assert toolrl_calls(block("[1, 2]", "x", '"s"')) == [[1, 2], "s"]
    assert toolrl_calls("no json here") == []


def variants(gold: dict) -> list[tuple[str, str, bool]]:
    """(variant, answer, ToolRL verdict) for one gold call; verdicts from the rules."""
    name, params = gold["name"], gold["parameters"]
    right = json.dumps(gold)
    out = [
        ("right", block(right), True),
        ("right, think first", f"<think> x </think>\n{block(right)}", True),
        ("parameters only", block(json.dumps(params)), True),
        ("extra call before", block('{"name": "Other", "parameters": {}}', right), True),
        ("earlier block", block(right) + block('{"name": "Other", "parameters": {}}'), False),
        ("wrong name", block(json.dumps({"name": name + "X", "parameters": params})), False),
        ("extra parameter", block(json.dumps({"name": name, "parameters": {**params, "zz": 1}})), False),
        ("no call", "<response> done </response>", False),
        ("unparsable", block('{"name": "' + name + '", "parameters": {'), False),
        ("pretty-printed", block(json.dumps(gold, indent=2)), False),
    ]  # fmt: skip
    if params:
        first = next(iter(params))
        wrong = {**params, first: "WRONG-VALUE"}
        missing = {k: v for k, v in params.items() if k != first}
        out.append(("wrong value", block(json.dumps({"name": name, "parameters": wrong})), False))
        out.append(("missing parameter", block(json.dumps({"name": name, "parameters": missing})), False))
    numbers = {k: v for k, v in params.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    if numbers:  # "1" for 1: a string is never == a number
        as_text = {**params, **{k: str(v) for k, v in numbers.items()}}
        out.append(('"1" for 1', block(json.dumps({"name": name, "parameters": as_text})), False))
    return out  # fmt: skip


def test_every_real_row_and_variant(shared_data):
    checked = 0
    for level in (1, 2, 3):
        rows = json.loads((shared_data / "toolrl" / f"api_bank_level{level}.json").read_text())
        for i, row in enumerate(rows):
            gold = row["answer"] if isinstance(row["answer"], list) else [row["answer"]]
            for variant, answer, expected in variants(gold[0]):
                assert toolrl_correct(answer, gold)[0] is expected, (level, i, variant)
                checked += 1
    assert checked > 597 * 10  # every row, every variant
