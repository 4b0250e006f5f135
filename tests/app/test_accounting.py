"""app.accounting: every request priced once and written to the ledger."""

from __future__ import annotations

import pytest
from bigpicture.app import accounting
from bigpicture.core.config import Settings
from bigpicture.core.models import Usage
from bigpicture.store import ledger


def test_account_prices_and_records_once() -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=0)
    charge = accounting.Charge("claude-haiku-4-5", "keep-warm", "req_9", "/w/app")
    cost = accounting.account(charge, usage, Settings())
    assert cost.usd == pytest.approx(1.0)
    (entry,) = ledger.read()
    assert (entry.kind, entry.model, entry.request_id, entry.cost_usd) == (
        "keep-warm",
        "claude-haiku-4-5",
        "req_9",
        cost.usd,
    )


def test_batch_and_model_overrides_apply() -> None:
    settings = Settings(models={"claude-haiku-4-5": {"input": 2.0}})
    cost = accounting.price(Usage(input_tokens=1_000_000), "claude-haiku-4-5", settings, batch=True)
    assert cost.usd == pytest.approx(1.0) and cost.batch
