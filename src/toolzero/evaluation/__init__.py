"""Evaluation: BFCL (official data and checkers), API-Bank, Bamboogle, synthetic tasks.

    from toolzero.evaluation import evaluate
    evaluate("gemma-3-270m", ["bfcl:simple_python"], "runs/eval", limit=10)

Layout: `backends` (HF / vLLM / OpenAI-compatible generation) → `generation` (prompting and
the batched dialogue loop) → one module per benchmark (`bfcl*`, `api_bank`, `bamboogle`
with `search` and `judge`, `synthetic`) → `runner.evaluate` → `report`. Importing this
package loads neither torch nor bfcl-eval; each is imported when first needed.
"""

from toolzero.evaluation.runner import BENCHMARKS, BenchOptions, evaluate, parse_benches

__all__ = ["BENCHMARKS", "BenchOptions", "evaluate", "parse_benches"]
