"""`evaluate(model, benches, out_dir)`: the one entry point the CLI and the training code call.

    from toolzero.evaluation import GenerationSettings, evaluate
    settings = GenerationSettings(protocol="compact", prefill="<think>")
    summary = evaluate("gemma-3-270m", ["bfcl:simple_python"], "runs/eval-base", limit=20,
                       settings=settings)

Benchmarks (`benches`) are the registry's (`toolzero.evaluation.registry`): `bfcl` (all v3
categories) or `bfcl:<category or group>` (several such entries merge into one BFCL run),
`api_bank[:<level>]`, `bamboogle`, `synthetic`, `hammer[:<set>]`, `acebench[:<category>]`,
`when2call[:mcq]`.
How answers are generated is one `GenerationSettings`. The model: a (model, tokenizer) pair already in memory, a run folder or
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
from pathlib import Path
from typing import Any

from toolzero import __version__, run_folder
from toolzero.evaluation.backends import make_backend
from toolzero.evaluation.bfcl import official as bfcl_official
from toolzero.evaluation.generation import ModelUnderTest
from toolzero.evaluation.registry import REGISTRY, BenchOptions, RunContext, get_benchmark
from toolzero.evaluation.results import RunManifest
from toolzero.evaluation.settings import GenerationSettings
from toolzero.models import model_reference_problem
from toolzero.user_files import BadInputError, MissingInputError, writable_dir

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 8


def parse_benches(benches: list[str] | str) -> dict[str, list[str]]:
    """{benchmark: [sub-selections]}; a benchmark alone means all of it. After a
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
            if name not in REGISTRY and not colon and current is not None:
                out[current].append(token)
                continue
            get_benchmark(name)  # an unknown name: a UserError listing the known ones
            out.setdefault(name, [])
            if sub:
                out[name].append(sub)
            current = name if colon else None
    if not out:
        raise BadInputError("--bench: no benchmark given; e.g. --bench bfcl:simple_python")
    return out


def check_inputs(
    model: Any, selected: dict[str, list[str]], opts: BenchOptions, backend: str = "hf"
) -> None:
    """Raise a `UserError` for anything the user named that cannot work, before the model
    loads or the manifest is written: the backend, the model reference, and each selected
    benchmark's sub-selections and options (its registry record's check)."""
    check_backend(model, backend)
    if isinstance(model, str) and (problem := model_reference_problem(model)):
        raise MissingInputError(f"--model: {problem}")
    if isinstance(model, str) and Path(model).expanduser().is_dir():
        from toolzero.evaluation.backends.model_paths import resolve_checkpoint

        resolve_checkpoint(Path(model).expanduser())  # a folder without weights: raises
    for name, sub in selected.items():
        get_benchmark(name).check_inputs(sub, opts)


def _model_label(model: Any) -> str:
    if isinstance(model, str):
        return model
    inner = model[0] if isinstance(model, tuple) else model
    return str(getattr(inner, "name_or_path", "") or "in-memory model")


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


def evaluate(
    model: Any,
    benches: list[str] | str,
    out_dir: str | Path,
    limit: int | None = None,
    backend: str = "hf",
    settings: GenerationSettings | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    options: BenchOptions | None = None,
    served_model: str | None = None,
    api_key: str | None = None,
) -> dict[str, Any]:
    """Evaluate a model on benchmarks; write results to `out_dir`; return the summary.

    `settings` say how answers are generated (prompt protocol, prefill, decoding, stop
    strings; default `GenerationSettings()`). Rerunning into the same `out_dir` resumes
    (finished items are not redone); rerunning with other settings is refused. An
    in-memory model is known by its `name_or_path` only: after changing its weights
    (training), evaluate into a new folder.
    """
    settings = settings or GenerationSettings()
    opts = options or BenchOptions()
    selected = parse_benches(benches)
    if isinstance(model, str) and model.startswith(("http://", "https://")):
        backend = "openai"
    check_inputs(model, selected, opts, backend)
    if settings.bf16 and backend != "hf":
        raise BadInputError(
            f"--bf16: for the hf backend only; the {backend} backend chooses its own dtype "
            "(vLLM: bf16 on GPUs that have it); drop --bf16"
        )
    writable_dir(out_dir)
    out = Path(out_dir)
    manifest = RunManifest(model=_model_label(model), backend=backend, **settings.to_dict())
    manifest.check_or_write(out)
    engine, tokenizer = make_backend(
        model,
        backend,
        batch_size,
        progress=False,
        served_model=served_model,
        api_key=api_key,
        bf16=settings.bf16,
    )
    mut = ModelUnderTest(engine, tokenizer, settings)
    started = time.time()
    results: dict[str, Any] = {}
    for name, sub in selected.items():
        logger.info(
            "evaluating %s on %s", manifest.model, name + (f" ({', '.join(sub)})" if sub else "")
        )
        context = RunContext(mut, out, sub, limit, batch_size, opts)
        results[name] = get_benchmark(name).run_bench(context)
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


def score_predictions(
    bench: str,
    predictions: str | Path,
    out_dir: str | Path,
    options: BenchOptions | None = None,
) -> dict[str, Any]:
    """Score saved answers without a model (`toolzero eval score`); write the same
    `<bench>/items.jsonl`, `summary.json` and `report.md` a model run writes."""
    selected = parse_benches(bench)
    if len(selected) != 1:
        raise BadInputError("eval score: give one benchmark, e.g. --bench hammer:sealtool")
    ((name, sub),) = selected.items()
    opts = options or BenchOptions()
    record = get_benchmark(name)
    if record.score_predictions is None:
        record.score(predictions, sub, opts, Path(out_dir))  # raises: needs a model
    record.check_inputs(sub, opts)
    out = writable_dir(out_dir)
    result = record.score(predictions, sub, opts, out)
    summary = {
        "run": {"model": f"predictions {predictions}", "backend": "none (scored predictions)"},
        "benchmarks": {name: result},
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
