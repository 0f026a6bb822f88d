"""Generate through any OpenAI-compatible HTTP server (vLLM, SGLang, llama.cpp, TGI, OpenAI...).

`OpenAIBackend(base_url, model)` follows the backend protocol (`generate(prompts, ...)`)
with the standard library's HTTP client, a few requests in flight at once.

A remote model has no local tokenizer, so prompts for the chat endpoint are carried as
*encoded chat requests*: `chat_prompt_encoder()` is a stand-in tokenizer whose
`apply_chat_template` returns the messages (and tools) as JSON behind a marker, which
`toolzero.protocol.render_prompt` treats like any template output; a prefill appended to
it is sent as a final assistant message with vLLM's `continue_final_message` (servers
without that extension start a new message instead). A plain prompt string is sent as one
user message. Tool calls returned by the server (the native protocol) are written back
as `<tool_call>` JSON lines, which `parse_completion` reads; tool names the OpenAI API
forbids (dots, as in BFCL's `math.factorial`) are renamed on the way out and back.

HTTP 400/413/422 (e.g. a prompt longer than the context) give an empty completion, which
scores as a wrong answer; authentication and missing-endpoint errors raise; overload and
connection errors are retried, then raise.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from toolzero.evaluation.backends.base import cut_at_stop

logger = logging.getLogger(__name__)

CHAT_MARKER = "\x00toolzero-chat\x00"
_OPENAI_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SKIPPABLE = (400, 413, 422)
_RETRYABLE = (408, 409, 429, 500, 502, 503, 504)


class ChatPromptEncoder:
    """Duck-typed tokenizer for `render_prompt`: encodes the chat request instead of
    rendering a template (the server applies its own)."""

    chat_template = "toolzero: encoded chat request"

    def apply_chat_template(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None, **_: Any
    ) -> str:
        return CHAT_MARKER + json.dumps({"messages": messages, "tools": tools or None})


def chat_prompt_encoder() -> ChatPromptEncoder:
    return ChatPromptEncoder()


def decode_chat_prompt(
    prompt: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None, str]:
    """(messages, tools, prefill) of a prompt string.

    >>> decode_chat_prompt("hello")
    ([{'role': 'user', 'content': 'hello'}], None, '')
    >>> decode_chat_prompt(ChatPromptEncoder().apply_chat_template([{"role": "user", "content": "x"}]) + "<think>")
    ([{'role': 'user', 'content': 'x'}], None, '<think>')
    """
    if not prompt.startswith(CHAT_MARKER):
        return [{"role": "user", "content": prompt}], None, ""
    body, end = json.JSONDecoder().raw_decode(prompt, len(CHAT_MARKER))
    return body["messages"], body.get("tools"), prompt[end:]


def _rename_tools(
    tools: list[dict[str, Any]] | None,
) -> tuple[list[dict[str, Any]] | None, dict[str, str]]:
    """Make tool names valid for the OpenAI API; return the tools and {new: original}."""
    if not tools:
        return tools, {}
    renamed, back, taken = [], {}, set()
    for tool in tools:
        fn = dict(tool.get("function", tool))
        name = str(fn.get("name", ""))
        new = (
            name
            if _OPENAI_NAME.match(name)
            else re.sub(r"[^A-Za-z0-9_-]", "_", name)[:60] or "tool"
        )
        while new in taken:
            new += "_"
        taken.add(new)
        back[new] = name
        fn["name"] = new
        renamed.append({"type": "function", "function": fn})
    return renamed, back


def tool_calls_to_text(
    content: str | None, tool_calls: list[dict[str, Any]] | None, names: dict[str, str]
) -> str:
    """A chat response as protocol text: its content, then its calls as `<tool_call>` lines."""
    text = content or ""
    lines = []
    for call in tool_calls or ():
        fn = call.get("function", call)
        args = fn.get("arguments", {})
        if isinstance(args, str):
            with contextlib.suppress(
                ValueError
            ):  # unparsable: kept as the string; the parser reports it
                args = json.loads(args) if args.strip() else {}
        name = str(fn.get("name", ""))
        lines.append(json.dumps({"name": names.get(name, name), "arguments": args}))
    if lines:
        text = (text + "\n" if text else "") + "<tool_call>\n" + "\n".join(lines) + "\n</tool_call>"
    return text


class OpenAIBackend:
    """Chat (default) or text completions from an OpenAI-compatible server."""

    def __init__(
        self,
        base_url: str,
        model: str | None = None,
        api_key: str | None = None,
        mode: str = "chat",
        concurrency: int = 4,
        timeout: float = 120.0,
        max_retries: int = 2,
        progress: bool = True,
    ):
        if mode not in ("chat", "completions"):
            raise ValueError(f"mode must be 'chat' or 'completions', got {mode!r}")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.mode = mode
        self.concurrency = max(1, concurrency)
        self.timeout = timeout
        self.max_retries = max_retries
        self.progress = progress
        self.model = model or self._first_model()

    def _first_model(self) -> str:
        models = self._request("GET", "/models", None).get("data") or []
        if not models:
            raise RuntimeError(f"{self.base_url}/models lists no model; pass the model name")
        return str(models[0]["id"])

    def generate(
        self,
        prompts: list[str],
        max_new_tokens: int,
        temperature: float = 0.0,
        stop: list[str] | None = None,
        keep_stop: bool = False,
    ) -> list[str]:
        from tqdm.auto import tqdm

        def one(prompt: str) -> str:
            if not keep_stop:
                return self._complete(prompt, max_new_tokens, temperature, stop)
            # The API drops the stop string and does not say which one matched: generate
            # without it and cut here, keeping it.
            text = self._complete(prompt, max_new_tokens, temperature, None)
            return cut_at_stop(text, stop, keep=True)

        with ThreadPoolExecutor(self.concurrency) as pool:
            results = pool.map(one, prompts)
            return list(
                tqdm(results, total=len(prompts), desc="generate", disable=not self.progress)
            )

    def _complete(
        self, prompt: str, max_new_tokens: int, temperature: float, stop: list[str] | None
    ) -> str:
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": max_new_tokens,
            "temperature": temperature,
        }
        if stop:
            body["stop"] = list(stop)
        if self.mode == "completions":
            body["prompt"] = prompt
            reply = self._request("POST", "/completions", body)
            return str(reply["choices"][0].get("text") or "") if reply else ""
        messages, tools, prefill = decode_chat_prompt(prompt)
        tools, names = _rename_tools(tools)
        body["messages"] = messages
        if tools:
            body["tools"] = tools
        if prefill:
            body["messages"] = [*messages, {"role": "assistant", "content": prefill}]
            body.update(continue_final_message=True, add_generation_prompt=False)
        reply = self._request("POST", "/chat/completions", body)
        if not reply:
            return ""
        message = reply["choices"][0].get("message") or {}
        return tool_calls_to_text(message.get("content"), message.get("tool_calls"), names)

    def _request(self, method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
        """One JSON request with retries; {} when the server refuses this input."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(
            self.base_url + path, data=data, headers=headers, method=method
        )
        for attempt in range(self.max_retries + 1):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return json.loads(response.read().decode())
            except urllib.error.HTTPError as exc:
                detail = exc.read().decode(errors="replace")[:300]
                if exc.code in _SKIPPABLE:
                    logger.warning(
                        "%s%s refused one input (HTTP %d): %s",
                        self.base_url,
                        path,
                        exc.code,
                        detail,
                    )
                    return {}
                if exc.code not in _RETRYABLE or attempt == self.max_retries:
                    raise RuntimeError(
                        f"{method} {self.base_url}{path}: HTTP {exc.code}: {detail}"
                    ) from exc
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                if attempt == self.max_retries:
                    raise RuntimeError(f"{method} {self.base_url}{path}: {exc}") from exc
            time.sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")
