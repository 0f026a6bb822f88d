"""Generation backends: one small protocol, three implementations.

    backend.generate(prompts, max_new_tokens, temperature=0.0, stop=None) -> completions
    backend.generate(..., stop=[...], keep_stop=True)   # the stop string ends the completion

Prompts are full prompt strings (chat template applied, see `toolzero.protocol.render_prompt`);
completions exclude the prompt. `stop` strings end a completion and are *not* part of it
(OpenAI's and vLLM's rule, kept for all three so results do not depend on the backend).

- `HFBackend(model, tokenizer, batch_size)`: transformers `generate`, batched with left
  padding, longest prompts first (a batch that does not fit fails at once, not at the end),
  greedy at temperature 0; CPU or GPU, wherever the model is. Generation also ends at any
  chat end-of-turn token (`<end_of_turn>`, `<|im_end|>`...) the vocabulary has.
- `VLLMBackend(model_path)`: vLLM on a GPU; `vllm` is imported only when one is built.
  Its engine reads the generation config from disk (Gemma's base file lists only
  `<eos>`), so it is given the same end-of-turn ids as `stop_token_ids`.
- `OpenAIBackend(base_url, model)`: any OpenAI-compatible HTTP server (see `openai_backend`).

`make_backend` builds one from a model name and a backend name; `toolzero.evaluation.runner`
decides which. The protocol and `cut_at_stop` live in `backend_base` (the OpenAI client
uses them too) and are importable from here.
"""

from __future__ import annotations

import logging
from typing import Any

from toolzero.evaluation.backend_base import GenerationBackend, cut_at_stop
from toolzero.evaluation.openai_backend import OpenAIBackend, chat_prompt_encoder
from toolzero.protocol.chat import stop_token_ids

logger = logging.getLogger(__name__)

BACKENDS = ("hf", "vllm", "openai")


class HFBackend:
    """transformers `generate`, batched with left padding.

    `progress=False` hides the per-call progress bar (the evaluation shows its own over
    items). The tokenizer's padding side is restored after each call.
    """

    def __init__(self, model: Any, tokenizer: Any, batch_size: int = 8, progress: bool = True):
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.model = model
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.progress = progress
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        self.eos_ids = stop_token_ids(tokenizer, model)

    def generate(
        self,
        prompts: list[str],
        max_new_tokens: int,
        temperature: float = 0.0,
        stop: list[str] | None = None,
        keep_stop: bool = False,
    ) -> list[str]:
        from tqdm.auto import tqdm

        order = sorted(range(len(prompts)), key=lambda i: -len(prompts[i]))
        out = [""] * len(prompts)
        bar = tqdm(total=len(prompts), desc="generate", unit="item", disable=not self.progress)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            texts = self._generate_batch(
                [prompts[i] for i in batch], max_new_tokens, temperature, stop, keep_stop
            )
            for i, text in zip(batch, texts, strict=True):
                out[i] = text
            bar.update(len(batch))
        bar.close()
        return out

    def _generate_batch(
        self,
        prompts: list[str],
        max_new_tokens: int,
        temperature: float,
        stop: list[str] | None,
        keep_stop: bool,
    ) -> list[str]:
        import torch

        tok = self.tokenizer
        side = tok.padding_side
        tok.padding_side = "left"
        try:
            # Prompts come from chat templates, which already hold the BOS token.
            enc = tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        finally:
            tok.padding_side = side
        enc = {k: v.to(self.model.device) for k, v in enc.items()}
        kwargs: dict[str, Any] = {
            "max_new_tokens": max_new_tokens,
            "pad_token_id": tok.pad_token_id,
            "eos_token_id": self.eos_ids,
        }
        if temperature > 0:
            kwargs.update(do_sample=True, temperature=temperature)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if stop:
            kwargs.update(stop_strings=list(stop), tokenizer=tok)
        with torch.inference_mode():
            output = self.model.generate(**enc, **kwargs)
        new_tokens = output[:, enc["input_ids"].shape[1] :]
        texts = tok.batch_decode(new_tokens, skip_special_tokens=True)
        return [cut_at_stop(t, stop, keep_stop) for t in texts]


class VLLMBackend:
    """vLLM's offline engine (GPU). Prompts go in as token ids, so the chat template's BOS
    is not doubled. Extra keyword arguments go to `vllm.LLM` (e.g. `gpu_memory_utilization`)."""

    def __init__(self, model: str, progress: bool = True, **engine_kwargs: Any):
        try:
            import vllm
        except ImportError as exc:
            raise ImportError(
                "the vllm backend needs vLLM on a GPU machine: pip install 'toolzero[vllm]'"
            ) from exc
        self.llm = vllm.LLM(model=model, **engine_kwargs)
        self.tokenizer = self.llm.get_tokenizer()
        self.progress = progress
        self.stop_ids = stop_token_ids(self.tokenizer)

    def generate(
        self,
        prompts: list[str],
        max_new_tokens: int,
        temperature: float = 0.0,
        stop: list[str] | None = None,
        keep_stop: bool = False,
    ) -> list[str]:
        import vllm

        params = vllm.SamplingParams(
            max_tokens=max_new_tokens,
            temperature=temperature,
            stop=stop or None,
            include_stop_str_in_output=keep_stop,
            stop_token_ids=self.stop_ids,
        )
        inputs = [
            {"prompt_token_ids": self.tokenizer(p, add_special_tokens=False)["input_ids"]}
            for p in prompts
        ]
        outputs = self.llm.generate(inputs, params, use_tqdm=self.progress)
        return [cut_at_stop(o.outputs[0].text, stop, keep_stop) for o in outputs]


def make_backend(
    model: Any,
    backend: str = "hf",
    batch_size: int = 8,
    progress: bool = True,
    served_model: str | None = None,
    api_key: str | None = None,
) -> tuple[GenerationBackend, Any]:
    """Build (backend, tokenizer-like object for `render_prompt`).

    `model` is a (model, tokenizer) pair, a model name or path (`hf`, `vllm`), or a base
    URL (`openai`). For `openai` the returned tokenizer encodes chat messages for the
    chat endpoint (see `openai_backend.chat_prompt_encoder`).
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
        return HFBackend(hf_model, tokenizer, batch_size, progress), tokenizer
    from toolzero.evaluation.model_paths import load_for_generation, merged_checkpoint

    if backend == "vllm":
        engine = VLLMBackend(merged_checkpoint(model), progress=progress)
        return engine, engine.tokenizer
    hf_model, tokenizer = load_for_generation(model)
    return HFBackend(hf_model, tokenizer, batch_size, progress), tokenizer
