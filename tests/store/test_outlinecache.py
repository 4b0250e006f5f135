"""store.outlinecache: outlines kept by content between runs, so a later run parses only the
files whose content changed."""

from __future__ import annotations

from bigpicture.core.models import SourceFile
from bigpicture.core.request import outline
from bigpicture.store import outlinecache


def _f(path: str, text: str) -> SourceFile:
    return SourceFile(path=path, text=text, sha=f"sha-{hash(text)}", size=len(text))


def test_a_later_run_parses_only_changed_contents():
    files = [_f("a.py", "def a(x): pass\n"), _f("b.py", "class B: pass\n")]
    first = outlinecache.load()
    assert first.entries == {}
    got = outline.outlines(files, first)
    assert first.new == 2
    outlinecache.save(first)
    second = outlinecache.load()  # another process, later
    assert outline.outlines(files, second) == got and second.new == 0
    changed = [files[0], _f("b.py", "class B(Base): pass\n")]
    assert outline.outlines(changed, second)["b.py"].defs == ["class B(Base)"]
    assert second.new == 1


def test_an_unreadable_cache_is_an_empty_one():
    cache = outlinecache.load()
    outline.outlines([_f("a.py", "x = 1\n")], cache)
    outlinecache.save(cache)
    outlinecache._path().write_bytes(b"not zlib")
    assert outlinecache.load().entries == {}
