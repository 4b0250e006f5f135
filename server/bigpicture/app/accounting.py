"""Pricing a request and writing it to the usage ledger: once, in one place, for every kind of
request (reviews, batch results, explain, keep-warm)."""

from __future__ import annotations

from bigpicture.core import pricing
from bigpicture.core.config import Settings
from bigpicture.core.models import Cost, Usage
from bigpicture.core.registry import Registry
from bigpicture.store import ledger


def price(usage: Usage, model: str, settings: Settings, *, batch: bool = False) -> Cost:
    """What ``usage`` cost on ``model`` (at half price for a batch)."""
    info, _ = Registry(settings.models).get(model)
    return pricing.usage_cost(usage, info, batch=batch)


def account(
    usage: Usage,
    *,
    model: str,
    kind: str,
    settings: Settings,
    request_id: str | None,
    workspace: str,
    batch: bool = False,
    complete: bool = True,
    interrupted: bool = False,
) -> Cost:
    """Price ``usage`` and record it in the ledger; the cost."""
    cost = price(usage, model, settings, batch=batch)
    ledger.record(
        model=model,
        kind=kind,
        usage=usage,
        cost=cost,
        request_id=request_id,
        workspace=workspace,
        complete=complete,
        interrupted=interrupted,
    )
    return cost
