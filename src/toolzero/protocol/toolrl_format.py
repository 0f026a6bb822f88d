"""ToolRL's prompt: the system text with the numbered tool list, and the dialogue history.

`render_system_prompt(tools)` and `render_dialogue(messages)` reproduce, character for
character, the `instruction` and `input` fields of ToolRL's data (`rlla_sft.json`), so an
example loaded from that data renders back to exactly the prompt the model was trained on.
`toolrl_prompt_messages(example)` gives the two chat messages (system + user) ToolRL feeds
to a chat template.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from toolzero.protocol.types import Example, Message, ToolSpec, render_toolrl_output

TASK_STATEMENT = (
    "You are a helpful multi-turn dialogue assistant capable of leveraging tool calls to "
    "solve user tasks and provide structured chat responses."
)

TOOLS_HEADER = "**Available Tools**\nIn your response, you can use the following tools:"

INSTRUCTIONS = """**Steps for Each Turn**
1. **Think:** Recall relevant context and analyze the current user goal.
2. **Decide on Tool Usage:** If a tool is needed, specify the tool and its parameters.
3. **Respond Appropriately:** If a response is needed, generate one while maintaining consistency across user queries.

**Output Format**
```plaintext
<think> Your thoughts and reasoning </think>
<tool_call>
{"name": "Tool name", "parameters": {"Parameter name": "Parameter content", "... ...": "... ..."}}
{"name": "... ...", "parameters": {"... ...": "... ...", "... ...": "... ..."}}
...
</tool_call>
<response> AI's final response </response>
```

**Important Notes**
1. You must always include the `<think>` field to outline your reasoning. Provide at least one of `<tool_call>` or `<response>`. Decide whether to use `<tool_call>` (possibly multiple times), `<response>`, or both.
2. You can invoke multiple tool calls simultaneously in the `<tool_call>` fields. Each tool call should be a JSON object with a "name" field and an "parameters" field containing a dictionary of parameters. If no parameters are needed, leave the "parameters" field an empty dictionary.
3. Refer to the previous dialogue records in the history, including the user's queries, previous `<tool_call>`, `<response>`, and any tool feedback noted as `<obs>` (if exists)."""

HISTORY_HEADER = "**Dialogue Records History**"


def render_tool_list(tools: Sequence[ToolSpec]) -> str:
    """The numbered `Name / Description / Parameters` list.

    >>> print(render_tool_list([ToolSpec("f", "Does f.", {"x": {"type": "int"}})]))
    1. Name: f
    Description: Does f.
    Parameters: {"x": {"type": "int"}}
    """
    return "\n".join(
        f"{i}. Name: {t.name}\nDescription: {t.description}\nParameters: {json.dumps(t.parameters)}"
        for i, t in enumerate(tools, start=1)
    )


def render_system_prompt(tools: Sequence[ToolSpec], task_statement: str = TASK_STATEMENT) -> str:
    """ToolRL's full system prompt for these tools."""
    return f"{task_statement}\n\n{TOOLS_HEADER}\n{render_tool_list(tools)}\n\n{INSTRUCTIONS}"


def render_dialogue(messages: Sequence[Message]) -> str:
    """The `**Dialogue Records History**` user text: user turns, past assistant turns in
    the output format, and tool results as `<obs>` right under the turn that called."""
    entries: list[str] = []
    for msg in messages:
        if msg.role == "user":
            entries.append(f"<user> {msg.content} </user>")
        elif msg.role == "assistant":
            entries.append(
                render_toolrl_output(
                    think=msg.reasoning or "", calls=msg.tool_calls, response=msg.content or None
                )
            )
        elif msg.role == "tool":
            obs = f"<obs> {msg.content} </obs>"
            if entries and not entries[-1].startswith("<user>"):
                entries[-1] = f"{entries[-1]}\n{obs}"
            else:
                entries.append(obs)
    return "\n\n".join([HISTORY_HEADER + ("\n" + entries[0] if entries else ""), *entries[1:]])


def toolrl_prompt_messages(example: Example) -> list[dict[str, str]]:
    """The chat messages ToolRL trains on: its system prompt, then the dialogue history."""
    system = example.system if example.system is not None else render_system_prompt(example.tools)
    dialogue = [m for m in example.messages if m.role != "system"]
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": render_dialogue(dialogue)},
    ]
