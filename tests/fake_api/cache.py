"""The prompt cache, as documented (anthropic-api.md §2).

* An entry is keyed by a hash of the exact prefix up to and including one block (markers
  excluded, JSON key order kept) plus the model. Section context is mixed in the way the
  invalidation matrix (§2.2) says: ``speed`` before the system section; ``tool_choice``,
  ``thinking``, ``output_config.format`` and whether images appear anywhere before the messages.
* Writes happen only at breakpoints whose prefix reaches the model's minimum cacheable length.
  If the last breakpoint's prefix is below the minimum, nothing is cached: both fields are 0.
* Reads: for each breakpoint, check it and walk back at most 20 positions (the breakpoint
  itself is the first); the furthest live hit ``A`` is read. Tokens after ``A`` up to the
  last 1h breakpoint ``B`` are 1h writes, from there to the last breakpoint ``C`` 5m writes;
  everything after ``C`` is ``input_tokens``.
* Entries expire ``ttl`` seconds (300 or 3600) after their last write or hit, on the fake's
  clock. A hit refreshes the TTL.
* ``plan`` computes usage and the writes; ``commit`` makes them visible. The server commits when
  the response begins, so requests that arrive before that miss, as documented.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .prefix import PrefixBlock

TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}
LOOKBACK = 20


@dataclass(frozen=True)
class CacheUsage:
    input_tokens: int
    cache_read_input_tokens: int = 0
    ephemeral_5m_input_tokens: int = 0
    ephemeral_1h_input_tokens: int = 0

    @property
    def cache_creation_input_tokens(self) -> int:
        return self.ephemeral_5m_input_tokens + self.ephemeral_1h_input_tokens

    def as_usage(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "cache_creation": {
                "ephemeral_5m_input_tokens": self.ephemeral_5m_input_tokens,
                "ephemeral_1h_input_tokens": self.ephemeral_1h_input_tokens,
            },
        }


@dataclass
class _Entry:
    ttl: float
    expires_at: float


def _has_images(value: Any) -> bool:
    if isinstance(value, dict):
        if value.get("type") == "image":
            return True
        return any(_has_images(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_images(v) for v in value)
    return False


def _digest(previous: bytes, unit: Any) -> bytes:
    data = json.dumps(unit, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(previous + data).digest()


def prefix_keys(model_key: str, body: dict[str, Any], blocks: list[PrefixBlock]) -> list[bytes]:
    """One key per block: the hash of everything up to and including it."""
    h = _digest(b"", {"model": model_key})
    keys: list[bytes] = []
    section = "tools"
    for block in blocks:
        if section == "tools" and block.section != "tools":
            h = _digest(h, {"section": "system", "speed": body.get("speed")})
            section = "system"
        if section == "system" and block.section == "messages":
            output_config = body.get("output_config") or {}
            h = _digest(
                h,
                {
                    "section": "messages",
                    "tool_choice": body.get("tool_choice"),
                    "thinking": body.get("thinking"),
                    "format": output_config.get("format") or body.get("output_format"),
                    "images": _has_images(body.get("messages")) or _has_images(body.get("system")),
                },
            )
            section = "messages"
        h = _digest(h, block.unit)
        keys.append(h)
    return keys


class PromptCache:
    """Cache entries with TTLs on an injectable clock. Thread-safe."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._entries: dict[bytes, _Entry] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        now = self._clock()
        with self._lock:
            return sum(1 for e in self._entries.values() if e.expires_at > now)

    def plan(
        self, model_key: str, body: dict[str, Any], blocks: list[PrefixBlock], min_tokens: int
    ) -> tuple[CacheUsage, list[tuple[bytes, float]]]:
        """Usage for this request and the entries it writes (to ``commit`` later)."""
        total = sum(b.tokens for b in blocks)
        breakpoints = [i for i, b in enumerate(blocks) if b.ttl is not None]
        if not breakpoints:
            return CacheUsage(input_tokens=total), []
        cumulative: list[int] = []
        running = 0
        for b in blocks:
            running += b.tokens
            cumulative.append(running)
        last = breakpoints[-1]
        if cumulative[last] < min_tokens:
            return CacheUsage(input_tokens=total), []
        keys = prefix_keys(model_key, body, blocks)
        now = self._clock()
        hit = -1
        with self._lock:
            hits: list[int] = []
            for bp in breakpoints:
                for pos in range(bp, max(bp - LOOKBACK, -1), -1):
                    entry = self._entries.get(keys[pos])
                    if entry is not None and entry.expires_at > now:
                        hits.append(pos)
                        break
            for pos in hits:
                entry = self._entries[keys[pos]]
                entry.expires_at = now + entry.ttl
            hit = max(hits, default=-1)
        read = cumulative[hit] if hit >= 0 else 0
        one_hour = [bp for bp in breakpoints if blocks[bp].ttl == "1h" and bp > hit]
        written_1h_end = cumulative[one_hour[-1]] if one_hour else read
        usage = CacheUsage(
            input_tokens=total - cumulative[last],
            cache_read_input_tokens=read,
            ephemeral_1h_input_tokens=written_1h_end - read,
            ephemeral_5m_input_tokens=cumulative[last] - written_1h_end,
        )
        writes = [
            (keys[bp], TTL_SECONDS[blocks[bp].ttl or "5m"])
            for bp in breakpoints
            if bp > hit and cumulative[bp] >= min_tokens
        ]
        return usage, writes

    def commit(self, writes: list[tuple[bytes, float]]) -> None:
        now = self._clock()
        with self._lock:
            for key, ttl in writes:
                self._entries[key] = _Entry(ttl=ttl, expires_at=now + ttl)
