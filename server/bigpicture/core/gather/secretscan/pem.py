"""Private-key blocks: PEM, OpenSSH, PGP and PKCS#8 (``find_private_keys``), and PuTTY
``.ppk`` keys (``find_putty_keys``).

A block keeps its BEGIN and END lines and its line count, each body line replaced (also
inside one JSON string with ``\\n`` escapes, and with diff markers and string quotes kept).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from bigpicture.core.gather.secretscan.rule_types import Span
from bigpicture.core.lines import line_starts_fast as line_starts

_EOL = re.compile(r"\r\n|\r|\n")

_PEM_BEGIN = re.compile(r"-{4,5} ?BEGIN (?:[A-Z0-9]+ )*(?:PRIVATE|SECRET) KEY(?: BLOCK)? ?-{4,5}")
_PEM_END = re.compile(r"-{4,5} ?END [A-Z0-9 ]*?-{4,5}")
_ESCAPED_EOL = re.compile(r"\\\\r\\\\n|\\\\n|\\r\\n|\\n")
# The syntax around one body line of a key inside code: indentation, an opening quote (with a
# string prefix or a "+" concatenation), and a closing quote with what follows it.
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/=]{4}")
_QUOTES = re.compile(r"[\"'`]")
_QUOTED_BODY = re.compile(
    r"(?<=[\"'`])[A-Za-z0-9+/=]{8,}+(?=[\"'`]|$)|(?<=[\"'`] )[A-Za-z0-9+/=]{8,}+"
)
_BODY_LEAD = re.compile(r"[ \t]*(?:\+[ \t]+)?(?:[rRbBuU]{0,2}[\"'`])?")
# A line that can only be part of a key body; used where no END marker follows (a truncated
# block), to know where the block stops.
_BODY_LIKE = re.compile(
    r"""[ \t]*(?:\+[ \t]+)?["'`]?
        (?:[A-Za-z0-9+/=]{16,}|=[A-Za-z0-9+/]{4}
          |(?:Proc-Type|DEK-Info|Version|Comment|Hash|Charset|MessageID):[^\r\n]*)
        (?:(?:\\r)?\\n)?["'`]?[ \t,;+)]*$""",
    re.VERBOSE,
)


@dataclass
class _EndSearch:
    """The last search for an END marker: where it started, what it found."""

    searched_from: int
    end: re.Match[str] | None


def find_private_keys(text: str, spans: list[Span]) -> None:
    starts = line_starts(text)
    in_diff = text.startswith("@@ -") or "\n@@ -" in text or "\r@@ -" in text
    end_cache = _EndSearch(len(text) + 1, None)
    pos = 0
    while True:
        m = _PEM_BEGIN.search(text, pos)
        if m is None:
            return
        before = len(spans)
        spans.append((m.start(), m.start(), "private-key", "hit"))
        pos = _redact_private_key(text, m, starts, in_diff, end_cache, spans)
        if len(spans) == before + 1:
            spans.pop()  # markers without key material (a regex, constants): not a finding


def _redact_private_key(
    text: str,
    m: re.Match[str],
    starts: list[int],
    in_diff: bool,
    end_cache: _EndSearch,
    spans: list[Span],
) -> int:
    """Redact the body of the key whose BEGIN marker is ``m``; return where to search on."""
    line = bisect.bisect_right(starts, m.start()) - 1
    begin_line_start = starts[line]
    begin_line_end = _line_end(text, starts, line)
    rest_start = m.end()
    end_inline = _PEM_END.search(text, rest_start, begin_line_end)
    if end_inline is not None:
        # The whole key on one line: "-----BEGIN ...-----\\nMII...\\n-----END ...-----" in a
        # JSON string, or separated by spaces.
        _redact_pieces(text, rest_start, end_inline.start(), spans)
        return end_inline.end()
    escaped = _ESCAPED_EOL.match(text, rest_start, begin_line_end) is not None
    if _redact_pieces(text, rest_start, begin_line_end, spans) and escaped:
        # A one-line escaped key cut short: its body was on this line, nothing follows.
        return begin_line_end
    marker = in_diff and text[begin_line_start : begin_line_start + 1] in ("+", "-", " ")
    # Searching for END once per BEGIN would be quadratic in a file of many BEGINs and no END;
    # a search result stays valid for any later start it does not pass.
    end = end_cache.end
    if not (
        end_cache.searched_from <= begin_line_end and (end is None or end.start() >= begin_line_end)
    ):
        end = _PEM_END.search(text, begin_line_end)
        end_cache.searched_from, end_cache.end = begin_line_end, end
    return _redact_pem_lines(text, begin_line_end, end, marker, spans)


def _line_end(text: str, starts: list[int], line: int) -> int:
    """Offset of the terminator of ``line`` (or of the end of ``text`` for the last line)."""
    if line + 1 >= len(starts):
        return len(text)
    nxt = starts[line + 1]
    return nxt - 2 if text.startswith("\r\n", nxt - 2) else nxt - 1


def _redact_pieces(text: str, start: int, stop: int, spans: list[Span]) -> bool:
    """Redact the body between ``start`` and ``stop`` on one line, piece by piece between
    escaped newlines (``\\n``), keeping the escapes. True if any body was found."""
    found = False
    piece_start = start
    for esc in _ESCAPED_EOL.finditer(text, start, stop):
        found |= _redact_body_piece(text, piece_start, esc.start(), spans, strip_lead=False)
        piece_start = esc.end()
    found |= _redact_body_piece(text, piece_start, stop, spans, strip_lead=False)
    return found


def _redact_pem_lines(
    text: str, pos: int, end: re.Match[str] | None, marker: bool, spans: list[Span]
) -> int:
    """Redact every line after a BEGIN line up to its END line, or, with no END marker,
    while the lines look like key body. ``pos`` is at the end of the BEGIN line."""
    stop = end.start() if end is not None else len(text)
    n = len(text)
    while pos < n:
        eol = _EOL.match(text, pos)
        if eol is None:
            break
        line_start = eol.end()
        nxt = _EOL.search(text, line_start)
        line_end = nxt.start() if nxt else n
        body_start = line_start
        if marker and line_start < line_end and text[line_start] in "+- ":
            body_start += 1
        if end is not None and line_end >= stop:
            # The END line: redact what precedes the marker on it, if anything.
            _redact_body_piece(text, body_start, stop, spans, strip_lead=True)
            return end.end()
        if (
            end is None
            and not _BODY_LIKE.match(text, body_start, line_end)
            and not _is_blank_then_body(text, body_start, line_end, marker)
        ):
            return line_start
        _redact_body_piece(text, body_start, line_end, spans, strip_lead=True)
        pos = line_end
    return end.end() if end is not None else n


def _is_blank_then_body(text: str, start: int, end: int, marker: bool) -> bool:
    """A blank line inside an END-less block is body if the next line looks like body."""
    if text[start:end].strip():
        return False
    eol = _EOL.match(text, end)
    if eol is None:
        return False
    nxt = eol.end()
    if marker and nxt < len(text) and text[nxt] in "+- ":
        nxt += 1
    stop = _EOL.search(text, nxt)
    return _BODY_LIKE.match(text, nxt, stop.start() if stop else len(text)) is not None


def _body_end(text: str, start: int, end: int) -> int:
    """Where the key material of ``text[start:end]`` ends: before trailing blanks, and before a
    closing quote (with a preceding escaped newline) followed only by punctuation."""
    while end > start and text[end - 1] in " \t":
        end -= 1
    quote = max(
        text.rfind('"', start, end), text.rfind("'", start, end), text.rfind("`", start, end)
    )
    if quote < 0 or any(ch.isalnum() for ch in text[quote + 1 : end]):
        return end
    for escape in ("\\r\\n", "\\n"):
        if text.startswith(escape, quote - len(escape)) and quote - len(escape) >= start:
            return quote - len(escape)
    return quote


def _redact_body_piece(
    text: str, start: int, end: int, spans: list[Span], *, strip_lead: bool
) -> bool:
    """Replace the content of ``text[start:end]``, keeping indentation and string quotes."""
    if strip_lead:
        lead = _BODY_LEAD.match(text, start, end)
        if lead is not None:
            start = lead.end()
    else:
        while start < end and text[start] in " \t":
            start += 1
    end = _body_end(text, start, end)
    if end <= start:
        return False
    if strip_lead:
        spans.append((start, end, "private-key", False))
        return True
    if not _QUOTES.search(text, start, end):
        # On a BEGIN line (a key in one string, with escaped newlines): a piece without key
        # material is code around the markers, such as a regular expression matching them.
        if _BASE64_RUN.search(text, start, end):
            spans.append((start, end, "private-key", False))
            return True
        return False
    # Quotes inside a piece on a BEGIN line: separate string literals, as in
    # "-----BEGIN ...-----" + "MIIE..." or the two markers as constants in minified code.
    # Only the stretches between quotes that hold key material are redacted.
    found = False
    for m in _QUOTED_BODY.finditer(text, start, end):
        spans.append((m.start(), m.end(), "private-key", False))
        found = True
    return found


# PuTTY keys: "Private-Lines: N" then N lines of base64, then "Private-MAC: <hex>".
_PUTTY_PRIVATE = re.compile(r"Private-Lines:[ \t]*(\d{1,4})[ \t]*(?:\r\n|\r|\n)")
_PUTTY_MAC = re.compile(r"Private-(?:MAC|Hash):[ \t]*([0-9a-fA-F]{20,})")


def find_putty_keys(text: str, spans: list[Span]) -> None:
    """The lines after "Private-Lines: N" (keeping a diff marker) and the MAC after them."""
    in_diff = text.startswith("@@ -") or "\n@@ -" in text or "\r@@ -" in text
    for m in _PUTTY_PRIVATE.finditer(text):
        pos = m.end()
        first = True
        for _ in range(int(m.group(1))):
            eol = _EOL.search(text, pos)
            end = eol.start() if eol else len(text)
            start = pos + 1 if in_diff and text[pos : pos + 1] in ("+", "-", " ") else pos
            if end > start:
                spans.append((start, end, "putty-private-key", first))
                first = False
            if eol is None:
                break
            pos = eol.end()
        mac = _PUTTY_MAC.match(
            text, pos + 1 if in_diff and text[pos : pos + 1] in ("+", "-", " ") else pos
        )
        if mac is not None:
            spans.append((mac.start(1), mac.end(1), "putty-private-key", first))
