"""What a scripted attempt answers: the reply kinds, and their JSON form for the control API.

JSON form (script files, ``POST /_fake/script``), one object per reply:

* ``{"kind": "tool", "input": {...}, "name"?, "chunks"?, "chunk_size"?, "stop_reason"?,
  "text_before"?, "thinking"?, "output_tokens"?, "truncate_json_at"?, "cut_input"?}``
* ``{"kind": "text", "text": "...", "stop_reason"?, "chunks"?, "output_tokens"?}``
* ``{"kind": "error", "status": 529, "error_type": "overloaded_error", "message": "...",
  "headers"?: {...}}``
* ``{"kind": "stream_error", "after_events": 3, "error_type"?, "message"?, "reply"?: {...}}``
* ``{"kind": "drop", "after_events": 2, "reply"?: {...}}``
* ``{"kind": "held", "reply": {...}, "name": "h1", "before_start"?: false}`` — released with
  ``POST /_fake/release {"name": "h1"}``.
* In ``batch_script`` only: ``"errored"``, ``"canceled"``, ``"expired"`` (strings), or
  ``{"kind": "errored" | "canceled" | "expired"}``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

CUT_INPUTS = ("prefix", "trailing", "empty", "raw")


@dataclass
class ToolReply:
    """A ``tool_use`` answer, streamed as input_json_delta chunks.

    ``chunks`` (number of pieces) or ``chunk_size`` (characters per piece) shape the deltas;
    by default the JSON is cut in 8 pieces. ``truncate_json_at=K`` emits only the first K
    characters of the JSON, with any ``stop_reason`` (``max_tokens`` is the documented case;
    ``tool_use`` models a reply cut without saying so). Streamed, the deltas carry exactly
    those K characters. Whole (a non-streaming reply, a batch result), the ``input`` of the
    tool_use block is what ``cut_input`` says, because the reference does not document what
    the API puts there for a cut call (UNCONFIRMED), so the client must accept every form:

    * ``"prefix"`` (the default): the prefix parsed as the SDK's stream accumulator parses
      partial JSON (jiter ``partial_mode="on"``: a string still being written is dropped,
      with its key);
    * ``"trailing"``: the same, keeping a string still being written (``trailing-strings``);
    * ``"empty"``: ``{}``;
    * ``"raw"``: the cut JSON text itself, as a string.

    ``text_before`` and
    ``thinking`` add a text block / a thinking block before the tool call. ``output_tokens``
    overrides the estimate (see tokens.py). ``event_delay`` pauses that many seconds between
    events, for tests of slow streams.
    """

    input: dict[str, Any]
    name: str = "report_findings"
    chunks: int | None = None
    chunk_size: int | None = None
    stop_reason: str = "tool_use"
    text_before: str | None = None
    thinking: str | None = None
    output_tokens: int | None = None
    truncate_json_at: int | None = None
    event_delay: float = 0.0
    cut_input: str = "prefix"

    def __post_init__(self) -> None:
        if self.cut_input not in CUT_INPUTS:
            raise ValueError(f"cut_input must be one of {CUT_INPUTS}, not {self.cut_input!r}")

    def json_text(self) -> str:
        text = json.dumps(self.input, ensure_ascii=False)
        if self.truncate_json_at is not None:
            text = text[: self.truncate_json_at]
        return text


@dataclass
class TextReply:
    """A text answer (also a refusal: ``stop_reason="refusal"``)."""

    text: str
    stop_reason: str = "end_turn"
    chunks: int | None = None
    chunk_size: int | None = None
    thinking: str | None = None
    output_tokens: int | None = None
    event_delay: float = 0.0


@dataclass
class ErrorReply:
    """An HTTP error with the documented body (§6.1) and a ``request-id`` header.

    ``headers`` are added to the response (``retry-after``, ``retry-after-ms``,
    ``x-should-retry``...). ``body`` replaces the JSON body entirely (a dict is sent as JSON,
    a str as text/html, e.g. a proxy's page). ``after_body`` is set once the response has been
    written, for tests that wait on an attempt having been answered.
    """

    status: int
    error_type: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)
    after_body: threading.Event | None = None
    body: dict[str, Any] | str | None = None


@dataclass
class StreamError:
    """A 200 stream of ``reply``'s events, cut after ``after_events`` non-ping events by an SSE
    ``event: error``. On a non-streaming request it becomes the plain HTTP error for its type."""

    after_events: int
    error_type: str = "overloaded_error"
    message: str = "Overloaded"
    reply: ToolReply | TextReply | None = None


@dataclass
class DropConnection:
    """Closes the socket after ``after_events`` non-ping events of ``reply`` (0: before any
    response byte, which the SDK sees as a connection error and retries)."""

    after_events: int
    reply: ToolReply | TextReply | None = None


@dataclass
class HeldReply:
    """Sends ``message_start`` then waits for ``release`` (or a client disconnect, or the fake
    closing) before sending the rest of ``reply``.

    ``before_start=True`` holds before anything is sent, and before the cache writes become
    visible (a non-streaming request, and a wrapped ErrorReply, always hold that way). ``started`` is set when the hold begins, ``disconnected`` when the fake noticed the
    client went away (the rest is then not sent), ``finished`` when the handler is done.
    """

    reply: Any
    release: threading.Event = field(default_factory=threading.Event)
    before_start: bool = False
    started: threading.Event = field(default_factory=threading.Event, init=False)
    disconnected: threading.Event = field(default_factory=threading.Event, init=False)
    finished: threading.Event = field(default_factory=threading.Event, init=False)


BATCH_ONLY_RESULTS = ("errored", "canceled", "expired")

Reply = ToolReply | TextReply | ErrorReply | StreamError | DropConnection | HeldReply


def reply_from_json(data: Any, held: dict[str, HeldReply] | None = None) -> Any:
    """Build a reply from its JSON form (see the module docstring)."""
    if isinstance(data, str) and data in BATCH_ONLY_RESULTS:
        return data
    if not isinstance(data, dict) or "kind" not in data:
        raise ValueError(f"a reply must be an object with a 'kind': {data!r}")
    kind = data["kind"]
    rest = {k: v for k, v in data.items() if k != "kind"}
    if kind in BATCH_ONLY_RESULTS:
        return kind
    if kind == "tool":
        return ToolReply(**rest)
    if kind == "text":
        return TextReply(**rest)
    if kind == "error":
        return ErrorReply(
            status=rest["status"],
            error_type=rest.get("error_type", "api_error"),
            message=rest.get("message", "Internal server error"),
            headers=dict(rest.get("headers") or {}),
            body=rest.get("body"),
        )
    if kind in ("stream_error", "drop", "held"):
        inner = rest.pop("reply", None)
        inner_reply = reply_from_json(inner, held) if inner is not None else None
        if kind == "stream_error":
            return StreamError(reply=inner_reply, **rest)
        if kind == "drop":
            return DropConnection(reply=inner_reply, **rest)
        name = rest.pop("name", None)
        reply = HeldReply(reply=inner_reply, **rest)
        if held is not None and name is not None:
            held[name] = reply
        return reply
    raise ValueError(f"unknown reply kind {kind!r}")
