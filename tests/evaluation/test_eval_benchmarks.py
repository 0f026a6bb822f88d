"""API-Bank, Bamboogle and synthetic tasks with scripted models; garbage answers on every benchmark."""

from __future__ import annotations

import json
import re

import pytest

from toolzero.evaluation.api_bank import is_correct, run_api_bank
from toolzero.evaluation.bamboogle.bench import final_answer, run_bamboogle
from toolzero.evaluation.bamboogle.judge import LLMJudge, exact_match, f1
from toolzero.evaluation.bamboogle.search import BM25Search, HTTPSearch, SearchHit, read_documents
from toolzero.evaluation.generation import ModelUnderTest
from toolzero.evaluation.settings import GenerationSettings

from .eval_fakes import PlainTokenizer, ScriptedBackend, chat_reply

GARBAGE = [
    "",
    "x" * 2_000_000,
    "\x00\xff\ud800\udfff" * 1000,  # lone surrogates (possible in a predictions file)
    "<think>" * 5000,
    "<tool_call>\n" + "[" * 100_000 + "\n</tool_call>",
    '<tool_call>\n{"name": 5, "parameters": []}\n</tool_call><response>',
    '<tool_call>\n{"name": "Search", "parameters": {"query": 12}}\n</tool_call>',
]


def model_of(script, prefill=""):
    settings = GenerationSettings("toolrl", prefill, max_new_tokens=8)
    return ModelUnderTest(ScriptedBackend(script), PlainTokenizer(), settings)


@pytest.mark.parametrize(
    ("answer", "gold", "correct"),
    [
        (
            '<tool_call>\n{"name": "F", "parameters": {"a": "1"}}\n</tool_call>',
            {"name": "F", "parameters": {"a": "1"}},
            True,
        ),
        (
            '<tool_call>\n{"name": "G", "parameters": {}}\n{"name": "F", "parameters": {"a": "1"}}\n</tool_call>',
            {"name": "F", "parameters": {"a": "1"}},
            True,
        ),  # any predicted call
        (
            '<tool_call>\n{"name": "F", "parameters": {"a": 1}}\n</tool_call>',
            {"name": "F", "parameters": {"a": "1"}},
            False,
        ),
        (
            '<tool_call>\n{"name": "F", "parameters": {"a": "1", "b": "2"}}\n</tool_call>',
            {"name": "F", "parameters": {"a": "1"}},
            False,
        ),
        ("<response> no call </response>", {"name": "F", "parameters": {}}, False),
    ],
)
def test_api_bank_rule(answer, gold, correct):
    assert is_correct(answer, [gold])[0] is correct


def test_api_bank_levels_on_real_data(shared_data, tmp_path):
    folder = shared_data / "toolrl"
    gold = {}
    for level in (1, 2, 3):
        for row in json.loads((folder / f"api_bank_level{level}.json").read_text()):
            answer = row["answer"] if isinstance(row["answer"], list) else [row["answer"]]
            gold[row["user"]] = answer[0]

    def script(prompt):  # right on every item whose dialogue mentions a digit, else a wrong call
        user = next(u for u in gold if u.strip() and u.strip() in prompt)
        call = gold[user] if re.search(r"\d", user) else {"name": "Nope", "parameters": {}}
        return f"<think> x </think>\n<tool_call>\n{json.dumps(call)}\n</tool_call>"

    summary = run_api_bank(model_of(script), tmp_path, folder, limit=20)
    levels = summary["levels"]
    assert [levels[f"level{n}"]["total"] for n in (1, 2, 3)] == [20, 20, 20]
    assert [levels[f"level{n}"]["size"] for n in (1, 2, 3)] == [399, 67, 131]
    assert 0 < summary["overall"]["accuracy"] < 1
    rows = [json.loads(x) for x in (tmp_path / "api_bank" / "items.jsonl").read_text().splitlines()]
    assert summary["overall"]["correct"] == sum(r["valid"] for r in rows) and len(rows) == 60


def _docs(shared_data, n):
    rows = json.loads((shared_data / "toolrl" / "bamboogle.json").read_text())[:n]
    docs = [{"title": r["Question"], "text": f"Answer: {r['Answer']}."} for r in rows]
    docs += [{"title": "Filler", "text": "Nothing relevant about rockets or mayors here."}] * 3
    return rows, docs


def search_then_answer(prompt):
    """Round 1: search the question; round 2: answer with what the first hit says."""
    if "</obs>" not in prompt:  # (ToolRL's system prompt itself mentions `<obs>`)
        question = prompt.split("<user> ", 1)[1].split("\n", 1)[0]
        return f"<think> search </think>\n<tool_call>\n{json.dumps({'name': 'Search', 'parameters': {'query': question}})}\n</tool_call>"
    found = re.search(r"Answer: (.+?)\.", prompt.rsplit("<obs> ", 1)[1])
    return (
        f"<think> found </think>\n<response> {found.group(1) if found else 'unknown'} </response>"
    )


def test_bamboogle_loop_with_local_bm25(shared_data, tmp_path):
    rows, docs = _docs(shared_data, 4)
    path = tmp_path / "docs.jsonl"
    path.write_text("\n".join(json.dumps(d) for d in docs))
    search = BM25Search.from_path(path, k=3)
    assert search.search(rows[1]["Question"])[0].title == rows[1]["Question"]
    summary = run_bamboogle(
        model_of(search_then_answer),
        tmp_path / "out",
        search,
        shared_data / "toolrl" / "bamboogle.json",
        limit=4,
    )
    assert summary["n"] == 4 and summary["size"] == 125
    assert summary["exact_match"] == 1.0 and summary["f1"] == 1.0 and summary["avg_searches"] == 1.0


def test_bamboogle_round_limit_and_bad_calls(shared_data, tmp_path):
    _, docs = _docs(shared_data, 2)
    always_search = (
        '<tool_call>\n{"name": "Search", "parameters": {"query": "rocket"}}\n</tool_call>'
    )
    backend_model = model_of(lambda p: always_search)
    summary = run_bamboogle(
        backend_model,
        tmp_path,
        BM25Search([SearchHit(d["title"], d["text"]) for d in docs]),
        shared_data / "toolrl" / "bamboogle.json",
        limit=2,
        max_rounds=3,
    )
    assert (
        summary["avg_searches"] == 3.0
        and summary["answered"] == 0.0
        and summary["exact_match"] == 0.0
    )


def test_bamboogle_http_search_and_llm_judge(shared_data, tmp_path, fake_server, monkeypatch):
    monkeypatch.setenv("TEST_SEARCH_KEY", "k-123")

    def route(path, body):
        if path == "/search":
            return 200, {
                "answerBox": {"answer": "james madison"},
                "organic": [{"title": "t", "snippet": f"s{i}"} for i in range(9)],
            }
        last = body["messages"][-1]["content"]
        return 200, chat_reply("Yes." if "Predicted answer: Madison" in last else "no")

    server = fake_server(route)
    search = HTTPSearch(server.url + "/search", api_key_env="TEST_SEARCH_KEY", k=5)
    hits = search.search("citibank")
    assert hits[0].snippet == "james madison" and len(hits) == 6
    judge = LLMJudge(server.url + "/v1", "judge")

    def script(prompt):
        if "</obs>" not in prompt:
            return '<tool_call>\n{"name": "Search", "parameters": {"query": "citibank founded"}}\n</tool_call>'
        return "<think> ok </think>\n<response> Madison </response>"

    summary = run_bamboogle(
        model_of(script),
        tmp_path,
        search,
        shared_data / "toolrl" / "bamboogle.json",
        limit=2,
        judge=judge,
    )
    assert summary["judge_accuracy"] == 1.0 and summary["exact_match"] == 0.0 and summary["f1"] > 0
    search_request = next(b for p, b in server.requests if p == "/search")
    assert search_request["_headers"]["x-api-key"] == "k-123" and search_request["num"] == 5


@pytest.mark.parametrize(
    ("answer", "final"),
    [
        ("<think> a </think>\n<response> B </response>", "B"),
        ("<think> a </think> plain", "plain"),
        ("just text", "just text"),
    ],
)
def test_final_answer(answer, final):
    assert final_answer(answer) == final


@pytest.mark.parametrize(
    ("pred", "gold", "em", "f"),
    [
        ("James Madison", "james madison", True, 1.0),
        ("Madison", "james madison", False, 2 / 3),
        ("", "x", False, 0.0),
    ],
)
def test_answer_metrics(pred, gold, em, f):
    assert exact_match(pred, gold) is em and f1(pred, gold) == pytest.approx(f)


def test_read_documents_names_bad_rows(tmp_path):
    bad = tmp_path / "d.jsonl"
    bad.write_text('{"title": "a", "text": "x"}\n{"title": "b"}\n')
    with pytest.raises(ValueError, match="row 2"):
        read_documents(bad)
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "Citibank.txt").write_text("Founded 1812.")
    assert read_documents(folder) == [SearchHit("Citibank", "Founded 1812.")]


def test_synthetic_scores_reference_answers_as_perfect(tmp_path):
    pytest.importorskip("toolzero.data.synthetic", reason="synthetic data generator not present")
    from toolzero.data.synthetic import generate_examples
    from toolzero.evaluation.synthetic import run_synthetic

    examples = generate_examples(6, 0, split="heldout")

    def script(prompt):
        example = next(e for e in examples if e.messages[-1].content in prompt)
        return example.reference_text()

    summary = run_synthetic(model_of(script), tmp_path / "good", n=6)
    assert (
        summary["exact_match"] == 1.0
        and summary["right_tools"] == 1.0
        and summary["format_valid"] == 1.0
    )
    garbage = run_synthetic(model_of(lambda p: "nonsense"), tmp_path / "bad", n=6)
    no_call_tasks = sum(not e.reference_calls for e in examples) / len(examples)
    assert garbage["exact_match"] == pytest.approx(no_call_tasks)  # no call is right only there
    assert garbage["reward_mean"] < summary["reward_mean"]


def test_synthetic_counts_invented_names_and_missing_required_parameters():
    """Over all calls made: the share naming a listed tool, and of those the share leaving
    out a parameter the tool requires (by the tool's JSON Schema `required`)."""
    from toolzero.evaluation.synthetic import score_answer, summarize_synthetic
    from toolzero.protocol.types import Example, Message, ToolCall, ToolSpec
    from toolzero.rewards import get_preset

    schema = {"type": "object", "properties": {"city": {"type": "string"},
              "days": {"type": "integer"}}, "required": ["city"]}  # fmt: skip
    task = Example(
        id="t",
        tools=(ToolSpec("get_forecast", "Forecast.", schema), ToolSpec("ping", "Ping.", {})),
        messages=(Message("user", "Forecast for Oslo."),),
        reference_calls=(ToolCall("get_forecast", {"city": "Oslo"}),),
    )

    def answer(*calls: str) -> str:
        return "<think> x </think>\n<tool_call>\n" + "\n".join(calls) + "\n</tool_call>"

    preset = get_preset("toolrl")
    right = '{"name": "get_forecast", "parameters": {"city": "Oslo"}}'
    no_city = '{"name": "get_forecast", "parameters": {"days": 2}}'
    ping = '{"name": "ping", "parameters": {}}'
    invented = '{"name": "get_weather", "parameters": {"city": "Oslo"}}'
    answers = [answer(right), answer(no_city, ping), answer(invented),
               "<think> x </think>\n<response> no </response>"]  # fmt: skip
    rows = [score_answer(task, a, preset) for a in answers]
    assert [(r["calls_made"], r["calls_listed"], r["calls_missing"]) for r in rows] == [
        (1, 1, 0), (2, 2, 1), (1, 0, 0), (0, 0, 0)
    ]
    summary = summarize_synthetic(rows, "toolrl")
    assert summary["calls_naming_listed_tools"] == pytest.approx(3 / 4)
    assert summary["calls_missing_required"] == pytest.approx(1 / 3)
    declined = summarize_synthetic(rows[3:], "toolrl")
    assert declined["calls_naming_listed_tools"] is None is declined["calls_missing_required"]


@pytest.mark.parametrize(
    ("answer", "declines"),
    [
        ("<think> No tool fits. </think>\n<response> Sorry. </response>", True),
        # cut off by the token limit inside the call: an attempt, not a refusal
        ('<think> x </think>\n<tool_call>\n{"name": "track_package", "parameters": {"tr', False),
        ('<think> x </think>\n<tool_call>\n{"name": "f", "parameters": {}}\n', False),
        ("<think> x </think>\n<tool_call>\nnot json\n</tool_call>", False),
        ("<think> x </think>\n<tool_call>\n</tool_call>", False),
    ],
)
def test_a_call_block_is_never_declining(answer, declines):
    """Declining means no call block at all: a truncated or unreadable call is a call."""
    from toolzero.evaluation.synthetic import score_answer
    from toolzero.protocol.types import Example, Message
    from toolzero.rewards import get_preset

    task = Example(id="t", tools=(), messages=(Message("user", "Tell me a joke."),))
    row = score_answer(task, answer, get_preset("toolrl"))
    assert row["right_tools"] is declines and row["exact_match"] is declines


@pytest.mark.parametrize("garbage", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_answers_are_wrong_never_a_crash(shared_data, tmp_path, bfcl, garbage):
    from toolzero.evaluation.bfcl.bench import run_bfcl

    model = model_of(lambda p: garbage)
    bfcl_summary = run_bfcl(
        model, tmp_path, ["simple_python", "parallel", "irrelevance", "multi_turn_base"], limit=1
    )
    cats = bfcl_summary["categories"]
    assert (
        cats["simple_python"]["correct"]
        == cats["parallel"]["correct"]
        == cats["multi_turn_base"]["correct"]
        == 0
    )
    api = run_api_bank(model, tmp_path, shared_data / "toolrl", levels=(1,), limit=1)
    assert api["overall"]["correct"] == 0
    search = BM25Search([SearchHit("a", "b")])
    bam = run_bamboogle(model, tmp_path, search, shared_data / "toolrl" / "bamboogle.json", limit=1)
    assert bam["exact_match"] == 0.0
    stored = (tmp_path / "bfcl" / "items.jsonl").read_text()
    assert len(stored) < 400_000  # enormous answers are clipped in the per-item file
