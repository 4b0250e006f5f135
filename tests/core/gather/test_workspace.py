"""core.gather.workspace: the language server's in-memory workspace, updated file by file and
gathered afresh when what decides the file list changes."""

from __future__ import annotations

from pathlib import Path

from bigpicture.core.config import Settings
from bigpicture.core.gather import gather as gathering
from bigpicture.core.gather.workspace import LiveWorkspace
from conftest import commit, write


class Counting:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, root: Path, settings: Settings):
        self.calls += 1
        return gathering.gather(root, settings)


def live(repo: Path) -> tuple[LiveWorkspace, Counting]:
    counter = Counting()
    return LiveWorkspace(repo, Settings(), gather=counter), counter


def test_a_saved_file_is_reread_without_a_new_gather(repo: Path) -> None:
    write(repo, "a.py", "x = 1\n")
    commit(repo, "a")
    ws, counter = live(repo)
    assert [f.path for f in ws.snapshot().files] == ["a.py"]
    write(repo, "a.py", "x = 2\n")
    write(repo, "b.py", "y = 1\n")
    ws.file_changed("a.py")
    ws.file_changed("b.py")
    snap = ws.snapshot()
    assert counter.calls == 1
    by_path = snap.by_path()
    assert by_path["a.py"].text == "x = 2\n" and by_path["a.py"].dirty
    assert "b.py" in by_path
    ws.file_deleted("b.py")
    assert "b.py" not in ws.snapshot().by_path()


def test_never_sent_and_ignored_files_stay_out(repo: Path) -> None:
    write(repo, ".gitignore", "build/\n")
    write(repo, "a.py", "")
    commit(repo, "a")
    ws, _ = live(repo)
    ws.snapshot()
    write(repo, ".env", "TOKEN=abc\n")
    write(repo, "build/out.py", "")
    write(repo, "node_modules/x/index.js", "")
    for rel in (".env", "build/out.py", "node_modules/x/index.js"):
        ws.file_changed(rel)
    snap = ws.snapshot()
    assert [f.path for f in snap.files] == [".gitignore", "a.py"]
    assert ".env" in {s.path for s in snap.skipped}  # listed as never sent, with its reason


def test_ignore_files_and_a_new_head_gather_afresh(repo: Path) -> None:
    write(repo, "a.py", "")
    commit(repo, "a")
    write(repo, "b.py", "")  # untracked: an ignore rule can hide it
    ws, counter = live(repo)
    assert "b.py" in ws.snapshot().by_path()
    write(repo, ".gitignore", "b.py\n")
    ws.file_changed(".gitignore")
    assert [f.path for f in ws.snapshot().files] == [".gitignore", "a.py"]
    assert counter.calls == 2
    write(repo, "c.py", "")
    commit(repo, "c")  # a commit outside the editor: HEAD moved
    assert "c.py" in ws.snapshot().by_path()
    assert counter.calls == 3
    ws.snapshot()
    assert counter.calls == 3  # nothing changed since
