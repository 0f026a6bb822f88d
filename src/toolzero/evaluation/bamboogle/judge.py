"""Answer judging for open questions: exact match, token F1, and an optional LLM judge.

`exact_match` and `f1` use the usual normalisation of question-answering benchmarks
(lower case, no punctuation, no articles `a`/`an`/`the`, single spaces); they live in
`toolzero.environments.answers`, shared with the search environment. `LLMJudge` asks
any OpenAI-compatible chat endpoint whether a prediction and the gold answer mean the
same (ToolRL judges Bamboogle this way); a reply other than yes/no counts as "no" and is
kept in the item's row so a user can see it.
"""

from __future__ import annotations

from toolzero.environments.answers import exact_match, f1, normalize_answer
from toolzero.evaluation.backends.openai import OpenAIBackend

__all__ = ["JUDGE_PROMPT", "LLMJudge", "exact_match", "f1", "normalize_answer"]

JUDGE_PROMPT = (
    "Question: {question}\nGold answer: {gold}\nPredicted answer: {prediction}\n\n"
    "Is the predicted answer semantically the same as the gold answer? Answer with one "
    "word: yes or no."
)


class LLMJudge:
    """Yes/no semantic-equivalence judge through an OpenAI-compatible chat endpoint."""

    def __init__(self, base_url: str, model: str | None = None, api_key: str | None = None):
        self.client = OpenAIBackend(base_url, model, api_key=api_key, progress=False)

    def judge(
        self, questions: list[str], predictions: list[str], golds: list[str]
    ) -> list[tuple[bool, str]]:
        """(same?, the judge's raw reply) per item."""
        prompts = [
            JUDGE_PROMPT.format(question=q, gold=g, prediction=p)
            for q, p, g in zip(questions, predictions, golds, strict=True)
        ]
        replies = self.client.generate(prompts, max_new_tokens=8, temperature=0.0)
        return [(normalize_answer(r).startswith("yes"), r) for r in replies]
