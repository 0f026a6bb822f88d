"""Data recipes: the YAML that says which sources, how many, which filters and
augmentations, and how to split. Read and checked here, in one place, before any data loads;
every problem is reported at once.

```yaml
seed: 0
eval_fraction: 0.02            # or `eval:` with its own sources
sources:
  - name: toolace              # names the rows in summaries
    data: hf:Team-ACE/ToolACE  # any spec `load_examples` accepts, or `synthetic`
    format: toolace            # optional; detected from the rows otherwise
    count: 2000                # sampled after validation; omit for all
    options: {turns: last}     # to the converter (or the synthetic generator)
    augment: [{name: mask, fraction: 1.0, replace: true}]
filters: {check_types: false, max_prompt_chars: 16000}
augment: [{name: irrelevance, fraction: 0.05}]   # on the mixed training split
```
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolzero.data.augment import AUGMENTATION_NAMES, option_problems
from toolzero.data.sources import FORMAT_NAMES
from toolzero.data.validation import ValidationConfig
from toolzero.errors import ConfigError
from toolzero.user_files import read_text, yaml_problem


@dataclass(frozen=True)
class AugmentSpec:
    name: str
    fraction: float = 1.0
    replace: bool = False
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceSpec:
    name: str
    data: str
    format: str | None = None
    count: int | None = None
    options: dict[str, Any] = field(default_factory=dict)
    augment: tuple[AugmentSpec, ...] = ()

    @property
    def is_synthetic(self) -> bool:
        return self.data == "synthetic" or self.data.startswith("synthetic:")


@dataclass(frozen=True)
class DataRecipe:
    sources: tuple[SourceSpec, ...]
    name: str = ""
    seed: int = 0
    eval_fraction: float = 0.0
    eval: tuple[SourceSpec, ...] = ()
    filters: ValidationConfig = field(default_factory=ValidationConfig)
    augment: tuple[AugmentSpec, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class RecipeError(ConfigError):
    """A recipe with problems; the message lists all of them.

    `RecipeError(problems, source)`; a single message string is one problem.
    """

    def __init__(self, problems: str | list[str], source: str = "data recipe") -> None:
        super().__init__([problems] if isinstance(problems, str) else problems, source)


def load_recipe(path: str | Path) -> DataRecipe:
    """Read and check a recipe file (missing, unreadable or not YAML: a `UserError`)."""
    import yaml

    text = read_text(path, "data recipe", "give a YAML file such as recipes/data/synthetic.yaml")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RecipeError([f"not valid YAML: {yaml_problem(exc)}"], f"data recipe {path}") from None
    return parse_recipe(raw, name=Path(path).stem)


def parse_recipe(raw: Any, name: str = "") -> DataRecipe:
    """A `DataRecipe` from parsed YAML; raises `RecipeError` listing every problem."""
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise RecipeError(["expected a mapping at the top level"], f"data recipe {name!r}")
    _unknown(
        raw,
        ("name", "seed", "eval_fraction", "eval", "sources", "filters", "augment"),
        "recipe",
        problems,
    )
    sources = _sources(raw.get("sources"), "sources", problems)
    if not sources:
        problems.append("sources: at least one source is needed")
    eval_sources = (
        _sources(raw.get("eval"), "eval", problems) if raw.get("eval") is not None else ()
    )
    fraction = raw.get("eval_fraction", 0.0)
    if not isinstance(fraction, int | float) or not 0 <= fraction < 1:
        problems.append(f"eval_fraction: must be a number in [0, 1), got {fraction!r}")
    if eval_sources and fraction:
        problems.append("give either eval_fraction or eval sources, not both")
    filters = _filters(raw.get("filters") or {}, problems)
    augment = parse_augments(raw.get("augment") or [], "", problems)
    seed = raw.get("seed", 0)
    if not isinstance(seed, int):
        problems.append(f"seed: must be an integer, got {seed!r}")
    if problems:
        raise RecipeError(problems, f"data recipe {name!r}")
    return DataRecipe(
        sources, str(raw.get("name") or name), seed, float(fraction), eval_sources, filters, augment
    )


def _unknown(d: dict[str, Any], known: tuple[str, ...], where: str, problems: list[str]) -> None:
    for key in d:
        if key not in known:
            problems.append(f"{where}: unknown key {key!r} (known: {', '.join(known)})")


def _sources(raw: Any, where: str, problems: list[str]) -> tuple[SourceSpec, ...]:
    if not isinstance(raw, list):
        problems.append(f"{where}: expected a list of sources")
        return ()
    out = []
    for i, s in enumerate(raw):
        at = f"{where}[{i}]"
        if not isinstance(s, dict):
            problems.append(f"{at}: expected a mapping")
            continue
        _unknown(s, ("name", "data", "format", "count", "options", "augment"), at, problems)
        if not isinstance(s.get("data"), str):
            problems.append(f"{at}: `data` (a data spec) is required")
            continue
        fmt = s.get("format")
        if fmt is not None and fmt not in FORMAT_NAMES:
            problems.append(f"{at}: unknown format {fmt!r} (known: {', '.join(FORMAT_NAMES)})")
        count = s.get("count")
        if count is not None and (not isinstance(count, int) or count < 0):
            problems.append(f"{at}: count must be a non-negative integer, got {count!r}")
        options = s.get("options") or {}
        if not isinstance(options, dict):
            problems.append(f"{at}: options must be a mapping")
            options = {}
        name = str(s.get("name") or fmt or s["data"].split(":")[0])
        out.append(
            SourceSpec(
                name,
                s["data"],
                fmt,
                count,
                options,
                parse_augments(s.get("augment") or [], at, problems),
            )
        )
    names = [s.name for s in out]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"{where}: source name {dup!r} is used twice; names must be unique")
    return tuple(out)


def parse_augments(raw: Any, where: str, problems: list[str]) -> tuple[AugmentSpec, ...]:
    """The `augment` list found at `where` (a source's field, "" for the recipe's own, or a
    training recipe's `data`); each problem is appended to `problems` as one line."""
    field_name = f"{where}.augment" if where else "augment"
    if not isinstance(raw, list):
        problems.append(f"{field_name}: expected a list")
        return ()
    out = []
    for i, a in enumerate(raw):
        at = f"{field_name}[{i}]"
        if not isinstance(a, dict) or a.get("name") not in AUGMENTATION_NAMES:
            got = a.get("name") if isinstance(a, dict) else a
            problems.append(
                f"{at}: name must be one of {', '.join(AUGMENTATION_NAMES)}, got {got!r}"
            )
            continue
        _unknown(a, ("name", "fraction", "replace", "options"), at, problems)
        fraction = a.get("fraction", 1.0)
        if not isinstance(fraction, int | float) or not 0 <= fraction <= 1:
            problems.append(f"{at}: fraction must be in [0, 1], got {fraction!r}")
            continue
        options = a.get("options") or {}
        option_lines = option_problems(a["name"], options)
        problems += [f"{at}.{line}" for line in option_lines]
        if option_lines:
            continue
        out.append(
            AugmentSpec(a["name"], float(fraction), bool(a.get("replace", False)), dict(options))
        )
    return tuple(out)


def _filters(raw: Any, problems: list[str]) -> ValidationConfig:
    if not isinstance(raw, dict):
        problems.append("filters: expected a mapping")
        return ValidationConfig()
    known = tuple(f.name for f in dataclasses.fields(ValidationConfig))
    _unknown(raw, known, "filters", problems)
    try:
        return ValidationConfig(**{k: v for k, v in raw.items() if k in known})
    except TypeError as err:
        problems.append(f"filters: {err}")
        return ValidationConfig()
