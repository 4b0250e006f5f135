"""Replies computed from what the request contains, for tests of the verification pass and of
the ``language`` setting. Each is a ``callable(request_json) -> reply`` that ``script()``
queues or ``default`` holds (see server.py); the replies are ordinary ``ToolReply``s, so the
wire stays the documented one (anthropic-api.md).

* ``Verifier(reject={title: reason}, confidence={title: x})``: answers a verification pass
  (its last block starts with ``Verification pass.``) by reading the findings it was sent,
  between the nonce-tagged ``-findings`` delimiters, and calling report_findings with the ones
  it keeps (each with its ``ref`` and a confidence) and the others under ``rejected``.
* ``Localized({"zh-CN": input, ...}, default=input)``: answers in the language the request
  asks for ("Write in zh-CN ..."), else with ``default``.
* ``seen(body)``: what a request contained, for assertions: its kind (review, verification,
  explain, warm), the language it states, the refs of the findings it sent to verify, and the
  texts of its blocks.

Every callable records the ``Seen`` of each request it answered in ``.seen``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .replies import ToolReply

_LANGUAGE = re.compile(r"^Write in ([A-Za-z0-9-]+)", re.M)
_FINDINGS = re.compile(r"<bp-[0-9a-f]+-findings>\n(.*?)\n</bp-[0-9a-f]+-findings>", re.S)


@dataclass
class Seen:
    kind: str  # review | verification | explain | warm
    language: str | None
    refs: list[str]
    findings: list[dict[str, Any]]  # the findings sent to a verification pass
    system: str
    blocks: list[str]  # the text of each user content block, in order
    cached_blocks: int  # blocks carrying cache_control


def _texts(body: dict[str, Any]) -> list[str]:
    content = body["messages"][0]["content"]
    if isinstance(content, str):
        return [content]
    return [b.get("text", "") for b in content if isinstance(b, dict)]


def seen(body: dict[str, Any]) -> Seen:
    blocks = _texts(body)
    last = blocks[-1] if blocks else ""
    if last.startswith("Verification pass."):
        kind = "verification"
    elif last.startswith("Explain this finding"):
        kind = "explain"
    elif last.startswith("Cache warm-up"):
        kind = "warm"
    else:
        kind = "review"
    found = _LANGUAGE.search(last)
    items: list[dict[str, Any]] = []
    if kind == "verification":
        match = _FINDINGS.search(last)
        if match:
            items = [json.loads(line) for line in match.group(1).splitlines() if line.strip()]
    system = body.get("system")
    system_text = (
        system
        if isinstance(system, str)
        else "".join(b.get("text", "") for b in system or [] if isinstance(b, dict))
    )
    content = body["messages"][0]["content"]
    return Seen(
        kind=kind,
        language=found.group(1) if found else None,
        refs=[i["ref"] for i in items],
        findings=items,
        system=system_text,
        blocks=blocks,
        cached_blocks=sum(1 for b in content if isinstance(b, dict) and "cache_control" in b)
        if isinstance(content, list)
        else 0,
    )


@dataclass
class Verifier:
    """A verification pass's answer: every finding it was sent is confirmed (with its ``ref``
    and ``confidence``, default 0.95) unless its title is in ``reject`` (then it is listed
    under ``rejected`` with that reason, or left out entirely when the reason is None).
    ``severity`` lowers a finding's severity by title; ``summary`` is the pass's summary;
    ``extra`` adds findings with no known ref (the pass must not be able to add them)."""

    reject: dict[str, str | None] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    severity: dict[str, str] = field(default_factory=dict)
    summary: str = "Verified."
    extra: list[dict[str, Any]] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)

    def __call__(self, body: dict[str, Any]) -> ToolReply:
        got = seen(body)
        self.seen.append(got)
        if got.kind != "verification":
            raise AssertionError(f"Verifier answered a {got.kind} request")
        confirmed, rejected = [], []
        for item in got.findings:
            title = item["title"]
            if title in self.reject:
                if self.reject[title] is not None:
                    rejected.append({"ref": item["ref"], "reason": self.reject[title]})
                continue
            out = {k: item[k] for k in ("ref", "path", "line", "quote", "category", "title")}
            out["severity"] = self.severity.get(title, item["severity"])
            out["message"] = item.get("message", "")
            out["confidence"] = self.confidence.get(title, 0.95)
            confirmed.append(out)
        return ToolReply(
            {"findings": confirmed + self.extra, "rejected": rejected, "summary": self.summary}
        )


@dataclass
class Localized:
    """A review's answer in the language the request states: ``by_language[tag]`` (the tool
    input), else ``default``."""

    by_language: dict[str, dict[str, Any]]
    default: dict[str, Any]
    seen: list[Seen] = field(default_factory=list)

    def __call__(self, body: dict[str, Any]) -> ToolReply:
        got = seen(body)
        self.seen.append(got)
        return ToolReply(self.by_language.get(got.language or "", self.default))
