"""`GenerationSettings`: everything about how the model under test is asked, in one place.

The prompt protocol, the prefill, the decoding limits and the stop strings change the
answers, so they travel together: the CLI builds one from its flags (`add_arguments`,
`from_args`), `evaluate` records it in the run manifest (a folder is resumed only with the
same settings), `ModelUnderTest` prompts and decodes with it, and the quickstart builds one
from a recipe (`from_recipe`: the model section's protocol, prefill and stop strings, the
evaluation section's token limit).
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from toolzero.protocol import PROTOCOLS

DEFAULT_MAX_NEW_TOKENS = 512


@dataclass(frozen=True)
class GenerationSettings:
    """How each answer is generated.

    `stop` strings end an answer; they are removed from it (OpenAI's semantics) or, with
    `keep_stop`, kept: a protocol's closing tag such as `</tool_call>` is part of the answer,
    as in training with `model.stop_strings`. `prefill` is text the answer starts with
    (e.g. `"<think>"`); it is put back in front of every completion before scoring.
    `bf16` runs the model's products in bf16 mixed precision (autocast; on a CPU with bf16
    copies of the weights, see `backends.hf`): ~2x faster on CPUs with AVX-512 BF16 or AMX
    and on GPUs, with answers that can differ from fp32's in rare near-ties. The hf
    backend only: vLLM and servers choose their own dtype.
    """

    protocol: str = "toolrl"
    prefill: str = ""
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    temperature: float = 0.0
    stop: tuple[str, ...] = ()
    keep_stop: bool = False
    bf16: bool = False

    def __post_init__(self) -> None:
        if self.protocol not in PROTOCOLS:
            raise ValueError(
                f"unknown prompt protocol {self.protocol!r}; choose one of {', '.join(PROTOCOLS)}"
            )
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be at least 1, got {self.max_new_tokens}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be 0 (greedy) or more, got {self.temperature}")
        object.__setattr__(self, "stop", tuple(self.stop))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the manifest's and the summary's keys); `stop` as a list."""
        data = asdict(self)
        data["stop"] = list(self.stop)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GenerationSettings:
        """The settings in `data`; other keys (model, backend, ...) are ignored."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def with_changes(self, **changes: Any) -> GenerationSettings:
        return replace(self, **changes)

    @classmethod
    def from_args(
        cls, args: argparse.Namespace, base: GenerationSettings | None = None
    ) -> GenerationSettings:
        """From the flags `add_arguments` defines: each flag given on the command line
        replaces `base`'s value (default: the defaults), so `--recipe`'s settings can be
        changed one flag at a time."""
        given = {f.name: getattr(args, f.name) for f in fields(cls) if hasattr(args, f.name)}
        if "stop" in given:
            given["stop"] = tuple(given["stop"] or ())
        return replace(base or cls(), **given)

    @classmethod
    def from_recipe(cls, recipe: Any) -> GenerationSettings:
        """What a training recipe's before/after evaluation uses: the prompt the model was
        trained on (protocol, prefill) and its stop strings, kept (the answer ends where
        training ends it), with the recipe's evaluation token limit (by default a training
        turn's length: `Recipe.evaluation_max_new_tokens`)."""
        return cls(
            protocol=recipe.model.protocol,
            prefill=recipe.model.prefill,
            max_new_tokens=recipe.evaluation_max_new_tokens(),
            stop=tuple(recipe.model.stop_strings),
            keep_stop=True,
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The CLI flags of `GenerationSettings` (read back with `GenerationSettings.from_args`).

    A flag left out is absent from the parsed namespace (not set to its default), so
    `from_args` can tell what the command line chose from what a base supplies."""
    default = GenerationSettings()
    unset = argparse.SUPPRESS
    parser.add_argument(
        "--protocol",
        default=unset,
        choices=list(PROTOCOLS),
        help=f"prompt protocol (default {default.protocol})",
    )
    parser.add_argument(
        "--prefill", default=unset, help='text the answer starts with, e.g. "<think>"'
    )
    parser.add_argument(
        "--max-new-tokens",
        type=_positive_int,
        default=unset,
        help=f"default {default.max_new_tokens}",
    )
    parser.add_argument(
        "--temperature", type=float, default=unset, help="default 0 (greedy)"
    )
    parser.add_argument(
        "--stop", nargs="*", default=unset, help="stop strings (not kept in the answer)"
    )
    parser.add_argument(
        "--keep-stop",
        action="store_true",
        default=unset,
        help="keep the stop string in the answer (for closing tags such as </tool_call>)",
    )
    parser.add_argument(
        "--bf16",
        action="store_true",
        default=unset,
        help="compute in bf16 mixed precision (hf backend; ~2x faster on CPUs with AVX-512 "
        "BF16 or AMX and on GPUs; answers can differ from fp32 in rare near-ties)",
    )


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value
