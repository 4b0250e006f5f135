"""Findings to LSP structures, and core ranges to the client's position encoding — the one
place where code-point columns become UTF-16 (or UTF-8/32) units.

The core counts columns in code points on lines split the LSP way; the client negotiated an
encoding at initialize (UTF-16 unless it offered another). Links in diagnostics come only from
an allowlist (CWE entries), never from the model.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp

from bigpicture.core.lines import line_end, line_starts_fast, split_lines
from bigpicture.core.models import Finding, Range
from bigpicture.lsp import protocol

SEVERITY = {
    "critical": lsp.DiagnosticSeverity.Error,
    "high": lsp.DiagnosticSeverity.Error,
    "medium": lsp.DiagnosticSeverity.Warning,
    "low": lsp.DiagnosticSeverity.Information,
    "info": lsp.DiagnosticSeverity.Hint,
}
SOURCE = "bigpicture"
_CWE = re.compile(r"^CWE-(\d{1,6})$")


def _units(text: str, encoding: str) -> int:
    if encoding == lsp.PositionEncodingKind.Utf32 or text.isascii():
        return len(text)  # one unit per code point in every encoding
    if encoding == lsp.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class Lines:
    """A text's LSP lines, for converting many ranges of one file.

    Only the line starts are computed up front; a position converts just the prefix of its
    own line (and no conversion at all when that prefix is ASCII).
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts = line_starts_fast(text)

    @cached_property
    def lines(self) -> list[str]:
        """Every line without its terminator (as ``core.lines.split_lines``)."""
        return split_lines(self._text)

    def _line(self, line: int) -> str:
        return self._text[self._starts[line] : line_end(self._text, self._starts, line)]

    def position(self, line: int, char: int, encoding: str) -> lsp.Position:
        if line >= len(self._starts):
            last = len(self._starts) - 1
            return lsp.Position(last, _units(self._line(last), encoding))
        text = self._line(line)
        return lsp.Position(line, _units(text[: min(char, len(text))], encoding))

    def range(self, rng: Range, encoding: str) -> lsp.Range:
        return lsp.Range(
            self.position(rng.start_line, rng.start_char, encoding),
            self.position(rng.end_line, rng.end_char, encoding),
        )

    def to_code_points(self, pos: lsp.Position, encoding: str) -> tuple[int, int]:
        """A client position back to (line, code-point column)."""
        if pos.line >= len(self._starts):
            last = len(self._starts) - 1
            return last, len(self._line(last))
        text = self._line(pos.line)
        if encoding == lsp.PositionEncodingKind.Utf32 or text.isascii():
            return pos.line, min(pos.character, len(text))
        units = 0
        for i, ch in enumerate(text):
            if units >= pos.character:
                return pos.line, i
            units += _units(ch, encoding)
        return pos.line, len(text)


def cwe_link(cwe: str | None) -> str | None:
    m = _CWE.match(cwe or "")
    return f"https://cwe.mitre.org/data/definitions/{int(m.group(1))}.html" if m else None


def _related(
    f: Finding, encoding: str, uri_of: Any, related_lines: Any
) -> list[lsp.DiagnosticRelatedInformation]:
    out = []
    for r in f.related:
        rl = related_lines(r.path)
        if r.range is None or rl is None:
            continue
        out.append(
            lsp.DiagnosticRelatedInformation(
                location=lsp.Location(uri_of(r.path), rl.range(r.range, encoding)),
                message=r.message or f.title,
            )
        )
    return out


def diagnostic(
    f: Finding, lines: Lines, encoding: str, uri_of: Any, related_lines: Any
) -> lsp.Diagnostic:
    """One finding as a diagnostic, its message starting with the severity (``[critical]``).
    ``uri_of(path)`` and ``related_lines(path)`` resolve the other files of a cross-file
    finding."""
    assert f.range is not None
    code = f.cwe or f.category
    link = cwe_link(f.cwe)
    related = _related(f, encoding, uri_of, related_lines)
    prefix = "(approximate location) " if f.approximate else ""
    return lsp.Diagnostic(
        range=lines.range(f.range, encoding),
        message=f"[{f.severity}] {prefix}{f.title}\n\n{f.message}".strip(),
        severity=SEVERITY.get(f.severity, lsp.DiagnosticSeverity.Warning),
        code=code,
        code_description=lsp.CodeDescription(href=link) if link else None,
        source=SOURCE,
        related_information=related or None,
        data={
            "id": f.id,
            "severity": f.severity,
            "category": f.category,
            "fix": f.fix.replacement if f.fix else None,
            "approximate": f.approximate,
        },
    )


def _span(r: lsp.Range) -> protocol.Span:
    return protocol.Span(
        protocol.Position(r.start.line, r.start.character),
        protocol.Position(r.end.line, r.end.character),
    )


def finding_info(
    f: Finding, lines: Lines, encoding: str, uri_of: Any, related_lines: Any
) -> protocol.FindingInfo:
    """One shown finding as ``bigpicture.findings`` lists it, its ranges (and its related
    places') in the client's encoding."""
    assert f.range is not None
    return protocol.FindingInfo(
        id=f.id,
        path=f.path,
        uri=uri_of(f.path),
        range=_span(lines.range(f.range, encoding)),
        severity=f.severity,
        category=f.category,
        confidence=f.confidence,
        title=f.title,
        message=f.message,
        cwe=f.cwe,
        fix=protocol.SuggestedFix(f.fix.replacement) if f.fix else None,
        related=[
            protocol.RelatedPlace(r.location.uri, _span(r.location.range), r.message)
            for r in _related(f, encoding, uri_of, related_lines)
        ],
        approximate=f.approximate,
    )


def inside(root: Path, path: Path) -> bool:
    """True when ``path`` resolves inside ``root`` (symlinks followed; no string prefixes)."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return False
