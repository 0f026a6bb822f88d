"""The search environment: a `search` tool over a BM25 index of a local corpus; the
outcome is the final answer's exact match and token F1 against the gold answers.

    from toolzero.environments.search import make_search, generate_search_tasks
    env = make_search()                               # or make_search(corpus="docs.jsonl", k=5)
    task = generate_search_tasks(1, seed=0, split="heldout")[0]
    state = env.reset(task)
    env.step(state, task.reference_calls)             # '1. Belkelholm: Belkelholm is a city in ...'
    env.outcome(state, task.reference_response)       # Outcome(success=True, score=1.0, ...)
    env.outcome(state, "Orvmaria, I think")           # success=False, score=0.5 (token F1)

`index.py` holds the BM25 index (also Bamboogle's offline backend), `corpus.py` the offline
corpus of fictional entities, `environment.py` the environment, `tasks.py` the questions.
"""

from toolzero.environments.search.corpus import build_corpus
from toolzero.environments.search.environment import SEARCH_SPEC, SearchEnvironment, make_search
from toolzero.environments.search.index import BM25Search, SearchHit, format_hits, read_documents
from toolzero.environments.search.tasks import generate_search_tasks, read_search_tasks

__all__ = [
    "SEARCH_SPEC",
    "BM25Search",
    "SearchEnvironment",
    "SearchHit",
    "build_corpus",
    "format_hits",
    "generate_search_tasks",
    "make_search",
    "read_documents",
    "read_search_tasks",
]
