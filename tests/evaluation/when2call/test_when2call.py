"""When2Call (generation mode): the rule classifier, the metrics on hand-worked tables, the
loader's rejections and the data-folder errors. The end-to-end run, resume, report and
`eval score` are in the table of `test_eval_registry.py`."""

from __future__ import annotations

import json

import pytest

from toolzero.data.report import DataReport
from toolzero.errors import UserError
from toolzero.evaluation.when2call.data import (
    CATEGORIES,
    classify_answer,
    load_when2call,
    summarize_when2call,
    when2call_file,
)
from toolzero.protocol.types import ToolCall

from ..eval_fakes import chat_reply

CALL = ToolCall("get_weather", {"city": "Paris"})

# (answer text, calls as given or None for unreadable, expected category by the rules)
CLASSIFY_CASES = [
    ('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>', [CALL], "tool_call"),
    ("anything", [CALL], "tool_call"),  # a calls row with a call
    ("<tool_call>\n{not json\n</tool_call>", None, "tool_call"),  # an attempted call
    ("<response> Which city do you mean? </response>", [], "request_for_info"),  # ends with ?
    ("Could you please provide the city name.", [], "request_for_info"),  # asking phrase
    ("<think> hmm? </think>\n<response> It is sunny. </response>", [], "direct"),  # ? in think only
    ("I'm sorry, but I don't have access to live weather data.", [], "cannot_answer"),
    ("I am unable to book flights with these tools.", [], "cannot_answer"),
    ("I can\u2019t do that.", [], "cannot_answer"),  # typographic apostrophe
    ("I cannot help with that; could you ask something else?", [], "cannot_answer"),  # refusal first
    ("The capital of France is Paris.", [], "direct"),
    ("", [], "direct"),
]  # fmt: skip


@pytest.mark.parametrize(("answer", "calls", "expected"), CLASSIFY_CASES)
def test_classify_answer_follows_the_rules(answer, calls, expected):
    assert classify_answer(answer, calls) == expected


def test_a_completion_without_calls_list_is_parsed_for_calls():
    text = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>'
    from toolzero.evaluation.item_bench import decoded_calls

    assert classify_answer(text, decoded_calls(text)) == "tool_call"


def test_metrics_on_a_hand_worked_table():
    # gold -> predicted, 6 items:
    pairs = [
        ("tool_call", "tool_call"),
        ("tool_call", "direct"),
        ("request_for_info", "request_for_info"),
        ("request_for_info", "tool_call"),  # a hallucinated call
        ("cannot_answer", "cannot_answer"),
        ("direct", "cannot_answer"),
    ]
    # tool_call: tp1 fp1 fn1 -> P=1/2 R=1/2 F1=1/2
    # request_for_info: tp1 fp0 fn1 -> P=1 R=1/2 F1=2/3
    # cannot_answer: tp1 fp1 fn0 -> P=1/2 R=1 F1=2/3
    # direct: tp0 fp1 fn1 -> F1=0
    summary = summarize_when2call(pairs)
    assert summary["accuracy"] == pytest.approx(3 / 6)
    assert summary["macro_f1"] == pytest.approx((1 / 2 + 2 / 3 + 2 / 3 + 0) / 4)
    # items whose right answer is not a call: 4; one of them got a call
    assert summary["tool_hallucination_rate"] == pytest.approx(1 / 4)


def test_categories_absent_on_both_sides_leave_the_macro_mean():
    summary = summarize_when2call([("tool_call", "tool_call"), ("tool_call", "direct")])
    # tool_call: P=1 R=1/2 F1=2/3; direct: tp0 fp1 fn0 -> 0; the other two are absent
    assert summary["macro_f1"] == pytest.approx((2 / 3 + 0) / 2)
    assert summary["tool_hallucination_rate"] is None  # no item where a call is wrong
    assert set(summary["categories"]) == {"tool_call", "direct"}


def test_the_shared_sample_loads_with_its_four_candidates(shared_data):
    items = load_when2call(shared_data / "when2call")
    lines = (shared_data / "when2call" / "when2call_test_llm_judge_sample.jsonl").read_text()
    assert len(items) == len(lines.splitlines())
    first = json.loads(lines.splitlines()[0])
    assert items[0].example.id == "when2call-0"
    assert items[0].correct == first["correct_answer"]
    assert set(items[0].answers) == set(CATEGORIES)
    assert [t.name for t in items[0].example.tools] == [json.loads(t)["name"] for t in first["tools"]]


def test_the_samples_candidate_texts_classify_as_their_category(shared_data):
    """The dataset's own question/refusal candidates are what the rules are for."""
    items = load_when2call(shared_data / "when2call")
    for category in ("request_for_info", "cannot_answer"):
        got = [classify_answer(i.answers[category], []) for i in items]
        assert got.count(category) == len(items), category


def test_bad_rows_are_reported_and_the_rest_kept(shared_data, tmp_path):
    lines = (shared_data / "when2call" / "when2call_test_llm_judge_sample.jsonl").read_text().splitlines()
    bad = json.loads(lines[1]) | {"correct_answer": "maybe"}
    (tmp_path / "when2call_test_llm_judge.jsonl").write_text(
        "\n".join([lines[0], json.dumps(bad), "{oops", lines[2]]) + "\n"
    )
    report = DataReport()
    items = load_when2call(tmp_path, report)
    assert [i.example.id for i in items] == ["when2call-0", "when2call-3"]
    assert report.total_rejected == 2


def test_a_folder_without_the_file_names_the_url(tmp_path):
    with pytest.raises(UserError, match=r"raw\.githubusercontent\.com/NVIDIA/When2Call"):
        when2call_file(tmp_path)


def test_offline_download_is_a_user_error(tmp_path, monkeypatch):
    import urllib.request

    monkeypatch.setenv("TOOLZERO_CACHE", str(tmp_path))

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(UserError, match="--data-dir"):
        when2call_file(None)


# --- MCQ mode on the tiny model -------------------------------------------------------


@pytest.fixture(scope="module")
def tiny(tiny_model_path):
    from toolzero.models import load_model_and_tokenizer

    return load_model_and_tokenizer(str(tiny_model_path))


def token_by_token_mean(model, tokenizer, prompt: str, answer: str) -> float:
    """The mean log-prob of `answer`'s tokens, one forward pass per token (independent of
    the scorer's single-pass slicing)."""
    import torch

    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(answer, add_special_tokens=False)["input_ids"]
    total = 0.0
    for k, token in enumerate(answer_ids):
        ids = torch.tensor([prompt_ids + answer_ids[:k]])
        with torch.no_grad():
            last = model(input_ids=ids).logits[0, -1].float()
        total += torch.log_softmax(last, dim=-1)[token].item()
    return total / len(answer_ids)


@pytest.mark.slow
def test_mcq_picks_the_candidate_with_the_highest_mean_token_logprob(tiny, shared_data):
    from toolzero.evaluation.when2call.mcq import choose_answer
    from toolzero.protocol.chat import render_prompt

    model, tokenizer = tiny
    item = load_when2call(shared_data / "when2call")[0]
    answers = {k: v[:60] for k, v in item.answers.items()}  # short: a few tokens each
    prompt = render_prompt(tokenizer, item.example, "toolrl")
    expected = {cat: token_by_token_mean(model, tokenizer, prompt, text) for cat, text in answers.items()}
    chosen, scores = choose_answer(model, tokenizer, prompt, answers)
    assert scores == pytest.approx(expected, abs=1e-4)
    assert chosen == max(expected, key=expected.get)


def test_mcq_mode_runs_through_evaluate_and_a_rerun_reads_its_rows(tiny_model_path, shared_data, tmp_path):
    from toolzero.evaluation import BenchOptions, evaluate

    options = BenchOptions(data_dirs={"when2call": str(shared_data / "when2call")})
    out = tmp_path / "mcq"
    summary = evaluate(str(tiny_model_path), ["when2call:mcq"], out, limit=2, options=options)
    w2c = summary["benchmarks"]["when2call"]
    assert w2c["items"] == 2 and "normalised_accuracy" in w2c and "accuracy" not in w2c
    rows = [json.loads(r) for r in (out / "when2call" / "items.jsonl").read_text().splitlines()]
    assert all(r["predicted"] == max(r["mean_logprobs"], key=r["mean_logprobs"].get) for r in rows)
    again = evaluate(str(tiny_model_path), ["when2call:mcq"], out, limit=2, options=options)
    assert again["benchmarks"]["when2call"]["normalised_accuracy"] == w2c["normalised_accuracy"]


def test_mcq_mode_cannot_score_saved_predictions(tmp_path, shared_data):
    from toolzero.evaluation import BenchOptions
    from toolzero.evaluation.when2call.bench import WHEN2CALL

    options = BenchOptions(data_dirs={"when2call": str(shared_data / "when2call")})
    with pytest.raises(UserError, match="needs the model"):
        WHEN2CALL.score_predictions(tmp_path / "p.jsonl", ["mcq"], options, tmp_path)


# --- the optional LLM judge ------------------------------------------------------------


def test_judge_category_reads_the_first_named_category():
    from toolzero.evaluation.when2call.data import judge_category

    assert judge_category("cannot_answer") == "cannot_answer"
    assert judge_category("It is direct, not tool_call.") == "direct"
    assert judge_category("I am not sure") is None


def test_eval_score_with_the_llm_judge(shared_data, tmp_path, fake_server):
    from toolzero.cli import main

    asked = []

    def route(path, body):
        prompt = body["messages"][-1]["content"]
        asked.append(prompt)
        return 200, chat_reply("direct" if "weather" in prompt else "no idea")

    server = fake_server(route)
    call = '<tool_call>\n{"name": "reverse_input", "arguments": {"input_value": "hi"}}\n</tool_call>'
    preds = tmp_path / "p.jsonl"
    preds.write_text("".join(json.dumps(r) + "\n" for r in [
        {"id": "when2call-0", "completion": call},  # a call: never sent to the judge
        {"id": "when2call-1", "completion": "What is the weather where?"},  # rules: a question; judge: direct
        {"id": "when2call-2", "completion": "I cannot do that."},  # judge names none: rules
    ]))  # fmt: skip
    args = ["eval", "score", "--bench", "when2call", "--predictions", str(preds)]
    args += ["--data-dir", str(shared_data / "when2call"), "--out", str(tmp_path / "o")]
    args += ["--judge-url", server.url + "/v1", "--judge-model", "judge"]
    assert main(args) == 0
    rows = [json.loads(r) for r in (tmp_path / "o" / "when2call" / "items.jsonl").read_text().splitlines()]
    assert [r["predicted"] for r in rows] == ["tool_call", "direct", "cannot_answer"]
    assert len(asked) == 2 and "judge_reply" not in rows[0]
    assert rows[1]["rule_category"] == "request_for_info" and rows[2]["judge_reply"] == "no idea"
