"""Per-turn credit for multi-turn episodes: each turn's tokens also get their own turn's
advantage, beside the episode's one scalar.

GRPO gives every token of a completion the same advantage, the episode's (its reward
against the others of its group). In a multi-turn episode that blames a good first call
for a bad final answer. With `environment.turn_credit: λ > 0` the advantage of a token of
model turn k is

    A[b, t] = A_episode[b] + λ · A_turn[b, k],
    A_turn[b, k] = (r[b, k] − mean_g r[·, k]) / (std_g r[·, k] + 1e-4)

where r[b, k] is turn k's own reward (`rewards.episode.turn_rewards`: ToolRL's partial
format and correctness of that turn against the reference turn at its position) and the
mean and standard deviation run over the episodes of b's group that took a turn k (an
episode without a turn k has none). The division follows `grpo.scale_rewards`, as TRL's
episode advantages do: `group` divides by the group's std as above, `batch` by the std of
turn k's rewards over the whole batch, `none` not at all (Dr. GRPO: a group whose turns
differ by a hair then moves the policy by a hair, not by a whole unit). trl 1.16's loss
takes (B, T) advantages as they are; observation tokens are masked out of the loss anyway,
so their value does not matter.

Pure torch on tensors; `apply_turn_credit` is called by `ToolzeroGRPOTrainer` after TRL
scored a generation batch, with the turn rewards of all processes gathered first (a group
may span processes, as TRL's own reward normalisation assumes).
"""

from __future__ import annotations

import torch


def token_turns(tool_mask: torch.Tensor) -> torch.Tensor:
    """Each position's model-turn index: runs of 1s in `tool_mask` (model tokens) are turns
    0, 1, 2, ...; positions of 0s (environment tokens, masked out of the loss) keep the
    index of the turn before them.

    >>> token_turns(torch.tensor([[1, 1, 0, 0, 1, 0, 1]])).tolist()
    [[0, 0, 0, 0, 1, 1, 2]]
    """
    starts = torch.zeros_like(tool_mask)
    starts[:, 1:] = (tool_mask[:, 1:] == 1) & (tool_mask[:, :-1] == 0)
    return torch.cumsum(starts, dim=1)


def _masked_mean(x: torch.Tensor, present: torch.Tensor, dim: int) -> torch.Tensor:
    """Mean over `dim` of the entries where `present` (0 where none is)."""
    count = present.sum(dim=dim, keepdim=True).clamp(min=1)
    return torch.where(present, x, torch.zeros_like(x)).sum(dim=dim, keepdim=True) / count


def _masked_std(x: torch.Tensor, present: torch.Tensor, dim: int) -> torch.Tensor:
    """Population standard deviation over `dim` of the entries where `present`."""
    deviation = torch.where(present, x - _masked_mean(x, present, dim), torch.zeros_like(x))
    return _masked_mean(deviation**2, present, dim).sqrt()


def turn_advantages(
    turn_rewards: torch.Tensor, group_size: int, scale: str = "group"
) -> torch.Tensor:
    """Group-centred turn rewards: (B, K) in, NaN where an episode took no turn k;
    (B, K) out, 0 where there is nothing to compare. `scale`: `group` (divide by the
    group's std), `batch` (by the batch's std of turn k) or `none`.

    >>> r = torch.tensor([[1.0, 0.0], [0.0, float("nan")]])
    >>> [[round(x, 3) for x in row] for row in turn_advantages(r, 2).tolist()]
    [[1.0, 0.0], [-1.0, 0.0]]
    >>> [[round(x, 3) for x in row] for row in turn_advantages(r * 0.1, 2, "none").tolist()]
    [[0.05, 0.0], [-0.05, 0.0]]
    """
    if scale not in ("group", "batch", "none"):
        raise ValueError(f"scale must be 'group', 'batch' or 'none', got {scale!r}")
    grouped = turn_rewards.view(-1, group_size, turn_rewards.size(1))
    present = ~torch.isnan(grouped)
    advantages = torch.where(
        present, grouped - _masked_mean(grouped, present, 1), torch.zeros_like(grouped)
    )
    if scale == "group":
        advantages = advantages / (_masked_std(grouped, present, 1) + 1e-4)
    elif scale == "batch":
        batch = grouped.reshape(1, -1, grouped.size(2))
        advantages = advantages / (_masked_std(batch, ~torch.isnan(batch), 1) + 1e-4)
    compared = present & (present.sum(dim=1, keepdim=True) > 1)
    advantages = torch.where(compared, advantages, torch.zeros_like(advantages))
    return advantages.view_as(turn_rewards)


def per_token_advantages(
    episode_advantages: torch.Tensor,
    turn_adv: torch.Tensor,
    tool_mask: torch.Tensor,
    weight: float,
) -> torch.Tensor:
    """(B, T): the episode's advantage plus `weight` times the token's turn's advantage."""
    turns = token_turns(tool_mask).clamp(max=turn_adv.size(1) - 1)
    return episode_advantages.unsqueeze(1) + weight * torch.gather(turn_adv, 1, turns)


__all__ = ["per_token_advantages", "token_turns", "turn_advantages"]
