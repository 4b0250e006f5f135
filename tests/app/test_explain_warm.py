"""app.explain and app.warm: follow-up requests on a review's cached prefix, through the SDK
against the fake, each priced into the ledger; a cut answer is said to be one."""

from __future__ import annotations

from pathlib import Path

import pytest
from bigpicture.app import explain as app_explain
from bigpicture.app import review as app_review
from bigpicture.app import warm as app_warm
from bigpicture.app.prepare import prepare
from bigpicture.client.anthropic import ApiClient
from bigpicture.core.config import Settings
from bigpicture.store import ledger
from fake_api import FakeAnthropic, TextReply, ToolReply
from planted import planted_findings


@pytest.fixture
def fake(monkeypatch):
    with FakeAnthropic() as f:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", f.url)
        yield f


@pytest.fixture
async def reviewed(defects: Path, fake: FakeAnthropic):
    fake.script(ToolReply(planted_findings()))
    prepared = prepare(defects, Settings())
    client = ApiClient()
    result = await app_review.review(prepared, Settings(), client)
    yield prepared, result, client
    await client.aclose()


async def test_explain_reads_the_reviews_prefix_from_the_cache(reviewed, fake) -> None:
    prepared, result, client = reviewed
    finding = result.findings[0]
    fake.script(ToolReply({"findings": [], "summary": "**Why**: an attacker controls `name`."}))
    got = await app_explain.explain(prepared, finding, Settings(), client)
    assert got.complete and got.answer == "**Why**: an attacker controls `name`."
    assert got.usage.cache_read_input_tokens > 0.9 * got.usage.total_input
    sent = fake.messages_requests()[-1].body
    assert finding.title in sent["messages"][0]["content"][-1]["text"]
    assert [e.kind for e in ledger.read()] == [prepared.plan.kind, "explain"]
    assert ledger.read()[-1].cost_usd == got.cost.usd


async def test_a_cut_explanation_is_not_shown_as_whole(reviewed, fake) -> None:
    prepared, result, client = reviewed
    cut = ToolReply(
        {"findings": [], "summary": "It is a problem because " + "x" * 400},
        truncate_json_at=60,
        stop_reason="max_tokens",
    )
    fake.script(cut)
    got = await app_explain.explain(prepared, result.findings[0], Settings(), client)
    assert not got.complete and "cut off" in (got.reason or "")
    fake.script(TextReply("I'd rather not.", stop_reason="refusal"))
    got = await app_explain.explain(prepared, result.findings[0], Settings(), client)
    assert not got.complete and "declined" in (got.reason or "")
    assert [e.complete for e in ledger.read()] == [True, False, False]  # both still paid for


async def test_keep_warm_refreshes_the_prefix_for_a_fraction(reviewed, fake) -> None:
    prepared, result, client = reviewed
    fake.script(TextReply(""))
    warmed = await app_warm.warm(prepared, Settings(), client)
    assert warmed is not None and warmed.cached
    assert warmed.usage.cache_read_input_tokens > 0
    assert result.cost is not None and warmed.cost.usd < result.cost.usd / 5
    body = fake.messages_requests()[-1].body
    assert body["max_tokens"] == 0
    assert ledger.read()[-1].kind == "keep-warm"


async def test_keep_warm_is_skipped_with_thinking(defects, fake) -> None:
    settings = Settings(thinkingBudget=2048)
    prepared = prepare(defects, settings)
    client = ApiClient()
    try:
        assert await app_warm.warm(prepared, settings, client) is None
    finally:
        await client.aclose()
    assert fake.messages_requests() == [] and ledger.read() == []
