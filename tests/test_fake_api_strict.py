"""The fake's strict cases, through the real SDK: a tool call cut off while the message says
``stop_reason: "tool_use"`` (streamed, whole, in a batch), and a model whose tokenizer counts
more than the client's estimate."""

from __future__ import annotations

import json

import anthropic
import pytest
from fake_api import FakeAnthropic, ModelSpec, TextReply, ToolReply

MODEL = "claude-sonnet-4-6"
FINDINGS = {
    "findings": [{"path": "a.py", "line": 1, "quote": "x = 1", "title": "t"}],
    "summary": "one",
}
TEXT = json.dumps(FINDINGS)
CUT = TEXT.index('"quote"') + len('"quote": "x')  # inside the first finding's quote string
USER = [{"role": "user", "content": "review"}]


@pytest.fixture
def fake():
    with FakeAnthropic() as server:
        yield server


@pytest.fixture
def client(fake):
    with anthropic.Anthropic(base_url=fake.url, api_key="sk-ant-test") as sdk:
        yield sdk


def test_a_cut_call_can_end_with_stop_reason_tool_use_when_streamed(fake, client):
    fake.script(ToolReply(FINDINGS, truncate_json_at=CUT))
    with client.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
        raw = "".join(
            e.delta.partial_json
            for e in stream
            if e.type == "content_block_delta" and e.delta.type == "input_json_delta"
        )
        final = stream.get_final_message()
    assert raw == TEXT[:CUT]
    assert final.stop_reason == "tool_use"
    # the SDK keeps a parsed prefix, without the string that was being written
    assert final.content[0].input == {"findings": [{"path": "a.py", "line": 1}]}


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ("prefix", {"findings": [{"path": "a.py", "line": 1}]}),
        ("trailing", {"findings": [{"path": "a.py", "line": 1, "quote": "x"}]}),
        ("empty", {}),
        ("raw", TEXT[:CUT]),
    ],
)
def test_a_cut_call_in_a_whole_message_takes_the_form_asked_for(fake, client, form, expected):
    fake.script(ToolReply(FINDINGS, truncate_json_at=CUT, cut_input=form))
    message = client.messages.create(model=MODEL, max_tokens=100, messages=USER)
    assert message.stop_reason == "tool_use"
    assert message.content[0].input == expected


def test_a_whole_call_is_the_object_in_every_form(fake, client):
    for form in ("prefix", "trailing", "empty", "raw"):
        fake.script(ToolReply(FINDINGS, cut_input=form))
        message = client.messages.create(model=MODEL, max_tokens=100, messages=USER)
        assert message.content[0].input == FINDINGS


def test_a_cut_call_in_a_batch_result(fake, client):
    fake.batch_script["r"] = ToolReply(FINDINGS, truncate_json_at=CUT, cut_input="empty")
    batch = client.messages.batches.create(
        requests=[
            {"custom_id": "r", "params": {"model": MODEL, "max_tokens": 100, "messages": USER}}
        ]
    )
    fake.finish_batches()
    (line,) = list(client.messages.batches.results(batch.id))
    assert line.result.type == "succeeded"
    assert line.result.message.stop_reason == "tool_use"
    assert line.result.message.content[0].input == {}


def test_an_unknown_cut_form_is_a_test_error():
    with pytest.raises(ValueError, match="cut_input"):
        ToolReply(FINDINGS, cut_input="half")


def test_a_model_whose_tokenizer_counts_more(fake, client):
    fake.add_model(ModelSpec(id="claude-dense", max_output=64_000, token_factor=1.5))
    fake.default = TextReply("ok")
    messages = [{"role": "user", "content": "x" * 4000}]  # 1,003 tokens at the base rate
    plain = client.messages.count_tokens(model=MODEL, messages=messages).input_tokens
    dense = client.messages.count_tokens(model="claude-dense", messages=messages).input_tokens
    assert (plain, dense) == (1003, 1505)
    usage = client.messages.create(model="claude-dense", max_tokens=10, messages=messages).usage
    assert usage.input_tokens == 1505
    # the window is checked on the model's own count: 140,003 base tokens are 210,005 here
    big = [{"role": "user", "content": "x" * 560_000}]
    with pytest.raises(anthropic.BadRequestError, match="210005 tokens > 200000 maximum"):
        client.messages.create(model="claude-dense", max_tokens=10, messages=big)
