"""The answer turn alone: given the right first call and its real result, how often does a
model's greedy answer pass the environment's outcome check, under each answer thought of
the compact episode example?

    python benchmarks/answer_turn_probe.py                      # Gemma-3-270M, 24 tasks a split
    python benchmarks/answer_turn_probe.py --thought "The result gives the answer." \\
        --thought "The result says the sunrise is 06:12."
    python benchmarks/answer_turn_probe.py --model tiny --n 2   # smoke run

For each of the first `--n` tasks of each split that fit in 2 turns (`fit_tasks`: one call
turn, then the answer), the episode is started in the environment, the reference's first
call is played as the model's first turn (thought "I call the tool."), its real result is
appended as training appends it (`observation_turn_text`), and the model writes the answer
turn (greedy, up to `--max-new-tokens`, the recipe's stop strings). The environment's own
rules judge the answer. This isolates what the worked example's answer thought does, which
a full episode mixes with the first call. Per thought and split: outcome successes, and
per task family. `protocol/compact_format.py` cites its figures for the shipped thought.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter

PREFILL = "<think>"
STOPS = ["</tool_call>", "</response>"]
FIRST_THOUGHT = " I call the tool. </think>\n"


def load(model_name: str, folder: str):
    from toolzero.models import load_model, load_tokenizer

    if model_name == "tiny":
        from toolzero.tiny_model import build_tiny_model

        model_name = str(build_tiny_model(f"{folder}/tiny"))
    tokenizer = load_tokenizer(model_name)
    tokenizer.padding_side = "left"
    return load_model(model_name, "float32").eval(), tokenizer


def answer_prompts(tokenizer, split: str, n: int) -> tuple[list, list[str]]:
    """(episodes after the reference first call, the prompts for their answer turns)."""
    from toolzero.environments.episode import play_turn, reference_trajectory, start_episode
    from toolzero.environments.registry import environment_tasks, make_environment
    from toolzero.protocol.chat import observation_turn_text, render_prompt

    environment = make_environment("synthetic_world")
    episodes, prompts = [], []
    for task in environment_tasks("synthetic_world", n, 0, split, max_turns=2):
        episode = start_episode(environment, task, PREFILL)
        calls = "\n".join(
            json.dumps({"name": c.name, "parameters": c.arguments})
            for c in reference_trajectory(task)[0]
        )
        first = f"{FIRST_THOUGHT}<tool_call>\n{calls}\n</tool_call>"
        shown = play_turn(episode, first)
        end, rest = observation_turn_text(tokenizer, shown or [], "compact", PREFILL)
        prompts.append(render_prompt(tokenizer, task, "compact", PREFILL) + first + end + rest)
        episodes.append(episode)
    return episodes, prompts


def answers(model, tokenizer, prompts: list[str], max_new_tokens: int, batch: int) -> list[str]:
    import torch

    out: list[str] = []
    for i in range(0, len(prompts), batch):
        enc = tokenizer(prompts[i : i + batch], return_tensors="pt", padding=True,
                        add_special_tokens=False)  # fmt: skip
        with torch.no_grad():
            ids = model.generate(
                **enc, max_new_tokens=max_new_tokens, do_sample=False, stop_strings=STOPS,
                tokenizer=tokenizer, pad_token_id=tokenizer.pad_token_id,
            )  # fmt: skip
        out += tokenizer.batch_decode(ids[:, enc["input_ids"].shape[1] :], skip_special_tokens=True)
    return out


def probe(model, tokenizer, thought: str, split: str, args: argparse.Namespace) -> str:
    from toolzero.environments.episode import play_turn
    from toolzero.protocol import compact_format

    shipped = compact_format.EPISODE_EXAMPLE
    answer_thought = shipped.split("</tool_call>\n", 1)[1].split("\n")[1]  # "<think> ... </think>"
    compact_format.EPISODE_EXAMPLE = shipped.replace(answer_thought, f"<think> {thought} </think>")
    try:
        start = time.perf_counter()
        episodes, prompts = answer_prompts(tokenizer, split, args.n)
        passed: Counter[str] = Counter()
        seen: Counter[str] = Counter()
        for episode, text in zip(
            episodes, answers(model, tokenizer, prompts, args.max_new_tokens, args.batch), strict=True
        ):
            play_turn(episode, text, last=True)
            family = episode.example.metadata["family"]
            seen[family] += 1
            passed[family] += episode.outcome().success
    finally:
        compact_format.EPISODE_EXAMPLE = shipped
    families = ", ".join(f"{f} {passed[f]}/{seen[f]}" for f in sorted(seen))
    return (
        f"{thought!r} {split}: {sum(passed.values())}/{len(episodes)} outcome checks passed "
        f"({families}; {time.perf_counter() - start:.0f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="gemma-3-270m", help="gemma-3-270m, tiny, or a path")
    parser.add_argument("--thought", action="append", help="an answer thought to try (repeat)")
    parser.add_argument("--split", action="append", choices=("heldout", "train"))
    parser.add_argument("--n", type=int, default=24, help="tasks per split")
    parser.add_argument("--max-new-tokens", type=int, default=60)
    parser.add_argument("--batch", type=int, default=8)
    args = parser.parse_args()
    thoughts = args.thought or ["The result gives the answer.", "The result says the sunrise is 06:12."]
    with tempfile.TemporaryDirectory() as folder:
        model, tokenizer = load(args.model, folder)
        for thought in thoughts:
            for split in args.split or ["heldout", "train"]:
                print(probe(model, tokenizer, thought, split, args), flush=True)


if __name__ == "__main__":
    main()
