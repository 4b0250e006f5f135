"""client.errors: every SDK failure as the BigPicture error a user can act on, its kind from the
exception type and the status code (never the message text, but for a 400 "prompt is too
long"), with the status, request id, retry time and attempts carried along."""

from __future__ import annotations

import anthropic
import httpx2
import pytest
from bigpicture.client.errors import map_error, retry_after
from bigpicture.core import errors

REQUEST = httpx2.Request("POST", "https://api.example.test/v1/messages")


def status_error(
    status: int, message: str = "boom", headers: dict[str, str] | None = None
) -> anthropic.APIStatusError:
    response = httpx2.Response(
        status, headers={"request-id": "req_1", **(headers or {})}, request=REQUEST
    )
    body = {"type": "error", "error": {"type": "x_error", "message": message}}
    return anthropic.APIStatusError(message, response=response, body=body)


def mapped(e: BaseException, **kw) -> errors.ApiError:
    return map_error(e, streaming_started=kw.pop("streaming_started", False), **kw)


@pytest.mark.parametrize(
    ("status", "kind", "words"),
    [
        (401, errors.BadApiKey, "check ANTHROPIC_API_KEY"),
        (403, errors.NoModelAccess, "no access to the model or resource (403): boom"),
        (404, errors.NoModelAccess, "choose another model (the `model` setting)"),
        (413, errors.RequestTooLarge, "32 MB limit (413)"),
        (429, errors.SpendLimit, "check the limits in the Anthropic console"),
        (529, errors.Overloaded, "overloaded (529)"),
        (500, errors.Overloaded, "the API failed (500)"),
        (503, errors.Overloaded, "the API failed (503)"),
        (400, errors.BadRequest, "the API refused the request (400): boom"),
        (422, errors.BadRequest, "the API refused the request (422): boom"),
    ],
)
def test_each_status_is_its_kind_with_an_actionable_message(status, kind, words) -> None:
    got = mapped(status_error(status))
    assert type(got) is kind
    assert words in str(got)
    assert got.status == status and got.request_id == "req_1"


def test_a_429_with_a_retry_time_is_rate_limited_and_says_when() -> None:
    got = mapped(status_error(429, headers={"retry-after": "12"}), attempts=3)
    assert isinstance(got, errors.RateLimited)
    assert str(got) == "rate limited after 3 attempts (429): try again in 12 s"
    assert got.retry_after == 12 and got.attempts == 3
    ms = status_error(429, headers={"retry-after-ms": "1500", "retry-after": "9"})
    assert retry_after(ms) == 1.5  # the finer header wins
    assert retry_after(status_error(429, headers={"retry-after": "soon"})) is None


def test_other_providers_name_their_own_credentials_and_quotas() -> None:
    assert "bedrock rejected the credentials (401)" in str(
        mapped(status_error(401), provider="bedrock")
    )
    assert "the quotas of your vertex account" in str(mapped(status_error(429), provider="vertex"))


def test_attempts_are_said_only_when_there_were_retries() -> None:
    assert "(529):" in str(mapped(status_error(529), attempts=1))
    once_more = mapped(status_error(529), attempts=2)
    assert "(529) after 2 attempts" in str(once_more) and once_more.attempts == 2


def test_an_error_after_the_stream_started_is_a_broken_stream_whatever_its_status() -> None:
    for status in (200, 429, 529, 400):
        got = mapped(status_error(status, "overloaded_error"), streaming_started=True)
        assert isinstance(got, errors.StreamBroken)
        assert "findings so far are kept but the review is incomplete" in str(got)


def test_prompt_too_long_is_the_one_kind_read_from_the_text() -> None:
    e = anthropic.BadRequestError(
        "x",
        response=httpx2.Response(400, request=REQUEST),
        body={"error": {"message": "prompt is too long: 1200000 tokens > 1000000 maximum"}},
    )
    got = mapped(e)
    assert isinstance(got, errors.PromptTooLong)
    assert got.api_text == "prompt is too long: 1200000 tokens > 1000000 maximum"
    assert "leave files out" in str(got)
    # The same words in a plain APIStatusError of another status are not taken for it.
    assert not isinstance(mapped(status_error(400, "prompt is too long")), errors.PromptTooLong)


def test_transport_failures_before_and_during_the_stream() -> None:
    assert isinstance(mapped(anthropic.APITimeoutError(REQUEST)), errors.ConnectionFailed)
    conn = anthropic.APIConnectionError(request=REQUEST)
    assert "HTTPS_PROXY" in str(mapped(conn))
    assert isinstance(mapped(conn, streaming_started=True), errors.StreamBroken)
    read = httpx2.ReadError("reset")
    assert str(mapped(read)) == "cannot reach the API (ReadError)"
    assert isinstance(mapped(read, streaming_started=True), errors.StreamBroken)
    bad_json = mapped(ValueError("bad partial JSON"), streaming_started=True)
    assert isinstance(bad_json, errors.StreamBroken) and "malformed" in str(bad_json)


def test_a_project_error_passes_through_and_anything_else_is_named() -> None:
    mine = errors.Overloaded("already mapped")
    assert mapped(mine) is mine
    other = mapped(RuntimeError("odd"))
    assert type(other) is errors.ApiError and "RuntimeError: odd" in str(other)
