"""Hammer's test sets: loading every sample row, and scoring exactly as Hammer's evaluate.py.

The expectations come from the rules (data/README.md of the shared data, Hammer's script),
written here as small literal rule functions over the raw JSON, and from a hand-worked
table for Hammer's own `example_eval.jsonl` — never from our scorer's output.
"""

from __future__ import annotations

import json
import urllib.error
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest

from toolzero.data.report import DataReport
from toolzero.errors import UserError
from toolzero.evaluation.hammer.data import HAMMER_FILES, hammer_url, load_hammer
from toolzero.evaluation.hammer.scoring import (
    read_hammer_answer,
    score_hammer_item,
    summarize_hammer,
)
from toolzero.protocol.types import ToolCall

SAMPLE_SETS = ("sealtool", "toolalpaca", "apibank_l1", "apibank_l2")
COUNTS = (
    "gold_calls", "predicted_calls", "correct_calls", "gold_params", "predicted_params", "param_hits",
)  # fmt: skip


@pytest.fixture(scope="module")
def hammer_dir(shared_data: Path) -> Path:
    """The shared samples (conftest's `shared_data`: $TOOLZERO_SHARED_DATA or ../shared/data), else skip."""
    root = shared_data
    if not (root / "hammer").is_dir():
        pytest.skip(f"Hammer samples not present at {root / 'hammer'} (set TOOLZERO_SHARED_DATA)")
    return root / "hammer"


def raw_rows(hammer_dir: Path, name: str) -> list[dict]:
    return json.loads((hammer_dir / f"{name}.json").read_text())


def raw_calls(row: dict) -> list[dict]:
    """The answers as {"name", "arguments"}, whichever shape the set uses."""
    return [
        {"name": a.get("name", a.get("tool")), "arguments": a.get("arguments", a.get("parameters"))}
        for a in row["answers"]
    ]


# ---- Hammer's rules, literally (README: "How these benchmarks score") ----------------------


def rule_counts(label: list[dict], predict: list[dict] | None) -> dict[str, int]:
    """One item's counts by the stated rules, on plain dicts."""
    nonempty = lambda args: [k for k, v in args.items() if v != ""]  # noqa: E731
    gold_params = sum(len(nonempty(c["arguments"])) for c in label)
    out = Counter(gold_calls=len(label), gold_params=gold_params)
    if predict is None:  # unparsable: one predicted call, no hits
        out["predicted_calls"] += 1
        return out
    names = [c["name"] for c in label]
    for call in predict:
        out["predicted_calls"] += 1
        out["predicted_params"] += len(nonempty(call["arguments"]))
        if call["name"] in names:
            out["correct_calls"] += 1
            for gold in label:  # first same-name label call that yields any hit
                if gold["name"] != call["name"]:
                    continue
                if not gold["arguments"] and not nonempty(call["arguments"]):
                    hits = 1  # parameterless match counts one hit
                else:
                    hits = sum(
                        1 for k in nonempty(gold["arguments"])
                        if k in call["arguments"] and call["arguments"][k] != ""
                        and str(call["arguments"][k]) == str(gold["arguments"][k])
                    )  # fmt: skip
                if hits:
                    out["param_hits"] += hits
                    break
    return out


def rule_exact(label: list[dict], predict: list[dict] | None) -> bool:
    """Our exact match: same calls as a multiset, values compared as str(), '' ignored."""
    if predict is None:
        return False
    def key(call):
        return call["name"], sorted((k, str(v)) for k, v in call["arguments"].items() if v != "")

    return sorted(map(repr, map(key, label))) == sorted(map(repr, map(key, predict)))


def as_calls(dicts: list[dict] | None) -> list[ToolCall] | None:
    return None if dicts is None else [ToolCall(d["name"], d["arguments"]) for d in dicts]


def first_param(calls: list[dict]) -> tuple[int, str] | None:
    for i, c in enumerate(calls):
        for k, v in c["arguments"].items():
            if v != "":
                return i, k
    return None


def variants(label: list[dict]) -> dict[str, list[dict] | None]:
    """right, wrong value, "1" for 1, missing / extra parameter, wrong name, extra call,
    no call, unparsable (those that apply to this row)."""
    copy = lambda: json.loads(json.dumps(label))  # noqa: E731
    out: dict[str, list[dict] | None] = {"right": copy(), "no call": [], "unparsable": None}
    found = first_param(label)
    if found:
        i, k = found
        wrong = copy()
        wrong[i]["arguments"][k] = "WRONG-" + str(wrong[i]["arguments"][k])
        out["wrong value"] = wrong
        missing = copy()
        del missing[i]["arguments"][k]
        out["missing parameter"] = missing
        emptied = copy()
        emptied[i]["arguments"][k] = ""  # an empty string is no parameter at all
        out["empty value"] = emptied
    for i, c in enumerate(label):
        for k, v in c["arguments"].items():
            number = isinstance(v, int) and not isinstance(v, bool)
            if number or (isinstance(v, str) and v.isdigit()):
                other = copy()
                other[i]["arguments"][k] = str(v) if isinstance(v, int) else int(v)
                out.setdefault('"1" for 1', other)
    extra = copy()
    extra[0]["arguments"]["unlisted_param"] = "x"
    out["extra parameter"] = extra
    renamed = copy()
    renamed[0]["name"] += "_renamed"
    out["wrong name"] = renamed
    out["extra call"] = [*copy(), copy()[0]]
    return out


# ---- loading ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLE_SETS)
def test_every_sample_row_loads_as_its_source_says(hammer_dir, name):
    rows = raw_rows(hammer_dir, name)
    report = DataReport()
    examples = load_hammer(name, hammer_dir, report)
    assert report.total_rejected == 0
    assert [e.id for e in examples] == [f"{name}-{i}" for i in range(len(rows))]
    for row, example in zip(rows, examples, strict=True):
        assert [c.to_dict() for c in example.reference_calls] == raw_calls(row)
        assert [t.name for t in example.tools] == [t["name"] for t in row["tools"]]
        for raw, tool in zip(row["tools"], example.tools, strict=True):
            params = raw.get("parameters") or {}
            if "required" in raw:
                wanted = raw["required"]
            elif any("required" in p for p in params.values()):
                wanted = [k for k, p in params.items() if p.get("required") is True]
            else:
                optional = [k for k, p in params.items() if p["description"].startswith("[Optional]")]
                wanted = [k for k in params if k not in optional]
            assert tool.required() == wanted
            assert tool.properties() == params
        if isinstance(row["query"], str):
            assert [(m.role, m.content) for m in example.messages] == [("user", row["query"])]
        else:
            texts = [t["content"] for t in row["query"] if t["role"] in ("user", "agent", "tool")]
            assert [m.content for m in example.messages if m.content] == [t for t in texts if t]
            roles = [t["role"] for t in row["query"]]
            # an `assistant` call turn right after an `agent` turn joins it
            merged = sum(1 for a, b in pairwise(roles) if (a, b) == ("agent", "assistant"))
            assert len(example.messages) == len(row["query"]) - merged
            assert example.messages[-1].content.endswith("Generate API Request:")


def test_dialogue_call_turns_become_assistant_calls(hammer_dir):
    example = load_hammer("apibank_l1", hammer_dir)[4]  # user, agent, user, assistant, tool, ...
    call_turn, tool_turn = example.messages[3], example.messages[4]
    assert call_turn.role == "assistant"
    login = ToolCall("GetUserToken", {"username": "admin", "password": "adminpass"})
    assert call_turn.tool_calls == (login,)
    assert (tool_turn.role, tool_turn.name) == ("tool", "GetUserToken")


def test_bad_rows_are_reported_with_file_row_and_reason_and_the_rest_kept(hammer_dir, tmp_path):
    rows = raw_rows(hammer_dir, "toolalpaca")[:3]
    bad = [
        "not a row",
        {"query": "q", "tools": []},
        {"query": "q", "tools": [], "answers": [{"arguments": {}}]},
        {"query": [{"role": "assistant", "content": "```[not json```"}], "tools": [], "answers": []},
        {"query": [{"role": "narrator", "content": "x"}], "tools": [], "answers": []},
    ]
    (tmp_path / "toolalpaca.json").write_text(json.dumps([rows[0], *bad, rows[1], rows[2]]))
    report = DataReport()
    examples = load_hammer("toolalpaca", tmp_path, report)
    assert [e.id for e in examples] == ["toolalpaca-0", "toolalpaca-6", "toolalpaca-7"]
    assert [c.to_dict() for c in examples[1].reference_calls] == raw_calls(rows[1])
    described = [s.describe() for s in report.samples]
    assert len(described) == 5
    for row, text in zip(range(1, 6), described, strict=True):
        assert text.startswith(f"{tmp_path / 'toolalpaca.json'} row {row}: ")
    assert "missing field (answers)" in described[1]
    assert "unknown query role" in described[4]


def test_full_sets_come_from_hammers_repository_and_offline_is_a_clear_error(tmp_path, monkeypatch):
    assert hammer_url("nexusraven") == (
        "https://raw.githubusercontent.com/MadeAgents/Hammer/main/data/test/original/NexusRaven.json"
    )
    assert set(HAMMER_FILES) == {"sealtool", "toolalpaca", "nexusraven", "apibank_l1", "apibank_l2"}

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setenv("TOOLZERO_CACHE", str(tmp_path))
    monkeypatch.setattr("urllib.request.urlopen", offline)
    with pytest.raises(UserError, match=r"could not download .*sealtool\.json.*--data-dir"):
        load_hammer("sealtool")
    with pytest.raises(UserError, match="unknown Hammer set"):
        load_hammer("seal")
    with pytest.raises(UserError, match="neither"):
        load_hammer("nexusraven", tmp_path)


# ---- scoring ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLE_SETS)
def test_every_row_and_variant_scores_as_the_rules_say(hammer_dir, name):
    rows = raw_rows(hammer_dir, name)
    examples = load_hammer(name, hammer_dir)
    per_variant: dict[str, list] = {}
    for row, example in zip(rows, examples, strict=True):
        label = raw_calls(row)
        for variant, predict in variants(label).items():
            score = score_hammer_item(example.reference_calls, as_calls(predict))
            want = rule_counts(label, predict)
            got = score.to_dict()
            where = (example.id, variant)
            assert {k: got[k] for k in COUNTS} == {k: want[k] for k in COUNTS}, where
            assert score.exact == rule_exact(label, predict), where
            per_variant.setdefault(variant, []).append((score, want))
    for variant, pairs in per_variant.items():  # set metrics: sums first, then P / R / F1
        summary = summarize_hammer(score for score, _ in pairs)
        total = sum((want for _, want in pairs), Counter())
        p = total["correct_calls"] / total["predicted_calls"] if total["predicted_calls"] else None
        r = total["correct_calls"] / total["gold_calls"]
        assert summary["api"]["precision"] == p and summary["api"]["recall"] == r, variant
        if p is not None and total["gold_params"]:
            predicted = total["predicted_params"]
            pp = total["param_hits"] / predicted if predicted else None
            rp = total["param_hits"] / total["gold_params"]
            assert summary["param"]["recall"] == pytest.approx(rp), variant
            assert summary["param"]["precision"] == (pytest.approx(pp) if pp is not None else None)


def test_variant_verdicts_by_hand_on_one_row(hammer_dir):
    """Seal-Tools' last row, worked by hand: 3 gold parameters, all strings."""
    example = load_hammer("sealtool", hammer_dir)[24]
    label = raw_calls(raw_rows(hammer_dir, "sealtool")[24])
    v = variants(label)
    table = {  # variant: (predicted calls, correct calls, predicted params, hits, exact)
        "right": (1, 1, 3, 3, True),
        "wrong value": (1, 1, 3, 2, False),
        "missing parameter": (1, 1, 2, 2, False),
        "extra parameter": (1, 1, 4, 3, False),
        "wrong name": (1, 0, 3, 0, False),
        "extra call": (2, 2, 6, 6, False),  # no pairing: the duplicate is correct again
        "empty value": (1, 1, 2, 2, False),
        "no call": (0, 0, 0, 0, False),
        "unparsable": (1, 0, 0, 0, False),
    }
    for variant, expected in table.items():
        s = score_hammer_item(example.reference_calls, as_calls(v[variant]))
        got = (s.predicted_calls, s.correct_calls, s.predicted_params, s.param_hits, s.exact)
        assert got == expected, variant
        assert (s.gold_calls, s.gold_params) == (1, 3)


def test_the_two_quirks_on_real_rows(hammer_dir):
    # Quirk 2: Seal-Tools row 2 is parameterless; a right answer counts one hit for zero params.
    seal = load_hammer("sealtool", hammer_dir)[2]
    assert seal.reference_calls == (ToolCall("getRandomPoetry", {}),)
    s = score_hammer_item(seal.reference_calls, [ToolCall("getRandomPoetry", {})])
    assert (s.gold_params, s.predicted_params, s.param_hits, s.parameterless_hits) == (0, 0, 1, 1)
    # Quirk 1: ToolAlpaca row 0 asks getFruitByName twice (apple, banana). A prediction of
    # banana takes its hit from the first label call that gives one (the second); a
    # prediction whose value matches neither takes none from either.
    fruit = load_hammer("toolalpaca", hammer_dir)[0]
    one = score_hammer_item(fruit.reference_calls, [ToolCall("getFruitByName", {"name": "banana"})])
    assert (one.correct_calls, one.param_hits, one.gold_params) == (1, 1, 2)
    twice = score_hammer_item(
        fruit.reference_calls, [ToolCall("getFruitByName", {"name": "apple"})] * 2
    )
    assert (twice.correct_calls, twice.param_hits, twice.exact) == (2, 2, False)


def parse_hammer_text(text: str) -> list[dict] | None:
    """Hammer's reading of a fenced answer; None when it does not give a list."""
    try:
        value = json.loads(text.replace("```json", "").replace("```", ""))
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, list) else None


def test_hammers_example_eval_by_hand(hammer_dir):
    """data/example_eval.jsonl (7 rows), counted by hand from its label / predict lists:

    row  calls gold/pred/correct  params gold/pred/hits  exact  why
    0    1/1/1                    0/0/1                  yes    parameterless match: 1 hit
    1    1/1/1                    2/2/2                  yes    "40.7" vs 40.7 equal as str
    2    1/1/1                    2/2/1                  no     "85" vs 850
    3    1/1/1                    2/2/2                  yes
    4    1/1/1                    1/1/1                  yes
    5    1/1/1                    2/2/2                  yes    "1986" vs 1986
    6    1/1/0                    2/2/0                  no     name "get_"
    sum  7/7/6                    11/11/9                5/7
    """
    text = (hammer_dir / "example_eval.jsonl").read_text()
    lines = [json.loads(x) for x in text.splitlines() if x.strip()]
    assert len(lines) == 7
    scores = []
    for line in lines:
        label = parse_hammer_text(line["label"])
        predict = parse_hammer_text(line["predict"])
        scores.append(score_hammer_item(as_calls(label), as_calls(predict)))
    assert [s.param_hits for s in scores] == [1, 2, 1, 2, 1, 2, 0]
    for line in lines:  # our reader of Hammer-format answers agrees with the literal one
        assert read_hammer_answer(line["predict"]) == as_calls(parse_hammer_text(line["predict"]))
    assert [s.exact for s in scores] == [True, True, False, True, True, True, False]
    summary = summarize_hammer([{"id": i, **s.to_dict()} for i, s in enumerate(scores)])
    assert summary["api"] == pytest.approx({"precision": 6 / 7, "recall": 6 / 7, "f1": 6 / 7})
    assert summary["param"] == pytest.approx({"precision": 9 / 11, "recall": 9 / 11, "f1": 9 / 11})
    assert summary["exact_match"] == {"correct": 5, "accuracy": 5 / 7}


def test_empty_string_values_count_on_neither_side():
    label = [ToolCall("f", {"a": "x", "b": ""})]
    s = score_hammer_item(label, [ToolCall("f", {"a": "x", "b": "", "c": ""})])
    assert (s.gold_params, s.predicted_params, s.param_hits, s.exact) == (1, 1, 1, True)
    s = score_hammer_item([ToolCall("g", {})], [ToolCall("g", {"a": ""})])
    assert (s.predicted_params, s.param_hits, s.parameterless_hits) == (0, 1, 1)


def test_f1_can_exceed_one_and_zero_denominators_give_none():
    only_parameterless = [score_hammer_item([ToolCall("f", {})], [ToolCall("f", {})])]
    g = [ToolCall("g", {"a": 1})]
    only_parameterless.append(score_hammer_item(g, g))
    param = summarize_hammer(only_parameterless)["param"]
    assert param == pytest.approx({"precision": 2.0, "recall": 2.0, "f1": 2.0})  # 2 hits / 1 param
    nothing = summarize_hammer([score_hammer_item([ToolCall("f", {"a": 1})], [])])
    assert nothing["api"] == {"precision": None, "recall": 0.0, "f1": None}
