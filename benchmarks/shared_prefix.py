"""Shared-prefix GRPO against TRL's standard log-prob path: step time, tokens/s, peak memory.

A *train step* here is what the shared prefix changes: TRL's GRPO loss (`compute_loss`)
on one fixed batch of `prompts x G` rows, its backward and an AdamW step. The batch is
the same in every mode (same seed: random ids of the stated lengths, every completion at
full length, which is the least favourable case for the shared path's completion-only
head). Generation is identical in every mode; `--generate` times it once so the full GRPO
step (generation + train step) can be estimated too.

Modes, each measured in its own subprocess (a clean peak-memory figure) and alternated
(trl, compact, shared, trl, ...) so that background load hits them alike:

- `trl`: trl 1.16 as installed; on CPU its fused LM head scores every position, prompt too;
- `compact`: trl with the head on completion positions only (the patch in
  `toolzero.training.trainer.score_only_completion_tokens`);
- `shared`: `SharedPrefixMixin`: each prompt encoded once per group, head on completions.

On a loaded machine, torch's default of one thread per core can stall on every small
op (each waits for a descheduled peer): `--threads 1` gives steadier figures there.

Peak memory is the process's resident high-water mark during the timed steps, minus its
resident size before them (model, optimizer state and allocator caches excluded).

    python benchmarks/shared_prefix.py --workload tiny
    python benchmarks/shared_prefix.py --workload quickstart --workload long --generate
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

MODES = ("trl", "compact", "shared")


@dataclass(frozen=True)
class Workload:
    model: str  # "tiny" or a model name for toolzero.models
    prompts: int
    generations: int
    prompt_tokens: int
    completion_tokens: int
    lora_r: int = 16  # 0: full fine-tuning
    steps: int = 2
    warmup: int = 1


WORKLOADS = {
    "tiny": Workload("tiny", 2, 8, 200, 64, steps=5),
    # recipes/quickstart.yaml: 2 prompts x 8 generations, up to 64 completion tokens, LoRA
    # r=16 on all linear layers, ~200-token prompts (compact protocol).
    "quickstart": Workload("gemma-3-270m", 2, 8, 200, 64),
    "long": Workload("gemma-3-270m", 1, 8, 1000, 64, warmup=0),
    "quickstart-full": Workload("gemma-3-270m", 2, 8, 200, 64, lora_r=0),
}


def resident_kib(field: str) -> int:
    status = Path("/proc/self/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+)", status).group(1))


def reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # Linux: resets VmHWM to the current RSS


def load_model(workload: Workload, folder: str):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from toolzero.models import load_model_and_tokenizer
    from toolzero.tiny_model import build_tiny_model

    if workload.model == "tiny":
        path = build_tiny_model(Path(folder) / "tiny")
        torch.manual_seed(0)
        return AutoModelForCausalLM.from_pretrained(path), AutoTokenizer.from_pretrained(path)
    return load_model_and_tokenizer(workload.model)


def build_trainer(workload: Workload, mode: str, folder: str):
    from datasets import Dataset
    from peft import LoraConfig
    from trl import GRPOConfig, GRPOTrainer

    from toolzero.training.shared_prefix import SharedPrefixMixin

    if mode == "compact":
        from toolzero.training.trainer import score_only_completion_tokens

        score_only_completion_tokens()

    class Trainer(SharedPrefixMixin, GRPOTrainer):
        pass

    model, tokenizer = load_model(workload, folder)
    rows = workload.prompts * workload.generations
    args = GRPOConfig(
        output_dir=str(Path(folder) / "out"),
        use_cpu=True,
        per_device_train_batch_size=rows,
        num_generations=workload.generations,
        max_completion_length=workload.completion_tokens,
        gradient_checkpointing=False,
        beta=0.0,
        report_to=[],
        save_strategy="no",
    )
    lora = workload.lora_r and LoraConfig(
        r=workload.lora_r,
        lora_alpha=2 * workload.lora_r,
        target_modules="all-linear",
        task_type="CAUSAL_LM",
    )
    trainer = Trainer(
        model=model,
        reward_funcs=[lambda completions, **_: [0.0] * len(completions)],
        args=args,
        train_dataset=Dataset.from_dict({"prompt": ["x"] * rows}),
        processing_class=tokenizer,
        peft_config=lora or None,
    )
    trainer.shared_prefix = mode == "shared"
    trainer.current_gradient_accumulation_steps = 1
    return trainer


def fixed_batch(workload: Workload, vocab: int) -> dict:
    import torch

    gen = torch.Generator().manual_seed(0)
    g, p, c = workload.generations, workload.prompt_tokens, workload.completion_tokens
    prompts = torch.randint(10, vocab, (workload.prompts, p), generator=gen)
    rows = prompts.size(0) * g
    completions = torch.randint(10, vocab, (rows, c), generator=gen)
    return {
        "prompt_ids": prompts.repeat_interleave(g, 0),
        "prompt_mask": torch.ones(rows, p, dtype=torch.long),
        "completion_ids": completions,
        "completion_mask": torch.ones(rows, c, dtype=torch.long),
        "advantages": torch.randn(rows, generator=gen),
        "num_items_in_batch": torch.tensor(float(rows * c)),
    }


def time_generation(trainer, batch: dict, workload: Workload) -> float:
    import torch

    model = trainer.model
    ids = batch["prompt_ids"]
    start = time.perf_counter()
    with torch.no_grad():
        model.generate(
            input_ids=ids,
            attention_mask=batch["prompt_mask"],
            max_new_tokens=workload.completion_tokens,
            min_new_tokens=workload.completion_tokens,
            do_sample=True,
            pad_token_id=trainer.processing_class.pad_token_id,
        )
    return time.perf_counter() - start


def worker(mode: str, workload: Workload, generate: bool, threads: int | None) -> dict:
    import torch

    if threads:
        torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as folder:
        trainer = build_trainer(workload, mode, folder)
        model = trainer.model
        model.train()
        vocab = model.get_output_embeddings().weight.size(0)
        batch = fixed_batch(workload, vocab)
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=1e-6)
        times, cpu, losses = [], [], []
        for step in range(workload.warmup + workload.steps):
            if step == workload.warmup:
                before = resident_kib("VmRSS")
                reset_peak()
            start, start_cpu = time.perf_counter(), time.process_time()
            loss = trainer.compute_loss(model, batch)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            losses.append(loss.item())
        peak_mib = (resident_kib("VmHWM") - before) / 1024
        result = {
            "mode": mode,
            "step_s": times[workload.warmup :],
            "cpu_s": cpu[workload.warmup :],
            "first_loss": losses[0],
            "peak_mib": peak_mib,
        }
        if generate:
            result["generate_s"] = time_generation(trainer, batch, workload)
        return result


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def run_workload(
    name: str, reps: int, generate: bool, modes: tuple[str, ...], threads: int | None
) -> None:
    workload = WORKLOADS[name]
    rows = workload.prompts * workload.generations
    tokens = rows * (workload.prompt_tokens + workload.completion_tokens)
    print(f"\n## {name}: {asdict(workload)}")
    print(f"load average before: {load_average()} (on {os.cpu_count()} cores), threads: {threads}")
    results: dict[str, list[dict]] = {m: [] for m in modes}
    for rep in range(reps):
        for mode in modes:
            command = [sys.executable, __file__, "--worker", mode, "--workload", name]
            if threads:
                command += ["--threads", str(threads)]
            if generate and rep == 0 and mode == "shared":
                command.append("--generate")
            out = subprocess.run(command, capture_output=True, text=True, check=False)
            if out.returncode:
                raise SystemExit(f"{mode} worker failed:\n{out.stderr[-3000:]}")
            result = json.loads(out.stdout.strip().splitlines()[-1])
            results[mode].append(result)
            print(
                f"  rep {rep} {mode:8s} steps {[round(s, 2) for s in result['step_s']]} s "
                f"(CPU {[round(s, 1) for s in result['cpu_s']]} s), "
                f"loss {result['first_loss']:.6f}, peak +{result['peak_mib']:.0f} MiB",
                flush=True,
            )
    print(f"load average after: {load_average()}")
    report(results, tokens, modes)


def report(results: dict[str, list[dict]], tokens: int, modes: tuple[str, ...]) -> None:
    median = {m: statistics.median(s for r in results[m] for s in r["step_s"]) for m in modes}
    cpu = {m: statistics.median(s for r in results[m] for s in r["cpu_s"]) for m in modes}
    peak = {m: max(r["peak_mib"] for r in results[m]) for m in modes}
    base = modes[0]
    print(
        f"\n| mode | train step wall s (median) | CPU s | tokens/s | peak MiB "
        f"| speed-up vs {base} (wall) | (CPU) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for m in modes:
        print(
            f"| {m} | {median[m]:.2f} | {cpu[m]:.1f} | {tokens / median[m]:.0f} | {peak[m]:.0f} "
            f"| {median[base] / median[m]:.2f}x | {cpu[base] / cpu[m]:.2f}x |"
        )
    gen = [r["generate_s"] for rs in results.values() for r in rs if "generate_s" in r]
    if gen:
        print(
            f"\ngeneration of the batch (all tokens, no stop): {gen[0]:.1f} s; full GRPO step estimate:"
        )
        for m in modes:
            full = gen[0] + median[m]
            print(f"  {m}: {full:.1f} s ({(gen[0] + median[base]) / full:.2f}x vs {base})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", action="append", choices=sorted(WORKLOADS))
    parser.add_argument("--reps", type=int, default=1, help="alternating rounds of all modes")
    parser.add_argument(
        "--modes", default=",".join(MODES), help="comma-separated, first is the baseline"
    )
    parser.add_argument("--generate", action="store_true", help="also time generation once")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    parser.add_argument("--worker", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        workload = WORKLOADS[args.workload[0]]
        print(json.dumps(worker(args.worker, workload, args.generate, args.threads)))
        return
    modes = tuple(args.modes.split(","))
    for name in args.workload or ["tiny"]:
        run_workload(name, args.reps, args.generate, modes, args.threads)


if __name__ == "__main__":
    main()
