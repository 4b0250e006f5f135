"""Remembering which file contents the secret scan found clean, so they are not scanned again.

Keyed by the SHA-256 of a file's bytes (the first 16 bytes) and by a fingerprint of the scan
rules (the secrets module's own source): a changed file, or changed rules, is scanned afresh.
Only contents with no finding are remembered — a file with a secret is always scanned, and
redacted, again. Kept under the user's data directory; losing it only costs time.
"""

from __future__ import annotations

import hashlib
from importlib import resources

from .store import atomic_write, data_dir

MAX_ENTRIES = 2_000_000


def rules_fingerprint() -> str:
    source = resources.files("bigpicture.core").joinpath("secrets.py").read_bytes()
    return hashlib.sha256(source).hexdigest()[:16]


def _file():
    return data_dir() / f"scan-clean-{rules_fingerprint()}.bin"


def load() -> set[bytes]:
    try:
        raw = _file().read_bytes()
    except OSError:
        return set()
    return {raw[i : i + 16] for i in range(0, len(raw) - len(raw) % 16, 16)}


def save(clean: set[bytes]) -> None:
    if len(clean) > MAX_ENTRIES:
        return
    atomic_write(_file(), b"".join(sorted(clean)))
