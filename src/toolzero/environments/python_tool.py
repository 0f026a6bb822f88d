"""The python environment: one tool, `python`, that runs the model's code in the sandbox.

    env = PythonEnvironment(SandboxLimits(wall_s=5))
    task = generate_python_tasks(1, seed=0)[0]
    state = env.reset(task)
    env.step(state, task.reference_calls)[0].content     # 'exit code 0\\nstdout:\\n76127\\n'
    env.outcome(state, "76127")

The observation is the exit code, stdout and stderr (each cut to `max_observation_chars`,
keeping the end, where errors are), and a line saying why the sandbox stopped the code
when it did (time, CPU, output). A non-zero exit or a stop is an error observation. The
outcome checks the final answer against `metadata["expected"]["answer"]` by rule
(`answers.answer_problem`).

The tasks are small computations a model should not do in its head (sums of primes,
Fibonacci numbers modulo m, digit sums of powers, divisor counts): train and held-out
splits use different kinds. The reference trajectory is one call whose code prints the
answer.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from toolzero.environments.base import (
    Environment,
    EpisodeState,
    Outcome,
    Tool,
    ToolFailure,
    answer_outcome,
)
from toolzero.environments.sandbox import SandboxLimits, SandboxResult, run_python
from toolzero.errors import ConfigError
from toolzero.protocol.types import Example, Message, ToolCall, ToolSpec
from toolzero.user_files import BadInputError

PYTHON_SPEC = ToolSpec(
    "python",
    "Run Python 3 code (standard library only, no network) and see its printed output.",
    {
        "type": "object",
        "properties": {"code": {"type": "string", "description": "Python source; print results"}},
        "required": ["code"],
    },
)


def render_sandbox_result(result: SandboxResult, max_chars: int = 2000) -> str:
    """A sandbox result as the model reads it.

    >>> print(render_sandbox_result(SandboxResult("42\\n", "", 0)))
    exit code 0
    stdout:
    42
    """
    lines = [f"exit code {result.exit_code}" if result.exit_code is not None else "no exit code"]
    for name, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        if text:
            cut = text if len(text) <= max_chars else "[...]" + text[-max_chars:]
            lines.append(f"{name}:\n{cut.rstrip()}")
    if result.killed_reason:
        lines.append(f"stopped by the sandbox: {result.killed_reason.replace('_', ' ')}")
    if result.truncated:
        lines.append("output was cut at the sandbox's output limit")
    return "\n".join(lines)


class PythonEnvironment(Environment):
    """The `python` tool over the sandbox; outcome by the final answer."""

    name = "python"

    def __init__(self, limits: SandboxLimits | None = None, max_observation_chars: int = 2000):
        self.limits = limits or SandboxLimits()
        if self.limits.problems():
            raise ConfigError(self.limits.problems(), "python environment limits")
        self.max_observation_chars = max_observation_chars
        super().__init__([Tool(PYTHON_SPEC, self._run)])

    def _run(self, state: EpisodeState, code: str) -> str:
        result = run_python(code, self.limits)
        text = render_sandbox_result(result, self.max_observation_chars)
        if not result.ok:  # an error observation: "error: exit code 1 ..."
            raise ToolFailure(text)
        return text

    def outcome(self, state: EpisodeState, final_answer: str | None) -> Outcome:
        return answer_outcome(state, final_answer)


def make_python_environment(**limits: Any) -> PythonEnvironment:
    """The python environment with `SandboxLimits` fields as options."""
    unknown = sorted(set(limits) - set(SandboxLimits.__dataclass_fields__))
    if unknown:
        raise BadInputError(
            f"python environment: unknown options {unknown}; "
            f"known: {list(SandboxLimits.__dataclass_fields__)}"
        )
    return PythonEnvironment(SandboxLimits(**limits))


# --- tasks ---------------------------------------------------------------------------------
def _primes_below(rng: random.Random) -> tuple[str, str, int]:
    n = rng.randrange(2000, 50000)
    code = (
        f"n = {n}\nsieve = [True] * n\nsieve[:2] = [False, False]\n"
        "for i in range(2, int(n ** 0.5) + 1):\n"
        "    if sieve[i]:\n"
        "        sieve[i * i :: i] = [False] * len(sieve[i * i :: i])\n"
        "print(sum(i for i, p in enumerate(sieve) if p))\n"
    )
    sieve = [True] * n
    for i in range(2, int(n**0.5) + 1):
        if sieve[i]:
            sieve[i * i :: i] = [False] * len(sieve[i * i :: i])
    answer = sum(i for i in range(2, n) if sieve[i])
    return f"What is the sum of all prime numbers below {n}?", code, answer


def _fibonacci_mod(rng: random.Random) -> tuple[str, str, int]:
    n, m = rng.randrange(500, 5000), rng.randrange(1000, 100000)
    code = f"a, b = 0, 1\nfor _ in range({n}):\n    a, b = b, a + b\nprint(a % {m})\n"
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    question = (
        f"What is F({n}) modulo {m}, where F is the Fibonacci sequence with F(0) = 0 and F(1) = 1?"
    )
    return question, code, a % m


def _digit_sum_of_power(rng: random.Random) -> tuple[str, str, int]:
    base, power = rng.randrange(2, 20), rng.randrange(100, 1000)
    code = f"print(sum(int(d) for d in str({base} ** {power})))\n"
    answer = sum(int(d) for d in str(base**power))
    return f"What is the sum of the decimal digits of {base} to the power {power}?", code, answer


def _divisor_count(rng: random.Random) -> tuple[str, str, int]:
    n = rng.randrange(10**5, 10**7)
    code = (
        f"n = {n}\ncount = 0\nd = 1\n"
        "while d * d <= n:\n"
        "    if n % d == 0:\n"
        "        count += 1 if d * d == n else 2\n"
        "    d += 1\n"
        "print(count)\n"
    )
    answer = sum(1 if d * d == n else 2 for d in range(1, int(n**0.5) + 1) if n % d == 0)
    return f"How many positive divisors does {n} have?", code, answer


PYTHON_FAMILIES: dict[str, tuple[Callable[[random.Random], tuple[str, str, int]], ...]] = {
    "train": (_primes_below, _fibonacci_mod),
    "heldout": (_digit_sum_of_power, _divisor_count),
}


def generate_python_tasks(n: int, seed: int = 0, split: str = "train") -> list[Example]:
    """`n` seeded computation tasks; the answer is checked as a number."""
    if split not in PYTHON_FAMILIES:
        raise BadInputError(f"python split must be one of {tuple(PYTHON_FAMILIES)}, got {split!r}")
    tasks = []
    for index in range(n):
        rng = random.Random(f"toolzero-python-task:{split}:{seed}:{index}")
        family = rng.choice(PYTHON_FAMILIES[split])
        question, code, answer = family(rng)
        call = ToolCall("python", {"code": code})
        tasks.append(
            Example(
                id=f"python-{split}-{seed}-{index}",
                tools=(PYTHON_SPEC,),
                messages=(Message("user", question),),
                reference_calls=(call,),
                reference_response=str(answer),
                source=f"python-{split}",
                metadata={
                    "environment": "python",
                    "family": family.__name__.lstrip("_"),
                    "trajectory": [[call.to_dict()]],
                    "expected": {"answer": {"kind": "number", "value": answer}},
                },
            )
        )
    return tasks
