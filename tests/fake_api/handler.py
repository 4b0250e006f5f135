"""The HTTP handler: routing, validation, scripted replies as JSON or SSE, batches, control.

Routes (anthropic-api.md §4, §5, §10, §11):

* ``POST /v1/messages`` (also ``?beta=true``), and Foundry's ``POST /anthropic/v1/messages``
* ``POST /v1/messages/count_tokens`` → ``{"input_tokens": N}``
* ``POST /v1/messages/batches``, ``GET /v1/messages/batches[?after_id&before_id&limit]``,
  ``GET|DELETE /v1/messages/batches/{id}``, ``POST /v1/messages/batches/{id}/cancel``,
  ``GET /v1/messages/batches/{id}/results`` (JSONL)
* Vertex: ``POST [/v1]/projects/{p}/locations/{r}/publishers/anthropic/models/{model}:rawPredict``
  and ``:streamRawPredict`` (model from the path, ``anthropic_version`` required in the body,
  Bearer auth, no version header); ``.../models/count-tokens:rawPredict`` (model in the body)
* Control (not recorded): ``POST /_fake/script``, ``GET /_fake/requests``, ``POST /_fake/reset``,
  ``POST /_fake/advance {"seconds"}``, ``POST /_fake/finish_batches``,
  ``POST /_fake/release {"name"}``, ``GET /_fake/held``, ``GET /_fake/health``,
  ``POST /_fake/wait {"held": name, "event": "started"} | {"requests": n}`` (blocks, with
  ``timeout``; answers ``{"ok": bool}``)

Every response carries a ``request-id`` header. Streams use chunked transfer encoding.
"""

from __future__ import annotations

import contextlib
import json
import re
import select
import socket
import time
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from . import render
from .cache import CacheUsage
from .errors import STATUS_BY_TYPE, ApiError, error_body, invalid, new_request_id
from .recording import FIRST_PARTY, VERTEX, RecordedRequest
from .replies import DropConnection, ErrorReply, HeldReply, StreamError, TextReply, ToolReply
from .validation import (
    Checked,
    check_auth,
    check_version,
    parse_betas,
    validate_count,
    validate_create,
)

if TYPE_CHECKING:
    from .server import FakeAnthropic

MAX_BATCH_REQUESTS = 100_000


class _Dropped(Exception):
    """The handler closed the connection on purpose (DropConnection, client gone)."""


def _content_reply(reply: Any) -> ToolReply | TextReply:
    """The ToolReply/TextReply a wrapper streams (a bare ``{}`` tool call when none given)."""
    inner = reply
    while isinstance(inner, (StreamError, DropConnection, HeldReply)):
        inner = inner.reply
    if inner is None:
        return ToolReply({})
    return inner


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-anthropic"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def fake(self) -> FakeAnthropic:
        return self.server.fake  # type: ignore[attr-defined]

    def setup(self) -> None:
        super().setup()
        with self.fake._lock:
            self.fake._connections.add(self.connection)

    def finish(self) -> None:
        with self.fake._lock:
            self.fake._connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    # plumbing ---------------------------------------------------------------------------

    def _headers_dict(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            out[key] = f"{out[key]}, {value}" if key in out else value
        return out

    def _read_body(self, limit: int) -> tuple[bytes, bool]:
        """The request body, and whether it was over ``limit`` (then drained, not kept)."""
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            size = 0
            while True:
                line = self.rfile.readline()
                n = int(line.split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    self.rfile.readline()
                    break
                chunk = self.rfile.read(n)
                self.rfile.readline()
                size += n
                if size <= limit:
                    parts.append(chunk)
            return (b"" if size > limit else b"".join(parts)), size > limit
        length = int(self.headers.get("content-length") or 0)
        if length > limit:
            remaining = length
            while remaining > 0:
                got = self.rfile.read(min(remaining, 1 << 20))
                if not got:
                    break
                remaining -= len(got)
            return b"", True
        return self.rfile.read(length) if length else b"", False

    def _write_head(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in {**self.fake.extra_headers, **headers}.items():
            self.send_header(name, value)
        self.send_header("request-id", self._request_id)
        self.end_headers()
        self._recorded.status = status

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._send_bytes(status, data, "application/json", headers)

    def _send_bytes(
        self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self._write_head(
            status,
            {
                "content-type": content_type,
                "content-length": str(len(data)),
                **(headers or {}),
            },
        )
        self.wfile.write(data)

    def _send_error(self, err: ApiError) -> None:
        self._send_json(err.status, err.body(self._request_id), err.headers)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
        raise _Dropped

    def _peer_closed(self) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _hold(self, held: HeldReply) -> None:
        """Wait for the release; a client disconnect or the fake closing ends the handler."""
        held.started.set()
        while not held.release.wait(0.02):
            if self.fake._closing.is_set():
                self._drop()
            if self._peer_closed():
                held.disconnected.set()
                self._drop()

    # dispatch ---------------------------------------------------------------------------

    def _dispatch(self) -> None:
        self._request_id = new_request_id()
        url = urlsplit(self.path)
        path = url.path
        query = dict(parse_qsl(url.query))
        headers = self._headers_dict()
        if path.startswith("/_fake/"):
            self._recorded = RecordedRequest(self.command, path, headers, None, b"", 0, query)
            self._control(path)
            return
        batches_create = self.command == "POST" and re.fullmatch(
            r"(?:/anthropic)?/v1/messages/batches", path
        )
        limit = self.fake.max_batch_body_bytes if batches_create else self.fake.max_body_bytes
        raw, too_large = self._read_body(limit)
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        try:
            retry_count = int(headers.get("x-stainless-retry-count", "0"))
        except ValueError:
            retry_count = 0
        self._recorded = RecordedRequest(
            self.command, path, headers, body, raw, retry_count, query, None, self._request_id
        )
        self.fake._record(self._recorded)
        self._active_held: HeldReply | None = None
        try:
            if too_large:
                raise ApiError(413, "request_too_large", "Request exceeds the maximum allowed size")
            if raw and body is None:
                raise invalid("There was an error parsing the body as JSON")
            self._route(path, query, headers, body)
        except ApiError as err:
            self._safe(self._send_error, err)
        except _Dropped:
            pass
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:
            # A bug in the fake or in a test's callable: answer 500 (not retried) and keep the
            # traceback where the test can see it.
            self.fake.internal_errors.append(traceback.format_exc())
            err = ApiError(
                500,
                "api_error",
                "fake_api internal error (see fake.internal_errors)",
                {"x-should-retry": "false"},
            )
            with contextlib.suppress(Exception):
                self._send_error(err)
            self.close_connection = True
        finally:
            if self._active_held is not None:
                self._active_held.finished.set()
            with self.fake._changed:
                self.fake._changed.notify_all()

    def _safe(self, send: Callable[..., None], *args: Any) -> None:
        try:
            send(*args)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _check_common(self, headers: dict[str, str], body: Any, *, vertex: bool) -> frozenset[str]:
        check_auth(headers, self.fake.api_keys)
        check_version(headers, body, vertex)
        return parse_betas(headers, self.fake.known_betas)

    def _route(self, path: str, query: dict[str, str], headers: dict[str, str], body: Any) -> None:
        method = self.command
        match = VERTEX.fullmatch(path)
        if match is not None and method == "POST":
            model = unquote(match["model"])
            betas = self._check_common(headers, body, vertex=True)
            if model == "count-tokens":
                if match["verb"] != "rawPredict":
                    raise ApiError(404, "not_found_error", "Not Found")
                self._count_tokens(body, betas)
                return
            self._create(body, betas, platform="vertex", path_model=model)
            return
        match = FIRST_PARTY.fullmatch(path)
        if match is None:
            raise ApiError(404, "not_found_error", "Not Found")
        platform = "foundry" if path.startswith("/anthropic/") else "first-party"
        rest = match["rest"]
        if rest == "" and method == "POST":
            betas = self._check_common(headers, body, vertex=False)
            self._create(body, betas, platform=platform)
            return
        if rest == "/count_tokens" and method == "POST":
            betas = self._check_common(headers, body, vertex=False)
            self._count_tokens(body, betas)
            return
        if rest.startswith("/batches"):
            betas = self._check_common(headers, body, vertex=False)
            self._batches(rest[len("/batches") :], method, query, body, betas)
            return
        raise ApiError(404, "not_found_error", "Not Found")

    # endpoints --------------------------------------------------------------------------

    def _count_tokens(self, body: Any, betas: frozenset[str]) -> None:
        checked = validate_count(body, self.fake.models, betas)
        self._send_json(200, {"input_tokens": checked.input_tokens})

    def _create(
        self, body: Any, betas: frozenset[str], *, platform: str, path_model: str | None = None
    ) -> None:
        fake = self.fake
        checked = validate_create(body, fake.models, betas, path_model=path_model)
        reply = fake._next_reply(body)
        held: HeldReply | None = None
        if isinstance(reply, HeldReply):
            held, reply = reply, reply.reply
            self._active_held = held
        stream = bool(body.get("stream"))
        if isinstance(reply, ErrorReply) or (isinstance(reply, StreamError) and not stream):
            if held is not None:
                self._hold(held)
            if isinstance(reply, StreamError):
                status = STATUS_BY_TYPE.get(reply.error_type, 500)
                raise ApiError(status, reply.error_type, reply.message)
            self._send_error_reply(reply)
            return
        content = _content_reply(reply)
        # The cache lookup happens on arrival; the writes become visible when the response
        # begins, so a hold before the start lets a parallel request miss.
        usage, writes = fake._plan_cache(checked, body, platform)
        self._recorded.usage = usage.as_usage()
        if held is not None and (held.before_start or not stream):
            self._hold(held)
            held = None
        if isinstance(reply, DropConnection) and (not stream or reply.after_events <= 0):
            self._drop()
        fake.cache.commit(writes)
        if not stream:
            self._send_json(
                200, render.message(content, checked.model, usage.as_usage(), "standard")
            )
            return
        self._stream(reply, content, checked, usage, held)

    def _send_error_reply(self, reply: ErrorReply) -> None:
        headers = dict(reply.headers)
        if reply.body is None:
            self._send_json(
                reply.status, error_body(reply.error_type, reply.message, self._request_id), headers
            )
        elif isinstance(reply.body, str):
            self._send_bytes(reply.status, reply.body.encode("utf-8"), "text/html", headers)
        else:
            self._send_json(reply.status, reply.body, headers)
        if reply.after_body is not None:
            reply.after_body.set()

    def _stream(
        self,
        reply: Any,
        content: ToolReply | TextReply,
        checked: Checked,
        usage: CacheUsage,
        held: HeldReply | None,
    ) -> None:
        self._write_head(
            200,
            {
                "content-type": "text/event-stream; charset=utf-8",
                "cache-control": "no-cache",
                "transfer-encoding": "chunked",
            },
        )
        cut = reply.after_events if isinstance(reply, (StreamError, DropConnection)) else None
        sent = 0
        for name, data in render.events(content, checked.model, usage.as_usage(), "standard"):
            if cut is not None and sent >= cut:
                break
            if content.event_delay and sent:
                time.sleep(content.event_delay)
            self._chunk(render.sse_frame(name, data))
            if name != "ping":
                sent += 1
            if name == "message_start" and held is not None:
                self._hold(held)
        if isinstance(reply, DropConnection):
            self._drop()
        if isinstance(reply, StreamError):
            payload = {
                "type": "error",
                "error": {"type": reply.error_type, "message": reply.message},
            }
            self._chunk(render.sse_frame("error", payload))
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
        self._recorded.last_byte_at = time.monotonic()  # for benchmarks: when the reply ended

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def _batches(
        self, rest: str, method: str, query: dict[str, str], body: Any, betas: frozenset[str]
    ) -> None:
        fake = self.fake
        if rest == "" and method == "POST":
            self._send_json(200, self._create_batch(body, betas))
            return
        if rest == "" and method == "GET":
            try:
                limit = int(query.get("limit", "20"))
            except ValueError as exc:
                raise invalid("limit: Input should be a valid integer") from exc
            if not 1 <= limit <= 1000:
                raise invalid("limit: Input should be between 1 and 1000")
            with fake._lock:
                page = fake.batches.page(
                    fake.url, query.get("after_id"), query.get("before_id"), limit
                )
            self._send_json(200, page)
            return
        match = re.fullmatch(r"/(?P<id>[^/]+)(?P<tail>/cancel|/results)?", rest)
        if match is None:
            raise ApiError(404, "not_found_error", "Not Found")
        with fake._lock:
            batch = fake.batches.batches.get(match["id"])
            if batch is None:
                raise ApiError(404, "not_found_error", f"message_batch: {match['id']} not found")
            tail = match["tail"]
            if tail is None and method == "GET":
                fake.batches.poll(batch, fake.batch_polls_until_done, fake._resolve_batch_request)
                payload = batch.to_json(fake.url)
            elif tail is None and method == "DELETE":
                if batch.processing_status != "ended":
                    raise invalid(
                        f"Message batch {batch.id} cannot be deleted while it is processing"
                    )
                del fake.batches.batches[batch.id]
                payload = {"id": batch.id, "type": "message_batch_deleted"}
            elif tail == "/cancel" and method == "POST":
                fake.batches.cancel(batch)
                payload = batch.to_json(fake.url)
            elif tail == "/results" and method == "GET":
                if batch.results is None:
                    raise ApiError(
                        404, "not_found_error", f"message_batch: {batch.id} has no results yet"
                    )
                lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in batch.results)
                payload = None
            else:
                raise ApiError(404, "not_found_error", "Not Found")
        if payload is None:
            self._send_bytes(200, lines.encode("utf-8"), "application/binary")
        else:
            self._send_json(200, payload)

    def _create_batch(self, body: Any, betas: frozenset[str]) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
            raise invalid("requests: Field required")
        requests = body["requests"]
        extra = [k for k in body if k != "requests"]
        if extra:
            raise invalid(f"{extra[0]}: Extra inputs are not permitted")
        if not requests:
            raise invalid("requests: List should have at least 1 item")
        if len(requests) > MAX_BATCH_REQUESTS:
            raise invalid(f"requests: at most {MAX_BATCH_REQUESTS} requests are allowed")
        seen: set[str] = set()
        for i, request in enumerate(requests):
            if not isinstance(request, dict) or not isinstance(request.get("custom_id"), str):
                raise invalid(f"requests.{i}.custom_id: Field required")
            if not isinstance(request.get("params"), dict):
                raise invalid(f"requests.{i}.params: Field required")
            if request["custom_id"] in seen:
                raise invalid(
                    f"requests.{i}.custom_id: duplicate custom_id {request['custom_id']!r}"
                )
            seen.add(request["custom_id"])
        with self.fake._lock:
            batch = self.fake.batches.create(requests, betas)
            return batch.to_json(self.fake.url)

    # control ----------------------------------------------------------------------------

    def _control(self, path: str) -> None:
        fake = self.fake
        raw, _ = self._read_body(fake.max_batch_body_bytes)
        try:
            data = json.loads(raw) if raw else None
            if path == "/_fake/health":
                payload: Any = {"ok": True, "url": fake.url}
            elif path == "/_fake/requests" and self.command == "GET":
                payload = [r.to_json() for r in fake.requests]
            elif path == "/_fake/script" and self.command == "POST":
                fake.load_script(data)
                payload = {"ok": True, "pending": fake.pending}
            elif path == "/_fake/reset" and self.command == "POST":
                fake.reset()
                payload = {"ok": True}
            elif path == "/_fake/advance" and self.command == "POST":
                fake.advance(float((data or {}).get("seconds", 0)))
                payload = {"ok": True, "clock": fake.clock}
            elif path == "/_fake/finish_batches" and self.command == "POST":
                fake.finish_batches()
                payload = {"ok": True}
            elif path == "/_fake/release" and self.command == "POST":
                name = (data or {}).get("name")
                fake.held[name].release.set()
                payload = {"ok": True}
            elif path == "/_fake/wait" and self.command == "POST":
                payload = {"ok": fake._wait_control(data or {})}
            elif path == "/_fake/held" and self.command == "GET":
                payload = {
                    name: {
                        "started": h.started.is_set(),
                        "disconnected": h.disconnected.is_set(),
                        "finished": h.finished.is_set(),
                    }
                    for name, h in fake.held.items()
                }
            else:
                self._send_json(404, {"error": f"no control endpoint {self.command} {path}"})
                return
        except (ValueError, TypeError, KeyError) as exc:
            self._send_json(400, {"error": f"{type(exc).__name__}: {exc}"})
            return
        self._send_json(200, payload)
