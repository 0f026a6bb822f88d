"""Build TRL's `GRPOTrainer` from a recipe: config, model, LoRA, rewards, stop strings.

It does not fork the trainer: `GRPOConfig` gets every setting from the recipe, rewards
come from `toolzero.rewards.adapters`, and a subclass overrides one method of trl 1.16,
`_generate_single_turn`, to end a completion's turn right after its stop string (see
`stopping`) and to generate under the run's mixed precision (see `precision`);
`SharedPrefixMixin` (see `shared_prefix`) overrides the log-prob method and
`SharedPrefixGenerationMixin` (see `shared_prefix_generation`) prefills each prompt once.

Batch arithmetic: an optimizer step trains on `prompts_per_step x num_generations`
completions over all processes, in `gradient_accumulation_steps` micro-batches, so
`per_device_train_batch_size` = completions / (world size x gradient_accumulation_steps).
One generation round samples `updates_per_generation` steps' worth at once (TRL's
`steps_per_generation` counts micro-batches, hence the product).
"""

from __future__ import annotations

import logging
import math
import os
import time
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trl import GRPOConfig, GRPOTrainer

from toolzero import run_folder
from toolzero.training.bf16_weights import Bf16WeightCopies, frozen_weights_in_bf16
from toolzero.training.precision import compute_precision, on_cpu, weights_dtype
from toolzero.training.recipe import Recipe
from toolzero.training.samples_file import sample_rows
from toolzero.training.sampling import categorical_multinomial
from toolzero.training.shared_prefix import SharedPrefixMixin
from toolzero.training.shared_prefix_generation import SharedPrefixGenerationMixin
from toolzero.training.stopping import (
    add_end_of_turn_to_eos,
    finish_turns,
    install_stop_strings,
    make_stop_tail,
    turn_end_id,
    vllm_stop_kwargs,
)

if TYPE_CHECKING:
    from toolzero.rewards.presets import RewardPreset

logger = logging.getLogger(__name__)


def ignore_deprecated_checkpointing_alias() -> None:
    """Drop exactly one FutureWarning that libraries cause and toolzero cannot fix.

    transformers 5.23 deprecated `PreTrainedModel.is_gradient_checkpointing` (in favour of
    `is_activation_checkpointing`) with a FutureWarning at every read. toolzero never reads
    it; trl 1.16 does at every generation round (`disable_gradient_checkpointing` and
    `_unwrap_model_for_generation` in trl/models/utils.py) and peft 0.21 once per wrapped
    model (`PeftModel.__init__`). Python shows a warning once per call site, but the
    Trainer's checkpoint save opens `warnings.catch_warnings`, which resets that, so the
    warning came back after every save. Remove this once trl reads the new name.
    """
    warnings.filterwarnings(
        "ignore",
        message=r"`is_gradient_checkpointing` is deprecated",
        category=FutureWarning,
        module=r"transformers\.modeling_utils",
    )


def score_only_completion_tokens() -> None:
    """Make trl 1.16's fused LM head score only completion positions on every device.

    trl computes per-token log-probs through the LM head in chunks; on CUDA it projects only
    the positions with a label (the completion), elsewhere *every* position, prompt
    included, "to avoid recompilation" (a Neuron concern). On a CPU with Gemma's
    262k-token head that is 4-5x more head work than needed, forward and backward. The
    choice is one module-level function in `trl.trainer.utils`; replacing that binding
    (not the kernel's own) changes only which positions are projected, not the result.
    """
    import trl.trainer.utils as trl_utils

    if getattr(trl_utils._use_triton, "__name__", "") != "_always_compact":

        def _always_compact(device: Any) -> bool:
            return True

        trl_utils._use_triton = _always_compact


class ToolzeroGRPOTrainer(SharedPrefixMixin, SharedPrefixGenerationMixin, GRPOTrainer):
    """`GRPOTrainer` whose stopped completions end their turn (trl 1.16 private method).

    The transformers and vLLM paths both go through `stopping.finish_turns`, so the same
    text gives the same ids (and vLLM's log-probs stay aligned with them). It also logs
    the generation time of each step as `timing/generate_s`, and encodes each prompt once
    per group: for the log-probs (`SharedPrefixMixin`) and, on the transformers path, in
    generation's prefill (`SharedPrefixGenerationMixin`).
    """

    stop_tail: Callable[[list[int]], bool] | None = None
    turn_end: int | None = None
    rollout_rows: list[dict[str, Any]] | None = None  # the rows a rollout_func plays

    turn_credit: float = 0.0  # weight of per-turn advantages (see `turn_credit`)
    bf16_generation_weights: bool = True  # frozen matrices as bf16 copies (`bf16_weights`)
    bf16_copies: Bf16WeightCopies | None = None
    cdf_sampling: bool = True  # draw tokens by inverse CDF on CPU (`sampling`)
    samples_path: Path | None = None  # samples.jsonl (`samples_file`); None: not written
    samples_steps: int = 1
    samples_prefill: str = ""

    def _generate_and_score_completions(self, inputs):  # type: ignore[no-untyped-def]
        # trl 1.16 hands a `rollout_func` the prompts only; a multi-turn rollout also needs
        # each row's task (`example_id`), so the rows are kept for it (see `rollout`).
        self.rollout_rows = inputs
        try:
            output = super()._generate_and_score_completions(inputs)
        finally:
            self.rollout_rows = None
        self.write_samples(len(inputs) * self.accelerator.num_processes)
        if self.turn_credit and "tool_mask" in output and "episode" in inputs[0]:
            output["advantages"] = self.per_turn_advantages(inputs, output)
        return output

    def per_turn_advantages(self, inputs: list[dict[str, Any]], output: dict[str, Any]) -> Any:
        """(B, T) advantages: the episode's plus `turn_credit` x each token's turn's,
        centred over the group and scaled as `grpo.scale_rewards` says (gathered from every
        process, as TRL's rewards are)."""
        import torch

        from toolzero.rewards.episode import turn_rewards
        from toolzero.training.turn_credit import per_token_advantages, turn_advantages

        rows = [turn_rewards(x["episode"]) for x in inputs]
        device = self.accelerator.device
        turns = int(self.accelerator.gather(torch.tensor([max(map(len, rows))], device=device)).max())
        local = torch.full((len(rows), turns), float("nan"), device=device)
        for i, row in enumerate(rows):
            local[i, : len(row)] = torch.tensor(row, device=device)
        group = self.num_generations if self.model.training else self.num_generations_eval
        advantages = turn_advantages(self.accelerator.gather(local), group, self.args.scale_rewards)
        start = self.accelerator.process_index * len(rows)
        mine = advantages[start : start + len(rows)]
        return per_token_advantages(output["advantages"], mine, output["tool_mask"], self.turn_credit)

    def write_samples(self, count: int) -> None:
        """Append the completions just scored (the last `count` of TRL's logs, gathered
        from every process) to `samples.jsonl`, every `samples_steps` training steps."""
        step = self.state.global_step + 1  # the step these completions train
        if (
            self.samples_path is None
            or not self.samples_steps
            or not self.model.training
            or not self.accelerator.is_main_process
            or (step - 1) % self.samples_steps
        ):
            return
        logs = self._logs
        rows = sample_rows(
            step,
            list(logs["prompt"])[-count:],
            list(logs["completion"])[-count:],
            {name: list(values)[-count:] for name, values in logs["rewards"].items()},
            list(logs["advantages"])[-count:],
            prefill=self.samples_prefill,
        )
        run_folder.append_rows(self.samples_path, rows)

    def generation_precision(self) -> AbstractContextManager[Any]:
        """The mixed-precision context for transformers' `generate`, as for the forward.

        With `bf16` accelerate wraps the prepared model's `forward` (and trl its log-prob
        forward) in `torch.autocast`, but trl 1.16 generates through the unwrapped model's
        `generate`, which under PEFT calls the inner model's forward: outside autocast,
        so generation ran in fp32. This gives it accelerate's own context (a no-op
        without mixed precision). vLLM and continuous batching are left alone: they set
        their own dtypes. On a CPU, the frozen matrices are also read from bf16 copies
        (`bf16_weights`: autocast would cast them again for every token).
        """
        if not self.generates_with_transformers():
            return nullcontext()
        stack = ExitStack()
        stack.enter_context(self.accelerator.autocast())
        stack.enter_context(self.frozen_weight_copies())
        return stack

    def loss_forward_weights(self) -> AbstractContextManager[Any]:
        """The shared-prefix log-prob forward reads the same bf16 copies of the frozen
        matrices as generation (on a CPU under bf16): autocast would cast each again in
        every forward, the 168M-weight tied LM head included. The same products (the copy
        is autocast's rounding); the backward multiplies the copies autocast saved."""
        return self.frozen_weight_copies()

    def frozen_weight_copies(self) -> AbstractContextManager[Any]:
        """The frozen matrices swapped for their kept bf16 copies where
        `bf16_weights_apply()`; else nothing."""
        if not self.bf16_weights_apply():
            return nullcontext()
        if self.bf16_copies is None:
            self.bf16_copies = Bf16WeightCopies()
        model = self.accelerator.unwrap_model(self.model)
        return frozen_weights_in_bf16(model, self.bf16_copies)

    def generates_with_transformers(self) -> bool:
        """Generation calls transformers' `generate` (not vLLM or continuous batching)."""
        return not (self.use_vllm or self.use_transformers_continuous_batching)

    def generation_sampler(self) -> AbstractContextManager[Any]:
        """On the CPU's transformers path, `torch.multinomial(probs, 1)` draws by inverse
        CDF (`sampling`: the same distribution, ~30x cheaper over a 262k vocabulary)."""
        if (
            self.cdf_sampling
            and self.generates_with_transformers()
            and self.accelerator.device.type == "cpu"
        ):
            return categorical_multinomial()
        return nullcontext()

    def bf16_weights_apply(self) -> bool:
        """bf16 copies of the frozen matrices for generation: under bf16 autocast on a CPU
        (where the per-token casts were measured to cost more than bf16 saved), with the
        switch on, and the model not sharded (FSDP, DeepSpeed hold other tensors there)."""
        return (
            self.bf16_generation_weights
            and bool(self.args.bf16)
            and self.accelerator.device.type == "cpu"
            and self.sharded_wrapper() is None
        )

    def _generate_single_turn(
        self, prompt_ids, images, multimodal_fields, num_generations, has_tool_images=False
    ):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        with self.generation_precision(), self.generation_sampler():
            ids, logprobs = super()._generate_single_turn(
                prompt_ids, images, multimodal_fields, num_generations, has_tool_images
            )
        mode = "train" if self.model.training else "eval"
        self._metrics[mode]["timing/generate_s"].append(time.perf_counter() - start)
        if self.stop_tail is None:
            return ids, logprobs
        tok = self._tokenizer
        if self.turn_end is None:
            self.turn_end = turn_end_id(tok)
        return finish_turns(
            ids, logprobs, tok.pad_token_id, self.turn_end, self.eos_token_ids, self.stop_tail
        )


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def total_steps(recipe: Recipe, num_examples: int) -> int:
    """Optimizer steps in the run: `max_steps`, or epochs over the prompts.

    Computed once per run, into `GRPOConfig.max_steps`; from there TRL's trainer state
    (`max_steps`) is where the reward schedules and the metrics log read it.
    """
    g = recipe.grpo
    if g.max_steps is not None:
        return g.max_steps
    return max(1, math.ceil((g.num_epochs or 1) * num_examples / g.prompts_per_step))


def checkpointing_field() -> str:
    """The `TrainingArguments` name of gradient checkpointing in the installed transformers.

    5.18+ call it `activation_checkpointing` (the old name warns); 5.17, the GPU set's
    transformers (vLLM 0.31 declares < 5.18), knows only `gradient_checkpointing`.
    """
    import dataclasses

    names = {f.name for f in dataclasses.fields(GRPOConfig)}
    return "activation_checkpointing" if "activation_checkpointing" in names else "gradient_checkpointing"


def build_grpo_config(
    recipe: Recipe, run_dir: Path, steps: int, has_eval: bool, stop_ids: list[int] | None = None
) -> GRPOConfig:
    """Every `GRPOConfig` field the recipe decides, plus `grpo.extra` as given.

    `stop_ids` (eos and end-of-turn ids, see `stopping.add_end_of_turn_to_eos`) go to vLLM
    as `stop_token_ids`: its engine reads the generation config from disk, not the model
    in memory.
    """
    g, r = recipe.grpo, recipe.run
    completions = g.prompts_per_step * g.num_generations
    divisor = world_size() * g.gradient_accumulation_steps
    if completions % divisor:
        raise ValueError(
            f"{completions} completions per step (grpo.prompts_per_step x grpo.num_generations) "
            f"do not split over {world_size()} process(es) x {g.gradient_accumulation_steps} "
            "accumulation steps; change grpo.prompts_per_step or grpo.gradient_accumulation_steps"
        )
    cpu = on_cpu(recipe)
    precision = compute_precision(recipe, cpu)
    logger.info(precision.describe(weights_dtype(recipe)))
    generation_kwargs = dict(g.extra.get("generation_kwargs") or {})
    if g.use_vllm:
        stops = vllm_stop_kwargs(recipe.model.stop_strings, stop_ids or ())
        generation_kwargs = {**stops, **generation_kwargs}
    fields: dict[str, Any] = {
        "output_dir": str(run_folder.checkpoints_dir(run_dir)),
        "per_device_train_batch_size": completions // divisor,
        "gradient_accumulation_steps": g.gradient_accumulation_steps,
        "steps_per_generation": g.gradient_accumulation_steps * g.updates_per_generation,
        "num_generations": g.num_generations,
        "max_steps": steps,
        "loss_type": g.loss_type,
        "beta": g.beta,
        "epsilon": g.epsilon,
        "epsilon_high": g.epsilon_high,
        "num_iterations": g.num_iterations,
        "scale_rewards": g.scale_rewards,
        "mask_truncated_completions": g.mask_truncated_completions,
        "entropy_coef": g.entropy_coef,
        "temperature": g.temperature,
        "top_p": g.top_p,
        "top_k": g.top_k,
        "max_completion_length": g.max_completion_length,
        "learning_rate": g.learning_rate,
        "lr_scheduler_type": g.lr_scheduler_type,
        "warmup_steps": g.warmup_steps,
        "weight_decay": g.weight_decay,
        "max_grad_norm": g.max_grad_norm,
        "bf16": precision.bf16,
        checkpointing_field(): g.gradient_checkpointing and not cpu,
        "use_cpu": cpu,
        "use_vllm": g.use_vllm,
        "vllm_mode": g.vllm_mode,
        "vllm_gpu_memory_utilization": g.vllm_gpu_memory_utilization,
        "vllm_tensor_parallel_size": g.vllm_tensor_parallel_size,
        "deepspeed": g.deepspeed,
        "seed": r.seed,
        "data_seed": r.seed,
        "logging_steps": r.logging_steps,
        "save_strategy": "steps",
        "save_steps": r.save_steps,
        "save_total_limit": r.save_total_limit,
        "report_to": r.report_to,
        "run_name": run_dir.name,
        "remove_unused_columns": False,
        "log_completions": False,
        "disable_tqdm": False,
    }
    if has_eval and r.eval_steps:
        fields |= {
            "eval_strategy": "steps",
            "eval_steps": r.eval_steps,
            "per_device_eval_batch_size": g.num_generations,
        }
    extra = {k: v for k, v in g.extra.items() if k != "generation_kwargs"}
    return GRPOConfig(**fields, **extra, generation_kwargs=generation_kwargs or None)


def lora_config(recipe: Recipe) -> Any:
    if not recipe.lora.enabled:
        return None
    from peft import LoraConfig

    lo = recipe.lora
    return LoraConfig(
        r=lo.r,
        lora_alpha=lo.alpha,
        lora_dropout=lo.dropout,
        target_modules=lo.target_modules,
        layers_to_transform=lo.layers,
        task_type="CAUSAL_LM",
    )


def build_trainer(
    recipe: Recipe,
    run_dir: Path,
    model: Any,
    tokenizer: Any,
    train_dataset: Any,
    preset: RewardPreset,
    eval_dataset: Any = None,
    callbacks: list[Any] | None = None,
    args: GRPOConfig | None = None,
    rollout: Callable[..., dict[str, Any]] | None = None,
) -> ToolzeroGRPOTrainer:
    """A ready `ToolzeroGRPOTrainer` on a loaded model and prompt datasets.

    `preset` is the run's reward preset, built once from `recipe.reward` by the caller.
    Weights live in its components, so TRL's `reward_weights` stay at 1. `args`: a config
    built earlier by `build_grpo_config` (before the model loaded, so ZeRO-3 init applied);
    built here when not given. `rollout`: a trl `rollout_func` (multi-turn episodes, see
    `rollout.EnvironmentRollout`); None generates single turns as TRL does.
    """
    from toolzero.rewards.adapters import trl_reward_functions

    steps = total_steps(recipe, len(train_dataset))
    eos = add_end_of_turn_to_eos(model, tokenizer)
    if args is None:
        args = build_grpo_config(recipe, run_dir, steps, eval_dataset is not None, eos)
    if on_cpu(recipe) and recipe.grpo.score_completion_only:
        score_only_completion_tokens()
    ignore_deprecated_checkpointing_alias()
    stops = recipe.model.stop_strings
    if stops and not recipe.grpo.use_vllm:
        install_stop_strings(model, tokenizer, stops)
    rewards = trl_reward_functions(preset, prefill=recipe.model.prefill)
    if rollout is not None:
        os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")  # rollout_func: pinned trl
    trainer = ToolzeroGRPOTrainer(
        model=model,
        reward_funcs=rewards,
        args=args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        processing_class=tokenizer,
        peft_config=lora_config(recipe),
        callbacks=callbacks,
        rollout_func=rollout,
    )
    if not args.disable_tqdm:
        from transformers.trainer_callback import ProgressCallback

        from toolzero.training.metrics import RewardProgress

        trainer.remove_callback(ProgressCallback)
        trainer.add_callback(RewardProgress())
    trainer.stop_tail = make_stop_tail(tokenizer, stops) if stops else None
    trainer.shared_prefix = recipe.grpo.shared_prefix
    trainer.shared_prefix_generation = recipe.grpo.shared_prefix_generation
    trainer.bf16_generation_weights = recipe.grpo.bf16_generation_weights
    trainer.cdf_sampling = recipe.grpo.cdf_sampling
    trainer.cpu_head_logprobs = recipe.grpo.cpu_head_logprobs
    trainer.turn_credit = recipe.environment.turn_credit
    if recipe.run.samples_steps:
        trainer.samples_path = run_folder.samples_path(run_dir)
        trainer.samples_steps = recipe.run.samples_steps
        trainer.samples_prefill = recipe.model.prefill
    return trainer
