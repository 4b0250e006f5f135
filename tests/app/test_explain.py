"""app.explain: a follow-up question on a review's cached prefix, through the SDK against the
fake, priced into the ledger; a cut or declined answer is said to be one."""

from __future__ import annotations

from bigpicture.app import explain as app_explain
from bigpicture.core.config import Settings
from bigpicture.store import ledger
from fake_api import TextReply, ToolReply


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
