"""A local BM25 index over a document collection: the `search` environment's tool and
Bamboogle's offline `Search` backend.

    index = BM25Search.from_path("docs.jsonl", k=3)
    index.search(query) -> list[SearchHit]           # best first, at most `k`

- `read_documents`: a JSONL file (`{"title", "text"}` or `{"contents"}` per line), a JSON
  list of the same, or a folder of `.txt`/`.md` files (title = file name);
- `BM25Search`: BM25 (`rank-bm25`) over those documents, built once in memory; no network;
- `format_hits`: hits as the observation text the model reads.

Web search over HTTP stays with the benchmark that uses it (`toolzero.evaluation.bamboogle.
search`): environments run offline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from toolzero.user_files import BadInputError, json_document, json_line, read_text

_WORD = re.compile(r"\w+")
_GIVE = "give a JSONL/JSON file of {title, text} rows or a folder of .txt/.md files"


@dataclass(frozen=True)
class SearchHit:
    title: str
    snippet: str


class SearchBackend(Protocol):
    def search(self, query: str) -> list[SearchHit]: ...


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens.

    >>> tokenize("Who founded Citibank, in 1812?")
    ['who', 'founded', 'citibank', 'in', '1812']
    """
    return _WORD.findall(text.lower())


def format_hits(hits: list[SearchHit], max_chars: int = 400) -> str:
    """The observation for a search: numbered `title: snippet` lines.

    >>> format_hits([SearchHit("Citibank", "Founded in 1812 in New York.")])
    '1. Citibank: Founded in 1812 in New York.'
    """
    if not hits:
        return "No results."
    return "\n".join(
        f"{i}. {h.title}: {h.snippet[:max_chars]}" for i, h in enumerate(hits, start=1)
    )


def read_documents(path: str | Path, what: str = "--search-index") -> list[SearchHit]:
    """Documents from a JSONL/JSON file or a folder of text files; bad rows are named.

    `what` names the option the path came from in errors ("--search-index", "corpus")."""
    path = Path(path).expanduser()
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in (".txt", ".md") and p.is_file())
        if not files:
            raise BadInputError(f"{what}: no .txt or .md files in the folder {path}; {_GIVE}")
        return [SearchHit(p.stem, p.read_text(encoding="utf-8", errors="replace")) for p in files]
    text = read_text(path, what, _GIVE)
    if path.suffix == ".json":
        rows = json_document(text, path)
        numbered = list(enumerate(rows, start=1))
    else:
        numbered = [
            (n, json_line(line, path, n))
            for n, line in enumerate(text.splitlines(), start=1)
            if line.strip()
        ]
    docs = []
    for n, row in numbered:
        body = (
            row.get("text", row.get("contents", row.get("snippet")))
            if isinstance(row, dict)
            else None
        )
        if not isinstance(body, str):
            raise BadInputError(f"{path} row {n}: needs a 'text' (or 'contents') string field")
        docs.append(SearchHit(str(row.get("title", "")), body))
    if not docs:
        raise BadInputError(f"{what}: no documents in {path}; {_GIVE}")
    return docs


class BM25Search:
    """BM25 over an in-memory collection (built once, at construction)."""

    def __init__(self, documents: list[SearchHit], k: int = 5):
        from rank_bm25 import BM25Okapi

        if not documents:
            raise ValueError("BM25Search needs at least one document")
        self.documents = documents
        self.k = k
        self.index = BM25Okapi([tokenize(d.title + " " + d.snippet) or ["_"] for d in documents])

    @classmethod
    def from_path(cls, path: str | Path, k: int = 5) -> BM25Search:
        return cls(read_documents(path), k)

    def search(self, query: str) -> list[SearchHit]:
        terms = tokenize(query)
        if not terms:
            return []
        scores = self.index.get_scores(terms)
        best = sorted(range(len(scores)), key=lambda i: -scores[i])[: self.k]
        return [self.documents[i] for i in best if scores[i] > 0]
