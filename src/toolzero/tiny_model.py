"""Build a tiny, randomly initialised Gemma-3-architecture model with a locally trained tokenizer.

Tests, benchmarks and smoke runs need a real `transformers` model that loads offline in
under a second: this writes one to a folder (config, weights, tokenizer, chat template)
from nothing but code. The tokenizer is a byte-level BPE trained on protocol text (tags,
JSON, tool prompts) so tokenisation behaves like a real model's; `<start_of_turn>` and
`<end_of_turn>` are single special tokens as in Gemma.

    python -m toolzero.tiny_model /tmp/tiny   # then use /tmp/tiny as a model path
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from toolzero.protocol.chat import GEMMA_CHAT_TEMPLATE
from toolzero.protocol.toolrl_format import INSTRUCTIONS, TASK_STATEMENT

SPECIAL_TOKENS = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"]


def _corpus() -> list[str]:
    words = [
        "get",
        "weather",
        "city",
        "Paris",
        "London",
        "Tokyo",
        "search",
        "query",
        "book",
        "flight",
        "date",
        "from",
        "to",
        "convert",
        "currency",
        "amount",
        "USD",
        "EUR",
        "send",
        "email",
        "subject",
        "body",
        "calculate",
        "number",
        "unit",
        "temperature",
        "user",
        "assistant",
        "model",
        "think",
        "tool",
        "call",
        "response",
        "name",
        "parameters",
        "arguments",
    ]
    lines = [TASK_STATEMENT, INSTRUCTIONS]
    for i, w in enumerate(words):
        args = {words[(i + 1) % len(words)]: words[(i + 2) % len(words)], "n": i}
        call = json.dumps({"name": f"{w}_{words[(i + 3) % len(words)]}", "parameters": args})
        lines.append(f"<think> I should call {w}. </think>\n<tool_call>\n{call}\n</tool_call>")
        lines.append(f"<think> no tool needed </think>\n<response> The {w} is {i}. </response>")
    return lines * 4


def build_tiny_model(path: str | Path, seed: int = 0, vocab_size: int = 512) -> Path:
    """Write a tiny model + tokenizer folder at `path` and return it (idempotent)."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig, PreTrainedTokenizerFast

    path = Path(path)
    if (path / "config.json").exists() and (path / "tokenizer.json").exists():
        return path
    path.mkdir(parents=True, exist_ok=True)

    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(_corpus(), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        bos_token="<bos>",
        eos_token="<eos>",
        pad_token="<pad>",
        unk_token="<unk>",
        additional_special_tokens=["<start_of_turn>", "<end_of_turn>"],
    )
    tokenizer.chat_template = GEMMA_CHAT_TEMPLATE
    tokenizer.save_pretrained(path)

    torch.manual_seed(seed)
    config = Gemma3TextConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=32,
        max_position_embeddings=4096,
        sliding_window=512,
        layer_types=["sliding_attention", "full_attention"],
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=[tokenizer.eos_token_id, tokenizer.convert_tokens_to_ids("<end_of_turn>")],
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    model = Gemma3ForCausalLM(config)
    model.generation_config.eos_token_id = config.eos_token_id
    model.save_pretrained(path)
    return path


if __name__ == "__main__":
    print(build_tiny_model(sys.argv[1] if len(sys.argv) > 1 else "tiny-model"))
