"""Write `final/`: the trained model, whole, LoRA merged in, loadable by any HF loader.

Two paths, chosen by where the weights live:

- **One plain process** (no DeepSpeed, no FSDP): the model is whole in memory. LoRA is
  merged there, rank 0 saves, and the merged model is returned (the quickstart evaluates
  it without reloading).
- **Anything distributed** (DDP, DeepSpeed, FSDP; one process or many): every rank calls
  `Trainer.save_model`. Under ZeRO-3 and FSDP each rank holds a slice of every weight and
  the module's own tensors are empty placeholders, so `save_pretrained` on rank 0 would
  write an empty or partial model; `save_model` is a collective call that gathers them
  (DeepSpeed: the 16-bit consolidated state dict, `zero3_save_16bit_model`; FSDP: the
  full state dict, which we select first because FSDP2 defaults to sharded saves) and
  writes them on rank 0. DDP needs no gather but takes the same path, so CPU tests run it.

  A LoRA run gathers only its adapter (ZeRO-3 skips the frozen base), into
  `RUN_DIR/adapter/`; rank 0 then merges on CPU: the base in `model.dtype` (15 GB for a
  7B model in bf16, no GPU memory), plus the adapter, `merge_and_unload`, save. Merging
  before the gather is not possible (the LoRA factors and the base weights are both
  partitioned) and gathering the whole model just to merge would move the frozen base
  through every GPU for nothing. The other ranks do not wait for the merge.
"""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any

from toolzero import run_folder
from toolzero.training.recipe import Recipe

logger = logging.getLogger(__name__)


def is_sharded_save(trainer: Any) -> bool:
    """True when `final/` must be written by every rank (see the module docstring)."""
    return bool(
        trainer.is_deepspeed_enabled or trainer.is_fsdp_enabled or trainer.args.world_size > 1
    )


def check_final_save(trainer: Any) -> None:
    """Fail before training when `final/` could not be written as a loadable model.

    ZeRO-3 without `stage3_gather_16bit_weights_on_model_save` (accelerate's
    `zero3_save_16bit_model: false`) can only write a DeepSpeed checkpoint, not weights.
    """
    if not trainer.is_deepspeed_enabled:
        return
    # The plugin's config: the accelerator's own copy appears only once training starts.
    config = trainer.accelerator.state.deepspeed_plugin.deepspeed_config
    zero = config.get("zero_optimization", {})
    if zero.get("stage") == 3 and not zero.get("stage3_gather_16bit_weights_on_model_save"):
        raise ValueError(
            "DeepSpeed ZeRO-3 without stage3_gather_16bit_weights_on_model_save cannot write "
            "final/ as a model; set `zero3_save_16bit_model: true` in the accelerate config "
            "(or the option itself in the DeepSpeed JSON)"
        )


def save_final_model(
    trainer: Any, recipe: Recipe, run_dir: Path, tokenizer: Any
) -> tuple[Path, Any]:
    """Write `RUN_DIR/final/` on every rank's behalf; return (its path, the model in memory).

    The model is the merged one on the one-process path, else None: a sharded model in
    memory is not usable as it is.
    """
    final = run_folder.final_dir(run_dir)
    if not is_sharded_save(trainer):
        return final, _save_in_memory(trainer, recipe, final, tokenizer)
    merge = recipe.lora.enabled and recipe.lora.merge_on_save
    target = run_folder.adapter_dir(run_dir) if merge else final
    if trainer.is_fsdp_enabled:
        trainer.accelerator.state.fsdp_plugin.set_state_dict_type("FULL_STATE_DICT")
    trainer.save_model(str(target))  # collective: every rank, or it hangs
    if trainer.is_world_process_zero():
        if merge:
            generation_config = trainer.accelerator.unwrap_model(trainer.model).generation_config
            merge_adapter(recipe, target, final, copy.deepcopy(generation_config))
        _save_tokenizer(tokenizer, final)
    return final, None


def _save_in_memory(trainer: Any, recipe: Recipe, final: Path, tokenizer: Any) -> Any:
    model = trainer.model
    if recipe.lora.enabled and recipe.lora.merge_on_save and hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    if trainer.is_world_process_zero():
        model.save_pretrained(final)
        _save_tokenizer(tokenizer, final)
    return model


def _save_tokenizer(tokenizer: Any, final: Path) -> None:
    """The tokenizer, with Gemma's turn format when the model ships no chat template."""
    from toolzero.protocol.chat import GEMMA_CHAT_TEMPLATE

    if not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = GEMMA_CHAT_TEMPLATE
    tokenizer.save_pretrained(final)


def merge_adapter(recipe: Recipe, adapter: Path, final: Path, generation_config: Any) -> None:
    """Rank 0 only: base weights (CPU, `model.dtype`) + the saved adapter, merged, saved.

    Loading runs without DeepSpeed's ZeRO-3 init: that would partition the base over
    ranks that are not taking part. The run is over, so the global config is cleared.
    """
    from peft import PeftModel
    from transformers.integrations import unset_hf_deepspeed_config

    from toolzero.models import load_model

    unset_hf_deepspeed_config()
    logger.info("merging %s into %s on CPU", adapter, recipe.model.name)
    base = load_model(
        recipe.model.name, recipe.model.dtype, device_map="cpu", **recipe.model.load_kwargs()
    )
    merged = PeftModel.from_pretrained(base, str(adapter)).merge_and_unload()
    merged.generation_config = generation_config  # the end-of-turn ids training added to eos
    merged.save_pretrained(final)
