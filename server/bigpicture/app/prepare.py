"""From a folder and settings to a plan: gather, diff, budget and lay out, with progress.

Used by the CLI and the language server alike; sending the plan is the client layer's job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict, Unpack

import msgspec

from bigpicture.core.config import Settings
from bigpicture.core.errors import GatherError
from bigpicture.core.gather import changes
from bigpicture.core.gather import gather as gathering
from bigpicture.core.models import Snapshot
from bigpicture.core.registry import Registry
from bigpicture.core.request import plan as planning
from bigpicture.core.request import prompt
from bigpicture.store import cachebase, scancache
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
    """The workspace gathered, with the secret scan's memory of clean contents loaded from and
    saved to the data directory."""
    index = scancache.load()
    snap = gathering.gather(root, settings, progress=progress, index=index)
    if index.changed:
        scancache.save(index)
    return snap


class Scope(TypedDict, total=False):
    """What a review looks at, in the words the CLI and the language server use; every key
    optional (a workspace review by default)."""

    kind: str  # workspace | changes | file
    ref: str | None  # changes: the base ref (None: uncommitted work against HEAD)
    file: str | None  # file: the file (absolute, or relative to the current folder)
    staged: bool  # changes: the index only (``--staged``)


def focus_on(root: Path, snap: Snapshot, settings: Settings, **scope: Unpack[Scope]) -> Snapshot:
    """The snapshot of a review of ``scope``: a changes review gets its diff in focus (only the
    index with ``staged``), a file review its file; a workspace review the snapshot as it is."""
    kind = scope.get("kind", "workspace")
    if kind == "changes":
        check = gathering.name_filter(root, settings)
        diff = changes.changes(
            root,
            snap,
            scope.get("ref"),
            allowed=lambda p: check(p) is None,
            staged=scope.get("staged", False),
        )
        return changes.with_diff(snap, diff)
    if kind == "file":
        file = scope.get("file")
        if not file:
            raise GatherError("a file review needs a file")
        return focus_file(root, snap, file)
    return snap


def snapshot_for(
    root: Path, settings: Settings, *, progress: Progress | None = None, **scope: Unpack[Scope]
) -> Snapshot:
    root = root.resolve()
    if progress:
        progress(f"gathering {root}")
    snap = gather(root, settings, progress)
    return focus_on(root, snap, settings, **scope)


def plan_for(
    snapshot: Snapshot,
    settings: Settings,
    *,
    kind: str,
    registry: Registry | None = None,
    token_scale: float = 1.0,
    nonce: str | None = None,
    layout: str = "snapshot",
) -> planning.Plan:
    def build(n: str) -> planning.Plan:
        return planning.build(
            snapshot,
            settings,
            kind=kind,
            nonce=n,
            registry=registry,
            token_scale=token_scale,
            layout=layout,
            base=cachebase.load(snapshot.root) if layout == "snapshot" else None,
        )

    if nonce is not None:
        return build(nonce)
    plan = build(store.nonce_for(snapshot.root, []))
    # The delimiter nonce must appear in none of the texts sent (else a file could forge a
    # closing delimiter): check what this plan sends, and if one does, rotate and plan again.
    sent = list(plan.sent_texts(snapshot).values())
    if snapshot.diff:
        sent.append(snapshot.diff.patch)
    if not prompt.nonce_is_safe(plan.nonce, sent):
        plan = build(store.nonce_for(snapshot.root, sent))
    return plan


def prepare(
    root: Path, settings: Settings, *, progress: Progress | None = None, **scope: Unpack[Scope]
) -> Prepared:
    """Gather and plan a review of ``scope`` (``Scope``: kind, ref, file, staged)."""
    snap = snapshot_for(root, settings, progress=progress, **scope)
    return Prepared(snap, plan_for(snap, settings, kind=scope.get("kind", "workspace")))
