"""The tool-call protocol: typed examples, prompt rendering, and the completion parser.

No torch, no trainer: everything here is plain Python that rewards, data and evaluation
share.
"""

from toolzero.protocol.chat import GEMMA_CHAT_TEMPLATE, PROTOCOLS, prompt_messages, render_prompt
from toolzero.protocol.parser import ParsedCompletion, extract_assistant_text, parse_completion
from toolzero.protocol.toolrl_format import (
    render_dialogue,
    render_system_prompt,
    toolrl_prompt_messages,
)
from toolzero.protocol.types import (
    Example,
    Message,
    ToolCall,
    ToolSpec,
    render_toolrl_output,
)

__all__ = [
    "GEMMA_CHAT_TEMPLATE",
    "PROTOCOLS",
    "Example",
    "Message",
    "ParsedCompletion",
    "ToolCall",
    "ToolSpec",
    "extract_assistant_text",
    "parse_completion",
    "prompt_messages",
    "render_dialogue",
    "render_prompt",
    "render_system_prompt",
    "render_toolrl_output",
    "toolrl_prompt_messages",
]
