"""What git says changed: the base a changes review compares with, the changed and untracked
paths, and the patch text. Which of it may be sent, and its redaction, is
``core.gather.changes``'s."""

from __future__ import annotations

from pathlib import Path

from bigpicture.core.errors import GatherError
from bigpicture.core.git import repo as gitrepo
from bigpicture.core.models import ChangedFile

_STATUS = {
    "A": "added",
    "M": "modified",
    "D": "deleted",
    "R": "renamed",
    "C": "added",
    "T": "modified",
}


def require_repo(root: Path) -> gitrepo.Repo:
    repo = gitrepo.open_repo(root)
    if repo is None:
        raise GatherError(f"{root} is not in a git repository: a changes review needs git")
    return repo


def resolve_base(repo: gitrepo.Repo, ref: str | None) -> tuple[str, str]:
    """``(label, commit)`` to diff against, or a clear GatherError."""
    head = gitrepo.head(repo)
    if head is None:
        raise GatherError(
            "the branch has no commits yet: commit once, or review the whole workspace"
        )
    if ref is None:
        if gitrepo.branch(repo) is None:
            raise GatherError(
                f"HEAD is detached (at {head[:12]}): check out a branch, or name the base "
                "explicitly (the `baseBranch` setting)"
            )
        return "HEAD", head
    try:
        target = repo.run("rev-parse", "--verify", "-q", f"{ref}^{{commit}}").strip()
    except GatherError:
        target = ""
    if not target:
        raise GatherError(f"unknown ref {ref!r}: no branch, tag or commit has that name")
    try:
        base = repo.run("merge-base", head, target).strip()
    except GatherError as e:
        raise GatherError(f"HEAD and {ref} have no common ancestor") from e
    return ref, base


EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's well-known empty tree


def resolve_staged_base(repo: gitrepo.Repo, ref: str | None) -> tuple[str, str]:
    """``(label, commit)`` the index is compared with (``--staged``): HEAD, detached or not
    (hooks run detached during a rebase), the merge-base with REF, or the empty tree before
    the first commit."""
    if ref is None:
        head = gitrepo.head(repo)
        return ("HEAD (staged)", head) if head else ("no commits yet (staged)", EMPTY_TREE)
    label, base = resolve_base(repo, ref)
    return f"{label} (staged)", base


def _cached(staged: bool) -> tuple[str, ...]:
    return ("--cached",) if staged else ()


def name_status(repo: gitrepo.Repo, base: str, staged: bool = False) -> list[ChangedFile]:
    """Changed paths between ``base`` and the work tree, or the index when ``staged``."""
    out = repo.run(
        "diff", *_cached(staged), "--name-status", "-z", "-M", "--relative", base, "--", "."
    )
    items = out.split("\0")
    changed: list[ChangedFile] = []
    i = 0
    while i < len(items):
        code = items[i]
        i += 1
        if not code:
            continue
        kind = _STATUS.get(code[0], "modified")
        if code[0] in "RC":
            old, new = items[i], items[i + 1]
            i += 2
            changed.append(ChangedFile(new, kind, old))
        else:
            changed.append(ChangedFile(items[i], kind))
            i += 1
    return changed


def untracked(repo: gitrepo.Repo) -> list[str]:
    out = repo.run("ls-files", "-z", "--others", "--exclude-standard", "--", ".")
    return [p for p in out.split("\0") if p and not p.endswith("/")]


def patch(repo: gitrepo.Repo, base: str, paths: list[str], staged: bool = False) -> str:
    """The unified diff of ``paths`` between ``base`` and the work tree, or the index when
    ``staged`` (renames detected)."""
    return repo.run(
        "diff",
        *_cached(staged),
        "--no-color",
        "--no-ext-diff",
        "-M",
        "--relative",
        base,
        "--",
        *paths,
    )
