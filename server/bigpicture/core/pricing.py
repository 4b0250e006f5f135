"""What a request costs, from its usage (actual) or from its plan (estimated).

The formula is Anthropic's (https://platform.claude.com/docs/en/about-claude/pricing and the prompt-caching page): uncached input at the input price,
5-minute cache writes at 1.25x, 1-hour writes at 2x, cache reads at 0.1x (the registry holds
each price), output at the output price. For a model with a long-context rule, a request whose
total input (uncached + cache writes + cache reads) exceeds the threshold bills every token at
the long-context rates. Batch halves everything, on top of the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from bigpicture.core.models import Cost, Usage
from bigpicture.core.registry import ModelInfo

BATCH_DISCOUNT = 0.5


@dataclass(frozen=True)
class Rates:
    input: float
    output: float
    write_5m: float
    write_1h: float
    read: float
    tier: str


def rates(info: ModelInfo, total_input: int) -> Rates:
    """Per-million-token prices for a request of ``total_input`` input tokens."""
    lc = info.long_context
    if lc is not None and total_input > lc.threshold:
        m_in, m_out = lc.input_multiplier, lc.output_multiplier
        return Rates(
            info.input * m_in,
            info.output * m_out,
            info.cache_write5m * m_in,
            info.cache_write1h * m_in,
            info.cache_read * m_in,
            "long-context",
        )
    return Rates(
        info.input, info.output, info.cache_write5m, info.cache_write1h, info.cache_read, "standard"
    )


def usage_cost(usage: Usage, info: ModelInfo, *, batch: bool = False) -> Cost:
    """The actual cost of a request from the usage the API reported."""
    r = rates(info, usage.total_input)
    w5, w1 = usage.cache_write_5m, usage.cache_write_1h
    if w5 + w1 != usage.cache_creation_input_tokens:
        # Usage without the TTL split (older responses): count every write as 5-minute.
        w5, w1 = usage.cache_creation_input_tokens, 0
    usd = (
        usage.input_tokens * r.input
        + w5 * r.write_5m
        + w1 * r.write_1h
        + usage.cache_read_input_tokens * r.read
        + usage.output_tokens * r.output
    ) / 1e6
    list_price = (usage.total_input * r.input + usage.output_tokens * r.output) / 1e6
    if batch:
        usd *= BATCH_DISCOUNT
    return Cost(usd=round(usd, 6), tier=r.tier, batch=batch, list_price_usd=round(list_price, 6))


def split_cost(
    info: ModelInfo,
    *,
    uncached: int,
    written: int,
    read: int,
    output: int,
    ttl: str = "5m",
    batch: bool = False,
) -> float:
    """Estimated USD for a request split into uncached, written and read input tokens."""
    usage = Usage(
        input_tokens=uncached,
        output_tokens=output,
        cache_creation_input_tokens=written,
        cache_read_input_tokens=read,
        cache_write_5m=written if ttl == "5m" else 0,
        cache_write_1h=written if ttl == "1h" else 0,
    )
    return usage_cost(usage, info, batch=batch).usd
