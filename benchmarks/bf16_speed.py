"""bf16 on the CPU: autocast and bf16 weight storage against fp32, on the quickstart's shape.

Issue 14's probes, as a script: for each mode, a LoRA training step (toolzero's
shared-prefix log-probs on a fixed batch of `prompts x G` rows, backward, AdamW step) and
a generation of the same batch (sampling, every completion at full length), timed after
a warm-up, modes alternated round by round so background load hits them alike.

Modes (LoRA r=16 on every projection, as in recipes/quickstart.yaml; adapters fp32 in all):
- `fp32`: fp32 weights, fp32 compute (`grpo.bf16=false`);
- `autocast`: fp32 weights under `torch.autocast("cpu", torch.bfloat16)` (`grpo.bf16`
  on a CPU with bf16, what `auto` picks there);
- `bf16-weights`: the frozen base stored in bf16, no autocast (`model.dtype=bfloat16`);
- `bf16-weights+autocast`: both.

Run it on an idle machine; on a CPU without AVX-512 BF16 or AMX every bf16 mode is
emulated and slow (the script says which CPU it ran on). Peak memory is not compared here
(one process holds every mode's model).

    python benchmarks/bf16_speed.py                        # Gemma-3-270M, 2 prompts x 8
    python benchmarks/bf16_speed.py --model tiny --rounds 1
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from contextlib import nullcontext

MODES = ("fp32", "autocast", "bf16-weights", "bf16-weights+autocast")


def build(model_name: str, folder: str, mode: str):
    import torch
    from peft import LoraConfig, get_peft_model

    from toolzero.models import load_model

    if model_name == "tiny":
        from toolzero.tiny_model import build_tiny_model

        model_name = str(build_tiny_model(f"{folder}/tiny"))
    dtype = "bfloat16" if mode.startswith("bf16-weights") else "float32"
    torch.manual_seed(0)
    model = load_model(model_name, dtype)
    targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    config = LoraConfig(r=16, lora_alpha=32, target_modules=targets, task_type="CAUSAL_LM")
    model = get_peft_model(model, config)  # adapters fp32 (PEFT upcasts them)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    return model, optimizer


def autocast_for(mode: str):
    import torch

    if mode.endswith("autocast"):
        return lambda: torch.autocast("cpu", dtype=torch.bfloat16)
    return nullcontext


def batch(vocab: int, prompts: int, generations: int, prompt_tokens: int, completion: int):
    import torch

    gen = torch.Generator().manual_seed(0)
    rows = []
    for _ in range(prompts):
        prompt = torch.randint(10, vocab, (prompt_tokens,), generator=gen)
        for _ in range(generations):
            rows.append(torch.cat([prompt, torch.randint(10, vocab, (completion,), generator=gen)]))
    ids = torch.stack(rows)
    return ids, torch.ones_like(ids), prompt_tokens


def train_step(model, optimizer, ids, mask, keep, autocast) -> float:
    import torch

    from toolzero.training.shared_prefix import shared_prefix_logps

    start = time.perf_counter()
    with autocast():
        logps, _ = shared_prefix_logps(model, ids, mask, keep)
    loss = -(logps * torch.linspace(-1, 1, logps.size(0)).unsqueeze(1)).mean()
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return time.perf_counter() - start


def generate(model, ids, prompt_tokens, new_tokens, generations, autocast) -> float:
    import torch

    prompts = ids[::generations, :prompt_tokens].repeat_interleave(generations, 0)
    start = time.perf_counter()
    with torch.no_grad(), autocast():
        model.generate(
            input_ids=prompts,
            attention_mask=torch.ones_like(prompts),
            do_sample=True,
            max_new_tokens=new_tokens,
            min_new_tokens=new_tokens,
            pad_token_id=0,
        )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="gemma-3-270m", help="gemma-3-270m, tiny, or a path")
    parser.add_argument("--prompts", type=int, default=2)
    parser.add_argument("--generations", type=int, default=8)
    parser.add_argument("--prompt-tokens", type=int, default=220)
    parser.add_argument("--completion-tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()

    import torch

    from toolzero.machine import cpu_fast_bf16
    from toolzero.training.trainer import ignore_deprecated_checkpointing_alias

    ignore_deprecated_checkpointing_alias()  # peft reads a deprecated transformers name
    if args.threads:
        torch.set_num_threads(args.threads)
    print(
        f"CPU native bf16: {', '.join(cpu_fast_bf16()) or 'none (bf16 emulated: expect slow)'}; "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    )
    with tempfile.TemporaryDirectory() as folder:
        built = {mode: build(args.model, folder, mode) for mode in args.modes}
    vocab = next(iter(built.values()))[0].config.vocab_size
    ids, mask, keep = batch(
        vocab, args.prompts, args.generations, args.prompt_tokens, args.completion_tokens
    )
    keep = args.completion_tokens
    times: dict[str, dict[str, list[float]]] = {m: {"train": [], "generate": []} for m in built}
    for mode, (model, optimizer) in built.items():  # warm-up
        train_step(model, optimizer, ids, mask, keep, autocast_for(mode))
        generate(model, ids, args.prompt_tokens, 2, args.generations, autocast_for(mode))
    for _ in range(args.rounds):
        for mode, (model, optimizer) in built.items():
            cast = autocast_for(mode)
            times[mode]["train"].append(train_step(model, optimizer, ids, mask, keep, cast))
            times[mode]["generate"].append(
                generate(model, ids, args.prompt_tokens, args.completion_tokens, args.generations, cast)
            )
    base = {k: statistics.median(v) for k, v in times[args.modes[0]].items()}
    print(
        f"\n{args.model}: {args.prompts} prompts x {args.generations}, {args.prompt_tokens} + "
        f"{args.completion_tokens} tokens, LoRA r=16, median of {args.rounds} round(s)\n"
    )
    print(f"| mode | train step (s) | generation (s) | train vs {args.modes[0]} | generation vs {args.modes[0]} |")
    print("| --- | --- | --- | --- | --- |")
    for mode, t in times.items():
        train, gen = statistics.median(t["train"]), statistics.median(t["generate"])
        print(
            f"| {mode} | {train:.2f} | {gen:.2f} | {base['train'] / train:.2f}x | "
            f"{base['generate'] / gen:.2f}x |"
        )


if __name__ == "__main__":
    main()
