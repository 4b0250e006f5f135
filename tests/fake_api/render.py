"""Turning a ToolReply / TextReply into a Message (§10.3) or the SSE event sequence (§7).

Stream: ``message_start`` (usage with the cache fields, ``output_tokens`` 1), a ``ping``, then
per block ``content_block_start`` / ``content_block_delta``... / ``content_block_stop`` (a ping
after every third delta; thinking blocks end with a ``signature_delta``), ``message_delta``
(stop_reason, cumulative usage), ``message_stop``.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from typing import Any

from .replies import TextReply, ToolReply
from .tokens import output_tokens

DEFAULT_CHUNKS = 8
PING = ("ping", {"type": "ping"})


def new_id(prefix: str) -> str:
    return f"{prefix}_01{uuid.uuid4().hex[:22]}"


def _pieces(text: str, chunks: int | None, chunk_size: int | None) -> list[str]:
    if not text:
        return [""]
    if chunk_size is None:
        count = max(1, chunks or DEFAULT_CHUNKS)
        chunk_size = max(1, math.ceil(len(text) / count))
    return [text[i : i + chunk_size] for i in range(0, len(text), chunk_size)]


def _signature(thinking: str) -> str:
    return "fakesig_" + uuid.uuid5(uuid.NAMESPACE_OID, thinking).hex


def _whole_input(reply: ToolReply) -> Any:
    """The ``input`` of a non-streamed tool_use block: the object, or for a cut JSON text the
    form ``reply.cut_input`` names (see ``ToolReply``)."""
    text = reply.json_text()
    try:
        return json.loads(text)
    except ValueError:
        pass
    if reply.cut_input == "empty":
        return {}
    if reply.cut_input == "raw":
        return text
    mode = "trailing-strings" if reply.cut_input == "trailing" else "on"
    try:
        import jiter

        value = jiter.from_json(text.encode("utf-8"), partial_mode=mode)
        return value if isinstance(value, dict) else {}
    except (ImportError, ValueError):
        return {}


def _output_tokens(reply: ToolReply | TextReply) -> int:
    if reply.output_tokens is not None:
        return reply.output_tokens
    if isinstance(reply, ToolReply):
        return output_tokens(reply.thinking, reply.text_before, reply.name, reply.json_text())
    return output_tokens(reply.thinking, reply.text)


def content_blocks(reply: ToolReply | TextReply, tool_id: str) -> list[dict[str, Any]]:
    """The final ``content`` array."""
    blocks: list[dict[str, Any]] = []
    if reply.thinking is not None:
        blocks.append(
            {
                "type": "thinking",
                "thinking": reply.thinking,
                "signature": _signature(reply.thinking),
            }
        )
    if isinstance(reply, ToolReply):
        if reply.text_before is not None:
            blocks.append({"type": "text", "text": reply.text_before})
        blocks.append(
            {
                "type": "tool_use",
                "id": tool_id,
                "name": reply.name,
                "input": _whole_input(reply),
            }
        )
    else:
        blocks.append({"type": "text", "text": reply.text})
    return blocks


def message(
    reply: ToolReply | TextReply, model: str, usage: dict[str, Any], service_tier: str
) -> dict[str, Any]:
    """The non-streaming Message."""
    full_usage = {**usage, "output_tokens": _output_tokens(reply), "service_tier": service_tier}
    return {
        "id": new_id("msg"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content_blocks(reply, new_id("toolu")),
        "stop_reason": reply.stop_reason,
        "stop_sequence": None,
        "usage": full_usage,
    }


def events(
    reply: ToolReply | TextReply, model: str, usage: dict[str, Any], service_tier: str
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The SSE events, in order, as ``(event name, data)``."""
    yield (
        "message_start",
        {
            "type": "message_start",
            "message": {
                "id": new_id("msg"),
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {**usage, "output_tokens": 1, "service_tier": service_tier},
            },
        },
    )
    yield PING
    index = 0
    deltas = 0

    def block(start: dict[str, Any], delta_type: str, key: str, pieces: list[str]):
        nonlocal deltas
        yield (
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": start},
        )
        for piece in pieces:
            yield (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": delta_type, key: piece},
                },
            )
            deltas += 1
            if deltas % 3 == 0:
                yield PING

    if reply.thinking is not None:
        yield from block(
            {"type": "thinking", "thinking": "", "signature": ""},
            "thinking_delta",
            "thinking",
            _pieces(reply.thinking, reply.chunks, reply.chunk_size),
        )
        yield (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": index,
                "delta": {"type": "signature_delta", "signature": _signature(reply.thinking)},
            },
        )
        yield ("content_block_stop", {"type": "content_block_stop", "index": index})
        index += 1
    if isinstance(reply, ToolReply):
        if reply.text_before is not None:
            yield from block(
                {"type": "text", "text": ""},
                "text_delta",
                "text",
                _pieces(reply.text_before, reply.chunks, reply.chunk_size),
            )
            yield ("content_block_stop", {"type": "content_block_stop", "index": index})
            index += 1
        yield from block(
            {"type": "tool_use", "id": new_id("toolu"), "name": reply.name, "input": {}},
            "input_json_delta",
            "partial_json",
            _pieces(reply.json_text(), reply.chunks, reply.chunk_size),
        )
    else:
        yield from block(
            {"type": "text", "text": ""},
            "text_delta",
            "text",
            _pieces(reply.text, reply.chunks, reply.chunk_size),
        )
    yield ("content_block_stop", {"type": "content_block_stop", "index": index})
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": reply.stop_reason, "stop_sequence": None},
            "usage": {
                "input_tokens": usage["input_tokens"],
                "cache_creation_input_tokens": usage["cache_creation_input_tokens"],
                "cache_read_input_tokens": usage["cache_read_input_tokens"],
                "output_tokens": _output_tokens(reply),
            },
        },
    )
    yield ("message_stop", {"type": "message_stop"})


def sse_frame(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()
