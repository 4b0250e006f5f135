"""From a folder and settings to a plan: gather, diff, budget and lay out, with progress.

Used by the CLI and the language server alike; sending the plan is the client layer's job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec

from bigpicture.core.config import Settings
from bigpicture.core.errors import GatherError
from bigpicture.core.gather import changes, policy
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


def focus_on(
    root: Path,
    snap: Snapshot,
    settings: Settings,
    *,
    kind: str,
    ref: str | None = None,
    file: str | None = None,
    staged: bool = False,
) -> Snapshot:
    """The snapshot of a review of ``kind``: a changes review gets its diff in focus (only the
    index with ``staged``), a file review its file; a workspace review the snapshot as it is.
    Each with the team's policy in force (``core.gather.policy``: from the base in a changes
    review), its ``ignore`` paths left out."""
    found, hits = policy.for_review(root, kind=kind, ref=ref, staged=staged)
    snap = policy.apply(snap, found, hits)
    if kind == "changes":
        check = gathering.name_filter(root, settings)
        skip = policy.ignored(found)
        diff = changes.changes(
            root, snap, ref, allowed=lambda p: check(p) is None and not skip(p), staged=staged
        )
        return changes.with_diff(snap, diff)
    if kind == "file":
        if not file:
            raise GatherError("a file review needs a file")
        return focus_file(root, snap, file)
    return snap


def snapshot_for(
    root: Path,
    settings: Settings,
    *,
    kind: str = "workspace",
    ref: str | None = None,
    file: str | None = None,
    progress: Progress | None = None,
    staged: bool = False,
) -> Snapshot:
    root = root.resolve()
    if progress:
        progress(f"gathering {root}")
    snap = gather(root, settings, progress)
    return focus_on(root, snap, settings, kind=kind, ref=ref, file=file, staged=staged)


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
    if snapshot.policy is not None:
        sent.append(snapshot.policy.text)
    if not prompt.nonce_is_safe(plan.nonce, sent):
        plan = build(store.nonce_for(snapshot.root, sent))
    return plan


def prepare(
    root: Path,
    settings: Settings,
    *,
    kind: str = "workspace",
    ref: str | None = None,
    file: str | None = None,
    progress: Progress | None = None,
    staged: bool = False,
) -> Prepared:
    """Gather and plan. ``staged``: a changes review of the index only (``--staged``)."""
    snap = snapshot_for(
        root, settings, kind=kind, ref=ref, file=file, progress=progress, staged=staged
    )
    return Prepared(snap, plan_for(snap, settings, kind=kind))
