"""`VLLMBackend`: vLLM's offline engine on a GPU; `vllm` is imported only when one is built.

Its engine reads the generation config from disk (Gemma's base file lists only `<eos>`),
so it is given the same end-of-turn ids as `stop_token_ids`. `stop` strings are cut with
`cut_at_stop` (see `base`), as in every backend.
"""

from __future__ import annotations

from typing import Any

from toolzero.evaluation.backends.base import cut_at_stop
from toolzero.protocol.chat import stop_token_ids


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
