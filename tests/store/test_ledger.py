"""store.ledger: one line per request, private to the user, tolerant of a torn line."""

from __future__ import annotations

import stat

from bigpicture.core.models import Cost, Usage
from bigpicture.store import ledger


def record(**kw):
    base = dict(
        model="claude-sonnet-4-6",
        kind="workspace",
        request_id="req_1",
        workspace="/home/me/projects/shop",
    )
    usage = Usage(input_tokens=10, output_tokens=2)
    cost = Cost(usd=0.01, tier="standard", list_price_usd=0.02)
    return ledger.record(ledger.Charge(**{**base, **kw}), usage, cost)


def test_records_round_trip_without_content_or_full_paths() -> None:
    record()
    record(kind="explain", interrupted=True, complete=False)
    entries = ledger.read()
    assert [e.kind for e in entries] == ["workspace", "explain"]
    assert entries[0].workspace == "shop"  # the folder's name, not its path
    assert entries[0].cost_usd == 0.01 and entries[0].list_price_usd == 0.02
    assert entries[1].interrupted and not entries[1].complete
    assert b"/home/me" not in ledger.path().read_bytes()


def test_the_file_is_private() -> None:
    record()
    assert stat.S_IMODE(ledger.path().stat().st_mode) == 0o600


def test_a_torn_line_does_not_lose_the_rest() -> None:
    record(request_id="a")
    with ledger.path().open("ab") as f:
        f.write(b'{"ts": 1, "model": "x", "ki')  # a crash mid-write
        f.write(b"\n\n")
    record(request_id="b")
    assert [e.request_id for e in ledger.read()] == ["a", "b"]


def test_no_ledger_yet_is_empty() -> None:
    assert ledger.read() == []
