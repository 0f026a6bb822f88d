"""Bamboogle: 125 two-hop questions answered with a real `Search` tool, up to 4 rounds.

Each question is a dialogue in ToolRL's protocol with one tool, `Search(query)`. At each
round the model may call `Search` (every call runs on the search backend and its hits come
back as a tool result) or answer in `<response>`; an answer ends the dialogue, and so
does the last round. An answer without tags (base models) is read as the text after
`</think>`, or the whole text. Scores: exact match and token F1 against the gold answer
(`judge.py`), `contains` (the normalised gold appears in the answer), the optional LLM
judge's accuracy, and the average number of searches per question.

Data: a JSON/JSONL file of `{"Question", "Answer"}` rows (`--bamboogle-file` or
`TOOLZERO_BAMBOOGLE_FILE`), else the Hub dataset `chiayewken/bamboogle` (Press et al.
2022; MIT).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolzero.evaluation.bamboogle.judge import LLMJudge, exact_match, f1, normalize_answer
from toolzero.evaluation.bamboogle.search import SearchBackend, format_hits
from toolzero.evaluation.generation import ModelUnderTest, run_dialogues
from toolzero.evaluation.registry import BenchOptions, RunContext
from toolzero.evaluation.results import ItemStore, clip_text
from toolzero.protocol.parser import parse_completion
from toolzero.protocol.types import Example, Message, ToolSpec
from toolzero.user_files import (
    BadInputError,
    MissingInputError,
    json_document,
    json_line,
    read_text,
    require_file,
)

HUB_ID = "chiayewken/bamboogle"
ENV_FILE = "TOOLZERO_BAMBOOGLE_FILE"
MAX_ROUNDS = 4
SEARCH_TOOL = ToolSpec(
    name="Search",
    description="Search the web. Returns the top results as numbered 'title: snippet' lines.",
    parameters={"query": {"type": "string", "description": "What to search for."}},
)
INSTRUCTION = "Use the Search tool to find what you need, then give only the short final answer in <response>."


def load_bamboogle(path: str | Path | None = None) -> list[dict[str, str]]:
    """Rows {id, question, answer}; from a file, or from the Hub for users."""
    path = path or os.environ.get(ENV_FILE)
    if path:
        text = read_text(path, "--bamboogle-file")
        rows = (
            json_document(text, path)
            if text.lstrip().startswith("[")
            else [json_line(x, path, n) for n, x in enumerate(text.splitlines(), 1) if x.strip()]
        )
    else:
        from datasets import load_dataset

        rows = list(load_dataset(HUB_ID, split="test"))
    items = []
    for i, row in enumerate(rows):
        if (
            not isinstance(row, dict)
            or not isinstance(row.get("Question"), str)
            or "Answer" not in row
        ):
            raise BadInputError(f"Bamboogle row {i}: needs 'Question' and 'Answer' fields")
        items.append(
            {"id": f"bamboogle-{i}", "question": row["Question"], "answer": str(row["Answer"])}
        )
    return items


def final_answer(answer: str) -> str | None:
    """The answer text of a round without calls: `<response>`, else plain text."""
    parsed = parse_completion(answer)
    if parsed.response is not None:
        return parsed.response
    if parsed.think is not None and parsed.think_closed:
        return parsed.trailing_text
    return parsed.text


@dataclass
class BamboogleDialogue:
    id: str
    question: str
    gold: str
    search: SearchBackend
    max_rounds: int = MAX_ROUNDS
    messages: list[Message] = field(default_factory=list)
    rounds: list[dict[str, Any]] = field(default_factory=list)
    searches: int = 0
    prediction: str | None = None
    done: bool = False

    def __post_init__(self) -> None:
        self.messages = [Message("user", f"{self.question}\n{INSTRUCTION}")]

    def next_example(self) -> Example | None:
        if self.done:
            return None
        return Example(
            id=self.id, tools=(SEARCH_TOOL,), messages=tuple(self.messages), source="bamboogle"
        )

    def advance(self, answer: str) -> None:
        parsed = parse_completion(answer)
        record: dict[str, Any] = {
            "completion": clip_text(answer, 4_000),
            "calls": [c.to_dict() for c in parsed.calls],
        }
        self.rounds.append(record)
        if parsed.response is not None or not parsed.calls:
            self.prediction, self.done = final_answer(answer) or "", True
            return
        observations = [self._run(c.name, c.arguments) for c in parsed.calls]
        record["observations"] = [clip_text(o, 4_000) for o in observations]
        self.messages.append(Message("assistant", tool_calls=parsed.calls, reasoning=parsed.think))
        self.messages.extend(Message("tool", o, name="Search") for o in observations)
        if len(self.rounds) >= self.max_rounds:
            self.prediction, self.done = "", True

    def _run(self, name: str, arguments: dict[str, Any]) -> str:
        query = arguments.get("query")
        if name != "Search" or not isinstance(query, str) or not query.strip():
            return "Error: the only tool is Search, called with a non-empty string 'query'."
        self.searches += 1
        return format_hits(self.search.search(query))


def score_dialogue(dialogue: BamboogleDialogue, judge: LLMJudge | None = None) -> dict[str, Any]:
    prediction = dialogue.prediction or ""
    row: dict[str, Any] = {
        "id": dialogue.id,
        "question": dialogue.question,
        "gold": dialogue.gold,
        "prediction": clip_text(prediction, 2_000),
        "answered": bool(prediction.strip()),
        "exact_match": exact_match(prediction, dialogue.gold),
        "f1": f1(prediction, dialogue.gold),
        "contains": bool(normalize_answer(dialogue.gold))
        and normalize_answer(dialogue.gold) in normalize_answer(prediction),
        "searches": dialogue.searches,
        "rounds": dialogue.rounds,
    }
    if judge is not None:
        ((same, reply),) = judge.judge([dialogue.question], [prediction], [dialogue.gold])
        row.update(judge=same, judge_reply=reply)
    row["valid"] = row["judge"] if judge is not None else row["exact_match"]
    return row


def summarize_bamboogle(rows: list[dict[str, Any]], size: int) -> dict[str, Any]:
    n = len(rows)

    def mean(key: str) -> float | None:
        values = [float(r[key]) for r in rows if key in r]
        return sum(values) / len(values) if values else None

    return {
        "n": n,
        "size": size,
        "complete": n == size,
        "exact_match": mean("exact_match"),
        "f1": mean("f1"),
        "contains": mean("contains"),
        "judge_accuracy": mean("judge"),
        "answered": mean("answered"),
        "avg_searches": mean("searches"),
    }


def run_bamboogle(
    model: ModelUnderTest,
    out_dir: str | Path,
    search: SearchBackend,
    data_file: str | Path | None = None,
    limit: int | None = None,
    batch_size: int = 8,
    judge: LLMJudge | None = None,
    max_rounds: int = MAX_ROUNDS,
) -> dict[str, Any]:
    items = load_bamboogle(data_file)
    size = len(items)
    items = items[:limit]
    store = ItemStore(Path(out_dir) / "bamboogle" / "items.jsonl")
    done = store.done_ids()
    pending = [
        BamboogleDialogue(i["id"], i["question"], i["answer"], search, max_rounds)
        for i in items
        if i["id"] not in done
    ]
    stats = run_dialogues(
        model,
        pending,
        lambda d: score_dialogue(d, judge),
        store,
        batch_size,
        len(pending),
        "bamboogle",
    )
    ids = {i["id"] for i in items}
    summary = summarize_bamboogle([r for r in store.load() if r["id"] in ids], size)
    summary.update(
        search=type(search).__name__,
        judge=judge is not None,
        max_rounds=max_rounds,
        limit=limit,
        items_file=str(store.path),
        timing=stats.to_dict(),
    )
    return summary


def run_from_context(ctx: RunContext) -> dict[str, Any]:
    """The registry's entry point."""
    opts = ctx.options
    return run_bamboogle(
        ctx.model,
        ctx.out,
        make_search(opts),
        opts.bamboogle_file,
        ctx.limit,
        ctx.batch_size,
        make_judge(opts),
        opts.bamboogle_rounds,
    )


def check_bamboogle(sub: list[str], opts: BenchOptions) -> None:
    """A search backend is given and its index exists; the data file, if given, exists."""
    if not (opts.search_url or opts.search_index):
        make_search(opts)  # raises, naming the two ways to give a search backend
    index = opts.search_index
    if index and not opts.search_url and not Path(index).expanduser().exists():
        raise MissingInputError(f"--search-index: no such file or folder: {index}")
    if opts.bamboogle_file:
        require_file(opts.bamboogle_file, "--bamboogle-file", "give Bamboogle as JSON or JSONL")


def make_search(opts: BenchOptions) -> SearchBackend:
    from toolzero.evaluation.bamboogle.search import BM25Search, HTTPSearch

    if opts.search_url:
        return HTTPSearch(opts.search_url, opts.search_key_env, k=opts.search_k)
    if opts.search_index:
        return BM25Search.from_path(opts.search_index, k=opts.search_k)
    raise BadInputError(
        "Bamboogle needs a search backend: --search-index DOCS (a local BM25 index over a "
        "JSONL/JSON file or a folder of .txt files) or --search-url URL (a web search API)"
    )


def make_judge(opts: BenchOptions) -> LLMJudge | None:
    if not opts.judge_url:
        return None
    return LLMJudge(opts.judge_url, opts.judge_model, api_key=os.environ.get(opts.judge_key_env))
