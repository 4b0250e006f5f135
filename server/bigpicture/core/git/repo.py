"""Everything BigPicture asks git, in one place (git itself, run as a subprocess).

Which files git would show (tracked, plus untracked but not ignored, honouring every
.gitignore level, .git/info/exclude and core.excludesFile), when each last changed, what is
uncommitted, and the facts a changes review needs (HEAD, merge-bases, diffs).

git is called directly (no wrapper library: importing one cost ~90 ms of every start-up),
with ``LANGUAGE=C LC_ALL=C`` so that its messages can be parsed, and its output decoded as
UTF-8 with surrogate escapes (a path that is not UTF-8 survives the round trip).
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bigpicture.core.errors import GatherError

HISTORY_DEPTH = 1000  # commits read to date files; older files count as "oldest"

_ENV_OVERRIDES = {"LANGUAGE": "C", "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}


def _env() -> dict[str, str]:
    return {**os.environ, **_ENV_OVERRIDES}


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _failure(args: tuple[str, ...], code: int, stderr: str) -> GatherError:
    lines = stderr.strip().splitlines()
    why = lines[-1] if lines else f"exit status {code}"
    return GatherError(f"git {args[0]} failed: {why}")


class Pending:
    """A git command started in the background (``Repo.start``); ``result`` waits for it."""

    def __init__(self, args: tuple[str, ...], proc: subprocess.Popen[bytes]) -> None:
        self._args = args
        self._proc = proc

    def result(self) -> str:
        out, err = self._proc.communicate()
        if self._proc.returncode != 0:
            raise _failure(self._args, self._proc.returncode, _decode(err))
        return _decode(out)

    def cancel(self) -> None:
        """Stop the command and reap it (its output is not wanted any more)."""
        if self._proc.returncode is None:
            self._proc.kill()
            self._proc.communicate()


@dataclass
class Repo:
    """A git work tree seen from ``root`` (which may be a subdirectory of it)."""

    root: Path  # the workspace root (cwd for git commands)
    toplevel: Path
    prefix: str  # root relative to toplevel, "" or "sub/dir/"

    def run(self, *args: str) -> str:
        return self.run_with_warnings(*args)[0]

    def run_with_warnings(self, *args: str) -> tuple[str, str]:
        """``(stdout, stderr)`` of a git command that succeeded (stderr holds its warnings)."""
        try:
            done = subprocess.run(
                ["git", *args], cwd=self.root, env=_env(), capture_output=True, check=False
            )
        except OSError as e:
            raise GatherError(f"git {args[0]} could not be run: {e}") from e
        err = _decode(done.stderr)
        if done.returncode != 0:
            raise _failure(args, done.returncode, err)
        return _decode(done.stdout), err

    def start(self, *args: str) -> Pending:
        """Start ``git args`` without waiting (its output is read by ``Pending.result``), so
        that git works on the other core while the gather reads files."""
        try:
            proc = subprocess.Popen(
                ["git", *args],
                cwd=self.root,
                env=_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as e:
            raise GatherError(f"git {args[0]} could not be run: {e}") from e
        return Pending(args, proc)


def open_repo(root: Path) -> Repo | None:
    """The repository ``root`` is in, or None outside git (or in a bare or broken one)."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--is-inside-work-tree", "--show-toplevel"],
            cwd=root,
            env=_env(),
            capture_output=True,
            check=False,
        )
    except OSError:  # no git, or root is not a directory
        return None
    lines = _decode(done.stdout).splitlines()
    if done.returncode != 0 or len(lines) < 2 or lines[0] != "true":
        return None
    top = Path(lines[1]).resolve()
    rel = os.path.relpath(root.resolve(), top)
    prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
    return Repo(root=root.resolve(), toplevel=top, prefix=prefix)


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


@dataclass
class Listed:
    """What one walk of the work tree found (``list_all``)."""

    files: list[str]  # tracked and untracked-but-not-ignored, workspace-relative
    nested: list[str]  # directories of submodules and nested repositories
    unlisted: list[tuple[str, str]]  # directories git could not open, with the reason
    untracked: set[str]  # the subset of ``files`` that git does not track


def list_all(repo: Repo) -> Listed:
    """Paths relative to the workspace root that git would show, from one walk of the work
    tree (``ls-files -t`` tags tracked and untracked entries in the same listing, so no second
    walk is needed to know which files are new); the directories holding submodules or nested
    repositories (to be listed on their own); the directories git could not open, with the
    reason (their untracked files are unknown, so they are reported, never silently
    missing)."""
    out, warnings = repo.run_with_warnings(
        "ls-files",
        "-z",
        "-t",
        "--cached",
        "--others",
        "--exclude-standard",
        "--full-name",
        "--",
        ".",
    )
    files: list[str] = []
    nested: list[str] = []
    untracked: set[str] = set()
    seen: set[str] = set()
    plen = len(repo.prefix)
    for entry in out.split("\0"):
        if len(entry) < 3:
            continue
        tag, full = entry[0], entry[2:]
        rel = full[plen:] if plen and full.startswith(repo.prefix) else full
        if rel.endswith("/"):  # an untracked nested repository
            nested.append(rel.rstrip("/"))
            continue
        if tag == "?":
            untracked.add(rel)
        if rel in seen:  # ls-files repeats paths with merge conflicts
            continue
        seen.add(rel)
        files.append(rel)
    # Submodules are gitlinks (mode 160000 in the index): list them on their own. This reads
    # the index only, not the work tree.
    staged = repo.run("ls-files", "-z", "--stage", "--full-name", "--", ".")
    links = set()
    for entry in staged.split("\0"):
        if entry.startswith("160000 "):
            full = entry.split("\t", 1)[1]
            links.add(full[plen:] if plen and full.startswith(repo.prefix) else full)
    nested.extend(sorted(links))
    real_files = [f for f in files if f not in links]
    return Listed(real_files, nested, unlisted_dirs(warnings, repo.prefix), untracked)


def list_files(repo: Repo) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """``(files, nested, unlisted)`` of ``list_all``."""
    got = list_all(repo)
    return got.files, got.nested, got.unlisted


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


def _log_args(depth: int) -> tuple[str, ...]:
    return (
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


def parse_last_changes(out: str) -> dict[str, int]:
    """The output of ``git log`` as ``last_changes`` runs it: path -> newest commit time."""
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


def last_changes(repo: Repo, depth: int = HISTORY_DEPTH) -> dict[str, int]:
    """Commit time of the last change of each path (workspace-relative), newest first wins."""
    try:
        return parse_last_changes(repo.run(*_log_args(depth)))
    except GatherError:
        return {}  # unborn branch


class PendingTimes:
    """``last_changes`` running in the background: git reads its history while the gather
    reads files (the history of a large repository costs as much as listing it)."""

    def __init__(self, repo: Repo, depth: int = HISTORY_DEPTH) -> None:
        self._pending: Pending | None = repo.start(*_log_args(depth))

    def result(self) -> dict[str, int]:
        pending, self._pending = self._pending, None
        if pending is None:
            return {}
        try:
            return parse_last_changes(pending.result())
        except GatherError:
            return {}  # unborn branch

    def cancel(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.cancel()


_DIFF_HEAD = ("diff", "--name-only", "-z", "-M", "--relative", "HEAD", "--", ".")


def changed_since_head(repo: Repo) -> set[str] | None:
    """Workspace-relative tracked paths whose content differs from HEAD (staged or not), or
    None before the first commit (everything is new then). Untracked files are not here: the
    listing (``list_all``) already knows them, so the work tree is not walked a second time
    (``git status --untracked-files=all`` would). ``git diff`` refreshes the index's stat
    data first, so a file touched but unchanged does not count."""
    if head(repo) is None:
        return None
    return _names(repo.run(*_DIFF_HEAD))


def _names(out: str) -> set[str]:
    return {p for p in out.split("\0") if p}


class PendingChanged:
    """``changed_since_head`` running in the background (None when there is no HEAD)."""

    def __init__(self, repo: Repo) -> None:
        self._pending: Pending | None = repo.start(*_DIFF_HEAD)

    def result(self) -> set[str] | None:
        pending, self._pending = self._pending, None
        if pending is None:
            return None
        try:
            return _names(pending.result())
        except GatherError:
            return None  # no commit yet: every file is new

    def cancel(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.cancel()


def dirty(repo: Repo, untracked: set[str] | None = None) -> set[str]:
    """Workspace-relative paths that differ from HEAD (staged, unstaged or untracked).
    ``untracked``: the listing's untracked files, when the caller has it (no second walk)."""
    if untracked is None:
        untracked = list_all(repo).untracked
    changed = changed_since_head(repo)
    if changed is None:
        return set(list_all(repo).files)
    return changed | untracked


def file_at(repo: Repo, commit: str, path: str) -> bytes | None:
    """The bytes of the workspace-relative ``path`` at ``commit``; None when it is not there
    (a GatherError when git fails otherwise)."""
    spec = f"{commit}:{repo.prefix}{path}"
    if repo.run_with_warnings("cat-file", "-t", commit)[0].strip() != "commit":
        raise GatherError(f"{commit} is not a commit")
    try:
        done = subprocess.run(
            ["git", "cat-file", "blob", spec],
            cwd=repo.root,
            env=_env(),
            capture_output=True,
            check=False,
        )
    except OSError as e:
        raise GatherError(f"git cat-file could not be run: {e}") from e
    if done.returncode != 0:
        return None  # no such file at that commit (the commit itself was checked above)
    return done.stdout
