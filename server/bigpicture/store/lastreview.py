"""The last review's findings per workspace, kept so that a restarted language server (a window
reload, an editor restart) shows again what was paid for.

Written after each complete review, never after a failed, cancelled or incomplete one: every
file the review covered is replaced, with its findings and the exact text they were anchored
on, or removed when it has none; files it did not cover keep their entries. The text kept is
the text that was *sent* (secrets already redacted), so nothing is written here that was not
fit to leave the machine; with it, the findings are re-anchored on whatever the file holds
when they are restored (``core.reply.follow``). Bounded (``MAX_FILES`` files, ``MAX_BYTES`` of
text: the files reviewed longest ago go first) and written atomically.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from bigpicture.core.models import Finding
from bigpicture.store.paths import atomic_write, workspace_dir

VERSION = 1
MAX_FILES = 5000
MAX_BYTES = 64 * 1024 * 1024  # of kept text, UTF-8


class Entry(msgspec.Struct):
    text: str  # the text the findings' ranges refer to: what the review sent
    findings: list[Finding]
    reviewed_at: float  # unix time of the review that wrote it


class LastReview(msgspec.Struct):
    files: dict[str, Entry]
    reviewed_at: float  # unix time of the last review that wrote
    kind: str = "workspace"
    summary: str = ""  # the model's summary of that review
    version: int = VERSION


def _path(root: Path | str) -> Path:
    return workspace_dir(root) / "last-review.json"


def load(root: Path | str) -> LastReview | None:
    """The kept findings of ``root``; None when there are none or the file is unreadable."""
    try:
        got = msgspec.json.decode(_path(root).read_bytes(), type=LastReview)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return None
    return got if got.version == VERSION else None


def record(
    root: Path | str,
    *,
    kind: str,
    summary: str,
    covered: dict[str, str],
    findings: list[Finding],
    at: float,
) -> LastReview:
    """Keep a complete review: ``covered`` maps every file it sent to the text sent, on which
    ``findings`` are anchored."""
    kept = load(root)
    files = dict(kept.files) if kept is not None else {}
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        by_path.setdefault(f.path, []).append(f)
    for path, text in covered.items():
        if path in by_path:
            files[path] = Entry(text, by_path[path], at)
        else:
            files.pop(path, None)
    out = LastReview(_bounded(files), at, kind, summary)
    atomic_write(_path(root), msgspec.json.encode(out))
    return out


def _bounded(files: dict[str, Entry]) -> dict[str, Entry]:
    newest_first = sorted(files.items(), key=lambda kv: (-kv[1].reviewed_at, kv[0]))
    out: dict[str, Entry] = {}
    size = 0
    for path, entry in newest_first:
        size += len(entry.text.encode("utf-8", "surrogatepass"))
        if len(out) >= MAX_FILES or size > MAX_BYTES:
            break
        out[path] = entry
    return dict(sorted(out.items()))


def forget(root: Path | str) -> None:
    """Nothing kept any more (the findings were cleared)."""
    _path(root).unlink(missing_ok=True)
