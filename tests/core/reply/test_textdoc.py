"""core.reply.textdoc: offsets and LSP positions on a text, clamped, and the text of a range."""

from __future__ import annotations

from bigpicture.core.models import Range
from bigpicture.core.reply import textdoc

TEXT = "def f():\r\n    return 1\n\nx = '名前'\rend"


def test_positions_and_offsets_round_trip() -> None:
    doc = textdoc.Doc(TEXT)
    assert doc.line_count == 5
    assert [doc.line(i) for i in range(5)] == ["def f():", "    return 1", "", "x = '名前'", "end"]
    for offset in range(len(TEXT) + 1):
        line, char = doc.position(offset)
        if offset <= doc.end(line):  # offsets inside a terminator map to the line's end
            assert doc.offset(line, char) == offset


def test_positions_are_clamped_into_the_text() -> None:
    doc = textdoc.Doc(TEXT)
    assert doc.offset(99, 0) == doc.starts[-1]  # past the last line: the last line
    assert doc.offset(0, 500) == doc.end(0)  # past the end of a line: its end, not the next
    assert doc.offset(-3, -3) == 0
    assert doc.position(10_000) == (4, 3)
    assert doc.range(4, 7) == Range(0, 4, 0, 7)


def test_range_text_and_last_line() -> None:
    assert textdoc.range_text(TEXT, Range(1, 4, 1, 12)) == "return 1"
    assert textdoc.range_text(TEXT, Range(3, 5, 3, 7)) == "名前"
    assert textdoc.range_text(TEXT, Range(1, 8, 1, 2)) == ""  # reversed: nothing
    assert textdoc.last_line(Range(0, 0, 2, 0)) == 2  # ends at a line's start: the line before
    assert textdoc.last_line(Range(0, 0, 2, 1)) == 3


def test_edit_span_and_the_derived_table() -> None:
    old = "a\nb\nc\n"
    new = "a\nB\nB2\nc\n"
    assert textdoc.edit_span(old, new) == (2, 3)
    before, after = textdoc.edit(old, new)
    assert before.starts == textdoc.Doc(old).starts
    assert after.starts == textdoc.Doc(new).starts == [0, 2, 4, 7, 9]
    assert textdoc.doc_of(new) is after  # remembered by content
