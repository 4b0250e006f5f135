"""The gather asks git what it needs with one walk of the work tree: the listing tags the
untracked files, so nothing walks the tree again to find them (``git status
--untracked-files=all`` did), and .gitignore semantics stay git's own."""

from __future__ import annotations

from pathlib import Path

import pytest
from bigpicture.core.config import Settings
from bigpicture.core.gather.gather import gather
from bigpicture.core.git import repo as gitrepo
from conftest import commit, git, write


@pytest.fixture
def commands(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """Every git command the gather runs, waited for or started in the background."""
    seen: list[tuple[str, ...]] = []
    run, start = gitrepo.Repo.run_with_warnings, gitrepo.Repo.start

    def record_run(self: gitrepo.Repo, *args: str) -> tuple[str, str]:
        seen.append(args)
        return run(self, *args)

    def record_start(self: gitrepo.Repo, *args: str) -> gitrepo.Pending:
        seen.append(args)
        return start(self, *args)

    monkeypatch.setattr(gitrepo.Repo, "run_with_warnings", record_run)
    monkeypatch.setattr(gitrepo.Repo, "start", record_start)
    return seen


def _walks_untracked(args: tuple[str, ...]) -> bool:
    return args[0] == "status" or (args[0] == "ls-files" and "--others" in args)


def test_untracked_files_are_found_in_one_walk(repo: Path, commands):
    write(repo, ".gitignore", "*.log\nbuild/\n")
    write(repo, "clean.py", "a = 1\n")
    write(repo, "edited.py", "b = 1\n")
    write(repo, "staged.py", "c = 1\n")
    commit(repo, "init")
    write(repo, "edited.py", "b = 2\n")
    write(repo, "staged.py", "c = 2\n")
    git(repo, "add", "staged.py")
    write(repo, "new/fresh.py", "d = 1\n")
    write(repo, "debug.log", "ignored\n")
    write(repo, "build/out.py", "ignored\n")
    snap = gather(repo, Settings())
    dirty = {f.path: f.dirty for f in snap.files}
    assert dirty == {
        ".gitignore": False,
        "clean.py": False,
        "edited.py": True,
        "staged.py": True,
        "new/fresh.py": True,
    }
    walks = [c for c in commands if _walks_untracked(c)]
    assert len(walks) == 1, commands
    assert not any(c[0] == "status" for c in commands)


def test_before_the_first_commit_every_file_is_new(repo: Path):
    write(repo, "a.py", "a = 1\n")
    write(repo, "b.py", "b = 1\n")
    git(repo, "add", "a.py")
    snap = gather(repo, Settings())
    assert {f.path: f.dirty for f in snap.files} == {"a.py": True, "b.py": True}
    assert snap.head is None


def test_gitignore_semantics_are_gits_own(repo: Path):
    """Nested .gitignore files, negation, directory patterns, .git/info/exclude and a tracked
    file that an ignore pattern matches: the gather lists exactly what git lists."""
    write(repo, ".gitignore", "*.tmp\n!keep.tmp\ndist/\n")
    write(repo, "pkg/.gitignore", "secret_*\n/local.py\n")
    write(repo, "tracked.tmp", "tracked before the pattern\n")
    git(repo, "add", "-f", "tracked.tmp")
    write(repo, "keep.tmp", "k\n")
    write(repo, "drop.tmp", "d\n")
    write(repo, "dist/x.py", "x\n")
    write(repo, "pkg/secret_notes.py", "s\n")
    write(repo, "pkg/local.py", "l\n")
    write(repo, "pkg/sub/local.py", "not anchored here\n")
    write(repo, "pkg/mod.py", "m\n")
    write(repo, "excluded.py", "e\n")
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text("excluded.py\n")
    listed = git(repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    expected = sorted(p for p in listed.split("\0") if p)
    snap = gather(repo, Settings())
    assert sorted(f.path for f in snap.files) == expected
    assert "tracked.tmp" in expected and "keep.tmp" in expected
    assert "drop.tmp" not in expected and "pkg/local.py" not in expected
    assert "pkg/sub/local.py" in expected
