"""Rule-based rewards for tool calling: components, schedules, presets and adapters.

Every component is a pure function of (completion, reference) with a documented range;
presets bind them to ranges, weights and schedules; adapters hand them to TRL or verl.
No torch, no trainer.

>>> from toolzero.rewards import get_preset
>>> ref = '<think> x </think>\\n<tool_call>\\n{"name": "f", "parameters": {"a": 1}}\\n</tool_call>'
>>> get_preset("toolrl").score('<think> y </think>\\n<tool_call>\\n{"name": "f", "parameters": {"a": 2}}\\n</tool_call>', ref)["correctness"]
1.0
"""

from toolzero.rewards.adapters import trl_reward_functions, verl_compute_score
from toolzero.rewards.episode import EpisodeRecord
from toolzero.rewards.inputs import Completion, Reference, read_reference
from toolzero.rewards.presets import (
    EPISODE_PRESET_NAMES,
    FUNCTIONS,
    PRESET_NAMES,
    PRESETS,
    Component,
    RewardPreset,
    build_preset,
    get_preset,
)
from toolzero.rewards.schedules import as_schedule

__all__ = [
    "EPISODE_PRESET_NAMES",
    "FUNCTIONS",
    "PRESETS",
    "PRESET_NAMES",
    "Completion",
    "Component",
    "EpisodeRecord",
    "Reference",
    "RewardPreset",
    "as_schedule",
    "build_preset",
    "get_preset",
    "read_reference",
    "trl_reward_functions",
    "verl_compute_score",
]
