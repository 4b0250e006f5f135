"""app.verify: the verification pass end to end through the real SDK against the fake API —
when it runs, what it sends, what it decides, the ledger, and a pass that fails or is
cancelled never turning into an all-clear."""

from __future__ import annotations

import asyncio

import msgspec
import pytest
from bigpicture.app import review as app_review
from bigpicture.app import verify as app_verify
from bigpicture.app.prepare import prepare
from bigpicture.client.anthropic import ApiClient
from bigpicture.core.config import Settings
from bigpicture.store import ledger
from fake_api import ErrorReply, FakeAnthropic, HeldReply, ToolReply, Verifier, seen
from planted import planted_findings


@pytest.fixture
def fake(monkeypatch):
    with FakeAnthropic() as f:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", f.url)
        yield f


@pytest.mark.parametrize(
    ("setting", "ci", "want"),
    [("auto", True, True), ("auto", False, False), ("on", False, True), ("off", True, False)],
)
def test_when_the_pass_runs(setting, ci, want):
    assert app_verify.wanted(Settings(verify=setting), ci=ci) is want


async def _reviewed(defects, settings):
    prepared = prepare(defects, settings)
    client = ApiClient()
    result = await app_review.review(prepared, settings, client)
    return prepared, result, client


async def test_the_pass_decides_and_is_in_the_ledger(defects, fake):
    settings = Settings(minConfidence=0.8)
    fake.script(
        ToolReply(planted_findings()),
        Verifier(
            reject={"Hard-coded credential": "Redacted: nothing shows the value is real."},
            confidence={"Path traversal in read_report": 0.75},
        ),
    )
    prepared, result, client = await _reviewed(defects, settings)
    stages = []
    try:
        out = await app_verify.verify(
            prepared, settings, client, result, on_stage=lambda s, i: stages.append((s, i))
        )
    finally:
        await client.aclose()
    assert stages[0] == ("verifying", {"findings": 5, "estimate": prepared.plan.cost.verify})
    assert [s for s, _ in stages] == ["verifying", "verification accepted"]
    assert out.complete and len(out.findings) == 3
    assert out.verification.status == "complete" and out.verification.rejected == 1
    reasons = {d.finding.title: d.reason for d in out.dropped.findings}
    assert reasons["Hard-coded credential"].startswith("Redacted")
    assert reasons["Path traversal in read_report"].startswith("confidence 0.75 is below")
    assert [e.kind for e in ledger.read()] == ["workspace", "verify"]
    assert out.cost.usd == pytest.approx(result.cost.usd + out.verification.cost.usd)
    _, second = fake.messages_requests()
    assert seen(second.body).kind == "verification"


async def test_nothing_to_check_sends_nothing(defects, fake):
    fake.script(ToolReply({"findings": [], "summary": "Clean."}))
    prepared, result, client = await _reviewed(defects, Settings())
    try:
        out = await app_verify.verify(prepared, Settings(), None, result)
    finally:
        await client.aclose()
    assert out.complete and out.verification.status == "complete" and out.findings == []
    assert len(fake.messages_requests()) == 1


async def test_an_incomplete_review_stays_incomplete_and_unverified(defects, fake):
    fake.script(ToolReply(planted_findings(), stop_reason="max_tokens"))
    prepared, result, client = await _reviewed(defects, Settings())
    try:
        out = await app_verify.verify(prepared, Settings(), client, result)
    finally:
        await client.aclose()
    assert not out.complete and out.incomplete_reason == result.incomplete_reason
    assert out.verification.status == "skipped"
    assert {f.verification for f in out.findings} == {"unverified"}
    assert len(fake.messages_requests()) == 1  # nothing sent to verify a partial review


async def test_an_api_error_keeps_every_finding_unverified(defects, fake):
    fake.script(ToolReply(planted_findings()), ErrorReply(529, "overloaded_error", "Overloaded"))
    fake.default = ErrorReply(529, "overloaded_error", "Overloaded")  # and its retries
    prepared, result, client = await _reviewed(defects, Settings())
    try:
        out = await app_verify.verify(prepared, Settings(), client, result)
    finally:
        await client.aclose()
    assert not out.complete and "verification pass did not finish" in out.incomplete_reason
    assert len(out.findings) == 5 and {f.verification for f in out.findings} == {"unverified"}
    assert out.dropped.findings == []


async def test_a_cancelled_pass_is_in_the_ledger_as_interrupted(defects, fake):
    held = HeldReply(ToolReply({"findings": [], "summary": "x"}))
    fake.script(ToolReply(planted_findings()), held)
    prepared, result, client = await _reviewed(defects, Settings())
    try:
        accepted = asyncio.Event()

        def on_stage(stage, info):
            if stage == "verification accepted":
                accepted.set()

        task = asyncio.create_task(
            app_verify.verify(prepared, Settings(), client, result, on_stage=on_stage)
        )
        await asyncio.wait_for(accepted.wait(), 30)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        held.release.set()
        await client.aclose()
    entries = ledger.read()
    assert [(e.kind, e.interrupted) for e in entries] == [("workspace", False), ("verify", True)]


async def test_dismissed_findings_are_not_sent_to_be_verified(defects, fake):
    fake.script(ToolReply(planted_findings()), Verifier())
    prepared, result, client = await _reviewed(defects, Settings())
    result.findings = [
        msgspec.structs.replace(f, suppressed="wont-fix") if f.cwe == "CWE-89" else f
        for f in result.findings
    ]
    try:
        out = await app_verify.verify(prepared, Settings(), client, result)
    finally:
        await client.aclose()
    sent = seen(fake.messages_requests()[1].body).findings
    assert len(sent) == 4 and all(f.get("cwe") != "CWE-89" for f in sent)
    assert len(out.findings) == 5  # the dismissed one is kept, still dismissed
