"""The search environment: the index finds facts, every generated task is solved by its
reference searches, EM / F1 follow their definitions, splits are disjoint, a user's own
corpus and questions work, bad input is one clear line."""

from __future__ import annotations

import json

import pytest

from toolzero.environments.answers import exact_match, f1, normalize_answer
from toolzero.environments.search import (
    SEARCH_SPEC,
    BM25Search,
    SearchEnvironment,
    SearchHit,
    build_corpus,
    generate_search_tasks,
    make_search,
    read_search_tasks,
)
from toolzero.environments.search.tasks import FAMILIES, qa_expected
from toolzero.errors import UserError
from toolzero.protocol.types import Example, Message, ToolCall

SPLITS = ("train", "heldout")


def play(env: SearchEnvironment, task: Example):
    """Run the task's reference trajectory; return the state and every observation."""
    state = env.reset(task)
    observations = []
    for turn in task.metadata["trajectory"]:
        observations += env.step(state, [ToolCall.from_dict(c) for c in turn])
    return state, observations


def question(golds: list[str], corpus: str | None = "synthetic:0") -> Example:
    metadata = {"expected": qa_expected(golds), **({"corpus": corpus} if corpus else {})}
    return Example("q", (SEARCH_SPEC,), (Message("user", "?"),),
                   metadata=metadata)  # fmt: skip


@pytest.fixture(scope="module")
def tasks() -> dict[str, list[Example]]:
    return {split: generate_search_tasks(80, seed=3, split=split) for split in SPLITS}


def test_index_finds_the_document_that_holds_a_fact() -> None:
    docs = [
        SearchHit("Citibank", "Citibank was founded in 1812 in New York."),
        SearchHit("Bank of Oslo", "A bank in Norway, founded in 1848."),
        SearchHit("Lisbon", "The capital of Portugal, on the Tagus."),
    ]
    hits = BM25Search(docs, k=2).search("When was Citibank founded?")
    assert hits[0].title == "Citibank" and len(hits) == 2
    assert BM25Search(docs).search("Tagus river")[0].title == "Lisbon"
    assert BM25Search(docs).search("zzz unrelated") == []


def test_every_entity_is_found_by_its_name() -> None:
    corpus = build_corpus("synthetic:3")
    index = BM25Search(corpus.documents(), k=1)
    for split in SPLITS:
        for name, person in corpus.splits[split].people.items():
            (hit,) = index.search(name)
            assert hit.title == name and person.birthplace in hit.snippet, name
        for name in [*corpus.splits[split].companies, *corpus.splits[split].cities]:
            assert index.search(name)[0].title == name


@pytest.mark.parametrize("split", SPLITS)
def test_every_task_is_solved_by_its_reference_trajectory(tasks, split: str) -> None:
    env = make_search()
    for task in tasks[split]:
        state, observations = play(env, task)
        assert not any(o.error for o in observations), (task.id, observations)
        seen = "\n".join(o.content for o in observations)
        assert all(g in seen for g in task.metadata["expected"]["answer"]["values"]), task.id
        if task.metadata["hops"] == 2:  # the second query is read from the first result
            second = task.metadata["trajectory"][1][0]["arguments"]["query"]
            assert second in observations[0].content and second not in task.messages[0].content
        verdict = env.outcome(state, task.reference_response)
        assert verdict.success and verdict.score == 1.0, (task.id, verdict)
        assert task.reference_calls == tuple(
            ToolCall.from_dict(c) for c in task.metadata["trajectory"][0]
        )


@pytest.mark.parametrize("split", SPLITS)
def test_every_family_appears_and_hops_match(tasks, split: str) -> None:
    seen = {t.metadata["family"] for t in tasks[split]}
    assert seen == set(FAMILIES[1]) | set(FAMILIES[2])
    for task in tasks[split]:
        assert len(task.metadata["trajectory"]) == task.metadata["hops"]


@pytest.mark.parametrize("split", SPLITS)
def test_wrong_and_missing_answers_fail(tasks, split: str) -> None:
    env = make_search()
    for task in tasks[split][:20]:
        state, _ = play(env, task)
        for answer in ("I could not find out.", None, ""):
            verdict = env.outcome(state, answer)
            assert not verdict.success and verdict.score == 0.0, (task.id, answer)


@pytest.mark.parametrize(
    ("answer", "success", "score"),
    [
        ("Veltrix Dynamics", True, 1.0),
        ("the Veltrix.", True, 1.0),  # the alias, after normalisation
        # vs "Veltrix Dynamics": P = 2/3, R = 1 -> 0.8; vs "Veltrix": P = 1/3, R = 1 -> 0.5
        ("Veltrix Dynamics company", False, 0.8),
        ("Dynamics", False, 2 / 3),  # vs "Veltrix Dynamics": P = 1, R = 1/2
        ("Orvmaria", False, 0.0),
    ],
)
def test_outcome_is_exact_match_and_best_f1(answer: str, success: bool, score: float) -> None:
    env = make_search()
    verdict = env.outcome(env.reset(question(["Veltrix Dynamics", "Veltrix"])), answer)
    assert verdict.success is success and verdict.score == pytest.approx(score)
    assert ("exact match" in verdict.reason) is success


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("The  Thalmar River!", "thalmar river"),
        ("an Apple, a pear", "apple pear"),
        ("1,310,000", "1310000"),
        ("Theodore Anand", "theodore anand"),  # articles only as whole words
        ("Thalmar-River", "thalmarriver"),  # punctuation is removed, not spaced
    ],
)
def test_normalisation(text: str, normal: str) -> None:
    assert normalize_answer(text) == normal


@pytest.mark.parametrize(
    ("prediction", "gold", "em", "f"),
    [
        ("Orvmaria", "orvmaria.", True, 1.0),
        ("born in Orvmaria", "Orvmaria", False, 0.5),  # P = 1/3, R = 1
        ("x y", "y z", False, 0.5),  # P = R = 1/2
        ("y y", "y", False, 2 / 3),  # counts clip: common 1, P = 1/2, R = 1
        ("", "x", False, 0.0),
    ],
)
def test_exact_match_and_f1(prediction: str, gold: str, em: bool, f: float) -> None:
    assert exact_match(prediction, gold) is em and f1(prediction, gold) == pytest.approx(f)


def test_splits_share_no_entity(tasks) -> None:
    corpus = build_corpus("synthetic:3")
    assert not corpus.splits["train"].names() & corpus.splits["heldout"].names()

    def queries(split: str) -> set[str]:
        return {c["arguments"]["query"] for t in tasks[split]
                for turn in t.metadata["trajectory"] for c in turn}  # fmt: skip

    assert queries("train") <= corpus.splits["train"].names()
    assert queries("heldout") <= corpus.splits["heldout"].names()


def test_same_seed_same_tasks_and_corpus() -> None:
    first = [t.to_dict() for t in generate_search_tasks(10, seed=5, split="heldout")]
    again = [t.to_dict() for t in generate_search_tasks(12, seed=5, split="heldout")[:10]]
    other = [t.to_dict() for t in generate_search_tasks(10, seed=6, split="heldout")]
    assert first == again and first != other
    assert all(t["metadata"]["corpus"] == "synthetic:5" for t in first)
    key = "synthetic:5"
    assert build_corpus(key).documents() == build_corpus.__wrapped__(key).documents()
    assert build_corpus(key).documents() != build_corpus("synthetic:6").documents()


def test_k_limits_the_hits() -> None:
    task = generate_search_tasks(1, seed=0)[0]
    for k in (1, 3):
        env = make_search(k=k)
        (observation,) = env.step(env.reset(task), task.reference_calls)
        assert len(observation.content.splitlines()) == k


def test_a_malformed_search_is_an_error_observation() -> None:
    task = generate_search_tasks(1, seed=0)[0]
    env = make_search()
    (observation,) = env.step(env.reset(task), [ToolCall("search", {})])
    assert observation.error and observation.content.startswith("error: ")


@pytest.mark.parametrize("make", ["missing", "empty_folder", "bad_k"])
def test_bad_input_is_one_clear_line(tmp_path, make: str) -> None:
    if make == "missing":
        call, words = (lambda: make_search(corpus=tmp_path / "no.jsonl")), ["corpus", "give a"]
    elif make == "empty_folder":
        call, words = (lambda: make_search(corpus=tmp_path)), ["corpus", ".txt/.md"]
    else:
        call, words = (lambda: make_search(k=0)), ["k must be a positive integer"]
    with pytest.raises(UserError) as error:
        call()
    assert "\n" not in str(error.value) and all(w in str(error.value) for w in words)


def test_a_users_corpus_and_questions(tmp_path) -> None:
    docs = tmp_path / "docs.jsonl"
    rows = [
        {"title": "Marie Curie", "text": "Marie Curie was born in Warsaw in 1867."},
        {"title": "Warsaw", "text": "Warsaw is the capital of Poland."},
        {"title": "Lisbon", "text": "Lisbon is the capital of Portugal."},
    ]
    docs.write_text("".join(json.dumps(r) + "\n" for r in rows))
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        json.dumps({"question": "Where was Marie Curie born?", "answers": ["Warsaw"]}) + "\n"
        + json.dumps({"id": "pt", "question": "Capital of Portugal?", "answer": "Lisbon"}) + "\n"
    )  # fmt: skip
    first, second = read_search_tasks(questions)
    assert (first.id, second.id) == ("search-user-1", "pt")
    env = make_search(corpus=docs, k=1)
    state = env.reset(first)
    (observation,) = env.step(state, [ToolCall("search", {"query": "Marie Curie birthplace"})])
    assert observation.content == "1. Marie Curie: Marie Curie was born in Warsaw in 1867."
    assert env.outcome(state, "Warsaw").success
    assert not env.outcome(env.reset(second), "Warsaw").success
    with pytest.raises(UserError, match=r"metadata\.corpus"):
        make_search().reset(first)  # no corpus given, and a user's task carries none


def test_bad_question_rows_are_named(tmp_path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "a?", "answers": ["b"]}\n{"question": "c?", "answers": []}\n')
    with pytest.raises(UserError, match="row 2: needs a 'question' and 'answers'"):
        read_search_tasks(path)
