"""Which weights `--model` means: run folders, checkpoints, LoRA adapters, Hub ids."""

from __future__ import annotations

import json

import pytest

from toolzero.evaluation.backends.model_paths import (
    adapter_base,
    load_for_generation,
    resolve_checkpoint,
)


def _model_dir(path, marker="config.json"):
    path.mkdir(parents=True)
    (path / marker).write_text("{}")
    return path


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        (["config.json"], "."),
        (["final/config.json", "checkpoint-9/config.json"], "final"),
        (
            ["checkpoint-2/config.json", "checkpoint-10/adapter_config.json", "checkpoint-30/"],
            "checkpoint-10",
        ),
        # a toolzero run folder killed before final/: its trainer saves under checkpoints/
        (
            ["checkpoints/checkpoint-4/adapter_config.json", "checkpoints/checkpoint-8/"],
            "checkpoints/checkpoint-4",
        ),
        (["final/config.json", "checkpoints/checkpoint-9/config.json"], "final"),
    ],
)
def test_run_folder_resolution(tmp_path, layout, expected):
    run = tmp_path / "run"
    run.mkdir()
    for item in layout:
        target = run / item
        if item.endswith("/"):
            target.mkdir(parents=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("{}")
    assert resolve_checkpoint(run) == (run / expected if expected != "." else run)


def test_empty_folder_and_hub_ids(tmp_path):
    with pytest.raises(FileNotFoundError, match="holds no model"):
        resolve_checkpoint(tmp_path)
    assert resolve_checkpoint("Qwen/Qwen2.5-1.5B-Instruct") == "Qwen/Qwen2.5-1.5B-Instruct"


def test_adapter_is_loaded_on_its_base_and_merged(tiny_model_path, tmp_path):
    from peft import LoraConfig, get_peft_model

    from toolzero.models import load_model_and_tokenizer

    model, _ = load_model_and_tokenizer(str(tiny_model_path))
    peft_model = get_peft_model(model, LoraConfig(r=2, target_modules=["q_proj", "v_proj"]))
    run = tmp_path / "run" / "checkpoint-3"
    peft_model.save_pretrained(run)
    config = json.loads((run / "adapter_config.json").read_text())
    assert adapter_base(run) == config["base_model_name_or_path"] == str(tiny_model_path)
    merged, tok = load_for_generation(str(tmp_path / "run"))
    assert not hasattr(merged, "peft_config") and not merged.training
    assert tok.pad_token is not None
