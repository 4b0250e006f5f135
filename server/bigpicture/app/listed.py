"""The outlines of the files a lazy gather only listed: what the repository map needs of the
files that are not sent whole, without scanning their whole text.

Each such file is read and decoded, its outline found by content in the outline cache (or
parsed), and then every definition header and import of those outlines is secret-scanned in
one pass, because the map sends them: the scan runs over exactly what is sent (fail closed: a
scan failure, or a redaction that changes the number of lines, stops the review). Files that
turn out not to be sendable (binary, unreadable) move to the snapshot's ``skipped``; files gone
since the listing leave it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import msgspec

from bigpicture.core.errors import SecretScanError
from bigpicture.core.gather import gather as gathering
from bigpicture.core.gather import secrets
from bigpicture.core.models import Redaction, Skipped, Snapshot
from bigpicture.core.request import outline as outlining

Progress = Callable[[str], None]


def outlines_of_listed(
    snapshot: Snapshot,
    cache: outlining.OutlineCache,
    max_size: int,
    progress: Progress | None = None,
) -> dict[str, outlining.Outline]:
    """path -> outline (headers and imports redacted) of every file of ``snapshot`` that is
    only listed; the snapshot loses the files that cannot be read as text."""
    listed = [f for f in snapshot.files if not f.loaded]
    if progress and listed:
        progress(f"outlining {len(listed)} files not sent whole")
    root = Path(snapshot.root)
    raw: dict[str, outlining.Outline] = {}
    gone: set[str] = set()
    for f in listed:
        got = gathering.read_text(root, f.path, max_size)
        if got is None or isinstance(got, Skipped):
            gone.add(f.path)
            if got is not None:
                snapshot.skipped.append(got)
            continue
        text, sha = got
        raw[f.path] = cache.get(msgspec.structs.replace(f, text=text, sha=sha))
    if gone:
        snapshot.files[:] = [f for f in snapshot.files if f.path not in gone]
        snapshot.skipped.sort(key=lambda s: s.path)
    return _redacted(raw, snapshot)


def _redacted(
    raw: dict[str, outlining.Outline], snapshot: Snapshot
) -> dict[str, outlining.Outline]:
    """The outlines with every header and import secret-scanned, in one pass over them all."""
    parts: list[str] = []
    for o in raw.values():
        parts.extend(o.defs)
        parts.extend(o.imports)
    if not parts:
        return dict(raw)
    joined = "\n".join(p.replace("\r", " ").replace("\n", " ") for p in parts)
    try:
        clean, hits = secrets.redact(joined)
    except SecretScanError:
        raise
    except Exception as e:  # fail closed
        raise SecretScanError(f"secret scan of the repository map failed: {e}") from e
    if not hits:
        return dict(raw)
    lines = clean.split("\n")
    if len(lines) != len(parts):
        raise SecretScanError("secret scan of the repository map changed its line count")
    out: dict[str, outlining.Outline] = {}
    at = 0
    owner: list[str] = []
    for path, o in raw.items():
        n_defs, n_imports = len(o.defs), len(o.imports)
        defs = lines[at : at + n_defs]
        imports = lines[at + n_defs : at + n_defs + n_imports]
        owner.extend([path] * (n_defs + n_imports))
        at += n_defs + n_imports
        out[path] = outlining.Outline(o.lang, defs, imports)
    for h in hits:
        snapshot.redactions.append(Redaction(f"{owner[h.line - 1]} (outline)", 1, h.rule))
    snapshot.redactions.sort(key=lambda r: (r.path, r.line))
    return out


def listed_texts(outlines: dict[str, outlining.Outline]) -> list[str]:
    """What the map may quote of ``outlines`` (for the delimiter-nonce check)."""
    return ["\n".join([*o.defs, *o.imports]) for o in outlines.values()]
