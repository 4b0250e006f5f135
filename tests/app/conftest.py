"""Fixtures of the application tests: the fake API the SDK talks to, and a review done on the
planted-defects workspace (its prepared plan, result and open client)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bigpicture.app import review as app_review
from bigpicture.app.prepare import prepare
from bigpicture.client.anthropic import ApiClient
from bigpicture.core.config import Settings
from fake_api import FakeAnthropic, ToolReply
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
