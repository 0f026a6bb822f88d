"""Generate realistic tool-use tasks offline: the embedded default model's training data.

Each task offers a few tools (the needed ones plus distractors), a natural request whose
argument values the model must extract, and the reference answer in the canonical
`Example` form. Shapes, mixed by weight:

- `single`: one call to one tool (the default: short prompts keep CPU training fast);
- `parallel`: the same tool called 2-3 times with different values in one turn;
- `multiple`: two different tools called in one turn;
- `no_call`: nothing to call, either because the request is out of scope or because the
  tool it needs is not on offer (BFCL's "irrelevance"); the reference is a response.

Split `train` uses `tools_train.py`, split `heldout` uses `tools_heldout.py`: different
tools, domains, values and phrasings, and different openers and connectors, so held-out
scores measure generalisation. Example `i` depends only on (seed, split, i, options), so a
larger `n` extends a smaller one.

Left out: multi-turn dialogues (use the multi-turn augmentations on these examples),
nested object arguments, tool execution.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from toolzero.data.synthetic.pools import draw
from toolzero.data.synthetic.schema import ToolTemplate, placeholders
from toolzero.data.synthetic.tools_heldout import HELDOUT_OUT_OF_SCOPE, HELDOUT_TOOLS
from toolzero.data.synthetic.tools_train import TRAIN_OUT_OF_SCOPE, TRAIN_TOOLS
from toolzero.errors import ConfigError
from toolzero.protocol.types import Example, Message, ToolCall
from toolzero.user_files import BadInputError, is_a

SHAPES = ("single", "parallel", "multiple", "no_call")
SPLITS = ("train", "heldout")
DEFAULT_SHAPES: dict[str, float] = {"single": 0.9, "no_call": 0.1}

# Per-split surface variety: openers before the request, connectors between requests.
OPENERS = {
    "train": ("", "", "", "Hi! ", "Please help: "),
    "heldout": ("", "", "Hello! ", "Quick question. "),
}
CONNECTORS = {"train": (" Also, ", " And "), "heldout": (" On top of that, ", " Additionally, ")}
CATALOGS = {
    "train": (TRAIN_TOOLS, TRAIN_OUT_OF_SCOPE),
    "heldout": (HELDOUT_TOOLS, HELDOUT_OUT_OF_SCOPE),
}


@dataclass(frozen=True)
class SyntheticOptions:
    """How tasks are built. `shapes` maps shape name to weight (need not sum to 1)."""

    distractors: int = 2
    shapes: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SHAPES))
    parallel_calls: tuple[int, int] = (2, 3)
    think: bool = True  # write a short reference `<think>` text

    def problems(self) -> list[str]:
        out = []
        unknown = sorted(set(self.shapes) - set(SHAPES))
        if unknown:
            out.append(f"unknown shapes {unknown}; choose from {list(SHAPES)}")
        if not any(w > 0 for w in self.shapes.values()) or any(w < 0 for w in self.shapes.values()):
            out.append(f"shape weights must be >= 0 with at least one > 0, got {dict(self.shapes)}")
        if self.distractors < 0:
            out.append(f"distractors must be >= 0, got {self.distractors}")
        lo, hi = self.parallel_calls
        if not 2 <= lo <= hi:
            out.append(
                f"parallel_calls must be (lo, hi) with 2 <= lo <= hi, got {self.parallel_calls}"
            )
        return out


def generate_examples(n: int, seed: int = 0, split: str = "train", **options: Any) -> list[Example]:
    """`n` seeded synthetic tasks from the `train` or `heldout` tool library.

    Options: `distractors` (extra tools per task, default 2), `shapes` (weights over
    single / parallel / multiple / no_call, default mostly single), `parallel_calls`
    ((lo, hi) calls in a parallel task), `think` (reference reasoning text).

    >>> ex = generate_examples(1, seed=0)[0]
    >>> ex.messages[0].content, ex.reference_calls[0].name, len(ex.tools)
    ('Route from Oslo to Hanoi.', 'get_directions', 3)
    >>> generate_examples(2, seed=0)[0] == ex
    True
    """
    if split not in SPLITS:
        raise BadInputError(f"synthetic split must be one of {SPLITS}, got {split!r}")
    problems = option_problems(options)
    if problems:
        raise ConfigError([f"{k}: {m}" if k else m for k, m in problems], "synthetic options")
    opts = _options(options)
    return [make_example(i, seed, split, opts) for i in range(n)]


# The type each option takes as a plain value (YAML, JSON, keyword arguments), and its name.
OPTION_KINDS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "distractors": (int, "int"),
    "shapes": (Mapping, "dict"),
    "parallel_calls": ((list, tuple), "list"),
    "think": (bool, "bool"),
}


def option_problems(options: Mapping[str, Any]) -> list[tuple[str | None, str]]:
    """Every problem of generator options given as plain values, each as (the option it
    concerns or None, what is wrong), so a recipe check and `generate_examples` report
    the same problems without building anything."""
    known = [f.name for f in fields(SyntheticOptions)]
    out: list[tuple[str | None, str]] = [
        (key, f"not an option of the synthetic generator; use {', '.join(known)}")
        for key in options
        if key not in known
    ]
    if out:
        return out
    for key, value in options.items():
        kind, name = OPTION_KINDS[key]
        if not is_a(value, kind):
            out.append((key, f"expected {name}, got {value!r}"))
    calls, shapes = options.get("parallel_calls"), options.get("shapes")
    if is_a(calls, (list, tuple)) and len(calls) != 2:
        out.append(("parallel_calls", f"expected [lo, hi], got {calls!r}"))
    if is_a(shapes, Mapping) and not all(is_a(w, (int, float)) for w in shapes.values()):
        out.append(("shapes", f"weights must be numbers, got {dict(shapes)!r}"))
    return out or [(None, p) for p in _options(options).problems()]


def _options(options: Mapping[str, Any]) -> SyntheticOptions:
    values = dict(options)
    if "parallel_calls" in values:
        values["parallel_calls"] = tuple(values["parallel_calls"])
    return SyntheticOptions(**values)


def make_example(index: int, seed: int, split: str, opts: SyntheticOptions) -> Example:
    """Task number `index`: its own RNG, so it does not depend on the tasks before it."""
    rng = random.Random(f"toolzero-synthetic:{split}:{seed}:{index}")
    tools, out_of_scope = CATALOGS[split]
    names = [s for s, w in opts.shapes.items() if w > 0]
    shape = rng.choices(names, weights=[opts.shapes[s] for s in names])[0]
    task = SHAPE_BUILDERS[shape](rng, tools, out_of_scope, split, opts)
    offered = pick_distractors(rng, tools, task.needed, task.excluded_domains, opts.distractors)
    offered = [*task.needed, *offered]
    rng.shuffle(offered)
    opener = rng.choice(OPENERS[split])
    return Example(
        id=f"synthetic-{split}-{seed}-{index}",
        tools=tuple(t.spec() for t in offered),
        messages=(Message("user", opener + task.request),),
        reference_calls=tuple(task.calls),
        reference_response=task.response,
        reference_think=task.think if opts.think else None,
        source=f"synthetic-{split}",
        metadata={
            "shape": shape,
            "domains": sorted({t.domain for t in task.needed} | task.excluded_domains),
        },
    )


@dataclass
class Task:
    request: str
    needed: list[ToolTemplate]
    calls: list[ToolCall]
    think: str
    response: str | None = None
    excluded_domains: set[str] = field(default_factory=set)


def fill(
    rng: random.Random, tool: ToolTemplate, template: str | None = None
) -> tuple[str, ToolCall]:
    """One request for `tool` and the call it asks for (values drawn from the pools)."""
    template = template or rng.choice(tool.queries)
    surfaces: dict[str, str] = {}
    args: dict[str, Any] = {}
    for name in placeholders(template):
        if name not in surfaces:
            surfaces[name], args[name] = draw(tool.param(name).pool, rng)
    ordered = {p.name: args[p.name] for p in tool.params if p.name in args}  # schema order
    return template.format(**surfaces), ToolCall(tool.name, ordered)


def join_requests(rng: random.Random, requests: Sequence[str], split: str) -> str:
    """Join requests with the split's connectors, lower-casing the joined sentence start."""
    out = requests[0]
    for request in requests[1:]:
        keep_case = request.startswith(("I ", "I'")) or not request[:1].isalpha()
        out += rng.choice(CONNECTORS[split]) + (
            request if keep_case else request[0].lower() + request[1:]
        )
    return out


def build_single(rng, tools, out_of_scope, split, opts) -> Task:
    tool = rng.choice(tools)
    request, call = fill(rng, tool)
    return Task(
        request, [tool], [call], f"The user wants to {tool.refusal}; {tool.name} does that."
    )


def build_parallel(rng, tools, out_of_scope, split, opts) -> Task:
    tool = rng.choice(tools)
    k = rng.randint(*opts.parallel_calls)
    requests: list[str] = []
    calls: list[ToolCall] = []
    for _ in range(20 * k):  # distinct calls; small pools may run out, then fewer calls
        request, call = fill(rng, tool)
        if call not in calls:
            requests.append(request)
            calls.append(call)
        if len(calls) == k:
            break
    think = f"The user makes {len(calls)} requests to {tool.refusal}; I call {tool.name} for each."
    return Task(join_requests(rng, requests, split), [tool], calls, think)


def build_multiple(rng, tools, out_of_scope, split, opts) -> Task:
    first = rng.choice(tools)
    second = rng.choice([t for t in tools if t.domain != first.domain])
    (r1, c1), (r2, c2) = fill(rng, first), fill(rng, second)
    think = f"The user wants to {first.refusal} and to {second.refusal}; I call {first.name} and {second.name}."
    return Task(join_requests(rng, [r1, r2], split), [first, second], [c1, c2], think)


def build_no_call(rng, tools, out_of_scope, split, opts) -> Task:
    if rng.random() < 0.5:
        request = rng.choice(out_of_scope)
        think = "No available tool is needed for this request."
        response = "None of the available tools can help with this request."
        return Task(request, [], [], think, response)
    tool = rng.choice(tools)
    request, _ = fill(rng, tool)
    think = f"The user wants to {tool.refusal}, but no available tool does that."
    response = f"Sorry, none of the available tools can {tool.refusal}."
    return Task(request, [], [], think, response, excluded_domains={tool.domain})


SHAPE_BUILDERS = {
    "single": build_single,
    "parallel": build_parallel,
    "multiple": build_multiple,
    "no_call": build_no_call,
}


def pick_distractors(
    rng: random.Random,
    tools: Sequence[ToolTemplate],
    needed: Sequence[ToolTemplate],
    excluded_domains: set[str],
    k: int,
) -> list[ToolTemplate]:
    """`k` other tools (fewer if the library runs out), never from an excluded domain."""
    taken = {t.name for t in needed}
    candidates = [t for t in tools if t.name not in taken and t.domain not in excluded_domains]
    return rng.sample(candidates, min(k, len(candidates)))
