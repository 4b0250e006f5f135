"""core.request.layout: the repository laid out for the prompt cache. What callers rely on: a
cache base in a fixed order (oldest change first) whose bytes do not change while it is kept;
edits after it sent as append-only generations; the base re-taken when it lapsed, when the
model, nonce or TTL changed, or when a file it carries is no longer sent; deleted files
listed; recency tiers for the comparison layout."""

from __future__ import annotations

from bigpicture.core.models import SourceFile
from bigpicture.core.request import layout

NOW = 1_800_000_000.0
NONCE = "n" * 16
KW = {"nonce": NONCE, "ttl": "5m", "model": "m"}


def F(path: str, text: str, last_change: int = 1_000, dirty: bool = False) -> SourceFile:
    return SourceFile(
        path=path, text=text, sha=f"sha:{text}", size=len(text), last_change=last_change,
        dirty=dirty,
    )  # fmt: skip


def tokens_of(files: list[SourceFile]) -> dict[str, int]:
    return {f.path: 100 for f in files}


def run(files, base, *, room=10_000, present=None, now=NOW, **over):
    kw = {**KW, **over}
    return layout.layout_snapshot(
        files, tokens_of(files), base, room, now=now,
        present=present if present is not None else {f.path for f in files}, **kw,
    )  # fmt: skip


def sent(base):
    """The base as stored after its review was sent (what store.cachebase keeps)."""
    return layout.note_sent(base, None, now=NOW)


def test_the_base_orders_files_oldest_change_first_and_its_id_follows_the_contents() -> None:
    files = [F("new.py", "n", 3_000), F("old.py", "o", 1_000), F("fresh.py", "f", 0)]
    base = layout.new_base(files, tokens_of(files), now=NOW, **KW)
    assert [b.path for b in base.files] == ["old.py", "new.py", "fresh.py"]  # never committed last
    assert base.tokens == 300 and base.rules  # keyed by the secret-scan rules too
    same = layout.new_base(list(reversed(files)), tokens_of(files), now=NOW + 5, **KW)
    assert same.id == base.id
    edited = [F("new.py", "n2", 3_000), *files[1:]]
    assert layout.new_base(edited, tokens_of(edited), now=NOW, **KW).id != base.id


def test_note_sent_refreshes_the_expiry_and_appends_the_generation() -> None:
    files = [F("a.py", "a")]
    base = layout.new_base(files, tokens_of(files), now=NOW, ttl="1h", nonce=NONCE, model="m")
    gen = layout.Generation(seq=1, text="t", texts={"a.py": "a2"}, shas={"a.py": "s2"}, tokens=7)
    got = layout.note_sent(base, gen, now=NOW)
    assert got.expires == NOW + 3600 and got.seq == 1 and got.generations == [gen]
    assert got.latest() == ({"a.py": "s2"}, {"a.py": "a2"}) and got.changes_tokens == 7


def test_a_first_review_takes_a_base_and_a_repeat_keeps_its_bytes() -> None:
    files = [F("a.py", "a = 1\n"), F("b.py", "b = 1\n", 2_000)]
    groups, new, generation, deleted = run(files, None)
    assert new is not None and generation is None and deleted == []
    assert [g.name for g in groups] == [f"repository snapshot {new.id[:8]}"]
    base_text = groups[0].text
    again, new2, gen2, _ = run(files, sent(new))
    assert new2 is None and gen2 is None and again[0].text == base_text


def test_an_edit_is_sent_after_the_unchanged_base_as_a_new_generation() -> None:
    files = [F("a.py", "a = 1\n"), F("b.py", "b = 1\n", 2_000)]
    _, base, _, _ = run(files, None)
    edited = [files[0], F("b.py", "b = 2\n", dirty=True)]
    groups, new, generation, _ = run(edited, sent(base))
    assert new is None and generation is not None and generation.seq == 2
    assert generation.texts == {"b.py": "b = 2\n"}
    assert groups[0].text == run(files, None)[0][0].text  # the base's bytes, unchanged
    assert [p for p, *_ in groups[0].files] == ["a.py"]  # b.py's current text is later
    assert groups[-1].name == "changes since the last review" and "b = 2" in groups[-1].text
    assert groups[0].ttl == "5m" and groups[-1].ttl == "5m"  # a breakpoint after each


def test_a_deleted_file_is_listed_and_a_file_no_longer_sent_retakes_the_base() -> None:
    files = [F("a.py", "a"), F("b.py", "b")]
    _, base, _, _ = run(files, None)
    _, new, _, deleted = run(files[:1], sent(base), present={"a.py"})
    assert new is None and deleted == ["b.py"]
    # Still in the workspace but not sent any more (excluded, refused): a base without it.
    _, new, _, _ = run(files[:1], sent(base), present={"a.py", "b.py"})
    assert new is not None and [b.path for b in new.files] == ["a.py"]


def test_the_base_is_retaken_when_it_lapsed_or_the_request_would_read_another_prefix() -> None:
    files = [F("a.py", "a")]
    _, base, _, _ = run(files, None)
    kept = sent(base)
    assert run(files, kept)[1] is None
    assert run(files, kept, now=NOW + 301)[1] is not None  # the 5-minute entry lapsed
    assert run(files, kept, model="other")[1] is not None
    assert run(files, kept, nonce="x" * 16)[1] is not None
    assert run(files, kept, ttl="1h")[1] is not None


def test_the_base_is_retaken_when_the_changes_outgrow_it() -> None:
    files = [F("a.py", "a"), F("b.py", "b")]
    _, base, _, _ = run(files, None)
    kept = sent(base)
    both = [F("a.py", "a2"), F("b.py", "b2")]
    # The changes (counted as sent: the two files' change blocks) on a 200-token base are
    # within RESNAPSHOT_FRACTION (1.0).
    assert run(both, kept)[1] is None
    # The base fits the room but the base and its changes do not: a fresh base.
    assert run(both, kept, room=201)[1] is not None


def test_recency_tiers_put_the_oldest_committed_files_first_and_dirty_ones_last() -> None:
    files = [F(f"m{i}.py", str(i), last_change=1_000 + i) for i in range(10)]
    files.append(F("wip.py", "w", last_change=5_000, dirty=True))
    groups = layout.layout_tiers(files, tokens_of(files), NONCE, "5m")
    names = [g.name for g in groups]
    assert names[0] == "repository tier 1 (changed longest ago)"
    assert names[-1] == "uncommitted files" and [p for p, *_ in groups[-1].files] == ["wip.py"]
    order = [p for g in groups for p, *_ in g.files]
    assert order[:-1] == [f"m{i}.py" for i in range(10)]
    assert all(g.ttl == "5m" for g in groups)
