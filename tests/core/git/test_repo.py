"""core.git.repo: the one place that asks git, seen from the workspace root (which may be a
subdirectory of the work tree)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bigpicture.core.errors import GatherError
from bigpicture.core.git import repo as gitrepo
from conftest import git


def commit(root: Path, message: str, when: int) -> None:
    git(root, "add", "-A")
    env = {"GIT_AUTHOR_DATE": f"{when} +0000", "GIT_COMMITTER_DATE": f"{when} +0000"}
    git(root, "commit", "-qm", message, env=env)


@pytest.fixture
def work(repo: Path) -> Path:
    (repo / "app").mkdir()
    (repo / "app" / "core.py").write_text("x = 1\n")
    (repo / "app" / "old.py").write_text("y = 1\n")
    (repo / "top.py").write_text("z = 1\n")
    (repo / ".gitignore").write_text("*.log\n")
    commit(repo, "one", 1_700_000_000)
    (repo / "app" / "core.py").write_text("x = 2\n")
    commit(repo, "two", 1_800_000_000)
    return repo


def test_outside_git_is_none(tmp_path: Path) -> None:
    assert gitrepo.open_repo(tmp_path) is None
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / ".git").write_text("gitdir: /nowhere\n")
    assert gitrepo.open_repo(broken) is None


def test_a_subdirectory_workspace_sees_its_own_files_relative_to_itself(work: Path) -> None:
    (work / "app" / "new.py").write_text("")
    (work / "app" / "debug.log").write_text("")
    r = gitrepo.open_repo(work / "app")
    assert r is not None and r.prefix == "app/" and r.toplevel == work.resolve()
    files, nested, unreadable = gitrepo.list_files(r)
    assert sorted(files) == ["core.py", "new.py", "old.py"]  # untracked, not ignored
    assert nested == [] and unreadable == []
    assert gitrepo.last_changes(r) == {"core.py": 1_800_000_000, "old.py": 1_700_000_000}


def test_head_branch_and_detached(work: Path) -> None:
    r = gitrepo.open_repo(work)
    assert r is not None
    sha = gitrepo.head(r)
    assert sha is not None and len(sha) == 40
    assert gitrepo.branch(r) == "main"
    git(work, "checkout", "-q", "--detach")
    assert gitrepo.branch(r) is None and gitrepo.head(r) == sha


def test_unborn_branch(repo: Path) -> None:
    r = gitrepo.open_repo(repo)
    assert r is not None
    assert gitrepo.head(r) is None and gitrepo.last_changes(r) == {}


def test_dirty_lists_staged_unstaged_untracked_and_renames(work: Path) -> None:
    (work / "top.py").write_text("z = 2\n")
    git(work, "mv", "app/old.py", "app/renamed.py")
    (work / "fresh.py").write_text("")
    r = gitrepo.open_repo(work)
    assert r is not None
    assert gitrepo.dirty(r) == {"top.py", "app/renamed.py", "fresh.py"}


def test_a_failing_git_command_is_one_clear_line(work: Path) -> None:
    r = gitrepo.open_repo(work)
    assert r is not None
    with pytest.raises(GatherError) as e:
        r.run("rev-parse", "--verify", "no-such-ref")
    assert str(e.value).startswith("git rev-parse failed: ") and "\n" not in str(e.value)
