"""The workspace's cache base (``core.request.layout``), kept between reviews under the data
directory, zlib-compressed msgpack."""

from __future__ import annotations

import zlib
from pathlib import Path

import msgspec

from bigpicture.core.request.layout import CacheBase
from bigpicture.store.paths import atomic_write, workspace_dir


def _path(root: str) -> Path:
    return workspace_dir(root) / "cache_base.bin"


def load(root: str) -> CacheBase | None:
    try:
        raw = zlib.decompress(_path(root).read_bytes())
        return msgspec.msgpack.decode(raw, type=CacheBase)
    except (OSError, zlib.error, msgspec.DecodeError):
        return None


def save(root: str, base: CacheBase) -> None:
    atomic_write(_path(root), zlib.compress(msgspec.msgpack.encode(base), 1))
