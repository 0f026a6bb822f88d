"""Turn a preset into what training engines call: TRL reward functions and verl's
`compute_score`.

TRL (`GRPOTrainer(reward_funcs=...)`): one function per component, named after it, so TRL
logs each component's mean under `rewards/<name>/mean`; keep `reward_weights` at 1.0, since
weights and ranges are applied here from the preset's schedules. Each function reads the
dataset column `reference` (and `tools`, the names on offer, where the data has it) and the
step from `trainer_state`; the first one also logs the
schedule values in force (`schedule/<component>.<param>`). No trainer import: any engine
with the same calling convention can use them.

verl: `compute_score(data_source, solution_str, ground_truth, extra_info)` returns a dict
with `score` (verl's key for the total) and every component; the preset, the step and the
tools on offer come from `extra_info` (`reward_preset`, `step`, `total_steps`, `tools`) or
the environment variable `TOOLZERO_REWARD_PRESET`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

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
    preset: str | RewardPreset,
    total_steps: int | None,
    prefill: str = "",
    reference_column: str = "reference",
) -> list[Callable[..., list[float]]]:
    """One TRL reward function per component of the preset.

    `prefill` is text the prompt already opened the answer with (e.g. `"<think>"`): it is
    put back in front of each completion so the reward sees the whole answer.
    """
    preset = get_preset(preset)
    functions = []
    for index, component in enumerate(preset.components):
        functions.append(_component_function(preset, index, total_steps, prefill, reference_column))
        functions[-1].__name__ = component.name
        functions[-1].__qualname__ = component.name
    return functions


def _component_function(preset, index, total_steps, prefill, reference_column):
    name = preset.components[index].name

    def reward(
        prompts: list, completions: list, completion_ids: list | None = None, **kwargs: Any
    ) -> list[float]:
        if reference_column not in kwargs:
            raise KeyError(
                f"reward {name!r} needs the dataset column {reference_column!r} "
                f"(columns seen: {sorted(k for k in kwargs if k != 'trainer_state')})"
            )
        state = kwargs.get("trainer_state")
        step = int(getattr(state, "global_step", 0) or 0)
        total = total_steps or int(getattr(state, "max_steps", 0) or 0) or None
        log_metric = kwargs.get("log_metric")
        if index == 0 and log_metric is not None:
            for key, value in preset.schedule_values(step, total).items():
                log_metric(f"schedule/{key}", value)
        references = kwargs[reference_column]
        offered = kwargs.get("tools") or [None] * len(references)
        return [
            preset.score(prefill + completion_text(c), ref, step, total, tools)[name]
            for c, ref, tools in zip(completions, references, offered, strict=True)
        ]

    return reward


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
