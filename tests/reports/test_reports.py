"""Reports from metrics.jsonl: plots of every reward component, start/end and before/after
tables, overlays of several runs, and the `toolzero report` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolzero.cli import main
from toolzero.reports import RunData, generate_report, start_end
from toolzero.reports.markdown import evaluation_table


def write_run(
    path: Path, components: dict[str, list[float]], evaluation: dict | None = None
) -> Path:
    path.mkdir(parents=True)
    steps = len(next(iter(components.values())))
    rows = []
    for i in range(steps):
        row = {
            "step": i + 1,
            "time_s": 10.0 * (i + 1),
            "step_time_s": 10.0,
            "kl": 0.0,
            "entropy": 1.0 - i / 100,
        }
        row |= {f"rewards/{name}": values[i] for name, values in components.items()}
        row["rewards/total"] = sum(values[i] for values in components.values())
        row["schedule/correctness.high"] = 2.0 + i / steps
        row["schedule/format.weight"] = 1.0  # constant: no plot
        rows.append(row)
    (path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (path / "recipe.yaml").write_text("model: {name: tiny}\nreward: {preset: toolzero}\n")
    (path / "run.json").write_text(
        json.dumps({"status": "finished", "total_steps": steps, "wall_s": 12.5})
    )
    if evaluation:
        (path / "evaluation.json").write_text(json.dumps(evaluation))
    return path


@pytest.mark.parametrize(
    ("values", "window", "expected"),
    [
        ([1.0, 2.0, 3.0, 4.0], None, (1.0, 4.0)),
        ([1.0, 2.0, 3.0, 4.0], 2, (1.5, 3.5)),
        ([5.0], None, (5.0, 5.0)),
    ],
)
def test_start_end(values: list[float], window: int | None, expected: tuple[float, float]) -> None:
    assert start_end(values, window) == expected


def test_single_run_report_has_every_component_plot_and_tables(tmp_path: Path) -> None:
    evaluation = {
        "before": {"synthetic": {"accuracy": 0.0, "format_ok": 0.25, "n": 32}},
        "after": {"synthetic": {"accuracy": 0.5, "format_ok": 0.75, "n": 32}},
    }
    run = write_run(
        tmp_path / "quick",
        {"format": [0.2, 0.4, 0.8, 1.0], "correctness": [-1.0, -0.5, 0.5, 1.0]},
        evaluation,
    )
    report = generate_report([run])
    assert report == run / "report.md"
    text = report.read_text()
    assert "| quick | format | 0.200 | 1.000 | 0.800 |" in text
    assert "| quick | correctness | -1.000 | 1.000 | 2.000 |" in text
    assert "| synthetic.accuracy (%) | 0.0 | 50.0 | +50.0 |" in text
    assert "wall time (s): 12.5" in text
    plots = sorted(p.name for p in (run / "plots").glob("*.png"))
    for name in (
        "reward_format.png",
        "reward_correctness.png",
        "reward_total.png",
        "schedule_correctness.high.png",
    ):
        assert name in plots
    assert "schedule_format.weight.png" not in plots  # constant schedules are not plotted
    assert "## Episodes (multi-turn)" not in text  # a single-turn run logs no env/ metrics
    for name in plots:
        assert f"(plots/{name})" in text
        assert (run / "plots" / name).read_bytes()[:4] == b"\x89PNG"


def test_a_multi_turn_run_gets_its_episode_curves(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path / "mt", {"outcome": [0.0, 0.25, 0.5]})
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    for i, row in enumerate(rows):
        row |= {"env/outcome_success": i / 4, "env/turns": 1.5, "env/ended_truncated": 0.5 - i / 4}
    (run_dir / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    text = generate_report([run_dir]).read_text()
    section = text[text.index("## Episodes (multi-turn)") : text.index("## Training health")]
    for name in ("env_outcome_success.png", "env_turns.png", "env_ended_truncated.png"):
        assert f"(plots/{name})" in section
        assert (run_dir / "plots" / name).read_bytes()[:4] == b"\x89PNG"
    assert "env_calls.png" not in text  # not logged: no empty plot


def test_dynamic_ranges_are_compared_as_shares_of_the_range_in_force(tmp_path: Path) -> None:
    # ToolRL's dynamic format scale: the maximum falls 2 -> 1 while the model reaches it.
    highs = [2.0, 1.75, 1.5, 1.25]
    run_dir = write_run(tmp_path / "dyn", {"format": [1.0, 1.3125, 1.5, 1.25]})
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    for row, high in zip(rows, highs, strict=True):
        row |= {"schedule/format.low": 0.0, "schedule/format.high": high}
    (run_dir / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    text = generate_report([run_dir]).read_text()
    # raw mean 1.0 -> 1.25 says little; the share of the range goes 50% -> 100%
    assert "| dyn | format | 1.000 | 1.250 | 0.250 | 50% | 100% |" in text
    assert "| dyn | total | 1.000 | 1.250 | 0.250 |  |  |" in text  # no range logged
    assert "(plots/reward_format_share.png)" in text
    assert (run_dir / "plots" / "reward_format_share.png").read_bytes()[:4] == b"\x89PNG"


def test_overlay_of_two_runs_compares_reward_designs(tmp_path: Path) -> None:
    a = write_run(tmp_path / "fine", {"format": [0.0, 1.0], "correctness": [0.0, 2.0]})
    b = write_run(tmp_path / "binary", {"binary": [0.0, 0.5]})
    report = generate_report([a, b], tmp_path / "compare")
    text = report.read_text()
    assert text.startswith("# Training report: fine vs binary")
    assert "| binary | binary | 0.000 | 0.500 | 0.500 |" in text
    assert "| fine | correctness | 0.000 | 2.000 | 2.000 |" in text
    names = {p.name for p in (tmp_path / "compare" / "plots").glob("*.png")}
    assert {"reward_format.png", "reward_binary.png", "reward_total.png"} <= names


def test_evaluation_table_only_compares_shared_results() -> None:
    def summary(right: float, reward: float, seconds: float) -> dict:
        synthetic = {
            "n": 32,
            "right_tools": right,
            "reward_mean": reward,
            "seed": 0,
            "reward_preset": "toolrl",
            "timing": {"generation_seconds": seconds},
            "split": "heldout",
        }
        env = {"outcome_success": right, "ended": {"max_turns": 0.5},
               "settings": {"max_turns": 2, "fit_tasks": True}}  # fmt: skip
        return {
            "run": {"temperature": 0.0, "seconds": seconds},
            "benchmarks": {"synthetic": synthetic, "env": env},
        }

    before, after = summary(0.125, -2.0, 40.0), summary(0.25, -1.5, 39.0)
    after["benchmarks"]["synthetic"]["only_after"] = 1.0
    run = RunData(name="r", path=Path("."), rows=[], evaluation={"before": before, "after": after})
    assert evaluation_table(run) == [
        "| metric | before | after | change |",
        "| --- | --- | --- | --- |",
        "| synthetic.right_tools (%) | 12.5 | 25.0 | +12.5 |",
        "| synthetic.reward_mean (toolrl) | -2.000 | -1.500 | 0.500 |",
        "| env.outcome_success | 0.125 | 0.250 | 0.125 |",
        "| env.ended.max_turns | 0.500 | 0.500 | 0.000 |",  # a result, not the setting
    ]


def test_evaluation_table_shows_the_call_diagnostics_as_percentages() -> None:
    """The synthetic bench's shares of calls naming a listed tool / missing a required
    parameter are shares (percent); None (no call made) leaves the row out."""

    def summary(listed: float | None, missing: float | None) -> dict:
        synthetic = {"calls_naming_listed_tools": listed, "calls_missing_required": missing}
        return {"benchmarks": {"synthetic": synthetic}}

    run = RunData(name="r", path=Path("."), rows=[],
                  evaluation={"before": summary(0.875, 0.25), "after": summary(0.125, 1.0)})  # fmt: skip
    assert evaluation_table(run) == [
        "| metric | before | after | change |",
        "| --- | --- | --- | --- |",
        "| synthetic.calls_naming_listed_tools (%) | 87.5 | 12.5 | -75.0 |",
        "| synthetic.calls_missing_required (%) | 25.0 | 100.0 | +75.0 |",
    ]
    run.evaluation["after"] = summary(None, None)  # declined everything
    assert evaluation_table(run) == []


def test_evaluation_table_leaves_out_counts_and_partial_aggregates() -> None:
    """A BFCL slice (`bfcl:simple_python,irrelevance`, first 40 of each): the table shows
    each category's accuracy once; the counts behind it and the aggregates over categories
    that were not evaluated (`overall_v3` here is irrelevance and simple_python alone) stay
    out, while an aggregate whose every part was evaluated stays in."""

    def summary(simple: int, irrelevance: int) -> dict:
        def category(correct: int) -> dict:
            return {"correct": correct, "total": 40, "size": 400, "accuracy": correct / 40,
                    "complete": False}  # fmt: skip

        both = (simple + irrelevance) / 80
        bfcl = {
            "categories": {"simple_python": category(simple), "irrelevance": category(irrelevance)},
            "aggregates": {
                "overall_v3": {"accuracy": both, "missing": ["live", "multi_turn"], "total": 80},
                "two": {"accuracy": both, "missing": [], "partial": ["simple_python"]},
            },
            "error_types": {"ast_decoder:decoder_failed": 40 - simple},
        }
        return {"run": {"limit": 40}, "benchmarks": {"bfcl": bfcl}}

    run = RunData(name="r", path=Path("."), rows=[],
                  evaluation={"before": summary(1, 33), "after": summary(6, 30)})  # fmt: skip
    assert evaluation_table(run) == [
        "| metric | before | after | change |",
        "| --- | --- | --- | --- |",
        "| bfcl.categories.simple_python.accuracy (%) | 2.5 | 15.0 | +12.5 |",
        "| bfcl.categories.irrelevance.accuracy (%) | 82.5 | 75.0 | -7.5 |",
        "| bfcl.aggregates.two.accuracy (%) | 42.5 | 45.0 | +2.5 |",
    ]


def test_cli_report_and_missing_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = write_run(tmp_path / "r1", {"format": [0.0, 1.0]})
    assert main(["report", str(run)]) == 0
    assert (run / "report.md").exists()
    assert main(["report", str(tmp_path / "nothing")]) == 2
    assert "no metrics.jsonl" in capsys.readouterr().err


def test_reports_read_only_keys_the_run_folder_defines() -> None:
    """Every status value and health curve a report shows is one that something writes:
    a `RunStatus` key (training or the quickstart writes it) or a `MetricsRow` key."""
    from toolzero.reports.markdown import STATUS_LABELS
    from toolzero.reports.plots import HEALTH
    from toolzero.run_folder import RunStatus, is_metrics_key

    assert {key for key, _ in STATUS_LABELS} <= set(RunStatus.__annotations__)
    assert all(is_metrics_key(key) for key, _ in HEALTH)


def hammer_summary(api_f1: float | None, param_f1: float | None, exact: float) -> dict:
    """The parts of a `hammer` evaluation summary the report reads (its registry headline)."""
    sealtool = {
        "api": {"f1": api_f1},
        "param": {"f1": param_f1},
        "exact_match": {"accuracy": exact},
    }
    return {
        "benchmarks": {"hammer": {"sets": {"sealtool": sealtool}, "definition": "Hammer's rules"}}
    }


def test_generalization_view_follows_the_held_out_table(tmp_path: Path) -> None:
    evaluation = {
        "before": {"synthetic": {"right_tools": 0.125}},
        "after": {"synthetic": {"right_tools": 0.25}},
        "unfamiliar": {
            "bench": "hammer:sealtool",
            "limit": 16,
            "before": hammer_summary(0.25, 0.5, 0.0),
            "after": hammer_summary(0.5, 1.25, 0.125),  # param F1 can exceed 100% (Hammer)
        },
    }
    run = write_run(tmp_path / "quick", {"format": [0.2, 1.0]}, evaluation)
    text = generate_report([run]).read_text()
    held_out = text.index("| synthetic.right_tools (%) | 12.5 | 25.0 | +12.5 |")
    view = text.index("## Generalization: unfamiliar tools (hammer:sealtool, first 16 items)")
    assert held_out < view < text.index("## Reward components")
    # The report leads with the held-out results: before the run's facts and rewards.
    assert text.index("## Evaluation before and after training") < text.index("## Runs")
    assert view < text.index("## Rewards (mean of the first and last logged steps)")
    rows = text[view:].splitlines()
    assert "| hammer/sealtool/api_f1 (%) | 25.0 | 50.0 | +25.0 |" in rows
    assert "| hammer/sealtool/param_f1 (%) | 50.0 | 125.0 | +75.0 |" in rows
    assert "| hammer/sealtool/exact_match (%) | 0.0 | 12.5 | +12.5 |" in rows
    assert "Scoring: Hammer's rules." in rows
    assert not any(row.startswith("—: not defined") for row in rows)  # every value defined
    assert "`eval-before-unfamiliar/`, `eval-after-unfamiliar/`" in text


def test_a_skipped_generalization_view_says_why_and_how(tmp_path: Path) -> None:
    evaluation = {
        "before": {"synthetic": {"right_tools": 0.125}},
        "after": {"synthetic": {"right_tools": 0.25}},
        "unfamiliar": {"bench": "hammer:sealtool", "limit": 16, "skipped": "not here; fetch it"},
    }
    run = write_run(tmp_path / "quick", {"format": [0.2, 1.0]}, evaluation)
    lines = generate_report([run]).read_text().splitlines()
    view = lines.index("## Generalization: unfamiliar tools (hammer:sealtool, first 16 items)")
    assert lines[view + 1 : view + 3] == ["", "Skipped: not here; fetch it."]
    assert not any("hammer/" in line for line in lines)


def test_an_overlay_names_each_runs_generalization_view(tmp_path: Path) -> None:
    view = {"bench": "hammer:sealtool", "limit": 16, "skipped": "not here"}
    runs = [
        write_run(tmp_path / name, {"format": [0.2, 1.0]}, {"unfamiliar": view})
        for name in ("a", "b")
    ]
    text = generate_report(runs, tmp_path / "ab").read_text()
    for name in ("a", "b"):
        assert (
            f"## Generalization: unfamiliar tools (hammer:sealtool, first 16 items): {name}" in text
        )


def test_an_undefined_metric_is_a_dash_and_says_why(tmp_path: Path) -> None:
    # No call predicted before training: Hammer's API precision has no denominator.
    view = {"bench": "hammer:sealtool", "limit": 16}
    view |= {"before": hammer_summary(None, None, 0.0), "after": hammer_summary(0.5, 0.5, 0.0)}
    run = write_run(tmp_path / "quick", {"format": [0.2, 1.0]}, {"unfamiliar": view})
    rows = generate_report([run]).read_text().splitlines()
    assert "| hammer/sealtool/api_f1 (%) | — | 50.0 | — |" in rows
    assert "—: not defined (a zero denominator, e.g. no call predicted at all)." in rows


def test_report_shows_what_the_model_wrote_at_the_first_and_last_sampled_steps(
    tmp_path: Path,
) -> None:
    run = write_run(tmp_path / "s", {"format": [0.0, 0.5, 1.0]})
    # as TRL passes it: the chat template's markers and the prefill after the request
    P7 = "Tools: ...<start_of_turn>user\nUser: Is 7 prime?<end_of_turn>\n<start_of_turn>model\n<think>"

    def row(step: int, prompt: str, completion: str, fmt: float, adv: float) -> str:
        return json.dumps(
            {"step": step, "prompt": prompt, "completion": completion,
             "rewards": {"format": fmt, "grounding": 1.0}, "advantage": adv}
        ) + "\n"

    lines = [
        row(1, P7, "<think> a|b </think>\nno", 0.0, -0.5),
        row(1, P7, "<think> `x` </think>", 0.5, 0.5),
        row(1, "Tools: ...\nUser: Time in Oslo?", "<think></think>", 0.5, 0.0),
        row(2, "User: Is 7 prime?", "middle step", 1.0, 0.0),
        row(3, "User: Is 9 prime?", "<tool_call>", 1.0, 0.0),
        row(3, "User: Is 9 prime?", "<tool_call>", 1.0, 0.0),
        '{"step": 3, "prompt": "torn',  # a killed run's last line
        "\n[1, 2]\n",  # rows of another shape are skipped too
        json.dumps({"step": 3, "prompt": 5, "completion": "bad", "rewards": [1]}) + "\n",
    ]
    (run / "samples.jsonl").write_text("".join(lines))
    text = generate_report([run]).read_text()
    assert "## What the model wrote" in text
    assert "**Step 1**: 3 distinct of 3 completions" in text
    assert "**Step 3**: 1 distinct of 2 completions" in text
    assert "middle step" not in text  # only the first and the last step
    assert "request: `User: Is 7 prime?`" in text  # its User: line, without chat markers
    # one table row per completion of the first prompt, the total over components;
    # newlines shown as ⏎, pipes escaped, backticks replaced: the table stays one row each
    assert "| 1.00 | -0.500 | `<think> a\\|b </think> ⏎ no` |" in text
    assert "| 1.50 | 0.500 | `<think> 'x' </think>` |" in text
    assert "Time in Oslo" not in text
    overlay = generate_report([run, write_run(tmp_path / "t", {"format": [0.0]})], tmp_path / "o")
    assert "What the model wrote" not in overlay.read_text()  # one run's view only
