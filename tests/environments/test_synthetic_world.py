"""The synthetic world: deterministic, every task solvable by its reference trajectory,
wrong answers and skipped actions fail, splits use disjoint tools."""

from __future__ import annotations

import pytest

from toolzero.data.synthetic.tools_heldout import HELDOUT_TOOLS
from toolzero.data.synthetic.tools_train import TRAIN_TOOLS
from toolzero.environments.answers import answer_problem
from toolzero.environments.synthetic_world import SyntheticWorld, generate_world_tasks
from toolzero.environments.synthetic_world.tasks import FAMILIES, spoken_date
from toolzero.environments.synthetic_world.tools import WORLD_TOOLS
from toolzero.environments.synthetic_world.world import build_world
from toolzero.errors import UserError
from toolzero.protocol.types import Example, Message, ToolCall

SPLITS = ("train", "heldout")


def play(env: SyntheticWorld, task: Example):
    """Run the task's reference trajectory; return the state and every observation."""
    state = env.reset(task)
    observations = []
    for turn in task.metadata["trajectory"]:
        observations += env.step(state, [ToolCall.from_dict(c) for c in turn])
    return state, observations


@pytest.fixture(scope="module")
def tasks() -> dict[str, list[Example]]:
    return {split: generate_world_tasks(60, seed=3, split=split) for split in SPLITS}


def test_same_seed_same_tasks_and_worlds() -> None:
    first = [t.to_dict() for t in generate_world_tasks(10, seed=5, split="train")]
    again = [t.to_dict() for t in generate_world_tasks(12, seed=5, split="train")[:10]]
    other = [t.to_dict() for t in generate_world_tasks(10, seed=6, split="train")]
    assert first == again and first != other
    assert build_world("train:5:0") == build_world("train:5:0") != build_world("train:5:1")


@pytest.mark.parametrize("split", SPLITS)
def test_every_task_is_solved_by_its_reference_trajectory(tasks, split: str) -> None:
    env = SyntheticWorld()
    for task in tasks[split]:
        state, observations = play(env, task)
        assert not any(o.error for o in observations), (task.id, observations)
        verdict = env.outcome(state, task.reference_response)
        assert verdict.success and verdict.score == 1.0, (task.id, verdict)


@pytest.mark.parametrize("split", SPLITS)
def test_every_family_appears(tasks, split: str) -> None:
    assert {t.metadata["family"] for t in tasks[split]} == set(FAMILIES[split])


@pytest.mark.parametrize("split", SPLITS)
def test_each_task_needs_a_tool_result(tasks, split: str) -> None:
    """Multi-step, or an answer read from a result: nothing is solvable without tools."""
    for task in tasks[split]:
        trajectory = task.metadata["trajectory"]
        assert len(trajectory) >= 2 or "answer" in task.metadata["expected"], task.id
        state = SyntheticWorld().reset(task)  # no tool run: a fresh world
        assert not SyntheticWorld().outcome(state, task.reference_response).success or (
            "state" not in task.metadata["expected"]
        ), task.id


@pytest.mark.parametrize("split", SPLITS)
def test_wrong_answers_and_skipped_actions_fail(tasks, split: str) -> None:
    env = SyntheticWorld()
    for task in tasks[split]:
        expected = task.metadata["expected"]
        state, _ = play(env, task)
        if "answer" in expected:
            assert not env.outcome(state, "I could not find out.").success, task.id
            assert not env.outcome(state, None).success, task.id
        if "state" in expected:
            untouched = env.reset(task)
            assert not env.outcome(untouched, task.reference_response).success, task.id


def test_an_id_from_another_world_is_an_error_observation(tasks) -> None:
    env = SyntheticWorld()
    task = next(t for t in tasks["train"] if t.metadata["family"] == "account_balance")
    state = env.reset(task)
    observation = env.step(state, [ToolCall("get_balance", {"account_id": "ACC-0000"})])[0]
    assert observation.error and observation.content == "error: no account 'ACC-0000'"


def test_transfer_is_checked_on_both_balances(tasks) -> None:
    env = SyntheticWorld()
    task = next(t for t in tasks["train"] if t.metadata["family"] == "transfer")
    state, _ = play(env, task)
    payer = task.metadata["trajectory"][1][0]["arguments"]
    env.step(state, [ToolCall("transfer_money", {**payer, "amount": 1})])  # one transfer too many
    verdict = env.outcome(state, task.reference_response)
    assert not verdict.success and verdict.score == pytest.approx(1 / 3)
    assert "balance of" in verdict.reason


def test_splits_use_disjoint_tools_and_tasks_offer_only_their_split(tasks) -> None:
    train = {t.name for t in WORLD_TOOLS["train"]}
    heldout = {t.name for t in WORLD_TOOLS["heldout"]}
    assert not train & heldout
    assert not train & {t.name for t in HELDOUT_TOOLS}
    assert not heldout & {t.name for t in TRAIN_TOOLS}
    for split, names in (("train", train), ("heldout", heldout)):
        for task in tasks[split]:
            offered = {t.name for t in task.tools}
            assert offered <= names
            assert {c.name for c in task.reference_calls} <= offered


def test_offline_tools_keep_their_offline_spec() -> None:
    offline = {t.name: t.spec() for t in (*TRAIN_TOOLS, *HELDOUT_TOOLS)}
    for tool in (*WORLD_TOOLS["train"], *WORLD_TOOLS["heldout"]):
        if tool.name in offline:
            assert tool.spec == offline[tool.name]


def test_the_first_turn_is_the_reference_calls(tasks) -> None:
    for task in tasks["train"][:10]:
        first = [ToolCall.from_dict(c) for c in task.metadata["trajectory"][0]]
        assert list(task.reference_calls) == first
        assert task.reference_text().startswith("<think>")


def test_a_task_without_a_world_key_is_refused() -> None:
    bare = Example("x", (), (Message("user", "hi"),))
    with pytest.raises(UserError, match=r"metadata.world"):
        SyntheticWorld().reset(bare)


@pytest.mark.parametrize(
    ("expected", "answer", "ok"),
    [
        ({"kind": "number", "value": 1204.5}, "It holds 1,204.50 USD.", True),
        ({"kind": "number", "value": 1204.5}, "It holds 1204.52 USD.", False),
        ({"kind": "number", "value": -3}, "minus: -3", True),
        ({"kind": "choice", "value": "Oslo", "options": {"Oslo": ["Oslo"], "Lima": ["Lima"]}},
         "Oslo is warmer than Lima.", True),
        ({"kind": "choice", "value": "Oslo", "options": {"Oslo": ["Oslo"], "Lima": ["Lima"]}},
         "Lima is colder than Oslo.", False),
        ({"kind": "choice", "value": "Apple", "options": {"Apple": ["Apple", "AAPL"],
                                                          "Tesla": ["Tesla", "TSLA"]}},
         "AAPL costs more.", True),
        ({"kind": "contains", "value": "Lisbon"}, "It is in transit in Lisbon.", True),
        ({"kind": "contains", "value": "Lima"}, "It is in Limassol.", False),
        ({"kind": "exact", "value": "42"}, "  42 ", True),
    ],
)  # fmt: skip
def test_answer_checks(expected: dict, answer: str, ok: bool) -> None:
    assert (answer_problem(expected, answer) is None) == ok


def test_spoken_date() -> None:
    assert spoken_date("2025-03-04") == "March 4, 2025"
