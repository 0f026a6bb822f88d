"""The benchmark registry: one `Benchmark` record per benchmark, registered once.

Everything that used to be spelled out per benchmark reads its record: `evaluate` (which
benchmarks exist, what their sub-selections are, how to check the user's inputs before a
model loads, how to run them), `toolzero eval score` (which can score saved predictions and
how), the CLI's flags (each option a benchmark takes), the evaluation report (its section)
and `eval compare` (its headline metrics).

    from toolzero.evaluation.registry import get_benchmark, BENCHMARK_NAMES
    get_benchmark("hammer").subsets     # ('sealtool', 'toolalpaca', ...)

A record's functions are named as `"module:function"` and imported when first called, so
reading the registry loads neither torch nor bfcl-eval. Adding a benchmark is one
`register(Benchmark(...))` here plus its module (a subpackage, with a `bench` module for
the record to name, when it needs several).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolzero.errors import UserError
from toolzero.evaluation import sections
from toolzero.evaluation.acebench.data import ACEBENCH_CATEGORIES
from toolzero.lazy import resolve
from toolzero.user_files import BadInputError

if TYPE_CHECKING:
    from toolzero.evaluation.generation import ModelUnderTest


@dataclass
class BenchOptions:
    """Benchmark options that are not generation settings: data locations (and whether to
    download), search, judge, synthetic size. Each `Benchmark.options` names the fields it reads (the CLI shows a
    flag per field, see `OPTION_FLAGS` in `toolzero.cli.eval`)."""

    data_dirs: dict[str, str] = field(default_factory=dict)  # benchmark -> local data folder
    bamboogle_file: str | None = None
    search_index: str | None = None  # documents for the local BM25 index
    search_url: str | None = None  # a web search API (Serper-style JSON)
    search_key_env: str = "SERPER_API_KEY"
    search_k: int = 5
    bamboogle_rounds: int = 4
    judge_url: str | None = None  # an OpenAI-compatible endpoint for the LLM judge
    judge_model: str | None = None
    judge_key_env: str = "OPENAI_API_KEY"
    synthetic_n: int = 100
    synthetic_seed: int = 0
    env_max_turns: int = 4  # turns per episode of the `env` benchmark
    env_fit_tasks: bool = False  # only held-out tasks whose solution fits in env_max_turns
    reward_preset: str = "toolrl"
    # False: never fetch a file; read the local folder or toolzero's download cache only,
    # and raise `NotDownloadedError` for a file in neither (the quickstart: offline).
    download: bool = True

    def data_dir(self, bench: str) -> str | None:
        """The local data folder given for `bench`, if any."""
        return self.data_dirs.get(bench)


@dataclass
class RunContext:
    """What a benchmark's `run` gets: the model, where to write, what to run."""

    model: ModelUnderTest
    out: Path
    sub: list[str]
    limit: int | None
    batch_size: int
    options: BenchOptions


@dataclass(frozen=True)
class Benchmark:
    """One benchmark.

    - `subsets`: the sub-selections `name:sub` may name (empty: none, unless
      `open_subsets`: a vocabulary its `check` knows, such as BFCL's categories and groups);
    - `run(ctx) -> summary`: load items, generate, score, summarize; resumable from
      `<out>/<name>/items.jsonl`;
    - `check(sub, options)`: raise a `UserError` for inputs that cannot work, before any
      model loads;
    - `score_predictions(path, sub, options, out) -> summary`, or None when scoring needs
      a model or a live environment (Bamboogle searches);
    - `section(summary) -> markdown lines`; `headline(summary) -> {metric: value}`, names
      without the `<name>/` prefix; `unscaled` metrics are not fractions (shown as is);
    - `options`: the `BenchOptions` fields it reads; `data_dir`: it reads a local folder
      (`--data-dir`).
    """

    name: str
    title: str
    help: str
    run: str  # "module:function" taking a RunContext
    section: Callable[[dict[str, Any]], list[str]]
    headline: Callable[[dict[str, Any]], dict[str, float | None]]
    subsets: tuple[str, ...] = ()
    subset_word: str = "subset"
    open_subsets: bool = False
    check: str | None = None  # "module:function" taking (sub, options)
    score_predictions: str | None = None  # "module:function"
    options: tuple[str, ...] = ()
    data_dir: bool = False
    unscaled: tuple[str, ...] = ()

    def check_inputs(self, sub: list[str], options: BenchOptions) -> None:
        """Sub-selections and options, checked before anything loads."""
        if self.subsets:
            unknown = [s for s in sub if s not in self.subsets]
            if unknown:
                raise BadInputError(
                    f"--bench {self.name}:{','.join(unknown)}: {self.short_title} "
                    f"{self.subset_word}s are {', '.join(self.subsets)}"
                )
        elif sub and not self.open_subsets:
            raise BadInputError(
                f"--bench {self.name}:{','.join(sub)}: {self.name} takes no sub-selection"
            )
        if self.check:
            resolve(self.check)(sub, options)

    @property
    def short_title(self) -> str:
        return self.title.split(" (")[0]

    def run_bench(self, ctx: RunContext) -> dict[str, Any]:
        return resolve(self.run)(ctx)

    def score(
        self, predictions: str | Path, sub: list[str], options: BenchOptions, out: Path
    ) -> dict[str, Any]:
        if self.score_predictions is None:
            raise BadInputError(
                f"eval score: {self.name} cannot be scored without a model; choose one of "
                f"{', '.join(SCORABLE)}"
            )
        return resolve(self.score_predictions)(predictions, sub, options, out)


REGISTRY: dict[str, Benchmark] = {}


def register(bench: Benchmark) -> Benchmark:
    if bench.name in REGISTRY:
        raise ValueError(f"benchmark {bench.name!r} is registered twice")
    REGISTRY[bench.name] = bench
    return bench


def get_benchmark(name: str) -> Benchmark:
    try:
        return REGISTRY[name]
    except KeyError:
        raise UserError(
            f"--bench: unknown benchmark {name!r}; choose from {', '.join(REGISTRY)}"
        ) from None


_EVAL = "toolzero.evaluation"
register(Benchmark(
    name="bfcl",
    title="BFCL",
    help="bfcl[:category|group] (BFCL v3; official data and checkers)",
    run=f"{_EVAL}.bfcl.bench:run_from_context",
    check=f"{_EVAL}.bfcl.bench:check_categories",
    score_predictions=f"{_EVAL}.bfcl.bench:score_predictions_for_registry",
    section=sections.bfcl_section,
    headline=sections.bfcl_headline,
    subset_word="category",
    open_subsets=True,
))  # fmt: skip
register(Benchmark(
    name="api_bank",
    title="API-Bank",
    help="api_bank[:1,2,3] (levels; ToolRL's prompts and scoring)",
    run=f"{_EVAL}.api_bank:API_BANK.run",
    check=f"{_EVAL}.api_bank:check_api_bank",
    score_predictions=f"{_EVAL}.api_bank:API_BANK.score_predictions",
    section=sections.api_bank_section,
    headline=sections.api_bank_headline,
    subsets=("1", "2", "3"),
    subset_word="level",
    data_dir=True,
))  # fmt: skip
register(Benchmark(
    name="bamboogle",
    title="Bamboogle",
    help="bamboogle (multi-hop questions with a search tool)",
    run=f"{_EVAL}.bamboogle.bench:run_from_context",
    check=f"{_EVAL}.bamboogle.bench:check_bamboogle",
    section=sections.bamboogle_section,
    headline=sections.bamboogle_headline,
    options=(
        "bamboogle_file", "search_index", "search_url", "search_key_env",
        "judge_url", "judge_model", "judge_key_env",
    ),
    unscaled=("avg_searches",),
))  # fmt: skip
register(Benchmark(
    name="synthetic",
    title="Synthetic (held-out tools)",
    help="synthetic (held-out synthetic tool-use tasks)",
    run=f"{_EVAL}.synthetic:SYNTHETIC.run",
    check=f"{_EVAL}.synthetic:check_synthetic",
    score_predictions=f"{_EVAL}.synthetic:SYNTHETIC.score_predictions",
    section=sections.synthetic_section,
    headline=sections.synthetic_headline,
    options=("synthetic_n", "synthetic_seed", "reward_preset"),
    unscaled=("reward_mean",),
))  # fmt: skip
register(Benchmark(
    name="hammer",
    title="Hammer suites (unfamiliar tools)",
    help="hammer[:sealtool,toolalpaca,nexusraven,apibank_l1,apibank_l2]",
    run=f"{_EVAL}.hammer.bench:HAMMER.run",
    check=f"{_EVAL}.hammer.bench:check_hammer",
    score_predictions=f"{_EVAL}.hammer.bench:HAMMER.score_predictions",
    section=sections.hammer_section,
    headline=sections.hammer_headline,
    subsets=("sealtool", "toolalpaca", "nexusraven", "apibank_l1", "apibank_l2"),
    subset_word="set",
    data_dir=True,
))  # fmt: skip
register(Benchmark(
    name="acebench",
    title="ACEBench (English, normal and special categories; no agent categories)",
    help="acebench[:category] (normal_* and special_* categories)",
    run=f"{_EVAL}.acebench.bench:ACEBENCH.run",
    check=f"{_EVAL}.acebench.bench:check_acebench",
    score_predictions=f"{_EVAL}.acebench.bench:ACEBENCH.score_predictions",
    section=sections.acebench_section,
    headline=sections.acebench_headline,
    subsets=ACEBENCH_CATEGORIES,
    subset_word="category",
    data_dir=True,
))  # fmt: skip
register(Benchmark(
    name="file",
    title="Any dataset (file)",
    help="file:PATH (any data `toolzero data` loads, or a prepared folder; exact match, "
    "right tools, no-call correctness, reward preset)",
    run=f"{_EVAL}.file_bench:FILE.run",
    check=f"{_EVAL}.file_bench:check_file",
    score_predictions=f"{_EVAL}.file_bench:FILE.score_predictions",
    section=sections.file_section,
    headline=sections.file_headline,
    subset_word="data spec",
    open_subsets=True,
    options=("reward_preset",),
    unscaled=("reward_mean",),
))  # fmt: skip
register(Benchmark(
    name="when2call",
    title="When2Call (call, ask, decline or answer)",
    help="when2call[:mcq] (generation: answers classified by rules; mcq: log-likelihood)",
    run=f"{_EVAL}.when2call.bench:WHEN2CALL.run",
    check=f"{_EVAL}.when2call.bench:check_when2call",
    score_predictions=f"{_EVAL}.when2call.bench:WHEN2CALL.score_predictions",
    section=sections.when2call_section,
    headline=sections.when2call_headline,
    subsets=("mcq",),
    subset_word="mode",
    options=("judge_url", "judge_model", "judge_key_env"),
    data_dir=True,
))  # fmt: skip
register(Benchmark(
    name="env",
    title="Environment episodes",
    help="env:NAME (an environment's held-out tasks played as multi-turn episodes: "
    "synthetic_world, search, bfcl_api, python)",
    run=f"{_EVAL}.environment_bench:run_from_context",
    check=f"{_EVAL}.environment_bench:check_environment_bench",
    section=sections.environment_section,
    headline=sections.environment_headline,
    subset_word="environment",
    open_subsets=True,
    options=("synthetic_n", "synthetic_seed", "env_max_turns", "env_fit_tasks"),
    unscaled=("turns", "calls", "failed_calls"),
))  # fmt: skip

BENCHMARK_NAMES = tuple(REGISTRY)
SCORABLE = tuple(name for name, b in REGISTRY.items() if b.score_predictions)
