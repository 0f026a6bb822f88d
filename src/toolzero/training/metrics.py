"""Training callbacks: `metrics.jsonl` as training runs, and a compact progress bar.

`MetricsWriter` turns TRL's log dictionaries into rows (see `metrics_file`), adds the
reward schedule values in force and tokens/s, and appends them at once (main process
only). Evaluation logs go to `eval_metrics.jsonl`; the closing `train_runtime` summary is
not a step. `RewardProgress` replaces transformers' progress bar, which prints every log
dictionary (~40 keys), with one bar whose postfix shows the reward components.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from transformers import TrainerCallback
from transformers.trainer_callback import ProgressCallback

from toolzero import run_folder
from toolzero.training.metrics_file import last_elapsed, metrics_row, numeric_items


class MetricsWriter(TrainerCallback):
    """Append a row to `metrics.jsonl` at every training log (main process only)."""

    def __init__(
        self,
        run_dir: str | Path,
        schedule_values: Callable[[int, int], dict[str, float]] | None = None,
    ) -> None:
        self.path = run_folder.metrics_path(run_dir)
        self.eval_path = run_folder.eval_metrics_path(run_dir)
        self.schedule_values = schedule_values
        self._start = time.monotonic()
        self._last_time: float | None = None
        self._last_tokens: float | None = None
        self._elapsed_before = last_elapsed(self.path)

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict | None = None, **kw: Any
    ) -> None:
        if not state.is_world_process_zero or not logs:
            return
        elapsed = self._elapsed_before + time.monotonic() - self._start
        if any(k.startswith("eval_") for k in logs):
            eval_row = {"step": state.global_step, **numeric_items(logs)}
            run_folder.append_metrics_row(self.eval_path, eval_row)
            return
        if "train_runtime" in logs:  # the closing summary, not a step
            return
        # The reward schedule, computed from the step the rewards just saw: the rewards of
        # step N are computed while global_step is N - 1. The total is the trainer state's
        # `max_steps`, as the reward functions read it.
        step = state.global_step
        schedule = self.schedule_values(step - 1, state.max_steps) if self.schedule_values else {}
        row = metrics_row(logs, step, schedule, elapsed)
        tokens = logs.get("num_tokens")
        if self._last_time is not None and tokens is not None and self._last_tokens is not None:
            dt = elapsed - self._last_time
            row["tokens_per_s"] = round((tokens - self._last_tokens) / dt, 2) if dt > 0 else None
        self._last_time, self._last_tokens = elapsed, tokens
        run_folder.append_metrics_row(self.path, row)


class RewardProgress(ProgressCallback):
    """The step bar with ETA; each log updates its postfix instead of printing a dict."""

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict | None = None, **kw: Any
    ) -> None:
        if not state.is_world_process_zero or self.training_bar is None or not logs:
            return
        shown = {
            key[len("rewards/") : -len("/mean")]: f"{value:.2f}"
            for key, value in logs.items()
            if key.startswith("rewards/") and key.endswith("/mean")
        }
        if "reward" in logs:
            shown["total"] = f"{logs['reward']:.2f}"
        if "step_time" in logs:
            shown["s/step"] = f"{logs['step_time']:.0f}"
        if shown:
            self.training_bar.set_postfix(shown, refresh=True)
