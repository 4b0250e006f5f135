"""The secret scan's memory of clean contents (``core.gather.scanindex``), kept under the user's
data directory per rules fingerprint. Losing these files only costs time."""

from __future__ import annotations

from pathlib import Path

from bigpicture.core.gather.scanindex import ScanIndex
from bigpicture.core.gather.secrets import rules_fingerprint
from bigpicture.store.paths import atomic_write, data_dir

MAX_ENTRIES = 2_000_000


def _files() -> tuple[Path, Path]:
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
