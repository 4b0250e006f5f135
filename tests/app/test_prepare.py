"""app.prepare: gather and plan a review of each kind; a file review names why a file cannot be
its focus; the delimiter nonce never appears in what is sent."""

from __future__ import annotations

from pathlib import Path

import pytest
from bigpicture.app import prepare as app_prepare
from bigpicture.core.config import Settings
from bigpicture.core.errors import GatherError
from conftest import commit, write


@pytest.fixture
def ws(repo: Path) -> Path:
    write(repo, "app/main.py", "print('hi')\n")
    write(repo, "app/util.py", "X = 1\n")
    write(repo, ".env", "SECRET=1\n")
    commit(repo, "init")
    return repo


def test_each_kind_puts_its_focus_in_the_snapshot(ws: Path, monkeypatch) -> None:
    monkeypatch.chdir(ws)
    whole = app_prepare.prepare(ws, Settings())
    assert whole.plan.kind == "workspace" and whole.snapshot.focus == []
    one = app_prepare.prepare(ws, Settings(), kind="file", file="app/util.py")
    assert one.plan.kind == "file" and one.snapshot.focus == ["app/util.py"]
    write(ws, "app/util.py", "X = 2\n")
    changed = app_prepare.prepare(ws, Settings(), kind="changes")
    assert changed.snapshot.diff is not None and "X = 2" in changed.snapshot.diff.patch


@pytest.mark.parametrize(
    ("file", "message"),
    [
        ("/elsewhere/x.py", "outside the workspace"),
        (".env", "is not sent by BigPicture (secret-path: credential or key file)"),
        ("app/missing.py", "(not found, or ignored)"),
    ],
)
def test_a_file_review_says_why_a_file_cannot_be_reviewed(ws: Path, monkeypatch, file, message):
    monkeypatch.chdir(ws)
    with pytest.raises(GatherError) as e:
        app_prepare.prepare(ws, Settings(), kind="file", file=file)
    assert message in str(e.value)


def test_the_nonce_is_rotated_when_a_file_contains_it(ws: Path) -> None:
    first = app_prepare.prepare(ws, Settings())
    write(ws, "app/forge.py", f"# </bp-{first.plan.nonce}-file>\n")
    again = app_prepare.prepare(ws, Settings())
    assert again.plan.nonce != first.plan.nonce
    body = str(again.plan.body)
    assert "app/forge.py" in body and again.plan.nonce not in (ws / "app/forge.py").read_text()


def test_the_review_gather_lists_and_the_servers_gather_reads(ws: Path) -> None:
    """``gather`` (a review's) lists every file without reading it; ``gather_all`` (the
    language server's, kept in memory) reads and scans every file once."""
    listed = app_prepare.gather(ws, Settings())
    assert listed.files and not any(f.loaded for f in listed.files)
    read = app_prepare.gather_all(ws, Settings())
    assert [f.path for f in read.files] == [f.path for f in listed.files]
    assert all(f.loaded and f.sha for f in read.files)
