"""Spending: one ledger entry per request sent, and their summary by day and model (what
``bigpicture usage`` shows). The ledger file itself is ``store.ledger``'s."""

from __future__ import annotations

import time

import msgspec

from bigpicture.core.models import Usage


class Entry(msgspec.Struct):
    ts: float
    model: str
    kind: str  # workspace | changes | file | explain | keep-warm | batch
    usage: Usage
    cost_usd: float
    list_price_usd: float
    tier: str = "standard"
    batch: bool = False
    request_id: str | None = None
    workspace: str = ""
    complete: bool = True
    interrupted: bool = False  # stopped after the API accepted it (cost from what streamed)


class DayModel(msgspec.Struct):
    day: str
    model: str
    requests: int = 0
    cost_usd: float = 0.0
    list_price_usd: float = 0.0
    input_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0

    @property
    def cache_read_share(self) -> float:
        return self.cache_read_tokens / self.input_tokens if self.input_tokens else 0.0


class Summary(msgspec.Struct):
    rows: list[DayModel]
    total_cost_usd: float
    total_list_price_usd: float
    saved_by_caching_usd: float
    saved_by_batch_usd: float
    cache_read_share: float
    requests: int


def summarize(entries: list[Entry], *, days: int = 30, now: float | None = None) -> Summary:
    now = now or time.time()
    cutoff = now - days * 86400
    rows: dict[tuple[str, str], DayModel] = {}
    saved_batch = 0.0
    cost_sum = 0.0
    list_sum = 0.0
    read = total_in = 0
    for e in entries:
        if e.ts < cutoff:
            continue
        day = time.strftime("%Y-%m-%d", time.gmtime(e.ts))
        row = rows.setdefault((day, e.model), DayModel(day, e.model))
        row.requests += 1
        row.cost_usd += e.cost_usd
        row.list_price_usd += e.list_price_usd
        row.input_tokens += e.usage.total_input
        row.cache_read_tokens += e.usage.cache_read_input_tokens
        row.cache_write_tokens += e.usage.cache_creation_input_tokens
        row.output_tokens += e.usage.output_tokens
        if e.batch:
            saved_batch += e.cost_usd  # the discount equals what was paid (50%)
        cost_sum += e.cost_usd
        list_sum += e.list_price_usd
        read += e.usage.cache_read_input_tokens
        total_in += e.usage.total_input
    ordered = [rows[k] for k in sorted(rows, reverse=True)]
    saved_total = list_sum - cost_sum
    return Summary(
        rows=ordered,
        total_cost_usd=round(cost_sum, 6),
        total_list_price_usd=round(list_sum, 6),
        saved_by_caching_usd=round(saved_total - saved_batch, 6),
        saved_by_batch_usd=round(saved_batch, 6),
        cache_read_share=read / total_in if total_in else 0.0,
        requests=sum(r.requests for r in ordered),
    )
