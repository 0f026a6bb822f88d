"""Shared-prefix GRPO matches TRL's standard path: log-probs, entropies, loss, every gradient.

Models are tiny and random (Gemma-3 from `build_tiny_model`, plus Llama and Qwen2 built
from configs) and run in float64, so a real mismatch (a wrong position, mask or group)
shows far above rounding. TRL's LM-head kernel keeps its softmax statistics in float32
whatever the model's dtype, hence tolerances of ~1e-6 relative rather than 1e-12.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from types import SimpleNamespace

import pytest
import torch
from datasets import Dataset
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, Qwen2Config
from trl import GRPOConfig, GRPOTrainer
from trl.trainer.utils import add_fused_lm_head

from toolzero.tiny_model import build_tiny_model
from toolzero.training.shared_prefix import (
    SharedPrefixMixin,
    find_prefix_groups,
    shared_prefix_logps,
    unsupported_reason,
)

F64 = torch.float64


class SharedPrefixTrainer(SharedPrefixMixin, GRPOTrainer):
    pass


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory):
    return str(build_tiny_model(tmp_path_factory.mktemp("tiny") / "model"))


def causal_lm(kind: str, tiny_path: str, attn: str = "sdpa", **overrides):
    torch.manual_seed(0)
    if kind == "gemma":
        model = AutoModelForCausalLM.from_pretrained(
            tiny_path, dtype=F64, attn_implementation=attn, **overrides
        )
    else:
        config_class = {"llama": LlamaConfig, "qwen2": Qwen2Config}[kind]
        config = config_class(
            vocab_size=300,
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=256,
        )
        model = AutoModelForCausalLM.from_config(config, attn_implementation=attn).to(F64)
    return model.eval()


def make_batch(prompt_lengths, completion_lengths, side="left", seed=0, vocab=300):
    """Rows `prompt + completion`: prompts padded on `side`, completions on the right, shuffled."""
    gen = torch.Generator().manual_seed(seed)
    width_p, width_c = max(prompt_lengths), max(max(c) for c in completion_lengths)
    ids, mask = [], []
    for n_prompt, lengths in zip(prompt_lengths, completion_lengths, strict=True):
        prompt = torch.randint(10, vocab, (n_prompt,), generator=gen)
        pad = torch.zeros(width_p - n_prompt, dtype=torch.long)
        p_ids = torch.cat([pad, prompt] if side == "left" else [prompt, pad])
        p_mask = (
            (torch.arange(width_p) >= width_p - n_prompt)
            if side == "left"
            else (torch.arange(width_p) < n_prompt)
        )
        for n in lengths:
            c_mask = torch.arange(width_c) < n
            c_ids = torch.randint(10, vocab, (width_c,), generator=gen) * c_mask
            ids.append(torch.cat([p_ids, c_ids]))
            mask.append(torch.cat([p_mask, c_mask]).long())
    order = torch.randperm(len(ids), generator=gen)
    return torch.stack(ids)[order], torch.stack(mask)[order], width_c


def trl_logps(model, ids, mask, keep, batch_size=None, temperature=1.0):
    """trl 1.16's own `_get_per_token_logps_and_entropies`, on a model with its fused head."""
    if not getattr(model, "_test_fused", False):
        add_fused_lm_head(model, temperature=temperature, outputs=("log_probs", "entropy"))
        model._test_fused = True
    stub = SimpleNamespace(accelerator=SimpleNamespace(autocast=nullcontext))
    method = GRPOTrainer._get_per_token_logps_and_entropies.__wrapped__
    logps, entropies, _ = method(stub, model, ids, mask, keep, batch_size, compute_entropy=True)
    return logps, entropies


def grads_of(model, logps, entropies, mask, zero=True):
    if zero:
        model.zero_grad()
    gen = torch.Generator().manual_seed(1)
    weights = torch.randn(logps.shape, generator=gen, dtype=F64)
    ((logps * weights + 0.1 * entropies) * mask).sum().backward()
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


def assert_grads_match(expected, actual, rtol=1e-6):
    assert expected.keys() == actual.keys() and expected
    for name, grad in expected.items():
        scale = grad.abs().max().clamp(min=1e-12)
        error = ((grad - actual[name]).abs().max() / scale).item()
        assert error < rtol, f"{name}: relative gradient error {error:.2e}"


@pytest.mark.parametrize(
    ("kind", "attn", "overrides", "prompts", "completions", "side", "batch_size", "temperature"),
    [
        (
            "gemma",
            "sdpa",
            {},
            [9, 6],
            [[5, 2, 7, 1, 7, 3, 6, 7], [4, 7, 1, 7, 2, 5, 7, 3]],
            "left",
            None,
            1.0,
        ),
        ("gemma", "eager", {}, [7, 4], [[3, 5], [5, 1]], "right", None, 1.0),
        ("gemma", "sdpa", {"sliding_window": 4}, [11, 8], [[6, 3], [2, 6]], "left", None, 1.0),
        ("gemma", "sdpa", {}, [5, 8, 3, 6], [[4], [2], [4], [1]], "left", None, 0.7),
        ("gemma", "sdpa", {}, [6, 6, 4], [[3, 3, 3], [1, 3, 2], [3, 0, 2]], "left", 4, 1.0),
        ("gemma", "sdpa", {}, [5, 7], [[1, 1], [1, 1]], "left", None, 1.0),
        ("llama", "sdpa", {}, [8, 5], [[5, 3, 2, 5], [1, 5, 4, 2]], "left", None, 1.0),
        ("qwen2", "eager", {}, [8, 5], [[5, 3, 2, 5], [1, 5, 4, 2]], "right", None, 1.0),
    ],
    ids=[
        "G8-uneven",
        "eager-right-pad",
        "sliding<prompt",
        "G1-temp",
        "chunks-split-groups",
        "C1",
        "llama",
        "qwen2",
    ],
)
@pytest.mark.parametrize("cpu_head", [False, True], ids=["trl-head", "cpu-head"])
def test_logps_entropies_and_gradients_match_trl(
    tiny_path, kind, attn, overrides, prompts, completions, side, batch_size, temperature, cpu_head
):
    model = causal_lm(kind, tiny_path, attn, **overrides)
    ids, mask, keep = make_batch(prompts, completions, side)
    assert_matches_trl(model, ids, mask, keep, batch_size, temperature, cpu_head)


@pytest.mark.parametrize("kind", ["gemma", "llama"])
def test_gradient_checkpointing_matches_trl(tiny_path, kind):
    """Layers re-run in the backward: the recompute must read, not refill, the shared cache."""
    model = causal_lm(kind, tiny_path).train()
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    ids, mask, keep = make_batch([9, 6], [[5, 2, 7, 1], [4, 7, 1, 7]], "left")
    assert_matches_trl(model, ids, mask, keep)


def assert_matches_trl(model, ids, mask, keep, batch_size=None, temperature=1.0, cpu_head=False):
    scored = mask[:, -keep:]
    expected = trl_logps(model, ids, mask, keep, batch_size, temperature)
    actual = shared_prefix_logps(
        model,
        ids,
        mask,
        keep,
        batch_size,
        temperature=temperature,
        compute_entropy=True,
        cpu_head=cpu_head,
    )
    for want, got in zip(expected, actual, strict=True):
        assert got.shape == want.shape == (ids.size(0), keep)
        torch.testing.assert_close(got, want, atol=2e-6, rtol=0)
        assert (got[scored == 0] == 0).all()
    assert_grads_match(grads_of(model, *expected, scored), grads_of(model, *actual, scored))


@pytest.mark.parametrize(
    ("ids", "mask", "first_rows", "row_group"),
    [
        ([[1, 2, 9], [3, 4, 9], [1, 2, 8], [3, 4, 7]], None, [0, 1], [0, 1, 0, 1]),
        ([[1, 2, 9], [1, 2, 9]], [[1, 1, 1], [0, 1, 1]], [0, 1], [0, 1]),  # same ids, other mask
        ([[5, 5, 1], [6, 6, 1], [7, 7, 1]], None, [0, 1, 2], [0, 1, 2]),
        ([[3, 3, 1], [2, 2, 1], [3, 3, 2], [2, 2, 2], [3, 3, 3]], None, [0, 1], [0, 1, 0, 1, 0]),
    ],
)
def test_find_prefix_groups(ids, mask, first_rows, row_group):
    ids = torch.tensor(ids)
    mask = torch.ones_like(ids) if mask is None else torch.tensor(mask)
    groups = find_prefix_groups(ids, mask, prompt_length=2)
    assert groups.first_rows.tolist() == first_rows
    assert groups.row_group.tolist() == row_group


def build_trainer(tiny_path, tmp_path, lora=False, beta=0.0, generations=4, **config):
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(tiny_path, dtype=F64)
    args = GRPOConfig(
        output_dir=str(tmp_path / "out"),
        use_cpu=True,
        per_device_train_batch_size=config.pop("per_device_train_batch_size", generations * 2),
        num_generations=max(2, generations),  # TRL refuses 1; the batch may still hold G = 1
        beta=beta,
        entropy_coef=0.01,
        max_completion_length=6,
        report_to=[],
        save_strategy="no",
        gradient_checkpointing=False,  # TRL's default is on; toolzero turns it off on CPU
        seed=0,
        **config,
    )
    peft = LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", task_type="CAUSAL_LM")
    trainer = SharedPrefixTrainer(
        model=model,
        reward_funcs=[lambda completions, **_: [float(len(c) % 5) for c in completions]],
        args=args,
        train_dataset=Dataset.from_dict({"prompt": ["call a tool", "get weather in Paris"] * 4}),
        processing_class=AutoTokenizer.from_pretrained(tiny_path),
        peft_config=peft if lora else None,
    )
    trainer.current_gradient_accumulation_steps = 1
    return trainer


def loss_inputs(ids, mask, keep, beta, seed=3):
    gen = torch.Generator().manual_seed(seed)
    inputs = {
        "prompt_ids": ids[:, :-keep],
        "prompt_mask": mask[:, :-keep],
        "completion_ids": ids[:, -keep:],
        "completion_mask": mask[:, -keep:],
        "advantages": torch.randn(ids.size(0), generator=gen, dtype=F64),
        "num_items_in_batch": mask[:, -keep:].sum().to(F64),
    }
    if beta:
        inputs["ref_per_token_logps"] = -3 * torch.rand(
            ids.shape[0], keep, generator=gen, dtype=F64
        )
    return inputs


def loss_and_grads(trainer, micro_batches, shared, cpu_head=False):
    trainer.shared_prefix = shared
    trainer.cpu_head_logprobs = cpu_head
    trainer.model.zero_grad()
    losses = []
    for inputs in micro_batches:
        loss = trainer.compute_loss(trainer.model, inputs)
        loss.backward()
        losses.append(loss.detach())
    grads = {n: p.grad.clone() for n, p in trainer.model.named_parameters() if p.grad is not None}
    return torch.stack(losses), grads


@pytest.mark.parametrize(
    ("lora", "beta", "generations", "loss_type", "micro_batches"),
    [
        (False, 0.0, 8, "dapo", 1),
        (False, 0.04, 2, "grpo", 2),
        (True, 0.0, 2, "dapo", 1),
        (True, 0.04, 8, "grpo", 2),
        (True, 0.0, 1, "bnpo", 1),
    ],
)
@pytest.mark.parametrize("cpu_head", [False, True], ids=["trl-head", "cpu-head"])
def test_trainer_loss_and_every_gradient_match(
    tiny_path, tmp_path, lora, beta, generations, loss_type, micro_batches, cpu_head
):
    # trl's default bf16 autocast computes both heads' products in bf16; trl's head then
    # multiplies the gradient in fp32, `head_logprobs` in bf16 (as an autocast Linear's
    # backward does, test_head_logprobs.py): compared in full precision, the paths agree.
    precision = {"bf16": False} if cpu_head else {}
    trainer = build_trainer(
        tiny_path, tmp_path, lora, beta, generations, loss_type=loss_type, **precision
    )
    vocab = trainer.model.config.vocab_size
    lengths = [
        [(3 * i + 2) % 6 + 1 for i in range(generations)],
        [6 - i % 6 for i in range(generations)],
    ]
    ids, mask, keep = make_batch([9, 5], lengths, vocab=vocab, seed=generations)
    # Shuffled halves: each micro-batch holds parts of groups, as under gradient accumulation.
    batches = [
        loss_inputs(ids[rows], mask[rows], keep, beta)
        for rows in torch.arange(ids.size(0)).chunk(micro_batches)
    ]
    trainer.current_gradient_accumulation_steps = micro_batches
    expected_loss, expected = loss_and_grads(trainer, batches, shared=False)
    actual_loss, actual = loss_and_grads(trainer, batches, shared=True, cpu_head=cpu_head)
    torch.testing.assert_close(actual_loss, expected_loss, atol=1e-6, rtol=1e-6)
    if lora:
        assert all("lora_" in name for name in expected)
    assert_grads_match(expected, actual)


@pytest.mark.slow
@pytest.mark.parametrize("lora", [True, False])
@pytest.mark.parametrize("cpu_head", [False, True], ids=["trl-head", "cpu-head"])
def test_training_steps_end_to_end_match(tiny_path, tmp_path, monkeypatch, lora, cpu_head):
    """Generation, old/ref log-probs (KL on), accumulation over split groups: same weights after."""
    calls = []

    def counted(*args, **kwargs):
        calls.append((torch.is_grad_enabled(), args[1].size(0)))
        return shared_prefix_logps(*args, **kwargs)

    monkeypatch.setattr("toolzero.training.shared_prefix.shared_prefix_logps", counted)
    finals = []
    for shared in (False, True):
        trainer = build_trainer(
            tiny_path,
            tmp_path / str(shared),
            lora,
            beta=0.04,
            generations=4,
            per_device_train_batch_size=4,
            gradient_accumulation_steps=2,
            max_steps=1,
            # SGD: an update is linear in the gradient. Adam would scale the float32 noise of
            # near-zero gradients (TRL's head kernel) up to a full step in either path.
            optim="sgd",
            learning_rate=0.5,
            logging_steps=1,
            **({"bf16": False} if cpu_head else {}),  # see the loss and gradient test
        )
        trainer.shared_prefix = shared
        trainer.cpu_head_logprobs = cpu_head and shared
        trainer.train()
        finals.append({n: p.detach().clone() for n, p in trainer.model.named_parameters()})
    # The reference over all 8 rows (no grad; LoRA: the same model with adapters off), then
    # 2 policy micro-batches of 4 shuffled rows (with grad).
    assert calls == [(False, 8), (True, 4), (True, 4)]
    before = build_trainer(tiny_path, tmp_path / "init", lora).model.state_dict()
    moved = [n for n, p in finals[0].items() if not torch.equal(p, before[n])]
    assert moved, "training did not change any weight: the comparison would prove nothing"
    for name, weight in finals[0].items():
        torch.testing.assert_close(finals[1][name], weight, atol=1e-7, rtol=1e-6)


def ddp_worker(rank: int, folder: str, tiny_path: str) -> None:
    """One of two CPU processes (gloo): both paths through DistributedDataParallel."""
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo", init_method=f"file://{folder}/rendezvous", rank=rank, world_size=2
    )
    model = causal_lm("gemma", tiny_path)
    add_fused_lm_head(model, outputs=("log_probs", "entropy"))
    ddp = DistributedDataParallel(model)
    ddp._test_fused = True  # trl_logps: the head is fused on the model inside
    ids, mask, keep = make_batch([7, 5], [[4, 2, 3], [1, 4, 4]], seed=rank)  # other data per rank
    grads = {}
    for path, logps in (("trl", trl_logps), ("shared", shared_prefix_logps)):
        model.zero_grad()
        out = (
            logps(ddp, ids, mask, keep)
            if path == "trl"
            else logps(ddp, ids, mask, keep, compute_entropy=True)
        )
        grads[path] = grads_of(model, *out, mask[:, -keep:], zero=False)
    torch.save(grads, f"{folder}/rank{rank}.pt")
    dist.destroy_process_group()


@pytest.mark.slow
def test_ddp_synchronises_the_shared_prefix_gradients(tiny_path, tmp_path):
    torch.multiprocessing.spawn(ddp_worker, args=(str(tmp_path), tiny_path), nprocs=2)
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in (0, 1)]
    for grads in ranks:
        assert_grads_match(grads["trl"], grads["shared"])
    # Each rank saw other rows: equal gradients mean DDP averaged them.
    assert_grads_match(ranks[0]["shared"], ranks[1]["shared"], rtol=1e-12)


@pytest.mark.parametrize(
    ("setting", "reason"),
    [
        ("reentrant_checkpointing", "use_reentrant=False"),
        ("wrapped", "wrapped by DataParallel"),
        ("images", "multimodal"),
        ("aux_loss", "load-balancing"),
        ("no_prompt", "no prompt columns"),
    ],
)
def test_fallback_logs_reason_once_and_uses_trl(tiny_path, tmp_path, caplog, setting, reason):
    trainer = build_trainer(tiny_path, tmp_path)
    model = trainer.model
    ids, mask, keep = make_batch([6, 4], [[3, 2], [1, 3]], vocab=model.config.vocab_size)
    extra = {}
    if setting == "reentrant_checkpointing":
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": True})
    elif setting == "wrapped":
        model = torch.nn.DataParallel(model)
    elif setting == "images":
        extra["pixel_values"] = torch.zeros(1)
    elif setting == "no_prompt":
        keep = ids.size(1)
    with caplog.at_level(logging.WARNING, logger="toolzero.training.shared_prefix"):
        for _ in range(2):
            got = trainer.shared_prefix_refusal(model, ids, keep, setting == "aux_loss", extra)
    assert got is not None and reason in got
    assert sum(reason in r.getMessage() for r in caplog.records) == 1
    if setting in ("reentrant_checkpointing", "wrapped"):
        trainer.shared_prefix = False
        expected = trainer._get_per_token_logps_and_entropies(model, ids, mask, keep)[0]
        trainer.shared_prefix = True
        torch.testing.assert_close(
            trainer._get_per_token_logps_and_entropies(model, ids, mask, keep)[0], expected
        )


def test_switch_off_is_silent_and_supported_models_have_no_reason(tiny_path, tmp_path, caplog):
    trainer = build_trainer(tiny_path, tmp_path)
    ids, _, keep = make_batch([6], [[3, 2]], vocab=trainer.model.config.vocab_size)
    trainer.shared_prefix = False
    with caplog.at_level(logging.WARNING):
        assert trainer.shared_prefix_refusal(trainer.model, ids, keep, False, {}) == "off"
    assert not caplog.records
    for kind in ("gemma", "llama", "qwen2"):
        assert unsupported_reason(causal_lm(kind, tiny_path)) is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("lora_on_lm_head", "LM head"),
        ("bidirectional", "bidirectional"),
    ],
)
def test_unsupported_models_are_named(tiny_path, change, reason):
    model = causal_lm("gemma", tiny_path)
    if change == "lora_on_lm_head":
        model = get_peft_model(model, LoraConfig(r=2, target_modules=["q_proj", "lm_head"]))
    else:
        model.config.use_bidirectional_attention = True
    assert reason in (unsupported_reason(model) or "")


def test_batch_without_prompt_is_a_clear_error(tiny_path):
    model = causal_lm("gemma", tiny_path)
    ids = torch.ones(2, 4, dtype=torch.long)
    with pytest.raises(ValueError, match="logits_to_keep=4"):
        shared_prefix_logps(model, ids, torch.ones_like(ids), 4)


def test_fsdp2_sharded_model_takes_trls_path(tiny_path, tmp_path, caplog):
    """FSDP2's `fully_shard` wraps nothing (`unwrap_model` returns the model itself) but
    makes its modules FSDP modules, whose embedding or head called on their own before the
    root's forward fail on a GPU ("FSDP requires a single root module"). Both shared-prefix
    paths must see it as sharded and leave the batch to TRL (one process, gloo, CPU)."""
    import torch.distributed as dist
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard

    from toolzero.training.shared_prefix import sharded_wrapper

    trainer = build_trainer(tiny_path, tmp_path)
    model = trainer.model
    assert sharded_wrapper(model, model) is None  # plain: the shared-prefix path
    dist.init_process_group("gloo", init_method=f"file://{tmp_path}/pg", rank=0, world_size=1)
    try:
        mesh = init_device_mesh("cpu", (1,))
        for layer in model.model.layers:
            fully_shard(layer, mesh=mesh)
        fully_shard(model, mesh=mesh)
        assert trainer.accelerator.unwrap_model(model) is model  # what hid it before
        assert sharded_wrapper(model, model) == "FSDP2 (fully_shard)"
        ids, _, keep = make_batch([6, 4], [[3, 2], [1, 3]], vocab=model.config.vocab_size)
        with caplog.at_level(logging.WARNING, logger="toolzero.training.shared_prefix"):
            got = trainer.shared_prefix_refusal(model, ids, keep, False, {})
        assert got is not None and "FSDP2" in got
        from toolzero.training.shared_prefix_generation import SharedPrefixGenerationMixin

        trainer.model_wrapped = model  # generation's check reads the trainer's wrapped model
        assert SharedPrefixGenerationMixin.sharded_wrapper(trainer) == "FSDP2 (fully_shard)"
    finally:
        dist.destroy_process_group()
