"""Only offered tools execute in BFCL multi-turn: a model's answer cannot reach BFCL's `eval`.

A scripted backend plays `multi_turn_base_0` (TwitterAPI + GorillaFileSystem) through
`run_bfcl`: its first step in turn 0 is a hostile call (a builtin, a private name, another
API's method, ...), then it replays the ground truth. Each hostile call must leave a file
it points at untouched, print nothing, not block on stdin, come back to the model as
"Error during execution: no such tool: NAME (offered: ...)", and the item must still run to
its last turn and pass (the refused call is not replayed by the checker either). The same
calls in a predictions file are refused too. An offered tool still runs exactly as BFCL
runs it, and a string value that reads like code is passed as a string.
"""

from __future__ import annotations

import ast
import io
import json
import math
import os
import signal
import sys

import pytest

from toolzero.evaluation.bfcl import official
from toolzero.evaluation.bfcl.bench import run_bfcl, score_prediction
from toolzero.evaluation.bfcl.multi_turn import MultiTurnDialogue
from toolzero.evaluation.bfcl.offered_tools import offered_tools, vet_call
from toolzero.evaluation.generation import ModelUnderTest
from toolzero.protocol.types import ToolCall

from ..eval_fakes import PlainTokenizer, ScriptedBackend
from .test_multi_turn import END_TURN, as_answer, gt_calls

ITEM = "multi_turn_base_0"  # TwitterAPI + GorillaFileSystem, 4 turns
KEPT = "keep me\n"
OLD_MTIME = 1_000_000_000  # 2001: a write now would move it

# (case, name, arguments); TARGET stands for the path of a file the call must not touch.
TARGET = "<target>"
HOSTILE = [
    ("open_write", "open", {"file": TARGET, "mode": "w"}),
    ("open_read", "open", {"file": TARGET, "mode": "r"}),
    ("import", "__import__", {"name": "os"}),
    ("eval", "eval", {"source": f"open({TARGET!r}, 'w')"}),
    ("exec", "exec", {"source": f"open({TARGET!r}, 'w')"}),
    ("getattr", "getattr", {"o": "x", "name": "upper"}),
    ("breakpoint", "breakpoint", {}),
    ("input", "input", {}),
    ("globals", "globals", {}),
    ("print", "print", {"end": "PWNED"}),
    ("dunder_init", "__init__", {}),
    ("dunder_class", "__class__", {}),
    ("private_method", "_load_scenario", {"scenario": {}}),
    ("attribute", "root", {}),  # a GorillaFileSystem attribute, not a method
    ("other_api", "get_stock_info", {"symbol": "AAPL"}),  # TradingBot: not involved
    ("not_a_name", "__import__('os').system", {"command": "true"}),
]


@pytest.fixture
def target(tmp_path):
    path = tmp_path / "target.txt"
    path.write_text(KEPT)
    os.utime(path, (OLD_MTIME, OLD_MTIME))
    return path


@pytest.fixture
def guarded(monkeypatch):
    """stdin empty, breakpoints recorded, and an alarm: a call that slipped through to
    `input` or `breakpoint` fails the test instead of hanging it."""
    hits = []
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    monkeypatch.setattr(sys, "breakpointhook", lambda *a, **k: hits.append(a))

    def timeout(*_):
        raise TimeoutError("a multi-turn dialogue hung")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(60)
    yield hits
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _with_target(arguments, path):
    return json.loads(json.dumps(arguments).replace(json.dumps(TARGET)[1:-1], str(path)))


def _offered_names():
    """What the prompt offers, from BFCL's item itself: its function documents' names."""
    return ", ".join(f["name"] for f in official.entry_by_id(ITEM)["function"])


def _gt_turns():
    entry = official.entry_by_id(ITEM)
    return [gt_calls(entry, turn) for turn in official.ground_truth(ITEM)]


def _script(first_calls):
    """Turn 0: the given calls, then the ground truth; later turns: the ground truth."""
    answers = [as_answer(first_calls)]
    for calls in _gt_turns():
        answers += [as_answer(calls), END_TURN]
    replies = iter(answers)
    return lambda prompt: next(replies)


def _play(tmp_path, first_calls):
    backend = ScriptedBackend(_script(first_calls))
    model = ModelUnderTest(backend, PlainTokenizer())
    summary = run_bfcl(model, tmp_path / "run", ["multi_turn_base"], limit=1)
    rows = (tmp_path / "run" / "bfcl" / "items.jsonl").read_text().splitlines()
    return summary, json.loads(rows[0]), backend.prompts


def _assert_untouched(path):
    assert path.read_text() == KEPT
    assert os.stat(path).st_mtime == OLD_MTIME


@pytest.mark.parametrize(("case", "name", "arguments"), HOSTILE, ids=[c for c, *_ in HOSTILE])
def test_hostile_call_is_refused_and_the_dialogue_goes_on(
    bfcl, tmp_path, target, guarded, capsys, case, name, arguments
):
    call = {"name": name, "arguments": _with_target(arguments, target)}
    summary, row, prompts = _play(tmp_path, [call])
    observation = f"Error during execution: no such tool: {name} (offered: {_offered_names()})"
    first = row["turns"][0][0]
    assert first["executed"] == []  # nothing reached BFCL's executor or its checker
    assert first["results"] == [observation]
    assert f"refused: no such tool: {name} (offered: " in first["problems"][0]
    assert observation in prompts[1]  # shown to the model as the call's result
    assert len(row["turns"]) == 4 and row["valid"], row["errors"]  # every turn ran; scored
    assert summary["categories"]["multi_turn_base"]["correct"] == 1
    _assert_untouched(target)
    assert guarded == []  # no breakpoint
    assert "PWNED" not in capsys.readouterr().out


def test_hostile_calls_in_a_predictions_file_are_refused(bfcl, target, guarded, capsys):
    gt = _gt_turns()
    hostile = [{"name": n, "arguments": _with_target(a, target)} for _, n, a in HOSTILE]
    turns = [[hostile, gt[0]]] + [[calls] for calls in gt[1:]]
    row = score_prediction({"id": ITEM, "turns": turns})
    assert row["executed"][0][0] == []
    assert [p.split(" (offered")[0] for p in row["problems"]] == [
        f"refused: no such tool: {n}" for _, n, _ in HOSTILE
    ]
    assert row["valid"], row["errors"]
    _assert_untouched(target)
    assert guarded == [] and "PWNED" not in capsys.readouterr().out


def test_the_threat_is_real_without_the_gate(bfcl, tmp_path):
    """BFCL's executor on its own evals a builtin: what the tests above guard against."""
    path = tmp_path / "victim.txt"
    path.write_text(KEPT)
    entry = official.entry_by_id(ITEM)
    name = official.fresh_instance_name()
    try:
        bfcl.execute(
            func_call_list=[f"open(file={str(path)!r}, mode='w')"],
            initial_config=entry["initial_config"],
            involved_classes=entry["involved_classes"],
            model_name=name,
            test_entry_id=ITEM,
        )
    finally:
        official.release_instances(name)
    assert path.read_text() == ""


@pytest.mark.parametrize(
    ("arguments", "refusal"),
    [
        ({"path": "document"}, "tool cd has no parameter 'path' (parameters: folder)"),
        ({"folder": math.nan}, "argument 'folder' of cd is not JSON data"),
        ({"folder": math.inf}, "argument 'folder' of cd is not JSON data"),
        ({"folder": ("a",)}, "argument 'folder' of cd is not JSON data"),
        ({"folder": {1: "a"}}, "argument 'folder' of cd is not JSON data"),
    ],
)
def test_wrong_keys_and_non_json_values_are_refused(bfcl, arguments, refusal):
    vetted = vet_call(ToolCall("cd", arguments), offered_tools(official.entry_by_id(ITEM)))
    assert vetted.call_string == "" and vetted.refusal.startswith(refusal)


def test_a_value_with_a_sneaky_repr_is_refused(bfcl):
    class Sneaky(str):
        def __repr__(self):
            return "__import__('os').getcwd()"

    vetted = vet_call(ToolCall("cd", {"folder": Sneaky("x")}), offered_tools(official.entry_by_id(ITEM)))
    assert vetted.call_string == "" and "not JSON data" in vetted.refusal


@pytest.mark.parametrize(
    "value",
    [
        "__import__('os').system('true')",
        "a') or __import__('os') or ('",
        'x"); open("f", "w"); ("',
        "line\nbreak \\ back\\slash \x00 ünï",
        ["cd(folder='..')", {"k": "exec('1')"}, None, True, 3, -2.5],
    ],
)
def test_a_vetted_call_is_one_call_with_literal_values(bfcl, value):
    offered = offered_tools(official.entry_by_id(ITEM))
    text = vet_call(ToolCall("echo", {"content": value}), offered).call_string
    node = ast.parse(text, mode="eval").body
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    assert node.func.id == "echo" and not node.args
    assert [(k.arg, ast.literal_eval(k.value)) for k in node.keywords] == [("content", value)]


def test_code_in_a_string_value_stays_a_string(bfcl, tmp_path, target, guarded):
    code = f"__import__('pathlib').Path({str(target)!r}).write_text('pwned')"
    _, row, _ = _play(tmp_path, [{"name": "echo", "arguments": {"content": code}}])
    first = row["turns"][0][0]
    assert first["problems"] == [] and len(first["executed"]) == 1
    assert json.loads(first["results"][0]) == {"terminal_output": code}  # echo's own answer
    assert row["valid"] and len(row["turns"]) == 4
    _assert_untouched(target)


def test_an_offered_tool_runs_as_bfcl_runs_it(bfcl):
    """`mkdir` through the dialogue: BFCL's result and state, as BFCL's executor gives them
    for the same call string on a fresh instance; and the state did change."""
    from bfcl_eval.eval_checker.multi_turn_eval.multi_turn_checker import _compare_instances

    entry = official.load_entries("multi_turn_base", with_hints=True)[0]
    dialogue = MultiTurnDialogue(entry, "toolrl")
    dialogue.advance(as_answer([{"name": "mkdir", "arguments": {"dir_name": "new_dir"}}]))
    step = dialogue.turns[0][0]
    assert step["executed"] == ["mkdir(dir_name='new_dir')"] and step["problems"] == []
    ours = _instance(bfcl, dialogue.instance_name)

    def direct(calls):
        name = official.fresh_instance_name()
        results, instances = bfcl.execute(
            func_call_list=calls,
            initial_config=entry["initial_config"],
            involved_classes=entry["involved_classes"],
            model_name=name,
            test_entry_id=entry["id"],
        )
        official.release_instances(name)
        return results, instances["GorillaFileSystem"]

    results, theirs = direct(["mkdir(dir_name='new_dir')"])
    _, untouched = direct([])
    assert step["results"] == [str(r) for r in results]
    assert _compare_instances(ours, theirs)[0]
    assert not _compare_instances(ours, untouched)[0]
    official.release_instances(dialogue.instance_name)


def _instance(bfcl, instance_name):
    namespace = vars(bfcl.multi_turn_utils)
    key = next(k for k in namespace if k.startswith(instance_name) and "GorillaFileSystem" in k)
    return namespace[key]
