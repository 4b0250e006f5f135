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

``finding_id`` gives a finding an id that survives line moves, so a dismissal or a cached
result still applies after unrelated edits; ``reanchor`` follows a finding's text through
an edit.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import threading
from collections import OrderedDict
from functools import lru_cache
from typing import NamedTuple

import msgspec

from bigpicture.core import models
from bigpicture.core.lines import line_end, line_starts_fast

_WS_CHARS = " \t\r\n\x0b\x0c"
_WS_RUN = re.compile(r"[ \t\r\n\x0b\x0c]+")
_WS_CLASS = r"[ \t\r\n\x0b\x0c]+"
_EOL_CHARS = "\r\n"
_INLINE_WS = " \t\x0b\x0c"
_DRIVE = re.compile(r"^[A-Za-z]:")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


# --------------------------------------------------------------------------- ids and paths


def normalize_ws(text: str) -> str:
    """Runs of ASCII whitespace (line breaks included) → one space; ends stripped."""
    return " ".join(t for t in _WS_RUN.split(text) if t)


def finding_id(path: str, category: str, quote: str, title: str) -> str:
    """A stable id: the same problem on the same code keeps its id when lines move."""
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


# --------------------------------------------------------------------------- positions


class _Doc:
    """A text with its LSP line table: line starts; content ends (before the EOL) on demand."""

    __slots__ = ("starts", "text")

    def __init__(self, text: str, starts: list[int] | None = None) -> None:
        self.text = text
        self.starts = line_starts_fast(text) if starts is None else starts

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def end(self, i: int) -> int:
        """Where line ``i``'s content ends: where its terminator (\\r\\n, \\r or \\n) begins."""
        return line_end(self.text, self.starts, i)

    def line(self, i: int) -> str:
        return self.text[self.starts[i] : self.end(i)]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1

    def position(self, offset: int) -> tuple[int, int]:
        offset = max(0, min(offset, len(self.text)))
        line = self.line_of(offset)
        return line, min(offset, self.end(line)) - self.starts[line]

    def offset(self, line: int, char: int) -> int:
        line = max(0, min(line, self.line_count - 1))
        return min(self.starts[line] + max(0, char), self.end(line))

    def range(self, start: int, end: int) -> models.Range:
        sl, sc = self.position(start)
        el, ec = self.position(end)
        return models.Range(sl, sc, el, ec)


_DOCS: OrderedDict[str, _Doc] = OrderedDict()  # the last few texts' tables, by content
_DOCS_KEPT = 8
_DOCS_LOCK = threading.Lock()


def _doc(text: str) -> _Doc:
    # Keyed by content (str hashes are cached), so it never goes stale.
    with _DOCS_LOCK:
        doc = _DOCS.get(text)
        if doc is not None:
            _DOCS.move_to_end(text)
            return doc
    return _remember(_Doc(text))


def _remember(doc: _Doc) -> _Doc:
    with _DOCS_LOCK:
        _DOCS[doc.text] = doc
        _DOCS.move_to_end(doc.text)
        while len(_DOCS) > _DOCS_KEPT:
            _DOCS.popitem(last=False)
    return doc


def range_text(text: str, rng: models.Range) -> str:
    """The text a range covers."""
    doc = _doc(text)
    start = doc.offset(rng.start_line, rng.start_char)
    end = doc.offset(rng.end_line, rng.end_char)
    return text[start:end] if end > start else ""


def _last_line(rng: models.Range) -> int:
    """The last line a range touches with at least one character (1-based)."""
    if rng.end_line > rng.start_line and rng.end_char == 0:
        return rng.end_line
    return rng.end_line + 1


# --------------------------------------------------------------------------- locating


class _Match(NamedTuple):
    start: int
    end: int
    exact: bool


def _nearest_exact(
    doc: _Doc, needle: str, line0: int, lo: int = 0, hi: int | None = None
) -> _Match | None:
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
    return _Match(best, best + len(needle), True)


def _nearest_normalized(
    doc: _Doc, quote: str, line0: int, lo: int = 0, hi: int | None = None
) -> _Match | None:
    tokens = [t for t in _WS_RUN.split(quote) if t]
    if not tokens:
        return None
    pattern = re.compile(_WS_CLASS.join(map(re.escape, tokens)))
    best: _Match | None = None
    best_dist = 0
    for m in pattern.finditer(doc.text, lo, len(doc.text) if hi is None else hi):
        line = doc.line_of(m.start())
        dist = abs(line - line0)
        if best is None or dist < best_dist:
            best, best_dist = _Match(m.start(), m.end(), False), dist
        if line - line0 > best_dist:
            break  # matches come in order: every later one is farther away
    return best


def locate(text: str, quote: str, line0: int) -> models.Range | None:
    """Where ``quote`` is in ``text``, nearest 0-based line ``line0``; None if absent."""
    found = _locate(_doc(text), quote, line0)
    return _doc(text).range(found.start, found.end) if found else None


def _locate(doc: _Doc, quote: str, line0: int, lo: int = 0, hi: int | None = None) -> _Match | None:
    """Exact, then whitespace-normalized, within ``text[lo:hi]``, nearest ``line0``."""
    needle = quote.strip(_EOL_CHARS)
    if not needle.strip(_WS_CHARS):
        return None
    return _nearest_exact(doc, needle, line0, lo, hi) or _nearest_normalized(
        doc, needle, line0, lo, hi
    )


def _line_range(doc: _Doc, first: int, last: int) -> models.Range:
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


# --------------------------------------------------------------------------- anchoring


class _Anchored(NamedTuple):
    range: models.Range
    approximate: bool
    exact: bool


def _anchor_one(doc: _Doc, quote: str, line: int, end_line: int | None = None) -> _Anchored | None:
    line0 = line - 1
    found = _locate(doc, quote, line0) if quote else None
    if found is not None:
        return _Anchored(doc.range(found.start, found.end), False, found.exact)
    if not 0 <= line0 < doc.line_count:
        return None
    last = line0
    if end_line is not None and end_line - 1 > line0:
        last = min(end_line - 1, doc.line_count - 1)
    return _Anchored(_line_range(doc, line0, last), True, False)


class _Docs(dict[str, _Doc]):
    """The sent texts' line tables, each built once per ``anchor`` call, when first needed."""

    def __init__(self, sent: dict[str, str]) -> None:
        super().__init__()
        self.sent = sent

    def __missing__(self, path: str) -> _Doc:
        doc = self[path] = _Doc(self.sent[path])
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


def anchor(
    findings: list[models.Finding], sent_texts: dict[str, str]
) -> tuple[list[models.Finding], models.DroppedCounts]:
    """Anchor each finding in the text that was sent for its path.

    Returns the anchored findings (with ``id``, ``range``, ``approximate`` set; duplicates of
    the same id kept once) and the counts of those dropped (``unknown_path``,
    ``out_of_range``).
    """
    dropped = models.DroppedCounts()
    out: list[models.Finding] = []
    docs = _Docs(sent_texts)
    for f in findings:
        path = _resolve_path(f.path, sent_texts)
        if path is None:
            dropped.unknown_path += 1
            continue
        got = _anchor_one(docs[path], f.quote, f.line, f.end_line)
        if got is None:
            dropped.out_of_range += 1
            continue
        fix = f.fix
        if fix is not None:
            if got.approximate:
                fix = None
            else:
                strip = _EOL_CHARS if got.exact else _WS_CHARS
                fix = models.Fix(_fit_replacement(fix.replacement, f.quote, strip))
        out.append(
            msgspec.structs.replace(
                f,
                path=path,
                line=got.range.start_line + 1,
                end_line=_last_line(got.range),
                range=got.range,
                approximate=got.approximate,
                fix=fix,
                related=_anchor_related(f.related, sent_texts, docs),
                id=finding_id(path, f.category, f.quote, f.title),
            )
        )
    return _unique_ids(out), dropped


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


_BLOCK = 1 << 14


def _first_difference(a: str, i: int, b: str, j: int, n: int) -> int:
    """How many characters ``a[i:]`` and ``b[j:]`` share, up to ``n``: halving a window
    with slice comparisons (C speed), never a character at a time."""
    lo, hi = 0, n  # a[i:i+lo] == b[j:j+lo]; the first difference is before hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[i + lo : i + mid] == b[j + lo : j + mid]:
            lo = mid
        else:
            hi = mid
    return lo


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n:
        step = min(_BLOCK, n - i)
        if a[i : i + step] != b[i : i + step]:
            return i + _first_difference(a, i, b, i, step)
        i += step
    return n


def _common_suffix(a: str, b: str, n: int) -> int:
    """How many characters ``a`` and ``b`` share at their ends, up to ``n``."""
    ea, eb = len(a), len(b)
    i = 0
    while i < n:
        step = min(_BLOCK, n - i)
        if a[ea - i - step : ea - i] != b[eb - i - step : eb - i]:
            # The window's last differing character, found from its start: the shared part
            # is its tail, so halve on tails.
            lo, hi = 0, step  # a's last ``lo`` characters of the window match; ``hi`` don't
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if a[ea - i - mid : ea - i] == b[eb - i - mid : eb - i]:
                    lo = mid
                else:
                    hi = mid
            return i + lo
        i += step
    return n


@lru_cache(maxsize=2)
def _edit_span(old: str, new: str) -> tuple[int, int]:
    """(common prefix, common suffix) of two versions: where an edit left them alike."""
    prefix = _common_prefix(old, new)
    room = min(len(old), len(new)) - prefix
    suffix = _common_suffix(old, new, room) if room else 0
    return prefix, suffix


def _edited_doc(old: _Doc, new_text: str, prefix: int, suffix: int) -> _Doc:
    """``new_text``'s line table from ``old``'s, when the two texts share ``prefix``
    characters at the start and ``suffix`` at the end: only the edited span is scanned.

    Whether offset ``s`` starts a line depends on the characters at ``s - 1`` and ``s`` only.
    Starts before ``prefix`` are the old ones; starts after the new edited span are the old
    ones past the old span, moved by the length difference; the ones in between come from
    the span and a character either side.
    """
    old_tail = len(old.text) - suffix
    new_tail = len(new_text) - suffix
    shift = new_tail - old_tail
    head = old.starts[: bisect.bisect_left(old.starts, prefix)]
    lo = max(prefix - 1, 0)
    mid = line_starts_fast(new_text[lo : new_tail + 1])
    mid = mid[bisect.bisect_left(mid, prefix - lo) : bisect.bisect_right(mid, new_tail - lo)]
    tail = old.starts[bisect.bisect_right(old.starts, old_tail) :]
    starts = head
    starts += map(lo.__add__, mid) if lo else mid
    starts += map(shift.__add__, tail) if shift else tail
    return _Doc(new_text, starts)


@lru_cache(maxsize=2)
def _edit(old_text: str, new_text: str) -> tuple[_Doc, _Doc]:
    """Both versions' line tables; the new one derived from the old one (see ``_edited_doc``)."""
    old = _doc(old_text)
    with _DOCS_LOCK:
        new = _DOCS.get(new_text)
    if new is None:
        new = _remember(_edited_doc(old, new_text, *_edit_span(old_text, new_text)))
    return old, new


def _follow(
    old: _Doc, new: _Doc, rng: models.Range | None, quote: str, approximate: bool
) -> tuple[_Match, bool] | None:
    """Find again, in ``new``, what ``rng`` covered in ``old`` (or, with no range, the quote).

    The two versions agree before and after the edited span: text there moves by a known
    amount. Text the edit touched is searched for (exact, then whitespace-normalized) only
    inside the edited span, so a deleted snippet is gone even if a copy exists elsewhere.
    """
    if rng is None:
        found = _locate(new, quote, 0) if quote and not approximate else None
        return (found, False) if found else None
    start = old.offset(rng.start_line, rng.start_char)
    end = old.offset(rng.end_line, rng.end_char)
    if end <= start:
        return None
    prefix, suffix = _edit_span(old.text, new.text)
    shift = len(new.text) - len(old.text)
    old_tail = len(old.text) - suffix
    if end <= prefix:
        return _Match(start, end, True), approximate
    if start >= old_tail:
        return _Match(start + shift, end + shift, True), approximate
    lo = min(start, prefix)
    hi = end + shift if end >= old_tail else len(new.text) - suffix
    line0 = new.line_of(min(start, prefix))
    found = _locate(new, old.text[start:end], line0, lo, hi)
    return (found, approximate) if found else None


def reanchor(finding: models.Finding, old_text: str, new_text: str) -> models.Finding | None:
    """The finding moved through an edit from ``old_text`` to ``new_text``; None if its code is gone.

    The text its range covered is searched again (exact, then whitespace-normalized) nearest
    its old line; related locations in the same file move with it.
    """
    old, new = _edit(old_text, new_text)
    moved = _follow(old, new, finding.range, finding.quote, finding.approximate)
    if moved is None:
        return None
    match, approximate = moved
    rng = new.range(match.start, match.end)
    related: list[models.Related] = []
    for rel in finding.related:
        if rel.path != finding.path or rel.range is None:
            related.append(rel)
            continue
        got = _follow(old, new, rel.range, rel.quote, False)
        if got is not None:
            r = new.range(got[0].start, got[0].end)
            related.append(msgspec.structs.replace(rel, line=r.start_line + 1, range=r))
    return msgspec.structs.replace(
        finding,
        line=rng.start_line + 1,
        end_line=_last_line(rng),
        range=rng,
        approximate=approximate,
        related=related,
    )
