"""One multi-turn episode, engine-agnostic: read a model turn, run its calls, say what follows.

The rollout loop (training: `toolzero.training.rollout`, token ids; evaluation: text)
generates a model turn, hands its text to `play_turn`, and gets back either the tool
results to show the model (`(name, content)` pairs, rendered by the protocol's
`observation_turn_text`) or None when the episode is over. `episode_record` then gives
the rewards their `EpisodeRecord`.

The rules of a turn:
- the prefill is put back in front of the text, and the turn is read with the protocol
  parser (`parse_completion`), as the single-turn rewards read a completion;
- a turn without a call block is the final answer (its `<response>` text, or the text
  after the thought when it has no `<response>`): the episode ends `answer`;
- a call block's readable calls run in order through `Environment.step` (never an
  exception: unknown tools, bad arguments, refusals, crashes and sandbox stops come back
  as error observations); a block with an unreadable value adds one error observation
  saying what could not be read, so a malformed call is something the model sees and the
  cost reward counts, not a crash;
- the last allowed turn's calls still run (an action counts for the state checks), and
  the episode ends `max_turns` without an answer; a turn cut by its token cap, or whose
  call block is never closed, ends it `truncated` (its calls do not run).

`play_turns` runs the turns of a batch concurrently (threads: the sandbox's tools wait
on subprocesses, the synthetic world's are microseconds).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from toolzero.environments.base import Environment, EpisodeState, Observation, Outcome
from toolzero.protocol.parser import parse_completion
from toolzero.protocol.types import Example, ToolCall, render_toolrl_output
from toolzero.rewards.episode import EpisodeRecord

ENDINGS = ("answer", "max_turns", "budget", "truncated")


@dataclass
class Episode:
    """One episode in progress: the environment's state plus what the model did."""

    environment: Environment
    state: EpisodeState
    prefill: str = ""
    turns: list[str] = field(default_factory=list)
    observations: list[list[Observation]] = field(default_factory=list)
    ended: str | None = None
    final_answer: str | None = None
    unreadable_calls: int = 0
    _outcome: Outcome | None = None

    @property
    def example(self) -> Example:
        return self.state.example

    @property
    def calls(self) -> int:
        """Calls the model made, unreadable ones included."""
        return len(self.state.calls) + self.unreadable_calls

    @property
    def failed_calls(self) -> int:
        return sum(o.error for _, o in self.state.calls) + self.unreadable_calls

    @property
    def tool_time_s(self) -> float:
        return sum(o.elapsed_s for _, o in self.state.calls)

    @property
    def sandbox_stops(self) -> int:
        """Calls the sandbox stopped (wall or CPU time, output size)."""
        return sum("stopped by the sandbox" in o.content for _, o in self.state.calls)

    def outcome(self) -> Outcome:
        """The environment's verdict on the final answer and state (computed once)."""
        if self._outcome is None:
            self._outcome = self.environment.outcome(self.state, self.final_answer)
        return self._outcome


def start_episode(environment: Environment, example: Example, prefill: str = "") -> Episode:
    return Episode(environment, environment.reset(example), prefill)


def play_turn(
    episode: Episode, text: str, last: bool = False, truncated: bool = False
) -> list[tuple[str, str]] | None:
    """Read one model turn and run its calls: the results to show, or None when over."""
    full = episode.prefill + text
    episode.turns.append(full)
    parsed = parse_completion(full)
    if truncated or (parsed.has_call_block and not parsed.call_blocks_closed):
        # Cut by its token cap, or a call block never closed: nothing complete to run.
        episode.ended, episode.final_answer = "truncated", parsed.response
        return None
    if not parsed.has_call_block:
        episode.ended, episode.final_answer = (
            "answer",
            final_answer_of(parsed.response, parsed.text),
        )
        return None
    observations = episode.environment.step(episode.state, parsed.calls)
    reasons = [p for p in parsed.problems if p.startswith(("call:", "tool_call:"))]
    if reasons or not parsed.calls:
        message = "; ".join(reasons) or "the call block holds no call"
        observations.append(
            Observation("tool_call", f"error: could not read a call: {message}", True)
        )
        episode.unreadable_calls += max(parsed.call_values - len(parsed.calls), 1)
    episode.observations.append(observations)
    if last:
        episode.ended = "max_turns"
        return None
    return [(o.name, o.content) for o in observations]


def play_turns(
    episodes: Sequence[Episode],
    texts: Sequence[str],
    last: bool = False,
    truncated: Sequence[bool] | None = None,
    workers: int = 8,
) -> list[list[tuple[str, str]] | None]:
    """`play_turn` for each episode with its text, concurrently; results in order."""
    flags = truncated or [False] * len(episodes)
    jobs = list(zip(episodes, texts, flags, strict=True))
    if len(jobs) <= 1 or workers <= 1:
        return [play_turn(e, t, last, cut) for e, t, cut in jobs]
    with ThreadPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        return list(pool.map(lambda job: play_turn(job[0], job[1], last, job[2]), jobs))


def final_answer_of(response: str | None, text: str) -> str:
    """The answer a turn without calls gives: its `<response>`, else the text after the
    thought (numbers in a thought must not count as the answer)."""
    if response is not None:
        return response
    closed = text.rfind("</think>")
    return text[closed + len("</think>") :].strip() if closed >= 0 else text


def reference_trajectory(example: Example) -> list[list[ToolCall]]:
    """Each reference turn's calls: `metadata["trajectory"]`, else the reference call."""
    trajectory = example.metadata.get("trajectory")
    if isinstance(trajectory, list):
        turns = [[ToolCall.from_dict(c) for c in turn] for turn in trajectory]
    else:
        turns = [list(example.reference_calls)]
    return [calls for calls in turns if calls]


def turns_needed(example: Example) -> int:
    """Model turns the reference solution takes: each call turn of its trajectory, then
    the answer turn. A task needing more than an episode's `max_turns` can never end in
    the right answer (the rollout stops it first).

    >>> turns_needed(Example(id="t", tools=(), messages=(), metadata={"trajectory": [
    ...     [{"name": "find", "arguments": {}}], [{"name": "get", "arguments": {}}]]}))
    3
    """
    return len(reference_trajectory(example)) + 1


def reference_turns(example: Example) -> tuple[str, ...]:
    """The task's reference trajectory in ToolRL's output format: each turn's calls, then
    the final answer."""
    out = [render_toolrl_output("", calls, None) for calls in reference_trajectory(example)]
    if example.reference_response is not None:
        out.append(render_toolrl_output("", [], example.reference_response))
    return tuple(out)


def episode_record(episode: Episode) -> EpisodeRecord:
    """What the episode rewards read (see `toolzero.rewards.episode`)."""
    outcome = episode.outcome()
    return EpisodeRecord(
        turns=tuple(episode.turns),
        reference_turns=reference_turns(episode.example),
        calls=episode.calls,
        failed_calls=episode.failed_calls,
        reference_calls=sum(map(len, reference_trajectory(episode.example))),
        outcome_score=outcome.score,
        outcome_success=outcome.success,
        ended=episode.ended or "max_turns",
        tools=tuple(t.name for t in episode.example.tools),
    )


__all__ = [
    "ENDINGS",
    "Episode",
    "episode_record",
    "final_answer_of",
    "play_turn",
    "play_turns",
    "reference_trajectory",
    "reference_turns",
    "start_episode",
    "turns_needed",
]
