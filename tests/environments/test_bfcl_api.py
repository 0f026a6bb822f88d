"""BFCL's simulated APIs as an environment: deterministic generated tasks, each solved by
its reference trajectory; wrong answers, skipped actions and stray changes fail; only
offered public methods ever run; the splits use different API classes; no BFCL question
appears in the tasks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("bfcl_eval", reason="the bfcl_api environment needs bfcl-eval")

from toolzero.environments import environment_tasks, make_environment
from toolzero.environments.bfcl_api import (
    SPLIT_CLASSES,
    BfclApiEnvironment,
    apis,
    generate_bfcl_api_tasks,
)
from toolzero.environments.bfcl_api.tasks import FAMILIES
from toolzero.errors import UserError
from toolzero.protocol.types import Example, Message, ToolCall

SPLITS = ("train", "heldout")
ACTING = {"archive_by_type", "sell_cheapest", "cancel_pending", "lock_and_fuel",
          "climate_keep_fan", "send_message"}  # fmt: skip


@pytest.fixture(scope="module")
def env() -> BfclApiEnvironment:
    return BfclApiEnvironment()


@pytest.fixture(scope="module")
def tasks() -> dict[str, list[Example]]:
    return {split: generate_bfcl_api_tasks(60, seed=3, split=split) for split in SPLITS}


def play(env: BfclApiEnvironment, task: Example, turns: int | None = None):
    """Run the task's reference trajectory (its first `turns` turns); the state and every
    observation."""
    state = env.reset(task)
    observations = []
    for turn in task.metadata["trajectory"][:turns]:
        observations += env.step(state, [ToolCall.from_dict(c) for c in turn])
    return state, observations


def first(tasks: list[Example], family: str) -> Example:
    return next(t for t in tasks if t.metadata["family"] == family)


def test_same_seed_same_tasks() -> None:
    once = [t.to_dict() for t in generate_bfcl_api_tasks(10, seed=5, split="train")]
    again = [t.to_dict() for t in generate_bfcl_api_tasks(12, seed=5, split="train")[:10]]
    other = [t.to_dict() for t in generate_bfcl_api_tasks(10, seed=6, split="train")]
    assert once == again and once != other
    json.dumps(once)  # the task, its scenario included, is plain JSON data


def test_registered_by_name() -> None:
    assert isinstance(make_environment("bfcl_api"), BfclApiEnvironment)
    tasks = environment_tasks("bfcl_api", 2, seed=1, split="heldout")
    assert [t.id for t in tasks] == ["bfcl-api-heldout-1-0", "bfcl-api-heldout-1-1"]
    assert all(t.metadata["environment"] == "bfcl_api" for t in tasks)


@pytest.mark.parametrize("split", SPLITS)
def test_every_task_is_solved_by_its_reference_trajectory(env, tasks, split: str) -> None:
    for task in tasks[split]:
        state, observations = play(env, task)
        assert not any(o.error for o in observations), (task.id, observations)
        verdict = env.outcome(state, task.reference_response)
        assert verdict.success and verdict.score == 1.0, (task.id, verdict)


@pytest.mark.parametrize("split", SPLITS)
def test_every_family_appears_and_needs_several_steps(tasks, split: str) -> None:
    assert {t.metadata["family"] for t in tasks[split]} == set(FAMILIES[split])
    assert all(len(t.metadata["trajectory"]) >= 2 for t in tasks[split])


@pytest.mark.parametrize("split", SPLITS)
def test_wrong_answers_and_skipped_actions_fail(env, tasks, split: str) -> None:
    for task in tasks[split]:
        expected = task.metadata["expected"]
        state, _ = play(env, task)
        if "answer" in expected:
            assert not env.outcome(state, "I could not find out.").success, task.id
            assert not env.outcome(state, None).success, task.id
        if task.metadata["family"] in ACTING:  # the last turn acts: skipping it fails
            short, _ = play(env, task, turns=-1)
            verdict = env.outcome(short, task.reference_response)
            assert not verdict.success and "state differs" in verdict.reason, task.id


def test_a_read_only_task_fails_when_the_episode_changes_the_state(env) -> None:
    """As in BFCL's checker: the right answer after deleting a file is not a success."""
    every_tool = generate_bfcl_api_tasks(20, seed=3, split="train", distractors=None)
    task = first(every_tool, "file_first_line")
    state, _ = play(env, task)
    name = task.metadata["trajectory"][-1][0]["arguments"]["file_name"]
    assert not env.step(state, [ToolCall("rm", {"file_name": name})])[0].error
    verdict = env.outcome(state, task.reference_response)
    assert not verdict.success and verdict.score == 0.5
    assert verdict.reason == "GorillaFileSystem state differs from the reference's in: root"


def test_a_wrong_price_is_a_different_state(env, tasks) -> None:
    task = first(tasks["train"], "sell_cheapest")
    state, _ = play(env, task, turns=2)
    order = dict(task.metadata["trajectory"][2][0]["arguments"])
    order["price"] = round(order["price"] + 1, 2)
    assert not env.step(state, [ToolCall("place_order", order)])[0].error
    verdict = env.outcome(state, task.reference_response)  # the order id is still right
    assert verdict.score == 0.5 and "differs from the reference's in: orders" in verdict.reason


@pytest.mark.parametrize(
    "call",
    [
        ToolCall("rm_everything", {}),  # no such method
        ToolCall("_load_scenario", {"scenario": {}}),  # private: would reset the world
        ToolCall("_navigate_to_directory", {"path": "/"}),
        ToolCall("__init__", {}),
        ToolCall("eval", {"source": "1"}),  # builtins
        ToolCall("open", {"file": "/etc/passwd"}),
        ToolCall("__import__", {"name": "os"}),
        ToolCall("place_order", {"order_type": "Sell", "symbol": "AAPL", "price": 1.0,
                                 "amount": 1}),  # a method of a class this task lacks
    ],
    ids=lambda c: c.name,
)  # fmt: skip
def test_only_offered_public_methods_run(env, tasks, call: ToolCall) -> None:
    task = first(tasks["train"], "archive_by_type")
    state = env.reset(task)
    before = apis.public_state(state.world.instances["GorillaFileSystem"])
    snapshot = repr(before)
    observation = env.step(state, [call])[0]
    assert observation.error and observation.content.startswith("error: unknown tool")
    assert repr(apis.public_state(state.world.instances["GorillaFileSystem"])) == snapshot


def test_an_example_offering_a_private_method_is_refused(env, tasks) -> None:
    task = first(tasks["train"], "archive_by_type")
    spec = task.tools[0].__class__("_load_scenario", "", {"type": "object", "properties": {}})
    forged = Example("x", (*task.tools, spec), task.messages, metadata=task.metadata)
    with pytest.raises(UserError, match="_load_scenario"):
        env.reset(forged)


def test_tools_are_exactly_the_public_methods() -> None:
    for class_name in apis.MULTI_TURN_CLASSES:
        names = {s.name for s in apis.tool_specs(class_name)}
        assert names and names <= apis.public_methods(class_name)
        assert not any(n.startswith("_") for n in names)
    assert "_load_scenario" not in apis.public_methods("GorillaFileSystem")


def test_specs_use_json_schema_types() -> None:
    types = set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("type"), str):
                types.add(node["type"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for class_name in apis.MULTI_TURN_CLASSES:
        for spec in apis.tool_specs(class_name):
            walk(spec.parameters)
    assert types <= {"object", "array", "string", "number", "integer", "boolean"}
    assert "object" in types and "number" in types


def test_a_refusal_and_a_crash_are_error_observations(env, tasks) -> None:
    task = first(tasks["heldout"], "lock_and_fuel")
    state = env.reset(task)
    refusal, crash, wrong_type = env.step(state, [
        ToolCall("displayCarStatus", {"option": "tires"}),  # not an option
        ToolCall("lockDoors", {"unlock": False, "door": ["trunk"]}),  # the method raises
        ToolCall("lockDoors", {"unlock": "no", "door": ["driver"]}),
    ])  # fmt: skip
    assert refusal.error and refusal.content == "error: Invalid option"  # the class refuses
    assert crash.error and crash.content == "error: lockDoors failed (KeyError: 'trunk')"
    assert wrong_type.error and "implausible argument type" in wrong_type.content
    assert env.outcome(state, task.reference_response).success is False


def test_an_error_result_of_a_class_is_an_error_observation(env, tasks) -> None:
    task = first(tasks["train"], "file_first_line")
    state = env.reset(task)
    observation = env.step(state, [ToolCall("cat", {"file_name": "nothing_here.txt"})])[0]
    assert observation.error
    assert observation.content == "error: cat: 'nothing_here.txt': No such file or directory"


def test_scenarios_are_not_changed_by_episodes(env, tasks) -> None:
    task = first(tasks["train"], "archive_by_type")
    before = json.dumps(task.metadata, sort_keys=True)
    play(env, task)
    assert json.dumps(task.metadata, sort_keys=True) == before
    assert env.outcome(env.reset(task), task.reference_response).success is False


def test_splits_use_different_api_classes(tasks) -> None:
    assert not set(SPLIT_CLASSES["train"]) & set(SPLIT_CLASSES["heldout"])
    for split in SPLITS:
        specs = {s.name for c in SPLIT_CLASSES[split] for s in apis.tool_specs(c)}
        classes = set()
        for task in tasks[split]:
            classes.update(task.metadata["world"]["classes"])
            assert {t.name for t in task.tools} <= specs
            assert {c.name for c in task.reference_calls} <= {t.name for t in task.tools}
        assert classes == set(SPLIT_CLASSES[split])


def test_distractors_none_offers_every_method_of_the_class() -> None:
    task = generate_bfcl_api_tasks(1, seed=0, split="heldout", distractors=None)[0]
    (class_name,) = task.metadata["world"]["classes"]
    assert {t.name for t in task.tools} == {s.name for s in apis.tool_specs(class_name)}
    few = generate_bfcl_api_tasks(1, seed=0, split="heldout", distractors=0)[0]
    needed = {c["name"] for turn in few.metadata["trajectory"] for c in turn}
    assert {t.name for t in few.tools} == needed


def test_no_bfcl_question_appears_in_the_tasks(tasks) -> None:
    data = Path(apis._backend()[2]).parent
    files = sorted(data.glob("BFCL_v*_multi_turn_*.json"))
    if not files:
        pytest.skip(f"no BFCL multi-turn data files in {data}")
    questions = set()
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            for turn in json.loads(line)["question"]:
                questions.update(" ".join(m["content"].split()).casefold()
                                 for m in turn if m.get("content"))  # fmt: skip
    assert len(questions) > 100
    for task in tasks["train"] + tasks["heldout"]:
        request = " ".join(task.messages[0].content.split()).casefold()
        assert request not in questions, task.id
        assert not any(q in request or request in q for q in questions if len(q) > 20), task.id


def test_unknown_classes_and_bad_worlds_are_user_errors(env) -> None:
    with pytest.raises(UserError, match="unknown \\['Nope'\\]"):
        make_environment("bfcl_api", classes=["Nope"])
    bare = Example("x", (), (Message("user", "hi"),))
    with pytest.raises(UserError, match=r"metadata\.world"):
        env.reset(bare)


def test_without_bfcl_eval_a_user_error_names_the_install(monkeypatch) -> None:
    apis._backend.cache_clear()
    monkeypatch.setitem(sys.modules, "bfcl_eval", None)  # import now fails
    try:
        with pytest.raises(UserError, match="pip install --no-deps bfcl-eval"):
            apis._backend()
    finally:
        apis._backend.cache_clear()


def test_reading_the_environment_does_not_import_bfcl_eval() -> None:
    code = (
        "import sys, toolzero.environments.registry, toolzero.environments.bfcl_api; "
        "print('bfcl_eval' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_every_class_builds_and_a_hand_made_example_runs(env) -> None:
    """Any mix of the classes, stateless `MathAPI` included, from BFCL's default state."""
    world = apis.build_api_world({"classes": list(apis.MULTI_TURN_CLASSES)})
    assert set(world.instances) == set(apis.MULTI_TURN_CLASSES)
    specs = {s.name: s for c in ("MathAPI", "TicketAPI") for s in apis.tool_specs(c)}
    task = Example(
        "hand-made",
        (specs["add"], specs["get_user_tickets"]),
        (Message("user", "What is 2 + 3?"),),
        metadata={"world": {"classes": ["MathAPI"], "scenario": {}},
                  "trajectory": [[{"name": "add", "arguments": {"a": 2, "b": 3}}]],
                  "expected": {"answer": {"kind": "number", "value": 5}}},
    )  # fmt: skip
    state = env.reset(task)
    assert env.step(state, [ToolCall("add", {"a": 2, "b": 3})])[0].content == '{"result": 5}'
    ticket = env.step(state, [ToolCall("get_user_tickets", {})])[0]  # its class is absent
    assert ticket.error and "TicketAPI, which this task does not use" in ticket.content
    assert env.outcome(state, "It is 5.").success
    wrong = Example("bad", task.tools, task.messages, metadata={
        **task.metadata, "trajectory": [[{"name": "get_user_tickets", "arguments": {}}]],
        "expected": {"state": [["matches_reference", "MathAPI"]]}})  # fmt: skip
    with pytest.raises(UserError, match="a method of none of its classes"):
        env.outcome(env.reset(wrong), None)
