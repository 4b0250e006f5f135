"""The local usage ledger: one JSON line per request sent, under the user's data directory.

Each entry records when, which model, the usage fields, the cost and what the same tokens
would have cost at list price (no caching, no Batch), and the request id. No content, no
paths beyond the workspace folder's name. ``bigpicture usage`` summarizes it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import msgspec

from bigpicture.core.models import Cost, Usage
from bigpicture.core.spending import Entry
from bigpicture.store.paths import data_dir


def path() -> Path:
    return data_dir() / "ledger.jsonl"


def append(entry: Entry) -> None:
    line = msgspec.json.encode(entry) + b"\n"
    # O_APPEND writes of one short line are atomic enough for concurrent processes
    fd = os.open(path(), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


class Charge(msgspec.Struct, frozen=True):
    """One request as the ledger records it, besides its usage and cost."""

    model: str
    kind: str  # workspace | changes | file | explain | keep-warm
    request_id: str | None
    workspace: str  # the workspace folder; only its name is recorded
    complete: bool = True
    interrupted: bool = False  # stopped after the API accepted it


def record(charge: Charge, usage: Usage, cost: Cost) -> Entry:
    entry = Entry(
        ts=time.time(),
        model=charge.model,
        kind=charge.kind,
        usage=usage,
        cost_usd=cost.usd,
        list_price_usd=cost.list_price_usd,
        tier=cost.tier,
        batch=cost.batch,
        request_id=charge.request_id,
        workspace=Path(charge.workspace).name,
        complete=charge.complete,
        interrupted=charge.interrupted,
    )
    append(entry)
    return entry


def read() -> list[Entry]:
    p = path()
    if not p.exists():
        return []
    out: list[Entry] = []
    dec = msgspec.json.Decoder(Entry)
    for line in p.read_bytes().splitlines():
        if not line.strip():
            continue
        try:
            out.append(dec.decode(line))
        except msgspec.DecodeError:
            continue  # a torn line from a crash; the rest still counts
    return out
