"""Core ranges (code-point columns on LSP lines) to the client's encoding and back."""

from __future__ import annotations

from bigpicture.core.lines import split_lines
from bigpicture.core.models import Range
from bigpicture.lsp.convert import Lines
from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types as lsp

_ALPHABET = st.sampled_from(
    [
        *("a", "bc", " ", "\t", "\n", "\r", "\r\n", "\x0c", "\x85", "\u2028"),
        *("é", "錯", "\U0001f600", "\U0001f468\u200d\U0001f469"),
    ]
)
texts = st.lists(_ALPHABET, max_size=60).map("".join)
ENCODINGS = {
    lsp.PositionEncodingKind.Utf8: lambda s: len(s.encode("utf-8")),
    lsp.PositionEncodingKind.Utf16: lambda s: len(s.encode("utf-16-le")) // 2,
    lsp.PositionEncodingKind.Utf32: len,
}


@settings(max_examples=400, deadline=None)
@given(texts, st.sampled_from(sorted(ENCODINGS)), st.data())
def test_positions_count_the_line_prefix_in_the_encoding(text, encoding, data):
    units = ENCODINGS[encoding]
    lines = split_lines(text)
    conv = Lines(text)
    assert conv.lines == lines
    line = data.draw(st.integers(0, len(lines) + 2))
    char = data.draw(st.integers(0, 40))
    pos = conv.position(line, char, encoding)
    if line >= len(lines):  # past the end: the end of the last line
        assert pos == lsp.Position(len(lines) - 1, units(lines[-1]))
        return
    assert pos == lsp.Position(line, units(lines[line][:char]))
    # and back: the client's position is the code-point column it came from (clamped)
    assert conv.to_code_points(pos, encoding) == (line, min(char, len(lines[line])))
    rng = conv.range(Range(line, 0, line, char), encoding)
    assert rng == lsp.Range(lsp.Position(line, 0), pos)
