"""app.warm: keep-warm refreshes a review's cached prefix for a fraction of its cost (noted as
fresh only when the usage shows the cache was used), priced into the ledger; skipped with
extended thinking."""

from __future__ import annotations

from bigpicture.app import warm as app_warm
from bigpicture.app.prepare import prepare
from bigpicture.client.anthropic import ApiClient
from bigpicture.core.config import Settings
from bigpicture.store import cachestate, ledger
from conftest import commit, write
from fake_api import TextReply


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


async def test_a_prefix_too_short_to_cache_is_not_noted_as_fresh_but_is_paid_for(repo, fake):
    write(repo, "app.py", "print('hi')\n")
    commit(repo, "init")
    # (Haiku's 4,096-token minimum: the instructions alone pass Sonnet's 1,024)
    settings = Settings(model="claude-haiku-4-5")
    prepared = prepare(repo, settings)
    fake.script(TextReply(""))
    client = ApiClient()
    try:
        warmed = await app_warm.warm(prepared, settings, client)
    finally:
        await client.aclose()
    assert warmed is not None and not warmed.cached
    assert warmed.usage.cache_read_input_tokens == warmed.usage.cache_creation_input_tokens == 0
    # Nothing noted: the next review does not expect to read the cache.
    assert cachestate.expected_read(str(repo), prepared.plan) == 0
    (entry,) = ledger.read()
    assert entry.kind == "keep-warm" and entry.cost_usd == warmed.cost.usd > 0
