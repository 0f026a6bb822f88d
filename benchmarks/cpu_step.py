"""Whole quickstart GRPO steps on a CPU: today's path beside each speed-up, side by side.

    python benchmarks/cpu_step.py --tiny                          # smoke run, tiny local model
    python benchmarks/cpu_step.py --steps 3                       # Gemma-3-270M (idle machine)
    python benchmarks/cpu_step.py --steps 3 --rounds 2 --variants today,spgen,malloc

A step is what `toolzero train` runs for recipes/quickstart.yaml (Gemma-3-270M, ~220-token
prompts, up to 64 completion tokens, stop strings, LoRA r=16, the training-side shared
prefix as shipped), pinned to 2 prompts x 8 completions: every table in
docs/performance.md was measured so, before the recipe moved to 4 x 4 (the same 16).
`toolzero.training.train` runs 1 + `--steps` optimizer steps; the first is a warm-up and
the figures are medians over the others.
Per step: *generation s* (TRL's `_generate_single_turn`, stop handling included),
*training s* (the rest: rewards, log-probs, loss, backward, optimizer), *step s*
(`on_step_begin` to `on_step_end`), the completion tokens generated, minor page faults and
kernel CPU seconds (`getrusage`); per process: peak RSS (model load included).

Each variant runs in its own subprocess (its own peak RSS, and allocator variables must
be set before a process starts), one after another in the order given, the whole
sequence repeated `--rounds` times (today, spgen, ..., today, spgen, ...), so that load
drifts hit all alike. Every variant starts from the same seed: the exact ones (spgen)
sample today's completions; the others (bf16, greedy) may generate other lengths, so
compare the tokens column before the times.

Variants: recipe overrides (and environment) on top of the quickstart recipe.

- `today`: `model.attn_implementation=sdpa grpo.bf16=false grpo.shared_prefix_generation=false
  grpo.keep_freed_memory=false grpo.cdf_sampling=false grpo.cpu_head_logprobs=false`: the
  path before issue 14;
- `spgen`: shared-prefix generation (each prompt prefilled once per group);
- `bf16`: `grpo.bf16=true`, generation reading bf16 copies of the frozen matrices
  (needs the `grpo.bf16: auto|true|false` recipe setting; skipped
  with a printed line where the recipe does not know `auto`);
- `bf16-cast`: `bf16` with `grpo.bf16_generation_weights=false`: autocast casts every
  frozen weight in every decoded token's forward (the path before the bf16 copies);
- `head`: today's path with the LM head's log-probs through `head_logprobs`
  (`grpo.cpu_head_logprobs`: whole vocabulary rows, few passes) instead of trl's tiles;
- `trl-head`: `shipped` with trl's tiled LM head (`grpo.cpu_head_logprobs=false`);
- `cdf`: today's path drawing tokens by inverse CDF (`grpo.cdf_sampling`) instead of
  `torch.multinomial` (the same distribution, other draws: compare the tokens column);
- `all`: spgen + bf16 + the glibc allocator settings of `malloc`;
- `malloc`: today's path with glibc keeping freed memory (`MALLOC_MMAP_THRESHOLD_` at its
  32 MiB maximum, trimming and top padding raised): fewer mmap/munmap page faults;
- `keep`: today's path with `grpo.keep_freed_memory=true`: the same glibc settings set by
  the run itself (`mallopt`), as the recipes ship them;
- `shipped`: the quickstart recipe as it ships (every speed-up at its default);
- `eager`, `sdpa`: `shipped` with that attention kernel (`model.attn_implementation`);
- `bf16-model`: `shipped` with the whole model stored in bf16 (`model.dtype=bfloat16`);
- `jemalloc`, `tcmalloc`: today's path with that allocator preloaded (`LD_PRELOAD`), when
  its library is installed (`apt-get install libjemalloc2 libtcmalloc-minimal4`);
- `lora-merged`: spgen with the LoRA adapters merged into the weights for each
  generation round (unmerged after; the merge is timed as generation): what LoRA costs
  in the decode loop;
- `greedy`: spgen decoding greedily: a bound on what sampling over the 262k vocabulary
  costs (not a training setting: every completion of a group is the same);
- `static-cache`: today's path with `cache_implementation=static` (shared-prefix
  generation cannot continue from a static cache, so this compares with `today`).

Any fallback a worker logs ("shared-prefix ... off: reason") is printed under its line.

Nothing here is a speed claim on a busy machine: run it idle (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QUICKSTART = REPO / "recipes" / "quickstart.yaml"
OFF = [
    "model.attn_implementation=sdpa",  # transformers' default, as before issue 14
    "grpo.bf16=false",
    "grpo.keep_freed_memory=false",
    "grpo.cdf_sampling=false",
    "grpo.cpu_head_logprobs=false",
]
TODAY = [*OFF, "grpo.shared_prefix_generation=false"]
SPGEN = [*OFF, "grpo.shared_prefix_generation=true"]
KEEP = [
    "model.attn_implementation=sdpa",
    "grpo.bf16=false",
    "grpo.cdf_sampling=false",
    "grpo.cpu_head_logprobs=false",
    "grpo.shared_prefix_generation=false",
    "grpo.keep_freed_memory=true",
]
HEAD_PROBE = "grpo.cpu_head_logprobs=true"
BF16_PROBE = "grpo.bf16=auto"  # only the bf16 setting that works on CPUs accepts "auto"
GLIBC_KEEP = {
    "MALLOC_MMAP_THRESHOLD_": str(32 << 20),  # glibc's maximum: blocks below it reuse the heap
    "MALLOC_TRIM_THRESHOLD_": str(16 << 30),  # never give the heap's top back
    "MALLOC_TOP_PAD_": str(256 << 20),  # grow the heap in large steps
}
LIBRARIES = {
    "jemalloc": "libjemalloc.so.2",
    "tcmalloc": "libtcmalloc_minimal.so.4",
}


@dataclass(frozen=True)
class Variant:
    name: str
    overrides: list[str]
    env: dict[str, str] = field(default_factory=dict)
    probe: str | None = None  # an override the recipe must accept, or the variant is skipped
    library: str | None = None  # a shared library to preload (LD_PRELOAD)
    merge_lora: bool = False


VARIANTS = {
    v.name: v
    for v in (
        Variant("today", TODAY),
        Variant("spgen", SPGEN),
        Variant(
            "bf16",
            [
                "grpo.bf16=true",
                "grpo.shared_prefix_generation=false",
                "grpo.keep_freed_memory=false",
                "grpo.cdf_sampling=false",
                "grpo.cpu_head_logprobs=false",
            ],
            probe=BF16_PROBE,
        ),
        Variant(
            "bf16-cast",
            [
                "grpo.bf16=true",
                "grpo.shared_prefix_generation=false",
                "grpo.keep_freed_memory=false",
                "grpo.bf16_generation_weights=false",
                "grpo.cdf_sampling=false",
                "grpo.cpu_head_logprobs=false",
            ],
            probe="grpo.bf16_generation_weights=false",
        ),
        Variant(
            "all",
            ["grpo.bf16=true", "grpo.shared_prefix_generation=true"],
            GLIBC_KEEP,
            probe=BF16_PROBE,
        ),
        Variant("cdf", [*TODAY, "grpo.cdf_sampling=true"]),
        Variant("head", [*TODAY, "grpo.cpu_head_logprobs=true"], probe=HEAD_PROBE),
        Variant("trl-head", ["grpo.cpu_head_logprobs=false"], probe=HEAD_PROBE),
        Variant("malloc", TODAY, GLIBC_KEEP),
        Variant("keep", KEEP),
        Variant("shipped", []),
        Variant("eager", ["model.attn_implementation=eager"]),
        Variant("sdpa", ["model.attn_implementation=sdpa"]),
        Variant("bf16-model", ["model.dtype=bfloat16"]),
        Variant(
            "jemalloc",
            TODAY,
            {"MALLOC_CONF": "dirty_decay_ms:-1,muzzy_decay_ms:-1"},
            library=LIBRARIES["jemalloc"],
        ),
        Variant("tcmalloc", TODAY, library=LIBRARIES["tcmalloc"]),
        Variant("lora-merged", SPGEN, merge_lora=True),
        Variant("greedy", [*SPGEN, "grpo.extra.generation_kwargs.do_sample=false"]),
        Variant("static-cache", [*TODAY, "grpo.extra.cache_implementation=static"]),
    )
}


def find_library(name: str) -> str | None:
    """The path of an installed shared library (`ldconfig -p`), or None."""
    try:
        listing = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    except FileNotFoundError:
        return None
    for line in listing.splitlines():
        if line.strip().startswith(name) and "=>" in line:
            return line.split("=>")[1].strip()
    return None


def recipe_overrides(model: str | None, out: Path, steps: int) -> list[str]:
    base = [
        f"grpo.max_steps={steps + 1}",  # one warm-up step
        # The shape every table in docs/performance.md was measured on (the quickstart
        # recipe has trained 4 prompts x 4 since 2026-12-04: the same 16 completions).
        "grpo.prompts_per_step=2",
        "grpo.num_generations=8",
        f"run.output_dir={out}",
        "run.save_steps=100000",
        "lora.merge_on_save=false",  # the final save is not part of a step
    ]
    return [f"model.name={model}", *base] if model else base


def skip_reason(variant: Variant, model: str | None) -> str | None:
    """Why this variant cannot run on this branch or machine, or None."""
    from toolzero.errors import ConfigError
    from toolzero.training.recipe import load_recipe

    out = Path(tempfile.gettempdir()) / "cpu-step-probe"
    try:
        load_recipe(QUICKSTART, [*recipe_overrides(model, out, 1), *variant.overrides])
        if variant.probe:
            load_recipe(QUICKSTART, [*recipe_overrides(model, out, 1), variant.probe])
    except ConfigError as exc:
        return f"the recipe does not take its overrides ({'; '.join(exc.problems)})"
    if variant.library and find_library(variant.library) is None:
        return f"{variant.library} is not installed"
    return None


class GenerationClock:
    """Times TRL's generation rounds and counts the completion tokens they return."""

    def __init__(self, trainer_class, merge_lora: bool) -> None:
        self.seconds = 0.0
        self.tokens = 0
        original = trainer_class._generate_single_turn
        clock = self

        def timed(trainer, *args, **kwargs):
            start = time.perf_counter()
            merged = merge_lora and hasattr(trainer.model, "merge_adapter")
            if merged:
                trainer.model.merge_adapter()
            try:
                ids, logprobs = original(trainer, *args, **kwargs)
            finally:
                if merged:
                    trainer.model.unmerge_adapter()
            clock.seconds += time.perf_counter() - start
            clock.tokens += sum(len(row) for row in ids)
            return ids, logprobs

        trainer_class._generate_single_turn = timed


def step_clock(generation: GenerationClock, rows: list[dict]):
    from transformers import TrainerCallback

    class StepClock(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            generation.seconds, generation.tokens = 0.0, 0
            self.start = time.perf_counter()
            self.usage = resource.getrusage(resource.RUSAGE_SELF)

        def on_step_end(self, args, state, control, **kwargs):
            wall = time.perf_counter() - self.start
            usage = resource.getrusage(resource.RUSAGE_SELF)
            rows.append(
                {
                    "step_s": wall,
                    "generation_s": generation.seconds,
                    "training_s": wall - generation.seconds,
                    "tokens": generation.tokens,
                    "minor_faults": usage.ru_minflt - self.usage.ru_minflt,
                    "kernel_s": usage.ru_stime - self.usage.ru_stime,
                }
            )

    return StepClock()


def worker(name: str, model: str | None, steps: int, threads: int | None) -> dict:
    """In this process: train one variant for 1 + `steps` steps; per-step figures."""
    import torch

    from toolzero.training.recipe import load_recipe
    from toolzero.training.run import peak_rss_mb, train
    from toolzero.training.trainer import ToolzeroGRPOTrainer

    if threads:
        torch.set_num_threads(threads)
    variant = VARIANTS[name]
    with tempfile.TemporaryDirectory() as folder:
        overrides = [*recipe_overrides(model, Path(folder) / "run", steps), *variant.overrides]
        recipe = load_recipe(QUICKSTART, overrides)
        generation = GenerationClock(ToolzeroGRPOTrainer, variant.merge_lora)
        rows: list[dict] = []
        train(recipe, callbacks=[step_clock(generation, rows)])
    return {"variant": name, "steps": rows[1:], "peak_rss_mb": peak_rss_mb()}


def run_variant(variant: Variant, args: argparse.Namespace, library: str | None) -> dict | None:
    command = [sys.executable, __file__, "--worker", variant.name, "--steps", str(args.steps)]
    if args.model:
        command += ["--model", args.model]
    if args.threads:
        command += ["--threads", str(args.threads)]
    env = {**os.environ, **variant.env}
    if library:
        env["LD_PRELOAD"] = " ".join(filter(None, [library, env.get("LD_PRELOAD")]))
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if out.returncode:
        print(f"  {variant.name} FAILED (exit {out.returncode}):\n{out.stderr[-2000:]}", flush=True)
        return None
    notes = {line.strip() for line in out.stderr.splitlines() if "shared-prefix" in line}
    for note in sorted(notes):  # which speed-ups fell back, and why
        print(f"  {variant.name}: {note}", flush=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_of(results: list[dict], key: str) -> float:
    return statistics.median(step[key] for r in results for step in r["steps"])


def report(results: dict[str, list[dict]], base: str) -> None:
    keys = ("generation_s", "training_s", "step_s", "tokens", "minor_faults", "kernel_s")
    medians = {v: {k: median_of(rs, k) for k in keys} for v, rs in results.items() if rs}
    print(
        f"\n| variant | generation s | training s | step s | speed-up vs {base} "
        "| completion tokens | minor faults | kernel CPU s | peak RSS MiB |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, m in medians.items():
        ratio = f"{medians[base]['step_s'] / m['step_s']:.2f}x" if base in medians else "-"
        peak = max(r["peak_rss_mb"] for r in results[name])
        print(
            f"| {name} | {m['generation_s']:.2f} | {m['training_s']:.2f} | {m['step_s']:.2f} "
            f"| {ratio} | {m['tokens']:.0f} | {m['minor_faults']:,.0f} | {m['kernel_s']:.2f} "
            f"| {peak:,.0f} |"
        )
    print("\nPer step, medians over the steps after the warm-up (all rounds together).")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, help="timed steps after 1 warm-up (default 3; tiny 2)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated, in order")
    parser.add_argument("--rounds", type=int, default=1, help="repetitions of the whole sequence")
    parser.add_argument("--tiny", action="store_true", help="the tiny local model (a smoke run)")
    parser.add_argument("--model", help="a model other than the recipe's (path or name)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    parser.add_argument("--worker", choices=sorted(VARIANTS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.steps is None:
        args.steps = 2 if args.tiny else 3
    if args.tiny and not args.model:
        from toolzero.tiny_model import build_tiny_model

        args.model = str(build_tiny_model(Path(tempfile.gettempdir()) / "toolzero-bench-tiny"))
    if args.worker:
        print(json.dumps(worker(args.worker, args.model, args.steps, args.threads)))
        return
    names = [n.strip() for n in args.variants.split(",") if n.strip()]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        parser.error(f"--variants: unknown {unknown}; choose from {', '.join(VARIANTS)}")
    chosen: list[tuple[Variant, str | None]] = []
    for name in names:
        variant = VARIANTS[name]
        reason = skip_reason(variant, args.model)
        if reason:
            print(f"skip {name}: {reason}")
            continue
        chosen.append((variant, find_library(variant.library) if variant.library else None))
    model = args.model or "the recipe's model (gemma-3-270m)"
    print(
        f"## cpu_step: {model}, quickstart recipe, {args.steps} steps after 1 warm-up, "
        f"{args.rounds} round(s), threads {args.threads or 'default'}"
    )
    print(f"load average before: {load_average()} (on {os.cpu_count()} cores)")
    results: dict[str, list[dict]] = {v.name: [] for v, _ in chosen}
    for _ in range(args.rounds):
        for variant, library in chosen:
            result = run_variant(variant, args, library)
            if result is None:
                continue
            results[variant.name].append(result)
            steps = [round(s["step_s"], 2) for s in result["steps"]]
            print(f"  {variant.name}: steps {steps} s", flush=True)
    print(f"load average after: {load_average()}")
    base = "today" if results.get("today") else next((n for n, r in results.items() if r), "")
    report(results, base)


if __name__ == "__main__":
    main()
