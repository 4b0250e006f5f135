"""Every SDK or transport failure as one of BigPicture's errors, with a message a user can act
on. Kinds come from the SDK's exception types and HTTP status codes; the one place that reads
the API's message text is a 400 "prompt is too long", which has no type or status of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import anthropic

from bigpicture.core import errors


def retry_after(e: anthropic.APIStatusError) -> float | None:
    h = e.response.headers if e.response is not None else {}
    try:
        if h.get("retry-after-ms"):
            return float(h["retry-after-ms"]) / 1000
        if h.get("retry-after"):
            return float(h["retry-after"])
    except ValueError:
        return None
    return None


def api_message(e: anthropic.APIStatusError) -> str:
    body = e.body if isinstance(e.body, dict) else {}
    err = body.get("error") if isinstance(body.get("error"), dict) else body
    msg = err.get("message") if isinstance(err, dict) else None
    return str(msg or getattr(e, "message", "") or "").strip()


def no_batches(provider: str) -> errors.ConfigError:
    return errors.ConfigError(
        f"provider {provider} has no Message Batches API (the SDK supports batches only on "
        "the Claude API): use provider anthropic, or review without --batch"
    )


def is_prompt_too_long(e: BaseException) -> bool:
    import anthropic

    return isinstance(e, anthropic.BadRequestError) and api_message(e).lower().startswith(
        "prompt is too long"
    )


E = TypeVar("E", bound=errors.ApiError)


def _made(cls: type[E], message: str, e: anthropic.APIStatusError, **extra: Any) -> E:
    """``cls(message)`` carrying the response's status, request id and the SDK's text."""
    rid = getattr(e, "request_id", None)
    return cls(message, status=e.status_code, request_id=rid, detail=str(e), **extra)


@dataclass(frozen=True)
class _Failure:
    """An API status error and what its message needs: the API's text, the retries said."""

    e: anthropic.APIStatusError
    msg: str
    tries: str  # " after N attempts", or "" when sent once
    provider: str
    attempts: int

    def made(self, cls: type[E], message: str, **extra: Any) -> E:
        return _made(cls, message, self.e, **extra)


def _unauthorized(f: _Failure) -> errors.ApiError:
    if f.provider != "anthropic":
        return f.made(
            errors.BadApiKey,
            f"{f.provider} rejected the credentials (401): check its environment variables "
            "(README, Cloud platforms)",
        )
    return f.made(errors.BadApiKey, "the API rejected the key (401): check ANTHROPIC_API_KEY")


def _forbidden(f: _Failure) -> errors.ApiError:
    return f.made(
        errors.NoModelAccess, f"this key has no access to the model or resource (403): {f.msg}"
    )


def _not_found(f: _Failure) -> errors.ApiError:
    return f.made(
        errors.NoModelAccess,
        f"model not found, or this key has no access to it (404): {f.msg}; choose another "
        "model (the `model` setting)",
    )


def _too_large(f: _Failure) -> errors.ApiError:
    return f.made(
        errors.RequestTooLarge,
        "the request is over the API's 32 MB limit (413): leave large files out (the "
        "`exclude` setting)",
    )


def _rate_limited(f: _Failure) -> errors.ApiError:
    wait = retry_after(f.e)
    if wait is None:
        where = (
            "the limits in the Anthropic console"
            if f.provider == "anthropic"
            else f"the quotas of your {f.provider} account"
        )
        return f.made(
            errors.SpendLimit,
            f"spend or rate limit reached with no retry time (429): {f.msg}; check {where}",
        )
    return f.made(
        errors.RateLimited,
        f"rate limited{f.tries} (429): try again in {wait:.0f} s",
        retry_after=wait,
        attempts=f.attempts,
    )


def _overloaded(f: _Failure) -> errors.ApiError:
    return f.made(
        errors.Overloaded,
        f"the API is overloaded (529){f.tries}: try again in a few minutes",
        attempts=f.attempts,
    )


def _server_failed(f: _Failure) -> errors.ApiError:
    return f.made(
        errors.Overloaded,
        f"the API failed ({f.e.status_code}){f.tries}: try again shortly",
        attempts=f.attempts,
    )


def _refused(f: _Failure) -> errors.ApiError:
    if is_prompt_too_long(f.e):
        too_long = f.made(
            errors.PromptTooLong,
            f"the API counted more input than the model's window ({f.msg}); the local estimate "
            "was under it: leave files out (the `exclude` setting), or review the changes only",
        )
        too_long.api_text = f.msg
        return too_long
    return f.made(errors.BadRequest, f"the API refused the request ({f.e.status_code}): {f.msg}")


# The error kind of each status with one of its own; other 5xx are server failures, the rest
# refusals (a 400 "prompt is too long" among them).
_BY_STATUS: dict[int, Callable[[_Failure], errors.ApiError]] = {
    401: _unauthorized,
    403: _forbidden,
    404: _not_found,
    413: _too_large,
    429: _rate_limited,
    529: _overloaded,
}


def _status_error(
    e: anthropic.APIStatusError, *, streaming_started: bool, provider: str, attempts: int
) -> errors.ApiError:
    import anthropic

    status = e.status_code
    msg = api_message(e)
    if status == 200 or streaming_started:
        return _made(
            errors.StreamBroken,
            f"the reply stream broke mid-way ({msg or 'error event'}); findings so far are "
            "kept but the review is incomplete",
            e,
        )
    failure = _Failure(
        e, msg, f" after {attempts} attempts" if attempts > 1 else "", provider, attempts
    )
    if isinstance(e, anthropic.OverloadedError) and status not in _BY_STATUS:
        return _overloaded(failure)
    kind = _BY_STATUS.get(status) or (_server_failed if status >= 500 else _refused)
    return kind(failure)


def map_error(
    e: BaseException, *, streaming_started: bool, provider: str = "anthropic", attempts: int = 1
) -> errors.ApiError:
    """One SDK (or transport) failure as a project error. ``attempts``: how many times the
    request was sent (the SDK's retries included), for the message."""
    import anthropic
    import httpx2

    if isinstance(e, errors.ApiError):
        return e
    if isinstance(e, anthropic.APIStatusError):
        return _status_error(
            e, streaming_started=streaming_started, provider=provider, attempts=attempts
        )
    if isinstance(e, anthropic.APITimeoutError):
        return errors.ConnectionFailed("the API did not answer in time: check the network")
    if isinstance(e, anthropic.APIConnectionError):
        if streaming_started:
            return errors.StreamBroken("the connection broke mid-reply; the review is incomplete")
        return errors.ConnectionFailed(
            "cannot reach the API: check the network, a proxy (HTTPS_PROXY) or the base URL "
            "(ANTHROPIC_BASE_URL, the `baseUrl` setting)",
            detail=str(e),
        )
    if isinstance(e, httpx2.HTTPError):
        if streaming_started:
            return errors.StreamBroken(
                f"the connection broke mid-reply ({type(e).__name__}); the review is incomplete"
            )
        return errors.ConnectionFailed(f"cannot reach the API ({type(e).__name__})", detail=str(e))
    if isinstance(e, ValueError) and streaming_started:
        # the SDK parses the streamed tool input as it grows and raises ValueError on JSON it
        # cannot parse even partially
        return errors.StreamBroken(
            "the reply's findings JSON was malformed; the review is incomplete", detail=str(e)
        )
    if isinstance(e, anthropic.AnthropicError):
        return errors.ApiError(f"API client error: {e}")
    return errors.ApiError(f"unexpected failure talking to the API: {type(e).__name__}: {e}")
