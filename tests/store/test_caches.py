"""store.resultcache, store.cachestate and store.cachebase: local memories that only save time
or money, so a damaged file is the same as none."""

from __future__ import annotations

from types import SimpleNamespace

from bigpicture.core.models import Usage
from bigpicture.core.request.layout import CacheBase
from bigpicture.store import cachebase, cachestate, resultcache
from bigpicture.store.paths import workspace_dir

ROOT = "/work/project"


def test_result_cache_round_trip_by_exact_body() -> None:
    k = resultcache.key(b'{"model": "m", "messages": []}')
    assert k != resultcache.key(b'{"model": "m", "messages": [] }')  # every byte counts
    assert resultcache.get(ROOT, k) is None
    stored = resultcache.Stored(findings=[], summary="fine", usage=Usage(input_tokens=5))
    resultcache.put(ROOT, k, stored)
    assert resultcache.get(ROOT, k) == stored
    assert resultcache.get("/work/other", k) is None  # per workspace


def test_result_cache_ignores_a_damaged_entry() -> None:
    k = resultcache.key(b"x")
    resultcache.put(ROOT, k, resultcache.Stored(findings=[], summary="", usage=Usage()))
    (workspace_dir(ROOT) / "results" / f"{k}.json").write_bytes(b'{"findings": [')
    assert resultcache.get(ROOT, k) is None


def plan(blocks: list[dict], tokens: list[int], ttl: str = "5m") -> SimpleNamespace:
    body = {
        "model": "m",
        "system": "s",
        "tools": [],
        "messages": [{"role": "user", "content": blocks}],
    }
    segments = [SimpleNamespace(tokens=t, breakpoint=False) for t in tokens]
    return SimpleNamespace(body=body, segments=segments, cache_ttl=ttl)


MARK = {"type": "ephemeral"}


def test_expected_read_follows_the_prefix_and_its_ttl() -> None:
    base = {"type": "text", "text": "repository", "cache_control": MARK}
    first = plan([base, {"type": "text", "text": "changes v1"}], [100, 5000, 50])
    cachestate.record_sent(ROOT, first, now=1000.0)
    again = plan([base, {"type": "text", "text": "changes v2"}], [100, 5000, 60])
    # instructions + the repository block are expected from the cache
    assert cachestate.expected_read(ROOT, again, now=1100.0) == 5100
    assert cachestate.expected_read(ROOT, again, now=1000.0 + 301) == 0  # the 5 minutes lapsed
    edited = {**base, "text": "repository, edited"}
    assert cachestate.expected_read(ROOT, plan([edited], [100, 5000]), now=1100.0) == 0


def test_one_hour_ttl_and_a_damaged_state_file() -> None:
    block = {"type": "text", "text": "r", "cache_control": MARK}
    cachestate.record_sent(ROOT, plan([block], [10, 20], ttl="1h"), now=0.0)
    assert cachestate.expected_read(ROOT, plan([block], [10, 20]), now=3000.0) == 30
    (workspace_dir(ROOT) / "cache_state.json").write_text("{not json")
    assert cachestate.expected_read(ROOT, plan([block], [10, 20]), now=3000.0) == 0


def test_cache_base_round_trip_and_damage() -> None:
    assert cachebase.load(ROOT) is None
    base = CacheBase(id="b1", created=1.0, model="m", nonce="n" * 16, ttl="5m", files=[])
    cachebase.save(ROOT, base)
    assert cachebase.load(ROOT) == base
    (workspace_dir(ROOT) / "cache_base.bin").write_bytes(b"garbage")
    assert cachebase.load(ROOT) is None
