"""ACEBench (English, normal + special): loading every sample row, verdicts on prediction
variants, and the summary arithmetic.

Expectations come from the stated rules (the shared data README; ACEBench's checker), as a
table per variant: what each change to a right answer must do to the verdict.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from toolzero.data.report import DataReport
from toolzero.errors import UserError
from toolzero.evaluation.acebench.checker import Verdict
from toolzero.evaluation.acebench.data import (
    ACEBENCH_CATEGORIES,
    SPECIAL_CATEGORIES,
    SPECIAL_INSTRUCTIONS,
    acebench_instructions,
    acebench_row,
    load_acebench,
    score_acebench_item,
    summarize_acebench,
)
from toolzero.protocol.types import ToolCall

ALL_PHRASES = (
    '["There is incorrect value (v) for the parameters (k) in the conversation history."]',
    '["Missing necessary parameters (key1, key2) for the api (ApiName)"]',
    '["Due to the limitations of the function, I cannot solve this problem."]',
)


@pytest.fixture(scope="module")
def ace_dir(shared_data: Path) -> Path:
    """The shared samples (conftest's `shared_data`: $TOOLZERO_SHARED_DATA or ../shared/data), else skip."""
    root = shared_data
    if not (root / "acebench").is_dir():
        pytest.skip(f"ACEBench samples not present at {root / 'acebench'} (set TOOLZERO_SHARED_DATA)")
    return root / "acebench"


@pytest.fixture(scope="module")
def items(ace_dir):
    return load_acebench(data_dir=ace_dir)


def raw(ace_dir: Path, category: str, answers: bool = False) -> list[dict]:
    folder = ace_dir / "possible_answer" if answers else ace_dir
    text = (folder / f"data_{category}.json").read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def schema_of(functions: list[dict], name: str) -> dict:
    function = next(f for f in functions if f["name"] == name)
    return function.get("parameters", function.get("arguments"))


def strip_suffix(key: str) -> str:
    head, _, tail = key.rpartition("_")
    return head if head and tail.isdigit() else key


# ---- loading ---------------------------------------------------------------------------------


def test_every_sample_row_loads(ace_dir, items):
    assert len(items) == 4 * len(ACEBENCH_CATEGORIES)
    by_id = {e.id: e for e in items}
    for category in ACEBENCH_CATEGORIES:
        truths = {r["id"]: r["ground_truth"] for r in raw(ace_dir, category, answers=True)}
        for row in raw(ace_dir, category):
            example = by_id[row["id"]]
            assert example.metadata["category"] == category
            assert example.metadata["ground_truth"] == truths[row["id"]]
            assert [(m.role, m.content) for m in example.messages] == [("user", row["question"])]
            assert [t.name for t in example.tools] == [f["name"] for f in row["function"]]
            if category.startswith("normal"):
                gt = truths[row["id"]]
                assert [c.to_dict() for c in example.reference_calls] == [
                    {"name": strip_suffix(k), "arguments": v} for k, v in gt.items()
                ]
            if "multi_turn" in category:  # id: <category>_<dialogue>_<turn>
                *_, dialogue, turn = row["id"].split("_")
                assert example.metadata["turn"] == turn
                assert example.metadata["dialogue"].endswith(f"_{dialogue}")


def test_bad_rows_are_reported_and_the_rest_kept(ace_dir, tmp_path):
    lines = (ace_dir / "data_normal_atom_bool.json").read_text().splitlines()
    answers = (ace_dir / "possible_answer" / "data_normal_atom_bool.json").read_text().splitlines()
    unanswered = json.loads(lines[0]) | {"id": "normal_atom_bool_999"}
    bad = ["{not json", json.dumps(unanswered), json.dumps({"id": "x_1", "question": 3})]
    (tmp_path / "possible_answer").mkdir()
    (tmp_path / "data_normal_atom_bool.json").write_text("\n".join([lines[0], *bad, *lines[1:]]))
    answers.append(json.dumps({"id": "x_1", "ground_truth": {}}))
    (tmp_path / "possible_answer" / "data_normal_atom_bool.json").write_text("\n".join(answers))
    report = DataReport()
    loaded = load_acebench(["normal_atom_bool"], tmp_path, report)
    assert [e.id for e in loaded] == [json.loads(x)["id"] for x in lines]
    described = [s.describe() for s in report.samples]
    path = tmp_path / "data_normal_atom_bool.json"
    assert described[0].startswith(f"{path} row 1: invalid JSON line")
    assert described[1] == f"{path} row 2: no possible answer (normal_atom_bool_999)"
    assert described[2].startswith(f"{path} row 3: malformed item")
    with pytest.raises(UserError, match="agent categories are not supported"):
        load_acebench(["agent_multi_turn"], tmp_path)


def test_instructions_carry_acebenchs_fixed_phrases(items):
    for phrase in ALL_PHRASES[2:]:
        assert phrase in SPECIAL_INSTRUCTIONS
    assert "There is incorrect value (value) for the parameters (key)" in SPECIAL_INSTRUCTIONS
    assert "Missing necessary parameters (key1, key2) for the api (ApiName)" in SPECIAL_INSTRUCTIONS
    special = next(e for e in items if e.metadata["category"] == "special_incomplete")
    normal = next(e for e in items if e.metadata["category"] == "normal_preference")
    assert SPECIAL_INSTRUCTIONS in acebench_instructions(special)
    assert SPECIAL_INSTRUCTIONS not in acebench_instructions(normal)
    assert normal.metadata["profile"] and normal.metadata["profile"] in acebench_instructions(normal)


# ---- normal items: variants ------------------------------------------------------------------


def wrong(value):
    """A value of the same kind that no rule accepts for `value`."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return "qqq unrelated"
    if isinstance(value, list):
        return [*value, value[0]] if value else ["qqq"]
    return {**value, "qqq_extra_key": "q"}


def find_int(args: dict) -> list | None:
    """A path (keys / list indexes) to an int value nested anywhere in `args`."""
    for key, value in args.items():
        if isinstance(value, int) and not isinstance(value, bool):
            return [key]
        if isinstance(value, dict) and (path := find_int(value)):
            return [key, *path]
        if isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, int) and not isinstance(item, bool):
                    return [key, i]
                if isinstance(item, dict) and (path := find_int(item)):
                    return [key, i, *path]
    return None


def set_path(args: dict, path: list, value) -> None:
    target = args
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


def normal_variants(example) -> dict[str, tuple[list[ToolCall] | None, bool]]:
    """variant -> (predicted calls, expected verdict), each expectation from the rules.

    Changes are made to the first expected call; the others are kept as they are.
    """
    expected = [(c.name, c.arguments) for c in example.reference_calls]
    calls = lambda pairs: [ToolCall(n, copy.deepcopy(a)) for n, a in pairs]  # noqa: E731
    name, args = expected[0]
    first_as = lambda new_args: calls([(name, new_args), *expected[1:]])  # noqa: E731
    schema = schema_of(example.metadata["functions"], name)
    out = {
        "right": (calls(expected), True),
        "reversed order": (calls(expected[::-1]), True),
        "no call": ([], False),  # call count differs
        "unparsable": (None, False),
        "extra call": (calls([*expected, expected[0]]), False),  # count per name differs
        "wrong name": (calls([(name + "X", args), *expected[1:]]), False),
        "extra parameter": (first_as({**args, "qqq_unknown": "x"}), False),  # not in schema
    }
    if args:
        key = next(iter(args))
        out["wrong value"] = (first_as({**args, key: wrong(args[key])}), False)
        if all(n != name for n, _ in expected[1:]):
            # only required parameters must be present; an omitted optional one is not checked
            dropped = {k: v for k, v in args.items() if k != key}
            out["missing parameter"] = (first_as(dropped), key not in schema.get("required", []))
    optional = [p for p in schema["properties"] if p not in args]
    if optional:  # in the schema but not in the expected call: wrong too
        extra = {**args, optional[0]: args[next(iter(args))] if args else "x"}
        out["extra optional parameter"] = (first_as(extra), False)
    path = find_int(args)
    if path:  # "1" for 1: a string is not an integer, at any depth
        changed = copy.deepcopy(args)
        value = changed
        for step in path:
            value = value[step]
        set_path(changed, path, str(value))
        out['"1" for 1'] = (first_as(changed), False)
        if len(path) == 1:  # an equal float passes the type check and compares equal
            out["1.0 for 1"] = (first_as({**args, path[0]: float(value)}), True)
    for key, value in args.items():
        if isinstance(value, bool):  # "true" / "false" are read as booleans
            out['"true" for true'] = (first_as({**args, key: str(value).lower()}), True)
        if isinstance(value, str) and value.strip():  # standardised substring rule
            loose = "Re: " + value.upper().replace(" ", "_") + " (as asked)"
            out["string in longer text"] = (first_as({**args, key: loose}), True)
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            # strings directly in a list: equal after standardising, not substrings
            out["list strings re-cased"] = (first_as({**args, key: [v.upper() for v in value]}), True)
            padded = [v + " more" for v in value]
            out["list strings padded"] = (first_as({**args, key: padded}), False)
    return out


def test_every_normal_row_and_variant_gets_the_verdict_the_rules_give(items):
    seen = set()
    for example in items:
        if example.metadata["category"] in SPECIAL_CATEGORIES:
            continue
        for variant, (calls, expected) in normal_variants(example).items():
            verdict = score_acebench_item(example, calls, "")
            assert verdict.valid is expected, (example.id, variant, verdict.reason)
            seen.add(variant)
    assert {
        '"1" for 1', "1.0 for 1", '"true" for true', "missing parameter",
        "extra optional parameter", "string in longer text", "list strings padded",
    } <= seen  # fmt: skip


def test_missing_required_versus_optional_parameter_on_real_rows(items):
    by_id = {e.id: e for e in items}
    # normal_atom_number_46: ContractStatusOverview requires reportMonth and reportYear
    example = by_id["normal_atom_number_46"]
    assert score_acebench_item(example, [ToolCall("ContractStatusOverview", {"reportYear": 2021})], "").reason == (
        "ContractStatusOverview: missing required parameter 'reportMonth'"
    )
    # normal_atom_bool_48: include_indoor_suggestions is optional, so leaving it out passes
    example = by_id["normal_atom_bool_48"]
    answer = [ToolCall("WeekendWeatherChecker", {"location": "Yosemite National Park"})]
    schema = schema_of(example.metadata["functions"], "WeekendWeatherChecker")
    assert "include_indoor_suggestions" not in schema.get("required", [])
    assert score_acebench_item(example, answer, "").valid


# ---- special items ---------------------------------------------------------------------------


def special_right_answer(category: str, ground_truth) -> str:
    if category == "special_incomplete":
        (api, params), = ground_truth.items()
        return f'["Missing necessary parameters ({", ".join(params)}) for the api ({api})"]'
    if category == "special_error_param":
        (key, values), = ground_truth.items()
        return f'["There is incorrect value ({", ".join(values)}) for the parameters ({key}) in the conversation history."]'
    return ALL_PHRASES[2]


def test_every_special_row_and_variant(items):
    for example in items:
        category = example.metadata["category"]
        if category not in SPECIAL_CATEGORIES:
            continue
        gt = example.metadata["ground_truth"]
        right = special_right_answer(category, gt)
        table = {
            right: True,
            right.upper(): False,  # the phrases are case-sensitive
            "": False,
            '[SomeApi(x="1")]': False,
        }
        for phrase in ALL_PHRASES:  # another category's phrase is wrong
            table.setdefault(phrase, phrase == right)
        if category == "special_incomplete":
            (api, params), = gt.items()
            table[right.replace(params[-1], "")] = False  # a missing parameter not named
            table[right.replace(api, "TheApi")] = False  # the API not named
        if category == "special_error_param":
            (_, values), = gt.items()
            table[right.replace(values[0], "VALUE")] = False
        for answer, expected in table.items():
            assert score_acebench_item(example, None, answer).valid is expected, (example.id, answer)


# ---- summary ---------------------------------------------------------------------------------


def test_summary_by_hand(items):
    """All normal answers right except turn 1 of user_adjust dialogue 49; special all wrong.

    user_adjust: dialogues 48 (turn 1) and 49 (turns 0, 1, 2): 1 of 2 dialogues right ->
    0.5; process (1 + 2/3) / 2; turns 3/4. Overall = sum(accuracy x items) / items
    = (11 x 1.0 x 4 + 0.5 x 4 + 3 x 0.0 x 4) / 60 = 46 / 60.
    Groups: normal = (11 + 0.5) / 12, special = 0.
    """
    verdicts = []
    for example in items:
        wrong_one = example.id == "normal_multi_turn_user_adjust_49_1"
        valid = example.metadata["category"] not in SPECIAL_CATEGORIES and not wrong_one
        verdicts.append(acebench_row(example, Verdict(valid)))
    summary = summarize_acebench(json.loads(json.dumps(verdicts)))  # as read back from a file
    adjust = summary["categories"]["normal_multi_turn_user_adjust"]
    assert adjust == pytest.approx({
        "items": 4, "correct": 3, "dialogues": 2, "accuracy": 0.5,
        "process_accuracy": (1 + 2 / 3) / 2, "turn_accuracy": 0.75,
    })  # fmt: skip
    assert summary["categories"]["normal_multi_turn_user_switch"]["dialogues"] == 2
    assert summary["categories"]["special_irrelevant"] == {"items": 4, "correct": 0, "accuracy": 0.0}
    assert summary["overall"] == {"items": 60, "accuracy": pytest.approx(46 / 60)}
    assert summary["groups"] == pytest.approx({"normal": 11.5 / 12, "special": 0.0})


def test_type_and_parameterless_rules_by_hand():
    """Hand-worked cases for rules no sample row exercises."""
    from toolzero.evaluation.acebench.checker import check_normal

    def function(name, properties, required=()):
        schema = {"type": "object", "properties": properties, "required": list(required)}
        return {"name": name, "parameters": schema}

    functions = [
        function("ping", {}),
        {"name": "now", "parameters": {}},
        function("opt", {"verbose": {"type": "boolean"}}),
        function("pay", {"amount": {"type": "float"}, "rate": {"type": "number"},
                         "flags": {"type": "object"}}, ["amount"]),
    ]  # fmt: skip
    table = [  # (calls, ground truth, right?)
        ([ToolCall("ping", {})], {"ping": {}}, True),  # no parameters, none given
        ([ToolCall("now", {})], {"now": {}}, True),
        ([ToolCall("ping", {"x": 1})], {"ping": {}}, False),  # not in the schema
        ([ToolCall("opt", {})], {"opt": {}}, True),  # optional parameter left out, as expected
        ([ToolCall("pay", {"amount": 2})], {"pay": {"amount": 2.0}}, True),  # int for a float
        ([ToolCall("pay", {"amount": 2})], {"pay": {"amount": 2.5}}, False),
        ([ToolCall("pay", {"amount": "2.0"})], {"pay": {"amount": 2.0}}, False),
        ([ToolCall("pay", {"amount": 1.0, "rate": 7.2})], {"pay": {"amount": 1.0, "rate": 7.2}}, True),
        ([ToolCall("pay", {"amount": 1.0, "rate": 7})], {"pay": {"amount": 1.0, "rate": 7.2}}, False),
        ([ToolCall("pay", {"amount": 1.0, "flags": {"fast": "false"}})],
         {"pay": {"amount": 1.0, "flags": {"fast": False}}}, True),  # "false" inside an object
        ([ToolCall("pay", {"amount": 1.0, "flags": {"fast": 0}})],
         {"pay": {"amount": 1.0, "flags": {"fast": False}}}, False),  # 0 is not False
        ([ToolCall("pay", {"rate": 1.0})], {"pay": {"amount": 1.0, "rate": 1.0}}, False),
        ([ToolCall("ping", {}), ToolCall("ping", {})], {"ping_1": {}, "ping_2": {}}, True),
        ([ToolCall("ping", {})], [{"now": {}}, {"ping": {}}], True),  # any possible answer
    ]
    for calls, truth, right in table:
        assert check_normal(functions, calls, truth).valid is right, (calls, truth)


def test_full_data_comes_from_acebenchs_repository_and_offline_is_a_clear_error(
    tmp_path, monkeypatch
):
    import urllib.error

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setenv("TOOLZERO_CACHE", str(tmp_path))
    monkeypatch.setattr("urllib.request.urlopen", offline)
    url = "https://raw.githubusercontent.com/ACEBench/ACEBench/main/data_all/data_en/"
    with pytest.raises(UserError, match=f"could not download {url}data_normal_atom_bool.json"):
        load_acebench(["normal_atom_bool"])
    with pytest.raises(UserError, match="possible_answer/"):
        load_acebench(["normal_atom_bool"], tmp_path)
