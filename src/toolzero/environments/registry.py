"""The environment registry: one `EnvironmentRecord` per environment, registered once.

    from toolzero.environments.registry import make_environment, environment_tasks
    env = make_environment("python", wall_s=5)
    tasks = environment_tasks("synthetic_world", n=8, seed=0, split="heldout")

A record names its builder and its task generator as `"module:function"`, imported when
first called, so reading the registry loads no environment (and starts no sandbox).
Adding an environment is one `register(EnvironmentRecord(...))` here plus its module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from toolzero.errors import UserError
from toolzero.lazy import resolve
from toolzero.user_files import BadInputError

if TYPE_CHECKING:
    from toolzero.environments.base import Environment
    from toolzero.protocol.types import Example


@dataclass(frozen=True)
class EnvironmentRecord:
    """One environment: `make(**options) -> Environment`, `tasks(n, seed, split) ->
    [Example]`, the splits its tasks come in, and whether it runs code in the sandbox."""

    name: str
    title: str
    help: str
    make: str  # "module:function"
    tasks: str  # "module:function"
    splits: tuple[str, ...] = ("train", "heldout")
    needs_sandbox: bool = False


REGISTRY: dict[str, EnvironmentRecord] = {}


def register(record: EnvironmentRecord) -> EnvironmentRecord:
    if record.name in REGISTRY:
        raise ValueError(f"environment {record.name!r} is registered twice")
    REGISTRY[record.name] = record
    return record


def get_environment_record(name: str) -> EnvironmentRecord:
    try:
        return REGISTRY[name]
    except KeyError:
        raise UserError(
            f"environment: unknown {name!r}; choose from {', '.join(REGISTRY)}"
        ) from None


def make_environment(name: str, **options: Any) -> Environment:
    """The environment `name`, built with its options."""
    return resolve(get_environment_record(name).make)(**options)


def environment_tasks(
    name: str, n: int, seed: int = 0, split: str = "train", max_turns: int | None = None
) -> list[Example]:
    """`n` seeded tasks of environment `name` from `split`.

    `max_turns` set: only tasks whose reference solution fits in that many model turns
    (its call turns, then the answer: `episode.turns_needed`), the first `n` of the
    generator's sequence, so a short-episode run neither trains nor is judged on tasks it
    can never finish."""
    record = get_environment_record(name)
    if split not in record.splits:
        raise BadInputError(
            f"environment {name}: split must be one of {record.splits}, got {split!r}"
        )
    generate = resolve(record.tasks)
    if max_turns is None:
        return generate(n, seed=seed, split=split)
    from toolzero.environments.episode import turns_needed

    count = n
    while True:
        tasks = [t for t in generate(count, seed=seed, split=split) if turns_needed(t) <= max_turns]
        if len(tasks) >= n:
            return tasks[:n]
        if count >= _FIT_SEARCH * n:
            raise BadInputError(
                f"environment {name}: {len(tasks)} of {count} {split} tasks fit in "
                f"max_turns {max_turns} (call turns + the answer turn); raise the turns "
                "(environment.max_turns, --env-max-turns) or turn the fit off "
                "(environment.fit_tasks, --env-fit-tasks)"
            )
        count *= 4


_FIT_SEARCH = 64  # generate at most this many tasks per fitting task wanted


_ENV = "toolzero.environments"
register(EnvironmentRecord(
    name="synthetic_world",
    title="Synthetic world",
    help="executable synthetic tools over a seeded world; multi-step tasks checked by rule",
    make=f"{_ENV}.synthetic_world:make_synthetic_world",
    tasks=f"{_ENV}.synthetic_world:generate_world_tasks",
))  # fmt: skip
register(EnvironmentRecord(
    name="python",
    title="Python",
    help="a `python` tool that runs code in the sandbox; computation tasks checked by answer",
    make=f"{_ENV}.python_tool:make_python_environment",
    tasks=f"{_ENV}.python_tool:generate_python_tasks",
    needs_sandbox=True,
))  # fmt: skip
register(EnvironmentRecord(
    name="search",
    title="Search",
    help="a `search` tool over a BM25 index of a local corpus; questions checked by answer EM / F1",
    make=f"{_ENV}.search:make_search",
    tasks=f"{_ENV}.search:generate_search_tasks",
))  # fmt: skip
register(EnvironmentRecord(
    name="bfcl_api",
    title="BFCL simulated APIs",
    help="BFCL's simulated APIs (file system, trading, vehicle, messaging) with generated "
    "multi-step tasks; answer and state checked as BFCL's multi-turn checker does",
    make=f"{_ENV}.bfcl_api:make_bfcl_api_environment",
    tasks=f"{_ENV}.bfcl_api:generate_bfcl_api_tasks",
))  # fmt: skip

ENVIRONMENT_NAMES = tuple(REGISTRY)
