"""core.reply.follow: the one rule that moves a finding onto edited text (``reanchor``,
``follow`` with its two policies, ``follow_all`` for batch results)."""

from __future__ import annotations

from bigpicture.core import models
from bigpicture.core.lines import split_lines
from bigpicture.core.reply.anchor import anchor
from bigpicture.core.reply.follow import follow, follow_all, reanchor
from bigpicture.core.reply.textdoc import range_text
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core.reply.test_anchor import SRC, F, assert_in_bounds, one, texts

# --------------------------------------------------------------------------- reanchor


def test_reanchor_follows_the_code_through_an_edit():
    f, _ = one(F(line=9))
    new = "'''Docs.'''\n\n" + SRC.replace("def save", "def keep(x):\n    pass\n\ndef save")
    g = reanchor(f, SRC, new)
    assert g is not None and g.id == f.id
    assert range_text(new, g.range) == "return db.execute(q)"
    assert g.line == 14 and split_lines(new)[13] == "    return db.execute(q)"


def test_reanchor_none_when_the_code_is_gone():
    f, _ = one(F(line=9))
    new = SRC.replace("    q = 'INSERT ' + user\n    return db.execute(q)\n", "    pass\n")
    # A copy of the same code elsewhere (line 5) does not take the finding over.
    assert reanchor(f, SRC, new) is None
    assert reanchor(f, SRC, SRC.replace("return db.execute(q)", "return None")) is None
    assert reanchor(f, SRC, SRC.replace("execute(q)\n\n", "execute(q, x)\n")) is not None
    changed = SRC[: SRC.rindex("return")] + "return db.execute(q, x)\n"
    assert reanchor(f, SRC, changed) is None


def test_reanchor_when_the_edit_touches_the_line():
    f, _ = one(F(line=9))
    new = SRC.replace("    return db.execute(q)\n", "    return db.execute(q)  # checked\n")
    g = reanchor(f, SRC, new)
    assert g is not None and g.line == 9 and range_text(new, g.range) == "return db.execute(q)"


def test_reanchor_after_reindent_uses_normalized_match():
    f, _ = one(F(line=5, quote="q = 'SELECT * FROM t WHERE u = ' + user\n    return db.execute(q)"))
    new = SRC.replace("    q = 'SELECT", "        q = 'SELECT").replace(
        "    return db.execute(q)\n\ndef save", "        return  db.execute(q)\n\ndef save"
    )
    g = reanchor(f, SRC, new)
    assert g is not None and not g.approximate
    assert (
        range_text(new, g.range)
        == "q = 'SELECT * FROM t WHERE u = ' + user\n        return  db.execute(q)"
    )


def test_reanchor_approximate_finding_follows_its_line():
    f, _ = one(F(line=4, quote="made up"))
    new = "\n\n" + SRC
    g = reanchor(f, SRC, new)
    assert g is not None and g.approximate and g.line == 6
    assert reanchor(f, SRC, SRC.replace("SELECT", "UPDATE")) is None


def test_a_finding_on_a_redacted_secret_follows_onto_the_real_text_through_edits():
    sent = 'import os\nAPI_KEY = "<redacted:generic-secret>"  # prod\nx = 1\n'
    real = sent.replace("<redacted:generic-secret>", "s3cr3t-value-123")
    f, _ = one(F(line=2, quote='API_KEY = "<redacted:generic-secret>"'), sent)
    assert f is not None and not f.approximate
    same = follow(f, sent, real)  # only the redaction differs: the same line
    assert same.approximate and range_text(real, same.range) == 'API_KEY = "s3cr3t-value-123"'
    moved = "# new\n# lines\n" + real.replace("x = 1", "x = 2")  # edits around it too
    got = follow(f, sent, moved)
    assert got.range.start_line == 3 and got.line == 4
    assert range_text(moved, got.range) == 'API_KEY = "s3cr3t-value-123"'
    assert follow(f, sent, moved.replace("API_KEY", "TOKEN")) is None  # its code is gone


def test_reanchor_moves_related_in_the_same_file():
    related = [models.Related(path="src/app.py", line=3, quote="def load(user):")]
    f, _ = one(F(related=related))
    g = reanchor(f, SRC, "\n" + SRC)
    assert g.related[0].line == 4 and g.related[0].range == models.Range(3, 0, 3, 15)


@settings(max_examples=300, deadline=None)
@given(texts, texts, texts, st.data())
def test_reanchor_after_insertions_finds_the_same_text(before, quote, after, data):
    needle = quote.strip("\r\n")
    assume(needle.strip(" \t\r\n\x0b\x0c") and needle not in before + after)
    old = before + quote + after
    (f,), _ = anchor([F(path="t", quote=quote, line=1)], {"t": old})
    assume(range_text(old, f.range) == needle)
    prefix = data.draw(texts)
    new = prefix + old
    g = reanchor(f, old, new)
    assert g is not None and range_text(new, g.range) == needle
    assert_in_bounds(new, g.range)


# --------------------------------------------------------------------------- the two policies


def test_a_lost_finding_is_gone_in_the_editor_and_kept_approximate_for_a_batch():
    f, _ = one(F(line=9, fix=models.Fix("return db.execute(q, (user,))")))
    gone = SRC.replace("    q = 'INSERT ' + user\n    return db.execute(q)\n", "    pass\n")
    assert follow(f, SRC, gone) is None
    kept = follow(f, SRC, gone, keep_lost=True)
    assert kept is not None and kept.approximate and kept.fix is None
    # On its old line (0-based 8), the whole line, clamped to the shorter new text.
    lines = split_lines(gone)
    line0 = min(8, len(lines) - 1)
    assert kept.range == models.Range(line0, 0, line0, len(lines[line0]))
    assert kept.line == kept.end_line == line0 + 1


def test_a_deleted_file_drops_the_finding_or_keeps_it_without_a_range():
    f, _ = one(F(line=9))
    assert follow(f, SRC, None) is None
    kept = follow(f, SRC, None, keep_lost=True)
    assert kept is not None and kept.range is None and kept.approximate and kept.fix is None


def test_follow_all_moves_only_changed_files_and_their_related_places_and_sorts():
    other = "def helper():\n    return 1\n"
    rel = models.Related(path="src/util.py", line=2, quote="return 1")
    (in_app,), _ = anchor([F(line=9, related=[rel])], {"src/app.py": SRC, "src/util.py": other})
    (untouched,), _ = anchor(
        [F(path="src/util.py", line=1, quote="def helper():", title="t2")], {"src/util.py": other}
    )
    sent = {"src/app.py": SRC, "src/util.py": other}
    current = {"src/app.py": "\n\n" + SRC, "src/util.py": "# top\n" + other}
    # Only src/app.py is listed as changed: the util finding and the related place stay.
    got = follow_all([in_app, untouched], sent, current, {"src/app.py"})
    assert [g.path for g in got] == ["src/app.py", "src/util.py"]
    assert got[0].line == 11 and got[0].related[0].line == 2
    assert got[1] == untouched
    # Both changed: the related place in the other file moves too.
    got = follow_all([untouched, in_app], sent, current, {"src/app.py", "src/util.py"})
    assert got[0].related[0].line == 3 and got[1].line == 2
    assert range_text(current["src/util.py"], got[0].related[0].range) == "return 1"
