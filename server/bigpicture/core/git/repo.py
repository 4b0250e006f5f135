"""Everything BigPicture asks git, in one place (through gitpython's git command wrapper).

Which files git would show (tracked, plus untracked but not ignored, honouring every
.gitignore level, .git/info/exclude and core.excludesFile), when each last changed, what is
uncommitted, and the facts a changes review needs (HEAD, merge-bases, diffs).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import git
from git.exc import GitCommandError, InvalidGitRepositoryError, NoSuchPathError

from bigpicture.core.errors import GatherError

HISTORY_DEPTH = 1000  # commits read to date files; older files count as "oldest"


@dataclass
class Repo:
    """A git work tree seen from ``root`` (which may be a subdirectory of it)."""

    root: Path  # the workspace root (cwd for git commands)
    toplevel: Path
    prefix: str  # root relative to toplevel, "" or "sub/dir/"
    g: git.Git

    def run(self, *args: str) -> str:
        return self.run_with_warnings(*args)[0]

    def run_with_warnings(self, *args: str) -> tuple[str, str]:
        """``(stdout, stderr)`` of a git command that succeeded (stderr holds its warnings)."""
        try:
            _, out, err = self.g.execute(
                ["git", *args], strip_newline_in_stdout=False, with_extended_output=True
            )
        except GitCommandError as e:
            raise GatherError(
                f"git {args[0]} failed: {(e.stderr or str(e)).strip().splitlines()[-1]}"
            ) from e
        return str(out), str(err)


def open_repo(root: Path) -> Repo | None:
    """The repository ``root`` is in, or None outside git."""
    try:
        r = git.Repo(root, search_parent_directories=True)
    except (InvalidGitRepositoryError, NoSuchPathError):
        return None
    except Exception:  # a broken .git (e.g. a file pointing nowhere)
        return None
    if r.bare or r.working_tree_dir is None:
        return None
    top = Path(r.working_tree_dir).resolve()
    rel = os.path.relpath(root.resolve(), top)
    prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
    return Repo(root=root.resolve(), toplevel=top, prefix=prefix, g=git.Git(str(root.resolve())))


# git's warning for a directory it cannot list (dir.c), e.g. on a permission error; the path
# is relative to the top level and ends in "/".
_UNLISTED = re.compile(r"^warning: could not open directory '(?P<path>.*)': (?P<why>.*)$")


def unlisted_dirs(stderr: str, prefix: str = "") -> list[tuple[str, str]]:
    """``(directory, reason)`` for each directory git said it could not open, relative to the
    workspace root (``prefix``: the root relative to the top level)."""
    out: list[tuple[str, str]] = []
    for line in stderr.splitlines():
        m = _UNLISTED.match(line.strip())
        if m is None:
            continue
        path = m["path"]
        if prefix and path.startswith(prefix):
            path = path[len(prefix) :]
        out.append((path.rstrip("/") + "/", m["why"]))
    return out


def list_files(repo: Repo) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """``(files, nested, unlisted)``: paths relative to the workspace root that git would
    show; the directories holding submodules or nested repositories (to be listed on their
    own); the directories git could not open, with the reason (their untracked files are
    unknown, so they are reported, never silently missing)."""
    out, warnings = repo.run_with_warnings(
        "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--full-name", "--", "."
    )
    files: list[str] = []
    nested: list[str] = []
    seen: set[str] = set()
    plen = len(repo.prefix)
    for entry in out.split("\0"):
        if not entry:
            continue
        rel = entry[plen:] if plen and entry.startswith(repo.prefix) else entry
        if rel.endswith("/"):  # an untracked nested repository
            nested.append(rel.rstrip("/"))
            continue
        if rel in seen:  # ls-files repeats paths with merge conflicts
            continue
        seen.add(rel)
        files.append(rel)
    # Submodules are gitlinks (mode 160000 in the index): list them on their own.
    staged = repo.run("ls-files", "-z", "--stage", "--full-name", "--", ".")
    links = set()
    for entry in staged.split("\0"):
        if entry.startswith("160000 "):
            full = entry.split("\t", 1)[1]
            links.add(full[plen:] if plen and full.startswith(repo.prefix) else full)
    nested.extend(sorted(links))
    real_files = [f for f in files if f not in links]
    return real_files, nested, unlisted_dirs(warnings, repo.prefix)


def head(repo: Repo) -> str | None:
    try:
        return repo.run("rev-parse", "--verify", "-q", "HEAD^{commit}").strip() or None
    except GatherError:
        return None


def branch(repo: Repo) -> str | None:
    """The checked-out branch, or None when HEAD is detached (or unborn)."""
    try:
        name = repo.run("symbolic-ref", "-q", "--short", "HEAD").strip()
    except GatherError:
        return None
    return name or None


def last_changes(repo: Repo, depth: int = HISTORY_DEPTH) -> dict[str, int]:
    """Commit time of the last change of each path (workspace-relative), newest first wins."""
    try:
        out = repo.run(
            "log",
            f"-n{depth}",
            "--no-renames",
            "--format=%x01%ct",
            "--name-only",
            "-z",
            "--relative",
            "--",
            ".",
        )
    except GatherError:
        return {}  # unborn branch
    times: dict[str, int] = {}
    current = 0
    # -z output: "\x01<time>\0\n<name>\0<name>\0\x01<time>\0\n<name>\0..."
    for chunk in out.split("\0"):
        chunk = chunk.lstrip("\n")
        if not chunk:
            continue
        if chunk[0] == "\x01":
            current = int(chunk[1:])
        elif chunk not in times:
            times[chunk] = current
    return times


def dirty(repo: Repo) -> set[str]:
    """Workspace-relative paths that differ from HEAD (staged, unstaged or untracked)."""
    out = repo.run("status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".")
    paths: set[str] = set()
    entries = out.split("\0")
    i = 0
    plen = len(repo.prefix)
    while i < len(entries):
        e = entries[i]
        i += 1
        if len(e) < 4:
            continue
        status, path = e[:2], e[3:]
        if status[0] in "RC":  # the original path follows
            i += 1
        rel = path[plen:] if plen and path.startswith(repo.prefix) else path
        paths.add(rel)
    return paths
