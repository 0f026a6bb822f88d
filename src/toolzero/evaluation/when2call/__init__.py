"""When2Call: does the model know when to call a tool, ask, decline, or just answer?

- `data`: the four categories, the rows read into items, the rules (and the judge's
  prompt) that classify an answer, and the metrics (accuracy, macro F1, tool
  hallucination);
- `mcq`: the multiple-choice mode's choice by length-normalised log-likelihood (HF only);
- `bench`: the registered benchmark, generation mode and `when2call:mcq`.
"""
