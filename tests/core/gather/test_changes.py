"""core.gather.changes: the diff a changes review sends. What callers rely on: only files the
gather would send appear (a change to .env is listed nowhere), untracked files arrive as added
files, --staged leaves unstaged and untracked work out, the whole patch is redacted (and a
failing scan fails closed), nothing changed is a clear "nothing to review", and the snapshot
gets the diff's live files as its focus."""

from __future__ import annotations

from pathlib import Path

import pytest
from bigpicture.core.config import Settings
from bigpicture.core.errors import NothingToReview, SecretScanError
from bigpicture.core.gather import changes, secrets
from bigpicture.core.gather.gather import gather, name_filter
from conftest import commit, git, write

TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"  # GitHub token shape


@pytest.fixture
def ws(repo: Path) -> Path:
    write(repo, "app.py", "def f():\n    return 1\n")
    write(repo, "old.py", "gone = True\n")
    write(repo, ".env", "PASSWORD=one\n")
    commit(repo, "init")
    return repo


def diff_of(root: Path, ref: str | None = None, staged: bool = False):
    snap = gather(root, Settings())
    check = name_filter(root.resolve(), Settings())
    return snap, changes.changes(
        root.resolve(), snap, ref, lambda p: check(p) is None, staged=staged
    )


def test_only_sendable_files_are_in_the_diff_and_untracked_ones_are_added(ws: Path) -> None:
    write(ws, "app.py", "def f():\n    return 2\n")
    write(ws, ".env", "PASSWORD=two\n")
    (ws / "old.py").unlink()
    write(ws, "new.py", "x = 1")  # untracked, no final newline
    snap, d = diff_of(ws)
    assert [(c.path, c.status) for c in d.files] == [
        ("app.py", "modified"),
        ("new.py", "untracked"),
        ("old.py", "deleted"),
    ]
    assert ".env" not in d.patch and "PASSWORD" not in d.patch
    assert "+    return 2" in d.patch
    assert "+++ b/new.py\n@@ -0,0 +1,1 @@\n+x = 1\n\\ No newline at end of file\n" in d.patch
    assert d.base == "HEAD" and len(d.base_commit) == 40
    focused = changes.with_diff(snap, d)
    assert focused.diff is d and focused.focus == ["app.py", "new.py"]  # not the deleted one


def test_staged_leaves_unstaged_and_untracked_work_out(ws: Path) -> None:
    write(ws, "app.py", "def f():\n    return 2\n")
    git(ws, "add", "app.py")
    write(ws, "app.py", "def f():\n    return 3\n")
    write(ws, "new.py", "x = 1\n")
    _, d = diff_of(ws, staged=True)
    assert [c.path for c in d.files] == ["app.py"] and d.base == "HEAD (staged)"
    assert "+    return 2" in d.patch and "return 3" not in d.patch


def test_secrets_in_the_patch_are_redacted_on_every_side(ws: Path) -> None:
    write(ws, "app.py", f'def f():\n    return 1\nTOKEN = "{TOKEN}"\n')
    _, d = diff_of(ws)
    assert TOKEN not in d.patch and "<redacted:" in d.patch
    assert d.redactions and all(r.path == "(diff)" for r in d.redactions)


def test_a_failing_scan_fails_closed(ws: Path, monkeypatch) -> None:
    write(ws, "app.py", "def f():\n    return 2\n")
    snap = gather(ws, Settings())  # the files scanned; then the scan of the patch breaks

    def broken(text: str):
        raise RuntimeError("engine crashed")

    monkeypatch.setattr(secrets, "redact", broken)
    with pytest.raises(SecretScanError, match="secret scan of the diff failed: engine crashed"):
        changes.changes(ws.resolve(), snap, None, lambda p: True)


@pytest.mark.parametrize(
    ("ref", "staged", "what"),
    [
        (None, False, "no uncommitted changes against HEAD"),
        ("main", False, "no changes since main"),
        (None, True, "no staged changes in"),
        ("main", True, "no staged changes since main"),
    ],
)
def test_nothing_changed_in_sendable_files_is_nothing_to_review(ws, ref, staged, what) -> None:
    write(ws, ".env", "PASSWORD=changed\n")  # a change, but not to a file that is sent
    with pytest.raises(NothingToReview, match=what):
        diff_of(ws, ref=ref, staged=staged)
