"""From the API's reply to a ``Reply``, through the real SDK against the fake: streamed,
non-streamed and from a batch's results, a report_findings call cut off while the message
still says ``stop_reason: "tool_use"`` reads as incomplete, never as a clean review."""

from __future__ import annotations

import json

import pytest
from bigpicture.client.anthropic import ApiClient
from bigpicture.core.reply.interpret import Reply, interpret
from fake_api import FakeAnthropic, ToolReply
from planted import planted_findings

MODEL = "claude-sonnet-4-6"
FULL = planted_findings()
CUT = json.dumps(FULL).index('"line"')  # inside the first finding


def body(**extra: object) -> dict[str, object]:
    return {
        "model": MODEL,
        "max_tokens": 2000,
        "messages": [{"role": "user", "content": "review"}],
        **extra,
    }


@pytest.fixture
def fake(monkeypatch):
    with FakeAnthropic() as f:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        yield f


@pytest.fixture
async def client(fake):
    c = ApiClient(base_url=fake.url, max_retries=0)
    yield c
    await c.aclose()


async def test_streamed_cut_call_keeps_the_raw_json_and_is_incomplete(fake, client):
    fake.script(ToolReply(FULL, truncate_json_at=CUT, chunks=5))
    reply = await client.stream(body())
    assert reply.stop_reason == "tool_use"
    assert reply.tool_json == json.dumps(FULL)[:CUT]  # every delta, in order
    assert reply.tool_input == {"findings": [{"path": "app/db.py"}]}  # the SDK's prefix
    got = interpret(reply, thinking=False)
    assert got.complete is False and got.findings == []


async def test_streamed_whole_call_is_complete(fake, client):
    fake.script(ToolReply(FULL, chunks=7))
    reply = await client.stream(body())
    assert json.loads(reply.tool_json or "") == FULL
    assert interpret(reply, thinking=False).complete is True


async def test_streamed_json_of_another_tool_is_not_taken_for_the_findings(fake, client):
    fake.script(ToolReply({"findings": [], "summary": "x"}, name="other_tool"))
    reply = await client.stream(body(tools=[], tool_choice={"type": "auto"}))
    assert reply.tool_json is None and reply.tool_input is None
    assert interpret(reply, thinking=False).complete is False


@pytest.mark.parametrize("form", ["prefix", "trailing", "empty", "raw"])
async def test_non_streamed_cut_call_is_incomplete_in_every_form(fake, client, form):
    fake.script(ToolReply(FULL, truncate_json_at=CUT, cut_input=form))
    reply = await client.create(body())
    assert reply.stop_reason == "tool_use"
    if form == "raw":
        assert reply.tool_json == json.dumps(FULL)[:CUT] and reply.tool_input is None
    got = interpret(reply, thinking=False)
    assert got.complete is False, form


@pytest.mark.parametrize("form", ["prefix", "raw"])
async def test_non_streamed_whole_call_is_complete(fake, client, form):
    fake.script(ToolReply(FULL, cut_input=form))
    reply = await client.create(body())
    got = interpret(reply, thinking=False)
    assert got.complete is True and len(got.findings) == 5


@pytest.mark.parametrize("form", ["prefix", "trailing", "empty", "raw"])
async def test_batch_result_with_a_cut_call_is_incomplete(fake, client, form):
    fake.batch_script["cut"] = ToolReply(FULL, truncate_json_at=CUT, cut_input=form)
    fake.batch_script["whole"] = ToolReply(FULL)
    status = await client.create_batch(
        [{"custom_id": "cut", "params": body()}, {"custom_id": "whole", "params": body()}]
    )
    fake.finish_batches()
    items = {i.custom_id: i for i in await client.batch_results(status.id)}
    assert items["cut"].kind == "succeeded"  # the API says it succeeded ...
    cut_reply = items["cut"].reply
    assert isinstance(cut_reply, Reply) and cut_reply.stop_reason == "tool_use"
    assert interpret(cut_reply, thinking=False).complete is False  # ... but the call is cut
    whole = items["whole"].reply
    assert isinstance(whole, Reply) and interpret(whole, thinking=False).complete is True
