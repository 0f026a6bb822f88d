"""The model under test, and the loop that feeds it every benchmark's items in batches.

`ModelUnderTest` renders an `Example` with the chosen prompt protocol and prefill, asks
the backend for completions and returns *answers*: the prefill put back in front of each
completion, since the prefill is part of what the model said.

Every benchmark item is a `Dialogue`: it shows the model an `Example`, takes its answer,
and either finishes (single-turn items) or shows the next `Example` (BFCL multi-turn,
Bamboogle's search rounds). `run_dialogues` keeps up to `batch_size` dialogues in flight,
one batched generation per step for all of them, refilling as dialogues finish; each
finished dialogue is scored and written at once, so an interruption loses at most the
dialogues in flight.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from toolzero.evaluation.backends.base import GenerationBackend
from toolzero.evaluation.results import ItemStore
from toolzero.evaluation.settings import GenerationSettings
from toolzero.protocol import GEMMA_CHAT_TEMPLATE, prompt_messages, render_prompt
from toolzero.protocol.types import Example

logger = logging.getLogger(__name__)


@dataclass
class Instructed:
    """An `Example` plus system text a benchmark adds to the protocol's own system prompt
    (ACEBench's answer instructions): appended to the system message, or a system message
    of its own where the protocol has none."""

    example: Example
    instructions: str


@dataclass(frozen=True)
class Continuation:
    """Prompt text already rendered, dialogue so far included: a multi-turn episode goes on
    from its own text (prompt, the model's turns, the tool results' turns), as in training."""

    text: str


@dataclass
class ModelUnderTest:
    """A backend plus how to prompt it. Counts generation time for throughput figures."""

    backend: GenerationBackend
    tokenizer: Any
    settings: GenerationSettings = field(default_factory=GenerationSettings)
    generated: int = 0
    generation_seconds: float = 0.0

    @property
    def protocol(self) -> str:
        return self.settings.protocol

    @property
    def prefill(self) -> str:
        return self.settings.prefill

    def render(self, example: Example | Instructed | list[dict[str, Any]]) -> str:
        """The prompt for an Example (through the protocol), for an Example with added
        instructions, or for verbatim chat messages."""
        if isinstance(example, Example):
            return render_prompt(self.tokenizer, example, self.protocol, self.prefill)
        if isinstance(example, Continuation):
            return example.text
        kwargs: dict[str, Any] = {"tokenize": False, "add_generation_prompt": True}
        if not getattr(self.tokenizer, "chat_template", None):
            kwargs["chat_template"] = GEMMA_CHAT_TEMPLATE
        if isinstance(example, Instructed):
            messages = with_instructions(
                prompt_messages(example.example, self.protocol), example.instructions
            )
            if self.protocol == "native":
                kwargs["tools"] = [t.to_openai() for t in example.example.tools]
            return self.tokenizer.apply_chat_template(messages, **kwargs) + self.prefill
        return self.tokenizer.apply_chat_template(example, **kwargs) + self.prefill

    def answer(self, examples: list[Any], max_new_tokens: int | None = None) -> list[str]:
        """The model's answers (prefill + completion), one per example."""
        if not examples:
            return []
        prompts = [self.render(e) for e in examples]
        start = time.perf_counter()
        settings = self.settings
        stop = list(settings.stop)
        # keep_stop goes only where it matters: user backends may not take it.
        keep = {"keep_stop": True} if stop and settings.keep_stop else {}
        completions = self.backend.generate(
            prompts,
            max_new_tokens or settings.max_new_tokens,
            settings.temperature,
            stop or None,
            **keep,
        )
        self.generation_seconds += time.perf_counter() - start
        self.generated += len(prompts)
        if len(completions) != len(prompts):
            raise RuntimeError(
                f"backend returned {len(completions)} completions for {len(prompts)} prompts"
            )
        return [self.prefill + (c if isinstance(c, str) else "") for c in completions]


def with_instructions(messages: list[dict[str, Any]], instructions: str) -> list[dict[str, Any]]:
    """`messages` with `instructions` appended to the system message (or one added first)."""
    if not instructions:
        return messages
    out = [dict(m) for m in messages]
    if out and out[0]["role"] == "system":
        out[0]["content"] = f"{out[0]['content']}\n\n{instructions}"
    else:
        out.insert(0, {"role": "system", "content": instructions})
    return out


class Dialogue(Protocol):
    """One benchmark item in progress."""

    id: str

    def next_example(self) -> Example | Instructed | Continuation | list[dict[str, Any]] | None:
        """What the model sees next (an Example, one with added instructions, a rendered
        continuation, or verbatim chat messages for benchmarks whose prompts are fixed
        text), or None once over."""

    def advance(self, answer: str) -> None:
        """Take the model's answer to the last example."""


@dataclass
class SingleTurn:
    """A dialogue of one answer (most benchmark items)."""

    id: str
    example: Example | Instructed | list[dict[str, Any]]
    answer: str | None = None

    def next_example(self) -> Example | Instructed | list[dict[str, Any]] | None:
        return self.example if self.answer is None else None

    def advance(self, answer: str) -> None:
        self.answer = answer


@dataclass
class RunStats:
    """Counts and seconds for throughput: generation vs scoring."""

    items: int = 0
    generation_calls: int = 0
    generation_seconds: float = 0.0
    scoring_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "generations": self.generation_calls,
            "generation_seconds": round(self.generation_seconds, 3),
            "scoring_seconds": round(self.scoring_seconds, 3),
            "generation_items_per_second": _rate(self.items, self.generation_seconds),
            "scoring_items_per_second": _rate(self.items, self.scoring_seconds),
        }


def _rate(n: int, seconds: float) -> float | None:
    return round(n / seconds, 3) if seconds > 0 else None


def run_dialogues(
    model: ModelUnderTest,
    dialogues: Iterable[Any],
    score: Callable[[Any], dict[str, Any]],
    store: ItemStore,
    batch_size: int,
    total: int,
    desc: str,
) -> RunStats:
    """Run dialogues to their end, `batch_size` at a time; score and store each as it ends."""
    from tqdm.auto import tqdm

    stats = RunStats()
    pending = iter(dialogues)
    active: list[Any] = []
    bar = tqdm(total=total, desc=desc, unit="item")
    start_generated, start_seconds = model.generated, model.generation_seconds
    while True:
        while len(active) < batch_size and (nxt := next(pending, None)) is not None:
            active.append(nxt)
        examples = [(d, d.next_example()) for d in active]
        finished = [d for d, e in examples if e is None]
        if finished:
            started = time.perf_counter()
            rows = [score(d) for d in finished]
            stats.scoring_seconds += time.perf_counter() - started
            store.append(rows)
            stats.items += len(rows)
            bar.update(len(rows))
            gone = {id(d) for d in finished}
            active = [d for d in active if id(d) not in gone]
            continue
        if not active:
            break
        answers = model.answer([e for _, e in examples])
        for (dialogue, _), answer in zip(examples, answers, strict=True):
            dialogue.advance(answer)
    bar.close()
    stats.generation_calls = model.generated - start_generated
    stats.generation_seconds = model.generation_seconds - start_seconds
    return stats
