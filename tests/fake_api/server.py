"""``FakeAnthropic``: the test-facing object — start/stop, scripting, recorded requests, the
fake clock and cache, batches and the JSON control API. The HTTP side is in handler.py."""

from __future__ import annotations

import collections
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterable
from http.server import ThreadingHTTPServer
from typing import Any

from . import render
from .batches import BatchStore
from .cache import CacheUsage, PromptCache
from .errors import ApiError, error_body, new_request_id
from .handler import Handler
from .models import ModelSpec, ModelTable
from .recording import RecordedRequest
from .replies import (
    DropConnection,
    ErrorReply,
    HeldReply,
    StreamError,
    TextReply,
    ToolReply,
    reply_from_json,
)
from .validation import KNOWN_BETAS, Checked, validate_create

MAX_BODY_BYTES = 32_000_000  # "32 MB" (§6.1); the stricter reading of MB
MAX_BATCH_BODY_BYTES = 256_000_000


class FakeAnthropic:
    """A local Anthropic API over real HTTP on 127.0.0.1, scripted by the test.

    ``script(*replies)`` queues replies; each ``POST .../messages`` attempt that passes
    validation consumes one, in order; when the queue is empty ``default`` answers (a reply or
    a ``callable(request_json) -> reply``); with neither, a 500 with ``x-should-retry: false``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        default: Any = None,
        api_keys: Iterable[str] | None = None,
        models: Iterable[ModelSpec] = (),
    ) -> None:
        self.default = default
        # None: any non-empty key is accepted; a set: other keys get 401.
        self.api_keys: set[str] | None = set(api_keys) if api_keys is not None else None
        self.models = ModelTable()
        for spec in models:
            self.models.add(spec)
        self.known_betas: frozenset[str] = KNOWN_BETAS
        self.max_body_bytes = MAX_BODY_BYTES
        self.max_batch_body_bytes = MAX_BATCH_BODY_BYTES
        self.extra_headers: dict[str, str] = {}  # added to every response
        self.batch_script: dict[str, Any] = {}
        self.batch_polls_until_done = 0
        self.held: dict[str, HeldReply] = {}  # named holds from the JSON control API
        self.internal_errors: list[str] = []  # tracebacks of exceptions inside the fake
        self._connections: set[socket.socket] = set()
        self._clock = 0.0
        self.cache = PromptCache(lambda: self._clock)
        self.batches = BatchStore()
        self._queue: collections.deque[Any] = collections.deque()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._closing = threading.Event()
        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None
        self.host, self.port = self._server.server_address[:2]
        self.url = f"http://{self.host}:{self.port}"

    # life cycle -------------------------------------------------------------------------

    def start(self) -> FakeAnthropic:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"fake-anthropic-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve on the calling thread (the ``python -m fake_api`` mode)."""
        self._server.serve_forever(poll_interval=0.05)

    def close(self) -> None:
        """Stop serving and cut open connections (held replies end, idle keep-alives close)."""
        self._closing.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> FakeAnthropic:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def env(self, api_key: str = "sk-ant-test") -> dict[str, str]:
        """Environment variables pointing an SDK client (or the language server) here."""
        return {"ANTHROPIC_BASE_URL": self.url, "ANTHROPIC_API_KEY": api_key}

    # scripting --------------------------------------------------------------------------

    def script(self, *replies: Any) -> None:
        """Queue replies, consumed one per messages attempt."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def pending(self) -> int:
        """Replies still queued."""
        with self._lock:
            return len(self._queue)

    def add_model(self, spec: ModelSpec) -> None:
        self.models.add(spec)

    def reset(self) -> None:
        """Forget the queue, the recorded requests, the cache, the batches and batch script."""
        with self._lock:
            self._queue.clear()
            self._requests.clear()
            self.batch_script.clear()
            self.batches = BatchStore()
            self.held.clear()
        self.cache.reset()

    # clock and cache --------------------------------------------------------------------

    @property
    def clock(self) -> float:
        """Seconds on the fake's clock (starts at 0); cache TTLs run on it."""
        return self._clock

    @clock.setter
    def clock(self, value: float) -> None:
        self._clock = float(value)

    def advance(self, seconds: float) -> None:
        self._clock += seconds

    def reset_cache(self) -> None:
        self.cache.reset()

    # inspection -------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def messages_requests(self) -> list[RecordedRequest]:
        """Only the POST .../messages attempts (first-party, Foundry, Vertex predict)."""
        return [r for r in self.requests if r.is_messages_create]

    def wait_for_requests(
        self,
        count: int,
        timeout: float = 5.0,
        predicate: Callable[[RecordedRequest], bool] | None = None,
    ) -> list[RecordedRequest]:
        """Block until ``count`` recorded requests match ``predicate``; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                matching = [r for r in self._requests if predicate is None or predicate(r)]
                if len(matching) >= count:
                    return matching
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{len(matching)} of {count} requests after {timeout}s")
                self._changed.wait(remaining)

    # batches ----------------------------------------------------------------------------

    def finish_batches(self) -> None:
        """End every batch still in progress (or canceling) now."""
        with self._lock:
            for batch in list(self.batches.batches.values()):
                self.batches.end(batch, self._resolve_batch_request)

    # control API (JSON) -----------------------------------------------------------------

    def load_script(self, data: Any) -> None:
        """Apply a script in its JSON form: a list of replies, or an object with any of
        ``replies``, ``default``, ``batch_script``, ``batch_polls_until_done``, ``reset``."""
        if isinstance(data, list):
            data = {"replies": data}
        if not isinstance(data, dict):
            raise ValueError("a script is a list of replies or an object")
        if data.get("reset"):
            self.reset()
        replies = [reply_from_json(r, self.held) for r in data.get("replies", [])]
        with self._lock:
            if "default" in data:
                self.default = (
                    reply_from_json(data["default"], self.held) if data["default"] else None
                )
            for custom_id, result in (data.get("batch_script") or {}).items():
                self.batch_script[custom_id] = reply_from_json(result, self.held)
            if "batch_polls_until_done" in data:
                self.batch_polls_until_done = int(data["batch_polls_until_done"])
            self._queue.extend(replies)

    def _wait_control(self, data: dict[str, Any]) -> bool:
        """``POST /_fake/wait``: block until a named hold reaches an event
        (``{"held": name, "event": "started"|"disconnected"|"finished"}``) or until
        ``{"requests": n}`` requests were recorded; ``timeout`` seconds (default 5)."""
        timeout = float(data.get("timeout", 5))
        if "held" in data:
            held = self.held[data["held"]]
            event = data.get("event", "started")
            if event not in ("started", "disconnected", "finished"):
                raise ValueError(f"unknown hold event {event!r}")
            return getattr(held, event).wait(timeout)
        try:
            self.wait_for_requests(int(data["requests"]), timeout)
        except TimeoutError:
            return False
        return True

    # internals --------------------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._changed:
            self._requests.append(request)
            self._changed.notify_all()

    def _next_reply(self, body: Any) -> Any:
        with self._lock:
            reply = self._queue.popleft() if self._queue else self.default
        if callable(reply):
            reply = reply(body)
        if reply is None:
            reply = ErrorReply(
                500,
                "api_error",
                "fake_api: no reply scripted and no default set",
                headers={"x-should-retry": "false"},
            )
        return reply

    def _plan_cache(
        self, checked: Checked, body: dict[str, Any], platform: str
    ) -> tuple[CacheUsage, list[tuple[bytes, float]]]:
        key = f"{platform}:{checked.spec.id}"
        return self.cache.plan(key, body, checked.blocks, checked.spec.cache_min_tokens)

    def _resolve_batch_request(
        self, custom_id: str, params: dict[str, Any], betas: frozenset[str]
    ) -> dict[str, Any]:
        scripted = self.batch_script.get(custom_id)
        if scripted in ("canceled", "expired"):
            return {"type": scripted}
        if scripted == "errored":
            scripted = ErrorReply(500, "api_error", "Internal server error")
        try:
            checked = validate_create(params, self.models, betas, batch=True)
        except ApiError as err:
            return _errored(err.error_type, err.message)
        reply = scripted if scripted is not None else self._next_reply(params)
        if isinstance(reply, HeldReply):
            reply = reply.reply
        if isinstance(reply, ErrorReply):
            return _errored(reply.error_type, reply.message)
        if isinstance(reply, StreamError):
            return _errored(reply.error_type, reply.message)
        if isinstance(reply, DropConnection):
            return _errored("api_error", "Internal server error")
        if not isinstance(reply, (ToolReply, TextReply)):
            raise TypeError(f"not a batch reply: {reply!r}")
        # Batches share the first-party cache (the documented way to prime it).
        usage, writes = self._plan_cache(checked, params, "first-party")
        self.cache.commit(writes)
        message = render.message(reply, checked.model, usage.as_usage(), "batch")
        return {"type": "succeeded", "message": message}


def _errored(error_type: str, message: str) -> dict[str, Any]:
    return {"type": "errored", "error": error_body(error_type, message, new_request_id())}


__all__ = ["FakeAnthropic", "RecordedRequest"]
