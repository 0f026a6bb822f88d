"""The run folder's files: checkpoint discovery, status, metrics rows, evaluation files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolzero import run_folder


def _checkpoint(folder: Path, step: int, state: str | None = None) -> Path:
    path = folder / f"checkpoint-{step}"
    path.mkdir(parents=True)
    text = json.dumps({"global_step": step}) if state is None else state
    (path / "trainer_state.json").write_text(text)
    return path


def test_latest_checkpoint_is_the_highest_complete_one(tmp_path: Path) -> None:
    saved = tmp_path / "checkpoints"
    _checkpoint(saved, 2)
    ten = _checkpoint(saved, 10)  # 10 > 9 > 2 as numbers, not as text
    _checkpoint(saved, 9)
    _checkpoint(saved, 12, state='{"global_st')  # torn by a kill while saving
    (saved / "checkpoint-13").mkdir()  # no trainer_state.json at all
    (saved / "checkpoint-14").write_text("")  # not a folder
    (saved / "checkpoint-x").mkdir()
    assert run_folder.latest_checkpoint(tmp_path) == ten
    assert run_folder.checkpoint_step(ten) == 10
    assert [step for step, _ in run_folder.checkpoint_dirs(tmp_path)] == [13, 12, 10, 9, 2]


def test_checkpoints_at_the_folder_root_count_too(tmp_path: Path) -> None:
    """Another trainer's output folder holds checkpoint-N/ directly."""
    _checkpoint(tmp_path / "checkpoints", 3)
    five = _checkpoint(tmp_path, 5)
    assert run_folder.latest_checkpoint(tmp_path) == five
    assert run_folder.latest_checkpoint(tmp_path / "absent") is None


def test_usable_decides_which_checkpoint_counts(tmp_path: Path) -> None:
    _checkpoint(tmp_path / "checkpoints", 1)
    (tmp_path / "checkpoints" / "checkpoint-1" / "config.json").write_text("{}")
    _checkpoint(tmp_path / "checkpoints", 2)
    found = run_folder.latest_checkpoint(tmp_path, usable=lambda p: (p / "config.json").exists())
    assert found == tmp_path / "checkpoints" / "checkpoint-1"


def test_status_merges_and_rejects_keys_no_reader_knows(tmp_path: Path) -> None:
    assert run_folder.read_status(tmp_path) == {}
    run_folder.update_status(tmp_path, status="running", total_steps=4)
    run_folder.update_status(tmp_path, status="finished", cpu_s=1.5)
    on_disk = json.loads((tmp_path / "run.json").read_text())
    assert on_disk == {"status": "finished", "total_steps": 4, "cpu_s": 1.5}
    with pytest.raises(KeyError, match="cpu_seconds"):
        run_folder.update_status(tmp_path, cpu_seconds=1.0)
    assert run_folder.read_status(tmp_path) == on_disk


def test_torn_metrics_line_is_skipped_and_truncation_keeps_earlier_steps(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    rows = [{"step": s, "rewards/total": float(s)} for s in (1, 2, 3, 4)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"step": 5, "rew')
    assert [r["step"] for r in run_folder.read_metrics(path)] == [1, 2, 3, 4]
    assert run_folder.truncate_metrics(tmp_path, 2) == 2
    assert run_folder.read_metrics(path) == rows[:2]
    run_folder.append_metrics_row(path, {"step": 3})
    assert [r["step"] for r in run_folder.read_metrics(path)] == [1, 2, 3]
    assert run_folder.read_metrics(tmp_path / "absent.jsonl") == []


def test_quickstart_evaluations(tmp_path: Path) -> None:
    assert run_folder.read_evaluation(tmp_path) == {}
    run_folder.write_evaluation(tmp_path, {"n": 1}, {"n": 2})
    assert json.loads((tmp_path / "evaluation.json").read_text()) == {
        "before": {"n": 1},
        "after": {"n": 2},
    }
    assert run_folder.read_evaluation(tmp_path)["after"] == {"n": 2}
    assert run_folder.evaluation_dir(tmp_path, "before") == tmp_path / "eval-before"
    after = run_folder.evaluation_dir(tmp_path, "after", unfamiliar=True)
    assert after == tmp_path / "eval-after-unfamiliar"
    view = {"bench": "hammer:sealtool", "limit": 16, "skipped": "not here"}
    run_folder.write_evaluation(tmp_path, {"n": 1}, {"n": 2}, view)
    assert run_folder.read_evaluation(tmp_path) == {
        "before": {"n": 1},
        "after": {"n": 2},
        "unfamiliar": view,
    }


def test_manifest_has_its_own_name_and_old_folders_still_read(tmp_path: Path) -> None:
    new, old, training = tmp_path / "new", tmp_path / "old", tmp_path / "training"
    run_folder.write_manifest(new, {"model": "m", "backend": "hf"})
    assert json.loads((new / "manifest.json").read_text())["backend"] == "hf"
    assert not (new / "run.json").exists()
    old.mkdir()
    (old / "run.json").write_text(json.dumps({"model": "m", "backend": "vllm"}))
    assert run_folder.read_manifest(old) == {"model": "m", "backend": "vllm"}
    training.mkdir()
    run_folder.update_status(training, status="finished")  # a training run's run.json
    assert run_folder.read_manifest(training) is None
    assert run_folder.read_manifest(tmp_path / "absent") is None
