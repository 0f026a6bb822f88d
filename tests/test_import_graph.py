"""No import cycles in toolzero, and the layers import downhill.

The graph is read from each module's source (its AST), so it sees every import a module
can run: those at module level and those inside functions. A lazy import (deferred
because torch or trl is slow to load) is still a dependency, and moving an import into
a function must not hide a cycle. Imports under `if TYPE_CHECKING:` never run and do not
count. `from a.b import c` is an edge to the module `a.b.c` when that is a module, else
to `a.b`.

Two graphs must be acyclic: modules, and layers (each module counted as its top-level
part of the package: `toolzero.training.run` is `training`, `toolzero.run_folder` is
`run_folder`). On top of that the layers keep the order below, bottom first.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import toolzero

# Bottom first. A layer may import only layers before it (and itself).
LAYERS = (
    "errors",
    "lazy",
    "user_files",
    "run_folder",
    "machine",
    "protocol",
    "tiny_model",
    "models",
    "data",
    "rewards",
    "environments",
    "training",
    "evaluation",
    "reports",
    "sweeps",
    "quickstart",
    "env_report",
    "gpu_check",
    "cli",
    "__main__",
)
# Packages only training/ may import.
TRAINER_ONLY = ("trl",)
HEAVY = ("torch", "transformers", "trl", "peft", "accelerate")


def toolzero_modules() -> dict[str, Path]:
    """Every module of the package: name -> source file."""
    found = {"toolzero": Path(toolzero.__file__)}
    for info in pkgutil.walk_packages(toolzero.__path__, "toolzero."):
        spec = importlib.util.find_spec(info.name)
        assert spec is not None and spec.origin is not None, info.name
        found[info.name] = Path(spec.origin)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.If) and _is_type_checking(node.test):
        for child in node.orelse:
            yield from _import_nodes(child)
    elif isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    else:
        for child in ast.iter_child_nodes(node):
            yield from _import_nodes(child)


def imported_names(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[str, str]]:
    """(module, name) for every import that can run; name is "" for `import module`."""
    for node in _import_nodes(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name, "") for alias in node.names)
            continue
        base = node.module or ""
        if node.level:  # relative: resolve against this module's package
            parts = module.split(".")
            package = parts if is_package else parts[:-1]
            anchor = package[: len(package) - node.level + 1]
            base = ".".join(anchor + ([base] if base else []))
        yield from ((base, alias.name) for alias in node.names)


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the toolzero modules it imports (self-imports dropped)."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        edges = set()
        for base, member in imported_names(tree, name, path.name == "__init__.py"):
            target = f"{base}.{member}" if f"{base}.{member}" in modules else base
            if target in modules and target != name:
                edges.add(target)
        graph[name] = edges
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle path (first node repeated at the end) per strongly connected component."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_cycle_in(graph, set(c)) for c in components]


def _cycle_in(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A shortest cycle through the component's smallest node (breadth-first)."""
    start = min(component)
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & component):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if nxt not in parents:
                    parents[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no cycle in component {sorted(component)}")


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "toolzero"


def layer_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    layers: dict[str, set[str]] = {}
    for module, targets in graph.items():
        own = layer_of(module)
        layers.setdefault(own, set()).update(layer_of(t) for t in targets if layer_of(t) != own)
    return layers


@pytest.fixture(scope="module")
def modules() -> dict[str, Path]:
    return toolzero_modules()


@pytest.fixture(scope="module")
def graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    return import_graph(modules)


def test_the_graph_reader_sees_lazy_and_skips_type_checking_imports() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "import toolzero.protocol\n"
        "from toolzero.data import dataset\n"
        "from . import presets\n"
        "if TYPE_CHECKING:\n"
        "    from toolzero.training.recipe import Recipe\n"
        "def f():\n"
        "    from toolzero.evaluation.backends import cut_at_stop\n"
    )
    names = set(imported_names(ast.parse(source), "toolzero.rewards.x", False))
    assert ("toolzero.protocol", "") in names
    assert ("toolzero.data", "dataset") in names
    assert ("toolzero.rewards", "presets") in names
    assert ("toolzero.evaluation.backends", "cut_at_stop") in names
    assert not any(base.startswith("toolzero.training") for base, _ in names)


def test_find_cycles_reports_the_path() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.slow
def test_every_module_imports(modules: dict[str, Path]) -> None:
    """Each module loads on its own (optional extras such as vllm are imported lazily)."""
    for name in modules:
        if name != "toolzero.__main__":  # runs the CLI
            importlib.import_module(name)


def test_no_module_import_cycles(graph: dict[str, set[str]]) -> None:
    cycles = find_cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_no_layer_cycles(graph: dict[str, set[str]]) -> None:
    cycles = find_cycles(layer_graph(graph))
    assert not cycles, "layer cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_layers_import_downhill(graph: dict[str, set[str]]) -> None:
    rank = {name: i for i, name in enumerate(LAYERS)}
    unknown = sorted({layer_of(m) for m in graph} - set(rank) - {"toolzero"})
    assert not unknown, f"place these in LAYERS: {unknown}"
    uphill = [
        f"{module} -> {target}"
        for module, targets in sorted(graph.items())
        for target in sorted(targets)
        if layer_of(module) != "toolzero"
        and layer_of(target) != "toolzero"
        and rank[layer_of(target)] > rank[layer_of(module)]
    ]
    assert not uphill, "imports going up the layers:\n" + "\n".join(uphill)


def test_evaluation_subpackages_keep_data_and_scoring_off_the_runner(
    modules: dict[str, Path], graph: dict[str, set[str]]
) -> None:
    """In `evaluation/<package>/` only the `bench` module (what the registry names) may use
    the runner's machinery; data, scoring and backends stay usable on their own."""
    machinery = {
        f"toolzero.evaluation.{name}"
        for name in ("runner", "registry", "generation", "item_bench", "report", "sections")
    }
    packages = [
        name
        for name, path in modules.items()
        if name.count(".") == 2 and name.startswith("toolzero.evaluation.")
        and path.name == "__init__.py"
    ]
    assert {"toolzero.evaluation.bfcl", "toolzero.evaluation.backends"} <= set(packages)
    offenders = [
        f"{module} -> {target}"
        for package in packages
        for module in sorted(graph)
        if module.startswith(package + ".") and not module.endswith(".bench")
        for target in sorted(graph[module] & machinery)
    ]
    assert not offenders, "\n".join(offenders)


def test_only_training_imports_trl(modules: dict[str, Path]) -> None:
    """Rewards, data and evaluation stay usable without trl; reports read run folders."""
    offenders = []
    for name, path in modules.items():
        if layer_of(name) == "training":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for base, _ in imported_names(tree, name, path.name == "__init__.py"):
            if base.split(".")[0] in TRAINER_ONLY:
                offenders.append(f"{name} imports {base}")
    assert not offenders, "\n".join(offenders)


def test_protocol_and_rewards_import_without_torch(modules: dict[str, Path]) -> None:
    """A fresh interpreter imports every protocol and rewards module and no heavy library."""
    light = sorted(m for m in modules if layer_of(m) in ("protocol", "rewards", "run_folder"))
    code = (
        "import importlib, json, sys\n"
        f"for name in {light!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    heavy = json.loads(done.stdout.strip().splitlines()[-1])
    assert heavy == [], f"importing protocol/rewards loaded {heavy[:10]}"
    assert "toolzero.rewards.presets" in light and "toolzero.protocol.parser" in light
