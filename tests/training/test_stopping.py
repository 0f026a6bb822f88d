"""Stop strings: generation halts at the end of the answer block and the turn ends there."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolzero.training.stopping import (
    add_end_of_turn_to_eos,
    end_turn_after_stop,
    install_stop_strings,
    make_stop_tail,
    turn_end_id,
    uninstall_stop_strings,
    vllm_stop_kwargs,
)

PAD, END, EOS = 0, 9, 1


@pytest.mark.parametrize(
    ("ids", "stopped", "expected"),
    [
        ([5, 6, PAD, PAD], True, [5, 6, END]),  # stopped early, padded: end the turn
        ([5, 6, 7], True, [5, 6, 7, END]),  # stopped on the last sampled token
        ([5, 6, 7], False, [5, 6, 7]),  # truncated at the length limit: left truncated
        ([5, 6, EOS], False, [5, 6, EOS]),  # the model ended the turn itself
        ([], False, []),
    ],
)
def test_end_turn_after_stop(ids: list[int], stopped: bool, expected: list[int]) -> None:
    assert end_turn_after_stop(ids, PAD, END, [EOS], lambda _: stopped) == expected


def test_pad_that_is_eos_is_left_to_trl() -> None:
    assert end_turn_after_stop([5, EOS, EOS], EOS, END, [EOS], lambda _: True) == [5, EOS, EOS]


def test_vllm_gets_native_stop_strings() -> None:
    assert vllm_stop_kwargs(["</a>"]) == {"stop": ["</a>"], "include_stop_str_in_output": True}
    assert vllm_stop_kwargs([]) == {}


def test_generation_stops_at_the_stop_string(tiny_model: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    eos = add_end_of_turn_to_eos(model, tok)
    assert tok.convert_tokens_to_ids("<end_of_turn>") in eos and tok.eos_token_id in eos
    assert turn_end_id(tok) == tok.convert_tokens_to_ids("<end_of_turn>")
    # Force the text "</tool_call>" then anything: generation must stop right after it.
    forced = tok.encode("</tool_call> more text after", add_special_tokens=False)

    def prefix_fn(batch_id: int, ids: torch.Tensor) -> list[int]:
        step = ids.shape[-1] - prompt.shape[-1]
        return [forced[step]] if step < len(forced) else [tok.eos_token_id]

    prompt = torch.tensor([tok.encode("<think> x </think>", add_special_tokens=False)])
    kwargs = {
        "max_new_tokens": len(forced),
        "do_sample": False,
        "prefix_allowed_tokens_fn": prefix_fn,
    }
    install_stop_strings(model, tok, ["</tool_call>"])
    out = model.generate(prompt, **kwargs)[0, prompt.shape[-1] :].tolist()
    assert tok.decode(out).endswith("</tool_call>")
    assert make_stop_tail(tok, ["</tool_call>"])(out)
    uninstall_stop_strings(model)
    full = model.generate(prompt, **kwargs)[0, prompt.shape[-1] :].tolist()
    assert len(full) > len(out) and "more text" in tok.decode(full)
