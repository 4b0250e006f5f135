"""Anchoring: a finding's quoted code → a Range in the exact text that was sent.

The model is asked to quote code, not to count lines. Each quote is looked up in the text
that was sent for its path: exact first, then with whitespace normalized (runs of spaces,
tabs and line breaks compare equal to one space; leading and trailing whitespace ignored),
choosing the occurrence nearest the reported line. A quote that cannot be found keeps the
reported line as an ``approximate`` whole-line range; a finding on a path that was not sent,
or on a line outside its file, is dropped and counted.

Ranges are 0-based lines split the LSP way (``core.lines``) and 0-based code-point
columns, end exclusive. An exact match covers the quote minus any line breaks at its ends;
a normalized match runs from its first non-space character to the end of its last one. After anchoring, ``fix.replacement`` replaces exactly ``range``
(fixes of approximate findings are dropped: there is nothing exact to replace).

``finding_id`` gives a finding an id that survives line moves and rewording (it hashes the
path, the anchored code, the category and the CWE, never the title), so a dismissal or a
cached result still applies after unrelated edits; ``core.reply.follow`` moves a finding
through an edit."""

from __future__ import annotations

import hashlib
import re
from typing import NamedTuple

import msgspec

from bigpicture.core import models
from bigpicture.core.reply.textdoc import Doc, doc_of, last_line

_WS_CHARS = " \t\r\n\x0b\x0c"


_WS_RUN = re.compile(r"[ \t\r\n\x0b\x0c]+")


_WS_CLASS = r"[ \t\r\n\x0b\x0c]+"


_EOL_CHARS = "\r\n"


_INLINE_WS = " \t\x0b\x0c"


_DRIVE = re.compile(r"^[A-Za-z]:")


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def normalize_ws(text: str) -> str:
    """Runs of ASCII whitespace (line breaks included) → one space; ends stripped."""
    return " ".join(t for t in _WS_RUN.split(text) if t)


def finding_id(path: str, category: str, code: str, cwe: str | None = None) -> str:
    """A stable id from what stays when the model rewords: the path, the anchored code
    (whitespace-normalized), the category and the CWE. Neither the title nor the line is
    part of it, so a reworded title or moved lines keep the id (and a dismissal, and the
    SARIF fingerprint); the same code flagged again in another file is another finding."""
    key = "\x1f".join(("v2", path, category, normalize_ws(code), (cwe or "").strip().upper()))
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def code_key(category: str, code: str) -> str:
    """The path-free key of a finding's anchored code: what matches a dismissal after the
    code moved to another file (``core.reply.suppress``)."""
    key = "\x1f".join(("code", category, normalize_ws(code)))
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def legacy_id(path: str, category: str, quote: str, title: str) -> str:
    """The id of BigPicture 0.x before ids left the title out (``partialFingerprints``
    ``bigpicture/v1``): still matched, so older dismissals and baselines keep working."""
    key = "\x1f".join((path, category, normalize_ws(quote), " ".join(title.lower().split())))
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def normalize_path(path: str) -> str | None:
    """A model-given path as a clean workspace-relative POSIX path, or None if unsafe.

    ``./a.py`` and ``src\\a.py`` are accepted; absolute paths, drive letters, URIs and any
    ``..`` segment never are.
    """
    p = path.strip().replace("\\", "/")
    if not p or "\x00" in p or p.startswith("/") or _DRIVE.match(p) or _SCHEME.match(p):
        return None
    parts: list[str] = []
    for seg in p.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            return None
        parts.append(seg)
    return "/".join(parts) or None


def _resolve_path(path: str, sent: dict[str, str]) -> str | None:
    if path in sent and normalize_path(path) == path:
        return path
    norm = normalize_path(path)
    return norm if norm is not None and norm in sent else None


class Match(NamedTuple):
    start: int
    end: int
    exact: bool


def _nearest_exact(
    doc: Doc, needle: str, line0: int, lo: int = 0, hi: int | None = None
) -> Match | None:
    text = doc.text
    hi = len(text) if hi is None else hi
    ref = max(lo, min(doc.starts[max(0, min(line0, doc.line_count - 1))], hi))
    fwd = text.find(needle, ref, hi)
    bwd = text.rfind(needle, lo, min(ref + len(needle) - 1, hi))  # starts before ref
    if fwd < 0 and bwd < 0:
        return None
    if fwd >= 0 and bwd >= 0:
        best = fwd if doc.line_of(fwd) - line0 <= line0 - doc.line_of(bwd) else bwd
    else:
        best = max(fwd, bwd)
    return Match(best, best + len(needle), True)


def _nearest_normalized(
    doc: Doc, quote: str, line0: int, lo: int = 0, hi: int | None = None
) -> Match | None:
    tokens = [t for t in _WS_RUN.split(quote) if t]
    if not tokens:
        return None
    pattern = re.compile(_WS_CLASS.join(map(re.escape, tokens)))
    best: Match | None = None
    best_dist = 0
    for m in pattern.finditer(doc.text, lo, len(doc.text) if hi is None else hi):
        line = doc.line_of(m.start())
        dist = abs(line - line0)
        if best is None or dist < best_dist:
            best, best_dist = Match(m.start(), m.end(), False), dist
        if line - line0 > best_dist:
            break  # matches come in order: every later one is farther away
    return best


def locate(text: str, quote: str, line0: int) -> models.Range | None:
    """Where ``quote`` is in ``text``, nearest 0-based line ``line0``; None if absent."""
    found = locate_in(doc_of(text), quote, line0)
    return doc_of(text).range(found.start, found.end) if found else None


def locate_in(doc: Doc, quote: str, line0: int, lo: int = 0, hi: int | None = None) -> Match | None:
    """Exact, then whitespace-normalized, within ``text[lo:hi]``, nearest ``line0``."""
    needle = quote.strip(_EOL_CHARS)
    if not needle.strip(_WS_CHARS):
        return None
    return _nearest_exact(doc, needle, line0, lo, hi) or _nearest_normalized(
        doc, needle, line0, lo, hi
    )


def _line_range(doc: Doc, first: int, last: int) -> models.Range:
    """Lines ``first..last`` (0-based, inclusive), without leading/trailing blanks."""
    head = doc.line(first)
    tail = doc.line(last)
    start_char = len(head) - len(head.lstrip(_INLINE_WS))
    end_char = len(tail.rstrip(_INLINE_WS))
    if first == last and end_char <= start_char:
        start_char, end_char = 0, len(head)
    return models.Range(first, start_char, last, end_char)


def _fit_replacement(replacement: str, quote: str, strip: str) -> str:
    """The replacement for the matched span: drop what the match left out of the quote."""
    lead = quote[: len(quote) - len(quote.lstrip(strip))]
    trail = quote[len(quote.rstrip(strip)) :]
    if strip == _WS_CHARS:
        # Whitespace-normalized: the span starts and ends at code, the file keeps its own
        # indentation and line breaks around it.
        return replacement.strip(_WS_CHARS)
    if lead and replacement.startswith(lead):
        replacement = replacement[len(lead) :]
    if trail and replacement.endswith(trail):
        replacement = replacement[: -len(trail)]
    return replacement


class _Anchored(NamedTuple):
    range: models.Range
    approximate: bool
    exact: bool


def _anchor_one(doc: Doc, quote: str, line: int, end_line: int | None = None) -> _Anchored | None:
    line0 = line - 1
    found = locate_in(doc, quote, line0) if quote else None
    if found is not None:
        return _Anchored(doc.range(found.start, found.end), False, found.exact)
    if not 0 <= line0 < doc.line_count:
        return None
    last = line0
    if end_line is not None and end_line - 1 > line0:
        last = min(end_line - 1, doc.line_count - 1)
    return _Anchored(_line_range(doc, line0, last), True, False)


class _Docs(dict[str, Doc]):
    """The sent texts' line tables, each built once per ``anchor`` call, when first needed."""

    def __init__(self, sent: dict[str, str]) -> None:
        super().__init__()
        self.sent = sent

    def __missing__(self, path: str) -> Doc:
        doc = self[path] = Doc(self.sent[path])
        return doc


def _anchor_related(
    related: list[models.Related], sent: dict[str, str], docs: _Docs
) -> list[models.Related]:
    out: list[models.Related] = []
    for rel in related:
        path = _resolve_path(rel.path, sent)
        if path is None:
            continue
        got = _anchor_one(docs[path], rel.quote, rel.line)
        if got is None:
            continue
        out.append(
            msgspec.structs.replace(rel, path=path, line=got.range.start_line + 1, range=got.range)
        )
    return out


class Anchorer:
    """Anchors findings one at a time in the texts that were sent, each text's line table built
    once: a streamed reply anchors each finding as it completes, a whole one all of them
    (``anchor``), with the same code and so the same result.

    ``add`` gives the finding anchored (``id``, ``range``, ``approximate`` set), or None when it
    is dropped (counted in ``dropped``) or repeats one already added at the same place.
    ``result`` gives every finding added so far with ids made unique (``_unique_ids``): the
    same id at two places is numbered by position, which a later finding can change."""

    def __init__(self, sent_texts: dict[str, str]) -> None:
        self.sent = sent_texts
        self.inputs: list[models.Finding] = []  # every finding given to ``add``, in order
        self.dropped = models.DroppedCounts()
        self._docs = _Docs(sent_texts)
        self._anchored: list[models.Finding] = []
        self._places: dict[str, list[tuple[int, int]]] = {}

    def add(self, f: models.Finding) -> models.Finding | None:
        self.inputs.append(f)
        path = _resolve_path(f.path, self.sent)
        if path is None:
            self.dropped.unknown_path += 1
            return None
        got = _anchor_one(self._docs[path], f.quote, f.line, f.end_line)
        if got is None:
            self.dropped.out_of_range += 1
            return None
        fix = f.fix
        if fix is not None:
            if got.approximate:
                fix = None
            else:
                strip = _EOL_CHARS if got.exact else _WS_CHARS
                fix = models.Fix(_fit_replacement(fix.replacement, f.quote, strip))
        out = msgspec.structs.replace(
            f,
            path=path,
            line=got.range.start_line + 1,
            end_line=last_line(got.range),
            range=got.range,
            approximate=got.approximate,
            fix=fix,
            related=_anchor_related(f.related, self.sent, self._docs),
            # the quote, normalized, is the anchored code (an exact or whitespace-normalized
            # match of it); an approximate finding keeps its quote too, so a finding that
            # could not be placed keeps its id when lines move
            id=finding_id(path, f.category, f.quote, f.cwe),
        )
        self._anchored.append(out)
        places = self._places.setdefault(out.id, [])
        where = (got.range.start_line, got.range.start_char)
        if where in places:
            return None  # the same finding again
        places.append(where)
        if len(places) > 1:  # provisional: ``result`` numbers them by position
            derived = hashlib.sha256(f"{out.id}#{len(places) - 1}".encode()).hexdigest()[:16]
            out = msgspec.structs.replace(out, id=derived)
        return out

    def result(self) -> list[models.Finding]:
        return _unique_ids(self._anchored)


def anchor(
    findings: list[models.Finding], sent_texts: dict[str, str]
) -> tuple[list[models.Finding], models.DroppedCounts]:
    """Anchor each finding in the text that was sent for its path.

    Returns the anchored findings (with ``id``, ``range``, ``approximate`` set; duplicates of
    the same id kept once) and the counts of those dropped (``unknown_path``,
    ``out_of_range``).
    """
    anchorer = Anchorer(sent_texts)
    for f in findings:
        anchorer.add(f)
    return anchorer.result(), anchorer.dropped


def _unique_ids(findings: list[models.Finding]) -> list[models.Finding]:
    """Drop repeats (same id, same range); number the same id at different places.

    The same title on the same code in two places is two findings: the first in the file
    keeps the plain id, the next ones get ids derived from it and their rank.
    """
    places: dict[str, list[tuple[int, int]]] = {}
    kept: list[models.Finding] = []
    for f in findings:
        assert f.range is not None
        where = (f.range.start_line, f.range.start_char)
        seen = places.setdefault(f.id, [])
        if where not in seen:
            seen.append(where)
            kept.append(f)
    out: list[models.Finding] = []
    for f in kept:
        ordered = sorted(places[f.id])
        rank = ordered.index((f.range.start_line, f.range.start_char))  # type: ignore[union-attr]
        if rank:
            derived = hashlib.sha256(f"{f.id}#{rank}".encode()).hexdigest()[:16]
            f = msgspec.structs.replace(f, id=derived)
        out.append(f)
    return out
