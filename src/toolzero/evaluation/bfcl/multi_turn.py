"""BFCL multi-turn: the model talks to BFCL's simulated APIs, turn by turn, then is checked.

The loop follows BFCL's own inference loop (`BaseHandler.inference_multi_turn_FC`): at
each turn the user's message is added (for a `miss_func` hold-out turn: BFCL's "I have
updated some more functions..." message, with the held-out functions added to the tool
list); the model then answers step after step; every step's calls are executed against
the simulated file system / trading bot / travel API... (BFCL's
`execute_multi_turn_func_call`) and the results are shown to it as tool results; a step
without a readable call ends the turn; more than BFCL's step limit (20) ends the item
(force-terminated, a wrong answer). The checker then replays the model's calls and the
ground truth from the initial state and compares states and responses.

BFCL's executor `eval`s call strings, so every call of the model is first vetted by
`offered_tools.vet_call`: a call to anything but a tool the item offers (a
builtin such as `open`, a `_private` method, another API's method), with a key that is
not a parameter, or with a value that is not JSON data, is never executed, neither in
the dialogue nor in the checker's replay; the model sees "Error during execution: no
such tool: NAME (offered: ...)" as that call's result and goes on, as after any error.

Scoring saved predictions uses the same check without running a model: a `turns` list
of turns, each a list of steps, each step a completion string or a list of calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from toolzero.evaluation.bfcl import official
from toolzero.evaluation.bfcl.items import (
    bfcl_example,
    bfcl_tools,
    calls_from_rows,
    decode_calls,
    messages_from_bfcl,
)
from toolzero.evaluation.bfcl.offered_tools import Vetted, offered_tools, vet_call
from toolzero.evaluation.results import clip_text
from toolzero.protocol.parser import parse_completion
from toolzero.protocol.types import Example, Message, ToolCall, ToolSpec

STEP_TEXT_LIMIT = 4_000  # characters stored per step: multi-turn items have many steps


@dataclass
class MultiTurnDialogue:
    """One multi-turn BFCL entry being played out with the model."""

    entry: dict[str, Any]
    protocol: str
    max_steps: int = 0  # 0: BFCL's limit
    id: str = ""
    turns: list[list[dict[str, Any]]] = field(default_factory=list)
    force_quit: bool = False
    done: bool = False

    def __post_init__(self) -> None:
        self.id = self.entry["id"]
        self.category = official.category_of(self.id)
        self.max_steps = self.max_steps or official.import_bfcl().max_steps
        self.functions = list(self.entry["function"])
        self.holdout = dict(self.entry.get("missed_function") or {})
        self.messages: list[Message] = []
        self.offered = offered_tools(self.entry)
        self.instance_name = official.fresh_instance_name()
        self.turn_index = -1
        self.steps_in_turn = 0
        self._start_turn(0)

    def _start_turn(self, index: int) -> None:
        questions = self.entry["question"]
        if index >= len(questions):
            self._finish()
            return
        self.turn_index, self.steps_in_turn = index, 0
        self.turns.append([])
        turn = questions[index]
        if str(index) in self.holdout:
            self.functions.extend(self.holdout[str(index)])
            turn = [{"role": "user", "content": official.import_bfcl().holdout_prompt}]
        self.messages.extend(messages_from_bfcl(turn))

    def _finish(self) -> None:
        self.done = True
        official.release_instances(self.instance_name)

    def tools(self) -> tuple[ToolSpec, ...]:
        return bfcl_tools(self.functions, self.protocol)

    def next_example(self) -> Example | None:
        if self.done:
            return None
        return bfcl_example(
            self.id, self.tools(), list(self.messages), self.protocol, self.category
        )

    def advance(self, answer: str) -> None:
        calls, problems = decode_calls(answer)
        vetted = [vet_call(c, self.offered) for c in calls or []]
        step: dict[str, Any] = {
            "completion": clip_text(answer, STEP_TEXT_LIMIT),
            "calls": [c.to_dict() for c in calls or []],
            "executed": [v.call_string for v in vetted if v.call_string],
            "problems": problems + [f"refused: {v.refusal}" for v in vetted if v.refusal],
        }
        self.turns[-1].append(step)
        if not calls:
            self._start_turn(self.turn_index + 1)
            return
        observations = self._observations(vetted)
        step["results"] = [clip_text(o, STEP_TEXT_LIMIT) for o in observations]
        parsed = parse_completion(answer)
        self.messages.append(
            Message(
                role="assistant",
                content=parsed.response or "",
                tool_calls=tuple(calls),
                reasoning=parsed.think,
            )
        )
        self.messages.extend(
            Message(role="tool", content=o, name=c.name)
            for c, o in zip(calls, observations, strict=True)
        )
        self.steps_in_turn += 1
        if self.steps_in_turn > self.max_steps:
            self.force_quit = True
            self._finish()

    def _observations(self, vetted: list[Vetted]) -> list[str]:
        """Each call's result, in call order: BFCL's execution of the vetted calls; for a
        refused call, the refusal in BFCL's error form (the executor never sees it)."""
        executable = [v.call_string for v in vetted if v.call_string]
        results: list[Any] = []
        if executable:
            results, _ = official.import_bfcl().execute(
                func_call_list=executable,
                initial_config=self.entry.get("initial_config", {}),
                involved_classes=self.entry["involved_classes"],
                model_name=self.instance_name,
                test_entry_id=self.id,
                long_context="long_context" in self.category,
                is_evaL_run=False,
            )
        executed = iter(results)
        return [
            str(next(executed)) if v.call_string else f"Error during execution: {v.refusal}"
            for v in vetted
        ]


def score_dialogue(dialogue: MultiTurnDialogue) -> dict[str, Any]:
    """The stored row for a finished dialogue, with the official verdict."""
    executed = [[step["executed"] for step in turn] for turn in dialogue.turns]
    verdict = official.check_multi_turn(dialogue.id, executed)
    return {
        "id": dialogue.id,
        "category": dialogue.category,
        **verdict.to_dict(),
        "force_quit": dialogue.force_quit,
        "turns": dialogue.turns,
    }


def executed_from_prediction(
    turns: Any, entry: dict[str, Any]
) -> tuple[list[list[list[str]]] | None, list[str]]:
    """Call strings per turn and step from a predictions-file `turns` value for `entry`;
    a call `vet_call` refuses is a problem, not a call string."""
    if not isinstance(turns, list) or not all(isinstance(t, list) for t in turns):
        return None, ["'turns' must be a list of turns, each a list of steps"]
    out: list[list[list[str]]] = []
    problems: list[str] = []
    offered = offered_tools(entry)
    for turn in turns:
        steps = []
        for step in turn:
            calls: list[ToolCall] | None
            if isinstance(step, str):
                calls, found = decode_calls(step)
            else:
                calls, found = calls_from_rows(step)
            vetted = [vet_call(c, offered) for c in calls or []]
            problems += found + [f"refused: {v.refusal}" for v in vetted if v.refusal]
            steps.append([v.call_string for v in vetted if v.call_string])
        out.append(steps)
    return out, problems
