"""app.batch: reviews through the Message Batches API, driven through the real SDK against the
fake. What the CLI relies on: custom ids the API accepts, one per reviewed thing; nothing
submitted over the per-review limit at batch price; the record stored before submit returns;
polling until the end; every request's outcome — a succeeded one with the same findings an
interactive review gives, priced at the batch rate once; a failed one incomplete, never clean;
findings moved onto files edited since the submission."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bigpicture.app import batch
from bigpicture.app.prepare import prepare
from bigpicture.client.anthropic import ApiClient
from bigpicture.core.config import Settings
from bigpicture.core.errors import BudgetError
from bigpicture.store import batches, ledger
from fake_api import FakeAnthropic, ToolReply
from planted import WEB_PY, planted_findings

WEB = "app/web.py"


@pytest.fixture
def fake(monkeypatch):
    with FakeAnthropic() as f:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", f.url)
        monkeypatch.setenv(batch.POLL_ENV, "0")
        yield f


def planned(root: Path, settings: Settings | None = None) -> batch.Planned:
    settings = settings or Settings()
    return batch.Planned(
        root.name, settings, prepare(root, settings), custom_id=batch.custom_id_for(root)
    )


async def run(fake, items: list[batch.Planned]) -> tuple[batches.Record, list[batch.Outcome]]:
    client = ApiClient()
    try:
        record = await batch.submit(client, items)
        assert batches.load(record.id) is not None  # stored before submit returned
        status = await batch.wait(client, record.id, record, None)
        assert status.ended
        return record, batch.interpret(record, await client.batch_results(record.id))
    finally:
        await client.aclose()


def test_custom_ids_are_what_the_api_accepts_and_one_per_reviewed_thing(tmp_path: Path) -> None:
    root = tmp_path / "my project (copy)"
    root.mkdir()
    cid = batch.custom_id_for(root)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", cid) and cid.startswith("my-project-copy-")
    assert cid == batch.custom_id_for(str(root))
    assert batch.custom_id_for(root, "changes", "main") != cid
    assert batch.custom_id_for(root, "file", file="a.py") != batch.custom_id_for(root, "file")


def test_the_poll_interval_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.delenv(batch.POLL_ENV, raising=False)
    assert batch.poll_interval() == batch.DEFAULT_POLL
    for raw, want in (("0.5", 0.5), ("0", 0.0), ("-1", batch.DEFAULT_POLL), ("x", 2.0)):
        monkeypatch.setenv(batch.POLL_ENV, raw)
        assert batch.poll_interval() == want


def test_nothing_is_submitted_over_the_limit_at_batch_price(defects: Path, fake) -> None:
    cheap = planned(defects)
    assert batch.check_costs([cheap]) == cheap.prepared.plan.cost.batch_first
    capped = planned(defects, Settings(maxCostPerReview=0.0001))
    with pytest.raises(BudgetError, match="at batch price is over the limit"):
        batch.check_costs([cheap, capped])
    requests, betas = batch.batch_requests([cheap])
    assert requests[0]["custom_id"] == cheap.custom_id and "stream" not in requests[0]["params"]
    assert betas == sorted(cheap.prepared.plan.betas)


async def test_a_succeeded_request_gives_the_reviews_findings_at_batch_price(defects, fake):
    item = planned(defects)
    fake.batch_script[item.custom_id] = ToolReply(planted_findings())
    record, (outcome,) = await run(fake, [item])
    assert outcome.ok and outcome.status == "succeeded" and outcome.reanchored == []
    assert {f.title for f in outcome.result.findings} == {
        f["title"] for f in planted_findings()["findings"]
    }
    assert outcome.result.cost is not None and outcome.result.cost.batch
    (entry,) = ledger.read()
    assert entry.cost_usd == outcome.result.cost.usd
    assert batches.load(record.id).status == "ended"


@pytest.mark.parametrize("kind", ["errored", "canceled", "expired"])
async def test_a_failed_request_is_incomplete_never_clean(defects, fake, kind) -> None:
    item = planned(defects)
    fake.batch_script[item.custom_id] = kind
    _, (outcome,) = await run(fake, [item])
    assert outcome.status == kind and not outcome.ok
    assert not outcome.result.complete and outcome.result.findings == []
    assert outcome.reason and kind[:5] in outcome.reason


async def test_findings_follow_a_file_edited_after_the_submission(defects, fake) -> None:
    item = planned(defects)
    fake.batch_script[item.custom_id] = ToolReply(planted_findings())
    client = ApiClient()
    try:
        record = await batch.submit(client, [item])
        await batch.wait(client, record.id, record, None)
        (defects / WEB).write_text("# a header line\n" + WEB_PY)
        (outcome,) = batch.interpret(record, await client.batch_results(record.id))
    finally:
        await client.aclose()
    assert outcome.reanchored == [WEB]
    moved = [f for f in outcome.result.findings if f.path == WEB]
    assert moved and all(f.range is not None and not f.approximate for f in moved)
    for f in moved:
        text = outcome.texts[WEB]
        assert text.startswith("# a header line\n")  # the current text, not the one sent
        line = text.splitlines()[f.range.start_line]
        assert f.quote.splitlines()[0].strip() in line
