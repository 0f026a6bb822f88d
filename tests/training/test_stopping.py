"""Stop strings: generation halts at the end of the answer block and the turn ends there."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolzero.training.stopping import (
    add_end_of_turn_to_eos,
    end_turn_after_stop,
    finish_turns,
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
        ([5, 6, 7], True, [5, 6, 7, END]),  # stopped on the last sampled token (vLLM)
        ([5, 6, 7], False, [5, 6, 7]),  # truncated at the length limit: left truncated
        ([5, 6, EOS], False, [5, 6, EOS]),  # the model ended the turn itself
        ([5, 6, END], True, [5, 6, END]),  # already ended: exactly one end token
        ([], False, []),
    ],
)
def test_end_turn_after_stop(ids: list[int], stopped: bool, expected: list[int]) -> None:
    assert end_turn_after_stop(ids, PAD, END, [EOS, END], lambda _: stopped) == expected


def test_a_pad_that_is_eos_after_a_stop_becomes_the_end_of_turn() -> None:
    """Qwen base models pad with `<|endoftext|>`, an eos id: TRL keeps one after the stop.
    The turn must still end with the end-of-turn token, as it does unpadded (vLLM)."""
    stop_after_6 = lambda ids: ids[-1] == 6  # noqa: E731
    assert end_turn_after_stop([5, 6, EOS], EOS, END, [EOS, END], stop_after_6) == [5, 6, END]
    assert end_turn_after_stop([5, 6], EOS, END, [EOS, END], stop_after_6) == [5, 6, END]
    # An eos the model sampled itself (no stop string before it) is kept.
    assert end_turn_after_stop([5, 7, EOS], EOS, END, [EOS, END], stop_after_6) == [5, 7, EOS]


def test_finish_turns_keeps_vllm_logprobs_aligned() -> None:
    stop_after_6 = lambda ids: ids[-1] == 6  # noqa: E731
    ids, logprobs = finish_turns(
        [[5, 6], [5, 7, EOS], [5, 7, 7]],
        [[-0.1, -0.2], [-0.3, -0.4, -0.5], [-0.6, -0.7, -0.8]],
        PAD,
        END,
        [EOS, END],
        stop_after_6,
    )
    assert ids == [[5, 6, END], [5, 7, EOS], [5, 7, 7]]
    # The appended token was not sampled by vLLM: no log-prob (TRL reads None as unscored).
    assert logprobs == [[-0.1, -0.2, None], [-0.3, -0.4, -0.5], [-0.6, -0.7, -0.8]]
    assert [len(x) for x in ids] == [len(x) for x in logprobs]
    assert finish_turns([[5, 6, PAD]], None, PAD, END, [EOS, END], stop_after_6) == (
        [[5, 6, END]],
        None,
    )
    # Log-probs of dropped padding go with it; the end token's slot is None.
    padded = finish_turns([[5, 6, PAD, PAD]], [[-0.1, -0.2, 0, 0]], PAD, END, [EOS], stop_after_6)
    assert padded == ([[5, 6, END]], [[-0.1, -0.2, None]])


def test_vllm_gets_native_stop_strings_and_the_end_ids() -> None:
    assert vllm_stop_kwargs(["</a>"]) == {"stop": ["</a>"], "include_stop_str_in_output": True}
    assert vllm_stop_kwargs([], [1, 106, 1]) == {"stop_token_ids": [1, 106]}
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
