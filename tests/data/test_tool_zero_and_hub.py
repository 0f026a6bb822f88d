"""Tool-Zero's data recipe builds its mix (from local stand-ins for the Hub sets), and a
gated Hub dataset gives a `UserError` that says how to get access."""

from __future__ import annotations

import types
from pathlib import Path

import pytest
import yaml
from huggingface_hub.errors import GatedRepoError

from toolzero.data.prepare import build_mix
from toolzero.data.recipe import parse_recipe
from toolzero.data.sources import rows
from toolzero.errors import UserError

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
TOOL_ZERO = ROOT / "recipes" / "data" / "tool-zero.yaml"


def test_tool_zero_recipe_is_xlam_and_toolace_masked_with_the_four_augmentations() -> None:
    raw = yaml.safe_load(TOOL_ZERO.read_text())
    assert {s["data"] for s in raw["sources"]} == {
        "hf:Team-ACE/ToolACE",
        "hf:Salesforce/xlam-function-calling-60k",
    }
    names = [a["name"] for a in raw["augment"]]
    assert names == ["mask", "concatenate", "reintroduce_tool", "clarify_parameter", "verify_call"]
    assert raw["augment"][0]["options"] == {"style": "generic"}  # "names masked to generic ids"


def test_tool_zero_recipe_builds_from_local_files() -> None:
    raw = yaml.safe_load(TOOL_ZERO.read_text())
    local = {"toolace": "toolace.json", "xlam": "xlam.json"}
    for source in raw["sources"]:
        source["data"] = str(FIXTURES / local[source["name"]])
    raw["eval_fraction"] = 0.0
    for spec in raw["augment"]:
        spec["fraction"] = 1.0  # every row tried, so each augmentation shows up
    train, _, report = build_mix(parse_recipe(raw, "tool-zero"))
    assert report.rejected["invalid JSON in answers"] == 1  # the parseability filter
    assert any(e.metadata.get("masked") == "generic" for e in train)
    augmented = {e.id.rsplit("+", 1)[-1] for e in train if "+" in e.id}
    assert augmented >= {"concatenate", "reintroduce_tool", "clarify_parameter", "verify_call"}


def gated_error(status: int) -> GatedRepoError:
    """The Hub's refusal, with a stand-in for the HTTP response (only what the error reads)."""
    response = types.SimpleNamespace(status_code=status, headers={}, request=None)
    return GatedRepoError("gated", response=response)


@pytest.mark.parametrize("status", [401, 403])
def test_gated_hub_dataset_says_log_in(monkeypatch: pytest.MonkeyPatch, status: int) -> None:
    import datasets
    from datasets.exceptions import DatasetNotFoundError

    def refuse(name: str, split: str) -> None:  # as datasets does: its error, caused by the hub's
        try:
            raise gated_error(status)
        except GatedRepoError as exc:
            raise DatasetNotFoundError(f"Dataset '{name}' is a gated dataset on the Hub.") from exc

    monkeypatch.setattr(datasets, "load_dataset", refuse)
    with pytest.raises(UserError) as info:
        list(rows.read_rows("hf:Salesforce/xlam-function-calling-60k"))
    message = str(info.value)
    assert message.startswith("hf:Salesforce/xlam-function-calling-60k is a gated dataset")
    assert "`hf auth login`" in message and f"HTTP {status}" in message
    assert "https://huggingface.co/datasets/Salesforce/xlam-function-calling-60k" in message


def test_other_hub_errors_are_not_rewritten_as_gated(monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline is its own user error; an unrelated OSError (a full disk) stays as it is."""
    import datasets

    def offline(name: str, split: str) -> None:
        raise ConnectionError("Couldn't reach 'x' on the Hub (OfflineModeIsEnabled)")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(UserError) as info:
        list(rows.read_rows("hf:owner/name"))
    assert "gated" not in str(info.value) and "cannot be reached" in str(info.value)

    def disk_full(name: str, split: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(datasets, "load_dataset", disk_full)
    with pytest.raises(OSError) as raw:
        list(rows.read_rows("hf:owner/name"))
    assert not isinstance(raw.value, UserError)


def test_data_prepare_prints_one_line_for_a_gated_source(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    import datasets

    from toolzero.cli import main

    def refuse(name: str, split: str) -> None:
        raise gated_error(401)

    monkeypatch.setattr(datasets, "load_dataset", refuse)
    recipe = tmp_path / "gated.yaml"
    recipe.write_text(
        "sources:\n  - {name: xlam, data: 'hf:Salesforce/xlam-function-calling-60k', format: xlam}\n"
    )
    assert main(["data", "prepare", "--recipe", str(recipe), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: hf:Salesforce/xlam-function-calling-60k is a gated dataset")
    assert "Traceback" not in err
