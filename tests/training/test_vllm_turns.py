"""vLLM and transformers generation end a turn the same way (stand-in `vllm` module).

Three scripted completions: one that stopped on `</tool_call>` (vLLM returns the ids up
to the token that completed it; transformers pads after it), one that ended with the
end-of-turn id, one cut at the length limit. Both paths must give the same ids: the
stopped one gets exactly one end-of-turn token, the others stay as they were.
"""

from __future__ import annotations

import sys
import types
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from toolzero.training.recipe import load_recipe
from toolzero.training.stopping import (
    add_end_of_turn_to_eos,
    finish_turns,
    install_stop_strings,
    make_stop_tail,
    turn_end_id,
    uninstall_stop_strings,
)

QUICKSTART = Path(__file__).resolve().parents[2] / "recipes" / "quickstart.yaml"
STOPS = ["</tool_call>", "</response>"]  # the quickstart recipe's stop strings
STOPPED = '<think> x </think>\n<tool_call>\n{"name": "get_weather"}\n</tool_call>'
ENDED = "<think> y </think> the weather is fine"
TRUNCATED = "<think> search flight from Paris to London on date " * 8


@pytest.fixture
def tiny(tiny_model: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    return model, AutoTokenizer.from_pretrained(tiny_model)


def scripted(tok: Any) -> tuple[list[list[int]], int]:
    """The ids each completion samples, and the length limit (the truncated one's length)."""
    end = turn_end_id(tok)
    encode = lambda text: tok.encode(text, add_special_tokens=False)  # noqa: E731
    stopped, ended = encode(STOPPED), [*encode(ENDED), end]
    limit = max(len(stopped), len(ended)) + 4
    return [stopped, ended, encode(TRUNCATED)[:limit]], limit


def hf_path_ids(model: Any, tok: Any, eos: list[int], pad_id: int) -> list[list[int]]:
    """transformers `generate` forced to the scripted ids, batched, then what trl 1.16's
    transformers path does to them: keep everything up to and including the first eos."""
    import torch

    rows, limit = scripted(tok)
    prompt = torch.tensor([tok.encode("<bos>user", add_special_tokens=False)] * len(rows))

    def force(batch_id: int, ids: torch.Tensor) -> list[int]:
        step = ids.shape[-1] - prompt.shape[-1]
        row = rows[batch_id]
        return [row[step]] if step < len(row) else [eos[0]]

    install_stop_strings(model, tok, STOPS)
    try:
        out = model.generate(
            prompt,
            attention_mask=torch.ones_like(prompt),
            max_new_tokens=limit,
            do_sample=False,
            prefix_allowed_tokens_fn=force,
            eos_token_id=eos,
            pad_token_id=pad_id,
        )[:, prompt.shape[-1] :].tolist()
    finally:
        uninstall_stop_strings(model)
    cut = []
    for ids in out:
        first = next((i for i, t in enumerate(ids) if t in eos), len(ids) - 1)
        cut.append(ids[: first + 1])
    return cut


class _Logprob:
    def __init__(self, value: float) -> None:
        self.logprob, self.rank = value, 1


def fake_vllm(rows: list[list[int]], seen: dict[str, Any]) -> types.ModuleType:
    """A stand-in `vllm`: `LLM.generate` returns the scripted ids, with a log-prob each."""

    class LLM:
        def __init__(self, **kwargs: Any) -> None:
            seen["engine"] = kwargs

        def generate(self, prompts: list[dict], sampling_params: Any, use_tqdm: bool) -> list:
            seen["params"] = sampling_params
            return [
                types.SimpleNamespace(
                    prompt_token_ids=p["prompt_token_ids"],
                    outputs=[
                        types.SimpleNamespace(
                            token_ids=list(ids),
                            logprobs=[{t: _Logprob(-0.1 * (k + 1))} for k, t in enumerate(ids)],
                        )
                    ],
                )
                for p, ids in zip(prompts, rows, strict=True)
            ]

    module = types.ModuleType("vllm")
    module.LLM = LLM
    module.SamplingParams = lambda **kwargs: kwargs
    return module


def vllm_path(tok: Any, eos: list[int], rows: list[list[int]], monkeypatch, seen: dict) -> tuple:
    """`ToolzeroGRPOTrainer._generate_single_turn` on trl 1.16's colocated vLLM branch."""
    import torch
    import trl.generation.vllm_generation as vllm_generation

    from toolzero.training.trainer import ToolzeroGRPOTrainer, build_grpo_config

    fake = fake_vllm(rows, seen)
    monkeypatch.setitem(sys.modules, "vllm", fake)
    # trl imports these names only when vLLM is installed.
    monkeypatch.setattr(vllm_generation, "SamplingParams", fake.SamplingParams, raising=False)

    def init_vllm(self: Any) -> None:
        self.llm = fake.LLM(model="tiny")

    monkeypatch.setattr(vllm_generation.VLLMGeneration, "_init_vllm", init_vllm)
    recipe = load_recipe(QUICKSTART, ["grpo.use_vllm=true", "run.use_cpu=true"])
    args = build_grpo_config(recipe, Path("unused"), 1, False, eos)
    accelerator = types.SimpleNamespace(
        is_main_process=True, device="cpu", state=types.SimpleNamespace(deepspeed_plugin=None)
    )
    generation = vllm_generation.VLLMGeneration(
        model=torch.nn.Module(),
        accelerator=accelerator,
        processing_class=tok,
        mode="colocate",
        max_completion_length=args.max_completion_length,
        logprobs=0,
        generation_kwargs=args.generation_kwargs,
    )
    trainer = ToolzeroGRPOTrainer.__new__(ToolzeroGRPOTrainer)
    trainer.__dict__.update(
        use_vllm=True,
        vllm_generation=generation,
        state=types.SimpleNamespace(global_step=0),
        _last_loaded_step=0,  # weights already in sync
        args=types.SimpleNamespace(report_to=[]),
        accelerator=accelerator,
        model=types.SimpleNamespace(training=True),
        _metrics={"train": defaultdict(list)},
        _tokenizer=tok,
        eos_token_ids=eos,
        stop_tail=make_stop_tail(tok, recipe.model.stop_strings),
    )
    prompt = tok.encode("<bos>user", add_special_tokens=False)
    return trainer._generate_single_turn([prompt] * len(rows), None, {}, 1)


@pytest.mark.parametrize("pad", ["<pad>", "<eos>"])
def test_vllm_and_transformers_give_the_same_ids(tiny, pad, monkeypatch) -> None:
    model, tok = tiny
    tok.pad_token = pad  # "<eos>": a pad that is also eos, as in Qwen base models
    pad_id = tok.pad_token_id
    eos = add_end_of_turn_to_eos(model, tok)
    rows, _ = scripted(tok)
    end = turn_end_id(tok)
    expected = [[*rows[0], end], rows[1], rows[2]]

    hf = hf_path_ids(model, tok, eos, pad_id)
    hf_ids, hf_logprobs = finish_turns(hf, None, pad_id, end, eos, make_stop_tail(tok, STOPS))
    seen: dict[str, Any] = {}
    vllm_ids, vllm_logprobs = vllm_path(tok, eos, rows, monkeypatch, seen)

    assert hf_ids == expected
    assert vllm_ids == expected
    assert hf_logprobs is None
    # One log-prob per id: the appended end-of-turn token has none (vLLM did not sample it).
    assert [len(lp) for lp in vllm_logprobs] == [len(ids) for ids in expected]
    assert vllm_logprobs[0][-1] is None and None not in vllm_logprobs[0][:-1]
    assert None not in vllm_logprobs[1] + vllm_logprobs[2]
    params = seen["params"]
    assert params["stop"] == STOPS
    assert params["include_stop_str_in_output"] is True
    assert set(params["stop_token_ids"]) == {tok.eos_token_id, end}
