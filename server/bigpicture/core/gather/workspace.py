"""A gathered workspace kept in memory and updated file by file.

The language server gathers once, then updates single files on save and on watched-file
events, so a review on save does not re-read the whole tree. A change to an ignore file or to
``pyproject.toml``, or a new HEAD (a checkout, a commit), makes the next review gather afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import msgspec

from bigpicture.core.config import Settings
from bigpicture.core.gather import gather as gathering
from bigpicture.core.gather import pathrules
from bigpicture.core.git import repo as gitrepo
from bigpicture.core.models import Redaction, Skipped, Snapshot, SourceFile

_RESET_NAMES = {".gitignore", ".bigpictureignore", "pyproject.toml"}


GatherFn = Callable[[Path, Settings], Snapshot]


def _plain_gather(root: Path, settings: Settings) -> Snapshot:
    return gathering.gather(root, settings)


class LiveWorkspace:
    """``gather`` gathers the whole workspace afresh (the app layer's, which remembers clean
    contents between runs; a plain gather by default)."""

    def __init__(self, root: Path, settings: Settings, gather: GatherFn = _plain_gather) -> None:
        self.root = root.resolve()
        self.settings = settings
        self._gather = gather
        self._base: Snapshot | None = None
        self._files: dict[str, SourceFile] = {}
        self._skipped: dict[str, Skipped] = {}
        self._redactions: dict[str, list[Redaction]] = {}
        self._stale = True

    def invalidate(self) -> None:
        self._stale = True

    def file_changed(self, rel: str) -> None:
        """Re-read one file from disk (saved, created or changed outside the editor)."""
        if self._stale or self._base is None:
            return
        name = rel.rsplit("/", 1)[-1]
        if name in _RESET_NAMES:
            self._stale = True
            return
        check = gathering.name_filter(self.root, self.settings)
        previous = self._files.pop(rel, None)
        self._skipped.pop(rel, None)
        self._redactions.pop(rel, None)
        if any(part in pathrules.EXCLUDED_DIRS for part in rel.split("/")[:-1]):
            return  # tools' state (.git/index, node_modules, ...): never a workspace file
        refused = check(rel)
        if refused:
            self._skipped[rel] = Skipped(rel, refused[0], refused[1])  # type: ignore[arg-type]
            return
        if self._base.is_git:
            repo = gitrepo.open_repo(self.root)
            if repo is not None and not _git_shows(repo, rel):
                return
        loaded = gathering.load_file(self.root, self.root, rel, self.settings.maxFileSize)
        if loaded.file is not None:
            old = previous
            self._files[rel] = msgspec.structs.replace(
                loaded.file, last_change=old.last_change if old else 0, dirty=True
            )
            self._redactions[rel] = loaded.redactions
        if loaded.skipped is not None:
            self._skipped[rel] = loaded.skipped

    def file_deleted(self, rel: str) -> None:
        if rel.rsplit("/", 1)[-1] in _RESET_NAMES:
            self._stale = True
        self._files.pop(rel, None)
        self._skipped.pop(rel, None)
        self._redactions.pop(rel, None)

    def snapshot(self) -> Snapshot:
        """The current snapshot: gathered afresh when stale, else from memory."""
        head = None
        if not self._stale and self._base is not None and self._base.is_git:
            repo = gitrepo.open_repo(self.root)
            head = gitrepo.head(repo) if repo else None
            if head != self._base.head:
                self._stale = True
        if self._stale or self._base is None:
            snap = self._gather(self.root, self.settings)
            self._base = snap
            self._files = {f.path: f for f in snap.files}
            self._skipped = {s.path: s for s in snap.skipped}
            self._redactions = {}
            for r in snap.redactions:
                self._redactions.setdefault(r.path, []).append(r)
            self._stale = False
            return snap
        files = sorted(self._files.values(), key=lambda f: f.path)
        return Snapshot(
            root=str(self.root),
            files=files,
            skipped=sorted(self._skipped.values(), key=lambda s: s.path),
            redactions=sorted(
                (r for rs in self._redactions.values() for r in rs), key=lambda r: (r.path, r.line)
            ),
            is_git=self._base.is_git,
            head=self._base.head,
        )


def _git_shows(repo: gitrepo.Repo, rel: str) -> bool:
    """Whether git would list ``rel`` (tracked, or untracked and not ignored)."""
    out = repo.run("ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", rel)
    return bool(out.strip("\0"))
