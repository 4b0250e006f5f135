"""core.spending: the ledger's summary by day and model, and what caching and Batch saved."""

from __future__ import annotations

import calendar

import pytest
from bigpicture.core.models import Usage
from bigpicture.core.spending import Entry, summarize

DAY1 = calendar.timegm((2026, 12, 1, 10, 0, 0))
DAY2 = calendar.timegm((2026, 12, 2, 23, 59, 0))


def entry(ts: float, model: str = "m", **kw) -> Entry:
    usage = kw.pop("usage", Usage(input_tokens=100, cache_read_input_tokens=900, output_tokens=10))
    return Entry(ts=ts, model=model, kind="workspace", usage=usage, **kw)


def test_rows_by_day_and_model_newest_first() -> None:
    entries = [
        entry(DAY1, cost_usd=1.0, list_price_usd=4.0),
        entry(DAY1 + 60, cost_usd=0.5, list_price_usd=2.0),
        entry(DAY2, model="other", cost_usd=0.25, list_price_usd=1.0),
    ]
    s = summarize(entries, now=DAY2 + 1)
    assert [(r.day, r.model, r.requests) for r in s.rows] == [
        ("2026-12-02", "other", 1),
        ("2026-12-01", "m", 2),
    ]
    assert s.rows[1].input_tokens == 2000 and s.rows[1].cache_read_tokens == 1800
    assert s.rows[1].cache_read_share == pytest.approx(0.9)
    assert s.total_cost_usd == pytest.approx(1.75)
    assert s.saved_by_caching_usd == pytest.approx(7.0 - 1.75)
    assert s.saved_by_batch_usd == 0
    assert s.requests == 3
    assert s.cache_read_share == pytest.approx(0.9)


def test_batch_savings_are_counted_apart_from_caching() -> None:
    s = summarize([entry(DAY1, cost_usd=1.0, list_price_usd=2.0, batch=True)], now=DAY1)
    assert s.saved_by_batch_usd == pytest.approx(1.0)
    assert s.saved_by_caching_usd == pytest.approx(0.0)


def test_entries_older_than_the_window_are_left_out() -> None:
    s = summarize([entry(DAY1, cost_usd=1.0, list_price_usd=1.0)], days=7, now=DAY1 + 8 * 86400)
    assert s.rows == [] and s.requests == 0 and s.total_cost_usd == 0
    assert s.cache_read_share == 0.0
