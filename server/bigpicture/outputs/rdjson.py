"""A review's result in reviewdog's Diagnostic Format, rdjson (``--format rdjson``).

One ``DiagnosticResult`` (``reviewdog -f=rdjson``) with ``source.name`` ``BigPicture`` and one
``Diagnostic`` per finding (dismissed findings are left out: the format has no suppressions):

- ``message``: the title, a blank line, the message, then related locations as
  ``See also path:line: note`` lines;
- ``severity``: critical and high → ``ERROR``, medium → ``WARNING``, low and info → ``INFO``
  (the same split as SARIF's error / warning / note);
- ``code``: the CWE id (with its MITRE page as ``url``, built from the number alone) or the
  category;
- ``location.range``: 1-based lines; columns 1-based in **UTF-8 bytes**, as the format
  defines them (``Position.column``: "byte count in UTF-8"), end exclusive, computed on the exact
  text that was sent. Without that text, or for an approximate finding, the range is line-wise
  (no columns: reviewdog then covers the whole lines);
- ``suggestions``: the fix, replacing exactly the range, when the range is exact.

reviewdog parses rdjson strictly (unknown fields are an error), so nothing outside the format
is written. An **incomplete review** sets the result's ``severity`` to ``ERROR`` and adds a
first diagnostic on path ``.`` with code ``incomplete-review`` whose message starts
``INCOMPLETE REVIEW:`` with the reason. reviewdog filters diagnostics by the diff, so that one may
not be shown as a comment: keep the job's exit code (6) as well, as the README's recipe does.
"""

from __future__ import annotations

from typing import Any

import msgspec

from bigpicture.core import models
from bigpicture.core.reply.findings import sanitize_block, sanitize_inline
from bigpicture.outputs.sarif import SentLines as _Lines
from bigpicture.outputs.sarif import cwe_help_uri

SEVERITY = {
    "critical": "ERROR",
    "high": "ERROR",
    "medium": "WARNING",
    "low": "INFO",
    "info": "INFO",
}
SOURCE = {"name": "BigPicture"}


def utf8_column(line: str, char: int) -> int:
    """A 0-based code-point column → rdjson's 1-based UTF-8 byte column."""
    return len(line[: max(0, char)].encode("utf-8", "surrogatepass")) + 1


def _range(
    lines: _Lines, path: str, line: int, end_line: int | None, rng: models.Range | None
) -> tuple[dict[str, Any], bool]:
    """The rdjson range, and whether it has exact columns."""
    text_lines = lines.get(path)
    if rng is not None and text_lines is not None and rng.end_line < len(text_lines):
        return {
            "start": {
                "line": rng.start_line + 1,
                "column": utf8_column(text_lines[rng.start_line], rng.start_char),
            },
            "end": {
                "line": rng.end_line + 1,
                "column": utf8_column(text_lines[rng.end_line], rng.end_char),
            },
        }, True
    if rng is not None:
        return {"start": {"line": rng.start_line + 1}, "end": {"line": rng.end_line + 1}}, False
    start = max(1, line)
    return {"start": {"line": start}, "end": {"line": max(start, end_line or start)}}, False


def _message(f: models.Finding) -> str:
    parts = [sanitize_inline(f.title)]
    message = sanitize_block(f.message)
    if message:
        parts.append(message)
    see = []
    for rel in f.related:
        note = sanitize_inline(rel.message, 300)
        line = rel.range.start_line + 1 if rel.range else rel.line
        see.append(
            f"See also {sanitize_inline(rel.path, None)}:{line}" + (f": {note}" if note else "")
        )
    if see:
        parts.append("\n".join(see))
    return "\n\n".join(parts)


def _diagnostic(f: models.Finding, lines: _Lines) -> dict[str, Any]:
    if f.approximate and f.range is not None:  # the quote was not found: whole lines
        rng, exact = (
            {"start": {"line": f.range.start_line + 1}, "end": {"line": f.range.end_line + 1}},
            False,
        )
    else:
        rng, exact = _range(lines, f.path, f.line, f.end_line, f.range)
    code: dict[str, Any] = {"value": f.category}
    if f.cwe and (url := cwe_help_uri(f.cwe)):
        code = {"value": f.cwe, "url": url}
    out: dict[str, Any] = {
        "message": _message(f),
        "location": {"path": f.path, "range": rng},
        "severity": SEVERITY.get(f.severity, "WARNING"),
        "source": SOURCE,
        "code": code,
    }
    if f.fix is not None and exact and not f.approximate:
        out["suggestions"] = [{"range": rng, "text": f.fix.replacement}]
    return out


def _incomplete(result: models.ReviewResult) -> dict[str, Any]:
    reason = sanitize_inline(result.incomplete_reason or "the review did not finish", 500)
    return {
        "message": f"INCOMPLETE REVIEW: {reason}. {len(result.findings)} findings were "
        "recovered; the rest of the code was not reviewed. This is not a clean result.",
        "location": {"path": "."},
        "severity": "ERROR",
        "source": SOURCE,
        "code": {"value": "incomplete-review"},
    }


def to_dict(result: models.ReviewResult, texts: dict[str, str] | None = None) -> dict[str, Any]:
    """The DiagnosticResult as plain data. ``texts``: the exact texts sent, by path."""
    lines = _Lines(texts)
    diagnostics = [_diagnostic(f, lines) for f in result.findings if not f.suppressed]
    out: dict[str, Any] = {"source": SOURCE}
    if not result.complete:
        out["severity"] = "ERROR"
        diagnostics.insert(0, _incomplete(result))
    out["diagnostics"] = diagnostics
    return out


def render(result: models.ReviewResult, texts: dict[str, str] | None = None) -> str:
    """The DiagnosticResult as JSON text (2-space indent, trailing newline)."""
    return (
        msgspec.json.format(msgspec.json.encode(to_dict(result, texts)), indent=2).decode() + "\n"
    )
