"""A training recipe: typed sections read from YAML, overridden from the command line, and
validated in one place, with every problem reported at once, before any model loads.

    recipe = load_recipe("recipes/quickstart.yaml", ["grpo.max_steps=5", "lora.r=8"])

Sections: `model` (what to train, prompt protocol, prefill, stop strings), `data`, `reward`
(a preset and changes to it, weights included), `grpo` (the GRPO settings
users expect; anything else `GRPOConfig` takes goes in `grpo.extra`), `lora`, `run`
(output folder, checkpoints, seed, logging), `evaluation` (the quickstart's before/after)
and `environment` (multi-turn training with tools that execute). Validation here is pure Python: it checks
names, types, ranges and the batch arithmetic; `toolzero.training.validate` adds the
checks that need the filesystem or installed packages. No torch, no trl import.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from toolzero.errors import ConfigError
from toolzero.training.recipe_checks import check_values
from toolzero.user_files import yaml_problem


@dataclass
class ModelSection:
    name: str = "gemma-3-270m"  # a Hub id, a local folder, or an embedded model name
    # The weights' storage dtype. float32 on CPUs (bf16 speed comes from grpo.bf16's
    # autocast; bf16 weights there made generation slower); bfloat16 halves a LoRA run's
    # frozen base on GPUs (full fine-tuning keeps fp32 master weights: see precision).
    dtype: str = "float32"
    protocol: str = "compact"  # toolrl | native | compact (see toolzero.protocol.chat)
    prefill: str = "<think>"  # appended to the prompt; put back before scoring
    stop_strings: list[str] = field(default_factory=lambda: ["</tool_call>", "</response>"])
    # The attention kernel `from_pretrained` loads (eager | sdpa | flash_attention_2 |
    # flex_attention | a Hub kernel "owner/repo"); None: transformers' default (sdpa),
    # which measured faster than eager on CPU too (docs/performance.md).
    attn_implementation: str | None = None

    def load_kwargs(self) -> dict[str, str]:
        """The `from_pretrained` arguments this section sets beyond name and dtype."""
        return {"attn_implementation": self.attn_implementation} if self.attn_implementation else {}


@dataclass
class DataSection:
    # a prepared folder, a file, hf:owner/name, synthetic, or env:NAME[:SPLIT] (an
    # environment's own tasks, for multi-turn training: see `environment`)
    train: str = "synthetic"
    eval: str | None = None
    limit: int | None = None  # use at most this many training examples
    eval_limit: int | None = None
    shuffle_seed: int = 0
    # Drop (never truncate) prompts longer than this many tokens, prefill included; keep
    # it within vLLM's max_model_len minus max_completion_length. None: no cap.
    max_prompt_tokens: int | None = None
    # Options of the built-in generator where train or eval is `synthetic`: `shapes`
    # (weights over single | parallel | multiple | no_call; default single 0.9, no_call
    # 0.1), `distractors` (extra tools a task offers, 2), `parallel_calls` ([lo, hi]),
    # `think` (reference thoughts). The benchmarks' held-out tasks keep the defaults.
    synthetic: dict[str, Any] | None = None
    # Augmentations of the training examples once loaded (after `limit`), as in a data
    # recipe (docs/data.md): e.g. [{name: mask, fraction: 0.5, replace: true, options:
    # {mask_params: false}}] gives half the tasks meaningless tool names (Hammer's masking).
    augment: list[dict[str, Any]] | None = None


@dataclass
class RewardSection:
    """A preset, changed without code (see docs/rewards.md, "Changing a preset")."""

    preset: str = "toolzero"
    weights: Any = None  # rejected by validation: weights are set as components.<name>.weight
    components: dict[str, Any] | None = None  # name -> parameters to change, or a new one
    remove: list[str] | None = None  # components of the preset to drop
    reference_mode: str | None = None  # toolrl | robust; None keeps the preset's

    def build(self) -> Any:
        """The `RewardPreset` this section describes, built once per recipe: validation
        builds it and the run reuses that object (it is rebuilt only if the section changed
        since). Raises `toolzero.errors.ConfigError` listing every problem."""
        from toolzero.rewards import build_preset

        config: dict[str, Any] = {"preset": self.preset}
        if self.components:
            config["components"] = self.components
        if self.remove:
            config["remove"] = self.remove
        if self.reference_mode is not None:
            config["reference_mode"] = self.reference_mode
        built = getattr(self, "_built", None)  # not a field: never saved or compared
        if built is None or built[0] != config:
            self._built = (copy.deepcopy(config), build_preset(config))
        return self._built[1]


@dataclass
class LoraSection:
    enabled: bool = True
    r: int = 16
    alpha: int = 32
    dropout: float = 0.0
    target_modules: list[str] | str = "all-linear"
    # Only these decoder layers get adapters (None: all). The top layers alone make the
    # backward pass stop early: much cheaper on a CPU.
    layers: list[int] | None = None
    merge_on_save: bool = True  # the final model is a plain checkpoint evaluation can load


@dataclass
class GrpoSection:
    prompts_per_step: int = 2  # distinct prompts per optimizer step, over all devices
    num_generations: int = 8
    gradient_accumulation_steps: int = 1
    # Optimizer steps per generation round (PPO mini-batches): >1 samples
    # prompts_per_step x this many prompts at once and reuses them over that many steps.
    updates_per_generation: int = 1
    max_steps: int | None = None  # wins over num_epochs when both are set
    num_epochs: float | None = None
    loss_type: str = "dapo"
    beta: float = 0.0
    epsilon: float = 0.2
    epsilon_high: float | None = None
    num_iterations: int = 1
    scale_rewards: str = "group"
    mask_truncated_completions: bool = False
    entropy_coef: float = 0.0
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    max_completion_length: int = 48
    learning_rate: float = 5e-4
    lr_scheduler_type: str = "constant"
    warmup_steps: float = 0.0  # a count, or a fraction of the run when < 1
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    # bf16 mixed precision (autocast) for generation, log-probs and backward; weights,
    # LoRA adapters and optimizer state stay as loaded (fp32 with model.dtype float32).
    # auto: where the hardware multiplies bf16 natively (a bf16 GPU, or a CPU with
    # AVX-512 BF16 / AMX), fp32 elsewhere, one log line says which; true: required (an
    # error before loading on hardware without it); false: pure fp32, for comparison.
    bf16: bool | str = "auto"
    gradient_checkpointing: bool = False
    use_vllm: bool = False
    vllm_mode: str = "colocate"
    vllm_gpu_memory_utilization: float = 0.3
    vllm_tensor_parallel_size: int = 1
    deepspeed: str | None = None  # a DeepSpeed JSON config (e.g. ZeRO-3)
    score_completion_only: bool = True  # on CPU, LM head on completion tokens only
    shared_prefix: bool = True  # encode each prompt once per group (see shared_prefix.py)
    # Prefill each prompt once per group in generation, then decode the group together
    # (transformers path; vLLM keeps its own). Off: TRL's generation exactly.
    shared_prefix_generation: bool = True
    # With bf16 compute on a CPU, generation and the shared-prefix log-prob forward read
    # bf16 copies of the frozen matrices (same products; autocast would cast them again
    # for every token and every forward: bf16_weights.py). Off: autocast casts them.
    bf16_generation_weights: bool = True
    # On CPU (transformers path), sampled tokens are drawn by inverse CDF instead of
    # torch.multinomial's exponential per vocabulary entry: same distribution, other
    # draws (training/sampling.py). Off: torch's sampler, for comparison.
    cdf_sampling: bool = True
    # On CPU (with shared_prefix), the LM head's log-probs are computed from whole
    # vocabulary rows in a few passes, the product in the compute dtype
    # (training/head_logprobs.py). Off: trl's tiled ChunkedLogProbFunction, for comparison.
    cpu_head_logprobs: bool = True
    # On CPU, glibc's malloc keeps freed memory for the next step's tensors instead of
    # handing it back to the kernel (fewer page faults; see training/allocator.py).
    keep_freed_memory: bool = True
    extra: dict[str, Any] = field(default_factory=dict)  # any other GRPOConfig field


@dataclass
class RunSection:
    output_dir: str = "runs/quickstart"
    seed: int = 0
    save_steps: int = 5
    save_total_limit: int | None = 2
    eval_steps: int | None = None
    logging_steps: int = 1
    # Every N steps, the step's completions with their reward components and advantages
    # go to samples.jsonl in the run folder (what the model wrote, not just the means);
    # 0 turns it off.
    samples_steps: int = 1
    report_to: list[str] = field(default_factory=lambda: ["none"])
    use_cpu: bool | None = None  # None: on CPU when no accelerator is present
    # False skips the checks of this machine (CUDA, driver, vllm/deepspeed/logger packages):
    # for validating a recipe meant for another machine (see training/machine_checks.py).
    machine_checks: bool = True


@dataclass
class EnvironmentSection:
    """Multi-turn training with tools that execute (docs/environments.md).

    `name` null: single-turn training, as without this section. Set (e.g.
    `synthetic_world`): each completion is an episode in that environment (see
    `toolzero.training.rollout`): the model's calls run, their results are shown to it
    (masked out of the loss), until it answers, `max_turns` turns, or
    `grpo.max_completion_length` tokens for the whole episode, results included; a turn
    gets at most `max_turn_tokens` of them. The tasks come from `data.train` (`env:NAME`
    for the environment's own task generator), the reward from an episode preset
    (`reward.preset: episode`). `options` go to the environment's builder (e.g. the
    python sandbox's `wall_s`, `memory_mb`; the search corpus). `workers`: episodes whose
    calls run at once. `turn_credit` (see `toolzero.training.turn_credit`): the weight of
    each turn's own advantage on its tokens, beside the episode's. `fit_tasks`: keep only
    the `env:` tasks whose reference solution fits in `max_turns` (its call turns, then
    the answer), in training and in the quickstart's held-out evaluation; a task that
    needs more turns can never succeed, so it only adds zeros to the outcome.
    """

    name: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    max_turns: int = 4
    max_turn_tokens: int | None = 96
    workers: int = 8
    # Per-turn credit: 0 gives every token the episode's one advantage; λ > 0 adds λ x its
    # turn's own group-normalised reward (format + correctness vs the reference turn).
    turn_credit: float = 0.0
    fit_tasks: bool = False


@dataclass
class EvaluationSection:
    """The before/after evaluation `toolzero quickstart` runs (ignored by `train`).

    `benches` (first `limit` items of each) is the held-out evaluation. `unfamiliar` is the
    generalization view: one suite of tools the training never saw, as `BENCH:SELECTION`
    (e.g. `hammer:sealtool`; null turns it off), its first `unfamiliar_limit` items, with
    the same generation settings. The quickstart never downloads: benchmark files come from
    `data_dirs` (benchmark -> local folder, as `toolzero eval --data-dir BENCH=DIR`) or from
    toolzero's download cache (filled by an earlier `toolzero eval`); an unfamiliar suite in
    neither is skipped with one line saying how to get it.
    """

    benches: list[str] = field(default_factory=lambda: ["synthetic"])
    limit: int = 32
    # None: as long as a training turn (`Recipe.evaluation_max_new_tokens`), so the model
    # is judged on answers of the length it was trained to give.
    max_new_tokens: int | None = None
    batch_size: int = 16
    unfamiliar: str | None = "hammer:sealtool"
    unfamiliar_limit: int = 16
    data_dirs: dict[str, str] = field(default_factory=dict)


@dataclass
class Recipe:
    model: ModelSection = field(default_factory=ModelSection)
    data: DataSection = field(default_factory=DataSection)
    reward: RewardSection = field(default_factory=RewardSection)
    lora: LoraSection = field(default_factory=LoraSection)
    grpo: GrpoSection = field(default_factory=GrpoSection)
    run: RunSection = field(default_factory=RunSection)
    evaluation: EvaluationSection = field(default_factory=EvaluationSection)
    environment: EnvironmentSection = field(default_factory=EnvironmentSection)
    description: str = ""

    def evaluation_max_new_tokens(self) -> int:
        """The before/after evaluation's token limit per answer (per turn in an episode):
        `evaluation.max_new_tokens` when set, else a training turn's length —
        `environment.max_turn_tokens` in a multi-turn recipe, else
        `grpo.max_completion_length`."""
        if self.evaluation.max_new_tokens is not None:
            return self.evaluation.max_new_tokens
        if self.environment.name and self.environment.max_turn_tokens:
            return self.environment.max_turn_tokens
        return self.grpo.max_completion_length

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)


class RecipeError(ConfigError):
    """Every problem found in a recipe, one per line, each naming the field and the fix.

    `RecipeError(problems, source="recipe")`, a `ConfigError` (so a `UserError`: the CLI
    prints it as one error with its list, exit code 2).
    """

    def __init__(self, problems: list[str], source: str = "recipe") -> None:
        super().__init__(problems, source)


SECTION_TYPES = {
    "model": ModelSection,
    "data": DataSection,
    "reward": RewardSection,
    "lora": LoraSection,
    "grpo": GrpoSection,
    "run": RunSection,
    "evaluation": EvaluationSection,
    "environment": EnvironmentSection,
}


def parse_override(text: str) -> tuple[list[str], Any]:
    """`section.key=value` -> (["section", "key"], YAML-parsed value).

    >>> parse_override("grpo.learning_rate=1e-5")
    (['grpo', 'learning_rate'], 1e-05)
    >>> parse_override("model.stop_strings=[</tool_call>]")
    (['model', 'stop_strings'], ['</tool_call>'])
    """
    if "=" not in text:
        raise RecipeError([f"override {text!r} is not KEY=VALUE; write e.g. grpo.max_steps=10"])
    key, _, raw = text.partition("=")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as exc:
        raise RecipeError(
            [f"override {text!r}: the value is not valid YAML ({yaml_problem(exc)}); quote it"]
        ) from None
    if isinstance(value, str) and _looks_numeric(value):
        value = float(value)  # YAML 1.1 reads "1e-5" (no dot) as a string
    return key.strip().split("."), value


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Set each dotted key in a nested dict (copying), creating sections as needed."""
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in raw.items()}
    for text in overrides:
        path, value = parse_override(text)
        node = out
        for part in path[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[path[-1]] = value
    return out


def recipe_from_dict(raw: dict[str, Any], source: str = "recipe") -> Recipe:
    """Build a `Recipe`, collecting every unknown key, wrong type and bad value at once."""
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise RecipeError(
            [f"top level must be a mapping of sections, got {type(raw).__name__}"], source
        )
    sections: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "description":
            continue
        if key not in SECTION_TYPES:
            problems.append(_unknown("", key, [*SECTION_TYPES, "description"]))
            continue
        if value is None:
            value = {}
        if not isinstance(value, dict):
            problems.append(f"{key}: must be a mapping of settings, got {type(value).__name__}")
            continue
        sections[key] = _build_section(key, SECTION_TYPES[key], value, problems)
    recipe = Recipe(**sections, description=str(raw.get("description") or ""))
    problems.extend(check_recipe(recipe))
    if problems:
        raise RecipeError(problems, source)
    return recipe


def load_recipe(path: str | Path | None, overrides: list[str] | None = None) -> Recipe:
    """Read a YAML recipe (or the defaults when `path` is None) and apply overrides."""
    raw: dict[str, Any] = {}
    source = "recipe (defaults)"
    if path is not None:
        source = str(path)
        file = Path(path)
        if file.is_dir():
            raise RecipeError([f"{path} is a folder; pass a YAML recipe file"], source)
        try:
            raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            raise RecipeError(
                [f"file not found: {path}; pass an existing YAML recipe"], source
            ) from None
        except yaml.YAMLError as exc:
            raise RecipeError([f"not valid YAML: {yaml_problem(exc)}"], source) from None
    return recipe_from_dict(apply_overrides(raw, overrides or []), source)


def _build_section(name: str, cls: type, values: dict[str, Any], problems: list[str]) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in values.items():
        if key not in known:
            problems.append(_unknown(f"{name}.", key, sorted(known)))
            continue
        coerced, ok = _coerce(value, hints[key])
        if not ok:
            problems.append(
                f"{name}.{key}: expected {_type_name(hints[key])}, got {value!r}; fix the value"
            )
            continue
        kwargs[key] = coerced
    return cls(**kwargs)


def _coerce(value: Any, hint: Any) -> tuple[Any, bool]:
    """Check `value` against a type hint, converting the safe cases (int -> float)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(hint):
            coerced, ok = _coerce(value, option)
            if ok:
                return coerced, True
        return value, False
    if hint is type(None):
        return value, value is None
    if hint is Any:
        return value, True
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(value, list):
            return value, False
        items = [_coerce(v, item) for v in value]
        return [v for v, _ in items], all(ok for _, ok in items)
    if origin is dict:
        return value, isinstance(value, dict)
    if hint is float:
        if isinstance(value, str) and _looks_numeric(value):
            return float(value), True
        return (float(value), True) if _is_number(value) else (value, False)
    if hint is int:
        return value, isinstance(value, int) and not isinstance(value, bool)
    if hint is bool:
        return value, isinstance(value, bool)
    if hint is str:
        return value, isinstance(value, str)
    return value, isinstance(value, hint)


def check_recipe(recipe: Recipe) -> list[str]:
    """Values and their combinations: ranges, choices, the GRPO batch arithmetic."""
    return check_values(recipe)


def _unknown(prefix: str, key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {prefix}{close[0]}?" if close else f"known: {', '.join(known)}"
    return f"{prefix}{key}: unknown setting; {hint}"


def _type_name(hint: Any) -> str:
    return str(hint).replace("typing.", "").replace("<class '", "").replace("'>", "")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
