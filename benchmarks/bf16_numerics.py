"""Per-token log-probs under bf16 autocast against fp32, on real samples (a one-off check).

What `grpo.bf16` changes in a GRPO step is the precision of the log-probs the loss is made
of (and of generation's logits). This scores the same samples twice with toolzero's
training path (shared-prefix log-probs, trl's LM-head kernel), once in fp32 and once under
`torch.autocast("cpu", torch.bfloat16)` (what accelerate applies in a bf16 run), and
prints the differences: max and mean absolute, quantiles, the share of tokens within the
tolerance the tests assert (tests/training/test_bf16.py: 2 sqrt(R) u A per token, u =
2^-8, R = 3 (6 layers + 1) roundings in series, A the logit's no-cancellation
magnitude; loose on a real model, whose head sums cancel much more than the tiny
model's), and how often the two precisions rank a different token first.

Samples: the quickstart's prompts (synthetic training tasks, compact protocol, `<think>`
prefill), with completions sampled from the model in fp32 at the quickstart's temperature
(`--completions sampled`, what GRPO scores) or the tasks' reference answers
(`--completions reference`).

Speed is not measured here (see benchmarks/bf16_speed.py). On a CPU without AVX-512 BF16
or AMX, bf16 is emulated: the same figures, computed slowly.

    python benchmarks/bf16_numerics.py                       # Gemma-3-270M, 16 samples
    python benchmarks/bf16_numerics.py --model tiny --samples 4
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path


def load(model_name: str, folder: str):
    import torch

    from toolzero.models import load_model, load_tokenizer

    if model_name == "tiny":
        from toolzero.tiny_model import build_tiny_model

        model_name = str(build_tiny_model(f"{folder}/tiny"))
    torch.manual_seed(0)
    model = load_model(model_name, "float32").eval()
    return model, load_tokenizer(model_name)


def samples(model, tokenizer, count: int, source: str, max_new: int, seed: int):
    """(input_ids, attention_mask, completion columns): prompts left-padded, completions
    right-padded, as trl lays out a GRPO batch."""
    import torch

    from toolzero.training.prompts import load_recipe_examples, prompt_rows
    from toolzero.training.recipe import load_recipe

    recipe = load_recipe(Path(__file__).resolve().parents[1] / "recipes" / "quickstart.yaml")
    examples = load_recipe_examples("synthetic", count, seed)
    rows = prompt_rows(examples, tokenizer, recipe.model.protocol, recipe.model.prefill)
    tokenizer.padding_side = "left"
    prompts = tokenizer([r["prompt"] for r in rows], return_tensors="pt", padding=True)
    if source == "sampled":
        torch.manual_seed(seed)
        with torch.no_grad():
            out = model.generate(
                **prompts,
                do_sample=True,
                temperature=recipe.grpo.temperature,
                max_new_tokens=max_new,
                pad_token_id=tokenizer.pad_token_id,
            )
        completion = out[:, prompts["input_ids"].size(1) :]
        ends = completion == tokenizer.pad_token_id
        completion_mask = (ends.cumsum(1) == 0).long()
    else:
        prefill = recipe.model.prefill
        texts = [r["reference"].removeprefix(prefill) for r in rows]
        tokenizer.padding_side = "right"
        enc = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        completion, completion_mask = enc["input_ids"][:, :max_new], enc["attention_mask"][:, :max_new]
    ids = torch.cat([prompts["input_ids"], completion], dim=1)
    mask = torch.cat([prompts["attention_mask"], completion_mask], dim=1)
    return ids, mask, completion.size(1)


def logps_and_ranks(model, ids, mask, keep, autocast):
    """Per-token log-probs (toolzero's shared-prefix path) and each position's top token."""
    import torch

    from toolzero.training.shared_prefix import shared_prefix_logps

    with torch.no_grad(), autocast():
        logps, _ = shared_prefix_logps(model, ids, mask, keep, batch_size=4)
        top = []
        for rows in torch.arange(ids.size(0)).split(4):
            logits = model(input_ids=ids[rows], attention_mask=mask[rows], logits_to_keep=keep + 1)
            top.append(logits.logits[:, :-1].argmax(-1))
    return logps.float(), torch.cat(top)


def logit_scale(model, ids, mask, keep):
    """A = max_j sum_i |h_i W_ij| at each completion position (fp32)."""
    import torch

    with torch.no_grad():
        scales = []
        head = model.get_output_embeddings().weight.abs()
        for rows in torch.arange(ids.size(0)).split(4):
            states = model.model(input_ids=ids[rows], attention_mask=mask[rows]).last_hidden_state
            scales.append((states[:, -keep - 1 : -1].abs() @ head.T).amax(-1))
    return torch.cat(scales)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="gemma-3-270m", help="gemma-3-270m, tiny, or a path")
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--completions", choices=("sampled", "reference"), default="sampled")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()

    import torch

    from toolzero.machine import cpu_fast_bf16

    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as folder:
        model, tokenizer = load(args.model, folder)
    start = time.perf_counter()
    ids, mask, keep = samples(
        model, tokenizer, args.samples, args.completions, args.max_new_tokens, args.seed
    )
    real = mask[:, -keep:].bool()
    print(
        f"{args.model}: {ids.size(0)} {args.completions} samples, {real.sum().item()} completion "
        f"tokens, prompts up to {ids.size(1) - keep} tokens ({time.perf_counter() - start:.0f} s)"
    )
    print(f"this CPU's native bf16: {', '.join(cpu_fast_bf16()) or 'none (bf16 emulated)'}")

    timings = {}
    start = time.perf_counter()
    fp32, top32 = logps_and_ranks(model, ids, mask, keep, nullcontext)
    timings["fp32"] = time.perf_counter() - start
    start = time.perf_counter()
    bf16, top16 = logps_and_ranks(
        model, ids, mask, keep, lambda: torch.autocast("cpu", dtype=torch.bfloat16)
    )
    timings["bf16"] = time.perf_counter() - start
    scale = logit_scale(model, ids, mask, keep)

    layers = model.config.get_text_config().num_hidden_layers
    roundings = 3 * (6 * layers + 1)
    bound = 2 * math.sqrt(roundings) * 2.0**-8 * scale
    error = (bf16 - fp32).abs()[real]
    logp = fp32[real]
    quantiles = torch.quantile(error, torch.tensor([0.5, 0.9, 0.99]))
    print(f"per-token log-prob, fp32: mean {logp.mean():.3f}, min {logp.min():.3f}")
    print(
        f"|bf16 - fp32|: max {error.max():.4f}, mean {error.mean():.4f}, median "
        f"{quantiles[0]:.4f}, p90 {quantiles[1]:.4f}, p99 {quantiles[2]:.4f}"
    )
    print(
        f"relative to |log p|: mean {(error / logp.abs().clamp(min=1e-3)).mean():.4f}; "
        f"sequence log-prob (sum over a completion): max |diff| "
        f"{((bf16 - fp32) * real).sum(1).abs().max():.4f}"
    )
    print(
        f"the tests' tolerance 2 sqrt(R) u A (R={roundings}, u=2^-8): median "
        f"{bound[real].median():.3f}, tokens within it: {(error <= bound[real]).float().mean():.1%} "
        "(A assumes no cancellation in the head's sums: loose where they cancel much)"
    )
    ratio = (bf16 - fp32).exp()[real]  # the importance ratio a bf16/fp32 mismatch would make
    print(f"exp(bf16 - fp32) per token: min {ratio.min():.4f}, max {ratio.max():.4f}")
    print(f"top-1 token differs at {(top32 != top16)[real].float().mean():.2%} of completion positions")
    print(f"(scoring time, not a speed figure: fp32 {timings['fp32']:.1f} s, bf16 {timings['bf16']:.1f} s)")


if __name__ == "__main__":
    main()
