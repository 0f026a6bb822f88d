"""The Bamboogle benchmark: two-hop questions answered with a real `Search` tool.

- `bench`: the registered benchmark: questions, the search rounds, scores, summary;
- `search`: the `Search` tool's backends (local BM25 index, or a web search API);
- `judge`: answer judging (exact match, token F1, the optional LLM judge).

`judge` is Bamboogle's own: When2Call's judge asks a different question (which of four
categories an answer is) and keeps its prompt in `toolzero.evaluation.when2call.data`;
both reach the endpoint through `toolzero.evaluation.backends.openai`.
"""
