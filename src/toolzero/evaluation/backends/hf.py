"""`HFBackend`: transformers `generate`, batched with left padding, on CPU or GPU.

Longest prompts go first (a batch that does not fit fails at once, not at the end);
greedy at temperature 0. Generation also ends at any chat end-of-turn token
(`<end_of_turn>`, `<|im_end|>`...) the vocabulary has. `stop` strings are cut with
`cut_at_stop` (see `base`), as in every backend.

With `bf16=True` the model computes in bf16 mixed precision: `torch.autocast` around
`generate`, and on a CPU each fp32 `Linear` weight is read from a bf16 copy made once
(`toolzero.training.bf16_weights`; autocast would cast a frozen weight again for every
decoded token, which cost more than bf16 saved). Embeddings and norms stay fp32.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, ExitStack, nullcontext
from typing import Any

from toolzero.evaluation.backends.base import cut_at_stop
from toolzero.protocol.chat import stop_token_ids


class HFBackend:
    """transformers `generate`, batched with left padding.

    `progress=False` hides the per-call progress bar (the evaluation shows its own over
    items). The tokenizer's padding side is restored after each call. `bf16`: compute in
    bf16 mixed precision (see the module's docstring).
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        batch_size: int = 8,
        progress: bool = True,
        bf16: bool = False,
    ):
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.model = model
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.progress = progress
        self.bf16 = bf16
        self.weight_copies: Any = None  # bf16 copies, made at the first bf16 call on a CPU
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
        with torch.inference_mode(), self.precision():
            output = self.model.generate(**enc, **kwargs)
        new_tokens = output[:, enc["input_ids"].shape[1] :]
        texts = tok.batch_decode(new_tokens, skip_special_tokens=True)
        return [cut_at_stop(t, stop, keep_stop) for t in texts]

    def precision(self) -> AbstractContextManager[Any]:
        """bf16 autocast (and on a CPU the bf16 weight copies) when `bf16`; else nothing."""
        if not self.bf16:
            return nullcontext()
        import torch

        from toolzero.training.bf16_weights import Bf16WeightCopies, frozen_weights_in_bf16

        device = self.model.device.type
        stack = ExitStack()
        stack.enter_context(torch.autocast(device, dtype=torch.bfloat16))
        if device == "cpu":
            if self.weight_copies is None:
                self.weight_copies = Bf16WeightCopies()
            stack.enter_context(
                frozen_weights_in_bf16(self.model, self.weight_copies, include_trained=True)
            )
        return stack
