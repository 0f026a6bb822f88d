"""Evaluation: BFCL (official data and checkers), API-Bank, Bamboogle, synthetic tasks,
Hammer's unfamiliar-tool suites, ACEBench and any dataset (`file:PATH`), all read from one
benchmark registry.

    from toolzero.evaluation import GenerationSettings, evaluate
    evaluate("gemma-3-270m", ["bfcl:simple_python"], "runs/eval", limit=10,
             settings=GenerationSettings(prefill="<think>"))

Layout: `settings` (how answers are generated) and `backends/` (HF / vLLM /
OpenAI-compatible generation, which weights `--model` names) → `generation` (prompting and
the batched dialogue loop) → one subpackage per benchmark with several modules (`bfcl/`,
`bamboogle/` with its search and judge, `hammer/`, `acebench/`, `when2call/`: each a `bench`
module, registered, beside its data and scoring) and one module per small one (`api_bank`,
`synthetic`, `file_bench`); the single-turn ones on `item_bench`, with `downloads` for their
files → `registry` (one record per benchmark) → `runner.evaluate` /
`runner.score_predictions` → `report` (each benchmark's part in `sections`).
Importing this package loads neither torch nor bfcl-eval; each is imported when first needed.
"""

from toolzero.evaluation.downloads import NotDownloadedError
from toolzero.evaluation.registry import BENCHMARK_NAMES, SCORABLE, BenchOptions, get_benchmark
from toolzero.evaluation.runner import evaluate, parse_benches, score_predictions
from toolzero.evaluation.settings import GenerationSettings

BENCHMARKS = BENCHMARK_NAMES

__all__ = [
    "BENCHMARKS",
    "BENCHMARK_NAMES",
    "SCORABLE",
    "BenchOptions",
    "GenerationSettings",
    "NotDownloadedError",
    "evaluate",
    "get_benchmark",
    "parse_benches",
    "score_predictions",
]
