"""Lines as the Language Server Protocol counts them.

LSP lines end only at ``\\n``, ``\\r\\n`` or ``\\r``. ``str.splitlines`` also splits at form
feed, NEL, U+2028 and friends, which would shift every line number after them; everything in
BigPicture that numbers lines goes through this module instead.
"""

from __future__ import annotations

import re

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


def offset_to_position(starts: list[int], text_len: int, offset: int) -> tuple[int, int]:
    """Code-point offset to (line, column), both 0-based, using ``line_starts`` output."""
    import bisect

    offset = max(0, min(offset, text_len))
    line = bisect.bisect_right(starts, offset) - 1
    return line, offset - starts[line]
