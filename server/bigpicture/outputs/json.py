"""A review's result for programs: a stable, versioned JSON document.

Shape (``bigpicture review --format json``), version 1. Keys are always present (``null``
when there is no value); new keys may be added within a version, none removed or renamed::

    {
      "version": 1,
      "kind": "workspace" | "changes" | "file",
      "model": str,
      "complete": bool,              # false: the review did not finish; never read as "clean"
      "incomplete_reason": str | null,
      "summary": str,
      "findings": [                  # dismissed ones included, with "suppressed" set
        {
          "id": str,                 # 16 hex chars: path, anchored code, category, CWE
                                     # (stable across line moves and reworded titles)
          "path": str,               # workspace-relative, POSIX
          "line": int,               # 1-based first line
          "end_line": int | null,    # 1-based last line
          "range": {"start_line", "start_char", "end_line", "end_char"} | null,
                                     # 0-based lines, 0-based code-point columns, end exclusive
          "approximate": bool,       # the quote was not found; the range is the reported line
          "severity": "critical" | "high" | "medium" | "low" | "info",
          "category": "security" | "architecture" | "bug" | "performance" | "maintainability",
          "cwe": str | null,         # "CWE-89"
          "title": str,
          "message": str,
          "quote": str,              # the code the model quoted
          "fix": {"replacement": str} | null,   # replaces exactly "range"
          "related": [{"path", "line", "quote", "message", "range"}],
          "confidence": float | null,           # 0..1
          "suppressed": "false-positive" | "wont-fix" | null,
          "baseline_state": "new" | "unchanged" | "updated" | null   # null: no --baseline
        }
      ],
      "dropped": {"malformed", "unknown_path", "out_of_range", "below_threshold": int},
      "usage": {"input_tokens", "output_tokens", "cache_creation_input_tokens",
                "cache_read_input_tokens", "cache_write_5m", "cache_write_1h": int,
                "total_input": int, "cache_read_share": float} | null,
      "cost": {"usd": float, "tier": str, "batch": bool, "list_price_usd": float} | null,
      "request_id": str | null,
      "left_out": [{"path", "tokens", "reason"}],
      "skipped": [{"path", "reason", "detail"}],
      "redactions": [{"path", "line", "rule"}],   # where and which rule; never the value
      "files_sent": int,
      "from_cache": bool,            # answered by the local result cache, no API call
      "root": str,                   # the workspace root the paths are relative to
      "shards": [{"index", "files", "tokens", "status", "reason", "findings",
                  "request_id", "cost_usd", "from_cache"}],
                                     # a full-coverage review's shards (else []): status
                                     # complete | incomplete | failed
      "not_reviewed": [str],         # the files of the shards that did not complete
      "baseline": {"file": str, "new", "unchanged", "updated", "absent": int} | null
                                     # counts against --baseline FILE; null without
    }

``parse`` reads the document back into a ``models.ReviewResult``.
"""

from __future__ import annotations

from typing import Any

import msgspec

from bigpicture.core import models
from bigpicture.core.errors import ConfigError
from bigpicture.outputs.baseline import Comparison

VERSION = 1

_FINDING_KEYS = (
    "id",
    "path",
    "line",
    "end_line",
    "range",
    "approximate",
    "severity",
    "category",
    "cwe",
    "title",
    "message",
    "quote",
    "fix",
    "related",
    "confidence",
    "suppressed",
)


def _finding(f: models.Finding, comparison: Comparison | None) -> dict[str, Any]:
    raw = msgspec.to_builtins(f)
    out = {key: raw[key] for key in _FINDING_KEYS}
    out["baseline_state"] = comparison.states.get(f.id, "new") if comparison else None
    return out


def to_dict(result: models.ReviewResult, comparison: Comparison | None = None) -> dict[str, Any]:
    """The documented shape as plain data."""
    usage = None
    if result.usage is not None:
        usage = {
            **msgspec.to_builtins(result.usage),
            "total_input": result.usage.total_input,
            "cache_read_share": round(result.usage.cache_read_share, 4),
        }
    return {
        "version": VERSION,
        "kind": result.kind,
        "model": result.model,
        "complete": result.complete,
        "incomplete_reason": result.incomplete_reason,
        "summary": result.summary,
        "findings": [_finding(f, comparison) for f in result.findings],
        "dropped": msgspec.to_builtins(result.dropped),
        "usage": usage,
        "cost": msgspec.to_builtins(result.cost),
        "request_id": result.request_id,
        "left_out": msgspec.to_builtins(result.left_out),
        "skipped": msgspec.to_builtins(result.skipped),
        "redactions": msgspec.to_builtins(result.redactions),
        "files_sent": result.files_sent,
        "from_cache": result.from_cache,
        "root": result.root,
        "shards": msgspec.to_builtins(result.shards),
        "not_reviewed": result.not_reviewed,
        "baseline": {"file": comparison.name, **comparison.counts()} if comparison else None,
    }


def render(result: models.ReviewResult, comparison: Comparison | None = None) -> str:
    """The result as the JSON document (2-space indent, trailing newline)."""
    doc = to_dict(result, comparison)
    return msgspec.json.format(msgspec.json.encode(doc), indent=2).decode() + "\n"


class _Version(msgspec.Struct):
    version: int


def parse(text: str | bytes) -> models.ReviewResult:
    """A document written by ``render`` back into a ReviewResult."""
    try:
        version = msgspec.json.decode(text, type=_Version).version
    except msgspec.DecodeError as exc:
        raise ConfigError(f"not a BigPicture review result ({exc})") from None
    if version != VERSION:
        raise ConfigError(f"review result version {version} is not supported (expected {VERSION})")
    try:
        return msgspec.json.decode(text, type=models.ReviewResult)
    except msgspec.DecodeError as exc:
        raise ConfigError(f"not a BigPicture review result ({exc})") from None
