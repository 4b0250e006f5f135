"""From a folder and settings to a plan: gather, diff, budget and lay out, with progress.

Used by the CLI and the language server alike; sending the plan is the client layer's job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict, Unpack

import msgspec

from bigpicture.app.listed import listed_texts, outlines_of_listed
from bigpicture.core.config import Settings
from bigpicture.core.errors import GatherError
from bigpicture.core.gather import changes, policy
from bigpicture.core.gather import gather as gathering
from bigpicture.core.gather.scanindex import ScanIndex
from bigpicture.core.models import Snapshot
from bigpicture.core.registry import Registry
from bigpicture.core.request import plan as planning
from bigpicture.core.request import prompt
from bigpicture.core.request.outline import Outline, OutlineCache
from bigpicture.store import cachebase, outlinecache, scancache
from bigpicture.store import paths as store

Progress = Callable[[str], None]


@dataclass
class Prepared:
    snapshot: Snapshot
    plan: planning.Plan


def focus_file(root: Path, snapshot: Snapshot, file: str) -> Snapshot:
    """The snapshot of a file review: ``file`` in focus, the workspace as context."""
    path = Path(file)
    full = path if path.is_absolute() else (Path.cwd() / path)
    try:
        rel = full.resolve().relative_to(root.resolve()).as_posix()
    except ValueError as e:
        raise GatherError(f"{file} is outside the workspace {root}") from e
    except RuntimeError as e:  # a symlink loop (Python < 3.13; later ones resolve it as is)
        raise GatherError(f"{file} cannot be reviewed: it is a symlink loop") from e
    if rel not in snapshot.by_path():
        why = next((s for s in snapshot.skipped if s.path == rel), None)
        reason = f" ({why.reason}: {why.detail})" if why else " (not found, or ignored)"
        raise GatherError(f"{rel} is not sent by BigPicture{reason}")
    return msgspec.structs.replace(snapshot, focus=[rel])


def gather(root: Path, settings: Settings, progress: Progress | None = None) -> Snapshot:
    """The workspace listed lazily: every file with its path, size, kind and history, none
    read yet. ``plan_for`` reads and secret-scans the files the budget chooses (``Loader``),
    so a repository many times the window costs a listing, not a scan of everything."""
    return gathering.gather(root, settings, progress=progress, lazy=True)


def gather_all(root: Path, settings: Settings, progress: Progress | None = None) -> Snapshot:
    """The workspace with every file read and scanned (the secret scan's memory of clean
    contents loaded from and saved to the data directory): for the language server, which
    keeps the snapshot in memory and updates it file by file, so that a review on save reads
    nothing again."""
    index = scancache.load()
    snap = gathering.gather(root, settings, progress=progress, index=index)
    if index.changed:
        scancache.save(index)
    return snap


class Loader:
    """Reads and scans files of a lazy snapshot on demand, with the secret scan's memory of
    clean contents loaded from the data directory once and saved when it learnt something."""

    def __init__(
        self, snapshot: Snapshot, settings: Settings, progress: Progress | None = None
    ) -> None:
        self.snapshot = snapshot
        self.settings = settings
        self.progress = progress
        self._index: ScanIndex | None = None

    def __call__(self, paths: list[str]) -> list[str]:
        if self._index is None:
            self._index = scancache.load()
        return gathering.load(
            self.snapshot, paths, self.settings.maxFileSize, self._index, self.progress
        )

    def save(self) -> None:
        if self._index is not None and self._index.changed:
            scancache.save(self._index)
        self._index = None  # read again by a later load: it holds what was just saved


def load_all(snapshot: Snapshot, settings: Settings, progress: Progress | None = None) -> None:
    """Read and scan every file a lazy gather only listed (a full-coverage review sends every
    file whole, in some shard)."""
    loader = Loader(snapshot, settings, progress)
    loader(gathering.unloaded(snapshot.files))
    loader.save()


class Scope(TypedDict, total=False):
    """What a review looks at, in the words the CLI and the language server use; every key
    optional (a workspace review by default)."""

    kind: str  # workspace | changes | file
    ref: str | None  # changes: the base ref (None: uncommitted work against HEAD)
    file: str | None  # file: the file (absolute, or relative to the current folder)
    staged: bool  # changes: the index only (``--staged``)


def focus_on(root: Path, snap: Snapshot, settings: Settings, **scope: Unpack[Scope]) -> Snapshot:
    """The snapshot of a review of ``scope``: a changes review gets its diff in focus (only the
    index with ``staged``), a file review its file; a workspace review the snapshot as it is.
    Each with the team's policy in force (``core.gather.policy``: from the base in a changes
    review), its ``ignore`` paths left out."""
    kind = scope.get("kind", "workspace")
    found, hits = policy.for_review(
        root, kind=kind, ref=scope.get("ref"), staged=scope.get("staged", False)
    )
    snap = policy.apply(snap, found, hits)
    if kind == "changes":
        check = gathering.name_filter(root, settings)
        skip = policy.ignored(found)
        loader = Loader(snap, settings)
        diff = changes.changes(
            root,
            snap,
            scope.get("ref"),
            allowed=lambda p: check(p) is None and not skip(p),
            staged=scope.get("staged", False),
            load=loader,
        )
        loader.save()
        return changes.with_diff(snap, diff)
    if kind == "file":
        file = scope.get("file")
        if not file:
            raise GatherError("a file review needs a file")
        _load_focus(root, snap, settings, file)
        return focus_file(root, snap, file)
    return snap


def _load_focus(root: Path, snap: Snapshot, settings: Settings, file: str) -> None:
    """Read the file of a file review now, so that one the gather only listed and that turns
    out not to be sendable (binary, say) is refused with its reason by ``focus_file``."""
    path = Path(file)
    full = path if path.is_absolute() else (Path.cwd() / path)
    try:
        rel = full.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, RuntimeError):
        return  # focus_file says why
    loader = Loader(snap, settings)
    loader([rel])
    loader.save()


def snapshot_for(
    root: Path, settings: Settings, *, progress: Progress | None = None, **scope: Unpack[Scope]
) -> Snapshot:
    root = root.resolve()
    if progress:
        progress(f"gathering {root}")
    snap = gather(root, settings, progress)
    return focus_on(root, snap, settings, **scope)


_OUTLINES: dict[str, OutlineCache] = {}  # the data directory -> its outlines, loaded once


def outlines() -> OutlineCache:
    """The outline cache of the data directory (loaded on first use, kept for the process)."""
    key = str(store.data_dir())
    got = _OUTLINES.get(key)
    if got is None:
        got = _OUTLINES[key] = outlinecache.load()
    return got


def plan_for(
    snapshot: Snapshot,
    settings: Settings,
    *,
    kind: str,
    registry: Registry | None = None,
    token_scale: float = 1.0,
    nonce: str | None = None,
    layout: str = "snapshot",
    progress: Progress | None = None,
) -> planning.Plan:
    """The plan of ``snapshot``. Files of a lazy gather that the budget chooses are read and
    secret-scanned here (in place: ``snapshot`` then holds their text), and the budget decides
    again with their real sizes, until every chosen file is read; each round reads at least
    one more file, so this ends, usually after two or three rounds. When the workspace does
    not fit, the map's outlines of the files only listed come from ``app.listed``."""
    base = cachebase.load(snapshot.root) if layout == "snapshot" else None
    cache = outlines()
    loader = Loader(snapshot, settings, progress)
    listed: dict[str, Outline] | None = None
    if snapshot.diff is not None:  # findings on the changes anchor on the changed files' text,
        focus = set(snapshot.focus)  # sent whole or only in the map
        loader([p for p in gathering.unloaded(snapshot.files) if p in focus])

    def build(n: str) -> planning.Plan:
        nonlocal listed
        while True:
            try:
                return planning.build(
                    snapshot,
                    settings,
                    kind=kind,
                    nonce=n,
                    registry=registry,
                    token_scale=token_scale,
                    layout=layout,
                    base=base,
                    outline_cache=cache,
                    outlines=listed,
                )
            except planning.OutlinesNeeded:
                listed = outlines_of_listed(snapshot, cache, settings.maxFileSize, progress)
            except planning.NotLoaded as e:
                loader(e.paths)

    try:
        if nonce is not None:
            return build(nonce)
        return _safe_nonce(snapshot, build, lambda: listed_texts(listed or {}))
    finally:
        loader.save()
        outlinecache.save(cache)


def _safe_nonce(
    snapshot: Snapshot,
    build: Callable[[str], planning.Plan],
    listed: Callable[[], list[str]],
) -> planning.Plan:
    plan = build(store.nonce_for(snapshot.root, []))
    # The delimiter nonce must appear in none of the texts sent (else a file could forge a
    # closing delimiter): check what this plan sends, and if one does, rotate and plan again.
    sent = list(plan.sent_texts(snapshot).values())
    if plan.left_out:  # the map quotes definition headers of the files not sent whole
        sent = [f.text for f in snapshot.files if f.loaded] + listed()
    if snapshot.diff:
        sent.append(snapshot.diff.patch)
    if snapshot.policy is not None:
        sent.append(snapshot.policy.text)
    if not prompt.nonce_is_safe(plan.nonce, sent):
        plan = build(store.nonce_for(snapshot.root, sent))
    return plan


def prepare(
    root: Path, settings: Settings, *, progress: Progress | None = None, **scope: Unpack[Scope]
) -> Prepared:
    """Gather and plan a review of ``scope`` (``Scope``: kind, ref, file, staged)."""
    snap = snapshot_for(root, settings, progress=progress, **scope)
    kind = scope.get("kind", "workspace")
    return Prepared(snap, plan_for(snap, settings, kind=kind, progress=progress))
