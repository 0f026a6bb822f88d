"""Reward presets: named lists of components with their ranges, weights and schedules.

A component is a pure function `f(completion, reference, **params) -> float`; a preset
binds each to its parameters (numbers or schedules), a weight (number or schedule), and the
way references are read. The total reward is the sum of weighted components, each logged
under its own name.

The `toolrl*`, `tool-zero` and `tool-n1` presets reproduce the papers exactly (within what
their papers define: see each component's module); `toolzero` is our recommended default,
with every improvement on and its dynamic scale tied to the fraction of training done.
Any preset can be changed from a recipe (`build_preset`), so ablations need no code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from toolzero.errors import ConfigError
from toolzero.rewards.correctness import correctness_reward
from toolzero.rewards.episode import EPISODE_FUNCTIONS, EpisodeRecord
from toolzero.rewards.format import format_reward, partial_format_reward
from toolzero.rewards.grounding import grounding_reward
from toolzero.rewards.inputs import Completion, ReferenceMode, read_reference
from toolzero.rewards.length import length_reward
from toolzero.rewards.schedules import Linear, Schedule, Sigmoid, TwoStage, as_schedule
from toolzero.rewards.tool_n1 import binary_reward
from toolzero.rewards.tool_zero import (
    COLLABORATION_BONUS,
    WRONG_VALUE_PENALTY,
    general_tool_reward,
    strict_tool_reward,
    think_answer_format_reward,
)

# The component functions a recipe can name.
FUNCTIONS: dict[str, Callable[..., float]] = {
    "format": format_reward,
    "partial_format": partial_format_reward,
    "correctness": correctness_reward,
    "grounding": grounding_reward,
    "length": length_reward,
    "think_answer_format": think_answer_format_reward,
    "general_tool": general_tool_reward,
    "strict_tool": strict_tool_reward,
    "binary": binary_reward,
}
# The range of functions whose range is set by their definition rather than by `low` and
# `high` parameters (Tool-Zero's r_general and r_strict), logged beside the others so the
# report can show every component as a share of its range.
FIXED_RANGES: dict[str, tuple[float, float]] = {
    "general_tool": (-0.5, 0.5),
    "strict_tool": (-WRONG_VALUE_PENALTY, 1.0 + COLLABORATION_BONUS),
}
# Every component function a recipe can name: the text ones above, and the ones scoring
# a whole multi-turn episode (`toolzero.rewards.episode`). A preset uses one kind.
ALL_FUNCTIONS: dict[str, Callable[..., float]] = {**FUNCTIONS, **EPISODE_FUNCTIONS}


@dataclass(frozen=True)
class Component:
    """One named reward term: `weight · function(completion, reference, **params)`."""

    name: str
    function: str
    params: Mapping[str, Any] = field(default_factory=dict)
    weight: Any = 1.0

    def resolve(self, step: int, total_steps: int | None) -> tuple[dict[str, Any], float]:
        """The parameters and weight in force at this step."""
        params = {
            k: (v(step, total_steps) if _is_schedule(v) else v) for k, v in self.params.items()
        }
        weight = self.weight(step, total_steps) if _is_schedule(self.weight) else self.weight
        return params, float(weight)


def _is_schedule(value: Any) -> bool:
    return callable(value) and hasattr(value, "kind")


@dataclass(frozen=True)
class RewardPreset:
    """A named reward design. `score` returns each weighted component and their `total`."""

    name: str
    description: str
    components: tuple[Component, ...]
    reference_mode: ReferenceMode = "robust"
    _resolved: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    @property
    def component_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.components)

    @property
    def scores_episodes(self) -> bool:
        """True when the components score multi-turn episodes (see `score_episode`)."""
        return any(c.function in EPISODE_FUNCTIONS for c in self.components)

    def score_episode(
        self, episode: EpisodeRecord, step: int = 0, total_steps: int | None = None
    ) -> dict[str, float]:
        """Score one multi-turn episode: each weighted component and their `total`.

        >>> get_preset("episode-outcome").score_episode(EpisodeRecord(("...",), outcome_score=1.0))
        {'outcome': 1.0, 'total': 1.0}
        """
        if not self.scores_episodes:
            raise ValueError(f"preset {self.name!r} scores single completions; use score()")
        out: dict[str, float] = {}
        for name, function, params, weight in self._in_force(step, total_steps):
            out[name] = weight * function(episode, **params)
        out["total"] = sum(out.values())
        return out

    def score(
        self,
        completion: str,
        reference: str,
        step: int = 0,
        total_steps: int | None = None,
        tools: Sequence[str] | None = None,
    ) -> dict[str, float]:
        """Score one completion against one reference text (ToolRL format).

        `tools` names the tools the prompt offered (read by `grounding`; where unknown,
        the reference's own tools count as offered).

        >>> ref = '<think> x </think>\\n<tool_call>\\n{"name": "f", "parameters": {"a": 1}}\\n</tool_call>'
        >>> get_preset("toolrl").score(ref, ref)
        {'format': 1.0, 'correctness': 3.0, 'total': 4.0}
        """
        if self.scores_episodes:
            raise ValueError(
                f"preset {self.name!r} scores multi-turn episodes; use score_episode()"
            )
        comp = completion_for(completion)
        ref = read_reference(reference, self.reference_mode, tools)
        out: dict[str, float] = {}
        for name, function, params, weight in self._in_force(step, total_steps):
            out[name] = weight * function(comp, ref, **params)
        out["total"] = sum(out.values())
        return out

    def _in_force(self, step: int, total_steps: int | None) -> list[tuple]:
        """(name, function, params, weight) per component at this step, memoised."""
        key = (step, total_steps)
        resolved = self._resolved.get(key)
        if resolved is None:
            if len(self._resolved) > 4096:
                self._resolved.clear()
            resolved = [
                (c.name, ALL_FUNCTIONS[c.function], *c.resolve(step, total_steps))
                for c in self.components
            ]
            self._resolved[key] = resolved
        return resolved

    def schedule_values(self, step: int, total_steps: int | None = None) -> dict[str, float]:
        """Every numeric parameter and weight in force, as `component.param`; for a function
        with a fixed range (`FIXED_RANGES`), that range as `component.low` / `.high`."""
        values: dict[str, float] = {}
        for component in self.components:
            params, weight = component.resolve(step, total_steps)
            values[f"{component.name}.weight"] = weight
            if component.function in FIXED_RANGES:
                low, high = FIXED_RANGES[component.function]
                values[f"{component.name}.low"], values[f"{component.name}.high"] = low, high
            for key, value in params.items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    values[f"{component.name}.{key}"] = float(value)
        return values


@lru_cache(maxsize=8192)
def completion_for(text: str) -> Completion:
    """A shared `Completion` per text, so components score one parse between them."""
    return Completion(text)


def _toolrl(name: str, description: str, **correctness: Any) -> RewardPreset:
    return RewardPreset(
        name,
        description,
        (
            Component("format", "format", {"low": 0.0, "high": 1.0}),
            Component("correctness", "correctness", {"low": -3.0, "high": 3.0, **correctness}),
        ),
        reference_mode="toolrl",
    )


def _with(preset: RewardPreset, name: str, description: str, **changes: dict) -> RewardPreset:
    comps = []
    for c in preset.components:
        comps.append(replace(c, params={**c.params, **changes.get(c.name, {})}))
    return replace(preset, name=name, description=description, components=tuple(comps))


def _make_presets() -> dict[str, RewardPreset]:
    base = _toolrl("toolrl", "ToolRL's default: format {0,1} + fine-grained correctness [-3,3].")
    step = "step"
    presets = [
        base,
        _toolrl(
            "toolrl-intermediate", "ToolRL, intermediate granularity.", granularity="intermediate"
        ),
        _toolrl("toolrl-coarse", "ToolRL, coarse granularity.", granularity="coarse"),
        _toolrl(
            "toolrl-refined", "ToolRL with its 'refined' binary name/key matching.", refined=True
        ),
        _with(
            base,
            "toolrl-equalmax",
            "ToolRL, correctness range [-1, 1] (equal max).",
            correctness={"low": -1.0, "high": 1.0},
        ),
        _with(
            base,
            "toolrl-twostage",
            "ToolRL two-stage: correctness /3 before step 30, format halved from step 30.",
            format={"high": TwoStage(1.0, 0.5, at=30, unit=step)},
            correctness={
                "low": TwoStage(-1.0, -3.0, at=30, unit=step),
                "high": TwoStage(1.0, 3.0, at=30, unit=step),
            },
        ),
        _with(
            base,
            "toolrl-dynamic",
            "ToolRL dynamic scale on the raw step, T=150: format [-2,2]->[-1,1], "
            "correctness [-2,2]->[-3,3].",
            format={
                "low": Linear(-2.0, -1.0, until=75, unit=step),
                "high": Linear(2.0, 1.0, until=150, unit=step),
            },
            correctness={
                "low": Linear(-2.0, -3.0, until=150, unit=step),
                "high": Linear(2.0, 3.0, until=150, unit=step),
            },
        ),
        replace(
            base,
            name="toolrl-length",
            description="ToolRL + length reward (think words / 512, in [0, 1]).",
            components=(
                *base.components,
                Component("length", "length", {"low": 0.0, "high": 1.0, "target_words": 512.0}),
            ),
        ),
        replace(
            base,
            name="toolrl-length-dynamic",
            description="ToolRL + length reward with target 384 + 256 * step / 105.",
            components=(
                *base.components,
                Component(
                    "length",
                    "length",
                    {
                        "low": 0.0,
                        "high": 1.0,
                        "target_words": Linear(384.0, 640.0, until=105, unit=step, clamp=False),
                    },
                ),
            ),
        ),
        RewardPreset(
            "tool-zero",
            "Tool-Zero: format + sigmoid mix of r_general and r_strict (kappa 0.1, m 25 steps).",
            (
                Component("format", "think_answer_format", {"low": 0.0, "high": 1.0}),
                Component(
                    "tool_general",
                    "general_tool",
                    {},
                    Sigmoid(0.1, 25.0, low=1.0, high=0.0, unit=step),
                ),
                Component("tool_strict", "strict_tool", {}, Sigmoid(0.1, 25.0, unit=step)),
            ),
        ),
        RewardPreset(
            "tool-n1",
            "Tool-N1's binary reward: thought + exact call multiset.",
            (Component("binary", "binary", {"low": 0.0, "high": 1.0}),),
        ),
        RewardPreset(
            "episode",
            "Multi-turn episodes: the environment's outcome (share of checks passed), "
            "ToolRL's format and correctness per turn against the reference trajectory, "
            "and a cost for failed or extra calls.",
            (
                Component("outcome", "outcome", {"low": 0.0, "high": 1.0, "partial": True}),
                Component("turn_format", "turn_format", {"partial": True}, 0.25),
                Component(
                    "turn_correctness",
                    "turn_correctness",
                    {"low": 0.0, "high": 1.0, "parser": "robust", "matching": "optimal",
                     "values": "normalized"},
                    0.5,
                ),
                Component("call_cost", "call_cost", {"per_failed": 0.1, "per_extra": 0.05}),
            ),
        ),
        RewardPreset(
            "episode-outcome",
            "Multi-turn episodes, outcome only: 1 when every check of the environment "
            "passed, else the share passed.",
            (Component("outcome", "outcome", {"low": 0.0, "high": 1.0, "partial": True}),),
        ),
        RewardPreset(
            "toolzero",
            "Recommended: partial-credit format, robust fine-grained correctness with optimal "
            "matching, normalised values and a spurious-call penalty, and grounding (calls name "
            "offered tools); ToolRL's dynamic scale over the fraction of training done.",
            (
                Component(
                    "format", "partial_format", {"low": 0.0, "high": Linear(2.0, 1.0, until=1.0)}
                ),
                Component(
                    "correctness",
                    "correctness",
                    {
                        "low": Linear(-2.0, -3.0, until=1.0),
                        "high": Linear(2.0, 3.0, until=1.0),
                        "parser": "robust",
                        "matching": "optimal",
                        "values": "normalized",
                        "penalize_spurious_calls": True,
                    },
                ),
                Component("grounding", "grounding", {"low": 0.0, "high": 1.0}),
            ),
        ),
    ]
    return {p.name: p for p in presets}


PRESETS: dict[str, RewardPreset] = _make_presets()
# Presets that score one completion against a reference (every engine, `toolzero reward`);
# those scoring multi-turn episodes (training with an environment) are listed apart.
PRESET_NAMES: tuple[str, ...] = tuple(n for n, p in PRESETS.items() if not p.scores_episodes)
EPISODE_PRESET_NAMES: tuple[str, ...] = tuple(n for n, p in PRESETS.items() if p.scores_episodes)


def get_preset(name: str | RewardPreset) -> RewardPreset:
    """A preset by name (or the preset itself)."""
    if isinstance(name, RewardPreset):
        return name
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(
            f"unknown reward preset {name!r}; choose one of: {', '.join(PRESETS)}"
        ) from None


def build_preset(config: Mapping[str, Any]) -> RewardPreset:
    """A preset from a recipe's `reward:` section: a base preset plus changes.

        reward:
          preset: toolrl
          reference_mode: robust            # optional
          remove: [length]                   # optional
          components:                        # change or add components
            correctness: {matching: optimal, high: {kind: linear, start: 2, end: 3}}
            length: {function: length, target_words: 256, weight: 0.5}

    A component's `weight` (a number or a schedule) is the one place weights are set.
    Raises `ConfigError` whose `problems` list every problem at once, one per field.
    """
    name = config.get("preset", "toolzero")
    if name not in PRESETS:
        raise ConfigError(
            [f"reward.preset: {name!r} is unknown; choose one of {', '.join(PRESETS)}"],
            "reward",
        )
    base = PRESETS[name]
    problems: list[str] = []
    comps = {c.name: c for c in base.components}
    for removed in config.get("remove", []) or []:
        if comps.pop(removed, None) is None:
            problems.append(f"reward.remove: {removed!r} is not a component of {base.name!r}")
    for comp_name, changes in (config.get("components") or {}).items():
        component = _changed_component(comps.get(comp_name), comp_name, changes, problems)
        if component is not None:
            comps[comp_name] = component
    mode = config.get("reference_mode", base.reference_mode)
    if mode not in ("toolrl", "robust"):
        problems.append(f"reward.reference_mode: {mode!r}; use 'toolrl' or 'robust'")
    if not comps:
        problems.append("reward: no components left")
    kinds = {c.function in EPISODE_FUNCTIONS for c in comps.values()}
    if len(kinds) > 1:
        problems.append(
            "reward.components: mixes episode components "
            f"({', '.join(sorted(EPISODE_FUNCTIONS))}) with single-completion ones; "
            "a preset scores one or the other"
        )
    preset = replace(base, components=tuple(comps.values()), reference_mode=mode)
    problems += _param_problems(preset)
    if problems:
        raise ConfigError(problems, "reward")
    return preset


def _changed_component(
    current: Component | None, name: str, changes: Any, problems: list[str]
) -> Component | None:
    """`current` (None for a new component) with a recipe's changes, or None on a problem."""
    if not isinstance(changes, Mapping):
        problems.append(f"reward.components.{name}: expected a mapping of parameters")
        return None
    changes = dict(changes)
    function = changes.pop("function", current.function if current else None)
    if function not in ALL_FUNCTIONS:
        problems.append(
            f"reward.components.{name}.function: {function!r} unknown; "
            f"choose one of {sorted(ALL_FUNCTIONS)}"
        )
        return None
    weight = changes.pop("weight", current.weight if current else 1.0)
    params = dict(current.params) if current else {}
    for key, value in changes.items():
        try:
            params[key] = (
                as_schedule(value)
                if isinstance(value, int | float | dict) and not isinstance(value, bool)
                else value
            )
        except ValueError as exc:
            problems.append(f"reward.components.{name}.{key}: {exc}")
    try:
        weight = as_schedule(weight)
    except ValueError as exc:
        problems.append(f"reward.components.{name}.weight: {exc}")
    return Component(name, function, params, weight)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _param_problems(preset: RewardPreset) -> list[str]:
    """Parameters a component's function does not take, and text where it takes a number,
    so a typo fails before training rather than at the first scored batch."""
    import inspect

    problems = []
    for c in preset.components:
        signature = inspect.signature(ALL_FUNCTIONS[c.function]).parameters
        accepted = set(signature) - {"completion", "reference", "episode", "params"}
        takes_any = any(p.kind is p.VAR_KEYWORD for p in signature.values())
        for key, value in c.params.items():
            if key not in accepted and not takes_any:
                problems.append(
                    f"reward.components.{c.name}.{key}: not a parameter of "
                    f"{c.function!r} (accepted: {sorted(accepted)})"
                )
            elif (
                key in signature
                and _is_number(signature[key].default)
                and not (_is_number(value) or _is_schedule(value))
            ):
                problems.append(
                    f"reward.components.{c.name}.{key}: expected a number or a schedule, "
                    f"got {value!r}"
                )
            elif key in signature and isinstance(signature[key].default, bool) and not (
                isinstance(value, bool)
            ):
                problems.append(
                    f"reward.components.{c.name}.{key}: expected true or false, got {value!r}"
                )
    return problems


__all__ = [
    "ALL_FUNCTIONS",
    "EPISODE_PRESET_NAMES",
    "FUNCTIONS",
    "PRESETS",
    "PRESET_NAMES",
    "Component",
    "RewardPreset",
    "Schedule",
    "build_preset",
    "get_preset",
]
