"""Generation backends: one small protocol, three implementations.

    backend.generate(prompts, max_new_tokens, temperature=0.0, stop=None) -> completions
    backend.generate(..., stop=[...], keep_stop=True)   # the stop string ends the completion

Prompts are full prompt strings (chat template applied, see `toolzero.protocol.render_prompt`);
completions exclude the prompt. `stop` strings end a completion and are *not* part of it
(OpenAI's and vLLM's rule, kept for all three so results do not depend on the backend).

One module each, all behind `make_backend`:

- `hf`: `HFBackend(model, tokenizer, batch_size)`, transformers `generate` batched with
  left padding, longest prompts first; CPU or GPU, wherever the model is. Generation also
  ends at any chat end-of-turn token (`<end_of_turn>`, `<|im_end|>`...) the vocabulary has.
- `vllm`: `VLLMBackend(model_path)`, vLLM on a GPU; `vllm` is imported only when one is built.
- `openai`: `OpenAIBackend(base_url, model)`, any OpenAI-compatible HTTP server.
- `base`: the protocol (`GenerationBackend`) and `cut_at_stop`, which all three use.
- `model_paths`: which weights a `--model` names (run folder, checkpoint, adapter, Hub id).

`make_backend` builds one from a model name and a backend name; `toolzero.evaluation.runner`
decides which. The backends, the protocol and `cut_at_stop` are importable from here.
"""

from __future__ import annotations

from typing import Any

from toolzero.evaluation.backends.base import GenerationBackend, cut_at_stop
from toolzero.evaluation.backends.hf import HFBackend
from toolzero.evaluation.backends.openai import OpenAIBackend, chat_prompt_encoder
from toolzero.evaluation.backends.vllm import VLLMBackend

BACKENDS = ("hf", "vllm", "openai")


def make_backend(
    model: Any,
    backend: str = "hf",
    batch_size: int = 8,
    progress: bool = True,
    served_model: str | None = None,
    api_key: str | None = None,
    bf16: bool = False,
) -> tuple[GenerationBackend, Any]:
    """Build (backend, tokenizer-like object for `render_prompt`).

    `model` is a (model, tokenizer) pair, a model name or path (`hf`, `vllm`), or a base
    URL (`openai`). For `openai` the returned tokenizer encodes chat messages for the
    chat endpoint (see `openai.chat_prompt_encoder`). `bf16`: the hf backend computes in
    bf16 mixed precision (see `HFBackend`); the others choose their own dtype.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
    if backend == "openai":
        if not isinstance(model, str):
            raise ValueError("the openai backend takes a base URL as the model")
        client = OpenAIBackend(model, served_model, api_key=api_key, progress=progress)
        return client, chat_prompt_encoder()
    if isinstance(model, tuple):
        if backend != "hf":
            raise ValueError("an in-memory (model, tokenizer) pair needs the hf backend")
        hf_model, tokenizer = model
        return HFBackend(hf_model, tokenizer, batch_size, progress, bf16), tokenizer
    from toolzero.evaluation.backends.model_paths import load_for_generation, merged_checkpoint

    if backend == "vllm":
        engine = VLLMBackend(merged_checkpoint(model), progress=progress)
        return engine, engine.tokenizer
    hf_model, tokenizer = load_for_generation(model)
    return HFBackend(hf_model, tokenizer, batch_size, progress, bf16), tokenizer


__all__ = [
    "BACKENDS",
    "GenerationBackend",
    "HFBackend",
    "OpenAIBackend",
    "VLLMBackend",
    "cut_at_stop",
    "make_backend",
]
