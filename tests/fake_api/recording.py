"""What the fake received: recorded requests, and the path patterns that name the endpoints."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

FIRST_PARTY = re.compile(r"(?:/anthropic)?/v1/messages(?P<rest>(?:/.*)?)")
VERTEX = re.compile(
    r"(?:/v1)?/projects/(?P<project>[^/]+)/locations/(?P<region>[^/]+)"
    r"/publishers/anthropic/models/(?P<model>[^/]+):(?P<verb>rawPredict|streamRawPredict)"
)


@dataclass
class RecordedRequest:
    """One HTTP request as the fake received it (control requests are not recorded)."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: Any  # parsed JSON, or None
    raw: bytes
    retry_count: int  # x-stainless-retry-count, 0 when absent
    query: dict[str, str] = field(default_factory=dict)
    status: int | None = None  # the response status, once sent (None: dropped or pending)
    request_id: str = ""
    last_byte_at: float | None = None  # time.monotonic() once a stream's last byte was written
    usage: dict[str, Any] | None = None  # the usage a messages create answered with

    @property
    def is_messages_create(self) -> bool:
        if self.method != "POST":
            return False
        if FIRST_PARTY.fullmatch(self.path) and not FIRST_PARTY.fullmatch(self.path)["rest"]:
            return True
        match = VERTEX.fullmatch(self.path)
        return bool(match) and unquote(match["model"]) != "count-tokens"

    @property
    def model(self) -> str | None:
        """The model asked for: from the body, or from a Vertex path."""
        if isinstance(self.body, dict) and isinstance(self.body.get("model"), str):
            return self.body["model"]
        match = VERTEX.fullmatch(self.path)
        if match is not None and unquote(match["model"]) != "count-tokens":
            return unquote(match["model"])
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.body,
            "retry_count": self.retry_count,
            "status": self.status,
            "request_id": self.request_id,
            "last_byte_at": self.last_byte_at,
        }
