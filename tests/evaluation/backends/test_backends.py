"""Generation backends: HF (tiny local model), OpenAI-compatible (fake loopback server), vLLM (fake module)."""

from __future__ import annotations

import sys
import types

import pytest

from toolzero.evaluation.backends import (
    GenerationBackend,
    HFBackend,
    VLLMBackend,
    cut_at_stop,
    make_backend,
)
from toolzero.evaluation.backends.openai import (
    OpenAIBackend,
    chat_prompt_encoder,
    decode_chat_prompt,
)
from toolzero.protocol import render_prompt
from toolzero.protocol.types import Example, Message, ToolSpec

from ..eval_fakes import chat_reply

QUESTIONS = [
    "get weather in Paris",
    "book flight",
    "send email with subject hello and body world please",
]


@pytest.fixture(scope="module")
def tiny(tiny_model_path):
    from toolzero.models import load_model_and_tokenizer

    return load_model_and_tokenizer(str(tiny_model_path))


def _prompts(tokenizer):
    return [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": q}], tokenize=False, add_generation_prompt=True
        )
        for q in QUESTIONS
    ]


def test_hf_bf16_generates_what_autocast_generates_from_bf16_weights(tiny_model_path):
    """`bf16=True`: autocast's tokens (the weight copies are its own rounding), every
    `Linear` multiplying bf16 weights during generation, the fp32 weights back after."""
    import torch

    from toolzero.models import load_model_and_tokenizer

    model, tokenizer = load_model_and_tokenizer(str(tiny_model_path))  # weights require grad
    prompts = _prompts(tokenizer)
    seen: set[torch.dtype] = set()
    hooks = [
        m.register_forward_pre_hook(lambda mod, args: seen.add(mod.weight.dtype))
        for m in model.modules()
        if isinstance(m, torch.nn.Linear)
    ]
    backend = HFBackend(model, tokenizer, batch_size=2, progress=False, bf16=True)
    answers = backend.generate(prompts, 10)
    for hook in hooks:
        hook.remove()
    assert seen == {torch.bfloat16}
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    plain = HFBackend(model, tokenizer, batch_size=2, progress=False)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert plain.generate(prompts, 10) == answers
    assert backend.generate(prompts, 10) == answers  # the kept copies give the same again


def test_hf_batched_equals_one_by_one_and_excludes_prompt(tiny):
    model, tokenizer = tiny
    prompts = _prompts(tokenizer)
    batched = HFBackend(model, tokenizer, batch_size=2, progress=False).generate(prompts, 10)
    single = [
        HFBackend(model, tokenizer, batch_size=1, progress=False).generate([p], 10)[0]
        for p in prompts
    ]
    assert batched == single and len(batched) == 3
    assert all(q not in out for q, out in zip(QUESTIONS, batched, strict=True))
    assert tokenizer.padding_side == "right"  # restored after left-padded generation
    assert isinstance(HFBackend(model, tokenizer), GenerationBackend)


def test_hf_stop_strings_cut_the_completion(tiny):
    model, tokenizer = tiny
    backend = HFBackend(model, tokenizer, batch_size=3, progress=False)
    prompts = _prompts(tokenizer)
    free = backend.generate(prompts, 12)
    stop = free[0][2:5]  # a string the model does produce
    stopped = backend.generate(prompts, 12, stop=[stop])
    assert stopped[0] == free[0][: free[0].find(stop)]
    for a, b in zip(free, stopped, strict=True):
        assert a.startswith(b)


def test_hf_keep_stop_ends_the_completion_with_the_stop_string(tiny):
    model, tokenizer = tiny
    backend = HFBackend(model, tokenizer, batch_size=3, progress=False)
    prompts = _prompts(tokenizer)
    free = backend.generate(prompts, 12)
    stop = free[0][2:5]
    kept = backend.generate(prompts, 12, stop=[stop], keep_stop=True)
    assert kept[0] == free[0][: free[0].find(stop) + len(stop)]
    for a, b in zip(free, kept, strict=True):
        assert a.startswith(b)
        assert stop not in b[:-1] or b.endswith(stop)  # nothing after the stop string


def test_hf_sampling_runs(tiny):
    model, tokenizer = tiny
    out = HFBackend(model, tokenizer, progress=False).generate(
        _prompts(tokenizer), 6, temperature=1.0
    )
    assert len(out) == 3 and all(isinstance(t, str) for t in out)


@pytest.mark.parametrize(
    ("text", "stop", "expected"),
    [
        ("a</x>b", ["</x>"], "a"),
        ("abc", None, "abc"),
        ("abc", [""], "abc"),
        ("a1b2", ["2", "1"], "a"),
    ],
)
def test_cut_at_stop(text, stop, expected):
    assert cut_at_stop(text, stop) == expected


@pytest.mark.parametrize(
    ("text", "stop", "expected"),
    [
        ("a</x>b</x>", ["</x>"], "a</x>"),
        ("a1b2", ["2", "1"], "a1"),
        ("a<end>", ["<e", "<end>"], "a<end>"),  # same start: the longer string is kept whole
        ("abc", ["z"], "abc"),
    ],
)
def test_cut_at_stop_keeping_it(text, stop, expected):
    assert cut_at_stop(text, stop, keep=True) == expected


def _chat_route(path, body):
    if path.endswith("/models"):
        return 200, {"data": [{"id": "served-model"}]}
    if path.endswith("/completions") and "prompt" in body:
        return 200, {"choices": [{"text": "raw:" + body["prompt"][-5:]}]}
    last = body["messages"][-1]["content"]
    if "please fail" in last:
        return 400, {"error": "context too long"}
    if "use tools" in last:
        name = body["tools"][0]["function"]["name"]
        return 200, chat_reply(
            None,
            [
                {
                    "id": "1",
                    "type": "function",
                    "function": {"name": name, "arguments": '{"number": 5}'},
                }
            ],
        )
    return 200, chat_reply(f"echo {last}")


def test_openai_chat_text_tools_prefill_and_refusals(fake_server):
    server = fake_server(_chat_route)
    backend = OpenAIBackend(server.url + "/v1", progress=False)
    assert backend.model == "served-model"  # from /models
    tool = ToolSpec(
        "math.factorial", "n!", {"type": "object", "properties": {"number": {"type": "integer"}}}
    )
    example = Example("e", (tool,), (Message("user", "use tools"),))
    native = render_prompt(chat_prompt_encoder(), example, "native")
    plain = render_prompt(
        chat_prompt_encoder(),
        Example("p", (), (Message("user", "hi"),)),
        "toolrl",
        prefill="<think>",
    )
    out = backend.generate([native, plain, "please fail"], max_new_tokens=5, stop=["</tool_call>"])
    assert (
        out[0]
        == '<tool_call>\n{"name": "math.factorial", "arguments": {"number": 5}}\n</tool_call>'
    )
    assert out[1].startswith("echo <think>")  # the prefill went as a final assistant message
    assert out[2] == ""  # HTTP 400: an empty (wrong) answer, not a crash
    sent_tools = next(b for p, b in server.requests if b.get("tools"))["tools"]
    assert sent_tools[0]["function"]["name"] == "math_factorial"  # dots are not allowed by the API
    prefilled = next(b for p, b in server.requests if b.get("continue_final_message"))
    assert prefilled["add_generation_prompt"] is False and prefilled["stop"] == ["</tool_call>"]


def test_openai_completions_mode_and_auth_header(fake_server):
    server = fake_server(_chat_route)
    backend = OpenAIBackend(server.url, "m", api_key="sk-test", mode="completions", progress=False)
    assert backend.generate(["hello world"], 4) == ["raw:world"]
    assert server.requests[-1][1]["_headers"]["authorization"] == "Bearer sk-test"


def test_openai_keep_stop_cuts_locally_after_the_stop_string(fake_server):
    server = fake_server(_chat_route)
    backend = OpenAIBackend(server.url, "m", mode="completions", progress=False)
    # the route answers "raw:" + the prompt's last 5 characters, ignoring `stop`
    assert backend.generate(["xxab!d"], 4, stop=["!"], keep_stop=True) == ["raw:xab!"]
    assert "stop" not in server.requests[-1][1]  # the server would have dropped it
    assert backend.generate(["xxab!d"], 4, stop=["!"]) == ["raw:xab!d"]  # the server's job
    assert server.requests[-1][1]["stop"] == ["!"]


def test_openai_errors_retry_then_raise(fake_server):
    calls = {"n": 0}

    def flaky(path, body):
        calls["n"] += 1
        return (503, {"error": "busy"}) if calls["n"] == 1 else (200, chat_reply("ok"))

    server = fake_server(flaky)
    assert OpenAIBackend(server.url, "m", progress=False).generate(["x"], 3) == ["ok"]
    denied = fake_server(lambda p, b: (401, {"error": "bad key"}))
    with pytest.raises(RuntimeError, match="HTTP 401"):
        OpenAIBackend(denied.url, "m", progress=False, max_retries=0).generate(["x"], 3)


def test_decode_chat_prompt_round_trip():
    encoded = chat_prompt_encoder().apply_chat_template(
        [{"role": "user", "content": "q"}], tools=[{"x": 1}]
    )
    assert decode_chat_prompt(encoded + "<think>") == (
        [{"role": "user", "content": "q"}],
        [{"x": 1}],
        "<think>",
    )


def test_make_backend_openai_gives_the_chat_encoder(fake_server):
    server = fake_server(_chat_route)
    backend, tokenizer = make_backend(server.url, "openai", progress=False)
    assert isinstance(backend, OpenAIBackend) and tokenizer.chat_template
    with pytest.raises(ValueError, match="unknown backend"):
        make_backend("x", "tgi")


class _FakeVllmTokenizer:
    """What `VLLMBackend` uses of `LLM.get_tokenizer()`: call, vocabulary, eos."""

    eos_token = "<eos>"
    eos_token_id = 1

    def __call__(self, text, add_special_tokens):
        return {"input_ids": [len(text), int(add_special_tokens)]}

    def get_vocab(self):
        return {"<eos>": 1, "<end_of_turn>": 106, "<|im_end|>": 7, "a": 3}


def test_vllm_backend_with_a_stand_in_module(monkeypatch):
    """vLLM is GPU-only; this checks the wiring: token-id prompts, sampling params, stop cut."""
    seen = {}

    class FakeLLM:
        def __init__(self, model, **kwargs):
            seen["model"] = model

        def get_tokenizer(self):
            return _FakeVllmTokenizer()

        def generate(self, inputs, params, use_tqdm):
            seen["inputs"], seen["params"] = inputs, params
            text = "ans</tool_call>tail" if params["include_stop_str_in_output"] else "ans"
            return [
                types.SimpleNamespace(outputs=[types.SimpleNamespace(text=text)]) for _ in inputs
            ]

    fake = types.SimpleNamespace(LLM=FakeLLM, SamplingParams=lambda **kw: kw)
    monkeypatch.setitem(sys.modules, "vllm", fake)
    backend = VLLMBackend("some/model", progress=False)
    out = backend.generate(["abc", "de"], 7, stop=["</tool_call>"])
    assert out == ["ans", "ans"]
    assert seen["inputs"] == [{"prompt_token_ids": [3, 0]}, {"prompt_token_ids": [2, 0]}]
    # The engine's generation config comes from disk: eos and every end-of-turn id the
    # vocabulary has must be passed, or a base model's turn never ends.
    assert seen["params"] == {
        "max_tokens": 7,
        "temperature": 0.0,
        "stop": ["</tool_call>"],
        "include_stop_str_in_output": False,
        "stop_token_ids": [1, 106, 7],  # eos, then protocol.chat.END_OF_TURN_TOKENS' order
    }
    assert backend.generate(["abc"], 7, stop=["</tool_call>"], keep_stop=True) == [
        "ans</tool_call>"
    ]
    assert seen["params"]["include_stop_str_in_output"] is True
