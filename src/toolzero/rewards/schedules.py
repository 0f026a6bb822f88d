"""Schedules: a reward parameter (a range end, a weight, a target) as a function of training.

Every schedule reads the position in training in one of two units:
- `fraction`: step / total_steps, from 0 to 1. The same recipe then behaves the same for a
  20-step CPU run and a 2,000-step GPU run. Our presets use it.
- `step`: the raw optimizer step, for exact reproduction of the papers' constants
  (ToolRL's dynamic scale with T = 150, Tool-Zero's sigmoid with m = 25).

Schedules are pure functions of (step, total_steps), so every rank of a distributed run
computes the same value at the same step with no communication. In training both come from
TRL's trainer state: `step` is `global_step` (optimizer steps done) and `total_steps` is
`max_steps`, which toolzero sets once, from `grpo.max_steps` or the epochs (see
`toolzero.training.trainer.total_steps`); the reward functions and the metrics log read
them there and nowhere else.

In a recipe, a number is a constant and a mapping names a kind:

    high: {kind: linear, start: 2, end: 1, until: 1.0}            # fraction by default
    weight: {kind: sigmoid, kappa: 0.1, midpoint: 25, unit: step}
    high: {kind: two_stage, before: 1, after: 3, at: 30, unit: step}
    weight: {kind: piecewise, points: [[0, 0], [0.2, 1], [1, 1]]}
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Literal

Unit = Literal["fraction", "step"]


def position(step: int, total_steps: int | None, unit: Unit) -> float:
    """Where training is, in the schedule's unit."""
    if unit == "step":
        return float(step)
    if unit != "fraction":
        raise ValueError(f"schedule unit must be 'fraction' or 'step', got {unit!r}")
    if not total_steps:
        if step == 0:
            return 0.0
        raise ValueError(
            "a fraction-based schedule needs total_steps (pass --total-steps, or use unit: step)"
        )
    return min(max(step / total_steps, 0.0), 1.0)


@dataclass(frozen=True)
class Constant:
    value: float
    kind: str = "constant"

    def __call__(self, step: int = 0, total_steps: int | None = None) -> float:
        return float(self.value)


@dataclass(frozen=True)
class TwoStage:
    """`before` until `at`, then `after` (ToolRL's two-stage scale: at = step 30)."""

    before: float
    after: float
    at: float
    unit: Unit = "fraction"
    kind: str = "two_stage"

    def __call__(self, step: int = 0, total_steps: int | None = None) -> float:
        return float(
            self.after if position(step, total_steps, self.unit) >= self.at else self.before
        )


@dataclass(frozen=True)
class Linear:
    """`start` at `begin`, `end` at `until`, linear between; held outside unless `clamp` is off.

    >>> Linear(2, 1, until=150, unit="step")(75)
    1.5
    """

    start: float
    end: float
    until: float = 1.0
    begin: float = 0.0
    unit: Unit = "fraction"
    clamp: bool = True
    kind: str = "linear"

    def __call__(self, step: int = 0, total_steps: int | None = None) -> float:
        x = position(step, total_steps, self.unit)
        span = self.until - self.begin
        t = (x - self.begin) / span if span else 1.0
        if self.clamp:
            t = min(max(t, 0.0), 1.0)
        return float(self.start + (self.end - self.start) * t)


@dataclass(frozen=True)
class Sigmoid:
    """`low + (high − low) · σ(κ(x − midpoint))`; Tool-Zero's mixing weight (κ 0.1, m 25).

    >>> round(Sigmoid(kappa=0.1, midpoint=25, unit="step")(25), 3)
    0.5
    """

    kappa: float
    midpoint: float
    low: float = 0.0
    high: float = 1.0
    unit: Unit = "fraction"
    kind: str = "sigmoid"

    def __call__(self, step: int = 0, total_steps: int | None = None) -> float:
        z = -self.kappa * (position(step, total_steps, self.unit) - self.midpoint)
        sigma = 1.0 / (1.0 + math.exp(z)) if z < 700 else 0.0
        return float(self.low + (self.high - self.low) * sigma)


@dataclass(frozen=True)
class Piecewise:
    """Linear interpolation through user points `[[x, value], ...]`, held flat outside."""

    points: tuple[tuple[float, float], ...]
    unit: Unit = "fraction"
    kind: str = "piecewise"

    def __post_init__(self) -> None:
        xs = [x for x, _ in self.points]
        if not self.points or xs != sorted(xs):
            raise ValueError("piecewise points must be a non-empty list sorted by x")

    def __call__(self, step: int = 0, total_steps: int | None = None) -> float:
        x = position(step, total_steps, self.unit)
        pts = self.points
        if x <= pts[0][0]:
            return float(pts[0][1])
        for (x0, y0), (x1, y1) in itertools.pairwise(pts):
            if x <= x1:
                return float(y0 + (y1 - y0) * ((x - x0) / (x1 - x0) if x1 > x0 else 1.0))
        return float(pts[-1][1])


Schedule = Constant | TwoStage | Linear | Sigmoid | Piecewise
KINDS: dict[str, type] = {
    "constant": Constant,
    "two_stage": TwoStage,
    "linear": Linear,
    "sigmoid": Sigmoid,
    "piecewise": Piecewise,
}


def as_schedule(spec: Any) -> Schedule:
    """A number, a schedule, or a `{kind: ..., ...}` mapping, as a schedule.

    >>> as_schedule({"kind": "linear", "start": 0, "end": 1})(5, 10)
    0.5
    """
    if isinstance(spec, KINDS["constant"] | TwoStage | Linear | Sigmoid | Piecewise):
        return spec
    if isinstance(spec, bool) or not isinstance(spec, int | float | dict):
        raise ValueError(f"a schedule is a number or a mapping with 'kind', got {spec!r}")
    if not isinstance(spec, dict):
        return Constant(float(spec))
    fields = dict(spec)
    kind = fields.pop("kind", None)
    if kind not in KINDS:
        raise ValueError(f"schedule kind must be one of {sorted(KINDS)}, got {kind!r}")
    if kind == "piecewise" and "points" in fields:
        fields["points"] = tuple(tuple(map(float, p)) for p in fields["points"])
    try:
        return KINDS[kind](**fields)
    except TypeError as exc:
        raise ValueError(f"bad {kind} schedule {spec!r}: {exc}") from exc
