"""When2Call's multiple-choice mode: which of the four candidate answers does the model find
most likely after the prompt?

Each candidate (the dataset's text, verbatim) is scored by its length-normalised
log-likelihood: the mean log-probability of its tokens given the rendered prompt (the
chat template with the item's tools, in the chosen protocol, without any prefill). The
prompt and the candidate are tokenised separately and joined, so every candidate is
conditioned on the same prompt tokens. The highest mean wins; accuracy under this choice
is the "normalised accuracy" of the summary. Needs the weights (the HF backend); a served
model through an API cannot be scored this way.
"""

from __future__ import annotations

from typing import Any

from toolzero.evaluation.when2call.data import CATEGORIES


def mean_logprob(model: Any, tokenizer: Any, prompt: str, continuation: str) -> float:
    """Mean log-probability of `continuation`'s tokens after `prompt` (one forward pass)."""
    import torch

    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(continuation, add_special_tokens=False)["input_ids"]
    if not prompt_ids:
        raise ValueError("mean_logprob needs a non-empty prompt")
    if not answer_ids:
        return float("-inf")
    ids = torch.tensor([prompt_ids + answer_ids], device=model.device)
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0].float()
    # the token at position i is predicted by the logits at position i - 1
    start = len(prompt_ids)
    logprobs = torch.log_softmax(logits[start - 1 : -1], dim=-1)
    picked = logprobs.gather(1, ids[0, start:].unsqueeze(1))
    return picked.mean().item()


def choose_answer(
    model: Any, tokenizer: Any, prompt: str, answers: dict[str, str]
) -> tuple[str, dict[str, float]]:
    """The category whose candidate has the highest mean token log-prob, and every score
    (ties go to the first in `CATEGORIES` order)."""
    scores = {
        cat: mean_logprob(model, tokenizer, prompt, answers[cat])
        for cat in CATEGORIES
        if cat in answers
    }
    return max(scores, key=lambda cat: scores[cat]), scores
