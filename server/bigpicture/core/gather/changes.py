"""The focus of a changes review: the git diff, restricted to what may be sent, redacted.

``--diff`` (no ref): everything uncommitted (staged, unstaged and untracked) against HEAD.
``--diff REF``: everything since the merge-base of REF and HEAD, uncommitted work included.
``--staged``: only what is staged (the index) against HEAD, or against the merge-base with REF;
unstaged and untracked work is left out of the diff (the pre-commit hook's review).

Only files the workspace gather would send appear in the diff: a change to ``.env``, a lock
file or a binary is listed nowhere. The patch text is scanned for secrets as a whole — added,
removed and context lines alike — because all of it is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import msgspec

from bigpicture.core.errors import GatherError, NothingToReview, SecretScanError
from bigpicture.core.gather import secrets
from bigpicture.core.git import diff
from bigpicture.core.lines import split_lines_keepends
from bigpicture.core.models import ChangedFile, DiffInfo, Redaction, Snapshot


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
    load: Callable[[list[str]], object] | None = None,
) -> DiffInfo:
    """The diff a changes review focuses on. ``allowed(path)`` says whether a path (possibly
    deleted) may appear at all; files in the snapshot are allowed by construction. With
    ``staged``, only the index against the base (no unstaged or untracked work).

    ``load(paths)``: reads and scans files a lazy gather only listed (``gather.load`` on
    ``snapshot``); an untracked file's whole text is in the patch, so it is loaded first."""
    repo = diff.require_repo(root)
    label, base = diff.resolve_staged_base(repo, ref) if staged else diff.resolve_base(repo, ref)
    sent = snapshot.by_path()
    changed: list[ChangedFile] = []
    for c in diff.name_status(repo, base, staged):
        ok = c.path in sent if c.status != "deleted" else allowed(c.path)
        if ok and (c.old_path is None or allowed(c.old_path)):
            changed.append(c)
    tracked = {c.path for c in changed}
    untracked = (
        [] if staged else [p for p in diff.untracked(repo) if p in sent and p not in tracked]
    )
    listed_only = [p for p in untracked if not sent[p].loaded]
    if listed_only:
        if load is None:
            raise GatherError(f"{listed_only[0]} was listed but not read: cannot diff it")
        load(listed_only)
        sent = snapshot.by_path()  # read now, or gone (binary, deleted)
        untracked = [p for p in untracked if p in sent and sent[p].loaded]

    patch_parts: list[str] = []
    if changed:
        paths = sorted({c.path for c in changed} | {c.old_path for c in changed if c.old_path})
        patch_parts.append(diff.patch(repo, base, paths, staged))
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
