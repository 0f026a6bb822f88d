"""The device check: does the GPU path work on this machine? One GPU, offline, minutes.

    python -m toolzero.gpu_check --out runs/gpu-check          # on a GPU machine
    python -m toolzero.gpu_check --cpu --out /tmp/gpu-check    # the same pipeline, tiny, on CPU

Steps, each reported PASS / FAIL / SKIP with wall time, step time, tokens/s and peak GPU
memory (nvidia-smi, sampled twice a second):

1. `build`: a random-init Qwen2-shaped model (Qwen2.5-0.5B's layer shapes, the tiny
   byte-level tokenizer of `toolzero.tiny_model`), written locally: no Hub.
2. `hf-bf16`: `toolzero train`, a few GRPO steps in bf16 with HF generation; `final/` checked.
3. `fsdp`: the same under `accelerate launch` with FSDP, one process; `final/` checked.
4. `zero3`: the same with DeepSpeed ZeRO-3, one process; `final/` checked (skipped without
   deepspeed).
5. `vllm-colocate`: the same with vLLM generation in colocate mode (skipped without vllm).
6. `eval-vllm`: `toolzero eval --backend vllm` on step 2's `final/` (skipped without vllm).

`final/` is checked with `toolzero.training.final_check` (every tensor non-empty, every
indexed shard present, loads without missing weights). `--cpu` runs steps 1-2 with a tiny
model in float32 and skips the GPU-only steps: it is how the tests exercise this module.
A results table is printed and written to OUT/gpu_check.md and OUT/gpu_check.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

# Qwen2.5-0.5B's layer shapes with the tiny tokenizer's vocabulary (~360M parameters).
SIZES: dict[str, dict[str, int]] = {
    "small": dict(
        hidden_size=896,
        intermediate_size=4864,
        num_hidden_layers=24,
        num_attention_heads=14,
        num_key_value_heads=2,
    ),
    "tiny": dict(
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
    ),
}

# What every accelerate config here shares: one process on one machine, bf16.
ONE_PROCESS: dict[str, Any] = {
    "compute_environment": "LOCAL_MACHINE",
    "mixed_precision": "bf16",
    "num_machines": 1,
    "num_processes": 1,
    "machine_rank": 0,
    "rdzv_backend": "static",
    "same_network": True,
    "use_cpu": False,
}
ACCELERATE_CONFIGS: dict[str, dict[str, Any]] = {
    "fsdp": {
        **ONE_PROCESS,
        "distributed_type": "FSDP",
        "fsdp_config": {
            "fsdp_version": 2,
            "fsdp_auto_wrap_policy": "TRANSFORMER_BASED_WRAP",
            "fsdp_state_dict_type": "FULL_STATE_DICT",
            "fsdp_cpu_ram_efficient_loading": True,
            "fsdp_reshard_after_forward": True,
        },
    },
    "zero3": {  # as recipes/launch/zero3.yaml, one process
        **ONE_PROCESS,
        "distributed_type": "DEEPSPEED",
        "deepspeed_config": {
            "offload_optimizer_device": "none",
            "offload_param_device": "none",
            "zero3_init_flag": True,
            "zero3_save_16bit_model": True,
            "zero_stage": 3,
        },
    },
}


@dataclass
class StepResult:
    name: str
    status: str = "SKIP"  # PASS | FAIL | SKIP
    wall_s: float | None = None
    step_s: float | None = None
    tokens_per_s: float | None = None
    peak_gpu_mib: float | None = None
    note: str = ""


def build_qwen2_model(path: str | Path, size: str = "small", dtype: str = "bfloat16") -> Path:
    """A random-init Qwen2 model with the tiny tokenizer, saved at `path` (idempotent)."""
    import torch
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

    from toolzero.tiny_model import build_tiny_model

    path = Path(path)
    if (path / "config.json").exists():
        return path
    gemma = build_tiny_model(path.with_name(path.name + "-tokenizer"))
    tokenizer = AutoTokenizer.from_pretrained(gemma)
    tokenizer.save_pretrained(path)
    torch.manual_seed(0)
    end_of_turn = tokenizer.convert_tokens_to_ids("<end_of_turn>")
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        max_position_embeddings=8192,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=[tokenizer.eos_token_id, end_of_turn],
        pad_token_id=tokenizer.pad_token_id,
        **SIZES[size],
    )
    model = Qwen2ForCausalLM(config).to(getattr(torch, dtype))
    model.generation_config.eos_token_id = config.eos_token_id
    model.save_pretrained(path)
    return path


def make_recipe(model: Path, run_dir: Path, cpu: bool, vllm: bool = False) -> dict[str, Any]:
    """A short GRPO recipe on synthetic tasks: bf16 full fine-tuning on a GPU, f32 on CPU."""
    grpo: dict[str, Any] = {
        "prompts_per_step": 2 if cpu else 8,
        "num_generations": 2 if cpu else 4,
        "max_completion_length": 8 if cpu else 64,
        "max_steps": 2 if cpu else 4,
        "learning_rate": 1.0e-5,
        "bf16": not cpu,
        "use_vllm": vllm,
    }
    if vllm:
        grpo |= {
            "vllm_mode": "colocate",
            "vllm_gpu_memory_utilization": 0.3,
            "extra": {"vllm_max_model_length": 4096},
        }
    return {
        "description": "toolzero.gpu_check: a few GRPO steps on a random-init model",
        "model": {
            "name": str(model),
            "dtype": "float32" if cpu else "bfloat16",
            "protocol": "compact",
        },
        # vLLM rejects a prompt over max_model_len (4096 - 64 left for the completion).
        "data": {"train": "synthetic", "limit": 64, "max_prompt_tokens": 4032 if vllm else None},
        "reward": {"preset": "toolzero"},
        "lora": {"enabled": False},
        "grpo": grpo,
        "run": {
            "output_dir": str(run_dir),
            "save_steps": 2,
            "report_to": ["none"],
            "use_cpu": True if cpu else None,
        },
    }


def step_figures(run_dir: Path) -> tuple[float | None, float | None]:
    """Median step time and tokens/s over the logged steps after the first (warm-up)."""
    from toolzero.run_folder import read_metrics

    rows = read_metrics(run_dir / "metrics.jsonl")
    later = rows[1:] or rows
    times = [r["step_time_s"] for r in later if r.get("step_time_s")]
    tokens = [r["tokens_per_s"] for r in later if r.get("tokens_per_s")]
    return (
        round(statistics.median(times), 2) if times else None,
        round(statistics.median(tokens), 1) if tokens else None,
    )


class GpuMemoryPeak:
    """The highest `nvidia-smi` memory.used (MiB, GPU 0) while the `with` block runs."""

    def __init__(self, interval_s: float = 0.5) -> None:
        self.interval_s = interval_s
        self.peak: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> GpuMemoryPeak:
        if shutil.which("nvidia-smi"):
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _poll(self) -> None:
        query = ["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", "0"]
        while not self._stop.is_set():
            out = subprocess.run(query, capture_output=True, text=True, check=False)
            try:
                used = float(out.stdout.strip().splitlines()[0])
            except (ValueError, IndexError):
                return
            self.peak = max(self.peak or 0.0, used)
            self._stop.wait(self.interval_s)


def run_command(
    name: str, command: list[str], log: Path, timeout_s: float
) -> tuple[StepResult, bool]:
    """Run one step's command, logging to `log`; (result with wall time and memory, ok)."""
    result = StepResult(name)
    start = time.monotonic()
    with GpuMemoryPeak() as memory, log.open("w", encoding="utf-8") as out:
        try:
            code = subprocess.run(
                command, stdout=out, stderr=subprocess.STDOUT, timeout=timeout_s, check=False
            ).returncode
        except subprocess.TimeoutExpired:
            code = None
    result.wall_s = round(time.monotonic() - start, 1)
    result.peak_gpu_mib = memory.peak
    if code != 0:
        result.status = "FAIL"
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:]
        result.note = f"timed out after {timeout_s:.0f} s" if code is None else f"exit {code}"
        result.note += f": {tail[0][:160]}" if tail else ""
    return result, code == 0


def train_step(
    name: str, recipe: dict[str, Any], work: Path, timeout_s: float, accelerate: str | None = None
) -> StepResult:
    """`toolzero train` (under `accelerate launch` when named) and the check of `final/`."""
    from toolzero.training.final_check import final_model_problems

    run_dir = Path(recipe["run"]["output_dir"])
    shutil.rmtree(run_dir, ignore_errors=True)
    recipe_path = work / f"{name}.yaml"
    recipe_path.write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    command = [sys.executable, "-m", "toolzero", "train", "--config", str(recipe_path)]
    if accelerate:
        config = work / f"accelerate-{accelerate}.yaml"
        config.write_text(yaml.safe_dump(ACCELERATE_CONFIGS[accelerate]), encoding="utf-8")
        command = [
            sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(config),
            "-m", "toolzero", "train", "--config", str(recipe_path),
        ]  # fmt: skip
    result, ok = run_command(name, command, work / f"{name}.log", timeout_s)
    if not ok:
        return result
    result.step_s, result.tokens_per_s = step_figures(run_dir)
    problems = final_model_problems(run_dir / "final")
    result.status = "FAIL" if problems else "PASS"
    result.note = "final/: " + "; ".join(problems[:3]) if problems else "final/ complete"
    return result


def eval_step(model: Path, work: Path, timeout_s: float) -> StepResult:
    out = work / "eval-vllm"
    shutil.rmtree(out, ignore_errors=True)
    command = [
        sys.executable, "-m", "toolzero", "eval", "--model", str(model), "--bench", "synthetic",
        "--synthetic-n", "32", "--backend", "vllm", "--protocol", "compact",
        "--max-new-tokens", "64", "--out", str(out),
    ]  # fmt: skip
    result, ok = run_command("eval-vllm", command, work / "eval-vllm.log", timeout_s)
    if ok:
        result.status = "PASS"
        result.note = "32 synthetic tasks evaluated"
    return result


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def run_checks(out: Path, cpu: bool = False, budget_s: float = 480.0) -> list[StepResult]:
    """Every step in order; a step that would start past the budget is skipped."""
    out.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    results = []

    def left() -> float:
        return budget_s - (time.monotonic() - start)

    t0 = time.monotonic()
    size, dtype = ("tiny", "float32") if cpu else ("small", "bfloat16")
    model = build_qwen2_model(out / "model", size, dtype)
    note = f"Qwen2 {'tiny' if cpu else '0.5B shapes'}, random init, {dtype}"
    results.append(StepResult("build", "PASS", round(time.monotonic() - t0, 1), note=note))

    hf = make_recipe(model, out / "run-hf", cpu)
    results.append(train_step("hf-bf16" if not cpu else "hf-cpu", hf, out, max(left(), 1)))
    plans = [
        ("fsdp", None, "FSDP, 1 process"),
        ("zero3", "deepspeed", "DeepSpeed ZeRO-3, 1 process"),
        ("vllm-colocate", "vllm", "vLLM colocate generation"),
    ]
    for name, module, what in plans:
        if cpu:
            results.append(StepResult(name, note=f"skipped: --cpu ({what} needs a GPU)"))
        elif module and not installed(module):
            results.append(StepResult(name, note=f"skipped: {module} is not installed"))
        elif left() < 30:
            results.append(StepResult(name, note="skipped: time budget spent"))
        else:
            recipe = make_recipe(model, out / f"run-{name}", cpu, vllm=name == "vllm-colocate")
            launcher = name if name in ACCELERATE_CONFIGS else None
            results.append(train_step(name, recipe, out, left(), accelerate=launcher))
    final = out / "run-hf" / "final"
    if cpu:
        results.append(StepResult("eval-vllm", note="skipped: --cpu"))
    elif not installed("vllm"):
        results.append(StepResult("eval-vllm", note="skipped: vllm is not installed"))
    elif not final.is_dir() or left() < 30:
        results.append(StepResult("eval-vllm", note="skipped: no hf-bf16 final/ or no time"))
    else:
        results.append(eval_step(final, out, left()))
    return results


def render_table(results: list[StepResult]) -> str:
    """The results as a markdown table; empty figures print as '-'."""

    def cell(value: object) -> str:
        return "-" if value is None or value == "" else str(value)

    lines = [
        "| step | result | wall s | step s | tokens/s | peak GPU MiB | note |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        figures = (r.wall_s, r.step_s, r.tokens_per_s, r.peak_gpu_mib)
        cells = [r.name, r.status, *(cell(v) for v in figures), cell(r.note)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m toolzero.gpu_check",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", default="runs/gpu-check", help="work folder and report")
    parser.add_argument("--cpu", action="store_true", help="tiny model, float32, GPU steps skipped")
    parser.add_argument("--budget-s", type=float, default=480.0, help="stop starting steps after this")
    args = parser.parse_args(argv)
    out = Path(args.out)
    results = run_checks(out, cpu=args.cpu, budget_s=args.budget_s)
    table = render_table(results)
    print(table, end="")
    (out / "gpu_check.md").write_text(table, encoding="utf-8")
    (out / "gpu_check.json").write_text(
        json.dumps([asdict(r) for r in results], indent=2) + "\n", encoding="utf-8"
    )
    return 1 if any(r.status == "FAIL" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
