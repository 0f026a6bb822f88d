"""Search backends for Bamboogle's `Search` tool: a local BM25 index, or a web search API.

    backend.search(query) -> list[SearchHit]        # best first, at most `k`

- `BM25Search`: BM25 (`rank-bm25`) over a document collection the user points at: a JSONL
  file (`{"title", "text"}` or `{"contents"}` per line), a JSON list of the same, or a
  folder of `.txt`/`.md` files (title = file name). The offline default; no network.
- `HTTPSearch`: a web search API over HTTP. Speaks Serper's Google-search JSON (`answerBox`
  + `organic` results: ToolRL's "answer box + top-5 snippets") and a generic
  `{"results": [{"title", "snippet"}]}`; the key is read from an environment variable.

`format_hits` renders hits as the observation text the model reads.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from toolzero.user_files import BadInputError, json_document, json_line, read_text

_WORD = re.compile(r"\w+")


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


def read_documents(path: str | Path) -> list[SearchHit]:
    """Documents from a JSONL/JSON file or a folder of text files; bad rows are named."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in (".txt", ".md") and p.is_file())
        return [SearchHit(p.stem, p.read_text(encoding="utf-8", errors="replace")) for p in files]
    text = read_text(path, "--search-index")
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
        raise BadInputError(f"{path}: no documents; give a JSONL/JSON file or a folder of .txt")
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


class HTTPSearch:
    """A web search API: POST `{"q": query, "num": k}` with the key in a header; returns
    the answer box (if any) and the top `k` results."""

    def __init__(
        self,
        url: str,
        api_key_env: str = "SERPER_API_KEY",
        key_header: str = "X-API-KEY",
        k: int = 5,
        timeout: float = 30.0,
    ):
        self.url = url
        self.api_key = os.environ.get(api_key_env, "")
        self.key_header = key_header
        self.k = k
        self.timeout = timeout

    def search(self, query: str) -> list[SearchHit]:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers[self.key_header] = self.api_key
        body = json.dumps({"q": query, "num": self.k}).encode()
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                reply = json.loads(response.read().decode())
        except urllib.error.HTTPError as exc:
            raise RuntimeError(
                f"search API {self.url}: HTTP {exc.code}: {exc.read()[:200]!r}"
            ) from exc
        hits = parse_search_reply(reply)
        box = [h for h in hits[:1] if h.title == "Answer box"]
        return box + hits[len(box) :][: self.k]


def parse_search_reply(reply: dict[str, Any]) -> list[SearchHit]:
    """Hits from Serper-style (`answerBox`, `organic`) or generic (`results`) JSON.

    >>> parse_search_reply({"answerBox": {"answer": "1812"}, "organic": [{"title": "C", "snippet": "s"}]})
    [SearchHit(title='Answer box', snippet='1812'), SearchHit(title='C', snippet='s')]
    """
    hits = []
    box = reply.get("answerBox")
    if isinstance(box, dict):
        answer = box.get("answer") or box.get("snippet")
        if answer:
            hits.append(SearchHit("Answer box", str(answer)))
    for item in reply.get("organic") or reply.get("results") or []:
        if isinstance(item, dict):
            hits.append(
                SearchHit(
                    str(item.get("title", "")), str(item.get("snippet", item.get("text", "")))
                )
            )
    return hits
