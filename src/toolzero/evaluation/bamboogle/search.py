"""Search backends for Bamboogle's `Search` tool: a local BM25 index, or a web search API.

    backend.search(query) -> list[SearchHit]        # best first, at most `k`

- `BM25Search`: BM25 over a document collection the user points at; it lives in
  `toolzero.environments.search.index` (the search environment uses it too) and is
  re-exported here with `SearchHit`, `read_documents` and `format_hits`.
- `HTTPSearch`: a web search API over HTTP. Speaks Serper's Google-search JSON (`answerBox`
  + `organic` results: ToolRL's "answer box + top-5 snippets") and a generic
  `{"results": [{"title", "snippet"}]}`; the key is read from an environment variable.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

from toolzero.environments.search.index import (
    BM25Search,
    SearchBackend,
    SearchHit,
    format_hits,
    read_documents,
)

__all__ = [
    "BM25Search",
    "HTTPSearch",
    "SearchBackend",
    "SearchHit",
    "format_hits",
    "parse_search_reply",
    "read_documents",
]


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
