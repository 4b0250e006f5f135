"""Remembering which file contents the secret scan found clean, so they are not scanned again.

Two tables, both under the user's data directory and both keyed by a fingerprint of the scan
rules (the source of the secrets module and of every ``secret_*`` module: the rule data,
the engine, the value checks), so changed rules scan everything afresh:

- clean contents, by the SHA-256 of their bytes (first 16 bytes): a file whose content was
  found clean anywhere is not scanned again;
- clean files, by their stat (path, size, mtime and ctime in nanoseconds, inode), giving the
  content digest without hashing the bytes again — git's index does the same. An entry is
  recorded only for a file last modified more than ``RACY_SECONDS`` before it was read, so a
  write within the clock's resolution cannot hide behind an unchanged stat.

Only contents with no finding are remembered: a file with a secret is always scanned, and
redacted, again. Losing these files only costs time.
"""

from __future__ import annotations

import hashlib
import os
import time
from importlib import resources

from .store import atomic_write, data_dir

MAX_ENTRIES = 2_000_000
RACY_SECONDS = 2.0


_FINGERPRINT: list[str] = []  # the rules do not change while the process runs


def scan_sources() -> list[str]:
    """The modules whose source decides what the secret scan finds."""
    core = resources.files("bigpicture.core")
    names = [p.name for p in core.iterdir() if p.name.endswith(".py")]
    return sorted(n for n in names if n == "secrets.py" or n.startswith("secret_"))


def fingerprint_of(sources: list[bytes]) -> str:
    h = hashlib.sha256()
    for source in sources:
        h.update(hashlib.sha256(source).digest())
    return h.hexdigest()[:16]


def rules_fingerprint() -> str:
    if not _FINGERPRINT:
        core = resources.files("bigpicture.core")
        sources = [core.joinpath(name).read_bytes() for name in scan_sources()]
        _FINGERPRINT.append(fingerprint_of(sources))
    return _FINGERPRINT[0]


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


def _files():
    fp = rules_fingerprint()
    d = data_dir()
    return d / f"scan-clean-{fp}.bin", d / f"scan-stat-{fp}.bin"


def load() -> ScanIndex:
    clean_file, stat_file = _files()
    clean: set[bytes] = set()
    by_stat: dict[bytes, bytes] = {}
    try:
        raw = clean_file.read_bytes()
        clean = {raw[i : i + 16] for i in range(0, len(raw) - len(raw) % 16, 16)}
    except OSError:
        pass
    try:
        raw = stat_file.read_bytes()
        by_stat = {
            raw[i : i + 16]: raw[i + 16 : i + 32] for i in range(0, len(raw) - len(raw) % 32, 32)
        }
    except OSError:
        pass
    return ScanIndex(clean, by_stat)


def save(index: ScanIndex) -> None:
    clean = index.clean | set(index.new_clean)
    by_stat = {**index.by_stat, **dict(index.new_stat)}
    if len(clean) > MAX_ENTRIES or len(by_stat) > MAX_ENTRIES:
        clean, by_stat = set(index.new_clean), dict(index.new_stat)  # start over, smaller
    clean_file, stat_file = _files()
    atomic_write(clean_file, b"".join(sorted(clean)))
    atomic_write(stat_file, b"".join(k + v for k, v in sorted(by_stat.items())))
