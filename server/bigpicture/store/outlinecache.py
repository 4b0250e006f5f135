"""The outlines of file contents (``core.request.outline``), kept between runs under the
user's data directory, so a later run parses only the files whose content changed.

One zlib-compressed msgpack file, keyed by ``suffix:content hash``, with the outline format's
version in its name (a new format starts afresh). Losing it only costs time."""

from __future__ import annotations

import zlib
from pathlib import Path

import msgspec

from bigpicture.core.request.outline import Outline, OutlineCache
from bigpicture.store.paths import atomic_write, data_dir

VERSION = 1
MAX_ENTRIES = 400_000


def _path() -> Path:
    return data_dir() / f"outlines-v{VERSION}.bin"


def load() -> OutlineCache:
    try:
        raw = zlib.decompress(_path().read_bytes())
        return OutlineCache(msgspec.msgpack.decode(raw, type=dict[str, Outline]))
    except (OSError, zlib.error, msgspec.DecodeError):
        return OutlineCache()


def save(cache: OutlineCache) -> None:
    """Write the cache when it gained entries (starting over when it grew too large)."""
    if not cache.new:
        return
    entries = cache.entries
    if len(entries) > MAX_ENTRIES:
        entries = dict(list(entries.items())[-MAX_ENTRIES // 2 :])
    atomic_write(_path(), zlib.compress(msgspec.msgpack.encode(entries), 1))
    cache.new = 0
