"""app.review: one review end to end through the real SDK against the fake API — the cost
guard, findings as they stream, the result cache, and a review stopped after the API took it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from bigpicture.app import review as app_review
from bigpicture.app.prepare import prepare
from bigpicture.client.anthropic import ApiClient
from bigpicture.core.config import Settings
from bigpicture.core.errors import BudgetError
from bigpicture.store import ledger
from fake_api import ToolReply
from planted import planted_findings


async def run(root: Path, settings: Settings, **kw):
    prepared = prepare(root, settings)
    client = ApiClient()
    try:
        return await app_review.review(prepared, settings, client, **kw)
    finally:
        await client.aclose()


async def test_findings_stream_in_order_and_the_result_is_anchored(defects, fake) -> None:
    fake.script(ToolReply(planted_findings(), chunks=40))
    stages: list[str] = []
    partial_counts: list[int] = []

    result = await run(
        defects,
        Settings(),
        on_stage=lambda stage, info: stages.append(stage),
        on_findings=lambda found: partial_counts.append(len(found)),
    )
    assert result.complete and len(result.findings) == 5
    assert result.summary.startswith("Five problems")
    sql = next(f for f in result.findings if f.cwe == "CWE-89")
    assert (sql.path, sql.range.start_line if sql.range else None) == ("app/db.py", 8)
    assert stages[0] == "sending" and "receiving" in stages
    # findings reached the caller as they streamed, growing, before the reply ended
    assert partial_counts and partial_counts == sorted(partial_counts)
    assert partial_counts[-1] < 5
    assert result.cost is not None and result.cost.usd > 0
    (entry,) = ledger.read()
    assert entry.complete and entry.cost_usd == result.cost.usd


async def test_the_same_request_again_is_answered_by_the_result_cache(defects, fake) -> None:
    fake.script(ToolReply(planted_findings()))
    first = await run(defects, Settings())
    again = await run(defects, Settings())
    assert len(fake.messages_requests()) == 1
    assert again.from_cache and again.cost is None
    assert [f.id for f in again.findings] == [f.id for f in first.findings]
    assert len(ledger.read()) == 1  # nothing spent, nothing recorded


async def test_min_severity_counts_what_it_hides(defects, fake) -> None:
    fake.script(ToolReply(planted_findings()))
    result = await run(defects, Settings(minSeverity="high"))
    assert {f.severity for f in result.findings} == {"critical", "high"}
    assert result.dropped.below_threshold == 1


async def test_over_the_cost_limit_nothing_is_sent(defects, fake) -> None:
    with pytest.raises(BudgetError, match="`maxCostPerReview` setting"):
        await run(defects, Settings(maxCostPerReview=0.0001))
    assert fake.messages_requests() == []
    assert ledger.read() == []


async def test_a_review_cancelled_while_streaming_is_still_in_the_ledger(defects, fake) -> None:
    fake.script(ToolReply(planted_findings(), chunks=200, event_delay=0.05))
    receiving = asyncio.Event()

    def on_stage(stage: str, info: dict) -> None:
        if stage == "receiving":
            receiving.set()

    task = asyncio.create_task(run(defects, Settings(), on_stage=on_stage))
    await asyncio.wait_for(receiving.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (entry,) = ledger.read()
    assert entry.interrupted and not entry.complete
    assert entry.usage.input_tokens + entry.usage.cache_creation_input_tokens > 0
    assert entry.cost_usd > 0
