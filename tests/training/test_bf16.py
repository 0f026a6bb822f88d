"""bf16 mixed precision (`grpo.bf16`): the auto / true / false rule, where autocast applies
in a GRPO step, what stays fp32, and how far bf16 log-probs move from fp32.

**The tolerance.** bf16 keeps 8 significant bits, so rounding a number to bf16 moves it by
at most u = 2^-8 of itself. Under `torch.autocast` every matrix product rounds its two
inputs to bf16 and its output back to bf16 (accumulating in fp32): 3 roundings. On the way
to a logit, a Gemma-3 layer runs 6 products in series (q/k/v, QK^T, PV, o, gate/up, down),
and the LM head one more, so R = 3 (6L + 1) roundings lie in series (R = 39 for the tiny
model's 2 layers). A logit z_j = sum_i h_i W_ij moves by about u times its terms'
magnitude A = max_j sum_i |h_i W_ij| / temperature (no cancellation assumed) per
rounding; independent rounding errors add in quadrature, so |dz| <~ sqrt(R) u A, and a
log-prob, z_t - logsumexp(z), at most twice that:

    |log p_bf16 - log p_fp32| <= 2 sqrt(R) u A          (per token, asserted on the max)

This is an estimate of the error's scale, not a worst-case bound (that would be linear
in R, 2 R u A, and too loose to catch a wrong position). It is checked to be sharp
enough: log-probs read one position off, a real bug, break it.
"""

from __future__ import annotations

import logging
import math
from contextlib import nullcontext
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from transformers import AutoModelForCausalLM
from trl import GRPOTrainer
from trl.trainer.utils import add_fused_lm_head

from toolzero.training import precision as precision_module
from toolzero.training import run as run_module
from toolzero.training.precision import compute_precision
from toolzero.training.recipe import load_recipe
from toolzero.training.shared_prefix import shared_prefix_logps
from toolzero.training.trainer import build_grpo_config

from .conftest import QUICKSTART, tiny_overrides
from .test_shared_prefix import make_batch

U = 2.0**-8  # bf16's unit roundoff: 8 significant bits


def recipe(*overrides: str):
    return load_recipe(QUICKSTART, list(overrides))


# --- the rule -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "cpu", "cpu_bf16", "cuda_bf16", "bf16", "why"),
    [
        ("auto", True, ["avx512_bf16"], None, True, "this CPU has avx512_bf16"),
        ("auto", True, ["avx512_bf16", "amx_bf16"], None, True, "this CPU has avx512_bf16, amx_bf16"),
        ("auto", True, [], None, False, "this CPU has no AVX-512 BF16 or AMX-BF16"),
        ("auto", False, [], True, True, "the GPU has bf16"),
        ("auto", False, ["amx_bf16"], False, False, "the GPU has no bf16"),
        ("true", True, [], None, True, "grpo.bf16 is true"),  # machine checks refuse it first
        ("false", True, ["amx_bf16"], True, False, "grpo.bf16 is false"),
        ("false", False, [], True, False, "grpo.bf16 is false"),
    ],
)  # fmt: skip
def test_auto_uses_bf16_where_the_hardware_has_it(setting, cpu, cpu_bf16, cuda_bf16, bf16, why):
    choice = compute_precision(recipe(f"grpo.bf16={setting}"), cpu, cpu_bf16, cuda_bf16)
    assert choice.bf16 is bf16
    assert why in choice.why


def test_auto_leaves_fp16_recipes_in_fp16() -> None:
    choice = compute_precision(recipe("grpo.extra={fp16: true}"), False, [], True)
    assert not choice.bf16 and "grpo.extra.fp16" in choice.why


def test_the_log_line_says_what_runs_in_bf16_and_what_stays_fp32() -> None:
    on = compute_precision(recipe(), True, ["amx_bf16"]).describe("float32")
    assert on.startswith("compute precision: bf16 mixed precision (autocast) for generation, ")
    assert "this CPU has amx_bf16" in on and "weights float32, LoRA adapters" in on
    off = compute_precision(recipe(), True, []).describe("float32")
    assert off.startswith("compute precision: fp32 (grpo.bf16 is auto and this CPU has no ")


@pytest.mark.parametrize(("flags", "expected"), [(["avx512_bf16"], True), ([], False)])
def test_the_trainer_config_follows_the_cpu(
    monkeypatch: pytest.MonkeyPatch, caplog, tmp_path: Path, flags, expected
) -> None:
    """`auto` on a CPU run: GRPOConfig(bf16=...) as the CPU allows, said in the log."""
    monkeypatch.setattr(precision_module, "cpu_fast_bf16", lambda: flags)
    caplog.set_level(logging.INFO, logger="toolzero.training.trainer")
    args = build_grpo_config(recipe("run.use_cpu=true"), tmp_path, 2, False)
    assert args.bf16 is expected and args.use_cpu
    assert any(r.message.startswith("compute precision: ") for r in caplog.records)
    off = build_grpo_config(recipe("run.use_cpu=true", "grpo.bf16=false"), tmp_path, 2, False)
    assert off.bf16 is False


def test_cpu_recipes_use_auto_and_gpu_recipes_keep_true() -> None:
    from .conftest import REPO

    assert load_recipe(QUICKSTART).grpo.bf16 == "auto"
    assert load_recipe(QUICKSTART).model.dtype == "float32"  # fp32 weights, bf16 compute
    gpu = load_recipe(REPO / "recipes" / "toolrl-grpo-qwen2.5-3b.yaml", ["data.train=synthetic"])
    assert gpu.grpo.bf16 is True


# --- a GRPO step: where autocast applies, what stays fp32 -------------------------------


@pytest.mark.parametrize("flags", [None, [], ["amx_bf16"]], ids=["this-cpu", "no-bf16", "amx"])
def test_a_tiny_grpo_step_computes_in_bf16_only_where_the_cpu_has_it(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags
) -> None:
    """`grpo.bf16: auto` (the quickstart's) on this CPU as detected, and on a CPU faked
    without and with native bf16. With it, generation and the log-prob forward both run
    their linear layers in bf16 (trl 1.16 generates outside accelerate's autocast; the
    trainer adds it), while the weights, the LoRA adapters and AdamW's moments stay fp32."""
    if flags is None:
        flags = precision_module.cpu_fast_bf16()
    else:
        monkeypatch.setattr(precision_module, "cpu_fast_bf16", lambda: flags)
    compute = torch.bfloat16 if flags else torch.float32
    seen: set[tuple[bool, torch.dtype]] = set()
    trainers, names, weights = [], [], set()  # before the end merges the adapters

    frozen: set[tuple[bool, torch.dtype]] = set()  # the frozen weights' dtypes, by grad mode

    def record(module, inputs, output) -> None:
        seen.add((torch.is_grad_enabled(), output.dtype))
        if not module.weight.requires_grad:
            frozen.add((torch.is_grad_enabled(), module.weight.dtype))

    def make_trainer(*args, **kwargs):
        trainer = make_trainer.real(*args, **kwargs)
        for module in trainer.model.modules():
            if isinstance(module, torch.nn.Linear):
                module.register_forward_hook(record)
        trainers.append(trainer)
        names.extend(n for n, p in trainer.model.named_parameters() if p.requires_grad)
        weights.update(p.dtype for p in trainer.model.parameters())
        return trainer

    make_trainer.real = run_module._make_trainer
    monkeypatch.setattr(run_module, "_make_trainer", make_trainer)
    overrides = tiny_overrides(tiny_model, tmp_path / "run", **{"grpo.max_steps": 1})
    r = recipe(*overrides, "grpo.bf16=auto", "run.save_steps=10")
    run_module.train(r)

    (trainer,) = trainers
    assert trainer.args.bf16 is (compute == torch.bfloat16)
    # no-grad forwards (generation) and grad forwards (the loss) both ran, in `compute`
    assert seen == {(False, compute), (True, compute)}
    # generation (no grad) and the loss forward (grad) multiplied bf16 copies of the
    # frozen weights, not fp32 ones cast per call; after the step the fp32 originals are
    # back in place
    no_grad_weights = {dtype for grad, dtype in frozen if not grad}
    assert no_grad_weights >= ({torch.bfloat16} if flags else {torch.float32})
    assert flags or no_grad_weights == {torch.float32}
    assert {dtype for grad, dtype in frozen if grad} == {compute}
    assert {p.dtype for p in trainer.model.parameters()} == {torch.float32}
    assert names and all("lora_" in n for n in names)  # only the adapters train
    assert weights == {torch.float32}  # base and adapters
    trained = [p for group in trainer.optimizer.param_groups for p in group["params"]]
    assert len(trained) == len(names) and {p.dtype for p in trained} == {torch.float32}
    states = [trainer.optimizer.state[p] for p in trained]
    assert all(s["exp_avg"].dtype == torch.float32 for s in states)
    assert all(s["exp_avg_sq"].dtype == torch.float32 for s in states)


# --- bf16 copies of the frozen weights for generation -------------------------------------


@pytest.fixture
def frozen_tiny(tmp_path):
    from toolzero.tiny_model import build_tiny_model

    path = build_tiny_model(tmp_path / "model")
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    model.requires_grad_(False)
    return model


def sample_scores(model, ids, copies=None):
    """Greedy tokens and their scores under bf16 autocast, with or without the copies."""
    from toolzero.training.bf16_weights import frozen_weights_in_bf16

    swap = nullcontext() if copies is None else frozen_weights_in_bf16(model, copies)
    with torch.no_grad(), bf16_autocast(), swap:
        out = model.generate(
            ids, attention_mask=torch.ones_like(ids), max_new_tokens=12, do_sample=False,
            output_scores=True, return_dict_in_generate=True, pad_token_id=0,
        )
    return out.sequences, torch.stack(out.scores)


def test_bf16_weight_copies_generate_what_autocast_generates(frozen_tiny) -> None:
    """The copies are autocast's own rounding: the same tokens and bit-identical scores."""
    from toolzero.training.bf16_weights import Bf16WeightCopies

    model = frozen_tiny
    seed = torch.Generator().manual_seed(0)
    ids = torch.randint(3, model.config.vocab_size, (3, 9), generator=seed)
    tokens, scores = sample_scores(model, ids)
    copies = Bf16WeightCopies()
    tokens_copied, scores_copied = sample_scores(model, ids, copies)
    assert copies.copies, "no weight was copied"
    assert torch.equal(tokens, tokens_copied)
    assert torch.equal(scores, scores_copied)
    # fp32 products differ: the comparison can see a change of precision
    with torch.no_grad():
        fp32 = model.generate(
            ids, attention_mask=torch.ones_like(ids), max_new_tokens=12, do_sample=False,
            output_scores=True, return_dict_in_generate=True, pad_token_id=0,
        )
    assert not torch.equal(torch.stack(fp32.scores), scores)


def test_bf16_weight_copies_swap_only_frozen_matrices_and_put_them_back(frozen_tiny) -> None:
    from toolzero.training.bf16_weights import Bf16WeightCopies, frozen_weights_in_bf16

    model = frozen_tiny
    head, embed = model.get_output_embeddings(), model.get_input_embeddings()
    trained = model.model.layers[0].mlp.down_proj
    trained.weight.requires_grad_(True)  # as an adapter (or full fine-tuning) would be
    before = dict(model.named_parameters())
    head_fp32 = head.weight
    copies = Bf16WeightCopies()
    with frozen_weights_in_bf16(model, copies) as swapped:
        linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
        assert swapped == len(linears) - 1
        assert all(m.weight.dtype == torch.bfloat16 for m in linears if m is not trained)
        assert trained.weight.dtype == torch.float32  # autocast casts what is trained
        if model.config.tie_word_embeddings:  # the head gets its copy; the lookup stays fp32
            assert head.weight is not embed.weight
        assert embed.weight.dtype == torch.float32
        first = head.weight
        assert torch.equal(first, head_fp32.to(torch.bfloat16))
    after = dict(model.named_parameters())
    assert after.keys() == before.keys() and all(after[n] is before[n] for n in before)
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    with frozen_weights_in_bf16(model, copies):
        assert head.weight is first  # kept between calls: frozen weights do not change
    with torch.no_grad():
        embed.weight.add_(1.0)  # a changed weight (its version counter moves) is copied again
    with frozen_weights_in_bf16(model, copies):
        assert head.weight is not first
        assert torch.equal(head.weight, embed.weight.to(torch.bfloat16))
    try:
        with frozen_weights_in_bf16(model, copies):
            raise RuntimeError("generation failed")
    except RuntimeError:
        pass
    assert all(dict(model.named_parameters())[n] is before[n] for n in before)


# --- numerics: per-token log-probs, bf16 autocast vs fp32 --------------------------------


@pytest.fixture(scope="module")
def fused_tiny(tmp_path_factory):
    from toolzero.tiny_model import build_tiny_model

    path = build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    return model


def bf16_autocast():
    return torch.autocast("cpu", dtype=torch.bfloat16)


def trl_logps(model, ids, mask, keep, temperature, autocast):
    """trl 1.16's own log-prob method under the given autocast (accelerate's, in a run)."""
    add_fused_lm_head(model, temperature=temperature, outputs=("log_probs", "entropy"))
    stub = SimpleNamespace(accelerator=SimpleNamespace(autocast=autocast))
    method = GRPOTrainer._get_per_token_logps_and_entropies.__wrapped__
    with torch.no_grad():
        return method(stub, model, ids, mask, keep, None, compute_entropy=False)[0]


def logit_scale(model, ids, mask, keep, temperature) -> torch.Tensor:
    """A per completion position: max_j sum_i |h_i W_ij| / T, from the fp32 model."""
    with torch.no_grad():
        states = model.model(input_ids=ids, attention_mask=mask).last_hidden_state
        before = states[:, -keep - 1 : -1]  # the state before each completion token
        head = model.get_output_embeddings().weight
        return (before.abs() @ head.abs().T).amax(-1) / temperature


def tolerance(model, scale: torch.Tensor) -> torch.Tensor:
    layers = model.config.num_hidden_layers
    roundings = 3 * (6 * layers + 1)
    return 2 * math.sqrt(roundings) * U * scale


@pytest.mark.parametrize("temperature", [1.0, 0.1])  # 0.1: logits x10, a sharper model
def test_bf16_log_probs_stay_within_the_rounding_tolerance(fused_tiny, temperature) -> None:
    model = fused_tiny
    vocab = model.config.vocab_size
    ids, mask, keep = make_batch([40, 25], [[12, 7, 12, 3], [9, 12, 5, 12]], vocab=vocab)
    fp32 = trl_logps(model, ids, mask, keep, temperature, nullcontext)
    bf16 = trl_logps(model, ids, mask, keep, temperature, bf16_autocast)
    real = mask[:, -keep:].bool()
    error = (bf16 - fp32).abs()[real]
    bound = tolerance(model, logit_scale(model, ids, mask, keep, temperature))[real]
    assert error.max() > 0, "autocast changed nothing: bf16 was not applied"
    assert (error <= bound).all(), f"max error {error.max():.2e}, bound there {bound.min():.2e}"
    # The bound is sharp enough to see a real bug: log-probs one position off break it.
    shifted = (fp32.roll(1, dims=1) - fp32).abs()[real]
    assert (shifted > bound).any()


def test_shared_prefix_matches_trl_under_autocast(fused_tiny) -> None:
    """Both paths under the same bf16 autocast: within the same tolerance (in practice
    the same values: the prompt's products are the same bf16 operations)."""
    model = fused_tiny
    vocab = model.config.vocab_size
    ids, mask, keep = make_batch([30, 18], [[9, 4, 9, 2], [6, 9, 9, 1]], vocab=vocab, seed=1)
    trl = trl_logps(model, ids, mask, keep, 1.0, bf16_autocast)
    with torch.no_grad(), bf16_autocast():
        shared, _ = shared_prefix_logps(model, ids, mask, keep)
    assert shared.dtype == torch.float32  # trl's kernel returns fp32 log-probs
    real = mask[:, -keep:].bool()
    bound = tolerance(model, logit_scale(model, ids, mask, keep, 1.0))[real]
    assert ((shared - trl).abs()[real] <= bound).all()
    assert (shared[~real] == 0).all()
