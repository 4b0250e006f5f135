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


Charge = ledger.Charge


def account(charge: Charge, usage: Usage, settings: Settings, *, batch: bool = False) -> Cost:
    """Price ``usage`` of the request ``charge`` describes and record it in the ledger; the
    cost."""
    cost = price(usage, charge.model, settings, batch=batch)
    ledger.record(charge, usage, cost)
    return cost
