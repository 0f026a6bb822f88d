"""The `synthetic` benchmark: held-out synthetic tool-use tasks, scored per item.

Tasks come from `toolzero.data.synthetic.generate_examples(n, seed, split="heldout")`:
tools and domains never seen in training, so it measures learning to call tools, not
remembering the training tools. It runs offline in seconds, which is why the training
quickstart uses it before and after training. Per item:

- `format_valid`: the parser found nothing wrong (think block, call/response blocks, no
  stray text);
- `right_tools`: the multiset of called tool names equals the reference's (no call for a
  task that needs none);
- `exact_match`: the multiset of calls equals the reference's, names and arguments, with
  BFCL's value normalisation (`toolzero.rewards.matching.normalize_value`: strings
  lower-cased without spaces and `,./-_*^`; ints equal to floats of the same value);
- `reward`: the total (and each component) under a reward preset (default `toolrl`).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from toolzero.evaluation.generation import ModelUnderTest, SingleTurn, run_dialogues
from toolzero.evaluation.results import ItemStore, clip_text
from toolzero.protocol.parser import parse_completion
from toolzero.protocol.types import Example, ToolCall
from toolzero.rewards.matching import value_key

DEFAULT_N = 100
def call_key(call: ToolCall) -> str:
    """A call's name and BFCL-normalised arguments as text: equal keys, equal calls."""
    return json.dumps([call.name, value_key(call.arguments)])


def score_answer(example: Example, answer: str, preset: Any) -> dict[str, Any]:
    """One item's row: the four measures, the calls, the reward components."""
    parsed = parse_completion(answer)
    ref_calls = list(example.reference_calls)
    row: dict[str, Any] = {
        "id": example.id,
        "shape": example.metadata.get("shape", ""),
        "format_valid": not parsed.problems,
        "right_tools": Counter(c.name for c in parsed.calls) == Counter(c.name for c in ref_calls),
        "exact_match": Counter(map(call_key, parsed.calls)) == Counter(map(call_key, ref_calls)),
        "calls": [c.to_dict() for c in parsed.calls],
        "problems": list(parsed.problems),
        "completion": clip_text(answer),
    }
    scores = preset.score(answer, example.reference_text(), tools=[t.name for t in example.tools])
    row["reward"] = scores["total"]
    row["reward_components"] = {k: v for k, v in scores.items() if k != "total"}
    row["valid"] = row["exact_match"]
    return row


def summarize_synthetic(rows: list[dict[str, Any]], preset_name: str) -> dict[str, Any]:
    n = len(rows)

    def mean(key: str) -> float | None:
        return sum(float(r[key]) for r in rows) / n if n else None

    by_shape: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_shape.setdefault(row.get("shape") or "unknown", []).append(row)
    shapes = {
        s: {"n": len(r), "exact_match": sum(x["exact_match"] for x in r) / len(r)}
        for s, r in by_shape.items()
    }
    components: dict[str, list[float]] = {}
    for row in rows:
        for name, value in (row.get("reward_components") or {}).items():
            components.setdefault(name, []).append(float(value))
    return {
        "n": n,
        "format_valid": mean("format_valid"),
        "right_tools": mean("right_tools"),
        "exact_match": mean("exact_match"),
        "reward_mean": mean("reward"),
        "reward_components": {k: sum(v) / len(v) for k, v in components.items()},
        "reward_preset": preset_name,
        "by_shape": shapes,
    }


def run_synthetic(
    model: ModelUnderTest,
    out_dir: str | Path,
    n: int = DEFAULT_N,
    seed: int = 0,
    preset: str = "toolrl",
    batch_size: int = 8,
) -> dict[str, Any]:
    from toolzero.data.synthetic import generate_examples
    from toolzero.rewards import get_preset

    reward_preset = get_preset(preset)
    examples = generate_examples(n, seed, split="heldout")
    by_id = {e.id: e for e in examples}
    store = ItemStore(Path(out_dir) / "synthetic" / "items.jsonl")
    done = store.done_ids()
    pending = [SingleTurn(e.id, e) for e in examples if e.id not in done]
    stats = run_dialogues(
        model,
        pending,
        lambda d: score_answer(by_id[d.id], d.answer or "", reward_preset),
        store,
        batch_size,
        len(pending),
        "synthetic",
    )
    summary = summarize_synthetic([r for r in store.load() if r["id"] in by_id], preset)
    summary.update(seed=seed, split="heldout", items_file=str(store.path), timing=stats.to_dict())
    return summary
