"""Remembering which file contents the secret scan found clean, so they are not scanned again.

Two tables (kept under the user's data directory by ``store.scancache``, keyed by a
fingerprint of the scan rules, so changed rules scan everything afresh):

- clean contents, by the SHA-256 of their bytes (first 16 bytes): a file whose content was
  found clean anywhere is not scanned again;
- clean files, by their stat (path, size, mtime and ctime in nanoseconds, inode), giving the
  content digest without hashing the bytes again — git's index does the same. An entry is
  recorded only for a file last modified more than ``RACY_SECONDS`` before it was read, so a
  write within the clock's resolution cannot hide behind an unchanged stat.

Only contents with no finding are remembered: a file with a secret is always scanned, and
redacted, again. Losing these files only costs time."""

from __future__ import annotations

import hashlib
import os
import time

RACY_SECONDS = 2.0


def stat_key(path: str, st: os.stat_result) -> bytes:
    raw = f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_ino}"
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).digest()[:16]


def trustworthy(st: os.stat_result, now: float | None = None) -> bool:
    """Whether a file's stat can vouch for its content (not modified in the last moments)."""
    now = now or time.time()
    return max(st.st_mtime, st.st_ctime) < now - RACY_SECONDS


class ScanIndex:
    def __init__(self, clean: set[bytes], by_stat: dict[bytes, bytes]) -> None:
        self.clean = clean
        self.by_stat = by_stat
        self.new_clean: list[bytes] = []
        self.new_stat: list[tuple[bytes, bytes]] = []

    def record(self, digest: bytes, key: bytes | None) -> None:
        """``digest`` was found clean; ``key`` is its file's stat key when trustworthy."""
        self.new_clean.append(digest)
        if key is not None:
            self.new_stat.append((key, digest))

    @property
    def changed(self) -> bool:
        return bool(self.new_clean or self.new_stat)
