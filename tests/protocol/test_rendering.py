import json

from toolzero.protocol import (
    Example,
    Message,
    ToolCall,
    ToolSpec,
    render_dialogue,
    render_system_prompt,
)
from toolzero.protocol.chat import GEMMA_CHAT_TEMPLATE

TOOLS = (
    ToolSpec("get_weather", "Weather for a city.", {"city": {"type": "string", "default": ""}}),
)


def test_system_prompt_lists_tools_in_toolrl_shape():
    text = render_system_prompt(TOOLS)
    assert '1. Name: get_weather\nDescription: Weather for a city.\nParameters: {"city"' in text
    assert text.endswith("(if exists).")


def test_real_toolrl_system_prompts_round_trip(shared_data):
    import re

    rows = json.loads((shared_data / "toolrl" / "rlla_sft.json").read_text())
    pattern = re.compile(r"\d+\. Name: (.*)\nDescription: (.*)\nParameters: (.*)\n")
    for row in rows:
        tools = [
            ToolSpec(m[1], m[2], json.loads(m[3])) for m in pattern.finditer(row["instruction"])
        ]
        assert render_system_prompt(tools) == row["instruction"]


def test_dialogue_history_with_calls_and_observations():
    msgs = [
        Message("user", "weather in Paris?"),
        Message(
            "assistant", "", (ToolCall("get_weather", {"city": "Paris"}),), reasoning="call it"
        ),
        Message("tool", '[{"temp": 20}]'),
        Message("user", "thanks"),
    ]
    assert render_dialogue(msgs) == (
        "**Dialogue Records History**\n<user> weather in Paris? </user>\n\n"
        "<think> call it </think>\n<tool_call>\n"
        '{"name": "get_weather", "parameters": {"city": "Paris"}}\n</tool_call>\n'
        '<obs> [{"temp": 20}] </obs>\n\n<user> thanks </user>'
    )


def test_example_round_trips_through_dict():
    ex = Example("1", TOOLS, (Message("user", "hi"),), (ToolCall("get_weather", {"city": "X"}),))
    assert Example.from_dict(json.loads(json.dumps(ex.to_dict()))) == ex
    assert ex.reference_text().startswith("<think>  </think>\n<tool_call>\n")


def test_gemma_template_renders_turns():
    from jinja2 import Template

    text = Template(GEMMA_CHAT_TEMPLATE).render(
        messages=[{"role": "system", "content": "SYS"}, {"role": "user", "content": "hi"}],
        bos_token="<bos>",
        add_generation_prompt=True,
    )
    assert text == "<bos><start_of_turn>user\nSYS\n\nhi<end_of_turn>\n<start_of_turn>model\n"
