"""BFCL multi-turn: toolzero's loop against BFCL's simulated APIs, judged by its official checker.

A scripted model replays the ground-truth calls of every item (as ToolRL JSON, through the parser and
the execution against BFCL's simulated file system, trading bot, ...) and must pass;
dropping a turn's calls, changing an argument, or running out of steps must fail.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json

import pytest

from toolzero.evaluation.bfcl import official
from toolzero.evaluation.bfcl.bench import score_prediction
from toolzero.evaluation.bfcl.multi_turn import MultiTurnDialogue, score_dialogue
from toolzero.protocol.types import Example

END_TURN = "<think> done </think>\n<response> Done. </response>"


def _methods(entry):
    from bfcl_eval.constants.executable_backend_config import CLASS_FILE_PATH_MAPPING

    out = {}
    for cls_name in entry["involved_classes"]:
        cls = getattr(importlib.import_module(CLASS_FILE_PATH_MAPPING[cls_name]), cls_name)
        out.update(
            {n: m for n, m in inspect.getmembers(cls, inspect.isfunction) if not n.startswith("_")}
        )
    return out


def gt_calls(entry, call_strings):
    """Ground-truth call strings (`sort('a.pdf')`) as JSON calls with keyword arguments."""
    methods = _methods(entry)
    calls = []
    for text in call_strings:
        node = ast.parse(text, mode="eval").body
        name = node.func.id
        params = list(inspect.signature(methods[name]).parameters)[1:]  # skip self
        args = {params[i]: ast.literal_eval(a) for i, a in enumerate(node.args)}
        args.update({k.arg: ast.literal_eval(k.value) for k in node.keywords})
        calls.append({"name": name, "arguments": args})
    return calls


def as_answer(calls):
    lines = "\n".join(json.dumps({"name": c["name"], "parameters": c["arguments"]}) for c in calls)
    return f"<think> calling </think>\n<tool_call>\n{lines}\n</tool_call>"


def play(entry, turns_of_calls, protocol="toolrl"):
    """Drive a dialogue: each turn, one answer with that turn's calls (if any), then stop."""
    dialogue = MultiTurnDialogue(entry, protocol)
    shown = []
    for calls in turns_of_calls:
        example = dialogue.next_example()
        assert isinstance(example, Example)
        shown.append(example)
        if calls:
            dialogue.advance(as_answer(calls))
            shown.append(dialogue.next_example())
        dialogue.advance(END_TURN)
    assert dialogue.next_example() is None
    return score_dialogue(dialogue), shown


@pytest.mark.parametrize("category", list(official.MULTI_TURN))
def test_ground_truth_replay_passes(bfcl, category):
    for entry in official.load_entries(category):  # all 200: ~3 s
        gt = official.ground_truth(entry["id"])
        row, _ = play(entry, [gt_calls(entry, turn) for turn in gt])
        assert row["valid"], (entry["id"], row["error_type"], row["errors"])
        assert len(row["turns"]) == len(gt)


def test_tool_results_reach_the_model_and_holdout_adds_tools(bfcl):
    entry = official.load_entries("multi_turn_miss_func")[0]
    gt = official.ground_truth(entry["id"])
    row, shown = play(entry, [gt_calls(entry, turn) for turn in gt])
    assert row["valid"]
    after_first_calls = shown[1]
    assert after_first_calls.messages[-1].role == "tool"  # execution results are shown
    holdout_turn = int(next(iter(entry["missed_function"])))
    names_before = {t.name for t in shown[0].tools}
    names_later = {t.name for t in shown[-1].tools}
    held_out = {f["name"] for f in entry["missed_function"][str(holdout_turn)]}
    assert held_out.isdisjoint(names_before) and held_out <= names_later


@pytest.mark.parametrize("damage", ["drop_turn", "wrong_argument", "no_calls"])
def test_damaged_replays_fail(bfcl, damage):
    entry = official.load_entries("multi_turn_base")[0]
    turns = [gt_calls(entry, turn) for turn in official.ground_truth(entry["id"])]
    if damage == "drop_turn":
        turns[1] = []
    elif damage == "wrong_argument":
        turns[0][-1]["arguments"] = {
            k: v + "_x" if isinstance(v, str) else v for k, v in turns[0][-1]["arguments"].items()
        }
    else:
        turns = [[] for _ in turns]
    row, _ = play(entry, turns)
    assert not row["valid"] and row["error_type"].startswith("multi_turn:")


def test_step_limit_force_terminates(bfcl):
    entry = official.load_entries("multi_turn_base")[0]
    dialogue = MultiTurnDialogue(entry, "toolrl", max_steps=2)
    for _ in range(3):  # keeps calling `pwd`: more than 2 steps in one turn
        dialogue.advance(as_answer([{"name": "pwd", "arguments": {}}]))
    assert dialogue.done and dialogue.force_quit
    row = score_dialogue(dialogue)
    assert not row["valid"] and row["error_type"] == "multi_turn:force_terminated"


def test_predictions_rows_for_multi_turn(bfcl):
    entry = official.load_entries("multi_turn_base")[1]
    gt = official.ground_truth(entry["id"])
    good = {"id": entry["id"], "turns": [[gt_calls(entry, turn)] for turn in gt]}
    text = {
        "id": entry["id"],
        "turns": [[as_answer(gt_calls(entry, turn)), END_TURN] for turn in gt],
    }
    assert score_prediction(good)["valid"] and score_prediction(text)["valid"]
    refused = {
        "id": entry["id"],
        "turns": [[[{"name": "__import__('os').system", "arguments": {}}]] for _ in gt],
    }
    row = score_prediction(refused)
    assert not row["valid"] and any("refused" in p for p in row["problems"])
    assert not score_prediction({"id": entry["id"], "turns": "garbage"})["valid"]
