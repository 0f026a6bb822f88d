"""`head_logprobs`: the LM head's per-token log-probs and entropies on a CPU, checked against
their definition (a full `log_softmax`) and against trl's `ChunkedLogProbFunction`, values
and gradients, in fp32 and under bf16 autocast."""

from __future__ import annotations

import pytest
import torch
from trl.kernels.chunked_logprob import ChunkedLogProbFunction

from toolzero.training import head_logprobs as module
from toolzero.training.head_logprobs import WORKSPACE, head_logprobs

V, H, N = 1000, 24, 37


def inputs(bias: bool, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    hidden = torch.randn(N, H, generator=gen, dtype=torch.float64)
    weight = torch.randn(V, H, generator=gen, dtype=torch.float64) * 0.5
    b = torch.randn(V, generator=gen, dtype=torch.float64) if bias else None
    targets = torch.randint(0, V, (N,), generator=gen)
    return hidden, weight, b, targets


def definition(hidden, weight, bias, targets, temperature, softcap, scale):
    """log p(target) and entropy from the full logits, as trl defines the transform:
    z = softcap * tanh(scale * y / softcap) / temperature (no softcap: scale * y / T)."""
    y = hidden @ weight.t() + (0 if bias is None else bias)
    y = y * scale
    if softcap is not None:
        y = softcap * torch.tanh(y / softcap)
    log_p = torch.log_softmax(y / temperature, dim=-1)
    entropy = -(log_p.exp() * log_p).sum(-1)
    return log_p.gather(1, targets.unsqueeze(1)).squeeze(1), entropy


def leaves(hidden, weight, bias, dtype):
    out = [hidden.to(dtype).requires_grad_(), weight.to(dtype).requires_grad_()]
    out.append(None if bias is None else bias.to(dtype).requires_grad_())
    return out


def grads(tensors):
    return [None if t is None else t.grad for t in tensors]


@pytest.fixture(params=[1 << 30, 5 * V], ids=["one-chunk", "token-chunks"])
def chunking(request, monkeypatch):
    """One chunk of tokens, or chunks of 5 tokens (37 tokens: the last one short)."""
    monkeypatch.setattr(module, "TOKEN_CHUNK_ELEMENTS", request.param)
    WORKSPACE.clear()
    yield
    WORKSPACE.clear()


@pytest.mark.parametrize(
    ("temperature", "softcap", "scale", "bias"),
    [(1.0, None, 1.0, False), (0.7, None, 1.0, True), (0.8, 3.0, 0.5, True)],
)
def test_values_and_gradients_follow_the_definition(chunking, temperature, softcap, scale, bias):
    """fp32 against the float64 definition, with both upstream gradients (log-prob and
    entropy) reaching hidden states, weight and bias."""
    hidden, weight, b, targets = inputs(bias)
    gen = torch.Generator().manual_seed(1)
    up_lp, up_h = torch.randn(N, generator=gen), torch.randn(N, generator=gen)

    ours = leaves(hidden, weight, b, torch.float32)
    lp, ent = head_logprobs(ours[0], ours[1], ours[2], targets, temperature, softcap, scale, True)
    ((lp * up_lp).sum() + (ent * up_h).sum()).backward()

    ref = leaves(hidden, weight, b, torch.float64)
    want_lp, want_ent = definition(ref[0], ref[1], ref[2], targets, temperature, softcap, scale)
    ((want_lp * up_lp.double()).sum() + (want_ent * up_h.double()).sum()).backward()

    torch.testing.assert_close(lp.double(), want_lp.detach(), atol=2e-5, rtol=1e-5)
    torch.testing.assert_close(ent.double(), want_ent.detach(), atol=2e-5, rtol=1e-5)
    for got, want in zip(grads(ours), grads(ref), strict=True):
        if want is None:
            assert got is None
            continue
        torch.testing.assert_close(got.double(), want, atol=2e-5, rtol=1e-4)


def test_log_prob_gradient_alone_and_no_entropy(chunking):
    """The loss's usual case: entropy not asked for, only log p(target) has a gradient."""
    hidden, weight, _, targets = inputs(False, seed=3)
    ours = leaves(hidden, weight, None, torch.float32)
    ours[1].requires_grad_(False)  # a frozen head, as under LoRA
    lp, ent = head_logprobs(ours[0], ours[1], None, targets, 0.8)
    assert ent is None
    lp.sum().backward()
    assert ours[1].grad is None
    ref = leaves(hidden, weight, None, torch.float64)
    want, _ = definition(ref[0], ref[1], None, targets, 0.8, None, 1.0)
    want.sum().backward()
    torch.testing.assert_close(lp.double(), want.detach(), atol=2e-5, rtol=1e-5)
    torch.testing.assert_close(ours[0].grad.double(), ref[0].grad, atol=2e-5, rtol=1e-4)


def test_matches_trl_chunked_log_probs_in_fp32(chunking):
    """Same arguments, same results as the function it replaces on CPUs (fp32)."""
    hidden, weight, b, targets = inputs(True, seed=5)
    ours = leaves(hidden, weight, b, torch.float32)
    theirs = leaves(hidden, weight, b, torch.float32)
    lp, ent = head_logprobs(ours[0], ours[1], ours[2], targets, 0.9, None, 1.0, True)
    t_lp, t_ent, *_ = ChunkedLogProbFunction.apply(
        theirs[0], theirs[1], theirs[2], targets, 0.9, 256, None, 1.0, ("log_probs", "entropy")
    )
    torch.testing.assert_close(lp, t_lp, atol=2e-6, rtol=1e-6)
    # H = log Z - E[z] cancels: a few fp32 roundings of log Z (~7 here) on both sides
    torch.testing.assert_close(ent, t_ent, atol=2e-5, rtol=1e-5)
    (lp.sum() - 0.3 * ent.sum()).backward()
    (t_lp.sum() - 0.3 * t_ent.sum()).backward()
    for got, want in zip(grads(ours), grads(theirs), strict=True):
        torch.testing.assert_close(got, want, atol=2e-6, rtol=1e-5)


def test_under_bf16_autocast_the_product_is_bf16_and_close_to_fp32(chunking):
    """Under autocast the head's product is bf16 (as for any `Linear`), the softmax fp32:
    values move by bf16 rounding only, and differ from fp32 (the precision took effect)."""
    hidden, weight, _, targets = inputs(False, seed=7)
    fp32 = leaves(hidden, weight, None, torch.float32)
    bf16 = leaves(hidden, weight, None, torch.float32)
    lp32, _ = head_logprobs(fp32[0], fp32[1], None, targets)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        lp16, _ = head_logprobs(bf16[0], bf16[1], None, targets)
    assert lp16.dtype == torch.float32
    assert not torch.equal(lp16, lp32)
    # |y| <~ sum |h w|: each of the product's 2 input roundings moves a logit by <= 2^-8 of it
    bound = 2 * 2 * 2.0**-8 * (hidden.abs() @ weight.abs().t()).amax(1).float()
    assert bool(((lp16 - lp32).abs() <= bound).all())
    lp16.sum().backward()
    lp32.sum().backward()
    torch.testing.assert_close(bf16[0].grad, fp32[0].grad, atol=0.05, rtol=0.05)


def test_the_workspace_is_reused_and_results_do_not_alias_it(chunking):
    hidden, weight, _, targets = inputs(False, seed=9)
    first, _ = head_logprobs(hidden.float(), weight.float(), None, targets)
    kept = {role: buf.data_ptr() for role, buf in WORKSPACE.buffers.items()}
    assert kept, "no buffer was kept"
    snapshot = first.clone()
    second, _ = head_logprobs(hidden.float() * 2, weight.float(), None, targets)
    assert {role: buf.data_ptr() for role, buf in WORKSPACE.buffers.items()} == kept
    assert torch.equal(first, snapshot)  # the first call's result survived the second call
    assert not torch.equal(first, second)
