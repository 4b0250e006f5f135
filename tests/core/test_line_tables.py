"""Line tables computed fast (``lines.line_starts_fast``) and derived through an edit
(``anchor`` re-uses the old version's table): always the table computed from scratch."""

from __future__ import annotations

from bigpicture.core import models
from bigpicture.core.lines import line_end, line_starts, line_starts_fast, split_lines
from bigpicture.core.reply import anchor, textdoc
from bigpicture.core.reply.follow import reanchor
from bigpicture.core.reply.textdoc import range_text
from hypothesis import assume, given, settings
from hypothesis import strategies as st

# Every LSP terminator, every other character str.splitlines splits at, wide characters.
_ALPHABET = st.sampled_from(
    [
        *("a", "bc", " ", "\t", "\n", "\r", "\r\n"),
        *("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"),
        *("é", "錯", "\U0001f600"),
    ]
)
texts = st.lists(_ALPHABET, max_size=60).map("".join)


@settings(max_examples=500, deadline=None)
@given(texts)
def test_fast_line_starts_are_the_lsp_line_starts(text):
    starts = line_starts_fast(text)
    assert starts == line_starts(text)
    lines = split_lines(text)
    assert [text[s : line_end(text, starts, i)] for i, s in enumerate(starts)] == lines


@settings(max_examples=500, deadline=None)
@given(texts, texts, st.data())
def test_line_table_derived_through_an_edit_is_the_new_texts(old, inserted, data):
    i = data.draw(st.integers(0, len(old)))
    j = data.draw(st.integers(i, len(old)))
    new = old[:i] + inserted + old[j:]
    _, doc = textdoc.edit(old, new)
    assert doc.text == new and doc.starts == line_starts(new)


@settings(max_examples=300, deadline=None)
@given(texts, texts, texts, texts, st.booleans())
def test_code_away_from_an_edit_is_followed(before, quote, after, inserted, edit_after):
    needle = quote.strip("\r\n")
    assume(needle.strip(" \t\r\n\x0b\x0c") and needle not in before + after)
    old = before + quote + after
    (f,), _ = anchor.anchor(
        [
            models.Finding(
                path="t",
                line=1,
                quote=quote,
                severity="high",
                category="security",
                title="t",
                message="m",
            )
        ],
        {"t": old},
    )
    assume(range_text(old, f.range) == needle)
    # and found where the quote was put (not at an earlier copy overlapping ``before``)
    assume(old.find(needle) == len(before) + len(quote) - len(quote.lstrip("\r\n")))
    # An edit that leaves the quoted code alone, before it or after it.
    cut = len(before + quote) + len(after) // 2 if edit_after else len(before) // 2
    new = old[:cut] + inserted + old[cut + (len(after) // 4 if edit_after else 0) :]
    g = reanchor(f, old, new)
    assert g is not None and range_text(new, g.range) == needle
    lines = split_lines(new)
    assert 0 <= g.range.start_line <= g.range.end_line < len(lines)
    assert g.range.end_char <= len(lines[g.range.end_line])
