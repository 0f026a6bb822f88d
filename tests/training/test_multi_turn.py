"""Multi-turn GRPO with tools that execute: the rollout loop inside TRL's trainer.

A scripted policy (the trainer's generation replaced by the reference trajectory's turns,
as token ids) makes the episodes deterministic: tools run, results are shown, outcomes
pass. The masking tests alter what the environment wrote and check that the loss and
every gradient stay the same; the `max_turns: 1` test checks that the rollout path equals
TRL's single-turn path on the same samples.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import torch

from toolzero.environments.episode import reference_trajectory
from toolzero.environments.registry import make_environment
from toolzero.protocol.types import render_toolrl_output
from toolzero.run_folder import read_metrics
from toolzero.training.recipe import RecipeError, load_recipe
from toolzero.training.rollout import EnvironmentRollout
from toolzero.training.run import train

from .conftest import QUICKSTART, tiny_overrides

OBS_MARK = "Tool result:"
MODEL_TURN = "<start_of_turn>model"
CALL_END = "</tool_call>"


def multi_turn_overrides(model: Path, out: Path, **extra: object) -> list[str]:
    settings = {
        "data.train": "env:synthetic_world",
        "environment.name": "synthetic_world",
        "environment.max_turns": 4,
        "environment.max_turn_tokens": 128,
        "reward.preset": "episode",
        "grpo.max_completion_length": 1024,
        **extra,
    }
    return tiny_overrides(model, out, **settings)


def build(model: Path, out: Path, **extra: object) -> Any:
    """A ready trainer and its rollout for a multi-turn recipe on the tiny model."""
    from toolzero.models import load_model, load_tokenizer
    from toolzero.training import run

    recipe = load_recipe(QUICKSTART, multi_turn_overrides(model, out, **extra))
    tokenizer = load_tokenizer(recipe.model.name)
    train_set, eval_set, _, examples = run._make_datasets(recipe, tokenizer)
    rollout = run._make_rollout(recipe, examples)
    run_dir = run.prepare_run_dir(recipe, resume=False)
    args = run._make_config(recipe, run_dir, tokenizer, train_set, eval_set)
    model_ = load_model(recipe.model.name, "float32")
    trainer = run._make_trainer(
        recipe, run_dir, model_, tokenizer, train_set, eval_set, args, rollout
    )
    return trainer, rollout, examples


def script_policy(trainer: Any, rollout: EnvironmentRollout, answer: bool = True) -> list[dict]:
    """Replace generation by the reference trajectory: turn k of an episode is the task's
    k-th call turn, then its reference answer. Returns the list the rollout outputs go to."""
    tok = trainer.processing_class
    end = tok.convert_tokens_to_ids("<end_of_turn>")
    prefill = rollout.prefill

    def turn_ids(context: list[int]) -> list[int]:
        rows = trainer.rollout_rows
        prompts = [trainer._tokenize_prompts([r["prompt"]])[0][0] for r in rows]
        row, prompt = next(
            (r, p) for r, p in zip(rows, prompts, strict=True) if context[: len(p)] == p
        )
        task = rollout.examples[row["example_id"]]
        # Turns already taken: one call block each (the prompt's worked example has its own).
        done = tok.decode(context[len(prompt) :]).count(CALL_END)
        calls = reference_trajectory(task)
        if done < len(calls):
            text = render_toolrl_output("scripted", calls[done], None)
        else:
            text = render_toolrl_output("scripted", [], task.reference_response if answer else "?")
        assert text.startswith(prefill)
        return tok(text[len(prefill) :], add_special_tokens=False)["input_ids"] + [end]

    def generate(prompt_ids, images, multimodal_fields, num_generations, has_tool_images=False):
        return [turn_ids(list(p)) for p in prompt_ids], None

    trainer._generate_single_turn = generate
    outputs: list[dict] = []
    original = rollout.__call__

    class Recording:
        def __call__(self, prompts, trainer_):
            out = original(prompts, trainer_)
            outputs.append(out)
            return out

    trainer.rollout_func = Recording()
    return outputs


@pytest.mark.parametrize("protocol", ["compact", "toolrl"])
def test_episodes_run_tools_show_results_and_mask_them(
    tiny_model: Path, tmp_path: Path, protocol: str
) -> None:
    trainer, rollout, _ = build(tiny_model, tmp_path / "run", **{"model.protocol": protocol})
    outputs = script_policy(trainer, rollout)
    trainer.train()
    out = outputs[0]
    tok = trainer.processing_class
    mark = OBS_MARK if protocol == "compact" else "<obs>"
    for ids, mask, record in zip(
        out["completion_ids"], out["env_mask"], out["episode"], strict=True
    ):
        assert len(ids) == len(mask)
        model_text = tok.decode([t for t, m in zip(ids, mask, strict=True) if m])
        env_text = tok.decode([t for t, m in zip(ids, mask, strict=True) if not m])
        # Every observation is environment text; none of it is the model's.
        assert mark not in model_text
        assert env_text.count(mark) == record.calls
        whole = tok.decode(ids)
        if protocol == "compact":
            # Inline, as the compact prompt's worked example: the results follow the call
            # block inside the model's turn, and the turn goes on with the prefill.
            assert MODEL_TURN not in env_text
            assert env_text.count(rollout.prefill) == len(record.turns) - 1
            assert whole.count(f"{CALL_END}\n{OBS_MARK}") == len(record.turns) - 1
        else:
            # ToolRL's form: the results are a user turn, then a new model turn opens.
            assert env_text.count(MODEL_TURN) == len(record.turns) - 1
            assert whole.count(f"{CALL_END}<end_of_turn>") == len(record.turns) - 1
        assert record.ended == "answer" and record.outcome_success
        assert record.failed_calls == 0 and record.calls == record.reference_calls
    rows = read_metrics(tmp_path / "run" / "metrics.jsonl")
    assert rows[0]["env/outcome_success"] == 1.0
    assert rows[0]["env/ended_answer"] == 1.0
    assert rows[0]["env/turns"] > 1 and rows[0]["env/calls"] >= 1
    assert 0 < rows[0]["env/observation_token_share"] < 1
    # Completion length counts the model's tokens only.
    model_tokens = [sum(m) for m in out["env_mask"]]
    assert rows[0]["completion_length/max"] == max(model_tokens)
    assert rows[0]["completion_length/min"] == min(model_tokens)
    # The outcome reward saw the episodes: every check passed.
    assert rows[0]["rewards/outcome"] == pytest.approx(1.0)


def test_tool_errors_and_malformed_calls_are_observations(tiny_model: Path, tmp_path: Path) -> None:
    trainer, rollout, examples = build(tiny_model, tmp_path / "run", **{"environment.max_turns": 3})
    tok = trainer.processing_class
    end = tok.convert_tokens_to_ids("<end_of_turn>")
    bad = [
        ' x </think>\n<tool_call>\n{"name": "no_such_tool", "parameters": {}}\n</tool_call>',
        " x </think>\n<tool_call>\nnot json at all\n</tool_call>",
        " x </think>\n<response> I give up </response>",
    ]

    def generate(prompt_ids, images, multimodal_fields, num_generations, has_tool_images=False):
        turns = [tok.decode(p).count(CALL_END) for p in prompt_ids]
        return [tok(bad[t], add_special_tokens=False)["input_ids"] + [end] for t in turns], None

    trainer._generate_single_turn = generate
    trainer.rollout_rows = [{"example_id": examples[0].id, "prompt": ""}] * 2
    trainer.model.train()
    prompt = "<start_of_turn>user\nhi<end_of_turn>\n<start_of_turn>model\n<think>"
    out = rollout([prompt, prompt], trainer)
    record = out["episode"][0]
    env_text = tok.decode(
        [t for t, m in zip(out["completion_ids"][0], out["env_mask"][0], strict=True) if not m]
    )
    assert "error: unknown tool 'no_such_tool'" in env_text
    assert "error: could not read a call" in env_text
    assert record.failed_calls == 2 and record.calls == 2
    assert record.ended == "answer" and not record.outcome_success


def test_budget_ends_an_episode(tiny_model: Path, tmp_path: Path) -> None:
    trainer, rollout, _ = build(
        tiny_model,
        tmp_path / "run",
        **{"grpo.max_completion_length": 60, "environment.max_turn_tokens": 60},
    )
    outputs = script_policy(trainer, rollout)
    trainer.train()
    for ids, _mask, record in zip(
        outputs[0]["completion_ids"], outputs[0]["env_mask"], outputs[0]["episode"], strict=True
    ):
        assert len(ids) <= 60
        assert record.ended in ("budget", "truncated")


def test_observation_tokens_do_not_change_loss_or_gradients(
    tiny_model: Path, tmp_path: Path
) -> None:
    """Alter the tokens the environment wrote at the end of each episode (the budget cut
    the episode inside an observation) and the log-probs at every observation position:
    the loss and every gradient are exactly the same."""
    trainer, rollout, _ = build(tiny_model, tmp_path / "run")
    outputs = script_policy(trainer, rollout)
    trainer.model.train()
    trainer.current_gradient_accumulation_steps = 1  # set by Trainer.train's loop
    trainer._generate_and_score_completions(trainer_batch(trainer))
    # A budget 8 tokens past the longest first turn: that episode ends inside the results.
    first_turns = [mask.index(0) for mask in outputs[0]["env_mask"]]
    trainer.max_completion_length = max(first_turns) + 8
    batch = trainer._generate_and_score_completions(trainer_batch(trainer))
    assert "budget" in [e.ended for e in outputs[1]["episode"]]
    # The scripted group's episodes are equal, so their advantages are 0 and every gradient
    # would vanish: give each row its own advantage, so the tests below can fail.
    shape = batch["advantages"].shape
    batch["advantages"] = torch.linspace(-1.0, 1.0, batch["advantages"].numel()).reshape(shape)
    tool_mask = batch["tool_mask"]
    assert (tool_mask == 0).any(), "the scripted episodes must show observations"

    def loss_and_grads(inputs: dict) -> tuple[float, dict[str, torch.Tensor]]:
        trainer.model.zero_grad()
        loss = trainer.compute_loss(trainer.model, inputs)
        loss.backward()
        grads = {
            n: p.grad.detach().clone()
            for n, p in trainer.model.named_parameters()
            if p.grad is not None
        }
        return loss.item(), grads

    base_loss, base_grads = loss_and_grads(batch)
    assert sum(float(g.abs().sum()) for g in base_grads.values()) > 0
    unmasked = {k: v for k, v in batch.items() if k != "tool_mask"}
    # 1. Trailing observation tokens (nothing of the model's after them) replaced.
    altered = dict(batch)
    ids = batch["completion_ids"].clone()
    for row in range(ids.size(0)):
        model_positions = (tool_mask[row] == 1) & (batch["completion_mask"][row] == 1)
        last_model = int(model_positions.nonzero().max())
        tail = torch.arange(ids.size(1)) > last_model
        ids[row, tail & (batch["completion_mask"][row] == 1)] = 7
    assert not torch.equal(ids, batch["completion_ids"])
    altered["completion_ids"] = ids
    loss, grads = loss_and_grads(altered)
    assert loss == base_loss
    assert grads.keys() == base_grads.keys()
    assert all(torch.equal(grads[n], base_grads[n]) for n in grads)
    # 2. Every observation position's log-prob doubled (so its gradient too): same loss,
    # same gradients. (A constant shift would cancel in the ratio with its detached copy.)
    original = trainer._get_per_token_logps_and_entropies

    def doubled(*args, **kwargs):
        logps, *rest = original(*args, **kwargs)
        mask = batch["tool_mask"][:, : logps.size(1)]
        return (logps * (2 - mask), *rest)

    trainer._get_per_token_logps_and_entropies = doubled
    loss, grads = loss_and_grads(batch)
    assert loss == base_loss
    assert all(torch.equal(grads[n], base_grads[n]) for n in grads)
    # The same change without the mask does move the gradients: the check can fail.
    _, unmasked_grads = loss_and_grads(unmasked)
    trainer._get_per_token_logps_and_entropies = original
    assert not all(torch.equal(unmasked_grads[n], base_grads[n]) for n in grads)


def trainer_batch(trainer: Any) -> list[dict]:
    """One generation batch of rows as TRL samples them (each prompt num_generations times)."""
    rows = [trainer.train_dataset[i] for i in range(2)]
    return [dict(r) for r in rows for _ in range(trainer.num_generations)]


def test_one_turn_equals_the_single_turn_path(tiny_model: Path, tmp_path: Path) -> None:
    """`max_turns: 1`: the same samples, loss and updated weights as TRL's own generation."""
    from toolzero.models import load_model, load_tokenizer
    from toolzero.training import run

    def one_step(with_rollout: bool, out: Path) -> tuple[list, float, dict]:
        recipe = load_recipe(
            QUICKSTART,
            tiny_overrides(
                tiny_model,
                out,
                **{
                    "data.train": "env:synthetic_world",
                    "grpo.max_steps": 1,
                    "grpo.max_completion_length": 16,
                    "run.save_steps": 10,
                },
            ),
        )
        tokenizer = load_tokenizer(recipe.model.name)
        train_set, eval_set, _, examples = run._make_datasets(recipe, tokenizer)
        rollout = None
        if with_rollout:
            rollout = EnvironmentRollout(
                make_environment("synthetic_world"),
                examples,
                recipe.model.protocol,
                recipe.model.prefill,
                max_turns=1,
                max_turn_tokens=None,
            )
        run_dir = run.prepare_run_dir(recipe, resume=False)
        args = run._make_config(recipe, run_dir, tokenizer, train_set, eval_set)
        model = load_model(recipe.model.name, "float32")
        trainer = run._make_trainer(
            recipe, run_dir, model, tokenizer, train_set, eval_set, args, rollout
        )
        seen: list = []
        inner = trainer._generate

        def spy(prompts):
            result = inner(prompts)
            seen.append(copy.deepcopy(result[1]))
            return result

        trainer._generate = spy
        trainer.train()
        loss = read_metrics(out / "metrics.jsonl")[0]["loss"]
        weights = {
            n: p.detach().clone() for n, p in trainer.model.named_parameters() if "lora" in n
        }
        return seen, loss, weights

    ids_a, loss_a, weights_a = one_step(False, tmp_path / "a")
    ids_b, loss_b, weights_b = one_step(True, tmp_path / "b")
    assert ids_a == ids_b
    assert loss_a == loss_b
    assert weights_a.keys() == weights_b.keys()
    assert all(torch.equal(weights_a[n], weights_b[n]) for n in weights_a)


def test_a_few_multi_turn_grpo_steps_with_the_real_loop(tiny_model: Path, tmp_path: Path) -> None:
    """The recipe path end to end (the tiny model's own generation): rows with env metrics."""
    result = train(load_recipe(QUICKSTART, multi_turn_overrides(tiny_model, tmp_path / "run")))
    rows = read_metrics(result.run_dir / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2]
    for row in rows:
        for key in (
            "env/turns",
            "env/calls",
            "env/outcome_success",
            "rewards/outcome",
            "rewards/total",
        ):
            assert key in row, key
        assert row["env/turns"] >= 1
    assert json.loads((result.run_dir / "run.json").read_text())["status"] == "finished"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"reward.preset": "episode", "data.train": "synthetic"},
            "reward.preset: 'episode' scores multi-turn episodes",
        ),
        (
            {"environment.name": "synthetic_world", "data.train": "env:synthetic_world"},
            "use an episode preset",
        ),
        (
            {"environment.name": "nowhere", "reward.preset": "episode"},
            "environment.name: 'nowhere' is unknown",
        ),
        (
            {
                "environment.name": "synthetic_world",
                "reward.preset": "episode",
                "data.train": "env:python",
            },
            "names another environment",
        ),
        (
            {
                "environment.name": "synthetic_world",
                "reward.preset": "episode",
                "data.train": "env:synthetic_world",
                "environment.max_turns": 0,
            },
            "environment.max_turns: must be > 0",
        ),
        (
            {"environment.fit_tasks": True},
            "environment.fit_tasks: needs multi-turn episodes; set environment.name",
        ),
    ],
)
def test_bad_multi_turn_recipes_fail_with_one_line_each(overrides: dict, message: str) -> None:
    with pytest.raises(RecipeError) as err:
        load_recipe(QUICKSTART, [f"{k}={v}" for k, v in overrides.items()])
    assert any(message in p for p in err.value.problems), err.value.problems


def test_tasks_the_environment_cannot_run_fail_before_the_model_loads(tmp_path: Path) -> None:
    from toolzero.training import run
    from toolzero.training.prompts import load_recipe_examples

    recipe = load_recipe(
        QUICKSTART,
        ["environment.name=synthetic_world", "reward.preset=episode", "data.train=synthetic"],
    )
    offline = load_recipe_examples("synthetic", 4, 0)  # single-turn tasks: no world
    with pytest.raises(RecipeError) as err:
        run._make_rollout(recipe, offline)
    assert "use tasks made for it (env:synthetic_world)" in str(err.value)


def test_fit_tasks_trains_only_on_tasks_solvable_in_max_turns(
    tiny_model: Path, tmp_path: Path
) -> None:
    from toolzero.models import load_tokenizer
    from toolzero.training import run

    for fit in ("false", "true"):
        recipe = load_recipe(QUICKSTART, multi_turn_overrides(
            tiny_model, tmp_path, **{"environment.max_turns": 2, "environment.fit_tasks": fit,
                                     "data.limit": 40}))  # fmt: skip
        _, _, _, examples = run._make_datasets(recipe, load_tokenizer(recipe.model.name))
        needed = [len(reference_trajectory(e)) + 1 for e in examples]
        assert len(examples) == 40
        # Without the fit, some tasks need 3-4 turns; with it, none needs more than 2.
        assert (max(needed) <= 2) == (fit == "true")


def test_turn_cap_sets_the_generator_in_use_and_restores_it() -> None:
    from types import SimpleNamespace

    from toolzero.training.rollout import turn_cap

    hf = SimpleNamespace(use_vllm=False, generation_config=SimpleNamespace(max_new_tokens=400))
    with turn_cap(hf, 64):
        assert hf.generation_config.max_new_tokens == 64
    assert hf.generation_config.max_new_tokens == 400
    vllm = SimpleNamespace(use_vllm=True, vllm_generation=SimpleNamespace(max_completion_length=4096))
    with turn_cap(vllm, 512):
        assert vllm.vllm_generation.max_completion_length == 512
    assert vllm.vllm_generation.max_completion_length == 4096


def test_turn_credit_functions_follow_their_definition() -> None:
    from toolzero.training.turn_credit import per_token_advantages, token_turns, turn_advantages

    mask = torch.tensor([[1, 1, 0, 1, 1, 0, 0, 1], [1, 0, 0, 1, 1, 1, 1, 1]])
    assert token_turns(mask).tolist() == [[0, 0, 0, 1, 1, 1, 1, 2], [0, 0, 0, 1, 1, 1, 1, 1]]
    nan = float("nan")
    rewards = torch.tensor([[1.0, 2.0, 0.0], [3.0, nan, nan], [0.0, 0.0, nan], [2.0, 4.0, nan]])
    adv = turn_advantages(rewards, group_size=2)
    # group 1: turn 0 rewards (1, 3): mean 2, population std 1; turn 1: one episode only.
    assert adv[0, 0].item() == pytest.approx(-1 / (1 + 1e-4))
    assert adv[1, 0].item() == pytest.approx(1 / (1 + 1e-4))
    assert adv[0, 1].item() == 0.0 and adv[0, 2].item() == 0.0
    # group 2: turn 1 rewards (0, 4): mean 2, std 2.
    assert adv[3, 1].item() == pytest.approx(2 / (2 + 1e-4))
    # scale_rewards "none": centred only (group 1 turn 0: 1-2, 3-2; group 2 turn 1: 0-2, 4-2).
    raw = turn_advantages(rewards, group_size=2, scale="none")
    assert raw[:, 0].tolist() == [-1.0, 1.0, -1.0, 1.0] and raw[3, 1].item() == 2.0
    assert raw[0, 1].item() == 0.0  # still nothing to compare against
    # "batch": centred over the group, divided by turn k's std over the whole batch:
    # turn 0 rewards (1, 3, 0, 2): mean 1.5, population std sqrt(1.25).
    batch = turn_advantages(rewards, group_size=2, scale="batch")
    assert batch[1, 0].item() == pytest.approx(1 / (1.25**0.5 + 1e-4))
    # turn 1 rewards taken (2, 0, 4): mean 2, std sqrt(8/3); group 2 centred: +-2.
    assert batch[3, 1].item() == pytest.approx(2 / ((8 / 3) ** 0.5 + 1e-4))
    with pytest.raises(ValueError, match="scale"):
        turn_advantages(rewards, group_size=2, scale="global")
    tokens = per_token_advantages(torch.tensor([0.5, -0.5]), adv[:2], mask, 0.5)
    assert tokens[0, 0].item() == pytest.approx(0.5 + 0.5 * adv[0, 0].item())
    assert tokens[0, 4].item() == pytest.approx(0.5 + 0.5 * adv[0, 1].item())
    assert tokens[1, 7].item() == pytest.approx(-0.5 + 0.5 * adv[1, 1].item())


def test_turn_credit_gives_each_turn_its_own_advantage(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import toolzero.rewards.episode as episode_rewards
    from toolzero.training.turn_credit import token_turns

    trainer, rollout, _ = build(tiny_model, tmp_path / "run", **{"environment.turn_credit": 0.5})
    assert trainer.turn_credit == 0.5
    script_policy(trainer, rollout)
    # Row r's turn k earns (-1)^r * k: turn 0 ties within every group, later turns do not.
    rows = iter(range(1000))

    def turn_rewards(episode):
        sign = (-1.0) ** next(rows)
        return [sign * k for k in range(len(episode.turns))]

    monkeypatch.setattr(episode_rewards, "turn_rewards", turn_rewards)
    trainer.model.train()
    trainer.current_gradient_accumulation_steps = 1
    batch = trainer._generate_and_score_completions(trainer_batch(trainer))
    advantages, mask = batch["advantages"], batch["tool_mask"]
    assert advantages.shape == batch["completion_ids"].shape
    turns = token_turns(mask)
    model_tokens = (mask == 1) & (batch["completion_mask"] == 1)
    for row in range(advantages.size(0)):
        values = {
            int(turns[row, t]): round(advantages[row, t].item(), 6)
            for t in range(advantages.size(1))
            if model_tokens[row, t]
        }
        # Every turn has one value on its tokens, and turns differ (their rewards did).
        assert len(values) == len(set(values.values())) > 1
    loss = trainer.compute_loss(trainer.model, batch)
    assert torch.isfinite(loss)


def test_the_lm_head_skips_environment_tokens_and_the_loss_is_trls(
    tiny_model: Path, tmp_path: Path
) -> None:
    """The shared-prefix log-probs skip the head at environment tokens (log-prob 0 there)
    and give TRL's own loss and gradients (TRL's path runs the head everywhere)."""
    # fp32 on every CPU: the comparison is to fp32 rounding (bf16 autocast, which `auto`
    # picks on a CPU with AVX-512 BF16, moves gradients by ~1e-4)
    trainer, rollout, _ = build(tiny_model, tmp_path / "run", **{"grpo.bf16": "false"})
    script_policy(trainer, rollout)
    trainer.model.train()
    trainer.current_gradient_accumulation_steps = 1
    batch = trainer._generate_and_score_completions(trainer_batch(trainer))
    shape = batch["advantages"].shape
    batch["advantages"] = torch.linspace(-1.0, 1.0, batch["advantages"].numel()).reshape(shape)
    env_positions = (batch["tool_mask"] == 0) & (batch["completion_mask"] == 1)
    assert env_positions.any()
    seen = []
    inner = trainer._get_per_token_logps_and_entropies

    def spy(*args, **kwargs):
        out = inner(*args, **kwargs)
        seen.append(out[0].detach())
        return out

    trainer._get_per_token_logps_and_entropies = spy

    def loss_and_grads() -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        trainer.model.zero_grad()
        loss = trainer.compute_loss(trainer.model, batch)
        loss.backward()
        return loss.detach(), {
            n: p.grad.clone() for n, p in trainer.model.named_parameters() if p.grad is not None
        }

    loss, grads = loss_and_grads()
    assert torch.all(seen[-1][env_positions] == 0)  # the head never ran there
    trainer.shared_prefix = False  # TRL's log-prob path: the head on every position
    trl_loss, trl_grads = loss_and_grads()
    assert not torch.all(seen[-1][env_positions] == 0)
    torch.testing.assert_close(loss, trl_loss, rtol=1e-5, atol=1e-6)
    for name, grad in grads.items():
        torch.testing.assert_close(grad, trl_grads[name], rtol=1e-4, atol=1e-6)


def test_the_multi_turn_quickstart_runs_end_to_end_on_the_tiny_model(
    tiny_model: Path, tmp_path: Path
) -> None:
    """recipes/multiturn-quickstart.yaml, shrunk: held-out episodes before and after,
    training in the environment, and a report whose evaluation table is the env bench's."""
    from toolzero.quickstart import run_quickstart

    recipe = QUICKSTART.parent / "multiturn-quickstart.yaml"
    out = tmp_path / "mt"
    overrides = [
        f"model.name={tiny_model}", f"run.output_dir={out}", "grpo.max_steps=1",
        "grpo.num_generations=2", "data.limit=4", "evaluation.limit=2",
        "evaluation.max_new_tokens=8", "environment.max_turn_tokens=8", "run.save_steps=10",
    ]  # fmt: skip
    report = run_quickstart(recipe, overrides).read_text()
    for when in ("before", "after"):
        summary = json.loads((out / f"eval-{when}" / "summary.json").read_text())
        assert summary["benchmarks"]["env"]["n"] == 2
        # The recipe's fit_tasks: held-out tasks chosen as the training tasks are.
        assert summary["benchmarks"]["env"]["settings"] == {"max_turns": 2, "fit_tasks": True}
    assert "env.outcome_success" in report
    rows = read_metrics(out / "metrics.jsonl")
    assert rows and "env/turns" in rows[0]
