"""The run folder: the names of its files, the metrics row, the status, checkpoints.

Training writes a run folder, evaluation finds models in it, reports read it and the
quickstart puts its evaluations in it; this module is the one place that names its files
and reads and writes the small ones. It imports nothing of toolzero (it sits at the
bottom of the package, so every layer may use it) and no torch.

A training run folder (`run.output_dir`):

    recipe.yaml              the resolved recipe (`toolzero train --resume DIR` needs nothing else)
    metrics.jsonl            one `MetricsRow` per logged step, appended as training runs
    eval_metrics.jsonl       TRL's evaluation logs, when the recipe has `data.eval`
    run.json                 the training status (`RunStatus`)
    checkpoints/checkpoint-N/  adapter or weights, optimizer, scheduler, RNG, step N
    final/                   the trained model (LoRA merged in), loadable by any HF loader
    report.md, plots/        `toolzero report` (the quickstart writes them too)
    eval-before/, eval-after/  the quickstart's two evaluations (evaluation output folders)
    eval-before-unfamiliar/, eval-after-unfamiliar/  its generalization view: the same on a
                             slice of one unfamiliar-tool suite (`evaluation.unfamiliar`)
    evaluation.json          the quickstart's {"before": summary, "after": summary,
                             "unfamiliar": {"bench", "limit", "before", "after"} or
                             {"bench", "limit", "skipped": why and how to enable it}}

An evaluation output folder (`toolzero eval --out DIR`, or `eval-before/` above):

    manifest.json            what produced the results: model, backend, decoding settings
    summary.json             the summary of every benchmark evaluated into the folder
    report.md                its tables
    <bench>/items.jsonl      one row per item (named by each benchmark)

The manifest was called `run.json` before, the same name as the training status; an
evaluation folder written then is still read (`read_manifest`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypedDict

logger = logging.getLogger(__name__)

RECIPE_FILE = "recipe.yaml"
METRICS_FILE = "metrics.jsonl"
EVAL_METRICS_FILE = "eval_metrics.jsonl"
SAMPLES_FILE = "samples.jsonl"  # training completions with their rewards (run.samples_steps)
STATUS_FILE = "run.json"
CHECKPOINTS_DIR = "checkpoints"
FINAL_DIR = "final"
ADAPTER_DIR = "adapter"  # distributed LoRA runs: the gathered adapter final/ is merged from
REPORT_FILE = "report.md"
PLOTS_DIR = "plots"
EVALUATION_FILE = "evaluation.json"
EVALUATION_DIRS = {"before": "eval-before", "after": "eval-after"}
UNFAMILIAR_SUFFIX = "-unfamiliar"
MANIFEST_FILE = "manifest.json"
OLD_MANIFEST_FILE = "run.json"
SUMMARY_FILE = "summary.json"

_CHECKPOINT = re.compile(r"checkpoint-(\d+)")

# The metrics row -------------------------------------------------------------------------

REWARD_PREFIX = "rewards/"  # rewards/<component> and rewards/total: batch means
SCHEDULE_PREFIX = "schedule/"  # schedule/<name>: a reward range or weight in force
TIMING_PREFIX = "timing/"  # timing/<name>: seconds spent in a part of the step

MetricsRow = TypedDict(
    "MetricsRow",
    {
        "step": int,  # optimizer steps done
        "epoch": float,
        "time_s": float,  # training time since the run started, resumes included
        "step_time_s": float,
        "tokens_per_s": float | None,  # None when no time passed between two logs
        "num_tokens": float,  # tokens seen so far (prompt + completion)
        "reward_std": float,
        "frac_reward_zero_std": float,  # groups whose completions all scored the same
        "kl": float,
        "entropy": float,
        "loss": float,
        "grad_norm": float,
        "learning_rate": float,
        "clip_ratio": float,
        "completion_length/mean": float,
        "completion_length/min": float,
        "completion_length/max": float,
        "clipped_ratio": float,  # completions cut at max_completion_length
    },
    total=False,
)
MetricsRow.__doc__ = """One line of `metrics.jsonl`: one logged training step.

Besides these keys, a row holds `rewards/<component>` and `rewards/total` (batch means of
each reward component and of their weighted sum), `schedule/<name>` (each reward range or
weight in force at that step, e.g. `schedule/format.high`) and `timing/<name>`. Every key
is optional but `step`: a row holds what TRL logged at that step.
"""


def is_metrics_key(key: str) -> bool:
    """Whether `key` belongs in a metrics row (a `MetricsRow` key or a prefixed one).

    >>> is_metrics_key("rewards/format"), is_metrics_key("kl"), is_metrics_key("reward")
    (True, True, False)
    """
    return key in MetricsRow.__annotations__ or key.startswith(
        (REWARD_PREFIX, SCHEDULE_PREFIX, TIMING_PREFIX)
    )


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a metrics file; a torn last line (a killed run) is skipped."""
    path = Path(path)
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def append_metrics_row(path: Path, row: dict[str, Any]) -> None:
    """Append one row and flush: a killed run keeps every step it logged."""
    append_rows(path, [row])


def append_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    """Append rows as JSON lines and flush."""
    with path.open("a", encoding="utf-8") as f:
        f.write("".join(json.dumps(row) + "\n" for row in rows))
        f.flush()


def truncate_metrics(run_dir: str | Path, last_step: int) -> int:
    """Keep only rows with step <= last_step (a resume restarts there), in the metrics and
    samples files. Returns the metrics rows kept."""
    for path in (metrics_path(run_dir), eval_metrics_path(run_dir), samples_path(run_dir)):
        if not path.exists():
            continue
        rows = [r for r in read_metrics(path) if r.get("step", 0) <= last_step]
        _replace(path, "".join(json.dumps(r) + "\n" for r in rows))
    return len(read_metrics(metrics_path(run_dir)))


# Paths -----------------------------------------------------------------------------------


def recipe_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / RECIPE_FILE


def metrics_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / METRICS_FILE


def eval_metrics_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / EVAL_METRICS_FILE


def samples_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / SAMPLES_FILE


def checkpoints_dir(run_dir: str | Path) -> Path:
    """Where the trainer saves `checkpoint-N/` folders (TRL's `output_dir`)."""
    return Path(run_dir) / CHECKPOINTS_DIR


def final_dir(run_dir: str | Path) -> Path:
    return Path(run_dir) / FINAL_DIR


def adapter_dir(run_dir: str | Path) -> Path:
    return Path(run_dir) / ADAPTER_DIR


def report_path(out_dir: str | Path) -> Path:
    return Path(out_dir) / REPORT_FILE


def plots_dir(out_dir: str | Path) -> Path:
    return Path(out_dir) / PLOTS_DIR


def holds_a_run(run_dir: str | Path) -> bool:
    """Whether training has started in this folder (rows logged or a checkpoint saved)."""
    return metrics_path(run_dir).exists() or checkpoints_dir(run_dir).exists()


# Status (run.json) -----------------------------------------------------------------------


class RunStatus(TypedDict, total=False):
    """`run.json` of a training run folder.

    Training writes `status`, `total_steps` and `resumed_from` when it starts, and
    `status`, `wall_s`, `cpu_s` and `peak_rss_mb` when it ends; times cover this training
    session (after a resume: since the resume). The quickstart adds its totals, the two
    evaluations included.
    """

    status: Literal["running", "finished"]
    total_steps: int
    resumed_from: str  # the checkpoint this session started from; "" for a fresh start
    # Per split ("train", "eval"): what `data.max_prompt_tokens` kept and dropped.
    prompts: dict[str, dict[str, Any]]
    wall_s: float
    cpu_s: float  # user + system time of all threads: unlike wall time, not slowed by load
    peak_rss_mb: float
    quickstart_wall_s: float
    quickstart_cpu_s: float
    quickstart_peak_rss_mb: float


def status_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / STATUS_FILE


def read_status(run_dir: str | Path) -> dict[str, Any]:
    """The run's status; empty when there is none yet (or it is not a JSON object)."""
    return _read_object(status_path(run_dir))


def update_status(run_dir: str | Path, **values: Any) -> dict[str, Any]:
    """Merge `values` into `run.json` (written whole, so a kill never tears it).

    A key `RunStatus` does not list is our bug: readers would never see it.
    """
    unknown = sorted(set(values) - set(RunStatus.__annotations__))
    if unknown:
        raise KeyError(f"not RunStatus keys: {unknown}; add them to RunStatus first")
    status = read_status(run_dir) | values
    _replace(status_path(run_dir), json.dumps(status, indent=2) + "\n")
    return status


# Checkpoints -----------------------------------------------------------------------------


def checkpoint_dirs(folder: str | Path) -> list[tuple[int, Path]]:
    """(N, path) of every `checkpoint-N/` in a run folder's `checkpoints/` or directly in
    `folder` (a TRL or transformers `output_dir`), highest N first."""
    found = []
    for parent in (checkpoints_dir(folder), Path(folder)):
        if parent.is_dir():
            for path in parent.iterdir():
                match = _CHECKPOINT.fullmatch(path.name)
                if match and path.is_dir():
                    found.append((int(match.group(1)), path))
    return sorted(found, reverse=True)


def is_complete_checkpoint(path: Path) -> bool:
    """Whether a checkpoint's `trainer_state.json` parses: the trainer writes it after the
    weights and optimizer, so a checkpoint torn by a kill lacks it or has it cut short."""
    try:
        json.loads((path / "trainer_state.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    return True


def latest_checkpoint(
    folder: str | Path, usable: Callable[[Path], bool] = is_complete_checkpoint
) -> Path | None:
    """The highest `checkpoint-N/` that `usable` accepts, or None; others are skipped
    with a warning (resuming needs a complete one, evaluating one with weights)."""
    for _, path in checkpoint_dirs(folder):
        if usable(path):
            return path
        logger.warning("skipping checkpoint %s: incomplete", path)
    return None


def checkpoint_step(path: Path) -> int:
    """The optimizer step a checkpoint was saved at (its `trainer_state.json`)."""
    state = json.loads((path / "trainer_state.json").read_text(encoding="utf-8"))
    return int(state["global_step"])


# The quickstart's evaluations ------------------------------------------------------------


def evaluation_dir(
    run_dir: str | Path, when: Literal["before", "after"], unfamiliar: bool = False
) -> Path:
    """The evaluation output folder of the quickstart's evaluation before or after training
    (`unfamiliar`: of its unfamiliar-tool suite)."""
    return Path(run_dir) / (EVALUATION_DIRS[when] + (UNFAMILIAR_SUFFIX if unfamiliar else ""))


def write_evaluation(
    run_dir: str | Path,
    before: dict[str, Any],
    after: dict[str, Any],
    unfamiliar: dict[str, Any] | None = None,
) -> Path:
    """`evaluation.json`: the two evaluation summaries side by side, for the report, and
    the unfamiliar-tool suite's (`{"bench", "limit", "before", "after"}`, or `"skipped"`
    with the reason in place of the summaries)."""
    path = Path(run_dir) / EVALUATION_FILE
    data = {"before": before, "after": after}
    if unfamiliar is not None:
        data["unfamiliar"] = unfamiliar
    _replace(path, json.dumps(data, indent=2, default=str) + "\n")
    return path


def read_evaluation(run_dir: str | Path) -> dict[str, Any]:
    """{"before": summary, "after": summary} (and "unfamiliar" when the quickstart had
    that view), or {} for a run without them."""
    return _read_object(Path(run_dir) / EVALUATION_FILE)


# Evaluation output folders ---------------------------------------------------------------


def manifest_path(out_dir: str | Path) -> Path:
    return Path(out_dir) / MANIFEST_FILE


def summary_path(out_dir: str | Path) -> Path:
    return Path(out_dir) / SUMMARY_FILE


def read_manifest(out_dir: str | Path) -> dict[str, Any] | None:
    """An evaluation folder's manifest, or None when it has none.

    A folder written before the rename has it as `run.json`; that file is taken only
    when it is a manifest (it names a backend), never a training run's status.
    """
    path = manifest_path(out_dir)
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    old = _read_object(Path(out_dir) / OLD_MANIFEST_FILE)
    return old if "backend" in old else None


def write_manifest(out_dir: str | Path, manifest: dict[str, Any]) -> Path:
    path = manifest_path(out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    _replace(path, json.dumps(manifest, indent=2) + "\n")
    return path


# Helpers ---------------------------------------------------------------------------------


def _read_object(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        logger.warning("%s is not valid JSON; ignoring it", path)
        return {}
    return data if isinstance(data, dict) else {}


def _replace(path: Path, text: str) -> None:
    """Write through a temporary file: readers see the old or the new text, never half."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
