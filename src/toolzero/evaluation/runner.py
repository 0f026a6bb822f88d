"""`evaluate(model, benches, out_dir)`: the one entry point the CLI and the training code call.

    from toolzero.evaluation import evaluate
    summary = evaluate("gemma-3-270m", ["bfcl:simple_python"], "runs/eval-base", limit=20)

Benchmarks (`benches`): `bfcl` (all v3 categories) or `bfcl:<category or group>` (several
such entries merge into one BFCL run), `api_bank` or `api_bank:<level>`, `bamboogle`,
`synthetic`. The model: a (model, tokenizer) pair already in memory, a run folder or
checkpoint, a Hub id, a local path, `gemma-3-270m`, or the base URL of an
OpenAI-compatible server (`http...`, which selects the `openai` backend).

The output folder gets `manifest.json` (what produced it: resuming with other settings is
refused), `<bench>/items.jsonl` (every item's verdict, written as items finish, so a rerun
resumes), `summary.json`, `report.md` and `bfcl_categories.png`.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolzero import __version__, run_folder
from toolzero.evaluation import bfcl_official
from toolzero.evaluation.backends import make_backend
from toolzero.evaluation.generation import ModelUnderTest
from toolzero.evaluation.results import RunManifest
from toolzero.models import model_reference_problem
from toolzero.user_files import (
    BadInputError,
    MissingInputError,
    require_dir,
    require_file,
    writable_dir,
)

logger = logging.getLogger(__name__)

BENCHMARKS = ("bfcl", "api_bank", "bamboogle", "synthetic")
DEFAULT_MAX_NEW_TOKENS = 512
DEFAULT_BATCH_SIZE = 8


@dataclass
class BenchOptions:
    """Per-benchmark settings (data locations, search, judge, synthetic size)."""

    api_bank_dir: str | None = None
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
    reward_preset: str = "toolrl"


def parse_benches(benches: list[str] | str) -> dict[str, list[str]]:
    """{benchmark: [sub-selections]}; `bfcl` alone means every category. After a
    `name:sub`, a comma-separated word that is not a benchmark is one more sub-selection.

    >>> parse_benches(["bfcl:simple_python,irrelevance,api_bank", "bfcl:live"])
    {'bfcl': ['simple_python', 'irrelevance', 'live'], 'api_bank': []}
    """
    out: dict[str, list[str]] = {}
    for part in [benches] if isinstance(benches, str) else benches:
        current = None
        for token in (t.strip() for t in part.split(",") if t.strip()):
            name, colon, sub = token.partition(":")
            name = name.replace("-", "_")
            if name not in BENCHMARKS and not colon and current is not None:
                out[current].append(token)
                continue
            if name not in BENCHMARKS:
                raise BadInputError(
                    f"--bench: unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)} "
                    "(e.g. bfcl:simple_python)"
                )
            out.setdefault(name, [])
            if sub:
                out[name].append(sub)
            current = name if colon else None
    if not out:
        raise BadInputError("--bench: no benchmark given; e.g. --bench bfcl:simple_python")
    return out


def api_bank_levels(sub: list[str]) -> tuple[int, ...]:
    """`api_bank:1,3` -> (1, 3); none -> every level; anything else is a `BadInputError`."""
    from toolzero.evaluation.api_bank import LEVELS

    if not sub:
        return LEVELS
    if not all(s.isdigit() and int(s) in LEVELS for s in sub):
        raise BadInputError(
            f"--bench api_bank:{','.join(sub)}: API-Bank levels are {', '.join(map(str, LEVELS))}"
        )
    return tuple(int(s) for s in sub)


def check_inputs(
    model: Any, selected: dict[str, list[str]], opts: BenchOptions, backend: str = "hf"
) -> None:
    """Raise a `UserError` for anything the user named that cannot work, before the model
    loads or the manifest is written: the backend, the model reference, BFCL categories,
    API-Bank levels and folder, Bamboogle's search and file, the synthetic reward preset."""
    check_backend(model, backend)
    if isinstance(model, str) and (problem := model_reference_problem(model)):
        raise MissingInputError(f"--model: {problem}")
    if isinstance(model, str) and Path(model).expanduser().is_dir():
        from toolzero.evaluation.model_paths import resolve_checkpoint

        resolve_checkpoint(Path(model).expanduser())  # a folder without weights: raises
    if "bfcl" in selected:
        try:
            bfcl_official.resolve_categories(selected["bfcl"] or ["all"])
        except BadInputError as exc:
            raise BadInputError(f"--bench bfcl: {exc}") from None
    if "api_bank" in selected:
        from toolzero.evaluation.api_bank import api_bank_dir

        api_bank_levels(selected["api_bank"])
        require_dir(api_bank_dir(opts.api_bank_dir), "--api-bank-dir")
    if "bamboogle" in selected:
        if not (opts.search_url or opts.search_index):
            make_search(opts)  # raises, naming the two ways to give a search backend
        index = opts.search_index
        if index and not opts.search_url and not Path(index).expanduser().exists():
            raise MissingInputError(f"--search-index: no such file or folder: {index}")
        if opts.bamboogle_file:
            require_file(opts.bamboogle_file, "--bamboogle-file", "give Bamboogle as JSON or JSONL")
    if "synthetic" in selected:
        from toolzero.rewards import get_preset

        try:
            get_preset(opts.reward_preset)
        except ValueError as exc:
            raise BadInputError(f"--reward-preset: {exc}") from None


def _model_label(model: Any) -> str:
    if isinstance(model, str):
        return model
    inner = model[0] if isinstance(model, tuple) else model
    return str(getattr(inner, "name_or_path", "") or "in-memory model")


def _run_bench(
    name: str,
    sub: list[str],
    mut: ModelUnderTest,
    out: Path,
    limit: int | None,
    batch_size: int,
    opts: BenchOptions,
) -> dict[str, Any]:
    if name == "bfcl":
        from toolzero.evaluation.bfcl import run_bfcl

        return run_bfcl(mut, out, sub or ["all"], limit, batch_size)
    if name == "api_bank":
        from toolzero.evaluation.api_bank import run_api_bank

        return run_api_bank(mut, out, opts.api_bank_dir, api_bank_levels(sub), limit, batch_size)
    if name == "bamboogle":
        from toolzero.evaluation.bamboogle import run_bamboogle

        return run_bamboogle(
            mut,
            out,
            make_search(opts),
            opts.bamboogle_file,
            limit,
            batch_size,
            make_judge(opts),
            opts.bamboogle_rounds,
        )
    from toolzero.evaluation.synthetic import run_synthetic

    n = limit if limit is not None else opts.synthetic_n
    return run_synthetic(mut, out, n, opts.synthetic_seed, opts.reward_preset, batch_size)


def check_backend(model: Any, backend: str) -> None:
    """The backend can serve this model here: vLLM installed, a URL for `openai`."""
    import importlib.util

    if backend == "vllm" and importlib.util.find_spec("vllm") is None:
        raise BadInputError(
            "--backend vllm: vLLM is not installed; pip install 'toolzero[vllm]' on a GPU "
            "machine, or use --backend hf"
        )
    if backend == "openai" and not (isinstance(model, str) and model.startswith("http")):
        raise BadInputError(
            f"--backend openai: --model must be the server's base URL "
            f"(e.g. http://localhost:8000/v1), got {model!r}"
        )


def make_search(opts: BenchOptions) -> Any:
    from toolzero.evaluation.search import BM25Search, HTTPSearch

    if opts.search_url:
        return HTTPSearch(opts.search_url, opts.search_key_env, k=opts.search_k)
    if opts.search_index:
        return BM25Search.from_path(opts.search_index, k=opts.search_k)
    raise BadInputError(
        "Bamboogle needs a search backend: --search-index DOCS (a local BM25 index over a "
        "JSONL/JSON file or a folder of .txt files) or --search-url URL (a web search API)"
    )


def make_judge(opts: BenchOptions) -> Any:
    import os

    from toolzero.evaluation.judge import LLMJudge

    if not opts.judge_url:
        return None
    return LLMJudge(opts.judge_url, opts.judge_model, api_key=os.environ.get(opts.judge_key_env))


def evaluate(
    model: Any,
    benches: list[str] | str,
    out_dir: str | Path,
    limit: int | None = None,
    backend: str = "hf",
    protocol: str = "toolrl",
    prefill: str = "",
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    temperature: float = 0.0,
    stop: list[str] | None = None,
    keep_stop: bool = False,
    options: BenchOptions | None = None,
    served_model: str | None = None,
    api_key: str | None = None,
) -> dict[str, Any]:
    """Evaluate a model on benchmarks; write results to `out_dir`; return the summary.

    Rerunning into the same `out_dir` resumes (finished items are not redone). An
    in-memory model is known by its `name_or_path` only: after changing its weights
    (training), evaluate into a new folder. `stop` strings end each answer, removed from it
    (OpenAI's semantics) or, with `keep_stop`, kept: a protocol's closing tag such as
    `</tool_call>` is part of the answer, as in training with `model.stop_strings`.
    """
    opts = options or BenchOptions()
    selected = parse_benches(benches)
    if isinstance(model, str) and model.startswith(("http://", "https://")):
        backend = "openai"
    check_inputs(model, selected, opts, backend)
    writable_dir(out_dir)
    out = Path(out_dir)
    manifest = RunManifest(
        model=_model_label(model),
        backend=backend,
        protocol=protocol,
        prefill=prefill,
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        stop=list(stop or []),
        keep_stop=keep_stop,
    )
    manifest.check_or_write(out)
    engine, tokenizer = make_backend(
        model, backend, batch_size, progress=False, served_model=served_model, api_key=api_key
    )
    mut = ModelUnderTest(
        engine,
        tokenizer,
        protocol,
        prefill,
        max_new_tokens,
        temperature,
        list(stop or []),
        keep_stop=keep_stop,
    )
    started = time.time()
    results: dict[str, Any] = {}
    for name, sub in selected.items():
        logger.info(
            "evaluating %s on %s", manifest.model, name + (f" ({', '.join(sub)})" if sub else "")
        )
        results[name] = _run_bench(name, sub, mut, out, limit, batch_size, opts)
    summary = {
        "run": {
            **manifest.to_dict(),
            "limit": limit,
            "batch_size": batch_size,
            "toolzero": __version__,
            "bfcl_eval": bfcl_official.installed_version(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
            "seconds": round(time.time() - started, 1),
        },
        "benchmarks": {**_earlier_benchmarks(out), **results},
    }
    write_outputs(summary, out)
    return summary


def _earlier_benchmarks(out: Path) -> dict[str, Any]:
    """Benchmarks an earlier call wrote to the same folder (same run, checked by the manifest)."""
    path = run_folder.summary_path(out)
    if not path.is_file():
        return {}
    return dict(json.loads(path.read_text(encoding="utf-8")).get("benchmarks") or {})


def write_outputs(summary: dict[str, Any], out: Path) -> None:
    from toolzero.evaluation.report import write_report

    out.mkdir(parents=True, exist_ok=True)
    run_folder.summary_path(out).write_text(
        json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8"
    )
    write_report(summary, out)
