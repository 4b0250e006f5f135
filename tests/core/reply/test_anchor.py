"""Anchoring quotes to ranges on LSP lines, stable ids, and re-anchoring after edits."""

from __future__ import annotations

import pytest
from bigpicture.core import models
from bigpicture.core.lines import split_lines
from bigpicture.core.reply.anchor import (
    anchor,
    finding_id,
    locate,
    normalize_path,
    normalize_ws,
)
from bigpicture.core.reply.follow import reanchor
from bigpicture.core.reply.textdoc import range_text
from hypothesis import assume, given, settings
from hypothesis import strategies as st

SRC = (
    "import os\n"
    "\n"
    "def load(user):\n"
    "    q = 'SELECT * FROM t WHERE u = ' + user\n"
    "    return db.execute(q)\n"
    "\n"
    "def save(user):\n"
    "    q = 'INSERT ' + user\n"
    "    return db.execute(q)\n"
)


def F(**over) -> models.Finding:
    base = dict(
        path="src/app.py",
        line=5,
        quote="return db.execute(q)",
        severity="high",
        category="security",
        title="SQL injection",
        message="m",
    )
    base.update(over)
    return models.Finding(**base)


def one(finding, text=SRC, path="src/app.py"):
    got, dropped = anchor([finding], {path: text})
    return (got[0] if got else None), dropped


def assert_in_bounds(text: str, rng: models.Range) -> None:
    lines = split_lines(text)
    assert 0 <= rng.start_line <= rng.end_line < len(lines)
    assert 0 <= rng.start_char <= len(lines[rng.start_line])
    assert 0 <= rng.end_char <= len(lines[rng.end_line])
    if rng.start_line == rng.end_line:
        assert rng.start_char <= rng.end_char


# --------------------------------------------------------------------------- exact


def test_exact_match_on_the_reported_line():
    f, dropped = one(F())
    assert f.range == models.Range(4, 4, 4, 24)
    assert (f.line, f.end_line, f.approximate) == (5, 5, False)
    assert range_text(SRC, f.range) == "return db.execute(q)"
    assert dropped == models.DroppedCounts()


@pytest.mark.parametrize(("reported", "expected_line"), [(1, 5), (5, 5), (7, 9), (9, 9), (40, 9)])
def test_nearest_occurrence_to_the_reported_line(reported, expected_line):
    f, _ = one(F(line=reported))
    assert f.line == expected_line and not f.approximate


def test_multi_line_quote_and_trailing_newline():
    quote = "def load(user):\n    q = 'SELECT * FROM t WHERE u = ' + user\n"
    f, _ = one(F(line=3, quote=quote))
    assert f.range == models.Range(2, 0, 3, 43)
    assert (f.line, f.end_line) == (3, 4)
    assert range_text(SRC, f.range) == quote.rstrip("\n")


# --------------------------------------------------------------------------- normalized


def test_whitespace_normalized_match():
    crlf = SRC.replace("\n", "\r\n").replace("    ", "\t")
    quote = "  def save(user):\n      q = 'INSERT '  +  user  \n"
    f, _ = one(F(line=7, quote=quote), text=crlf)
    assert not f.approximate
    # From the first non-space character to the end of the last one.
    assert f.range == models.Range(6, 0, 7, 21)
    assert range_text(crlf, f.range) == "def save(user):\r\n\tq = 'INSERT ' + user"


def test_normalized_match_does_not_invent_whitespace():
    f, _ = one(F(quote="return db.execute( q )", line=5))
    assert f.approximate  # "(q)" and "( q )" differ by more than whitespace


def test_fix_is_fitted_to_the_matched_span():
    f, _ = one(
        F(quote="    return db.execute(q)\n", fix=models.Fix("    return db.execute(q, ())\n"))
    )
    assert range_text(SRC, f.range) == "    return db.execute(q)"
    assert f.fix.replacement == "    return db.execute(q, ())"
    f, _ = one(F(quote="  return   db.execute(q)", fix=models.Fix("  return db.run(q)\n")))
    assert range_text(SRC, f.range) == "return db.execute(q)"
    assert f.fix.replacement == "return db.run(q)"


# --------------------------------------------------------------------------- fallbacks and drops


def test_unfound_quote_keeps_the_reported_line_approximately():
    f, dropped = one(F(line=4, quote="something the model made up", fix=models.Fix("x")))
    assert f.approximate and f.fix is None
    assert f.range == models.Range(3, 4, 3, 43)  # the line, without its indentation
    assert dropped == models.DroppedCounts()
    f, _ = one(F(line=3, end_line=5, quote="made up"))
    assert f.range == models.Range(2, 0, 4, 24) and (f.line, f.end_line) == (3, 5)
    f, _ = one(F(line=2, quote="made up"))  # a blank line: an empty range at its start
    assert f.range == models.Range(1, 0, 1, 0)


def test_out_of_range_and_unknown_paths_are_dropped_and_counted():
    findings = [
        F(line=11, quote="made up"),  # past EOF (the file has 10 LSP lines: 0..9)
        F(line=10_000_000_000, quote="made up"),
        F(path="src/other.py"),
        F(path="../src/app.py"),
        F(path="/etc/passwd"),
        F(line=10, quote="import os"),  # found, so kept even though the line is wrong
    ]
    got, dropped = anchor(findings, {"src/app.py": SRC})
    assert [f.line for f in got] == [1]
    assert (dropped.out_of_range, dropped.unknown_path) == (2, 3)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("src/app.py", "src/app.py"),
        ("./src/app.py", "src/app.py"),
        ("src\\app.py", "src/app.py"),
        (".\\src//./app.py", "src/app.py"),
        ("  src/app.py ", "src/app.py"),
        ("../app.py", None),
        ("src/../app.py", None),
        ("src/..\\..\\app.py", None),
        ("/abs/app.py", None),
        ("\\\\server\\share\\a.py", None),
        ("C:\\ws\\app.py", None),
        ("c:app.py", None),
        ("file:///ws/app.py", None),
        ("vscode-vfs://github/x", None),
        ("", None),
        (".", None),
        ("a\x00b", None),
    ],
)
def test_normalize_path(given, expected):
    assert normalize_path(given) == expected


def test_related_locations_are_anchored_and_unanchorable_ones_dropped():
    related = [
        models.Related(path="./src/app.py", line=1, quote="def load(user):", message="entry"),
        models.Related(path="src/db.py", line=2, quote="def execute(q):", message="sink"),
        models.Related(path="src/db.py", line=99, quote="made up"),
        models.Related(path="src/db.py", line=1, quote="made up too"),
        models.Related(path="secrets.txt", line=1, quote="x"),
        models.Related(path="../x.py", line=1, quote="x"),
    ]
    db = "import sqlite3\ndef execute(q):\n    pass\n"
    got, dropped = anchor([F(related=related)], {"src/app.py": SRC, "src/db.py": db})
    (f,) = got
    assert [(r.path, r.line, r.range) for r in f.related] == [
        ("src/app.py", 3, models.Range(2, 0, 2, 15)),
        ("src/db.py", 2, models.Range(1, 0, 1, 15)),
        ("src/db.py", 1, models.Range(0, 0, 0, 14)),
    ]
    assert dropped == models.DroppedCounts()


# --------------------------------------------------------------------------- ids


def test_id_is_stable_across_line_moves_and_whitespace():
    a, _ = one(F())
    moved = "# a new header\n\n" + SRC
    b, _ = one(F(line=7), text=moved)
    c, _ = one(F(line=7, quote="return   db.execute(q)\n", title="  sql   INJECTION "), text=moved)
    assert a.id == b.id == c.id
    assert len(a.id) == 16 and int(a.id, 16) >= 0
    assert a.range != b.range


def test_id_depends_on_path_category_code_and_cwe_not_the_title():
    base = finding_id("a.py", "security", "x = 1")
    assert finding_id("a.py", "security", "  x   =\n1 ") == base
    assert finding_id("a.py", "security", "x = 1", None) == finding_id(
        "a.py", "security", "x = 1", ""
    )
    assert finding_id("a.py", "security", "x = 1", "cwe-89") == finding_id(
        "a.py", "security", "x = 1", "CWE-89"
    )
    assert (
        len(
            {
                base,
                finding_id("b.py", "security", "x = 1"),
                finding_id("a.py", "bug", "x = 1"),
                finding_id("a.py", "security", "x = 2"),
                finding_id("a.py", "security", "x = 1", "CWE-89"),
            }
        )
        == 5
    )


def test_same_finding_in_two_places_gets_two_ids_and_repeats_are_dropped():
    got, _ = anchor([F(line=9), F(line=5), F(line=5), F(line=4)], {"src/app.py": SRC})
    assert [f.line for f in got] == [9, 5]
    assert len({f.id for f in got}) == 2
    first = next(f for f in got if f.line == 5)
    assert first.id == finding_id("src/app.py", "security", "return db.execute(q)")
    # The numbering follows the file, not the order the model answered in.
    again, _ = anchor([F(line=5), F(line=9)], {"src/app.py": SRC})
    assert {f.line: f.id for f in again} == {f.line: f.id for f in got}


def test_normalize_ws():
    assert normalize_ws(" a\t\tb\r\n  c \x0c") == "a b c"
    assert normalize_ws("a\u2028b\x85c") == "a\u2028b\x85c"  # not ASCII whitespace


# --------------------------------------------------------------------------- properties

_ALPHABET = st.sampled_from(
    [
        *"ab xy_()=;\t",
        "\U0001f600",  # astral emoji: two UTF-16 units
        "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # ZWJ family
        "錯誤",
        "漢",
        "a\u0308",  # combining diaeresis
        "\u00e9",
        "\r\n",
        "\r",
        "\n",
        "\x0c",
        "\x0b",
        "\x85",
        "\u2028",
        "\u2029",
    ]
)
texts = st.lists(_ALPHABET, min_size=1, max_size=80).map("".join)


@settings(max_examples=400, deadline=None)
@given(texts, st.data())
def test_exact_anchor_covers_exactly_the_quote(text, data):
    i = data.draw(st.integers(0, len(text) - 1))
    j = data.draw(st.integers(i + 1, len(text)))
    quote = text[i:j]
    needle = quote.strip("\r\n")
    assume(needle.strip(" \t\r\n\x0b\x0c"))
    n_lines = len(split_lines(text))
    line = data.draw(st.integers(1, n_lines + 3))
    got, _ = anchor([F(path="t", quote=quote, line=line)], {"t": text})
    (f,) = got
    assert not f.approximate
    assert range_text(text, f.range) == needle
    assert_in_bounds(text, f.range)
    assert f.line == f.range.start_line + 1 and f.end_line >= f.line
    assert locate(text, quote, line - 1) == f.range


@settings(max_examples=400, deadline=None)
@given(texts, st.data())
def test_normalized_anchor_matches_modulo_whitespace(text, data):
    i = data.draw(st.integers(0, len(text) - 1))
    j = data.draw(st.integers(i + 1, len(text)))
    quote = text[i:j]
    assume(normalize_ws(quote))
    # The model re-typed the whitespace: every run becomes something else.
    sep = data.draw(st.sampled_from([" ", "  ", "\t", "\n", " \r\n "]))
    mangled = " " + sep.join(normalize_ws(quote).split(" ")) + "\n"
    (f,), _ = anchor([F(path="t", quote=mangled, line=1)], {"t": text})
    assert not f.approximate
    covered = range_text(text, f.range)
    assert normalize_ws(covered) == normalize_ws(quote)
    # Either the re-typed quote happens to be in the text as is, or the range runs from
    # the first non-space character of the match to the end of its last one.
    assert covered in (mangled.strip("\r\n"), covered.strip(" \t\r\n\x0b\x0c"))
    assert_in_bounds(text, f.range)


@settings(max_examples=400, deadline=None)
@given(texts, st.text(max_size=10), st.integers(-3, 100), st.one_of(st.none(), st.integers(1, 100)))
def test_ranges_always_within_bounds(text, quote, line, end_line):
    assume(quote.strip())
    try:
        finding = F(path="t", quote=quote, line=line, end_line=end_line)
    except TypeError:
        return
    got, dropped = anchor([finding], {"t": text})
    if not got:
        assert dropped.out_of_range == 1
        assert not 1 <= line <= len(split_lines(text))
        return
    (f,) = got
    assert_in_bounds(text, f.range)
    assert f.end_line >= f.line >= 1


# --------------------------------------------------------------------------- speed


def test_two_hundred_findings_on_a_large_file_all_anchor_and_follow_a_header():
    lines = [f"    value_{i} = compute({i}, 'x' * {i % 97})  # 😀 錯誤" for i in range(60_000)]
    text = "\r\n".join(lines) + "\n"  # ~3.5 MB
    findings = []
    for k in range(200):
        i = (k * 7919) % 60_000
        if k % 4 == 0:
            quote = "made up code that is nowhere"  # exact and normalized both miss
        elif k % 4 == 1:
            quote = lines[i].replace("    ", "\t") + "\n" + lines[i + 1]  # normalized
        else:
            quote = lines[i].strip()
        findings.append(F(path="big.py", line=(i + 50) % 60_000 + 1, quote=quote, title=f"t{k}"))
    got, _ = anchor(findings, {"big.py": text})
    moved = [reanchor(f, text, "# header\n" + text) for f in got]
    assert len(got) == 200 and all(g is not None for g in moved)
    assert sum(f.approximate for f in got) == 50
