"""Per-token log-probs (and entropies) of the LM head on a CPU, in few passes over the logits.

The training loss needs `log p(target)` for each completion token, and the LM head over a
large vocabulary dominates that cost: Gemma-3-270M's 262k x 640 head gives 262k logits
per token. trl 1.16's `ChunkedLogProbFunction` computes them in vocabulary tiles with an
online log-sum-exp; on a GPU a Triton kernel folds each tile in one pass, but on a CPU it
falls back to ~10 separate torch operations per tile in the forward and ~18 in the
backward, each one a full pass over the tile in fp32, and it multiplies the backward's
gradient products in fp32 (to sum the vocabulary tiles' products before rounding). On the
quickstart (16 completions, 2-core CPU with AVX-512 BF16, 2026-12-03) that head took
14.6 s of a 20 s training pass.

`HeadLogProbs` computes the same quantities from whole vocabulary rows, a chunk of
tokens at a time (`TOKEN_CHUNK_ELEMENTS` logits per chunk bound the memory):

- forward: one product (bf16 under autocast, as the rest of the model), a log-sum-exp
  (`amax`, one `exp` into a kept buffer, a sum), a gather of the targets, and for the
  entropy one multiply and a sum;
- backward: the product again (nothing of size tokens x vocabulary is kept between the
  passes), then the softmax gradient in place (`exp`, one multiply, the target
  entries added back), and one product each for the hidden states' (and, when trained,
  the head's) gradient. A full-vocabulary row needs no sum over tiles, so the gradient
  product runs in the compute dtype with fp32 accumulation inside the kernel, as the
  backward of an ordinary autocast `Linear` does.

The logits transform is the one trl applies: `z = softcap * tanh(scale * y / softcap) /
temperature` (without softcap: `scale * y / temperature`), the softmax over z.
`tests/training/test_head_logprobs.py` checks values and gradients against trl's function.
Recipe switch: `grpo.cpu_head_logprobs` (on by default; CPU runs with the shared prefix).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch

TOKEN_CHUNK_ELEMENTS = 1 << 27
"""Logits per chunk (512 MiB in fp32): the tokens of a chunk are this over the vocabulary."""


def token_chunk(vocab: int) -> int:
    """How many tokens' logits one chunk holds."""
    return max(1, TOKEN_CHUNK_ELEMENTS // vocab)


@dataclass
class Workspace:
    """Buffers kept between calls, by role. A fresh tensor of hundreds of MB is mapped
    anew and page-faulted in on first touch; on 2 cores that cost more than the
    arithmetic (converting the bf16 logits of 770 tokens to fp32: ~1.5 s into a new
    tensor, 0.05 s into a kept one). `clear()` hands the memory back."""

    buffers: dict[str, torch.Tensor] = field(default_factory=dict)

    def get(self, role: str, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        """A tensor of `shape` and `dtype` (contents undefined), reusing `role`'s buffer."""
        numel = math.prod(shape)
        buffer = self.buffers.get(role)
        if buffer is None or buffer.dtype != dtype or buffer.numel() < numel:
            buffer = self.buffers[role] = torch.empty(numel, dtype=dtype)
        return buffer[:numel].view(shape)

    def clear(self) -> None:
        self.buffers.clear()


WORKSPACE = Workspace()


def compute_copy(workspace: Workspace, role: str, x: torch.Tensor, dtype: torch.dtype):
    """`x` in `dtype`: itself when it already is, else a copy in `role`'s buffer."""
    if x.dtype == dtype:
        return x
    return workspace.get(role, tuple(x.shape), dtype).copy_(x)


def transformed_logits(
    workspace: Workspace,
    hidden: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    softcap: float | None,
    scale: float,
    inv_t: float,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """fp32 `[n, V]` logits z after scale, softcap and temperature (in the workspace's
    `z` buffer); with a softcap also t = tanh(scale * y / softcap), which the backward
    needs (else None). `hidden`, `weight` and `bias` are in the compute dtype."""
    shape = (hidden.size(0), weight.size(0))
    z = workspace.get("z", shape, torch.float32)
    if hidden.dtype == torch.float32:
        torch.mm(hidden, weight.t(), out=z)
    else:
        z.copy_(torch.mm(hidden, weight.t(), out=workspace.get("y", shape, hidden.dtype)))
    if bias is not None:
        z.add_(bias)
    if softcap is None:
        if scale * inv_t != 1.0:
            z.mul_(scale * inv_t)
        return z, None
    t = workspace.get("t", shape, torch.float32)
    torch.tanh(z.mul_(scale / softcap), out=t)
    return torch.mul(t, softcap * inv_t, out=z), t


def log_sum_exp(z: torch.Tensor, e: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(log sum_j exp z_j, sum_j exp(z_j - max)) per row; `e` receives exp(z - max)."""
    top = z.amax(dim=1)
    torch.sub(z, top.unsqueeze(1), out=e).exp_()
    total = e.sum(dim=1)
    return top + total.log(), total


class HeadLogProbs(torch.autograd.Function):
    """`(log_probs [N], entropy [N] or None)` of `hidden [N, H] @ weight[V, H].T (+ bias)`
    at `targets [N]`, differentiable in `hidden`, `weight` and `bias`.

    The product runs in the autocast dtype when autocast is on (else in `hidden`'s dtype);
    the softmax arithmetic in fp32. Same arguments and outputs as trl's
    `ChunkedLogProbFunction` with `outputs=("log_probs", "entropy")` (or `("log_probs",)`).
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        hidden: torch.Tensor,
        weight: torch.Tensor,
        bias: torch.Tensor | None,
        targets: torch.Tensor,
        temperature: float,
        softcap: float | None,
        scale: float,
        with_entropy: bool,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        ctx.set_materialize_grads(False)
        device = hidden.device.type
        compute = torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else hidden.dtype
        inv_t, ws = 1.0 / temperature, WORKSPACE
        w = compute_copy(ws, "weight", weight, compute)
        b = bias.to(compute) if bias is not None else None
        n_tokens, step = hidden.size(0), token_chunk(weight.size(0))
        log_z = torch.empty(n_tokens, dtype=torch.float32)
        logps = torch.empty_like(log_z)
        entropy = torch.empty_like(log_z) if with_entropy else None
        for start in range(0, n_tokens, step):
            rows = slice(start, start + step)
            z, _ = transformed_logits(ws, hidden[rows].to(compute), w, b, softcap, scale, inv_t)
            e = ws.get("e", tuple(z.shape), torch.float32)
            lz, total = log_sum_exp(z, e)
            log_z[rows] = lz
            logps[rows] = z.gather(1, targets[rows].unsqueeze(1)).squeeze(1) - lz
            if entropy is not None:  # H = log Z - sum_j p_j z_j, p_j = e_j / total
                entropy[rows] = lz - e.mul_(z).sum(dim=1) / total
        ctx.save_for_backward(hidden, weight, bias, targets, log_z, entropy)
        ctx.settings = (compute, softcap, scale, inv_t)
        return logps, entropy

    @staticmethod
    def backward(  # type: ignore[override]
        ctx: Any, grad_logps: torch.Tensor | None, grad_entropy: torch.Tensor | None
    ) -> tuple[Any, ...]:
        hidden, weight, bias, targets, log_z, entropy = ctx.saved_tensors
        compute, softcap, scale, inv_t = ctx.settings
        want_hidden, want_weight, want_bias = ctx.needs_input_grad[:3]
        none = (None, None, None, None, None, None, None, None)
        if grad_logps is None and grad_entropy is None:
            return none
        ws = WORKSPACE
        w = compute_copy(ws, "weight", weight, compute)
        b = bias.to(compute) if bias is not None else None
        grad_hidden = torch.empty(hidden.shape, dtype=hidden.dtype) if want_hidden else None
        grad_weight = torch.zeros(weight.shape, dtype=torch.float32) if want_weight else None
        grad_bias = torch.zeros(weight.size(0), dtype=torch.float32) if want_bias else None
        step = token_chunk(weight.size(0))
        for start in range(0, hidden.size(0), step):
            rows = slice(start, start + step)
            h = hidden[rows].to(compute)
            z, t = transformed_logits(ws, h, w, b, softcap, scale, inv_t)
            grad = softmax_grad(
                z,
                ws.get("e", tuple(z.shape), torch.float32),
                log_z[rows],
                targets[rows],
                None if grad_logps is None else grad_logps[rows].float(),
                None if grad_entropy is None else grad_entropy[rows].float(),
                None if entropy is None else entropy[rows],
            )
            # dz/dy: scale * inv_t, times 1 - t^2 through a softcap
            if t is not None:
                grad.mul_(t.square_().neg_().add_(1.0))
            grad.mul_(scale * inv_t)
            g = compute_copy(ws, "y", grad, compute)
            if grad_hidden is not None:
                grad_hidden[rows] = torch.mm(g, w)
            if grad_weight is not None:
                grad_weight.add_(torch.mm(g.t(), h))
            if grad_bias is not None:
                grad_bias.add_(grad.sum(0))
        return (
            grad_hidden,
            None if grad_weight is None else grad_weight.to(weight.dtype),
            None if grad_bias is None else grad_bias.to(bias.dtype),
            *none[3:],
        )


def softmax_grad(
    z: torch.Tensor,
    p: torch.Tensor,
    log_z: torch.Tensor,
    targets: torch.Tensor,
    grad_logps: torch.Tensor | None,
    grad_entropy: torch.Tensor | None,
    entropy: torch.Tensor | None,
) -> torch.Tensor:
    """d loss / d z for `[n, V]` transformed logits `z`, given the upstream gradients of
    log p(target) (`grad_logps`) and of the entropy H (`grad_entropy`); `z` is overwritten
    and `p` (same shape) is scratch space. Returns `z` or `p`, holding the gradient:

        d log p_target / d z_j = 1[j = target] - p_j
        d H / d z_j            = -p_j (log p_j + H)
    """
    log_p = z.sub_(log_z.unsqueeze(1))
    if grad_entropy is None:
        grad = log_p.exp_().mul_(-grad_logps.unsqueeze(1))  # type: ignore[union-attr]
    else:
        torch.exp(log_p, out=p)
        # -p * (g_lp + g_H (log p + H)), in place over log p
        grad = log_p.add_(entropy.unsqueeze(1)).mul_(grad_entropy.unsqueeze(1))  # type: ignore[union-attr]
        if grad_logps is not None:
            grad.add_(grad_logps.unsqueeze(1))
        grad.mul_(p).neg_()
    if grad_logps is not None:
        grad.scatter_add_(1, targets.unsqueeze(1), grad_logps.unsqueeze(1))
    return grad


def head_logprobs(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    targets: torch.Tensor,
    temperature: float = 1.0,
    softcap: float | None = None,
    scale: float = 1.0,
    with_entropy: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Per-token log-probs of `targets` (and entropies with `with_entropy`) under the head;
    see `HeadLogProbs`."""
    return HeadLogProbs.apply(  # type: ignore[no-any-return]
        hidden, weight, bias, targets, temperature, softcap, scale, with_entropy
    )
