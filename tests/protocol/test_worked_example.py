"""The compact prompt's worked example must never be a right answer when copied.

A base model copies the example it is shown, and GRPO rewards whatever scores: with a
training tool in the example (`get_time`) it learned to answer every task with that tool,
and with a parameter many tools take (`city`) it learned to pass `{"city": ...}` to every
tool. So the example's tool, its parameter names and its values are in none of the
shipped tool libraries or value pools, and its call fits its own tool line.
"""

from __future__ import annotations

import re

from toolzero.data.synthetic.pools import POOLS
from toolzero.data.synthetic.tools_heldout import HELDOUT_TOOLS
from toolzero.data.synthetic.tools_train import TRAIN_TOOLS
from toolzero.environments.synthetic_world.tools import WORLD_TOOLS
from toolzero.protocol.compact_format import WORKED_EXAMPLE
from toolzero.protocol.parser import parse_completion


def shipped_tool_specs():
    yield from (t.spec() for t in (*TRAIN_TOOLS, *HELDOUT_TOOLS))
    yield from (t.spec for tools in WORLD_TOOLS.values() for t in tools)


def pool_values() -> set[str]:
    values: set[str] = set()
    for entries in POOLS.values():
        for entry in entries:
            for value in entry if isinstance(entry, tuple) else (entry,):
                values.add(str(value).casefold())
    return values


def example_parts():
    """The example's tool line (name, parameters) and its parsed call."""
    line = re.search(r"^- (\w+)\(([^)]*)\)", WORKED_EXAMPLE, re.MULTILINE)
    assert line, WORKED_EXAMPLE
    params = {part.split(":")[0].strip().rstrip("?") for part in line.group(2).split(",")}
    answer = WORKED_EXAMPLE[WORKED_EXAMPLE.index("<think>"):]
    parsed = parse_completion(answer)
    assert parsed.calls_valid and len(parsed.calls) == 1, parsed.problems
    return line.group(1), params, parsed.calls[0]


def test_the_example_call_fits_its_own_tool_line():
    name, params, call = example_parts()
    assert call.name == name
    assert set(call.arguments) == params


def test_a_copied_example_call_matches_no_shipped_tool_parameter_or_value():
    name, params, call = example_parts()
    specs = list(shipped_tool_specs())
    assert len(specs) > 50  # the libraries were found
    assert name not in {spec.name for spec in specs}
    shipped_params = {param for spec in specs for param in spec.properties()}
    assert "city" in shipped_params and not params & shipped_params
    values = pool_values()
    assert "oslo" in values
    copied = {str(v).casefold() for v in call.arguments.values() if isinstance(v, str)}
    assert copied and not copied & values
