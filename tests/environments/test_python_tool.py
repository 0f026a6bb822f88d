"""The python environment: code runs in the sandbox, results and failures are observations,
the outcome is the answer."""

from __future__ import annotations

import re

import pytest

from toolzero.environments.python_tool import (
    PythonEnvironment,
    generate_python_tasks,
    make_python_environment,
    render_sandbox_result,
)
from toolzero.environments.sandbox import SandboxLimits, SandboxResult, sandbox_problem
from toolzero.errors import ConfigError, UserError
from toolzero.protocol.types import ToolCall

needs_sandbox = pytest.mark.skipif(
    sandbox_problem() is not None, reason=f"no sandbox here: {sandbox_problem()}"
)


@needs_sandbox
@pytest.mark.parametrize("split", ["train", "heldout"])
def test_reference_code_prints_the_expected_answer(split: str) -> None:
    env = PythonEnvironment(SandboxLimits(wall_s=10))
    for task in generate_python_tasks(3, seed=1, split=split):
        state = env.reset(task)
        (observation,) = env.step(state, task.reference_calls)
        assert not observation.error, observation.content
        printed = observation.content.split("stdout:\n")[1].strip()
        assert env.outcome(state, printed).success, (task.id, observation.content)
        assert not env.outcome(state, str(int(printed) + 1)).success


@needs_sandbox
def test_failures_and_timeouts_are_error_observations() -> None:
    env = PythonEnvironment(SandboxLimits(wall_s=1))
    state = env.reset(generate_python_tasks(1)[0])
    crash, sleep = env.step(
        state,
        [
            ToolCall("python", {"code": "1 / 0"}),
            ToolCall("python", {"code": "import time\ntime.sleep(9)"}),
        ],
    )
    assert crash.error and crash.content.startswith("error: exit code 1")
    assert "ZeroDivisionError" in crash.content
    assert sleep.error and "stopped by the sandbox: wall time" in sleep.content


def factor_count(n: int) -> int:
    """Number of divisors from the prime factorisation: the product of (exponent + 1)."""
    count, p = 1, 2
    while p * p <= n:
        exponent = 0
        while n % p == 0:
            n, exponent = n // p, exponent + 1
        count, p = count * (exponent + 1), p + 1
    return count * (2 if n > 1 else 1)


def fibonacci(n: int) -> int:
    """F(n) by fast doubling: F(2k) = F(k)(2F(k+1) - F(k)), F(2k+1) = F(k)^2 + F(k+1)^2."""
    a, b = 0, 1
    for bit in bin(n)[2:]:
        a, b = a * (2 * b - a), a * a + b * b
        if bit == "1":
            a, b = b, a + b
    return a


def test_known_answers_of_the_task_families() -> None:
    """Each generated answer agrees with a different computation of the same definition."""
    tasks = generate_python_tasks(12, seed=2, split="train")
    tasks += generate_python_tasks(12, seed=2, split="heldout")
    assert factor_count(12) == 6 and fibonacci(10) == 55 and fibonacci(1) == 1
    for task in tasks:
        question = task.messages[0].content
        value = task.metadata["expected"]["answer"]["value"]
        numbers = [int(w) for w in re.findall(r"\d+", question)]
        if question.startswith("How many positive divisors"):
            assert value == factor_count(numbers[0])
        elif question.startswith("What is the sum of the decimal digits"):
            assert value == sum(map(int, str(pow(numbers[0], numbers[1]))))
        elif question.startswith("What is the sum of all prime"):
            primes = [
                k for k in range(2, numbers[0]) if all(k % d for d in range(2, int(k**0.5) + 1))
            ]
            assert value == sum(primes)
        else:
            assert question.startswith("What is F(")
            assert value == fibonacci(numbers[0]) % numbers[1]


def test_render_sandbox_result_keeps_the_end_of_long_output() -> None:
    result = SandboxResult("", "x" * 50 + "Error: boom", 1, killed_reason=None)
    text = render_sandbox_result(result, max_chars=20)
    assert text == "exit code 1\nstderr:\n[...]" + ("x" * 50 + "Error: boom")[-20:]
    killed = SandboxResult("a" * 5, "", None, timed_out=True, killed_reason="wall_time")
    assert render_sandbox_result(killed).endswith("stopped by the sandbox: wall time")


def test_options_are_checked() -> None:
    with pytest.raises(UserError, match=r"unknown options \['wall'\]"):
        make_python_environment(wall=3)
    with pytest.raises(ConfigError, match="cpu_s"):
        make_python_environment(cpu_s=0)
    assert make_python_environment(wall_s=3).limits.wall_s == 3


def test_tasks_are_deterministic_and_splits_differ() -> None:
    assert generate_python_tasks(4, seed=0) == generate_python_tasks(4, seed=0)
    train = {t.metadata["family"] for t in generate_python_tasks(20, seed=0, split="train")}
    heldout = {t.metadata["family"] for t in generate_python_tasks(20, seed=0, split="heldout")}
    assert train and heldout and not train & heldout
