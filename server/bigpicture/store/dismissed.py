"""Dismissed findings: ``.bigpicture/dismissed.json`` in the workspace, meant to be committed.

The file is a small versioned JSON document, written in a stable form (entries sorted by id,
2-space indent, trailing newline) so that its diffs are clean::

    {
      "version": 1,
      "dismissed": [
        {
          "id": "3f1c0a9b2d4e5f60",
          "reason": "false-positive",
          "path": "src/app.py",
          "title": "SQL built from request input",
          "date": "2026-03-01",
          "by": "alice",
          "category": "security",
          "cwe": "CWE-89",
          "code": "9a0b1c2d3e4f5a6b"
        }
      ]
    }

A dismissal matches a finding by its stable id (``core.reply.anchor.finding_id``: path,
anchored code, category, CWE), so it survives rewording and line moves; by the older id that
hashed the title (files written before ``cwe`` and ``code`` were added keep working as they
are); and by ``code`` (a hash of the category and the normalized code) when the model
dropped or added the CWE, or when the file was renamed (see ``core.reply.suppress``).

This module reads and writes the file; ``core.reply.suppress`` applies it to findings.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import msgspec

from bigpicture.core import models
from bigpicture.core.errors import ConfigError
from bigpicture.core.reply import suppress
from bigpicture.core.reply.suppress import DISMISSED_FILE, REASONS, VERSION, Dismissal


class _File(msgspec.Struct):
    version: int
    dismissed: list[Dismissal] = []


class _Header(msgspec.Struct):
    version: int


def dismissed_path(root: str | os.PathLike[str]) -> Path:
    return Path(root) / DISMISSED_FILE


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read the dismissed-findings file ({exc.strerror or exc})"
        ) from None


def load(root: str | os.PathLike[str]) -> dict[str, Dismissal]:
    """The dismissals by id. A missing file is empty; a broken one is a ConfigError."""
    path = dismissed_path(root)
    data = _read(path)
    if data is None:
        return {}
    try:
        header = msgspec.json.decode(data, type=_Header)
    except msgspec.DecodeError as exc:
        raise ConfigError(
            f"{path}: not a valid dismissed-findings file ({exc}); fix or delete it"
        ) from None
    if header.version != VERSION:
        raise ConfigError(
            f"{path}: version {header.version} is not supported (this BigPicture reads "
            f"version {VERSION}); upgrade BigPicture or delete the file"
        )
    try:
        doc = msgspec.json.decode(data, type=_File)
    except msgspec.DecodeError as exc:
        raise ConfigError(
            f"{path}: not a valid dismissed-findings file ({exc}); fix or delete it"
        ) from None
    return {d.id: d for d in doc.dismissed}


def encode(dismissed: dict[str, Dismissal]) -> bytes:
    """The file's bytes: entries sorted by id, 2-space indent, trailing newline."""
    doc = _File(version=VERSION, dismissed=[dismissed[k] for k in sorted(dismissed)])
    return msgspec.json.format(msgspec.json.encode(doc), indent=2) + b"\n"


def _write(root: str | os.PathLike[str], dismissed: dict[str, Dismissal]) -> None:
    path = dismissed_path(root)
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        real_root = Path(root).resolve()
        if not folder.resolve().is_relative_to(real_root):
            raise ConfigError(f"{folder}: points outside the workspace; not writing there")
        fd, tmp = tempfile.mkstemp(prefix=".dismissed.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(encode(dismissed))
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write ({exc.strerror or exc})") from None


def dismiss(
    root: str | os.PathLike[str],
    finding: models.Finding,
    reason: str,
    *,
    by: str | None = None,
    today: dt.date | None = None,
) -> Dismissal:
    """Record the finding as dismissed (replacing an earlier dismissal of the same id)."""
    if reason not in REASONS:
        raise ConfigError(f"unknown dismissal reason {reason!r}; use one of {', '.join(REASONS)}")
    entry = suppress.entry_for(finding, reason, by=by, today=today or dt.date.today())
    dismissed = load(root)  # a broken file raises: never overwrite what we cannot read
    dismissed[entry.id] = entry
    _write(root, dismissed)
    return entry


def undismiss(
    root: str | os.PathLike[str],
    finding_id: str,
    finding: models.Finding | None = None,
    present: set[str] | None = None,
) -> bool:
    """Forget a dismissal; False when there was none with that id. With ``finding``, every
    dismissal that matches it goes too (one recorded under an older id, or, with ``present``,
    before a rename)."""
    dismissed = load(root)
    gone = dismissed.pop(finding_id, None) is not None
    while finding is not None and (entry := suppress.match(finding, dismissed, present)):
        del dismissed[entry.id]
        gone = True
    if not gone:
        return False
    _write(root, dismissed)
    return True
