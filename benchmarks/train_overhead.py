"""Step time of `toolzero train` against a bare TRL `GRPOTrainer`, side by side, and peak memory.

    python benchmarks/train_overhead.py                          # tiny local model, 12 steps
    python benchmarks/train_overhead.py --model gemma-3-270m --steps 4 --rounds 1

Variants, each in its own process (so peak memory is its own), alternated over `--rounds`
so that machine load drifts affect all alike:

- `bare`: `GRPOTrainer` built by hand with the same model, prompts, reward functions and
  `GRPOConfig` that toolzero derives from the recipe;
- `toolzero`: `toolzero.training.train` on the same recipe with toolzero's speed-ups off
  (shared prefix, completion-only LM head, stop strings): what the wrapper itself costs
  (run folder, metrics.jsonl, schedule logging, the subclass);
- `toolzero-fast`: the same recipe as shipped, speed-ups on.

Step time is the wall time between consecutive step logs (all callbacks included), median
over the steps after the first. Overhead = toolzero / bare - 1 (target: under 5%).
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VARIANTS = ("bare", "toolzero", "toolzero-fast")
PLAIN = ["grpo.shared_prefix=false", "grpo.score_completion_only=false", "model.stop_strings=[]"]


def recipe_overrides(model: str, out: Path, steps: int, tokens: int) -> list[str]:
    return [
        f"model.name={model}",
        "data.train=synthetic",
        "data.limit=64",
        f"grpo.max_steps={steps}",
        f"grpo.max_completion_length={tokens}",
        f"run.output_dir={out}",
        "run.save_steps=100000",
        "lora.target_modules=all-linear",
    ]


def run_variant(variant: str, model: str, steps: int, tokens: int) -> dict:
    """In this process: train one variant, return step times and peak memory."""
    from toolzero.training.recipe import load_recipe
    from toolzero.training.run import peak_rss_mb

    out = Path(tempfile.mkdtemp()) / variant
    overrides = recipe_overrides(model, out, steps, tokens)
    recipe = load_recipe(
        REPO / "recipes" / "quickstart.yaml",
        overrides + (PLAIN if variant != "toolzero-fast" else []),
    )
    if variant == "bare":
        times = train_bare(recipe, out)
    else:
        from toolzero.run_folder import read_metrics
        from toolzero.training.run import train

        train(recipe)
        times = [row["time_s"] for row in read_metrics(out / "metrics.jsonl")]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    return {"variant": variant, "step_s": statistics.median(gaps), "peak_rss_mb": peak_rss_mb()}


def train_bare(recipe, out: Path) -> list[float]:
    """The same trainer, by hand: TRL's GRPOTrainer and a callback that timestamps logs."""
    from transformers import TrainerCallback
    from trl import GRPOTrainer

    from toolzero.models import load_model_and_tokenizer
    from toolzero.rewards.adapters import trl_reward_functions
    from toolzero.training.prompts import build_prompt_dataset, load_recipe_examples
    from toolzero.training.trainer import build_grpo_config, lora_config

    times: list[float] = []

    class Stamp(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "train_runtime" not in logs:
                times.append(time.monotonic())

    model, tokenizer = load_model_and_tokenizer(recipe.model.name)
    examples = load_recipe_examples(recipe.data.train, recipe.data.limit, recipe.data.shuffle_seed)
    dataset, _ = build_prompt_dataset(
        examples, tokenizer, recipe.model.protocol, recipe.model.prefill
    )
    args = build_grpo_config(recipe, out, recipe.grpo.max_steps, has_eval=False)
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=trl_reward_functions(recipe.reward.build(), recipe.model.prefill),
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=lora_config(recipe),
        callbacks=[Stamp()],
    )
    trainer.train()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--model", default=None, help="model path or gemma-3-270m (default: a tiny local model)"
    )
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--tokens", type=int, default=32, help="max completion tokens")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.model is None:
        from toolzero.tiny_model import build_tiny_model

        args.model = str(build_tiny_model(Path(tempfile.gettempdir()) / "toolzero-bench-tiny"))
    if args.variant:
        print(json.dumps(run_variant(args.variant, args.model, args.steps, args.tokens)))
        return
    results: dict[str, list[dict]] = {v: [] for v in VARIANTS}
    for _ in range(args.rounds):
        for variant in VARIANTS:
            cmd = [
                sys.executable,
                __file__,
                "--variant",
                variant,
                "--model",
                args.model,
                "--steps",
                str(args.steps),
                "--tokens",
                str(args.tokens),
            ]
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
            results[variant].append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"  {variant}: {results[variant][-1]['step_s']:.3f} s/step", flush=True)
    print(
        f"model {args.model}, {args.steps} steps x {args.rounds} rounds, 2 prompts x 8 completions, "
        f"{args.tokens} tokens max"
    )
    print(f"{'variant':<14} {'step time (s)':>14} {'peak RSS (MiB)':>15}")
    medians = {}
    for variant, runs in results.items():
        medians[variant] = statistics.median(r["step_s"] for r in runs)
        peak = max(r["peak_rss_mb"] for r in runs)
        print(f"{variant:<14} {medians[variant]:>14.3f} {peak:>15.0f}")
    print(
        f"toolzero overhead vs bare TRL: {100 * (medians['toolzero'] / medians['bare'] - 1):+.1f}%"
    )
    print(
        f"toolzero speed-ups on:         {medians['bare'] / medians['toolzero-fast']:.2f}x faster than bare"
    )


if __name__ == "__main__":
    main()
