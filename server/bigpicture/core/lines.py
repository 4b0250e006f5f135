"""Lines as the Language Server Protocol counts them.

LSP lines end only at ``\\n``, ``\\r\\n`` or ``\\r``. ``str.splitlines`` also splits at form
feed, NEL, U+2028 and friends, which would shift every line number after them; everything in
BigPicture that numbers lines goes through this module instead.
"""

from __future__ import annotations

import re
from itertools import accumulate

_EOL = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` without their terminators. ``""`` is one empty line.

    A trailing terminator yields a final empty line, as LSP positions allow a position there.
    """
    return _EOL.split(text)


def split_lines_keepends(text: str) -> list[str]:
    """The lines of ``text`` with their terminators; joining them gives ``text`` back."""
    out: list[str] = []
    pos = 0
    for m in _EOL.finditer(text):
        out.append(text[pos : m.end()])
        pos = m.end()
    out.append(text[pos:])
    return out


def line_count(text: str) -> int:
    return len(_EOL.findall(text)) + 1


def line_starts(text: str) -> list[int]:
    """Offset (in code points) of the first character of each line."""
    starts = [0]
    starts.extend(m.end() for m in _EOL.finditer(text))
    return starts


# Everything ``str.splitlines`` splits at that LSP does not.
_NOT_LSP_EOL = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def line_starts_fast(text: str) -> list[int]:
    """``line_starts(text)``, without a Python-level step per line.

    ``str.splitlines`` splits at ``\\n``, ``\\r\\n`` and ``\\r`` exactly as LSP does, and also
    at a few other characters; when the text has none of those, its pieces' lengths summed
    give the line starts. Otherwise the regular expression does it.
    """
    if not text:
        return [0]
    for c in _NOT_LSP_EOL:
        if c in text:
            return line_starts(text)
    starts = list(accumulate(map(len, text.splitlines(True)), initial=0))
    if text[-1] not in "\r\n":
        starts.pop()  # the end of the last line, which has no terminator
    return starts


def line_end(text: str, starts: list[int], line: int) -> int:
    """Where the content of ``line`` ends (its terminator begins), from ``line_starts``."""
    if line + 1 >= len(starts):
        return len(text)
    nxt = starts[line + 1]
    return nxt - 2 if nxt >= 2 and text[nxt - 2 : nxt] == "\r\n" else nxt - 1
