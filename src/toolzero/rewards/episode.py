"""Episode rewards: components that score a whole multi-turn episode, not one text.

A multi-turn rollout (see `toolzero.training.rollout`) leaves one `EpisodeRecord` per
completion: the model's turns as text, the reference trajectory's turns in ToolRL's
format, the calls it made and how many failed, how it ended, and the environment's
verdict. Each component is a pure function `f(episode, **params) -> float`, registered in
`EPISODE_FUNCTIONS`, used by presets exactly like the text components (weights,
schedules, recipe changes: see `presets`):

- `outcome`: the environment's verdict, the share of its checks passed (`partial`) or
  all-or-nothing, in [low, high];
- `turn_format`: ToolRL's format reward on every model turn against the reference turn at
  the same position (a call turn, then the answer), averaged over the reference's turns;
  `partial=True` uses the per-requirement form, so a base model earns partial credit;
- `turn_correctness`: ToolRL's correctness (fine-grained name, key and value matches) of
  each model turn against the reference turn at its position, averaged over the
  reference's turns; a turn the model never took scores `low`. ToolRL's components per
  turn, as issue #15 asks, where a reference trajectory exists (none: 0);
- `call_cost`: minus `per_failed` for each call that failed (unknown tool, bad arguments,
  a tool error, an unreadable call block), `per_extra` for each call beyond the
  reference's count and `per_truncated` when a turn hit its token cap, floored at `floor`.

Nothing here knows environments or tokens: the rollout builds the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from toolzero.rewards.correctness import correctness_reward
from toolzero.rewards.format import format_reward, partial_format_reward
from toolzero.rewards.inputs import Completion, read_reference


@dataclass(frozen=True)
class EpisodeRecord:
    """What an episode's rewards read; hashable, so a batch is scored once.

    `turns`: each model turn's text (the prefill put back), in order. `reference_turns`:
    the reference trajectory's turns in ToolRL's output format (one per call turn, then
    the final answer), empty where the task has none. `ended`: `answer` (a turn without
    calls), `max_turns`, `budget` (the token budget ran out) or `truncated` (a turn hit its
    token cap).
    """

    turns: tuple[str, ...]
    reference_turns: tuple[str, ...] = ()
    calls: int = 0
    failed_calls: int = 0
    reference_calls: int = 0
    outcome_score: float = 0.0
    outcome_success: bool = False
    ended: str = "answer"
    tools: tuple[str, ...] | None = None  # the tools on offer (names)
    extra: tuple[tuple[str, Any], ...] = field(default=(), compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "turns": list(self.turns),
            "reference_turns": list(self.reference_turns),
            "calls": self.calls,
            "failed_calls": self.failed_calls,
            "reference_calls": self.reference_calls,
            "outcome_score": self.outcome_score,
            "outcome_success": self.outcome_success,
            "ended": self.ended,
        }


def outcome(
    episode: EpisodeRecord, *, low: float = 0.0, high: float = 1.0, partial: bool = True
) -> float:
    """`low + (high - low) x` the share of the environment's checks passed (`partial`), or
    `high` only when every check passed.

    >>> outcome(EpisodeRecord(("a",), outcome_score=0.5))
    0.5
    >>> outcome(EpisodeRecord(("a",), outcome_score=0.5), partial=False, low=-1.0)
    -1.0
    """
    share = episode.outcome_score if partial else float(episode.outcome_success)
    return low + (high - low) * share


def turn_format(
    episode: EpisodeRecord,
    *,
    low: float = 0.0,
    high: float = 1.0,
    partial: bool = True,
    whitespace_tolerant: bool = False,
) -> float:
    """ToolRL's format reward per turn against the reference turn at that position, averaged
    over the reference's turns (a missing turn scores `low`); without a reference, every
    turn but the last is held to the call shape and the last to the answer shape."""
    references = episode.reference_turns or _shapes_of(episode)
    total = 0.0
    for i, ref_text in enumerate(references):
        if i >= len(episode.turns):
            total += low
            continue
        turn, ref = Completion(episode.turns[i]), read_reference(ref_text, "robust", episode.tools)
        if partial:
            total += partial_format_reward(turn, ref, low=low, high=high)
        else:
            total += format_reward(
                turn, ref, low=low, high=high, whitespace_tolerant=whitespace_tolerant
            )
    return total / max(len(references), 1)


def turn_correctness(
    episode: EpisodeRecord, *, low: float = 0.0, high: float = 1.0, **params: Any
) -> float:
    """ToolRL's correctness of each call turn against the reference's turn at that
    position, averaged over the reference's call turns; a turn not taken scores `low`.
    `params` go to `correctness_reward` (granularity, parser, matching, values...)."""
    references = [r for r in episode.reference_turns if "<tool_call>" in r]
    if not references:
        return 0.0
    total = 0.0
    for i, ref_text in enumerate(references):
        if i >= len(episode.turns):
            total += low
            continue
        ref = read_reference(ref_text, "robust", episode.tools)
        total += correctness_reward(Completion(episode.turns[i]), ref, low=low, high=high, **params)
    return total / len(references)


def call_cost(
    episode: EpisodeRecord,
    *,
    per_failed: float = 0.1,
    per_extra: float = 0.05,
    per_truncated: float = 0.0,
    floor: float = -0.5,
) -> float:
    """`-(per_failed x failed calls + per_extra x calls beyond the reference's +
    per_truncated if a turn hit its token cap)`, at least `floor`.

    A call block cut by the turn cap never runs, so it is no failed call: with a high
    `per_failed` and no `per_truncated`, leaving calls unclosed is the cheapest way out
    (measured: Gemma-3-270M learned exactly that in 10 steps at `per_failed: 0.3`).

    >>> call_cost(EpisodeRecord(("a",), calls=4, failed_calls=1, reference_calls=2))
    -0.2
    >>> call_cost(EpisodeRecord(("a",), ended="truncated"), per_truncated=0.3)
    -0.3
    """
    extra = max(0, episode.calls - episode.reference_calls) if episode.reference_calls else 0
    cut = per_truncated if episode.ended == "truncated" else 0.0
    return max(floor, -(per_failed * episode.failed_calls + per_extra * extra + cut))


def turn_rewards(episode: EpisodeRecord) -> list[float]:
    """Each model turn's own reward, for per-turn credit: ToolRL's partial format of the
    turn plus its correctness in [0, 1] (robust parser, optimal matching, normalised
    values; 0 for an answer turn) against the reference turn at its position (turns past
    the reference's are held to its last, the answer).

    >>> ref = ('<think> </think>\\n<tool_call>\\n{"name": "f", "parameters": {"a": 1}}\\n</tool_call>',
    ...        "<think> </think>\\n<response> done </response>")
    >>> turn_rewards(EpisodeRecord((ref[0], "<think> x </think>\\n<response> ok </response>"), ref))
    [2.0, 1.0]
    """
    references = episode.reference_turns or _shapes_of(episode)
    out = []
    for i, text in enumerate(episode.turns):
        ref_text = references[min(i, len(references) - 1)]
        turn, ref = Completion(text), read_reference(ref_text, "robust", episode.tools)
        value = partial_format_reward(turn, ref)
        if ref.has_call:
            value += correctness_reward(
                turn, ref, low=0.0, high=1.0, parser="robust", matching="optimal",
                values="normalized",
            )  # fmt: skip
        out.append(value)
    return out


def _shapes_of(episode: EpisodeRecord) -> tuple[str, ...]:
    """Reference shapes when there is no trajectory: calls, then an answer."""
    call = '<think> </think>\n<tool_call>\n{"name": "_", "parameters": {}}\n</tool_call>'
    answer = "<think> </think>\n<response> _ </response>"
    return (*([call] * max(len(episode.turns) - 1, 0)), answer)


EPISODE_FUNCTIONS = {
    "outcome": outcome,
    "turn_format": turn_format,
    "turn_correctness": turn_correctness,
    "call_cost": call_cost,
}

__all__ = ["EPISODE_FUNCTIONS", "EpisodeRecord", "turn_rewards", *EPISODE_FUNCTIONS]
