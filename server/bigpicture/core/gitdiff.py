"""The focus of a changes review: the git diff, restricted to what may be sent, redacted.

``--diff`` (no ref): everything uncommitted (staged, unstaged and untracked) against HEAD.
``--diff REF``: everything since the merge-base of REF and HEAD, uncommitted work included.
``--staged``: only what is staged (the index) against HEAD, or against the merge-base with REF;
unstaged and untracked work is left out of the diff (the pre-commit hook's review). A detached
HEAD is fine here (hooks run detached during a rebase), and on a branch with no commits yet the
index is compared with the empty tree.

Only files the workspace gather would send appear in the diff: a change to ``.env``, a lock
file or a binary is listed nowhere. The patch text is scanned for secrets as a whole — added,
removed and context lines alike — because all of it is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import msgspec

from . import gitrepo, secrets
from .errors import GatherError, NothingToReview, SecretScanError
from .lines import split_lines_keepends
from .models import ChangedFile, DiffInfo, Redaction, Snapshot

_STATUS = {
    "A": "added",
    "M": "modified",
    "D": "deleted",
    "R": "renamed",
    "C": "added",
    "T": "modified",
}


def _require_repo(root: Path) -> gitrepo.Repo:
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
                "explicitly with --diff REF"
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
    """``(label, commit)`` the index is compared with: HEAD (detached or not), the merge-base
    with REF, or the empty tree before the first commit."""
    if ref is None:
        head = gitrepo.head(repo)
        return ("HEAD (staged)", head) if head else ("no commits yet (staged)", EMPTY_TREE)
    label, base = resolve_base(repo, ref)
    return f"{label} (staged)", base


def _cached(staged: bool) -> tuple[str, ...]:
    return ("--cached",) if staged else ()


def _name_status(repo: gitrepo.Repo, base: str, staged: bool = False) -> list[ChangedFile]:
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


def _untracked(repo: gitrepo.Repo) -> list[str]:
    out = repo.run("ls-files", "-z", "--others", "--exclude-standard", "--", ".")
    return [p for p in out.split("\0") if p and not p.endswith("/")]


def _added_file_patch(path: str, text: str) -> str:
    lines = split_lines_keepends(text)
    if lines and lines[-1] == "":
        lines.pop()
    body = "".join("+" + ln if ln.endswith(("\n", "\r")) else "+" + ln + "\n" for ln in lines)
    if lines and not lines[-1].endswith(("\n", "\r")):
        body += "\\ No newline at end of file\n"
    return (
        f"diff --git a/{path} b/{path}\nnew file (untracked)\n--- /dev/null\n+++ b/{path}\n"
        f"@@ -0,0 +1,{len(lines)} @@\n{body}"
    )


def changes(
    root: Path,
    snapshot: Snapshot,
    ref: str | None,
    allowed: Callable[[str], bool],
    *,
    staged: bool = False,
) -> DiffInfo:
    """The diff a changes review focuses on. ``allowed(path)`` says whether a path (possibly
    deleted) may appear at all; files in the snapshot are allowed by construction. With
    ``staged``, only the index against the base (no unstaged or untracked work)."""
    repo = _require_repo(root)
    label, base = resolve_staged_base(repo, ref) if staged else resolve_base(repo, ref)
    sent = snapshot.by_path()
    changed: list[ChangedFile] = []
    for c in _name_status(repo, base, staged):
        ok = c.path in sent if c.status != "deleted" else allowed(c.path)
        if ok and (c.old_path is None or allowed(c.old_path)):
            changed.append(c)
    tracked = {c.path for c in changed}
    untracked = [] if staged else [p for p in _untracked(repo) if p in sent and p not in tracked]

    patch_parts: list[str] = []
    if changed:
        paths = sorted({c.path for c in changed} | {c.old_path for c in changed if c.old_path})
        patch_parts.append(
            repo.run(
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
        )
    for p in sorted(untracked):
        patch_parts.append(_added_file_patch(p, sent[p].text))
        changed.append(ChangedFile(p, "untracked"))
    if not changed:
        what = "uncommitted changes against HEAD" if ref is None else f"changes since {ref}"
        if staged:
            what = "staged changes" + ("" if ref is None else f" since {ref}")
        raise NothingToReview(f"nothing to review: no {what} in files BigPicture would send")
    raw = "".join(patch_parts)
    try:
        patch, hits = secrets.redact(raw)
    except SecretScanError:
        raise
    except Exception as e:  # fail closed
        raise SecretScanError(f"secret scan of the diff failed: {e}") from e
    changed.sort(key=lambda c: c.path)
    return DiffInfo(
        base=label,
        base_commit=base,
        files=changed,
        patch=patch,
        redactions=[Redaction("(diff)", h.line, h.rule) for h in hits],
    )


def with_diff(snapshot: Snapshot, diff: DiffInfo) -> Snapshot:
    """The snapshot of a changes review: the diff in focus, the workspace as context."""
    focus = [c.path for c in diff.files if c.status != "deleted"]
    return msgspec.structs.replace(snapshot, diff=diff, focus=focus)
