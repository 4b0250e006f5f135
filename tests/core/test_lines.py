"""core.lines: lines as LSP counts them (only \\n, \\r\\n and \\r end a line)."""

from __future__ import annotations

import pytest
from bigpicture.core import lines

SAMPLES = [
    "",
    "a",
    "a\n",
    "a\r\nb\rc\nd",
    "\n\n",
    "form\x0cfeed\u2028sep\x85nel\nend",
    "\r\n\r\n",
    "trailing\r",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_split_and_starts_agree(text: str) -> None:
    parts = lines.split_lines(text)
    assert len(parts) == lines.line_count(text)
    assert "".join(lines.split_lines_keepends(text)) == text
    starts = lines.line_starts(text)
    assert lines.line_starts_fast(text) == starts
    assert len(starts) == len(parts)
    for i, part in enumerate(parts):
        end = lines.line_end(text, starts, i)
        assert text[starts[i] : end] == part


def test_only_lsp_terminators_split() -> None:
    assert lines.split_lines("a\x0cb\u2028c\x85d") == ["a\x0cb\u2028c\x85d"]
    assert lines.split_lines("a\r\nb") == ["a", "b"]
    assert lines.split_lines("a\n") == ["a", ""]
