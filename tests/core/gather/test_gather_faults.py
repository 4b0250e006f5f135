"""Workspaces that must not crash the gather or lose files silently: symlink loops are
listed as never sent (symlink-loop), and a folder that cannot be listed is listed as left out
(unreadable, with the reason), outside git (the walk) and in git (its warnings).

Tests may run as root, where ``chmod 000`` does not stop a read. Then the walk's failure is
simulated by making ``os.scandir`` raise the PermissionError an ordinary user would get, and
git is run as the ``nobody`` user (through ``setpriv``) so its warning is real; without
``setpriv`` the git case is simulated with git's exact warning text."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from bigpicture.core.config import Settings
from bigpicture.core.gather import gather as gathering
from bigpicture.core.gather.gather import gather
from bigpicture.core.gather.workspace import LiveWorkspace
from bigpicture.core.git import repo as gitrepo
from conftest import commit, git, write

ROOT = os.geteuid() == 0
SETPRIV = shutil.which("setpriv")


def reasons(snap) -> dict[str, str]:
    return {s.path: s.reason for s in snap.skipped}


# --------------------------------------------------------------------------- symlink loops


@pytest.mark.parametrize("in_git", [True, False])
def test_symlink_loops_are_listed_and_the_rest_is_sent(tmp_path: Path, in_git: bool):
    root = tmp_path / "ws"
    root.mkdir()
    if in_git:
        git(root, "init", "-q", "-b", "main")
    write(root, "app.py", "x = 1\n")
    (root / "self").symlink_to("self")
    (root / "a").symlink_to("b")
    (root / "b").symlink_to("a")
    (root / "d").mkdir()
    (root / "d" / "round").symlink_to("../d/round")
    if in_git:
        commit(root, "loops")
    snap = gather(root, Settings())
    assert [f.path for f in snap.files] == ["app.py"]
    assert reasons(snap) == {
        "a": "symlink-loop",
        "b": "symlink-loop",
        "d/round": "symlink-loop",
        "self": "symlink-loop",
    }
    assert all("loop" in s.detail for s in snap.skipped)


def test_a_loop_created_while_the_editor_runs_is_listed(repo: Path):
    write(repo, "app.py", "x = 1\n")
    commit(repo, "init")
    live = LiveWorkspace(repo, Settings())
    assert [f.path for f in live.snapshot().files] == ["app.py"]
    (repo / "spin").symlink_to("spin")
    live.file_changed("spin")
    snap = live.snapshot()
    assert [f.path for f in snap.files] == ["app.py"]
    assert reasons(snap) == {"spin": "symlink-loop"}


def test_a_resolvable_link_inside_is_still_sent_and_one_outside_refused(tmp_path: Path):
    root = tmp_path / "ws"
    write(root, "real.py", "y = 2\n")
    (root / "alias.py").symlink_to("real.py")
    (tmp_path / "secret.txt").write_text("outside\n")
    (root / "out").symlink_to(tmp_path / "secret.txt")
    snap = gather(root, Settings())
    assert {f.path for f in snap.files} == {"real.py", "alias.py"}
    assert reasons(snap) == {"out": "symlink-outside"}


# --------------------------------------------------------------------------- unreadable folders


def lock_for_walk(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``path`` unlistable: chmod 000, or for root a scandir that refuses it."""
    if not ROOT:
        path.chmod(0)
        return
    real = os.scandir

    def scandir(target: object = ".") -> object:
        if Path(str(target)) == path:
            raise PermissionError(13, "Permission denied", str(path))
        return real(target)  # type: ignore[arg-type]

    monkeypatch.setattr(gathering.os, "scandir", scandir)


def test_an_unreadable_folder_outside_git_is_listed_with_its_reason(tmp_path, monkeypatch):
    root = tmp_path / "ws"
    write(root, "ok.py", "a = 1\n")
    write(root, "locked/hidden.py", "b = 2\n")
    lock_for_walk(root / "locked", monkeypatch)
    try:
        snap = gather(root, Settings())
    finally:
        (root / "locked").chmod(0o755)
    assert [f.path for f in snap.files] == ["ok.py"]
    (locked,) = snap.skipped
    assert (locked.path, locked.reason) == ("locked/", "unreadable")
    assert "Permission denied" in locked.detail


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder another user can enter (pytest's tmp_path is private to its owner)."""
    path = Path(tempfile.mkdtemp(prefix="bp-unreadable-"))
    path.chmod(0o755)
    yield path
    for p in path.rglob("*"):
        if p.is_dir() and not p.is_symlink():
            p.chmod(0o755)
    shutil.rmtree(path)


def git_as_nobody(bin_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every git command of the test runs as ``nobody``, who cannot open a chmod-000 folder."""
    bin_dir.mkdir()
    wrapper = bin_dir / "git"
    wrapper.write_text(
        "#!/bin/sh\n"
        f"exec {SETPRIV} --reuid=65534 --regid=65534 --clear-groups env "
        "GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0='*' "
        f'{shutil.which("git")} "$@"\n'
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def simulate_git_warning(monkeypatch: pytest.MonkeyPatch, folder: str) -> None:
    real = gitrepo.Repo.run_with_warnings

    def run(self: gitrepo.Repo, *args: str) -> tuple[str, str]:
        out, err = real(self, *args)
        if args[0] == "ls-files" and "--others" in args:
            # entries may carry ls-files -t's tag ("? path")
            out = "\0".join(
                p for p in out.split("\0") if not p.split(" ", 1)[-1].startswith(folder)
            )
            err += f"warning: could not open directory '{folder}': Permission denied\n"
        return out, err

    monkeypatch.setattr(gitrepo.Repo, "run_with_warnings", run)


@pytest.mark.parametrize("subdir", ["", "sub/"])
def test_an_unreadable_folder_in_git_is_listed_from_gits_warning(shared_tmp, monkeypatch, subdir):
    repo = shared_tmp / "ws"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(repo, f"{subdir}tracked.py", "t = 1\n")
    commit(repo, "init")
    write(repo, f"{subdir}new.py", "n = 1\n")
    write(repo, f"{subdir}locked/untracked.py", "u = 1\n")
    for p in repo.rglob("*"):
        p.chmod(p.stat().st_mode | stat.S_IROTH | (stat.S_IXOTH if p.is_dir() else 0))
    root = repo / subdir if subdir else repo
    if ROOT and SETPRIV is None:
        simulate_git_warning(monkeypatch, f"{subdir}locked/")
    else:
        if ROOT:
            git_as_nobody(shared_tmp / "bin", monkeypatch)
        (root / "locked").chmod(0)
    snap = gather(root, Settings())
    assert [f.path for f in snap.files] == ["new.py", "tracked.py"]
    (locked,) = snap.skipped
    assert (locked.path, locked.reason) == ("locked/", "unreadable")
    assert locked.detail == "directory: Permission denied"


def test_gits_warning_is_read_relative_to_the_workspace():
    err = (
        "warning: could not open directory 'svc/a/secret/': Permission denied\n"
        "warning: something else\n"
        "warning: could not open directory 'other/': Input/output error\n"
    )
    assert gitrepo.unlisted_dirs(err, "svc/") == [
        ("a/secret/", "Permission denied"),
        ("other/", "Input/output error"),
    ]
