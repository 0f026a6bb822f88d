"""Turn a preset into what training engines call: TRL reward functions and verl's
`compute_score`.

TRL (`GRPOTrainer(reward_funcs=...)`): one function per component, named after it, so TRL
logs each component under `rewards/<name>/mean` and `/std`. The functions share one
`BatchScorer`: the first to see a batch scores every completion once with the whole preset
and the others read their component's value from that result, so a preset of N components
costs one scoring pass per batch, not N. Weights and ranges are applied here, from the
preset (a component's weight, possibly a schedule): leave TRL's `reward_weights` unset
(all 1). Each function reads the dataset column `reference` (and `tools`, the names on
offer, where the data has it) — or, for an episode preset, the rollout's `episode` field
(an `EpisodeRecord` per completion, see `toolzero.training.rollout`) — and the step and total steps from `trainer_state`
(`global_step`, `max_steps`); the first function also logs the schedule values in force
(`schedule/<component>.<param>`). No trainer import: any engine with the same calling
convention can use them.

verl: `compute_score(data_source, solution_str, ground_truth, extra_info)` returns a dict
with `score` (verl's key for the total) and every component; the preset, the step and the
tools on offer come from `extra_info` (`reward_preset`, `step`, `total_steps`, `tools`) or
the environment variable `TOOLZERO_REWARD_PRESET`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from toolzero.rewards.episode import EpisodeRecord
from toolzero.rewards.presets import RewardPreset, get_preset


def completion_text(completion: Any) -> str:
    """TRL passes plain strings, or chat lists like `[{"role": "assistant", "content": ...}]`."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list):
        return "".join(
            m.get("content") or "" if isinstance(m, dict) else str(m) for m in completion
        )
    if isinstance(completion, dict):
        return str(completion.get("content") or "")
    return "" if completion is None else str(completion)


def trl_reward_functions(
    preset: str | RewardPreset, prefill: str = "", reference_column: str = "reference"
) -> list[Callable[..., list[float]]]:
    """One TRL reward function per component of the preset, sharing one scoring pass.

    `prefill` is text the prompt already opened the answer with (e.g. `"<think>"`): it is
    put back in front of each completion so the reward sees the whole answer.
    """
    scorer = BatchScorer(get_preset(preset), prefill, reference_column)
    return [scorer.component_function(name) for name in scorer.preset.component_names]


class BatchScorer:
    """Scores a batch once for all of a preset's components; keeps the last batch's scores.

    The cache key is the batch's content (step, total steps, completions, references, tools
    on offer), not the order of calls: TRL calls the component functions one after another
    on the same batch, so the first scores and the rest read; a function called alone, or
    on another batch, scores that batch itself. Scores are a pure function of that key, so
    a hit returns exactly what scoring again would.
    """

    def __init__(self, preset: RewardPreset, prefill: str, reference_column: str) -> None:
        self.preset = preset
        self.prefill = prefill
        self.reference_column = reference_column
        self._key: tuple | None = None
        self._scores: list[dict[str, float]] = []

    def component_function(self, name: str) -> Callable[..., list[float]]:
        """TRL's reward function for one component (named after it, for TRL's logs)."""
        first = name == self.preset.component_names[0]

        def reward(
            prompts: list, completions: list, completion_ids: list | None = None, **kwargs: Any
        ) -> list[float]:
            if self.preset.scores_episodes:
                if "episode" not in kwargs:
                    raise KeyError(
                        f"reward {name!r} scores multi-turn episodes: it needs the rollout's "
                        "`episode` field (train with an environment: environment.name)"
                    )
            elif self.reference_column not in kwargs:
                raise KeyError(
                    f"reward {name!r} needs the dataset column {self.reference_column!r} "
                    f"(columns seen: {sorted(k for k in kwargs if k != 'trainer_state')})"
                )
            step, total = training_position(kwargs.get("trainer_state"))
            log_metric = kwargs.get("log_metric")
            if first and log_metric is not None:
                for key, value in self.preset.schedule_values(step, total).items():
                    log_metric(f"schedule/{key}", value)
            if self.preset.scores_episodes:
                scores = self.episode_scores(kwargs["episode"], step, total)
            else:
                references = kwargs[self.reference_column]
                scores = self.scores(completions, references, kwargs, step, total)
            return [s[name] for s in scores]

        reward.__name__ = reward.__qualname__ = name
        return reward

    def scores(
        self,
        completions: list,
        references: list[str],
        kwargs: dict[str, Any],
        step: int,
        total: int | None,
    ) -> list[dict[str, float]]:
        """Every component's value for each completion of the batch (scored once)."""
        texts = tuple(self.prefill + completion_text(c) for c in completions)
        offered = kwargs.get("tools") or [None] * len(references)
        tools = tuple(None if t is None else tuple(t) for t in offered)
        key = (step, total, texts, tuple(references), tools)
        if key != self._key:
            self._scores = [
                self.preset.score(text, ref, step, total, names)
                for text, ref, names in zip(texts, references, tools, strict=True)
            ]
            self._key = key
        return self._scores


    def episode_scores(
        self, episodes: list[EpisodeRecord], step: int, total: int | None
    ) -> list[dict[str, float]]:
        """Every component's value for each episode of the batch (scored once)."""
        key = (step, total, "episodes", tuple(episodes))
        if key != self._key:
            self._scores = [self.preset.score_episode(e, step, total) for e in episodes]
            self._key = key
        return self._scores


def training_position(trainer_state: Any) -> tuple[int, int | None]:
    """(step, total steps) from TRL's trainer state: the one source of both in training."""
    step = int(getattr(trainer_state, "global_step", 0) or 0)
    total = int(getattr(trainer_state, "max_steps", 0) or 0) or None
    return step, total


def verl_compute_score(
    data_source: str,
    solution_str: str,
    ground_truth: str,
    extra_info: dict[str, Any] | None = None,
) -> dict[str, float]:
    """verl's reward entry point; point `custom_reward_function.path` at this module.

    >>> ref = '<think> x </think>\\n<response> hi </response>'
    >>> verl_compute_score("rlla", ref, ref, {"reward_preset": "toolrl"})["score"]
    1.0
    """
    extra_info = extra_info or {}
    preset = get_preset(
        extra_info.get("reward_preset") or os.environ.get("TOOLZERO_REWARD_PRESET", "toolrl")
    )
    scores = preset.score(
        solution_str,
        ground_truth,
        step=int(extra_info.get("step", 0) or 0),
        total_steps=extra_info.get("total_steps"),
        tools=extra_info.get("tools"),
    )
    return {"score": scores.pop("total"), **scores}


compute_score = verl_compute_score
