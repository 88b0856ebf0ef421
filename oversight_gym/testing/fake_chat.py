"""A fake OpenAI-compatible chat server on the loopback address, for testing language-model
seats without a model: scripted replies, malformed responses, slow responses and HTTP errors.

:class:`FakeChatServer` answers ``POST /v1/chat/completions`` (``http.server`` in a thread,
on ``127.0.0.1`` and a free port) with what its ``replies`` say: a list is a script played
in order (then the ``policy``), a callable is asked for each request. A reply is a string
(the message content) or a :class:`FakeReply` (a status code, a raw body, a delay). Token
counts are words, so accounting is exact and repeatable. The server records every request
and the largest number it served at once (to test a concurrency limit).

Example::

    from oversight_gym.agents.llm import LLMAgent, OpenAIChat
    from oversight_gym.testing.fake_chat import FakeChatServer

    with FakeChatServer(["I think so.\\nACTION: 1"]) as server:
        agent = LLMAgent(OpenAIChat(server.base_url, "fake"))
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Request = dict[str, Any]


@dataclass(frozen=True)
class FakeReply:
    """One response of the fake server: ``text`` as the message content with ``status``, or
    ``body`` sent as it is (a malformed response); after ``delay`` seconds."""

    text: str = ""
    status: int = 200
    body: bytes | None = None
    delay: float = 0.0


_LISTING = re.compile(r"^(\d+): (.+)$", re.MULTILINE)


def legal_actions(request: Request) -> dict[int, str]:
    """``{action: name}`` listed in the request's first user message (the text view's prompt;
    later user messages are the view's answers to unreadable replies)."""
    text = next((m["content"] for m in request.get("messages", []) if m.get("role") == "user"), "")
    part = text.split("Your legal actions", 1)[-1]
    return {int(a): name for a, name in _LISTING.findall(part)}


def first_action(request: Request) -> str:
    """A policy: reason a little, then choose the first legal action listed."""
    actions = legal_actions(request)
    return f"Let me think about the options.\nACTION: {min(actions)}" if actions else "I cannot see any action."


def words(text: str) -> int:
    return len(text.split())


class FakeChatServer:
    """An OpenAI-compatible chat endpoint on ``127.0.0.1`` for tests (see the module docstring).

    ``replies``: a list of replies used in order, then ``policy`` for every later request;
    or a callable ``request -> reply``. ``delay``: seconds before every response.
    """

    def __init__(self, replies: Sequence[str | FakeReply] | Callable[[Request], str | FakeReply] = (),
                 policy: Callable[[Request], str | FakeReply] = first_action, delay: float = 0.0) -> None:
        self._script = list(replies) if not callable(replies) else []
        self._fn = replies if callable(replies) else None
        self.policy, self.delay = policy, delay
        self.requests: list[Request] = []
        self.headers: list[dict[str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle ---------------------------------------------------------------------------
    def start(self) -> FakeChatServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                fake._serve(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.handle_error = lambda request, address: None  # a client that timed out hung up
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeChatServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake server is not running: call start() or use it in a with block")
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    # --- serving ------------------------------------------------------------------------------
    def _next(self, request: Request) -> FakeReply:
        with self._lock:
            self.requests.append(request)
            reply = self._script.pop(0) if self._script else None
        if reply is None:
            reply = self._fn(request) if self._fn is not None else self.policy(request)
        return reply if isinstance(reply, FakeReply) else FakeReply(text=str(reply))

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        counted = True
        try:
            length = int(handler.headers.get("Content-Length") or 0)
            raw = handler.rfile.read(length)
            with self._lock:
                self.headers.append(dict(handler.headers.items()))
            try:
                request = json.loads(raw)
            except ValueError:
                request = {"unreadable": raw.decode(errors="replace")}
            if handler.path.rstrip("/") != "/v1/chat/completions":
                reply = FakeReply(status=404, body=b'{"error": "not found"}')
            else:
                reply = self._next(request)
            time.sleep(self.delay + reply.delay)
            if reply.body is not None:
                body = reply.body
            elif reply.status != 200:
                body = json.dumps({"error": {"message": reply.text or f"status {reply.status}"}}).encode()
            else:
                prompt = sum(words(m.get("content", "")) for m in request.get("messages", []))
                body = json.dumps({
                    "id": f"fake-{len(self.requests)}", "object": "chat.completion", "model": request.get("model"),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.text},
                                 "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": prompt, "completion_tokens": words(reply.text),
                              "total_tokens": prompt + words(reply.text)},
                }).encode()
            # no longer in flight once the reply is ready: counted after the write, a client that has read it and
            # sent its next request could meet this one still counted (max_in_flight above the client's limit)
            with self._lock:
                self.in_flight -= 1
                counted = False
            handler.send_response(reply.status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        finally:
            with self._lock:
                if counted:
                    self.in_flight -= 1
