"""The fake Anthropic API, exercised through the real anthropic SDK over real HTTP."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anthropic
import pytest
from fake_api import (
    DropConnection,
    ErrorReply,
    FakeAnthropic,
    HeldReply,
    ModelSpec,
    StreamError,
    TextReply,
    ToolReply,
    text_tokens,
)

# The SDK warns that Sonnet 4.5 retires on 2026-11-30; some tests use it for its 200k window.
pytestmark = pytest.mark.filterwarnings("ignore:The model 'claude-sonnet-4-5':DeprecationWarning")

MODEL = "claude-sonnet-4-6"
FINDINGS = {"findings": [{"title": "SQL injection", "severity": "high"}], "summary": "one issue"}
USER = [{"role": "user", "content": "review"}]
# One attempt more per retry, and no backoff wait: the SDK honours retry-after-ms first.
FAST_RETRY = {"retry-after-ms": "1"}


@pytest.fixture
def fake():
    with FakeAnthropic() as server:
        yield server


@pytest.fixture
def client(fake):
    env = fake.env()
    with anthropic.Anthropic(
        base_url=env["ANTHROPIC_BASE_URL"], api_key=env["ANTHROPIC_API_KEY"]
    ) as sdk:
        yield sdk


def raw_request(
    fake: FakeAnthropic,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """A plain HTTP request, for what the SDK never sends (no auth, no version header...)."""
    conn = http.client.HTTPConnection(fake.host, fake.port, timeout=10)
    data = json.dumps(body).encode() if body is not None else None
    conn.request(
        method, path, body=data, headers={"content-type": "application/json", **(headers or {})}
    )
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, payload


def block(n: int) -> int:
    """Tokens of a text block holding n ASCII bytes (the documented counter)."""
    return 3 + text_tokens("x" * n)


def cached_system(text: str, ttl: str | None = None) -> list[dict[str, Any]]:
    marker: dict[str, Any] = {"type": "ephemeral"}
    if ttl:
        marker["ttl"] = ttl
    return [{"type": "text", "text": text, "cache_control": marker}]


# streaming and message shape ----------------------------------------------------------


def test_streamed_tool_reply_is_assembled_by_the_sdk(fake, client):
    fake.script(ToolReply(FINDINGS, chunks=5))
    events = []
    with client.messages.stream(model=MODEL, max_tokens=2000, messages=USER) as stream:
        for event in stream:
            events.append(event.type)
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    [tool_use] = final.content
    assert tool_use.type == "tool_use"
    assert tool_use.name == "report_findings"
    assert tool_use.input == FINDINGS
    assert events[0] == "message_start"
    assert events.count("input_json") == 5
    assert events[-2:] == ["message_delta", "message_stop"]
    assert final.usage.input_tokens == block(6)
    assert final.usage.output_tokens == text_tokens("report_findings") + text_tokens(
        json.dumps(FINDINGS)
    )
    assert final.usage.cache_creation_input_tokens == 0
    assert final.usage.cache_creation.ephemeral_5m_input_tokens == 0
    assert final.usage.service_tier == "standard"
    [request] = fake.messages_requests()
    assert request.body["stream"] is True
    assert request.headers["authorization"] == "Bearer sk-ant-test"
    assert request.retry_count == 0
    assert stream.request_id == fake.requests[0].request_id


def test_raw_sse_stream_follows_the_documented_framing(fake):
    fake.script(ToolReply({"a": 1}, thinking="step", text_before="Reviewing"))
    status, headers, payload = raw_request(
        fake,
        "POST",
        "/v1/messages",
        {"model": MODEL, "max_tokens": 2000, "messages": USER, "stream": True},
        {"x-api-key": "k", "anthropic-version": "2023-06-01"},
    )
    assert status == 200
    assert headers["content-type"].startswith("text/event-stream")
    assert headers["request-id"].startswith("req_")
    frames = [f for f in payload.decode().split("\n\n") if f]
    names = []
    for frame in frames:
        event_line, data_line = frame.split("\n")
        name = event_line.removeprefix("event: ")
        assert json.loads(data_line.removeprefix("data: "))["type"] == name
        names.append(name)
    assert names[:2] == ["message_start", "ping"]
    assert names.count("ping") >= 2
    deltas = [json.loads(f.split("\n")[1][6:]) for f in frames if "content_block_delta" in f]
    kinds = [d["delta"]["type"] for d in deltas]
    assert (
        kinds.index("signature_delta") < kinds.index("text_delta") < kinds.index("input_json_delta")
    )
    assert "".join(d["delta"].get("partial_json", "") for d in deltas) == '{"a": 1}'


def test_non_streaming_request_gets_the_equivalent_message(fake, client):
    fake.script(ToolReply(FINDINGS, text_before="Here:"))
    message = client.messages.create(model=MODEL, max_tokens=2000, messages=USER)
    assert [b.type for b in message.content] == ["text", "tool_use"]
    assert message.content[1].input == FINDINGS
    assert message.stop_reason == "tool_use"
    assert message.model == MODEL
    assert message._request_id == fake.requests[0].request_id


def test_refusal_text_reply(fake, client):
    fake.script(TextReply("I can't help with that.", stop_reason="refusal"))
    with client.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "refusal"
    assert final.content[0].text == "I can't help with that."


def test_truncated_tool_json_stops_at_max_tokens(fake, client):
    text = json.dumps(FINDINGS)
    fake.script(ToolReply(FINDINGS, stop_reason="max_tokens", truncate_json_at=30))
    with client.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
        partial = "".join(e.partial_json for e in stream if e.type == "input_json")
        final = stream.get_final_message()
    assert partial == text[:30]
    assert final.stop_reason == "max_tokens"


def test_callable_default_sees_the_request(fake, client):
    fake.default = lambda body: TextReply(f"{len(body['messages'])} message(s)")
    message = client.messages.create(model=MODEL, max_tokens=10, messages=USER)
    assert message.content[0].text == "1 message(s)"


def test_unscripted_request_fails_loudly_once(fake, client):
    with pytest.raises(anthropic.InternalServerError, match="no reply scripted"):
        client.messages.create(model=MODEL, max_tokens=10, messages=USER)
    assert len(fake.messages_requests()) == 1


# errors and retries -------------------------------------------------------------------


def test_529_is_attempted_three_times(fake, client):
    fake.script(*[ErrorReply(529, "overloaded_error", "Overloaded", headers=FAST_RETRY)] * 3)
    with pytest.raises(anthropic.OverloadedError) as caught:
        client.messages.create(model=MODEL, max_tokens=10, messages=USER)
    assert [r.retry_count for r in fake.messages_requests()] == [0, 1, 2]
    assert caught.value.body["error"]["type"] == "overloaded_error"
    assert caught.value.request_id == fake.requests[-1].request_id
    assert caught.value.body["request_id"] == caught.value.request_id


def test_429_with_retry_after_then_success(fake, client):
    fake.script(
        ErrorReply(429, "rate_limit_error", "Rate limited", headers={"retry-after": "0.01"}),
        ToolReply(FINDINGS),
    )
    started = time.monotonic()
    message = client.messages.create(model=MODEL, max_tokens=10, messages=USER)
    assert time.monotonic() - started < 0.4  # the header, not the 0.5 s backoff, set the wait
    assert message.content[0].input == FINDINGS
    assert [r.status for r in fake.messages_requests()] == [429, 200]


def test_429_spend_limit_without_retry_after(fake, client):
    fake.script(ErrorReply(429, "rate_limit_error", "You have reached your spend limit."))
    with pytest.raises(anthropic.RateLimitError) as caught:
        client.with_options(max_retries=0).messages.create(
            model=MODEL, max_tokens=10, messages=USER
        )
    assert "retry-after" not in caught.value.response.headers
    assert len(fake.messages_requests()) == 1


@pytest.mark.parametrize(
    ("status", "error_type", "exception"),
    [
        (400, "invalid_request_error", anthropic.BadRequestError),
        (401, "authentication_error", anthropic.AuthenticationError),
        (403, "permission_error", anthropic.PermissionDeniedError),
        (404, "not_found_error", anthropic.NotFoundError),
        (413, "request_too_large", anthropic.ContentTooLargeError),
    ],
)
def test_client_errors_are_sent_once(fake, client, status, error_type, exception):
    fake.script(ErrorReply(status, error_type, "nope"), ToolReply({}))
    with pytest.raises(exception):
        client.messages.create(model=MODEL, max_tokens=10, messages=USER)
    assert len(fake.messages_requests()) == 1
    assert fake.pending == 1


def test_error_reply_event_and_raw_body(fake, client):
    answered = threading.Event()
    fake.script(
        ErrorReply(
            502,
            "api_error",
            "",
            body="<html>Bad gateway</html>",
            headers={"x-should-retry": "false"},
            after_body=answered,
        )
    )
    with pytest.raises(anthropic.APIStatusError) as caught:
        client.messages.create(model=MODEL, max_tokens=10, messages=USER)
    assert caught.value.status_code == 502
    assert answered.wait(5)
    assert len(fake.messages_requests()) == 1


def test_mid_stream_error_raises_and_is_not_retried(fake, client):
    fake.script(StreamError(3, reply=ToolReply(FINDINGS)), ToolReply({}))
    seen = []
    with (
        pytest.raises(anthropic.APIStatusError) as caught,
        client.messages.stream(model=MODEL, max_tokens=10, messages=USER) as stream,
    ):
        for event in stream:
            seen.append(event.type)
    assert caught.value.status_code == 200
    assert caught.value.body["error"]["type"] == "overloaded_error"
    assert seen[0] == "message_start"
    assert "message_stop" not in seen
    assert len(fake.messages_requests()) == 1


def test_stream_error_on_non_streaming_request_is_an_http_error(fake, client):
    fake.script(StreamError(2, "api_error", "Internal server error"))
    with pytest.raises(anthropic.InternalServerError):
        client.with_options(max_retries=0).messages.create(
            model=MODEL, max_tokens=10, messages=USER
        )


def test_connection_dropped_before_response_is_retried(fake, client):
    fake.script(DropConnection(0), ToolReply(FINDINGS))
    message = client.messages.create(model=MODEL, max_tokens=10, messages=USER)
    assert message.content[0].input == FINDINGS
    assert [r.retry_count for r in fake.messages_requests()] == [0, 1]


def test_connection_dropped_mid_stream_raises(fake, client):
    fake.script(DropConnection(3, reply=ToolReply(FINDINGS)))
    seen = []
    # SDK 2.10.0 lets httpx2's RemoteProtocolError through here, not an anthropic error.
    with (
        pytest.raises(Exception) as caught,
        client.messages.stream(model=MODEL, max_tokens=10, messages=USER) as stream,
    ):
        for event in stream:
            seen.append(event.type)
    assert "incomplete chunked read" in str(caught.value)
    assert "message_stop" not in seen
    assert len(fake.messages_requests()) == 1


def test_held_reply_waits_for_release(fake, client):
    held = HeldReply(ToolReply(FINDINGS))
    fake.script(held)
    result: dict[str, Any] = {}

    def run() -> None:
        with client.messages.stream(model=MODEL, max_tokens=10, messages=USER) as stream:
            result["message"] = stream.get_final_message()

    worker = threading.Thread(target=run)
    worker.start()
    assert held.started.wait(5)
    assert "message" not in result
    held.release.set()
    worker.join(5)
    assert result["message"].content[0].input == FINDINGS
    assert held.finished.wait(5)
    assert not held.disconnected.is_set()


async def test_held_reply_notices_a_cancelled_client(fake):
    held = HeldReply(ToolReply(FINDINGS))
    fake.script(held)
    async with anthropic.AsyncAnthropic(base_url=fake.url, api_key="sk-ant-test") as client:

        async def consume() -> None:
            async with client.messages.stream(model=MODEL, max_tokens=10, messages=USER) as stream:
                async for _ in stream:
                    pass

        task = asyncio.create_task(consume())
        assert await asyncio.to_thread(held.started.wait, 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await asyncio.to_thread(held.disconnected.wait, 5)
        assert await asyncio.to_thread(held.finished.wait, 5)


# validation ---------------------------------------------------------------------------

V = {"x-api-key": "k", "anthropic-version": "2023-06-01"}


def test_auth_and_version_headers_are_required(fake):
    body = {"model": MODEL, "max_tokens": 10, "messages": USER}
    status, _, payload = raw_request(fake, "POST", "/v1/messages", body, {"anthropic-version": "x"})
    assert status == 401
    assert json.loads(payload)["error"]["type"] == "authentication_error"
    status, headers, payload = raw_request(fake, "POST", "/v1/messages", body, {"x-api-key": "k"})
    assert status == 400
    assert json.loads(payload)["request_id"] == headers["request-id"]
    status, _, _ = raw_request(fake, "POST", "/v1/nothing", body, V)
    assert status == 404


def test_configured_api_keys_reject_others():
    with FakeAnthropic(api_keys={"sk-good"}, default=TextReply("hi")) as fake:
        with (
            anthropic.Anthropic(base_url=fake.url, api_key="sk-bad") as bad,
            pytest.raises(anthropic.AuthenticationError),
        ):
            bad.messages.create(model=MODEL, max_tokens=10, messages=USER)
        with anthropic.Anthropic(base_url=fake.url, api_key="sk-good") as good:
            assert good.messages.create(model=MODEL, max_tokens=10, messages=USER).content


def test_unknown_beta_is_rejected_with_the_documented_message(fake, client):
    fake.default = TextReply("ok")
    with pytest.raises(anthropic.BadRequestError) as caught:
        client.messages.create(
            model=MODEL,
            max_tokens=10,
            messages=USER,
            extra_headers={"anthropic-beta": "context-1m-2025-08-07,made-up-2099-01-01"},
        )
    assert caught.value.body["error"]["message"].startswith(
        "Unexpected value(s) `made-up-2099-01-01` for the `anthropic-beta` header."
    )
    client.beta.messages.count_tokens(model=MODEL, messages=USER, betas=["context-1m-2025-08-07"])


def _big_markers(n: int) -> list[dict[str, Any]]:
    return [
        {"type": "text", "text": f"part {i}", "cache_control": {"type": "ephemeral"}}
        for i in range(n)
    ]


@pytest.mark.parametrize(
    ("changes", "status", "fragment"),
    [
        ({"model": "claude-sonnet-4-20250514"}, 404, "model: claude-sonnet-4-20250514"),
        ({"max_tokens": 64_001, "model": "claude-haiku-4-5"}, 400, "max_tokens: 64001 > 64000"),
        ({"max_tokens": 128_001, "model": "claude-opus-4-6"}, 400, "max_tokens: 128001 > 128000"),
        ({"thinking": {"type": "enabled", "budget_tokens": 1023}, "max_tokens": 4000}, 400, "1024"),
        (
            {"thinking": {"type": "enabled", "budget_tokens": 2000}, "max_tokens": 2000},
            400,
            "budget",
        ),
        (
            {
                "thinking": {"type": "enabled", "budget_tokens": 2000},
                "max_tokens": 4000,
                "tools": [{"name": "t", "input_schema": {"type": "object"}}],
                "tool_choice": {"type": "any"},
            },
            400,
            "tool_choice",
        ),
        ({"thinking": {"type": "adaptive"}, "model": "claude-haiku-4-5"}, 400, "adaptive"),
        (
            {
                "model": "claude-opus-4-6",
                "messages": [*USER, {"role": "assistant", "content": "{"}],
            },
            400,
            "prefill",
        ),
        ({"messages": [{"role": "user", "content": _big_markers(5)}]}, 400, "maximum of 4"),
        (
            {
                "messages": [{"role": "user", "content": _big_markers(4)}],
                "cache_control": {"type": "ephemeral"},
            },
            400,
            "maximum of 4",
        ),
        (
            {"system": cached_system("a") + cached_system("b", "1h"), "messages": USER},
            400,
            "1h",
        ),
        ({"system": cached_system("a", "10m")}, 400, "ttl"),
        ({"temprature": 0.5}, 400, "Extra inputs are not permitted"),
        ({"max_tokens": None}, 400, "max_tokens"),
    ],
)
def test_invalid_requests_are_rejected_before_consuming_the_script(fake, changes, status, fragment):
    fake.script(TextReply("never sent"))
    body = {"model": MODEL, "max_tokens": 100, "messages": USER}
    body.update(changes)
    body = {k: v for k, v in body.items() if v is not None}
    code, _, payload = raw_request(fake, "POST", "/v1/messages", body, V)
    assert code == status
    error = json.loads(payload)["error"]
    assert fragment in error["message"]
    assert fake.pending == 1


def test_valid_thinking_and_prefill_pass(fake):
    fake.default = TextReply("ok")
    for body in (
        {"thinking": {"type": "enabled", "budget_tokens": 1024}, "max_tokens": 1025},
        {
            "thinking": {"type": "enabled", "budget_tokens": 8000},
            "max_tokens": 4000,
            "_beta": "interleaved-thinking-2025-05-14",
        },
        {"messages": [*USER, {"role": "assistant", "content": "{"}]},
        {
            "cache_control": {"type": "ephemeral"},
            "messages": [{"role": "user", "content": _big_markers(3)}],
        },
    ):
        headers = dict(V)
        if "_beta" in body:
            headers["anthropic-beta"] = body.pop("_beta")
        code, _, payload = raw_request(
            fake,
            "POST",
            "/v1/messages",
            {"model": MODEL, "max_tokens": 100, "messages": USER, **body},
            headers,
        )
        assert code == 200, payload


def test_prompt_too_long_uses_the_documented_message(fake, client):
    fake.default = TextReply("ok")
    text = "x" * 800_000  # 200,000 + 3 tokens, plus the user block
    too_long = [{"role": "user", "content": text}]
    with pytest.raises(anthropic.BadRequestError) as caught:
        client.messages.create(model="claude-sonnet-4-5", max_tokens=10, messages=too_long)
    assert (
        caught.value.body["error"]["message"]
        == "prompt is too long: 200003 tokens > 200000 maximum"
    )
    # The Sonnet 4.5 1M beta was retired on 2026-04-30: the header no longer helps.
    with pytest.raises(anthropic.BadRequestError, match="200003 tokens > 200000"):
        client.messages.create(
            model="claude-sonnet-4-5",
            max_tokens=10,
            messages=too_long,
            extra_headers={"anthropic-beta": "context-1m-2025-08-07"},
        )
    # 1M without a header on Sonnet 4.6 and Opus 4.6.
    assert (
        client.messages.create(model=MODEL, max_tokens=10, messages=too_long).usage.input_tokens
        == 200_003
    )
    assert len(fake.messages_requests()) == 3


def test_a_model_whose_1m_window_needs_the_beta(fake, client):
    fake.add_model(
        ModelSpec(id="claude-test-1m", max_output=64_000, context_1m_beta="context-1m-2025-08-07")
    )
    fake.default = TextReply("ok")
    messages = [{"role": "user", "content": "x" * 1_000_000}]
    with pytest.raises(anthropic.BadRequestError, match="250003 tokens > 200000 maximum"):
        client.messages.create(model="claude-test-1m", max_tokens=10, messages=messages)
    message = client.messages.create(
        model="claude-test-1m",
        max_tokens=10,
        messages=messages,
        extra_headers={"anthropic-beta": "context-1m-2025-08-07"},
    )
    assert message.usage.input_tokens == 250_003


def test_pre_4_5_models_count_max_tokens_toward_the_window(fake):
    fake.add_model(
        ModelSpec(id="claude-old", max_output=64_000, max_tokens_counts_toward_window=True)
    )
    fake.default = TextReply("ok")
    body = {
        "model": "claude-old",
        "max_tokens": 1000,
        "messages": [{"role": "user", "content": "x" * 796_000}],
    }
    code, _, payload = raw_request(fake, "POST", "/v1/messages", body, V)
    assert code == 400
    assert json.loads(payload)["error"]["message"].startswith(
        "input length and `max_tokens` exceed context limit: 199003 + 1000 > 200000"
    )
    headers = {**V, "anthropic-beta": "model-context-window-exceeded-2025-08-26"}
    assert raw_request(fake, "POST", "/v1/messages", body, headers)[0] == 200


def test_body_over_32_mb_is_413_and_not_retried(fake, client):
    fake.default = TextReply("ok")
    with pytest.raises(anthropic.ContentTooLargeError) as caught:
        client.messages.create(
            model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "x" * 32_000_000}]
        )
    assert caught.value.body["error"]["type"] == "request_too_large"
    assert len(fake.messages_requests()) == 1


# token counting -----------------------------------------------------------------------


def test_count_tokens_matches_usage_and_the_documented_formula(fake, client):
    tools = [
        {"name": "report_findings", "description": "Report.", "input_schema": {"type": "object"}}
    ]
    system = "You review code."
    messages = [
        {
            "role": "user",
            "content": [{"type": "text", "text": "héllo wörld"}, {"type": "text", "text": "more"}],
        }
    ]
    counted = client.messages.count_tokens(
        model=MODEL, tools=tools, system=system, messages=messages
    )
    expected = (
        3
        + text_tokens('report_findingsReport.{"type":"object"}')
        + 3
        + text_tokens(system)
        + 3
        + text_tokens("héllo wörld")
        + 3
        + text_tokens("more")
    )
    assert counted.input_tokens == expected
    assert text_tokens("héllo wörld") == 4  # 13 UTF-8 bytes
    fake.script(ToolReply({}))
    used = client.messages.create(
        model=MODEL, max_tokens=10, tools=tools, system=system, messages=messages
    )
    assert used.usage.input_tokens == expected
    assert fake.messages_requests()[-1].path == "/v1/messages"
    code, _, payload = raw_request(
        fake,
        "POST",
        "/v1/messages/count_tokens",
        {"model": MODEL, "messages": USER, "stream": True},
        V,
    )
    assert code == 400
    assert "Extra inputs" in json.loads(payload)["error"]["message"]


# prompt caching -----------------------------------------------------------------------

SYSTEM_TEXT = "S" * 10_000  # 2503 tokens as a block: above Sonnet 4.6's 2048 minimum


def _usage(client, **kwargs) -> anthropic.types.Usage:
    kwargs.setdefault("model", MODEL)
    kwargs.setdefault("max_tokens", 10)
    kwargs.setdefault("messages", USER)
    return client.messages.create(**kwargs).usage


def test_first_request_writes_and_an_identical_one_reads(fake, client):
    fake.default = TextReply("ok")
    first = _usage(client, system=cached_system(SYSTEM_TEXT))
    assert (first.cache_creation_input_tokens, first.cache_read_input_tokens) == (2503, 0)
    assert first.cache_creation.ephemeral_5m_input_tokens == 2503
    assert first.input_tokens == block(6)
    second = _usage(client, system=cached_system(SYSTEM_TEXT))
    assert (second.cache_creation_input_tokens, second.cache_read_input_tokens) == (0, 2503)
    assert second.input_tokens == block(6)
    # count_tokens does not use the cache
    assert client.messages.count_tokens(
        model=MODEL, system=cached_system(SYSTEM_TEXT), messages=USER
    ).input_tokens == 2503 + block(6)
    # streamed usage carries the same fields
    with client.messages.stream(
        model=MODEL, max_tokens=10, messages=USER, system=cached_system(SYSTEM_TEXT)
    ) as s:
        streamed = s.get_final_message().usage
    assert (streamed.cache_read_input_tokens, streamed.input_tokens) == (2503, block(6))


def test_changing_a_late_block_keeps_the_early_breakpoint(fake, client):
    fake.default = TextReply("ok")

    def messages(question: str) -> list[dict[str, Any]]:
        return [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "D" * 4000},
                    {"type": "text", "text": question, "cache_control": {"type": "ephemeral"}},
                ],
            }
        ]

    first = _usage(client, system=cached_system(SYSTEM_TEXT), messages=messages("question 1"))
    assert first.cache_creation_input_tokens == 2503 + block(4000) + block(10)
    second = _usage(client, system=cached_system(SYSTEM_TEXT), messages=messages("question 2"))
    assert second.cache_read_input_tokens == 2503
    assert second.cache_creation_input_tokens == block(4000) + block(10)
    assert second.input_tokens == 0
    # Changing the tools invalidates everything after them, system included.
    tools = [{"name": "t", "input_schema": {"type": "object"}}]
    third = _usage(
        client, tools=tools, system=cached_system(SYSTEM_TEXT), messages=messages("question 2")
    )
    assert third.cache_read_input_tokens == 0
    # Changing tool_choice keeps the system entry (invalidation matrix).
    _usage(client, system=cached_system(SYSTEM_TEXT), tools=tools, messages=messages("q"))
    fourth = _usage(
        client,
        system=cached_system(SYSTEM_TEXT),
        tools=tools,
        tool_choice={"type": "any"},
        messages=messages("q"),
    )
    assert fourth.cache_read_input_tokens == 2503 + 3 + text_tokens('t{"type":"object"}')


def _blocks(count: int) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = [
        {"type": "text", "text": f"block number {i}"} for i in range(count)
    ]
    content[-1] = {**content[-1], "cache_control": {"type": "ephemeral"}}
    return [{"role": "user", "content": content}]


@pytest.mark.parametrize(("added", "hit"), [(19, True), (20, False)])
def test_lookback_reaches_at_most_20_blocks(fake, client, added, hit):
    fake.default = TextReply("ok")
    system = [{"type": "text", "text": "S" * 8000}]  # no marker; 2003 tokens > Sonnet 4.5's 1024
    first = _usage(client, model="claude-sonnet-4-5", system=system, messages=_blocks(5))
    assert first.cache_read_input_tokens == 0
    written = first.cache_creation_input_tokens
    later = _usage(client, model="claude-sonnet-4-5", system=system, messages=_blocks(5 + added))
    assert later.cache_read_input_tokens == (written if hit else 0)


@pytest.mark.parametrize(
    ("model", "minimum"),
    [
        ("claude-sonnet-4-6", 2048),
        ("claude-opus-4-6", 4096),
        ("claude-haiku-4-5", 4096),
        ("claude-sonnet-4-5", 1024),
    ],
)
def test_minimum_cacheable_length(fake, client, model, minimum):
    fake.default = TextReply("ok")
    below = cached_system("m" * (4 * (minimum - 4)))  # a block of minimum - 1 tokens
    usage = _usage(client, model=model, system=below)
    assert (usage.cache_creation_input_tokens, usage.cache_read_input_tokens) == (0, 0)
    assert usage.input_tokens == minimum - 1 + block(6)
    at = cached_system("m" * (4 * (minimum - 3)))
    assert _usage(client, model=model, system=at).cache_creation_input_tokens == minimum


def test_ttl_expiry_and_refresh_on_the_fake_clock(fake, client):
    fake.default = TextReply("ok")
    assert _usage(client, system=cached_system(SYSTEM_TEXT)).cache_creation_input_tokens == 2503
    fake.advance(299)
    assert _usage(client, system=cached_system(SYSTEM_TEXT)).cache_read_input_tokens == 2503
    fake.advance(299)  # the hit refreshed the TTL
    assert _usage(client, system=cached_system(SYSTEM_TEXT)).cache_read_input_tokens == 2503
    fake.advance(301)
    expired = _usage(client, system=cached_system(SYSTEM_TEXT))
    assert (expired.cache_read_input_tokens, expired.cache_creation_input_tokens) == (0, 2503)
    # A 1h entry survives five minutes.
    fake.reset_cache()
    hour = _usage(client, system=cached_system(SYSTEM_TEXT, "1h"))
    assert hour.cache_creation.ephemeral_1h_input_tokens == 2503
    fake.advance(1800)  # "1 hour" survives 30 minutes, and the hit refreshes it
    assert _usage(client, system=cached_system(SYSTEM_TEXT, "1h")).cache_read_input_tokens == 2503
    fake.advance(3599)
    assert _usage(client, system=cached_system(SYSTEM_TEXT, "1h")).cache_read_input_tokens == 2503
    fake.advance(3600)
    assert _usage(client, system=cached_system(SYSTEM_TEXT, "1h")).cache_read_input_tokens == 0
    fake.reset_cache()
    assert _usage(client, system=cached_system(SYSTEM_TEXT)).cache_read_input_tokens == 0


def test_one_hour_and_five_minute_writes_are_split(fake, client):
    fake.default = TextReply("ok")
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Q" * 400, "cache_control": {"type": "ephemeral"}}
            ],
        }
    ]
    usage = _usage(client, system=cached_system(SYSTEM_TEXT, "1h"), messages=messages)
    assert usage.cache_creation.ephemeral_1h_input_tokens == 2503
    assert usage.cache_creation.ephemeral_5m_input_tokens == block(400)
    assert usage.cache_creation_input_tokens == 2503 + block(400)


def test_top_level_cache_control_marks_the_last_block(fake, client):
    fake.default = TextReply("ok")
    system = [{"type": "text", "text": SYSTEM_TEXT}]
    first = _usage(client, system=system, cache_control={"type": "ephemeral"})
    assert (first.cache_creation_input_tokens, first.input_tokens) == (2503 + block(6), 0)
    second = _usage(client, system=system, cache_control={"type": "ephemeral"})
    assert second.cache_read_input_tokens == 2503 + block(6)


def test_an_entry_is_usable_only_once_its_response_has_begun(fake, client):
    held = HeldReply(TextReply("first"), before_start=True)
    fake.script(held, TextReply("second"))
    usages: dict[str, Any] = {}

    def first() -> None:
        usages["first"] = _usage(client, system=cached_system(SYSTEM_TEXT))

    worker = threading.Thread(target=first)
    worker.start()
    assert held.started.wait(5)
    parallel = _usage(client, system=cached_system(SYSTEM_TEXT))
    held.release.set()
    worker.join(5)
    assert parallel.cache_read_input_tokens == 0
    assert usages["first"].cache_creation_input_tokens == 2503
    fake.script(TextReply("third"))
    assert _usage(client, system=cached_system(SYSTEM_TEXT)).cache_read_input_tokens == 2503


# batches ------------------------------------------------------------------------------


def _batch_request(custom_id: str, model: str = MODEL) -> dict[str, Any]:
    return {"custom_id": custom_id, "params": {"model": model, "max_tokens": 100, "messages": USER}}


def test_batch_end_to_end(fake, client):
    fake.default = ToolReply(FINDINGS)
    fake.batch_polls_until_done = 1
    fake.batch_script["b"] = "errored"
    fake.batch_script["c"] = "expired"
    batches = client.messages.batches
    created = batches.create(
        requests=[
            _batch_request("a"),
            _batch_request("b"),
            _batch_request("c"),
            _batch_request("d", "claude-nope"),
        ]
    )
    assert created.processing_status == "in_progress"
    assert created.request_counts.processing == 4
    assert created.request_counts.succeeded == 0
    assert created.results_url is None
    polled = batches.retrieve(created.id)
    assert polled.processing_status == "in_progress"
    assert polled.request_counts.errored == 0
    ended = batches.retrieve(created.id)
    assert ended.processing_status == "ended"
    counts = ended.request_counts
    assert (
        counts.processing,
        counts.succeeded,
        counts.errored,
        counts.expired,
        counts.canceled,
    ) == (0, 1, 2, 1, 0)
    assert ended.ended_at is not None
    results = {r.custom_id: r.result for r in batches.results(created.id)}
    assert results["a"].type == "succeeded"
    assert results["a"].message.content[0].input == FINDINGS
    assert results["a"].message.usage.service_tier == "batch"
    assert results["b"].type == "errored"
    assert results["c"].type == "expired"
    assert results["d"].error.error.type == "not_found_error"
    assert [b.id for b in batches.list()] == [created.id]
    assert batches.delete(created.id).type == "message_batch_deleted"
    with pytest.raises(anthropic.NotFoundError):
        batches.retrieve(created.id)
    results_request = next(r for r in fake.requests if r.path.endswith("/results"))
    assert results_request.headers["accept"] == "application/binary"


def test_batch_cancel_finish_and_delete_rules(fake, client):
    fake.default = TextReply("ok")
    fake.batch_polls_until_done = 100
    batches = client.messages.batches
    doomed = batches.create(requests=[_batch_request("x"), _batch_request("y")])
    assert batches.cancel(doomed.id).processing_status == "canceling"
    with pytest.raises(anthropic.BadRequestError):
        batches.delete(doomed.id)
    ended = batches.retrieve(doomed.id)
    assert (ended.processing_status, ended.request_counts.canceled) == ("ended", 2)
    finished = batches.create(requests=[_batch_request("z")])
    assert batches.retrieve(finished.id).processing_status == "in_progress"
    fake.finish_batches()
    assert batches.retrieve(finished.id).request_counts.succeeded == 1
    assert [b.id for b in batches.list(limit=1).data] == [finished.id]
    assert [b.id for b in batches.list()] == [finished.id, doomed.id]
    assert [b.id for b in batches.list(limit=1, after_id=finished.id).data] == [doomed.id]
    with pytest.raises(anthropic.BadRequestError):
        batches.create(requests=[_batch_request("same"), _batch_request("same")])


def test_batch_output_300k_beta_raises_the_cap(fake, client):
    fake.default = TextReply("long")
    request = {"model": MODEL, "max_tokens": 200_000, "messages": USER}
    plain = client.messages.batches.create(requests=[{"custom_id": "a", "params": request}])
    beta = client.beta.messages.batches.create(
        requests=[{"custom_id": "a", "params": request}], betas=["output-300k-2026-03-24"]
    )
    fake.finish_batches()
    [plain_result] = client.messages.batches.results(plain.id)
    [beta_result] = client.messages.batches.results(beta.id)
    assert plain_result.result.error.error.type == "invalid_request_error"
    assert beta_result.result.type == "succeeded"


# cloud platforms ----------------------------------------------------------------------


def test_vertex_paths(fake):
    fake.script(ToolReply(FINDINGS), TextReply("plain"))
    vertex = anthropic.AnthropicVertex(
        region="us-east5", project_id="proj", access_token="tok", base_url=fake.url
    )
    with vertex.messages.stream(
        model="claude-sonnet-4-5@20250929", max_tokens=10, messages=USER
    ) as stream:
        assert stream.get_final_message().content[0].input == FINDINGS
    assert (
        vertex.messages.create(model="claude-sonnet-4-6", max_tokens=10, messages=USER)
        .content[0]
        .text
        == "plain"
    )
    assert vertex.messages.count_tokens(
        model="claude-sonnet-4-6", messages=USER
    ).input_tokens == block(6)
    paths = [r.path for r in fake.requests]
    assert paths == [
        "/projects/proj/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict",
        "/projects/proj/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-6:rawPredict",
        "/projects/proj/locations/us-east5/publishers/anthropic/models/count-tokens:rawPredict",
    ]
    assert len(fake.messages_requests()) == 2
    first = fake.requests[0]
    assert first.model == "claude-sonnet-4-5@20250929"
    assert "model" not in first.body
    assert first.body["anthropic_version"]
    assert first.headers["authorization"] == "Bearer tok"
    assert "anthropic-version" not in first.headers
    with pytest.raises(anthropic.NotFoundError):
        vertex.messages.create(model="claude-nope@2020", max_tokens=10, messages=USER)
    vertex.close()


def test_foundry_path(fake):
    fake.script(TextReply("from foundry"))
    foundry = anthropic.AnthropicFoundry(api_key="foundry-key", base_url=fake.url + "/anthropic")
    message = foundry.messages.create(model="claude-opus-4-6", max_tokens=10, messages=USER)
    assert message.content[0].text == "from foundry"
    [request] = fake.messages_requests()
    assert request.path == "/anthropic/v1/messages"
    assert request.headers["x-api-key"] == request.headers["api-key"] == "foundry-key"
    assert request.headers["anthropic-version"]
    assert foundry.messages.batches is None
    foundry.close()


# the process mode ---------------------------------------------------------------------


def _control(url: str, method: str, path: str, body: Any = None) -> Any:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request(method, path, body=json.dumps(body) if body is not None else None)
    response = conn.getresponse()
    payload = json.loads(response.read())
    conn.close()
    assert response.status == 200, payload
    return payload


def test_process_mode_with_control_endpoint(tmp_path: Path):
    script = tmp_path / "script.json"
    script.write_text(
        json.dumps(
            {
                "replies": [{"kind": "tool", "input": {"from": "file"}}],
                "default": {"kind": "text", "text": "default"},
            }
        )
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    process = subprocess.Popen(
        [sys.executable, "-m", "fake_api", "--port", "0", "--script", str(script)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        first_line = process.stdout.readline().strip()
        assert first_line.startswith("FAKE_API_URL=http://127.0.0.1:")
        url = first_line.split("=", 1)[1]
        with anthropic.Anthropic(base_url=url, api_key="sk-ant-test") as client:
            assert client.messages.create(model=MODEL, max_tokens=10, messages=USER).content[
                0
            ].input == {"from": "file"}
            assert (
                client.messages.create(model=MODEL, max_tokens=10, messages=USER).content[0].text
                == "default"
            )
            _control(
                url,
                "POST",
                "/_fake/script",
                [
                    {
                        "kind": "error",
                        "status": 529,
                        "error_type": "overloaded_error",
                        "message": "Overloaded",
                        "headers": FAST_RETRY,
                    },
                    {"kind": "held", "name": "h", "reply": {"kind": "text", "text": "released"}},
                ],
            )
            result: dict[str, Any] = {}
            worker = threading.Thread(
                target=lambda: result.update(
                    m=client.messages.create(model=MODEL, max_tokens=10, messages=USER)
                )
            )
            worker.start()
            assert _control(url, "POST", "/_fake/wait", {"held": "h", "event": "started"})["ok"]
            assert _control(url, "GET", "/_fake/held") == {
                "h": {"started": True, "disconnected": False, "finished": False}
            }
            _control(url, "POST", "/_fake/release", {"name": "h"})
            worker.join(5)
            assert result["m"].content[0].text == "released"
        recorded = _control(url, "GET", "/_fake/requests")
        assert [r["retry_count"] for r in recorded] == [0, 0, 0, 1]
        assert [r["status"] for r in recorded] == [200, 200, 529, 200]
        assert "raw" not in recorded[0]
        assert recorded[0]["body"]["model"] == MODEL
    finally:
        process.terminate()
        process.wait(5)
    assert process.returncode == 0


def test_a_failing_default_callable_is_reported_not_retried(fake, client):
    def broken(body: Any) -> Any:
        raise RuntimeError("test bug")

    fake.default = broken
    with pytest.raises(anthropic.InternalServerError, match="internal error"):
        client.messages.create(model=MODEL, max_tokens=10, messages=USER)
    assert len(fake.messages_requests()) == 1
    assert "RuntimeError: test bug" in fake.internal_errors[0]


def test_close_ends_a_held_stream(client):
    fake = FakeAnthropic().start()
    held = HeldReply(ToolReply(FINDINGS))
    fake.script(held)
    outcome: dict[str, Any] = {}

    def run() -> None:
        sdk = client.with_options(base_url=fake.url, max_retries=0)
        try:
            with sdk.messages.stream(model=MODEL, max_tokens=10, messages=USER) as stream:
                stream.get_final_message()
        except Exception as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    assert held.started.wait(5)
    fake.close()
    worker.join(5)
    assert not worker.is_alive()
    assert "error" in outcome
    assert held.finished.wait(5)
