"""A training run's rewards, logged metrics and schedules equal those recorded before the
reward path was refactored (one preset per run, one scoring pass per batch, total steps
from the trainer state).

The fixture `reward_regression.json` was recorded on the code before that refactor: this
test run with `TOOLZERO_RECORD_REWARD_REGRESSION=1` at commit 3a68f34 (whose src/ is that of
08e0984, before the refactor), with the same tiny model, seed and recipe as the test. The run uses the `toolzero` preset (a schedule over
the fraction of training, so the run's total steps matter) plus a `length` component whose
weight follows the raw step, so both schedule units are exercised.

If the scored completions differ from the recording, generation changed (another torch or
CPU), not the rewards: re-record with the command above on the pre-refactor commit.

Two definitions changed on purpose since the recording and are pinned here to what they
were: the compact prompt's worked example (it decides what the model generates) and
`partial_format`, which since 2026-12-04 also counts ToolRL's exact layout. What is under
test is the reward *path*, not those definitions (tests/rewards and
tests/protocol/test_worked_example.py test them).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from toolzero.protocol import compact_format
from toolzero.rewards import presets
from toolzero.rewards.format import LAYOUT_CHECK, format_checks
from toolzero.rewards.presets import RewardPreset
from toolzero.run_folder import read_metrics
from toolzero.training.metrics import MetricsWriter
from toolzero.training.recipe import load_recipe
from toolzero.training.run import train

from .conftest import QUICKSTART, tiny_overrides

FIXTURE = Path(__file__).with_name("reward_regression.json")
SETTINGS = {
    "reward.preset": "toolzero",
    "reward.components": {
        "length": {
            "function": "length",
            "target_words": 3,
            "weight": {"kind": "linear", "start": 0.5, "end": 1.0, "until": 2, "unit": "step"},
        }
    },
    "data.limit": 32,
    "grpo.prompts_per_step": 4,
    "grpo.max_steps": 3,
    # the recording's generation: fp32 and torch.multinomial's draws (bf16 autocast on a
    # bf16 CPU, or inverse-CDF sampling, draw other completions: the rewards are not at issue)
    "grpo.bf16": "false",
    "grpo.cdf_sampling": "false",
    "grpo.num_generations": 2,
    "grpo.max_completion_length": 12,
    "run.save_steps": 10,
}
# The compact prompt's worked example at the recording.
RECORDED_EXAMPLE = (
    "Tools:\n- get_sunrise(city: string) - Sunrise time in a city.\n"
    "User: When does the sun rise in Oslo?\n"
    "<think> get_sunrise gives the sunrise time in a city. </think>\n<tool_call>\n"
    '{"name": "get_sunrise", "parameters": {"city": "Oslo"}}\n</tool_call>'
)
LOGGED = ("rewards/", "reward", "reward_std", "frac_reward_zero_std", "schedule/")
CLOCK = ("time_s", "step_time_s", "tokens_per_s", "timing/")  # wall-clock, not compared


def _reward_keys(logs: dict) -> dict:
    return {k: v for k, v in logs.items() if k.startswith(LOGGED)}


def recorded_partial_format(completion, reference, *, low=0.0, high=1.0):  # type: ignore[no-untyped-def]
    """`partial_format` at the recording: every check but ToolRL's exact layout."""
    checks = format_checks(completion, reference)
    checks.pop(LAYOUT_CHECK)
    return low + (high - low) * sum(checks.values()) / len(checks)


def run_and_collect(model: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Train the tiny run; return what was scored, TRL's reward logs (means and stds per
    component, total, schedule) and the metrics rows (all but wall-clock columns)."""
    captured: list[dict] = []
    scored: list[list] = []
    on_log, score = MetricsWriter.on_log, RewardPreset.score

    def keep_logs(self, args, state, control, logs=None, **kw):  # type: ignore[no-untyped-def]
        if logs and "train_runtime" not in logs:
            captured.append({**_reward_keys(logs), "step": state.global_step})
        return on_log(self, args, state, control, logs, **kw)

    def keep_scored(self, completion, reference, step=0, total_steps=None, tools=None):  # type: ignore[no-untyped-def]
        if [step, completion, reference] not in scored:
            scored.append([step, completion, reference])
        return score(self, completion, reference, step, total_steps, tools)

    monkeypatch.setattr(compact_format, "WORKED_EXAMPLE", RECORDED_EXAMPLE)
    monkeypatch.setitem(presets.ALL_FUNCTIONS, "partial_format", recorded_partial_format)
    monkeypatch.setattr(MetricsWriter, "on_log", keep_logs)
    monkeypatch.setattr(RewardPreset, "score", keep_scored)
    result = train(load_recipe(QUICKSTART, tiny_overrides(model, out, **SETTINGS)))
    rows = [
        {k: v for k, v in row.items() if not k.startswith(CLOCK)}
        for row in read_metrics(result.run_dir / "metrics.jsonl")
    ]
    return {"scored": scored, "trl_logs": captured, "metrics_rows": rows}


@pytest.mark.slow
def test_rewards_metrics_and_schedules_match_the_recording(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import toolzero.rewards

    builds = []
    build = toolzero.rewards.build_preset
    monkeypatch.setattr(toolzero.rewards, "build_preset", lambda c: builds.append(c) or build(c))
    got = run_and_collect(tiny_model, tmp_path / "run", monkeypatch)
    if os.environ.get("TOOLZERO_RECORD_REWARD_REGRESSION"):
        FIXTURE.write_text(json.dumps(got, indent=1) + "\n", encoding="utf-8")
        pytest.skip(f"recorded {FIXTURE}")
    assert len(builds) == 1  # one preset for the run: validation's, passed down
    want = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert got["scored"] == want["scored"], "generation changed (not the rewards): re-record"
    assert len(want["metrics_rows"]) == 3
    for key in ("trl_logs", "metrics_rows"):
        assert [sorted(r) for r in got[key]] == [sorted(r) for r in want[key]], key
        for g, w in zip(got[key], want[key], strict=True):
            assert g == pytest.approx(w, rel=1e-6, abs=1e-9), (key, g["step"])
