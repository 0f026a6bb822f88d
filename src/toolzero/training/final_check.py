"""Is a saved model folder complete? Every weight present, none empty, and it loads.

A ZeRO-3 run that saves with `model.save_pretrained` on rank 0 writes the partitioned
placeholders (shape `[0]`) instead of the weights; a torn save leaves a shard the index
names but nobody wrote. `final_model_problems(folder)` finds both, and with `load=True`
loads the folder with transformers and reports missing, unexpected or mismatched weights.
No trl import; safetensors and transformers only.
"""

from __future__ import annotations

import json
from pathlib import Path

INDEX = "model.safetensors.index.json"
SINGLE = "model.safetensors"


def weight_files(folder: Path) -> tuple[list[Path], list[str]]:
    """The safetensors files of a saved model, and the problems in finding them."""
    index = folder / INDEX
    if index.exists():
        weight_map = json.loads(index.read_text(encoding="utf-8")).get("weight_map") or {}
        names = sorted(set(weight_map.values()))
        missing = [n for n in names if not (folder / n).exists()]
        return [folder / n for n in names if n not in missing], [
            f"{n}: named in {INDEX} but missing" for n in missing
        ]
    if (folder / SINGLE).exists():
        return [folder / SINGLE], []
    return [], [f"no {SINGLE} or {INDEX} in {folder}"]


def tensor_problems(files: list[Path], expected: dict[str, str] | None = None) -> list[str]:
    """Empty tensors (numel 0), and index entries whose tensor is not in its file."""
    from safetensors import safe_open

    out = []
    found: dict[str, str] = {}
    for path in files:
        with safe_open(str(path), framework="pt") as handle:
            for key in handle.keys():  # noqa: SIM118 (safe_open handles are not mappings)
                shape = handle.get_slice(key).get_shape()
                found[key] = path.name
                if 0 in shape:
                    out.append(f"{key}: empty tensor (shape {list(shape)}) in {path.name}")
    for key, name in (expected or {}).items():
        if found.get(key) != name:
            out.append(f"{key}: named in {INDEX} for {name} but not there")
    if not found and files:
        out.append("the weight files hold no tensors")
    return out


def load_problems(folder: Path) -> list[str]:
    """Load the folder with transformers; missing, unexpected or mismatched weights."""
    from transformers import AutoModelForCausalLM

    _, info = AutoModelForCausalLM.from_pretrained(str(folder), output_loading_info=True)
    out = []
    for kind in ("missing_keys", "unexpected_keys", "mismatched_keys"):
        keys = sorted(str(k) for k in info.get(kind) or [])
        if keys:
            out.append(f"loading: {len(keys)} {kind.replace('_', ' ')}, e.g. {keys[:3]}")
    return out


def final_model_problems(folder: str | Path, load: bool = True) -> list[str]:
    """Every problem that makes `folder` an incomplete model; [] when it is complete."""
    folder = Path(folder)
    if not folder.is_dir():
        return [f"{folder} does not exist"]
    out = []
    if not (folder / "config.json").exists():
        out.append("no config.json")
    if not any((folder / n).exists() for n in ("tokenizer.json", "tokenizer_config.json")):
        out.append("no tokenizer (tokenizer.json / tokenizer_config.json)")
    files, missing = weight_files(folder)
    out += missing
    expected = None
    if (folder / INDEX).exists():
        expected = json.loads((folder / INDEX).read_text(encoding="utf-8")).get("weight_map")
        expected = {k: v for k, v in (expected or {}).items() if (folder / v).exists()}
    out += tensor_problems(files, expected)
    if load and not out:
        out += load_problems(folder)
    return out
