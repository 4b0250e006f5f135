"""core.git.diff: what git says changed. What callers rely on: the base (HEAD, or the merge-base
with a ref; for --staged also a detached HEAD or no commit yet), each refused with one clear
line; changed paths with their status (renames with the old path), the untracked files, and
the patch of the work tree or of the index."""

from __future__ import annotations

from pathlib import Path

import pytest
from bigpicture.core.errors import GatherError
from bigpicture.core.git import diff
from bigpicture.core.models import ChangedFile
from conftest import commit, git, write


@pytest.fixture
def two_commits(repo: Path) -> Path:
    write(repo, "a.py", "a = 1\n")
    write(repo, "b.py", "b = 1\n")
    write(repo, "c.py", "".join(f"line {i}\n" for i in range(20)))
    commit(repo, "one")
    return repo


def test_status_of_each_change_with_renames_and_untracked_files(two_commits: Path) -> None:
    root = two_commits
    write(root, "a.py", "a = 2\n")
    (root / "b.py").unlink()
    git(root, "mv", "c.py", "moved.py")
    write(root, "new.py", "n = 1\n")
    git(root, "add", "new.py")
    write(root, "loose.py", "x\n")
    write(root, ".gitignore", "ignored.py\n")
    write(root, "ignored.py", "y\n")
    repo = diff.require_repo(root)
    label, base = diff.resolve_base(repo, None)
    assert label == "HEAD" and len(base) == 40
    got = sorted(diff.name_status(repo, base), key=lambda c: c.path)
    assert got == [
        ChangedFile("a.py", "modified"),
        ChangedFile("b.py", "deleted"),
        ChangedFile("moved.py", "renamed", "c.py"),
        ChangedFile("new.py", "added"),
    ]
    assert sorted(diff.untracked(repo)) == [".gitignore", "loose.py"]  # ignored ones are not
    # The index only: the unstaged edit of a.py is not there.
    staged = {c.path for c in diff.name_status(repo, base, staged=True)}
    assert staged == {"moved.py", "new.py"}


def test_the_patch_of_the_work_tree_or_of_the_index(two_commits: Path) -> None:
    root = two_commits
    write(root, "a.py", "a = 2\n")
    git(root, "add", "a.py")
    write(root, "a.py", "a = 3\n")
    repo = diff.require_repo(root)
    _, base = diff.resolve_base(repo, None)
    work = diff.patch(repo, base, ["a.py"])
    index = diff.patch(repo, base, ["a.py"], staged=True)
    assert "+a = 3" in work and "+a = 2" not in work
    assert "+a = 2" in index and "+a = 3" not in index


def test_a_ref_is_compared_from_its_merge_base(two_commits: Path) -> None:
    root = two_commits
    first = git(root, "rev-parse", "HEAD").strip()
    git(root, "checkout", "-q", "-b", "feature")
    write(root, "a.py", "a = 2\n")
    commit(root, "feature work")
    git(root, "checkout", "-q", "main")
    write(root, "b.py", "b = 2\n")
    commit(root, "main moved on")
    git(root, "checkout", "-q", "feature")
    repo = diff.require_repo(root)
    assert diff.resolve_base(repo, "main") == ("main", first)
    assert diff.resolve_staged_base(repo, "main") == ("main (staged)", first)


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("nope", "unknown ref 'nope': no branch, tag or commit has that name"),
        ("orphan", "HEAD and orphan have no common ancestor"),
    ],
)
def test_a_bad_ref_is_one_clear_line(two_commits: Path, ref: str, message: str) -> None:
    root = two_commits
    git(root, "checkout", "-q", "--orphan", "orphan")
    write(root, "z.py", "z\n")
    commit(root, "unrelated")
    git(root, "checkout", "-q", "main")
    with pytest.raises(GatherError, match=message):
        diff.resolve_base(diff.require_repo(root), ref)


def test_no_commit_detached_head_and_no_repository(repo: Path, tmp_path: Path) -> None:
    r = diff.require_repo(repo)
    with pytest.raises(GatherError, match="the branch has no commits yet"):
        diff.resolve_base(r, None)
    # The index of a first commit is compared with the empty tree.
    assert diff.resolve_staged_base(r, None) == ("no commits yet (staged)", diff.EMPTY_TREE)
    write(repo, "a.py", "a\n")
    commit(repo, "one")
    head = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "--detach")
    with pytest.raises(GatherError, match=r"HEAD is detached \(at [0-9a-f]{12}\)"):
        diff.resolve_base(r, None)
    assert diff.resolve_staged_base(r, None) == ("HEAD (staged)", head)  # hooks run detached
    elsewhere = tmp_path / "plain"
    elsewhere.mkdir()
    with pytest.raises(GatherError, match="is not in a git repository: a changes review needs git"):
        diff.require_repo(elsewhere)
