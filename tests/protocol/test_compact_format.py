"""The compact protocol's worked examples: each models the rule the task asks for, none can
be copied into a right call, and a task always gets the same one."""

from __future__ import annotations

import re

import pytest

from toolzero.data.synthetic import generate_examples
from toolzero.protocol.compact_format import (
    WORKED_EXAMPLES,
    compact_prompt_messages,
    worked_example,
)
from toolzero.protocol.parser import parse_completion

LINE = re.compile(r"^- (\w+)\((.*)\) - ", re.MULTILINE)


def tool_lines(example: str) -> dict[str, set[str]]:
    """{tool name: parameter names} from an example's `Tools:` lines."""
    return {
        name: {a.split(":")[0].rstrip("?").strip() for a in args.split(",") if a.strip()}
        for name, args in LINE.findall(example)
    }


def answer(example: str) -> str:
    return example[example.index("<think>") :]


@pytest.mark.parametrize("example", WORKED_EXAMPLES)
def test_each_example_answers_in_the_output_format_from_its_own_tool_line(example: str) -> None:
    parsed = parse_completion(answer(example))
    assert not parsed.problems, parsed.problems
    tools = tool_lines(example)
    request = example.split("User: ", 1)[1].split("\n", 1)[0]
    for call in parsed.calls:
        assert call.name in tools  # a tool of the list right above it
        assert set(call.arguments) <= tools[call.name]  # keys from its signature
        for key, value in call.arguments.items():
            assert str(value) in request  # values copied from the request
            assert f"the {key} " in parsed.think and str(value) in parsed.think  # named, by key
        assert parsed.think.startswith(call.name)  # the thought starts with the tool
    if not parsed.calls:
        assert parsed.response  # the example that needs no tool answers


def test_both_answer_shapes_are_shown() -> None:
    shapes = {bool(parse_completion(answer(e)).calls) for e in WORKED_EXAMPLES}
    assert shapes == {True, False}
    keys = [
        frozenset(c.arguments) for e in WORKED_EXAMPLES for c in parse_completion(answer(e)).calls
    ]
    assert len(set(keys)) >= 3  # no single parameter name to copy


def test_no_copied_call_can_score_on_a_synthetic_task() -> None:
    """The examples' tools and values are in neither tool library nor any task's answer:
    a call copied from an example is never right, not even in part."""
    calls = [c for e in WORKED_EXAMPLES for c in parse_completion(answer(e)).calls]
    tasks = generate_examples(1500, seed=0) + generate_examples(1500, seed=0, split="heldout")
    offered = {t.name for task in tasks for t in task.tools}
    values = {str(v) for task in tasks for c in task.reference_calls for v in c.arguments.values()}
    for call in calls:
        assert call.name not in offered
        for value in call.arguments.values():
            assert str(value) not in values or isinstance(value, int), value


def test_a_task_always_gets_the_same_example_and_every_example_is_used() -> None:
    tasks = generate_examples(200, seed=3)
    first = [compact_prompt_messages(t)[0]["content"] for t in tasks]
    again = [compact_prompt_messages(t)[0]["content"] for t in tasks]
    assert first == again
    for task, system in zip(tasks, first, strict=True):
        dialogue = compact_prompt_messages(task)[1]["content"]
        assert worked_example(dialogue) in system
        assert system.index(worked_example(dialogue)) < system.rindex("Tools:")
    assert all(any(e in s for s in first) for e in WORKED_EXAMPLES)
