"""Multi-turn rollouts inside TRL's GRPOTrainer: generate, execute the calls, show the
results, continue — with the results' tokens masked out of the loss.

`EnvironmentRollout` is a trl 1.16 `rollout_func`. For a batch of prompts (each repeated
`num_generations` times, as TRL samples them) it plays one episode per completion:

1. the first turn is generated with the trainer's own `_generate_single_turn` for the whole
   batch (so the same path as single-turn training: stop strings that end the turn,
   shared-prefix prefill, mixed precision, vLLM when `grpo.use_vllm`), each later turn for
   the episodes still running, from `prompt + everything so far`;
2. each turn is read and its calls executed by `toolzero.environments.episode`
   (`play_turns`: concurrently; errors become observations, never exceptions);
3. the results are appended in the protocol's form (`observation_turn_text`): a turn cut
   from the model's chat template (`toolrl`: `<end_of_turn>\\n<start_of_turn>user\\n<obs>
   ...</obs><end_of_turn>\\n<start_of_turn>model\\n<think>`; `native`: the `tool` role), or
   inline in the model's turn (`compact`: `</tool_call>\\nTool result: ...\\n<think>`, the
   end-of-turn id appended at the stop string taken off), with `env_mask` 0 on those
   tokens: TRL multiplies its loss mask by it, so observation tokens never enter the loss
   and do not count as completion length;
4. until a turn without calls (the answer), `max_turns`, or the token budget
   (`grpo.max_completion_length` for the whole episode, observations included; a turn
   gets at most `max_turn_tokens` of it, on the transformers and the vLLM path alike).

It returns TRL's fields (`prompt_ids`, `completion_ids`, `logprobs`, `env_mask`) and
`episode`: one `EpisodeRecord` per completion, which episode reward presets read. With
`max_turns: 1` nothing runs and the completions are exactly the single-turn path's (same
ids from the same random state; tested, losses and gradients included).

The rows TRL sampled (their `example_id`, which names the task and so its world) are
not passed to a `rollout_func`; `ToolzeroGRPOTrainer` keeps them in `rollout_rows` for it.
Metrics, logged by TRL with the rest (`env/...`): turns, calls, failed calls, sandbox
stops, tool seconds, the observation share of completion tokens, how episodes ended,
outcome success and score.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from toolzero.environments.base import Environment
from toolzero.environments.episode import (
    ENDINGS,
    Episode,
    episode_record,
    play_turns,
    start_episode,
)
from toolzero.protocol.chat import INLINE_RESULT_PROTOCOLS, observation_turn_text
from toolzero.protocol.types import Example


class EnvironmentRollout:
    """A trl `rollout_func` playing multi-turn episodes in `environment`."""

    def __init__(
        self,
        environment: Environment,
        examples: Sequence[Example],
        protocol: str,
        prefill: str = "",
        max_turns: int = 4,
        max_turn_tokens: int | None = None,
        workers: int = 8,
    ) -> None:
        self.environment = environment
        self.examples: Mapping[str, Example] = {e.id: e for e in examples}
        self.protocol = protocol
        self.prefill = prefill
        self.max_turns = max_turns
        self.max_turn_tokens = max_turn_tokens
        self.workers = workers

    def __call__(self, prompts: list[Any], trainer: Any) -> dict[str, Any]:
        started = time.perf_counter()
        rows = getattr(trainer, "rollout_rows", None)
        if rows is None or len(rows) != len(prompts):
            raise RuntimeError("EnvironmentRollout needs ToolzeroGRPOTrainer (its rollout_rows)")
        episodes = [
            start_episode(self.environment, self._example(row), self.prefill) for row in rows
        ]
        prompt_ids, _, _ = trainer._tokenize_prompts(prompts)
        budget = trainer.max_completion_length
        completion_ids: list[list[int]] = [[] for _ in prompts]
        env_mask: list[list[int]] = [[] for _ in prompts]
        logprobs: list[list[float]] | None = [[] for _ in prompts]
        ends = turn_end_ids(trainer)
        tokenizer = trainer.processing_class
        active = list(range(len(prompts)))
        for turn in range(self.max_turns):
            remaining = max(budget - len(completion_ids[i]) for i in active)
            cap = min(remaining, self.max_turn_tokens or remaining)
            contexts = [prompt_ids[i] + completion_ids[i] for i in active]
            group = group_size(trainer) if turn == 0 else 1
            with turn_cap(trainer, cap):
                new_ids, new_logprobs = trainer._generate_single_turn(contexts, None, {}, group)
            turn_ids = []
            for k, i in enumerate(active):
                ids = list(new_ids[k])[: min(cap, budget - len(completion_ids[i]))]
                turn_ids.append(ids)
                completion_ids[i] += ids
                env_mask[i] += [1] * len(ids)
                if new_logprobs is None:
                    logprobs = None
                elif logprobs is not None:
                    logprobs[i] += list(new_logprobs[k])[: len(ids)]
            truncated = [not ids or ids[-1] not in ends for ids in turn_ids]
            texts = tokenizer.batch_decode(turn_ids, skip_special_tokens=True)
            last = turn == self.max_turns - 1
            results = play_turns(
                [episodes[i] for i in active], texts, last, truncated, self.workers
            )
            still = []
            for i, shown in zip(active, results, strict=True):
                if shown is None:
                    continue
                end_text, rest = observation_turn_text(
                    tokenizer, shown, self.protocol, self.prefill
                )
                if self.protocol in INLINE_RESULT_PROTOCOLS:
                    drop_turn_end(i, completion_ids, env_mask, logprobs, ends)
                    text = rest  # the results continue the model's turn
                else:
                    text = rest if completion_ids[i][-1] in ends else end_text + rest
                obs = tokenizer(text, add_special_tokens=False)["input_ids"]
                room = budget - len(completion_ids[i])
                if len(obs) >= room:  # no room left for the model to answer
                    episodes[i].ended = "budget"
                    obs = obs[:room]
                completion_ids[i] += obs
                env_mask[i] += [0] * len(obs)
                if logprobs is not None:
                    logprobs[i] += [0.0] * len(obs)
                if episodes[i].ended is None:
                    still.append(i)
            active = still
            if not active:
                break
        for episode in episodes:  # ran out of turns while results were still to be shown
            episode.ended = episode.ended or "max_turns"
        log_metrics(trainer, episodes, env_mask, time.perf_counter() - started)
        return {
            "prompt_ids": prompt_ids,
            "completion_ids": completion_ids,
            "logprobs": logprobs,
            "env_mask": env_mask,
            "episode": [episode_record(e) for e in episodes],
        }

    def _example(self, row: Mapping[str, Any]) -> Example:
        key = row.get("example_id")
        try:
            return self.examples[key]
        except KeyError:
            raise KeyError(
                f"rollout: no task with example_id {key!r}; the prompt dataset and the "
                "rollout must come from the same examples"
            ) from None


def group_size(trainer: Any) -> int:
    return trainer.num_generations if trainer.model.training else trainer.num_generations_eval


def drop_turn_end(
    i: int,
    completion_ids: list[list[int]],
    env_mask: list[list[int]],
    logprobs: list[list[float]] | None,
    ends: set[int],
) -> None:
    """Take the end-of-turn id off episode `i`'s last turn (the one appended after its
    call block's stop string): under an inline protocol the results follow `</tool_call>`
    inside the same turn, as the prompt's worked example and the evaluation loop show them,
    so the model must not be trained to end its turn there."""
    if completion_ids[i] and completion_ids[i][-1] in ends and env_mask[i][-1] == 1:
        completion_ids[i].pop()
        env_mask[i].pop()
        if logprobs is not None and logprobs[i]:
            logprobs[i].pop()


def turn_end_ids(trainer: Any) -> set[int]:
    """Ids that end a model turn: eos ids (end-of-turn included, see `stopping`)."""
    ids = set(trainer.eos_token_ids)
    if getattr(trainer, "turn_end", None) is not None:
        ids.add(trainer.turn_end)
    return ids


@contextmanager
def turn_cap(trainer: Any, tokens: int):  # type: ignore[no-untyped-def]
    """Generate at most `tokens` new tokens in this call: transformers' generation config,
    or trl's vLLM generator (both are read when a generation starts)."""
    if trainer.use_vllm:
        target, attribute = getattr(trainer, "vllm_generation", None), "max_completion_length"
    else:
        target, attribute = getattr(trainer, "generation_config", None), "max_new_tokens"
    if target is None or not hasattr(target, attribute):
        yield
        return
    before = getattr(target, attribute)
    setattr(target, attribute, tokens)
    try:
        yield
    finally:
        setattr(target, attribute, before)


def log_metrics(
    trainer: Any, episodes: Sequence[Episode], env_mask: Sequence[Sequence[int]], seconds: float
) -> None:
    """Per-step episode statistics into TRL's metrics (means over this process's batch)."""
    n = max(len(episodes), 1)
    tokens = sum(len(m) for m in env_mask)
    observed = sum(len(m) - sum(m) for m in env_mask)
    mode = "train" if trainer.model.training else "eval"
    metrics = trainer._metrics[mode]
    values = {
        "env/turns": sum(len(e.turns) for e in episodes) / n,
        "env/calls": sum(e.calls for e in episodes) / n,
        "env/failed_calls": sum(e.failed_calls for e in episodes) / n,
        "env/sandbox_stops": sum(e.sandbox_stops for e in episodes) / n,
        "env/tool_time_s": sum(e.tool_time_s for e in episodes),
        "env/observation_token_share": observed / max(tokens, 1),
        "env/outcome_success": sum(e.outcome().success for e in episodes) / n,
        "env/outcome_score": sum(e.outcome().score for e in episodes) / n,
        "env/rollout_s": seconds,
        **{f"env/ended_{end}": sum(e.ended == end for e in episodes) / n for end in ENDINGS},
    }
    for key, value in values.items():
        metrics[key].append(value)


__all__ = [
    "EnvironmentRollout",
    "drop_turn_end",
    "group_size",
    "log_metrics",
    "turn_cap",
    "turn_end_ids",
]
