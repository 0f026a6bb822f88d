"""Find the model to evaluate: a run folder, a checkpoint, a LoRA adapter, a Hub id or `gemma-3-270m`.

A training run folder holds `checkpoints/checkpoint-N/` folders and, when training
finished, the final weights in `final/` (see `toolzero.run_folder`); another trainer's
output folder may hold `checkpoint-N/` at its root. `resolve_checkpoint` picks, in order:
weights or an adapter at the folder itself, then `final/`, then the highest
`checkpoint-N/` that holds weights or an adapter. An adapter folder (`adapter_config.json`,
written by PEFT) is loaded on its base model and merged, so generation runs at full speed;
vLLM gets a merged copy written once under toolzero's cache.

Hub ids are passed to transformers unchanged (offline use needs them cached).
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from toolzero import run_folder
from toolzero.user_files import MissingInputError

logger = logging.getLogger(__name__)

WEIGHT_MARKERS = ("config.json", "adapter_config.json")


def _is_model_dir(path: Path) -> bool:
    return any((path / m).is_file() for m in WEIGHT_MARKERS)


def resolve_checkpoint(name_or_path: str | Path) -> str | Path:
    """The folder holding the weights to load, or `name_or_path` unchanged (a Hub id)."""
    path = Path(name_or_path)
    if not path.is_dir():
        return name_or_path
    if _is_model_dir(path):
        return path
    final = run_folder.final_dir(path)
    if _is_model_dir(final):
        return final
    latest = run_folder.latest_checkpoint(path, usable=_is_model_dir)
    if latest is not None:
        logger.info("run folder %s: evaluating its latest checkpoint, %s", path, latest.name)
        return latest
    raise MissingInputError(
        f"{path} holds no model: expected config.json or adapter_config.json in it, in "
        "final/, or in checkpoint-N/ folders"
    )


def adapter_base(path: Path) -> str | None:
    """The base model an adapter folder was trained on, or None if `path` is no adapter."""
    config = path / "adapter_config.json"
    if not config.is_file() or (path / "config.json").is_file():
        return None
    base = json.loads(config.read_text()).get("base_model_name_or_path")
    if not base:
        raise ValueError(f"{config} does not name its base model (base_model_name_or_path)")
    return str(base)


def load_for_generation(name_or_path: str, dtype: str = "float32") -> tuple[Any, Any]:
    """(model in eval mode, tokenizer) for any accepted model reference."""
    from toolzero.models import load_model_and_tokenizer, resolve_model_path

    target = resolve_checkpoint(resolve_model_path(name_or_path))
    base = adapter_base(Path(target)) if isinstance(target, Path) else None
    if base is None:
        model, tokenizer = load_model_and_tokenizer(str(target), dtype=dtype)
    else:
        from peft import PeftModel
        from transformers import AutoTokenizer

        model, tokenizer = load_model_and_tokenizer(base, dtype=dtype)
        model = PeftModel.from_pretrained(model, str(target)).merge_and_unload()
        if (Path(target) / "tokenizer_config.json").is_file():
            tokenizer = AutoTokenizer.from_pretrained(str(target))
            if tokenizer.pad_token is None:
                tokenizer.pad_token = tokenizer.eos_token
    model.eval()
    return model, tokenizer


def merged_checkpoint(name_or_path: str) -> str:
    """A folder vLLM can load: the checkpoint itself, or a merged copy of an adapter."""
    from toolzero.models import cache_dir, resolve_model_path

    target = resolve_checkpoint(resolve_model_path(name_or_path))
    if not isinstance(target, Path) or adapter_base(target) is None:
        return str(target)
    digest = hashlib.sha1(str(target.resolve()).encode()).hexdigest()[:12]
    out = cache_dir() / "merged" / f"{target.name}-{digest}"
    if not (out / "config.json").is_file():
        model, tokenizer = load_for_generation(str(target))
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)
    return str(out)
