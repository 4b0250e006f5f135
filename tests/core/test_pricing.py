"""core.pricing: the one formula that turns usage into dollars (Anthropic's published prices)."""

from __future__ import annotations

import msgspec
import pytest
from bigpicture.core import pricing
from bigpicture.core.models import Usage
from bigpicture.core.registry import LongContext, Registry


@pytest.fixture
def sonnet():
    info, _ = Registry().get("claude-sonnet-4-6")
    return info


def test_each_kind_of_token_at_its_price(sonnet) -> None:
    # $3 input, $15 output, $3.75 5-minute write, $6 1-hour write, $0.30 read, per million
    usage = Usage(
        input_tokens=1_000_000,
        output_tokens=1_000_000,
        cache_creation_input_tokens=2_000_000,
        cache_read_input_tokens=10_000_000,
        cache_write_5m=1_000_000,
        cache_write_1h=1_000_000,
    )
    cost = pricing.usage_cost(usage, sonnet)
    assert cost.usd == pytest.approx(3 + 15 + 3.75 + 6 + 3.0)
    assert cost.tier == "standard" and not cost.batch
    # list price: every input token uncached, no batch
    assert cost.list_price_usd == pytest.approx(13 * 3 + 15)


def test_writes_without_ttl_split_count_as_five_minute(sonnet) -> None:
    usage = Usage(cache_creation_input_tokens=1_000_000)
    assert pricing.usage_cost(usage, sonnet).usd == pytest.approx(3.75)


def test_batch_halves_everything(sonnet) -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=100_000, cache_read_input_tokens=500_000)
    full = pricing.usage_cost(usage, sonnet)
    half = pricing.usage_cost(usage, sonnet, batch=True)
    assert half.usd == pytest.approx(full.usd / 2)
    assert half.batch
    assert half.list_price_usd == full.list_price_usd  # what it would cost with neither saving


def test_long_context_rates_apply_to_every_token_over_the_threshold(sonnet) -> None:
    info = msgspec.structs.replace(sonnet, long_context=LongContext(threshold=200_000))
    under = Usage(input_tokens=200_000, output_tokens=1000)
    over = Usage(input_tokens=150_000, cache_read_input_tokens=50_001, output_tokens=1000)
    assert pricing.usage_cost(under, info).tier == "standard"
    c = pricing.usage_cost(over, info)
    assert c.tier == "long-context"
    # 2x input (reads too), 1.5x output, counted on the total input including cache reads
    assert c.usd == pytest.approx((150_000 * 6 + 50_001 * 0.6 + 1000 * 22.5) / 1e6, rel=1e-5)


def test_split_cost_matches_usage_cost(sonnet) -> None:
    est = pricing.split_cost(sonnet, uncached=10_000, written=100_000, read=0, output=2000)
    assert est == pytest.approx((10_000 * 3 + 100_000 * 3.75 + 2000 * 15) / 1e6)
    one_hour = pricing.split_cost(sonnet, uncached=0, written=100_000, read=0, output=0, ttl="1h")
    assert one_hour == pytest.approx(0.6)
    repeat = pricing.split_cost(sonnet, uncached=0, written=0, read=1_000_000, output=0)
    assert repeat == pytest.approx(0.3)  # a cached read is a tenth of the input price
