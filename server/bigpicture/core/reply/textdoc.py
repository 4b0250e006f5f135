"""A text with its LSP line table, and how two versions of a text differ.

``Doc`` maps between offsets and 0-based (line, code-point column) positions on lines split
the LSP way (``core.lines``); the last few texts' tables are kept by content. ``edit`` gives
the tables of two versions, the new one derived from the old one by scanning only the span the
edit touched (``edit_span``: the common prefix and suffix, found with slice comparisons).
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from functools import lru_cache

from bigpicture.core import models
from bigpicture.core.lines import line_end, line_starts_fast


class Doc:
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


_DOCS: OrderedDict[str, Doc] = OrderedDict()  # the last few texts' tables, by content


_DOCS_KEPT = 8


_DOCS_LOCK = threading.Lock()


def doc_of(text: str) -> Doc:
    # Keyed by content (str hashes are cached), so it never goes stale.
    with _DOCS_LOCK:
        doc = _DOCS.get(text)
        if doc is not None:
            _DOCS.move_to_end(text)
            return doc
    return _remember(Doc(text))


def _remember(doc: Doc) -> Doc:
    with _DOCS_LOCK:
        _DOCS[doc.text] = doc
        _DOCS.move_to_end(doc.text)
        while len(_DOCS) > _DOCS_KEPT:
            _DOCS.popitem(last=False)
    return doc


def range_text(text: str, rng: models.Range) -> str:
    """The text a range covers."""
    doc = doc_of(text)
    start = doc.offset(rng.start_line, rng.start_char)
    end = doc.offset(rng.end_line, rng.end_char)
    return text[start:end] if end > start else ""


def last_line(rng: models.Range) -> int:
    """The last line a range touches with at least one character (1-based)."""
    if rng.end_line > rng.start_line and rng.end_char == 0:
        return rng.end_line
    return rng.end_line + 1


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
def edit_span(old: str, new: str) -> tuple[int, int]:
    """(common prefix, common suffix) of two versions: where an edit left them alike."""
    prefix = _common_prefix(old, new)
    room = min(len(old), len(new)) - prefix
    suffix = _common_suffix(old, new, room) if room else 0
    return prefix, suffix


def _edited_doc(old: Doc, new_text: str, prefix: int, suffix: int) -> Doc:
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
    return Doc(new_text, starts)


@lru_cache(maxsize=2)
def edit(old_text: str, new_text: str) -> tuple[Doc, Doc]:
    """Both versions' line tables; the new one derived from the old one (see ``_edited_doc``)."""
    old = doc_of(old_text)
    with _DOCS_LOCK:
        new = _DOCS.get(new_text)
    if new is None:
        new = _remember(_edited_doc(old, new_text, *edit_span(old_text, new_text)))
    return old, new
