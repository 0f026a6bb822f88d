"""Rewards scored per second, per preset, on ToolRL's 400 real references and their mutations.

    python benchmarks/reward_throughput.py [--data ../shared/data/toolrl/rlla_sft.json]

Each reference is scored against itself and ~20 realistic mutations (wrong value, missing
or extra call, reordering, broken JSON, missing tags...). Caches are cleared before each
preset, so every completion is parsed afresh (references are parsed once per group, as in
GRPO training). Also times the worst inputs we know: 1 MB completions.
Single process, single core.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "rewards"))

from test_robustness import ADVERSARIAL
from test_toolrl_exact import mutations

from toolzero.rewards import PRESET_NAMES, get_preset
from toolzero.rewards.inputs import _read_reference_cached
from toolzero.rewards.presets import completion_for

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "toolrl" / "rlla_sft.json"


def cases(path: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(all cases, typical single-call cases: the reference or a one-value change)."""
    rows = json.loads(path.read_text())
    rng = random.Random(0)
    everything, single = [], []
    for row in rows:
        ref = row["output"]
        muts = mutations(ref, rng)
        everything += [(m, ref) for m in muts]
        if ref.count('"name"') == 1:
            single += [(m, ref) for m in muts[:1] + muts[-4:]]
    return everything, single


def rate(preset_name: str, pairs: list[tuple[str, str]], repeat: int = 3) -> float:
    preset = get_preset(preset_name)
    best = 0.0
    for _ in range(repeat):
        completion_for.cache_clear()
        _read_reference_cached.cache_clear()
        start = time.perf_counter()
        for completion, reference in pairs:
            preset.score(completion, reference, step=10, total_steps=100)
        best = max(best, len(pairs) / (time.perf_counter() - start))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    if not args.data.exists():
        sys.exit(f"no data at {args.data}: pass --data path/to/rlla_sft.json")
    everything, single = cases(args.data)
    print(f"{len(everything)} cases from {args.data.name}; {len(single)} typical single-call cases")
    print(f"{'preset':<22} {'all cases /s':>14} {'single-call /s':>15}")
    for name in PRESET_NAMES:
        print(f"{name:<22} {rate(name, everything):>14,.0f} {rate(name, single):>15,.0f}")
    print("\nworst case: 1 MB-scale adversarial completions (ms per score, slowest preset)")
    ref = everything[0][1]
    for i, text in enumerate(ADVERSARIAL):
        worst = 0.0
        for name in PRESET_NAMES:
            completion_for.cache_clear()
            start = time.perf_counter()
            get_preset(name).score(text, ref, step=1, total_steps=2)
            worst = max(worst, time.perf_counter() - start)
        print(f"  case {i}: {len(text) / 1e6:5.2f} MB  {worst * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
