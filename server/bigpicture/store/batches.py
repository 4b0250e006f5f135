"""The Message Batches submitted from this machine: one record per batch, kept so its results can
be read later (``bigpicture batch results ID``), and the exact texts that were sent.

* ``batches/<id>.json``: the batch's record (``Record``): per request the path as given, its
  resolved root, kind, the plan without its body, the settings, the hash of each sent text,
  and the result-cache key; the batch's last known status; whether its usage is in the ledger;
* ``batches/<id>.texts``: the exact texts that were sent (zlib-compressed JSON), so the
  findings can be anchored in the text the model saw, and followed to the current one.
"""

from __future__ import annotations

import re
import time
import zlib
from pathlib import Path
from typing import Any

import msgspec

from bigpicture.core.errors import UsageError
from bigpicture.store.paths import atomic_write, data_dir

RESULTS_KEPT_DAYS = 29  # the API keeps results this long (batch-processing docs)


_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


class Request(msgspec.Struct):
    custom_id: str
    label: str  # the path as given on the command line
    root: str  # resolved
    kind: str  # workspace | changes | file
    plan: dict[str, Any]  # the Plan without its body
    settings: dict[str, Any]
    hashes: dict[str, str]  # path → digest of the text that was sent
    cache_key: str  # the result-cache key of the request body
    estimate: float  # USD at batch price, a first review


class Record(msgspec.Struct):
    id: str
    submitted: float
    requests: list[Request]
    content_key: str
    provider: str = "anthropic"
    base_url: str | None = None
    status: str = "in_progress"
    counts: dict[str, int] = {}
    created_at: str | None = None
    expires_at: str | None = None
    ended_at: str | None = None
    nothing: dict[str, str] = {}  # path → why there was nothing to review (not in the batch)
    recorded: bool = False  # the succeeded requests' usage is in the ledger
    outcome: str | None = None  # complete | incomplete, once the results were read
    coverage: str = "window"  # full: the requests are the shards of one review, merged


def batches_dir() -> Path:
    path = data_dir() / "batches"
    path.mkdir(parents=True, exist_ok=True)
    return path


def check_id(batch_id: str) -> str:
    if not _BATCH_ID.match(batch_id):
        raise UsageError(f"{batch_id!r} is not a batch id (msgbatch_...)")
    return batch_id


def save(record: Record, texts: dict[str, dict[str, str]] | None = None) -> None:
    d = batches_dir()
    if texts is not None:
        atomic_write(d / f"{record.id}.texts", zlib.compress(msgspec.json.encode(texts), 6))
    atomic_write(d / f"{record.id}.json", msgspec.json.format(msgspec.json.encode(record)))


def load(batch_id: str) -> Record | None:
    path = batches_dir() / f"{check_id(batch_id)}.json"
    try:
        return msgspec.json.decode(path.read_bytes(), type=Record)
    except FileNotFoundError:
        return None
    except (OSError, msgspec.DecodeError) as e:
        raise UsageError(f"the stored record of batch {batch_id} is unreadable: {e}") from e


def load_texts(batch_id: str) -> dict[str, dict[str, str]] | None:
    path = batches_dir() / f"{check_id(batch_id)}.texts"
    try:
        return msgspec.json.decode(
            zlib.decompress(path.read_bytes()), type=dict[str, dict[str, str]]
        )
    except (OSError, zlib.error, msgspec.DecodeError):
        return None


def stored() -> list[Record]:
    """Every stored batch record, the newest first."""
    out = []
    for path in batches_dir().glob("*.json"):
        try:
            out.append(msgspec.json.decode(path.read_bytes(), type=Record))
        except (OSError, msgspec.DecodeError):
            continue
    return sorted(out, key=lambda r: r.submitted, reverse=True)


def find_identical(content_key: str, now: float | None = None) -> Record | None:
    """A stored batch with the same content whose results can still be read, unless it is
    known to have ended incomplete."""
    now = now or time.time()
    for r in stored():
        if (
            r.content_key == content_key
            and r.outcome != "incomplete"
            and now - r.submitted < RESULTS_KEPT_DAYS * 86400
        ):
            return r
    return None
