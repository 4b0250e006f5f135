"""The SDK's objects read into BigPicture's plain data: stream events and final messages into a
``Reply``, usage into ``Usage``, batches into ``BatchStatus`` and ``BatchItem``.

The report_findings input is kept twice: as the SDK parsed it (``tool_input``, which for a
streamed reply is a *partial* parse that accepts a cut JSON text) and, when streamed, as the
raw JSON text the deltas carried (``tool_json``), which ``core.reply.interpret`` checks as a
whole before it believes the reply is complete.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from bigpicture.core.models import Usage
from bigpicture.core.reply.findings import TOOL_NAME
from bigpicture.core.reply.interpret import Reply

OnProgress = Callable[[dict[str, Any]], Awaitable[None] | None]


@dataclass
class StreamState:
    """Which content block is the report_findings call, while a reply streams."""

    tool_index: int | None = None


async def dispatch(
    event: Any, reply: Reply, state: StreamState, on_progress: OnProgress | None
) -> None:
    """Fold one stream event (raw or synthesized by the SDK) into ``reply``."""
    etype = getattr(event, "type", "")
    if etype == "message_start":
        reply.usage = usage_of(event.message.usage)
        if on_progress:
            await _call(on_progress, {"stage": "started", "usage": reply.usage})
    elif etype == "content_block_start":
        block = event.content_block
        if getattr(block, "type", "") == "tool_use" and getattr(block, "name", "") == TOOL_NAME:
            state.tool_index = event.index
            reply.tool_json = ""  # a new call: its JSON starts here
    elif etype == "content_block_delta":
        delta = event.delta
        if getattr(delta, "type", "") == "input_json_delta" and event.index == state.tool_index:
            reply.tool_json = (reply.tool_json or "") + delta.partial_json
    elif etype == "input_json":
        reply.partial_tool_input = event.snapshot
        if on_progress:
            await _call(on_progress, {"stage": "receiving", "partial": event.snapshot})
    elif etype == "text":
        reply.text += event.text
    elif etype == "message_delta":
        if getattr(event, "usage", None) is not None:
            reply.usage = merge_usage(reply.usage, event.usage)
        if event.delta.stop_reason:
            reply.stop_reason = event.delta.stop_reason


async def _call(fn: OnProgress, payload: dict[str, Any]) -> None:
    res = fn(payload)
    if asyncio.iscoroutine(res):
        await res


def fill_final(msg: Any, reply: Reply) -> None:
    """The final (or non-streamed) message's stop reason, usage, tool input and text.

    A streamed reply keeps the raw JSON its deltas carried (``tool_json``); a whole one has
    only the parsed ``input``, which may be a prefix of a cut call (what the API puts there
    for one is undocumented: an object, ``{}``, or the text), so ``interpret`` checks it."""
    reply.stop_reason = msg.stop_reason
    reply.usage = usage_of(msg.usage)
    reply.model = msg.model or reply.model
    text = []
    for block in msg.content:
        if block.type == "tool_use" and block.name == TOOL_NAME:
            if isinstance(block.input, str):
                # not documented, but accepted: the call's JSON as text; checked whole
                reply.tool_json, reply.tool_input = block.input, None
            else:
                reply.tool_input = block.input
        elif block.type == "text":
            text.append(block.text)
    reply.text = "".join(text)


def usage_of(u: Any) -> Usage:
    if u is None:
        return Usage()
    cc = getattr(u, "cache_creation", None)
    w5 = getattr(cc, "ephemeral_5m_input_tokens", 0) or 0 if cc else 0
    w1 = getattr(cc, "ephemeral_1h_input_tokens", 0) or 0 if cc else 0
    created = getattr(u, "cache_creation_input_tokens", 0) or 0
    if not cc:
        w5, w1 = created, 0
    return Usage(
        input_tokens=u.input_tokens or 0,
        output_tokens=u.output_tokens or 0,
        cache_creation_input_tokens=created,
        cache_read_input_tokens=getattr(u, "cache_read_input_tokens", 0) or 0,
        cache_write_5m=w5,
        cache_write_1h=w1,
    )


def merge_usage(prev: Usage, delta: Any) -> Usage:
    """message_delta usage is cumulative; its optional fields may be left out."""
    changes: dict[str, int] = {}
    for name in (
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
    ):
        val = getattr(delta, name, None)
        if val is not None:
            changes[name] = val
    return msgspec.structs.replace(prev, **changes)


# --------------------------------------------------------------------------- message batches


@dataclass
class BatchStatus:
    """A Message Batch as the API reports it (its ``processing_status`` and request counts)."""

    id: str
    processing_status: str  # in_progress | canceling | ended
    counts: dict[str, int]  # processing, succeeded, errored, canceled, expired
    created_at: str | None = None
    expires_at: str | None = None
    ended_at: str | None = None
    cancel_initiated_at: str | None = None

    @property
    def ended(self) -> bool:
        return self.processing_status == "ended"


@dataclass
class BatchItem:
    """One request's result: ``kind`` is succeeded, errored, canceled or expired; a
    succeeded one has ``reply``, an errored one ``error`` (type: message)."""

    custom_id: str
    kind: str
    reply: Reply | None = None
    error: str | None = None


def _stamp(value: Any) -> str | None:
    if value is None:
        return None
    iso = getattr(value, "isoformat", None)
    return iso().replace("+00:00", "Z") if iso else str(value)


def batch_status(b: Any) -> BatchStatus:
    rc = b.request_counts
    counts = {
        k: int(getattr(rc, k, 0) or 0)
        for k in ("processing", "succeeded", "errored", "canceled", "expired")
    }
    return BatchStatus(
        id=b.id,
        processing_status=str(b.processing_status),
        counts=counts,
        created_at=_stamp(b.created_at),
        expires_at=_stamp(b.expires_at),
        ended_at=_stamp(b.ended_at),
        cancel_initiated_at=_stamp(b.cancel_initiated_at),
    )


def batch_item(line: Any, batch_id: str) -> BatchItem:
    result = line.result
    kind = str(result.type)
    item = BatchItem(custom_id=line.custom_id, kind=kind)
    if kind == "succeeded":
        reply = Reply(model=str(result.message.model or ""), request_id=batch_id)
        fill_final(result.message, reply)
        item.reply = reply
    elif kind == "errored":
        err = getattr(result.error, "error", None)
        etype = getattr(err, "type", "error")
        emsg = getattr(err, "message", "") or ""
        rid = getattr(result.error, "request_id", None)
        item.error = f"{etype}: {emsg}" + (f" (request {rid})" if rid else "")
    return item
