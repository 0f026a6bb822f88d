"""Shared-prefix generation gives the tokens (and, from the same seed, the samples) of
today's `generate`, with LoRA, stop strings, uneven left padding and shuffled groups.

The model is the tiny random Gemma-3 in float64, so float rounding (the prompt's last
token now runs in a one-token forward) cannot flip a greedy choice or a sampled draw:
any difference is a real mismatch (a wrong position, mask, row or cache).
"""

from __future__ import annotations

import logging

import pytest
import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

import toolzero.training.shared_prefix_generation as spg
from toolzero.training.shared_prefix_generation import shared_prompt_prefill
from toolzero.training.stopping import install_stop_strings

from .conftest import QUICKSTART, tiny_overrides

F64 = torch.float64
PROMPT_LENGTHS = (30, 17, 25)  # uneven: left padding differs per group
ORDER = [0, 1, 2, 1, 0, 2, 2, 0, 1, 0]  # shuffled, uneven groups (4, 3, 3)


@pytest.fixture
def prefills(monkeypatch):
    """Record the number of rows each shared prefill computed (distinct prompts)."""
    seen: list[int] = []
    real = spg.prefill_distinct_rows

    def counted(model, input_ids, attention_mask):
        cache = real(model, input_ids, attention_mask)
        seen.append(
            -1
            if cache is None
            else len(
                spg.find_prefix_groups(input_ids, attention_mask, input_ids.size(1)).first_rows
            )
        )
        return cache

    monkeypatch.setattr(spg, "prefill_distinct_rows", counted)
    return seen


def tiny_lm(tiny_model, lora: bool):
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(tiny_model, dtype=F64)
    if lora:  # random B: adapters that change the output (PEFT's default B = 0 would not)
        config = LoraConfig(r=4, target_modules="all-linear", init_lora_weights=False)
        model = get_peft_model(model, config)
    return model


def left_padded(order: list[int], lengths=PROMPT_LENGTHS, vocab: int = 400):
    gen = torch.Generator().manual_seed(1)
    prompts = [torch.randint(10, vocab, (n,), generator=gen) for n in lengths]
    width = max(lengths)
    ids = torch.zeros(len(order), width, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, p in enumerate(order):
        ids[row, width - len(prompts[p]) :] = prompts[p]
        mask[row, width - len(prompts[p]) :] = 1
    return ids, mask


def generate(model, ids, mask, sample: bool, seed: int = 5, shared: bool = False, **config):
    settings = {"max_new_tokens": 12, "do_sample": sample, "temperature": 0.8, "top_k": 0}
    config = GenerationConfig(**settings, pad_token_id=0, eos_token_id=[1], **config)
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    torch.manual_seed(seed)
    if not shared:
        return model.generate(input_ids=ids, attention_mask=mask, generation_config=config)
    with shared_prompt_prefill(base):
        return model.generate(input_ids=ids, attention_mask=mask, generation_config=config)


def a_stop_string(model, tokenizer, ids, mask, sample: bool) -> str:
    """Text the model produces early in some rows (so a stop string there really stops)."""
    out = generate(model, ids, mask, sample)[:, ids.size(1) :]
    for token in out[:, 2:6].flatten().tolist():
        text = tokenizer.decode([token]).strip()
        if text and text.isascii():  # not a partial byte sequence
            return text
    raise AssertionError("the tiny model generated no printable token")


@pytest.mark.parametrize("lora", [False, True])
@pytest.mark.parametrize("sample", [False, True])
def test_same_tokens_as_todays_generate(tiny_model, prefills, lora, sample):
    model = tiny_lm(tiny_model, lora)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    ids, mask = left_padded(ORDER)
    base = model.get_base_model() if lora else model
    install_stop_strings(base, tokenizer, [a_stop_string(model, tokenizer, ids, mask, sample)])

    expected = generate(model, ids, mask, sample)
    assert prefills == []
    actual = generate(model, ids, mask, sample, shared=True)
    assert prefills == [3]  # 3 distinct prompts prefilled once for 10 rows
    assert torch.equal(actual, expected)
    completions = expected[:, ids.size(1) :]
    assert (completions == 0).any(dim=1).any(), "no row stopped early: stop strings untested"
    if sample:
        group = [completions[r].tolist() for r, p in enumerate(ORDER) if p == 0]
        assert len({tuple(c) for c in group}) > 1, "a group sampled identical rows"
        other_seed = generate(model, ids, mask, sample, seed=6, shared=True)
        assert not torch.equal(other_seed, expected), "the seed does not reach the samples"


def test_no_padding_and_distinct_prompts(tiny_model, prefills):
    model = tiny_lm(tiny_model, lora=False)
    same_length, mask = left_padded([0, 1, 0, 1, 1], lengths=(20, 20))
    assert bool(mask.all())  # generate drops an all-ones mask; the prefill must too
    assert torch.equal(
        generate(model, same_length, mask, sample=False, shared=True),
        generate(model, same_length, mask, sample=False),
    )
    distinct, mask = left_padded([0, 1, 2])
    assert torch.equal(
        generate(model, distinct, mask, sample=True, shared=True),
        generate(model, distinct, mask, sample=True),
    )
    assert prefills == [2, -1]  # nothing to share: generated as before


def test_generate_is_restored(tiny_model):
    model = tiny_lm(tiny_model, lora=False)
    assert "generate" not in vars(model)
    with shared_prompt_prefill(model):
        assert "generate" in vars(model)
    assert "generate" not in vars(model)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    install_stop_strings(model, tokenizer, ["x"])
    stop_wrapper = model.generate
    with shared_prompt_prefill(model):
        assert model.generate is not stop_wrapper
    assert model.generate is stop_wrapper


@pytest.mark.parametrize(
    ("setting", "reason"),
    [
        ("static_cache", "cache_implementation"),
        ("dropout", "dropout"),
        ("extra_argument", "output_scores"),
    ],
)
def test_unsupported_calls_fall_back_exactly(tiny_model, prefills, setting, reason):
    model = tiny_lm(tiny_model, lora=False)
    ids, mask = left_padded(ORDER)
    config, extra = {}, {}
    if setting == "static_cache":
        config["cache_implementation"] = "static"
    elif setting == "dropout":
        model.config.attention_dropout = 0.1
        model.train()
    else:
        extra["output_scores"] = True
    reasons: list[str] = []
    expected = generate(model, ids, mask, True, **config)
    torch.manual_seed(5)
    settings = GenerationConfig(
        max_new_tokens=12,
        do_sample=True,
        temperature=0.8,
        top_k=0,
        pad_token_id=0,
        eos_token_id=[1],
        **config,
    )
    with shared_prompt_prefill(model, on_fallback=reasons.append):
        out = model.generate(
            input_ids=ids, attention_mask=mask, generation_config=settings, **extra
        )
    assert len(reasons) == 1 and reason in reasons[0]
    assert prefills == []
    assert torch.equal(out, expected)


def build_toolzero_trainer(tiny_model, tmp_path, **extra):
    from toolzero.training.prompts import build_prompt_dataset, load_recipe_examples
    from toolzero.training.recipe import load_recipe
    from toolzero.training.trainer import build_trainer

    settings = {"grpo.num_generations": 4, "grpo.max_completion_length": 10, **extra}
    recipe = load_recipe(QUICKSTART, tiny_overrides(tiny_model, tmp_path / "run", **settings))
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    examples = load_recipe_examples(recipe.data.train, recipe.data.limit, recipe.data.shuffle_seed)
    dataset, _ = build_prompt_dataset(
        examples, tokenizer, recipe.model.protocol, recipe.model.prefill
    )
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(tiny_model, dtype=F64)
    trainer = build_trainer(
        recipe, tmp_path / "run", model, tokenizer, dataset, recipe.reward.build()
    )
    for name, param in trainer.model.named_parameters():  # LoRA B = 0 would be a no-op
        if "lora_B" in name:
            torch.nn.init.normal_(param, std=0.5, generator=torch.Generator().manual_seed(3))
    return trainer, dataset


@pytest.mark.parametrize("switch", [True, False])
def test_trainer_generation_round_matches(tiny_model, tmp_path, prefills, caplog, switch):
    """`ToolzeroGRPOTrainer` (LoRA, stop strings, end-of-turn) from the recipe switch:
    a generation round over shuffled groups gives TRL's completions."""
    trainer, dataset = build_toolzero_trainer(
        tiny_model, tmp_path, **{"grpo.shared_prefix_generation": switch}
    )
    assert trainer.shared_prefix_generation is switch
    prompt_ids = trainer._tokenize_prompts([dataset[p]["prompt"] for p in ORDER])[0]
    trainer.model.train()  # as in a training step
    outputs = []
    for shared in (False, switch):
        trainer.shared_prefix_generation = shared
        torch.manual_seed(11)
        with caplog.at_level(logging.WARNING):
            outputs.append(trainer._generate_single_turn(prompt_ids, None, {}, 4)[0])
    assert outputs[1] == outputs[0]
    assert prefills == ([3] if switch else [])
    assert not [r for r in caplog.records if "shared-prefix generation" in r.getMessage()]


def test_trainer_refuses_vllm_once(tiny_model, tmp_path, caplog):
    trainer, _ = build_toolzero_trainer(tiny_model, tmp_path)
    assert trainer.shared_prefix_generation is True  # the recipe default
    trainer.use_vllm = True
    with caplog.at_level(logging.WARNING):
        for _ in range(2):
            reason = trainer.shared_prefix_generation_refusal(None, {})
    assert reason is not None and "vLLM" in reason
    assert sum("vLLM" in r.getMessage() for r in caplog.records) == 1
    trainer.use_vllm = False
    assert trainer.shared_prefix_generation_refusal(None, {"pixel_values": 0}) is not None
    assert trainer.shared_prefix_generation_refusal(None, {}) is None


@pytest.mark.slow
def test_whole_step_over_accumulation_ends_in_the_same_weights(
    tiny_model, tmp_path, prefills, monkeypatch
):
    """One GRPO step whose generation batch spans 2 accumulation micro-batches (TRL
    generates all 8 shuffled rows at once): the same weights with the switch on and off."""
    # The presets score the tiny model's noise alike (no advantage, no update): a reward
    # that varies with the sampled text makes the step move the weights.
    monkeypatch.setattr(
        "toolzero.rewards.adapters.trl_reward_functions",
        lambda *_, **__: [lambda completions, **_: [float(len(str(c)) % 5) for c in completions]],
    )
    finals = []
    for switch in (False, True):
        trainer, _ = build_toolzero_trainer(
            tiny_model,
            tmp_path / str(switch),
            **{
                "grpo.shared_prefix_generation": switch,
                "grpo.gradient_accumulation_steps": 2,
                "grpo.max_steps": 1,
                "grpo.learning_rate": 0.5,
                "grpo.extra.optim": "sgd",
                "run.save_steps": 100,
            },
        )
        before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
        trainer.train()
        finals.append({n: p.detach().clone() for n, p in trainer.model.named_parameters()})
    assert prefills == [2]  # 2 prompts x 4 completions, prefilled once each
    moved = [n for n, p in finals[0].items() if not torch.equal(p, before[n])]
    assert moved, "training did not change any weight: the comparison would prove nothing"
    for name, weight in finals[0].items():
        assert torch.equal(finals[1][name], weight), name
