"""Environments: tools that execute, episodes, and outcomes checked by rule (issue #15).

- `base.py`: the interface (`Environment`, `Tool`, `Observation`, `Outcome`, `EpisodeState`);
- `registry.py`: environment names -> builders and task generators;
- `synthetic_world/`: the offline synthetic tools made executable over a seeded world;
- `bfcl_api/`: BFCL's simulated APIs (file system, trading, vehicle, ...) with generated tasks;
- `python_tool.py`: a `python` tool running code in the sandbox;
- `search/`: a `search` tool over a BM25 index (a user's corpus or an offline one);
- `sandbox.py`: the one place untrusted code runs; `untrusted.py`: a user's tool run there;
- `answers.py`: rule checks of final answers;
- `episode.py`: one episode's rules (read a turn, run its calls, what follows), shared by
  training's rollout loop and the `env` benchmark.

Environments know nothing of training; episodes hand rewards an `EpisodeRecord`. See
docs/environments.md.
"""

from toolzero.environments.base import (
    Environment,
    EpisodeState,
    Observation,
    Outcome,
    Tool,
    ToolFailure,
)
from toolzero.environments.registry import ENVIRONMENT_NAMES, environment_tasks, make_environment
from toolzero.environments.untrusted import ToolsEnvironment, untrusted_tool

__all__ = [
    "ENVIRONMENT_NAMES",
    "Environment",
    "EpisodeState",
    "Observation",
    "Outcome",
    "Tool",
    "ToolFailure",
    "ToolsEnvironment",
    "environment_tasks",
    "make_environment",
    "untrusted_tool",
]
