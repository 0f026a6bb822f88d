"""The search environment: one `search` tool over a BM25 index; outcome = answer EM and F1.

    env = make_search()                          # the offline corpus of each task
    env = make_search(corpus="docs.jsonl", k=5)  # a user's collection (JSONL/JSON/folder)
    state = env.reset(task)
    env.step(state, [ToolCall("search", {"query": "Yara Yormar"})])
    env.outcome(state, "Istnor Pharmaceuticals") # Outcome(success=EM, score=F1, reason=...)

Which collection an episode searches:
- with `corpus` given, every episode searches that collection (read and indexed once, at
  `make_search`): a user's own tasks (`tasks.read_search_tasks`) carry no corpus;
- without it, the task's own `metadata["corpus"]` key rebuilds the offline corpus
  (`corpus.build_corpus`); indexes are cached, so episodes of one corpus share one index
  (the index is read-only).

Outcome: `success` is exact match with any gold answer and `score` is the best token F1
(both after SQuAD's normalisation, `toolzero.environments.answers`), so a near miss
("Istnor Pharmaceuticals company") scores partial credit while only the exact answer succeeds.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from toolzero.environments.answers import answer_problem, best_f1
from toolzero.environments.base import Environment, EpisodeState, Outcome, Tool
from toolzero.environments.search.corpus import build_corpus
from toolzero.environments.search.index import BM25Search, format_hits, read_documents
from toolzero.errors import UserError
from toolzero.protocol.types import Example, ToolSpec
from toolzero.user_files import BadInputError

SEARCH_SPEC = ToolSpec(
    "search",
    "Search the encyclopedia. Returns the best matching entries as numbered 'title: text' lines.",
    {
        "type": "object",
        "properties": {"query": {"type": "string", "description": "What to search for."}},
        "required": ["query"],
    },
)


class SearchEnvironment(Environment):
    """The `search` tool over `index` (a user's collection) or each task's offline corpus."""

    name = "search"

    def __init__(self, index: BM25Search | None = None, k: int = 3) -> None:
        self.index = index
        self.k = checked_k(k)
        super().__init__([Tool(SEARCH_SPEC, self._search)])

    def new_world(self, example: Example) -> BM25Search:
        """The index this episode searches (shared, read-only)."""
        if self.index is not None:
            return self.index
        key = example.metadata.get("corpus")
        if not isinstance(key, str):
            raise UserError(
                f"example {example.id}: metadata.corpus (the offline corpus key) is missing; "
                "make tasks with generate_search_tasks, or give your collection with "
                "make_search(corpus=PATH)"
            )
        return offline_index(key, self.k)

    def _search(self, state: EpisodeState, query: str) -> str:
        return format_hits(state.world.search(query))

    def outcome(self, state: EpisodeState, final_answer: str | None) -> Outcome:
        """Exact match with a gold answer (`success`) and the best token F1 (`score`)."""
        expected = (state.example.metadata.get("expected") or {}).get("answer")
        if expected is None:
            return Outcome.from_problems([], 0)
        problem = answer_problem(expected, final_answer)
        if expected.get("kind") == "qa":
            score = best_f1(final_answer, expected["values"])
        else:  # a user's task checked another way: all or nothing
            score = float(problem is None)
        return Outcome(problem is None, score, problem or "exact match with a gold answer")


def checked_k(k: int) -> int:
    """`k` (hits per search) if it is a positive integer; else a one-line `BadInputError`."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise BadInputError(f"search environment: k must be a positive integer, got {k!r}")
    return k


@lru_cache(maxsize=8)
def offline_index(key: str, k: int) -> BM25Search:
    """The BM25 index over the offline corpus `key`, returning `k` hits a search."""
    return BM25Search(build_corpus(key).documents(), k)


def make_search(corpus: str | Path | None = None, k: int = 3) -> SearchEnvironment:
    """The search environment over a user's `corpus` (a JSONL/JSON file of `{"title",
    "text"}` rows or a folder of .txt/.md files), or over each task's offline corpus."""
    if corpus is None:
        return SearchEnvironment(None, k)
    checked_k(k)  # before reading a large collection
    return SearchEnvironment(BM25Search(read_documents(corpus, "corpus"), k), k)
