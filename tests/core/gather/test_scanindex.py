"""core.gather.scanindex: which contents the secret scan found clean. What callers rely on: a
file's stat key changes with anything that can change its bytes, a stat vouches for content
only when the file was not modified in the last moments, only clean contents are recorded,
and the gather skips the scan of what the index knows clean (but never of a file with a
secret)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bigpicture.core.config import Settings
from bigpicture.core.gather import secrets
from bigpicture.core.gather.gather import gather
from bigpicture.core.gather.scanindex import RACY_SECONDS, ScanIndex, stat_key, trustworthy
from conftest import write

TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"


def test_the_stat_key_changes_with_the_path_size_and_times(tmp_path: Path) -> None:
    f = write(tmp_path, "a.py", "x = 1\n")
    key = stat_key("a.py", f.stat())
    assert len(key) == 16 and key == stat_key("a.py", f.stat())
    assert stat_key("b.py", f.stat()) != key
    f.write_text("x = 22\n")
    assert stat_key("a.py", f.stat()) != key  # size
    f.write_text("x = 1\n")
    os.utime(f, ns=(1_000_000_000, 1_000_000_000))
    assert stat_key("a.py", f.stat()) != key  # same bytes, another mtime: not trusted blindly


def test_a_stat_vouches_only_for_a_file_not_modified_in_the_last_moments(tmp_path: Path) -> None:
    st = write(tmp_path, "a.py", "x\n").stat()
    assert not trustworthy(st)  # just written: a write within the clock's resolution may hide
    assert trustworthy(st, now=time.time() + RACY_SECONDS + 1)


def test_record_keeps_the_digest_and_the_stat_only_when_given() -> None:
    index = ScanIndex(set(), {})
    assert not index.changed
    index.record(b"d" * 16, None)
    assert index.changed and index.new_clean == [b"d" * 16] and index.new_stat == []
    index.record(b"e" * 16, b"k" * 16)
    assert index.new_stat == [(b"k" * 16, b"e" * 16)]


def test_the_gather_skips_the_scan_of_known_clean_contents_but_not_of_secrets(
    repo: Path, monkeypatch
) -> None:
    write(repo, "clean.py", "x = 1\n")
    write(repo, "leak.py", f'TOKEN = "{TOKEN}"\n')
    index = ScanIndex(set(), {})
    first = gather(repo, Settings(), index=index)
    assert TOKEN not in first.by_path()["leak.py"].text
    assert len(index.new_clean) == 1  # clean.py only: a file with a secret is not remembered
    known = ScanIndex(set(index.new_clean), dict(index.new_stat))
    scanned: list[str] = []
    real = secrets.redact

    def counting(text: str):
        scanned.append(text)
        return real(text)

    monkeypatch.setattr(secrets, "redact", counting)
    again = gather(repo, Settings(), index=known)
    assert scanned == [f'TOKEN = "{TOKEN}"\n']  # the leak is scanned (and redacted) again
    assert again.by_path()["clean.py"].text == "x = 1\n"
    assert TOKEN not in again.by_path()["leak.py"].text
