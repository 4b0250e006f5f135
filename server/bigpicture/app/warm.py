"""Keep-warm: the cheapest request that refreshes a plan's cached prefix (``prompt.warm_body``:
the same prefix, a one-line last block, ``max_tokens`` 0). The cache is noted as fresh only
when the API's usage shows the prefix was read from or written to the cache; its cost goes to
the ledger either way."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bigpicture.app import accounting
from bigpicture.app.prepare import Prepared
from bigpicture.client.anthropic import ApiClient
from bigpicture.core.config import Settings
from bigpicture.core.models import Cost, Usage
from bigpicture.core.request.layout import note_sent
from bigpicture.core.request.prompt import warm_body
from bigpicture.store import cachebase, cachestate


@dataclass
class Warmed:
    cost: Cost
    usage: Usage
    cached: bool  # the API read or wrote the prefix: the cache is fresh for another TTL


async def warm(prepared: Prepared, settings: Settings, client: ApiClient) -> Warmed | None:
    """Refresh ``prepared``'s cached prefix; None when it cannot be (extended thinking on)."""
    plan = prepared.plan
    body = warm_body(plan.body)
    if body is None:
        return None
    reply = await client.create(body, betas=plan.betas)
    root = prepared.snapshot.root
    usage = reply.usage
    cached = usage.cache_read_input_tokens + usage.cache_creation_input_tokens > 0
    if cached:
        if plan.cache_base is not None:
            cachebase.save(root, note_sent(plan.cache_base, plan.cache_generation))
        cachestate.record_sent(root, plan, time.time())
    charge = accounting.Charge(plan.model, "keep-warm", reply.request_id, root)
    cost = accounting.account(charge, usage, settings)
    return Warmed(cost, usage, cached)
