"""The fake's one token counter, used for usage, count_tokens, the window check and caching.

Deterministic and documented so tests can predict it:

* a piece of text costs ``ceil(len(text.encode("utf-8")) / 4)`` tokens;
* every block costs ``BLOCK_OVERHEAD`` (3) tokens plus its text:
  - ``text``: its text; a message whose ``content`` is a string is one text block;
  - ``tool_use``: name + compact JSON of ``input`` (``separators=(",", ":")``, key order kept);
  - ``tool_result``: its string content, or the sum of its inner blocks;
  - ``thinking``: the thinking text; ``redacted_thinking``: its data;
  - ``image`` and non-text ``document`` sources: a flat ``MEDIA_TOKENS`` (1600);
    a ``document`` with a text source: its text; with a content source: its inner blocks;
  - anything else: the compact JSON of the block without ``cache_control``;
* a system prompt given as a string is one text block;
* a tool definition costs 3 + text of name + description + compact JSON of ``input_schema``
  (server tools without a schema: compact JSON of the definition without ``cache_control``).

The request's input total is the sum over tools, system blocks and message blocks. Nothing else
(no per-message or tool-use system-prompt overhead) is added.
"""

from __future__ import annotations

import json
import math
from typing import Any

BLOCK_OVERHEAD = 3
MEDIA_TOKENS = 1600


def text_tokens(text: str) -> int:
    return math.ceil(len(text.encode("utf-8")) / 4)


def compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def without_cache_control(value: Any) -> Any:
    """A deep copy of ``value`` with every ``cache_control`` key removed."""
    if isinstance(value, dict):
        return {k: without_cache_control(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [without_cache_control(v) for v in value]
    return value


def _content_tokens(content: Any) -> int:
    if isinstance(content, str):
        return text_tokens(content)
    if isinstance(content, list):
        return sum(block_tokens(b) for b in content)
    return 0


def block_tokens(block: Any) -> int:
    """Tokens of one content block, overhead included."""
    if isinstance(block, str):
        return BLOCK_OVERHEAD + text_tokens(block)
    if not isinstance(block, dict):
        return BLOCK_OVERHEAD + text_tokens(compact_json(block))
    kind = block.get("type")
    if kind == "text":
        return BLOCK_OVERHEAD + text_tokens(str(block.get("text", "")))
    if kind == "tool_use":
        name = str(block.get("name", ""))
        return BLOCK_OVERHEAD + text_tokens(name) + text_tokens(compact_json(block.get("input")))
    if kind == "tool_result":
        return BLOCK_OVERHEAD + _content_tokens(block.get("content", ""))
    if kind == "thinking":
        return BLOCK_OVERHEAD + text_tokens(str(block.get("thinking", "")))
    if kind == "redacted_thinking":
        return BLOCK_OVERHEAD + text_tokens(str(block.get("data", "")))
    if kind == "image":
        return BLOCK_OVERHEAD + MEDIA_TOKENS
    if kind == "document":
        source = block.get("source") or {}
        if source.get("type") == "text":
            return BLOCK_OVERHEAD + text_tokens(str(source.get("data", "")))
        if source.get("type") == "content":
            return BLOCK_OVERHEAD + _content_tokens(source.get("content", []))
        return BLOCK_OVERHEAD + MEDIA_TOKENS
    return BLOCK_OVERHEAD + text_tokens(compact_json(without_cache_control(block)))


def tool_tokens(tool: Any) -> int:
    """Tokens of one tool definition."""
    if isinstance(tool, dict) and "input_schema" in tool:
        text = (
            str(tool.get("name", ""))
            + str(tool.get("description", ""))
            + compact_json(tool.get("input_schema"))
        )
        return BLOCK_OVERHEAD + text_tokens(text)
    return BLOCK_OVERHEAD + text_tokens(compact_json(without_cache_control(tool)))


def output_tokens(*texts: str | None) -> int:
    """The output estimate for a reply: the text of what it generates, at least 1."""
    return max(1, sum(text_tokens(t) for t in texts if t))
