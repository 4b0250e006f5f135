"""What a reply means: a complete review, or an incomplete one with what could be recovered.

A reply arrives streamed (the language server and the CLI), whole (a non-streaming request:
explain, keep-warm) or from a Message Batch's results; the client layer fills a ``Reply``
the same way for all three, and this module reads it the same way for all three.

Never a false all-clear. A review is complete only when the model called
``report_findings`` and its input is whole: when the tool input's JSON was streamed, the raw
text must parse as one JSON object (the SDK's partial-JSON parser would keep a prefix of a
cut reply, and a cut inside the first finding would read as "no findings"); in every form the
``summary`` (the last field the schema asks for) must be there, and the last finding must not
be cut short. A refusal, a reply cut by ``max_tokens`` or the window, a broken stream, a
missing or malformed call: each is incomplete, with the findings that were recovered.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bigpicture.core import errors
from bigpicture.core.models import Finding, Usage
from bigpicture.core.reply import findings as findings_mod
from bigpicture.core.reply.findings import Known


@dataclass
class Reply:
    """What came back, whole or not, in the same form for every way of asking."""

    stop_reason: str | None = None
    tool_input: Any = None  # the parsed report_findings input, as the SDK gave it
    tool_json: str | None = None  # its raw JSON text, when it was streamed
    partial_tool_input: Any = None  # the last partial snapshot, when the stream broke
    text: str = ""
    usage: Usage = field(default_factory=Usage)
    request_id: str | None = None
    model: str = ""
    error: errors.ApiError | None = None  # a failure after the stream began
    interrupted: bool = False  # cancelled (Ctrl-C, a new review) after the API accepted it
    attempts: int = 0  # HTTP responses seen for it (the first and the SDK's retries)


@dataclass
class Interpretation:
    findings: list[Finding]
    summary: str
    malformed: int
    complete: bool
    reason: str | None = None


_REQUIRED = ("path", "line", "quote", "severity", "category", "title")


def recover(partial: Any, known: Sequence[Known] = ()) -> tuple[list[Finding], int]:
    """The findings that decode from a partial or broken tool input, and the malformed count
    (a last finding that was still being written counts as malformed)."""
    if not isinstance(partial, dict) or not isinstance(partial.get("findings"), list):
        return [], 0
    return findings_mod.decode_items(partial["findings"], known)


def cut_short(tool_input: Any, tool_json: str | None) -> str | None:
    """Why a tool input that looks whole is not (None when it is whole).

    Streamed: the raw JSON text must parse as one object. Whole (non-streaming, batch): the
    schema puts ``summary`` last and requires it, so an input without it, or whose last
    finding lacks a required field, was cut."""
    if tool_json is not None:
        try:
            whole = json.loads(tool_json) if tool_json.strip() else None
        except (ValueError, RecursionError):
            return "the findings JSON was cut off before its end"
        return None if isinstance(whole, dict) else "the findings JSON is not an object"
    if not isinstance(tool_input, dict):
        return None  # malformed: reported by the decoder
    if "summary" not in tool_input:
        return "the findings JSON ended before its summary"
    items = tool_input.get("findings")
    if isinstance(items, list) and items:
        last = items[-1]
        if not isinstance(last, dict) or any(k not in last for k in _REQUIRED):
            return "the last finding was cut short"
    return None


def _incomplete(reply: Reply, reason: str, known: Sequence[Known]) -> Interpretation:
    got, bad = recover(reply.tool_input or reply.partial_tool_input, known)
    return Interpretation(got, "", bad, False, reason)


def interpret(reply: Reply, thinking: bool, known: Sequence[Known] = ()) -> Interpretation:
    """The review a reply gives (see the module docstring for what is complete).

    ``known``: the findings items already decoded while the reply streamed
    (``findings.decode_tool_input``), not decoded again."""
    if reply.interrupted:
        return _incomplete(reply, "the review was interrupted", known)
    if reply.error is not None:
        return _incomplete(reply, reply.error.message, known)
    if reply.stop_reason == "refusal":
        return _incomplete(reply, "the model refused to complete the review", known)
    if reply.stop_reason in ("max_tokens", "model_context_window_exceeded"):
        return _incomplete(
            reply,
            "the reply was cut off at the output limit (raise maxOutputTokens, or review less)",
            known,
        )
    if reply.tool_input is not None or reply.tool_json is not None:
        why = cut_short(reply.tool_input, reply.tool_json)
        if why is not None:
            return _incomplete(reply, f"{why}: the review is incomplete", known)
        raw = json.loads(reply.tool_json) if reply.tool_json else reply.tool_input
        try:
            got, summary, bad = findings_mod.decode_tool_input(raw, known)
        except errors.IncompleteReview as e:
            return Interpretation([], "", 0, False, f"malformed report_findings call: {e.message}")
        return Interpretation(got, summary, bad, True)
    if thinking and reply.text:
        try:
            got, summary, bad = findings_mod.decode_text_reply(reply.text)
            return Interpretation(got, summary, bad, True)
        except errors.IncompleteReview:
            pass
    return Interpretation([], "", 0, False, "the model did not call report_findings")
