"""Stand-ins for evaluation tests: a scripted backend and a fake OpenAI-compatible server.

The server listens on 127.0.0.1 only, answers at most `max_requests` requests and stops
by itself after `lifetime` seconds even if a test forgets to stop it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ScriptedBackend:
    """A backend whose completion for each prompt is `script(prompt)`; counts calls."""

    def __init__(self, script: Callable[[str], str]):
        self.script = script
        self.prompts: list[str] = []

    def generate(self, prompts, max_new_tokens, temperature=0.0, stop=None):
        self.prompts.extend(prompts)
        return [self.script(p) for p in prompts]


class PlainTokenizer:
    """Renders chat messages as plain text: enough for `render_prompt` in tests."""

    chat_template = "plain"

    def apply_chat_template(self, messages, tools=None, **_):
        return "\n".join(f"[{m['role']}] {m['content']}" for m in messages) + "\n[assistant] "


Route = Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]]]


class FakeServer:
    """Threaded HTTP server on loopback; `route(path, body) -> (status, json)`."""

    def __init__(self, route: Route, max_requests: int = 200, lifetime: float = 60.0):
        self.route = route
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.max_requests = max_requests
        self.deadline = time.monotonic() + lifetime
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}") if length else {}
                body["_headers"] = {k.lower(): v for k, v in self.headers.items()}
                server.requests.append((self.path, body))
                if len(server.requests) > server.max_requests:
                    status, reply = 503, {"error": "request budget spent"}
                else:
                    status, reply = server.route(self.path, body)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _reply

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.timeout = 0.1
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set() and time.monotonic() < self.deadline:
            self.httpd.handle_request()
        self.httpd.server_close()

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=5)


def chat_reply(
    content: str | None, tool_calls: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
