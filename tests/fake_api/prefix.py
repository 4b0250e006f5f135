"""The request's prompt as the ordered list of blocks caching works on (anthropic-api.md §2).

Order: ``tools`` → ``system`` → ``messages`` (each content block of each turn). Each entry
carries its token count, its ``cache_control`` marker (if any) and whether it could carry one.
Marker rules checked here (§2, §13 item 6):

* at most 4 explicit markers, at most 3 with top-level ``cache_control``;
* ``type`` must be ``ephemeral``; ``ttl`` ∈ {``5m``, ``1h``}; 1h markers before 5m markers;
* no marker on thinking / redacted_thinking blocks or on empty text blocks;
* inside ``tool_result.content`` / ``document.source.content`` only the last inner block may
  carry one, and it counts as the parent's marker;
* top-level ``cache_control`` marks the last cacheable block; if that block already has a
  marker with the same TTL it is a no-op, a different TTL is a 400.

The exact error texts for these cases are not quoted in the reference (UNCONFIRMED); only the
status and ``invalid_request_error`` type are relied on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import invalid
from .tokens import BLOCK_OVERHEAD, block_tokens, text_tokens, tool_tokens, without_cache_control

TTLS = ("5m", "1h")
MAX_BREAKPOINTS = 4


@dataclass
class PrefixBlock:
    section: str  # "tools" | "system" | "messages"
    unit: Any  # what the cache key hashes: the block without cache_control (+ role)
    tokens: int
    ttl: str | None  # the cache_control TTL when the block is a breakpoint
    cacheable: bool  # could carry a marker (target of top-level cache_control)


def _marker_ttl(marker: Any, where: str) -> str:
    if not isinstance(marker, dict) or marker.get("type") != "ephemeral":
        raise invalid(f"{where}.cache_control.type: Input should be 'ephemeral'")
    ttl = marker.get("ttl", "5m")
    if ttl not in TTLS:
        raise invalid(f"{where}.cache_control.ttl: Input should be '5m' or '1h'")
    return ttl


def _inner_marker(content: Any, where: str) -> str | None:
    """The TTL of the marker on the last inner block; a marker elsewhere is a 400."""
    if not isinstance(content, list):
        return None
    ttl = None
    for i, inner in enumerate(content):
        if isinstance(inner, dict) and inner.get("cache_control") is not None:
            if i != len(content) - 1:
                raise invalid(
                    f"{where}.content.{i}.cache_control: cache_control is only allowed on the "
                    "last block of nested content"
                )
            ttl = _marker_ttl(inner["cache_control"], f"{where}.content.{i}")
    return ttl


def _block_entry(block: Any, role: str, where: str) -> PrefixBlock:
    if isinstance(block, str):
        block = {"type": "text", "text": block}
    if not isinstance(block, dict) or "type" not in block:
        raise invalid(f"{where}: Input should be a valid content block")
    kind = block["type"]
    ttl = None
    if block.get("cache_control") is not None:
        if kind in ("thinking", "redacted_thinking"):
            raise invalid(f"{where}.cache_control: thinking blocks cannot be marked for caching")
        if kind == "text" and not block.get("text"):
            raise invalid(
                f"{where}.cache_control: cache_control cannot be set for empty text blocks"
            )
        ttl = _marker_ttl(block["cache_control"], where)
    nested = None
    if kind == "tool_result":
        nested = _inner_marker(block.get("content"), where)
    elif kind == "document" and isinstance(block.get("source"), dict):
        nested = _inner_marker(block["source"].get("content"), f"{where}.source")
    if nested is not None:
        if ttl is not None and ttl != nested:
            raise invalid(f"{where}: conflicting cache_control TTLs")
        ttl = nested
    cacheable = kind not in ("thinking", "redacted_thinking") and not (
        kind == "text" and not block.get("text")
    )
    return PrefixBlock(
        section="messages",
        unit={"role": role, "block": without_cache_control(block)},
        tokens=block_tokens(block),
        ttl=ttl,
        cacheable=cacheable,
    )


def flatten(body: dict[str, Any], *, check_markers: bool = True) -> list[PrefixBlock]:
    """The prompt as blocks in cache-prefix order, top-level ``cache_control`` applied."""
    blocks: list[PrefixBlock] = []
    for i, tool in enumerate(body.get("tools") or []):
        ttl = None
        if isinstance(tool, dict) and tool.get("cache_control") is not None:
            ttl = _marker_ttl(tool["cache_control"], f"tools.{i}")
        blocks.append(
            PrefixBlock("tools", without_cache_control(tool), tool_tokens(tool), ttl, True)
        )
    system = body.get("system")
    if isinstance(system, str):
        if system:
            blocks.append(
                PrefixBlock("system", system, BLOCK_OVERHEAD + text_tokens(system), None, True)
            )
    elif isinstance(system, list):
        for i, block in enumerate(system):
            entry = _block_entry(block, "system", f"system.{i}")
            entry.section = "system"
            blocks.append(entry)
    elif system is not None:
        raise invalid("system: Input should be a valid string or a list of text blocks")
    for m, message in enumerate(body.get("messages") or []):
        role = message.get("role")
        content = message.get("content")
        if isinstance(content, str):
            blocks.append(_block_entry(content, role, f"messages.{m}.content"))
        elif isinstance(content, list):
            for b, block in enumerate(content):
                blocks.append(_block_entry(block, role, f"messages.{m}.content.{b}"))
        else:
            raise invalid(f"messages.{m}.content: Input should be a valid string or list")

    explicit = sum(1 for b in blocks if b.ttl is not None)
    top = body.get("cache_control")
    if top is not None:
        if check_markers or not isinstance(top, dict):
            top_ttl = _marker_ttl(top, "cache_control")
        else:
            top_ttl = top.get("ttl", "5m")
        if check_markers and explicit > MAX_BREAKPOINTS - 1:
            raise invalid(
                f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided "
                f"(automatic caching uses one). Found {explicit + 1}."
            )
        target = next((b for b in reversed(blocks) if b.cacheable), None)
        if target is not None:
            if target.ttl is None:
                target.ttl = top_ttl
            elif target.ttl != top_ttl and check_markers:
                raise invalid(
                    "cache_control: the top-level cache_control TTL differs from the TTL on "
                    "the last cacheable block"
                )
    if check_markers:
        if explicit > MAX_BREAKPOINTS:
            raise invalid(
                f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided. "
                f"Found {explicit}."
            )
        seen_5m = False
        for b in blocks:
            if b.ttl == "5m":
                seen_5m = True
            elif b.ttl == "1h" and seen_5m:
                raise invalid(
                    "cache_control: a ttl='1h' cache entry must come before any ttl='5m' entry"
                )
    return blocks


def total_tokens(blocks: list[PrefixBlock]) -> int:
    return sum(b.tokens for b in blocks)
