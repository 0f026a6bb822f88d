"""The `env` benchmark: an environment's held-out tasks played as multi-turn episodes.

`--bench env:synthetic_world` (or `env:search`, `env:bfcl_api`, `env:python`) generates
`--limit` (default `--synthetic-n`) tasks of the environment's `heldout` split from
`--synthetic-seed` (with `--env-fit-tasks`, only tasks whose reference solution fits in
`--env-max-turns`), and plays each as an episode, exactly as training's rollout does
(`toolzero.environments.episode`): the model's turn is read, its calls run in the
environment, the results are shown in the protocol's tool-result turn (cut from the
model's chat template, the same text training appends), up to `--env-max-turns` turns.
The environment's own rules judge the final answer and state.

Per item: `outcome_success` (every check passed: the headline), `outcome_score` (the
share of checks passed), `turns`, `calls`, `failed_calls` (errors shown to the model,
unreadable call blocks included), `ended` (answer, max_turns, truncated) and `reason`.
The summary gives the rates and means, how episodes ended, and success per task family.
Scoring saved predictions is not offered: an episode's answer depends on what the tools
returned to it (like Bamboogle's searches).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from toolzero.environments.base import Environment
from toolzero.environments.episode import ENDINGS, Episode, play_turn, start_episode
from toolzero.evaluation.generation import Continuation, ModelUnderTest, run_dialogues
from toolzero.evaluation.registry import BenchOptions, RunContext
from toolzero.evaluation.results import ItemStore, clip_text
from toolzero.protocol.chat import observation_turn_text
from toolzero.protocol.types import Example
from toolzero.user_files import BadInputError

logger = logging.getLogger(__name__)


@dataclass
class EpisodeDialogue:
    """One task played against the model through the evaluation loop."""

    id: str
    episode: Episode
    model: ModelUnderTest
    max_turns: int
    context: str | None = None  # the rendered text so far, after the first turn
    done: bool = False
    texts: list[str] = field(default_factory=list)

    def next_example(self) -> Example | Continuation | None:
        if self.done:
            return None
        return self.episode.example if self.context is None else Continuation(self.context)

    def advance(self, answer: str) -> None:
        prefill = self.model.prefill
        completion = answer[len(prefill) :] if answer.startswith(prefill) else answer
        if self.context is None:
            self.context = self.model.render(self.episode.example)
        last = len(self.episode.turns) + 1 >= self.max_turns
        shown = play_turn(self.episode, completion, last=last)
        if shown is None:
            self.done = True
            return
        end, rest = observation_turn_text(
            self.model.tokenizer, shown, self.model.protocol, prefill
        )
        self.context += completion + (end if not completion.endswith(end) else "") + rest


def environment_name(sub: list[str]) -> str:
    from toolzero.environments.registry import ENVIRONMENT_NAMES

    if len(sub) != 1 or sub[0] not in ENVIRONMENT_NAMES:
        raise BadInputError(
            f"--bench env{':' + ','.join(sub) if sub else ''}: name one environment, "
            f"env:NAME with NAME one of {', '.join(ENVIRONMENT_NAMES)}"
        )
    return sub[0]


def check_environment_bench(sub: list[str], options: BenchOptions) -> None:
    name = environment_name(sub)
    if options.env_max_turns < 1:
        raise BadInputError(f"--env-max-turns: must be at least 1, got {options.env_max_turns}")
    if options.env_fit_tasks:  # before a model loads: does any held-out task fit?
        from toolzero.environments.registry import environment_tasks

        environment_tasks(name, 1, options.synthetic_seed, "heldout", options.env_max_turns)


def score_episode(dialogue: EpisodeDialogue) -> dict[str, Any]:
    episode = dialogue.episode
    outcome = episode.outcome()
    return {
        "id": dialogue.id,
        "family": episode.example.metadata.get("family", ""),
        "outcome_success": outcome.success,
        "outcome_score": outcome.score,
        "turns": len(episode.turns),
        "calls": episode.calls,
        "failed_calls": episode.failed_calls,
        "ended": episode.ended or "max_turns",
        "final_answer": clip_text(episode.final_answer or ""),
        "reason": "" if outcome.success else outcome.reason,
        "valid": outcome.success,
        "completion": clip_text("\n\n".join(episode.turns)),
    }


def summarize_episodes(rows: list[dict[str, Any]], environment: str, seed: int) -> dict[str, Any]:
    n = len(rows)

    def mean(key: str) -> float | None:
        return sum(float(r[key]) for r in rows) / n if n else None

    families: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        families.setdefault(row.get("family") or "unknown", []).append(row)
    ended = Counter(r["ended"] for r in rows)
    return {
        "n": n,
        "environment": environment,
        "seed": seed,
        "split": "heldout",
        "outcome_success": mean("outcome_success"),
        "outcome_score": mean("outcome_score"),
        "turns": mean("turns"),
        "calls": mean("calls"),
        "failed_calls": mean("failed_calls"),
        "ended": {end: ended.get(end, 0) / n for end in ENDINGS} if n else {},
        "by_family": {
            name: {"n": len(r), "outcome_success": sum(x["outcome_success"] for x in r) / len(r)}
            for name, r in sorted(families.items())
        },
    }


def run_from_context(ctx: RunContext) -> dict[str, Any]:
    from toolzero.environments.registry import environment_tasks, make_environment

    name = environment_name(ctx.sub)
    options = ctx.options
    n = ctx.limit if ctx.limit is not None else options.synthetic_n
    fit = options.env_max_turns if options.env_fit_tasks else None
    tasks = environment_tasks(name, n, seed=options.synthetic_seed, split="heldout", max_turns=fit)
    environment: Environment = make_environment(name)
    store = ItemStore(ctx.out / "env" / "items.jsonl")
    done = store.done_ids()
    dialogues = (
        EpisodeDialogue(t.id, start_episode(environment, t, ctx.model.prefill), ctx.model,
                        options.env_max_turns)
        for t in tasks
        if t.id not in done
    )  # fmt: skip
    stats = run_dialogues(
        ctx.model, dialogues, score_episode, store, ctx.batch_size, n - len(done), f"env:{name}"
    )
    wanted = {t.id for t in tasks}
    rows = [r for r in store.load() if r["id"] in wanted]
    summary = summarize_episodes(rows, name, options.synthetic_seed)
    summary.update(limit=ctx.limit, items_file=str(store.path), timing=stats.to_dict())
    summary["settings"] = {"max_turns": options.env_max_turns, "fit_tasks": fit is not None}
    return summary


__all__ = [
    "EpisodeDialogue",
    "check_environment_bench",
    "run_from_context",
    "score_episode",
    "summarize_episodes",
]
