"""The findings contract: the ``report_findings`` tool, its schema, and decoding its input.

The model answers through one tool, ``report_findings``, whose input is
``{"findings": [...], "summary": "..."}``. The wire form is defined once, as the msgspec
Structs below; the JSON schema sent to the API is generated from them.

Decoding is tolerant one finding at a time: a finding whose required fields are missing or
invalid is dropped and counted (``malformed``), never the whole reply; a bad *optional*
field (``cwe``, ``confidence``, ``end_line``, ``fix``, one ``related`` entry) is dropped on
its own and the finding kept. A reply with no ``findings`` at all is not "no findings": it
raises :class:`ReplyFormatError`, which the caller reports as an incomplete review.

Every piece of model text that will be shown (title, message, summary, related messages)
is sanitized here: ANSI escapes, bidi overrides and isolates, zero-width and other format
characters, and control characters are removed, and lengths are capped. Quotes are kept
verbatim (they must match the text that was sent) and fixes are dropped when they carry
bidi or control characters (Trojan Source).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterator, Sequence
from typing import Annotated, Any

import msgspec

from bigpicture.core import models
from bigpicture.core.errors import IncompleteReview
from bigpicture.core.models import Category, Severity

TOOL_NAME = "report_findings"

TITLE_MAX = 200
MESSAGE_MAX = 4000
SUMMARY_MAX = 4000
PATH_MAX = 1024

_CWE = re.compile(r"^CWE-[1-9][0-9]{0,5}$")


class ReplyFormatError(IncompleteReview):
    """The reply has no usable ``findings`` list (or no JSON at all): an incomplete review."""


# --------------------------------------------------------------------------- the wire form


class WireFix(msgspec.Struct):
    """A concrete fix: text that replaces the quoted code exactly."""

    replacement: Annotated[
        str,
        msgspec.Meta(
            description="The code that replaces `quote`, verbatim, with the same indentation."
        ),
    ]


class WireRelated(msgspec.Struct):
    """Another location that is part of the same problem."""

    path: Annotated[str, msgspec.Meta(description="Workspace-relative POSIX path.")]
    line: Annotated[int, msgspec.Meta(ge=1, description="1-based line of the quoted code.")]
    quote: Annotated[str, msgspec.Meta(description="The exact text of the related line(s).")]
    message: Annotated[str, msgspec.Meta(description="Why this location matters.")] = ""


class WireFinding(msgspec.Struct):
    """One problem in the code."""

    path: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            description="Workspace-relative POSIX path of the file, exactly as given in the input.",
        ),
    ]
    line: Annotated[int, msgspec.Meta(ge=1, description="1-based first line of the quoted code.")]
    quote: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            description=(
                "The exact text of the flagged line(s), copied verbatim from the input "
                "(without line numbers). Used to locate the finding."
            ),
        ),
    ]
    severity: Annotated[Severity, msgspec.Meta(description="How bad it is.")]
    category: Annotated[Category, msgspec.Meta(description="What kind of problem it is.")]
    title: Annotated[
        str, msgspec.Meta(min_length=1, description="One line, at most 120 characters.")
    ]
    message: Annotated[
        str,
        msgspec.Meta(
            description="Plain text: what is wrong, why it matters, and how to fix it. No markdown links."
        ),
    ]
    end_line: (
        Annotated[int, msgspec.Meta(ge=1, description="1-based last line of the quote.")] | None
    ) = None
    fix: WireFix | None = None
    cwe: (
        Annotated[str, msgspec.Meta(pattern=_CWE.pattern, description="The CWE id, like CWE-89.")]
        | None
    ) = None
    related: Annotated[
        list[WireRelated], msgspec.Meta(description="Other locations involved in the problem.")
    ] = []
    confidence: (
        Annotated[float, msgspec.Meta(ge=0, le=1, description="How sure you are, from 0 to 1.")]
        | None
    ) = None
    origin: (
        Annotated[
            models.Origin,
            msgspec.Meta(
                description="Changes reviews only: introduced by the diff, or pre-existing."
            ),
        ]
        | None
    ) = None
    ref: (
        Annotated[
            str,
            msgspec.Meta(
                description="Verification pass only: the ref of the finding being confirmed."
            ),
        ]
        | None
    ) = None


class WireRejected(msgspec.Struct):
    """Verification pass only: a finding of the first review that is not confirmed."""

    ref: Annotated[str, msgspec.Meta(description="The ref of the finding.")]
    reason: Annotated[str, msgspec.Meta(description="Why it does not hold, in one sentence.")]


class ReportFindings(msgspec.Struct):
    """The input of the report_findings tool."""

    findings: Annotated[
        list[WireFinding], msgspec.Meta(description="Every finding; an empty list if none.")
    ]
    summary: Annotated[
        str,
        msgspec.Meta(
            description="A short plain-text overview of the review, written last (required: "
            "a reply without it is taken as cut off)."
        ),
    ]
    rejected: Annotated[
        list[WireRejected],
        msgspec.Meta(description="Verification pass only: the findings not confirmed."),
    ] = []


# --------------------------------------------------------------------------- the tool schema

_DESCRIPTION = (
    "Report the findings of the code review. Call this exactly once with every finding. "
    "Each finding quotes the exact text of the flagged code so it can be located; "
    "report an empty list when there is nothing to report."
)


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """Resolve ``$ref``s, drop titles and defaults, make optional fields non-nullable."""
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return _inline(defs[name], defs)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("title", "default"):
            continue
        if key == "properties":  # a map of field names, not a schema: keep every key
            out[key] = {name: _inline(sub, defs) for name, sub in value.items()}
        else:
            out[key] = _inline(value, defs)
    any_of = out.get("anyOf")
    if isinstance(any_of, list) and len(any_of) == 2 and {"type": "null"} in any_of:
        # ``X | None = None``: the field is simply optional, null is never needed.
        (inner,) = [s for s in any_of if s != {"type": "null"}]
        rest = {k: v for k, v in out.items() if k != "anyOf"}
        out = {**rest, **inner}
    if "enum" in out and "type" not in out:
        out = {"type": "string", **out}
    for canonical in (models.SEVERITIES, models.CATEGORIES):
        if set(out.get("enum", ())) == set(canonical):
            out["enum"] = list(canonical)  # most severe first, as the prompt lists them
    if out.get("type") == "object":
        out["additionalProperties"] = False
    return out


def input_schema() -> dict[str, Any]:
    """The tool's input schema: self-contained (no ``$ref``/``$defs``), deterministic."""
    raw = msgspec.json.schema(ReportFindings)
    schema: dict[str, Any] = _inline(raw, raw.get("$defs", {}))
    # Asked of every finding (the code filters on it, ``minConfidence``), while a finding
    # without it is still decoded rather than dropped.
    schema["properties"]["findings"]["items"]["required"].append("confidence")
    # ``summary`` last: a whole-input reply without it was cut (``interpret.cut_short``).
    props = schema["properties"]
    schema["properties"] = {k: props[k] for k in ("findings", "rejected", "summary")}
    return schema


def tool_definition() -> dict[str, Any]:
    """The ``tools[]`` entry for the request (byte-identical on every call, for caching)."""
    return {"name": TOOL_NAME, "description": _DESCRIPTION, "input_schema": input_schema()}


# --------------------------------------------------------------------------- sanitizing

_ANSI = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]                 # CSI ... final byte
  | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?      # OSC ... BEL or ST (or cut short)
  | \x1b[PX^_][^\x1b]*(?:\x1b\\)?           # DCS / SOS / PM / APC ... ST
  | \x1b[@-Z\\-_]                           # two-character escapes
  | \x9b[0-?]*[ -/]*[@-~]                   # 8-bit CSI
    """,
    re.VERBOSE,
)
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\x85\u2028\u2029\x0b\x0c]")


def _keep(ch: str) -> bool:
    # Cc: C0/C1 controls; Cf: bidi embeddings/overrides/isolates, zero-width chars, BOM,
    # soft hyphen, tag characters (ASCII smuggling); Cs: lone surrogates. Unassigned code
    # points are kept: they may be characters newer than this Python's Unicode tables.
    return unicodedata.category(ch) not in ("Cc", "Cf", "Cs")


# Characters ``_keep`` may drop: ASCII controls and anything beyond ASCII. Only these are looked
# at one by one, so mostly-ASCII text is filtered at the speed of one regex scan.
_SUSPECT = re.compile(r"[\x00-\x1f\x7f-\U0010ffff]")


def _drop_unsafe(text: str, keep_newline: bool) -> str:
    def one(m: re.Match[str]) -> str:
        ch = m.group()
        return ch if (keep_newline and ch == "\n") or _keep(ch) else ""

    return _SUSPECT.sub(one, text)


def _cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def sanitize_inline(text: str, limit: int | None = TITLE_MAX) -> str:
    """Model or file text for one line of display: no escapes, no controls, no line breaks."""
    text = _ANSI.sub("", text)
    text = _LINE_BREAKS.sub(" ", text).replace("\t", " ")
    text = _drop_unsafe(text, keep_newline=False)
    text = re.sub(r" {2,}", " ", text).strip()
    return _cap(text, limit) if limit else text


def sanitize_block(text: str, limit: int | None = MESSAGE_MAX) -> str:
    """Model text for a multi-line message: like ``sanitize_inline`` but keeps ``\\n``."""
    text = _ANSI.sub("", text)
    text = _LINE_BREAKS.sub("\n", text).replace("\t", "    ")
    text = _drop_unsafe(text, keep_newline=True)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return _cap(text, limit) if limit else text


def _unsafe_code(text: str) -> bool:
    """Code the server would write into a file: refuse bidi/format and control characters."""
    for ch in text:
        if ch in "\t\n\r\x0c":
            continue
        if unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI:
            return True
    return False


_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def _fix_surrogates(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8")


# --------------------------------------------------------------------------- decoding


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _optional_int(value: Any) -> int | None:
    try:
        n: int = msgspec.convert(value, Annotated[int, msgspec.Meta(ge=1)], strict=False)
        return n
    except msgspec.ValidationError:
        return None


def _optional_cwe(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = value.strip().upper().replace("_", "-").replace(" ", "-")
    if value.isdigit():
        value = f"CWE-{value}"
    return value if _CWE.match(value) else None


def _optional_confidence(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) and 0.0 <= value <= 1.0 else None


def _optional_origin(value: Any) -> models.Origin | None:
    value = _lower(value)
    if value in ("introduced", "pre-existing"):
        return "introduced" if value == "introduced" else "pre-existing"
    if value in ("preexisting", "pre_existing", "existing"):
        return "pre-existing"
    return None


def _optional_fix(value: Any) -> models.Fix | None:
    if isinstance(value, str):
        value = {"replacement": value}
    try:
        fix = msgspec.convert(value, WireFix)
    except msgspec.ValidationError:
        return None
    if _unsafe_code(fix.replacement):
        return None
    return models.Fix(replacement=fix.replacement)


def _related(values: Any) -> list[models.Related]:
    if not isinstance(values, list):
        return []
    out: list[models.Related] = []
    for value in values:
        try:
            rel = msgspec.convert(value, WireRelated, strict=False)
        except msgspec.ValidationError:
            continue
        out.append(
            models.Related(
                path=rel.path.strip()[:PATH_MAX],
                line=rel.line,
                quote=_fix_surrogates(rel.quote),
                message=sanitize_block(rel.message, TITLE_MAX * 2),
            )
        )
    return out


def decode_finding(value: Any) -> models.Finding | None:
    """One finding from its JSON value; ``None`` when a required field is unusable."""
    if not isinstance(value, dict):
        return None
    required = {
        key: value.get(key)
        for key in ("path", "line", "quote", "severity", "category", "title", "message")
    }
    required["severity"] = _lower(required["severity"])
    required["category"] = _lower(required["category"])
    if required["message"] is None:
        required["message"] = ""
    try:
        wire = msgspec.convert(
            {k: v for k, v in required.items() if v is not None}, WireFinding, strict=False
        )
    except msgspec.ValidationError:
        return None
    title = sanitize_inline(wire.title, TITLE_MAX)
    path = wire.path.strip()
    if not title or not path or len(path) > PATH_MAX or not wire.quote.strip():
        return None
    end_line = _optional_int(value.get("end_line"))
    if end_line is not None and end_line < wire.line:
        end_line = None
    return models.Finding(
        path=path,
        line=wire.line,
        quote=_fix_surrogates(wire.quote),
        severity=wire.severity,
        category=wire.category,
        title=title,
        message=sanitize_block(wire.message, MESSAGE_MAX),
        end_line=end_line,
        fix=_optional_fix(value.get("fix")),
        cwe=_optional_cwe(value.get("cwe")),
        related=_related(value.get("related")),
        confidence=_optional_confidence(value.get("confidence")),
        origin=_optional_origin(value.get("origin")),
    )


Known = tuple[Any, models.Finding | None]  # a findings item and what it decoded to


def decode_items(items: list[Any], known: Sequence[Known] = ()) -> tuple[list[models.Finding], int]:
    """Each item decoded (see ``decode_tool_input`` for ``known``); the malformed count."""
    findings: list[models.Finding] = []
    malformed = 0
    for i, item in enumerate(items):
        try:
            if i < len(known) and known[i][0] == item:
                finding = known[i][1]
            else:
                finding = decode_finding(item)
        except RecursionError:  # absurdly nested values: malformed, like any other
            finding = None
        if finding is None:
            malformed += 1
        else:
            findings.append(finding)
    return findings, malformed


def decode_tool_input(
    raw: dict[str, Any] | str | bytes, known: Sequence[Known] = ()
) -> tuple[list[models.Finding], str, int]:
    """The tool input → (findings, summary, malformed count).

    Raises :class:`ReplyFormatError` when the input is not a JSON object or has no
    ``findings`` list; an empty list is a valid "no findings" reply. ``known``: items already
    decoded (while the reply streamed), each ``(item, finding or None)`` in list order; an
    item equal to its known one is not decoded again.
    """
    if isinstance(raw, str | bytes | bytearray):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise ReplyFormatError("The model's reply is not valid JSON", detail=str(exc)) from None
    if not isinstance(raw, dict):
        raise ReplyFormatError("The model's reply is not a JSON object")
    items = raw.get("findings")
    if isinstance(items, str):
        # Models sometimes send an array parameter as a JSON string.
        try:
            items = json.loads(items)
        except (ValueError, RecursionError):
            items = None
    if not isinstance(items, list):
        raise ReplyFormatError("The model's reply has no findings list")
    findings, malformed = decode_items(items, known)
    summary = raw.get("summary")
    summary = sanitize_block(summary, SUMMARY_MAX) if isinstance(summary, str) else ""
    return findings, summary, malformed


_FENCE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\r?\n(.*?)\r?\n[ \t]*```", re.DOTALL)


_MAX_ATTEMPTS = 2000  # braces tried before giving up: bounds the time on hostile text


def _objects_in(text: str) -> Iterator[dict[str, Any]]:
    """Every top-level JSON object in ``text``, left to right (outermost first)."""
    decoder = json.JSONDecoder()
    pos = text.find("{")
    attempts = 0
    while pos != -1 and attempts < _MAX_ATTEMPTS:
        attempts += 1
        try:
            obj, end = decoder.raw_decode(text, pos)
        except (ValueError, RecursionError):
            pos = text.find("{", pos + 1)
            continue
        if isinstance(obj, dict):
            yield obj
        pos = text.find("{", end)


def decode_text_reply(text: str) -> tuple[list[models.Finding], str, int]:
    """The same as ``decode_tool_input`` for a plain-text answer (tool_choice auto).

    Looks for a fenced ```json block holding an object with ``findings``, then for the
    outermost such object anywhere in the text.
    """
    for block in _FENCE.findall(text):
        for obj in _objects_in(block):
            if "findings" in obj:
                return decode_tool_input(obj)
    for obj in _objects_in(text):
        if "findings" in obj:
            return decode_tool_input(obj)
    raise ReplyFormatError("The model's answer holds no findings object")
