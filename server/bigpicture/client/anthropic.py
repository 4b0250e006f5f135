"""The only module that imports the ``anthropic`` SDK: it sends a plan's body, streams the
reply (or submits it in a Message Batch and reads the batch's results), and maps every SDK
failure onto the project's error tree.

Retries: one layer, the SDK's, configured once here (``max_retries``, a 5 s connect timeout,
a per-read timeout) plus an overall deadline around the whole call. The SDK retries
connection failures, 408, 409, 429 and 5xx before a response starts streaming; it never
re-sends a request whose stream has begun. We narrow it further: a 429 without
``retry-after`` is a spend or tier limit (anthropic-api.md 6.1), not retried. Nothing else in
BigPicture retries a request.

The key comes from the environment (``ANTHROPIC_API_KEY``, or ``ANTHROPIC_AUTH_TOKEN``), the
base URL from ``ANTHROPIC_BASE_URL`` or the ``baseUrl`` setting; never from workspace files.

Cloud platforms (the ``provider`` setting; anthropic-api.md §11) go through the SDK's own async
clients, configured by their documented environment variables: Amazon Bedrock
(``AsyncAnthropicBedrock``: ``AWS_REGION``/``AWS_DEFAULT_REGION``, ``AWS_BEARER_TOKEN_BEDROCK`` or
AWS credentials through boto3, ``ANTHROPIC_BEDROCK_BASE_URL``), Google Vertex AI
(``AsyncAnthropicVertex``: ``CLOUD_ML_REGION``, ``ANTHROPIC_VERTEX_PROJECT_ID``, an access token
in ``BIGPICTURE_VERTEX_ACCESS_TOKEN`` or google-auth Application Default Credentials,
``ANTHROPIC_VERTEX_BASE_URL``) and Microsoft Foundry (``AsyncAnthropicFoundry``:
``ANTHROPIC_FOUNDRY_API_KEY`` or Microsoft Entra ID through azure-identity,
``ANTHROPIC_FOUNDRY_RESOURCE`` or ``ANTHROPIC_FOUNDRY_BASE_URL``). What is missing is reported
before any request, naming the variables (``credentials_problem``). Plans, prices and the ledger
keep our model IDs; the request's ``model`` becomes the platform's ID as it is sent
(``Registry.platform_id``), so an explicit platform ID works too.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anthropic
import httpx2
from anthropic import AsyncAnthropic

from bigpicture.client.credentials import (
    PROVIDERS,
    VERTEX_TOKEN_ENV,
    _bedrock_region,
    _env,
    credentials_problem,
)

# Re-exported: the environment checks live in credentials.py, which needs no SDK import.
from bigpicture.client.credentials import api_key_from_env as api_key_from_env
from bigpicture.client.credentials import has_credentials as has_credentials
from bigpicture.client.credentials import unsupported as unsupported
from bigpicture.core import errors
from bigpicture.core.models import Usage
from bigpicture.core.registry import Registry

log = logging.getLogger(__name__)

DEFAULT_MAX_RETRIES = 2
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 600.0
DEFAULT_DEADLINE = 1800.0  # seconds for a whole review, retries and streaming included

# The Entra ID scope of Foundry (SDK lib/foundry.md, "Using Azure AD Token Provider").
FOUNDRY_SCOPE = "https://ai.azure.com/.default"

OnProgress = Callable[[dict[str, Any]], Awaitable[None] | None]


@dataclass
class Reply:
    """What came back, whole or not."""

    stop_reason: str | None = None
    tool_input: dict[str, Any] | None = None  # the report_findings input, when complete
    partial_tool_input: Any = None  # the last partial snapshot, when the stream broke
    text: str = ""
    usage: Usage = field(default_factory=Usage)
    request_id: str | None = None
    model: str = ""
    error: errors.ApiError | None = None  # a failure after the stream began


class _Client(AsyncAnthropic):
    """The SDK client with one change to its retry rule: a 429 without retry-after is a spend
    limit (or tier cap) and retrying it cannot succeed."""

    def _should_retry(self, response: httpx2.Response) -> bool:  # type: ignore[override]
        if response.status_code == 429 and not (
            response.headers.get("retry-after") or response.headers.get("retry-after-ms")
        ):
            return False
        return super()._should_retry(response)


class ApiClient:
    """Sends requests for one process. Create once, ``await aclose()`` at the end."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        provider: str = "anthropic",
        max_retries: int = DEFAULT_MAX_RETRIES,
        deadline: float = DEFAULT_DEADLINE,
        models: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        """``models``: the ``models`` setting (registry overrides), for platform model IDs."""
        self.provider = provider
        self.deadline = deadline
        timeout = httpx2.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)
        problem = credentials_problem(provider, base_url)
        if problem is not None:
            if provider == "anthropic":
                raise errors.NoApiKey(problem)
            raise errors.ConfigError(problem)
        self._registry = Registry(models)
        if provider == "anthropic":
            kwargs: dict[str, Any] = {
                "max_retries": max_retries,
                "timeout": timeout,
                "base_url": base_url or os.environ.get("ANTHROPIC_BASE_URL") or None,
            }
            if os.environ.get("ANTHROPIC_API_KEY"):
                kwargs["api_key"] = os.environ["ANTHROPIC_API_KEY"]
            else:
                kwargs["auth_token"] = os.environ["ANTHROPIC_AUTH_TOKEN"]
            self._sdk: Any = _Client(**kwargs)
        else:
            self._sdk = _platform_client(provider, base_url, max_retries, timeout)
            self._sdk._bp_model_for = self.model_for

    def model_for(self, model: str) -> str:
        """The model ID this client sends for ``model`` (our ID, an alias or a platform ID)."""
        return self._registry.platform_id(model, self.provider)

    async def aclose(self) -> None:
        await self._sdk.close()

    # ------------------------------------------------------------------ messages

    async def stream(
        self,
        body: dict[str, Any],
        *,
        betas: list[str] | None = None,
        on_progress: OnProgress | None = None,
    ) -> Reply:
        """Send ``body`` (a plan's request) streaming, and collect the reply.

        A failure before the stream starts raises the mapped error. A failure after it has
        started is returned on ``Reply.error`` with what was received so far, so the caller
        can report an incomplete review with what was recovered.
        """
        params = dict(body)
        extra_headers = {"anthropic-beta": ",".join(betas)} if betas else None
        reply = Reply(model=str(params.get("model", "")))
        started = False
        try:
            async with asyncio.timeout(self.deadline):
                async with self._sdk.messages.stream(
                    **params, extra_headers=extra_headers
                ) as stream:
                    started = True
                    reply.request_id = stream.request_id
                    async for event in stream:
                        await _dispatch(event, reply, on_progress)
                    final = await stream.get_final_message()
                    _fill_final(final, reply)
        except TimeoutError as e:
            err = errors.ConnectionFailed(
                f"the review did not finish within {self.deadline:.0f} s; nothing more was "
                "received",
                request_id=reply.request_id,
            )
            if started:
                reply.error = err
                return reply
            raise err from e
        except asyncio.CancelledError:
            raise
        except Exception as e:
            mapped = map_error(e, streaming_started=started, provider=self.provider)
            if reply.request_id and not mapped.request_id:
                mapped.request_id = reply.request_id
            if started:
                reply.error = mapped
                return reply
            raise mapped from e
        return reply

    async def count_tokens(self, body: dict[str, Any], *, betas: list[str] | None = None) -> int:
        """The exact input tokens of ``body`` from the free count_tokens endpoint."""
        params = {
            k: v
            for k, v in body.items()
            if k in ("model", "messages", "system", "tools", "tool_choice", "thinking")
        }
        try:
            async with asyncio.timeout(120):
                if betas:
                    res = await self._sdk.beta.messages.count_tokens(**params, betas=betas)
                else:
                    res = await self._sdk.messages.count_tokens(**params)
        except anthropic.AnthropicError as e:
            if not isinstance(e, anthropic.APIStatusError | anthropic.APIConnectionError):
                raise errors.BadRequest(
                    f"token counting is not available with provider {self.provider}: {e}"
                ) from e
            raise map_error(e, streaming_started=False, provider=self.provider) from e
        return int(res.input_tokens)

    async def create(self, body: dict[str, Any], *, betas: list[str] | None = None) -> Reply:
        """A small non-streaming request (cache keep-warm, short questions)."""
        extra_headers = {"anthropic-beta": ",".join(betas)} if betas else None
        try:
            async with asyncio.timeout(self.deadline):
                raw = await self._sdk.messages.with_raw_response.create(
                    **body, extra_headers=extra_headers, timeout=httpx2.Timeout(300, connect=5)
                )
                msg = await raw.parse()
        except asyncio.CancelledError:
            raise
        except Exception as e:
            raise map_error(e, streaming_started=False, provider=self.provider) from e
        reply = Reply(model=str(body.get("model", "")), request_id=raw.headers.get("request-id"))
        _fill_final(msg, reply)
        return reply

    @property
    def sdk(self) -> Any:
        """The SDK client, for the batch module."""
        return self._sdk

    # ------------------------------------------------------------------ message batches

    def _batches(self) -> Any:
        batches = getattr(self._sdk.messages, "batches", None)
        if batches is None:  # Foundry
            raise _no_batches(self.provider)
        return batches

    async def _batch_call(
        self, what: str, call: Callable[[], Awaitable[Any]], batch_id: str | None = None
    ) -> Any:
        try:
            async with asyncio.timeout(300):
                return await call()
        except asyncio.CancelledError:
            raise
        except TimeoutError as e:
            raise errors.ConnectionFailed(f"the API did not answer the batch {what} in time") from e
        except Exception as e:
            if isinstance(e, anthropic.AnthropicError) and "Batch API is not supported" in str(e):
                raise _no_batches(self.provider) from e  # Bedrock and Vertex raise before sending
            status = getattr(e, "status_code", None)
            rid = getattr(e, "request_id", None)
            if status == 404 and batch_id is not None:
                raise errors.BadRequest(
                    f"batch {batch_id} not found (404): it was deleted, its results are past "
                    "the 29 days they are kept, or it belongs to another key or workspace",
                    status=404,
                    request_id=rid,
                ) from e
            if status == 413 and batch_id is None:
                raise errors.RequestTooLarge(
                    "the batch is over the API's 256 MB limit (413): submit fewer paths per "
                    "batch, or exclude large files with --exclude",
                    status=413,
                    request_id=rid,
                ) from e
            raise map_error(e, streaming_started=False, provider=self.provider) from e

    async def create_batch(
        self, requests: list[dict[str, Any]], *, betas: list[str] | None = None
    ) -> BatchStatus:
        """Submit one Message Batch: ``requests`` is ``[{"custom_id", "params"}]`` with
        non-streaming request bodies. ``betas`` apply to the whole batch."""
        batches = self._batches()
        extra_headers = {"anthropic-beta": ",".join(betas)} if betas else None
        got = await self._batch_call(
            "submission",
            lambda: batches.create(
                requests=requests,
                extra_headers=extra_headers,
                timeout=httpx2.Timeout(300, connect=CONNECT_TIMEOUT),
            ),
        )
        return _batch_status(got)

    async def retrieve_batch(self, batch_id: str) -> BatchStatus:
        batches = self._batches()
        got = await self._batch_call("status", lambda: batches.retrieve(batch_id), batch_id)
        return _batch_status(got)

    async def cancel_batch(self, batch_id: str) -> BatchStatus:
        batches = self._batches()
        got = await self._batch_call("cancel", lambda: batches.cancel(batch_id), batch_id)
        return _batch_status(got)

    async def batch_results(self, batch_id: str) -> list[BatchItem]:
        """Every request's result of an ended batch (in no particular order)."""
        batches = self._batches()

        async def collect() -> list[BatchItem]:
            decoder = await batches.results(batch_id)
            return [_batch_item(line, batch_id) async for line in decoder]

        try:
            return await self._batch_call("results", collect, batch_id)
        except errors.ApiError as e:
            if "No `results_url`" in str(e.message):
                raise errors.BadRequest(
                    f"batch {batch_id} has not ended yet: no results to fetch"
                ) from e
            raise


@dataclass
class BatchStatus:
    """A Message Batch as the API reports it (anthropic-api.md section 5)."""

    id: str
    processing_status: str  # in_progress | canceling | ended
    counts: dict[str, int]  # processing, succeeded, errored, canceled, expired
    created_at: str | None = None
    expires_at: str | None = None
    ended_at: str | None = None
    cancel_initiated_at: str | None = None

    @property
    def ended(self) -> bool:
        return self.processing_status == "ended"


@dataclass
class BatchItem:
    """One request's result: ``kind`` is succeeded, errored, canceled or expired; a
    succeeded one has ``reply``, an errored one ``error`` (type: message)."""

    custom_id: str
    kind: str
    reply: Reply | None = None
    error: str | None = None


def _no_batches(provider: str) -> errors.ConfigError:
    return errors.ConfigError(
        f"provider {provider} has no Message Batches API (the SDK supports batches only on "
        "the Claude API): use provider anthropic, or review without --batch"
    )


def _stamp(value: Any) -> str | None:
    if value is None:
        return None
    iso = getattr(value, "isoformat", None)
    return iso().replace("+00:00", "Z") if iso else str(value)


def _batch_status(b: Any) -> BatchStatus:
    rc = b.request_counts
    counts = {
        k: int(getattr(rc, k, 0) or 0)
        for k in ("processing", "succeeded", "errored", "canceled", "expired")
    }
    return BatchStatus(
        id=b.id,
        processing_status=str(b.processing_status),
        counts=counts,
        created_at=_stamp(b.created_at),
        expires_at=_stamp(b.expires_at),
        ended_at=_stamp(b.ended_at),
        cancel_initiated_at=_stamp(b.cancel_initiated_at),
    )


def _batch_item(line: Any, batch_id: str) -> BatchItem:
    result = line.result
    kind = str(result.type)
    item = BatchItem(custom_id=line.custom_id, kind=kind)
    if kind == "succeeded":
        reply = Reply(model=str(result.message.model or ""), request_id=batch_id)
        _fill_final(result.message, reply)
        item.reply = reply
    elif kind == "errored":
        err = getattr(result.error, "error", None)
        etype = getattr(err, "type", "error")
        emsg = getattr(err, "message", "") or ""
        rid = getattr(result.error, "request_id", None)
        item.error = f"{etype}: {emsg}" + (f" (request {rid})" if rid else "")
    return item


async def _dispatch(event: Any, reply: Reply, on_progress: OnProgress | None) -> None:
    etype = getattr(event, "type", "")
    if etype == "message_start":
        reply.usage = _usage(event.message.usage)
        if on_progress:
            await _call(on_progress, {"stage": "started", "usage": reply.usage})
    elif etype == "input_json":
        reply.partial_tool_input = event.snapshot
        if on_progress:
            await _call(on_progress, {"stage": "receiving", "partial": event.snapshot})
    elif etype == "text":
        reply.text += event.text
    elif etype == "message_delta":
        if getattr(event, "usage", None) is not None:
            reply.usage = _merge_usage(reply.usage, event.usage)
        if event.delta.stop_reason:
            reply.stop_reason = event.delta.stop_reason


async def _call(fn: OnProgress, payload: dict[str, Any]) -> None:
    res = fn(payload)
    if asyncio.iscoroutine(res):
        await res


def _fill_final(msg: Any, reply: Reply) -> None:
    reply.stop_reason = msg.stop_reason
    reply.usage = _usage(msg.usage)
    reply.model = msg.model or reply.model
    text = []
    for block in msg.content:
        if block.type == "tool_use" and block.name == "report_findings":
            reply.tool_input = block.input if isinstance(block.input, dict) else None
        elif block.type == "text":
            text.append(block.text)
    reply.text = "".join(text)


def _usage(u: Any) -> Usage:
    if u is None:
        return Usage()
    cc = getattr(u, "cache_creation", None)
    w5 = getattr(cc, "ephemeral_5m_input_tokens", 0) or 0 if cc else 0
    w1 = getattr(cc, "ephemeral_1h_input_tokens", 0) or 0 if cc else 0
    created = getattr(u, "cache_creation_input_tokens", 0) or 0
    if not cc:
        w5, w1 = created, 0
    return Usage(
        input_tokens=u.input_tokens or 0,
        output_tokens=u.output_tokens or 0,
        cache_creation_input_tokens=created,
        cache_read_input_tokens=getattr(u, "cache_read_input_tokens", 0) or 0,
        cache_write_5m=w5,
        cache_write_1h=w1,
    )


def _merge_usage(prev: Usage, delta: Any) -> Usage:
    """message_delta usage is cumulative; its optional fields may be left out."""
    import msgspec

    changes: dict[str, int] = {}
    for name in (
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
    ):
        val = getattr(delta, name, None)
        if val is not None:
            changes[name] = val
    return msgspec.structs.replace(prev, **changes)


def _retry_after(e: anthropic.APIStatusError) -> float | None:
    h = e.response.headers if e.response is not None else {}
    try:
        if h.get("retry-after-ms"):
            return float(h["retry-after-ms"]) / 1000
        if h.get("retry-after"):
            return float(h["retry-after"])
    except ValueError:
        return None
    return None


def map_error(
    e: BaseException, *, streaming_started: bool, provider: str = "anthropic"
) -> errors.ApiError:
    """One SDK (or transport) failure as a project error with a message a user can act on."""
    if isinstance(e, errors.ApiError):
        return e
    if isinstance(e, anthropic.APIStatusError):
        status = e.status_code
        rid = getattr(e, "request_id", None)
        api_msg = _api_message(e)
        common = {"status": status, "request_id": rid, "detail": str(e)}
        if status == 200 or streaming_started:
            return errors.StreamBroken(
                f"the reply stream broke mid-way ({api_msg or 'error event'}); findings so far "
                "are kept but the review is incomplete",
                **common,
            )
        if status == 401:
            if provider != "anthropic":
                return errors.BadApiKey(
                    f"{provider} rejected the credentials (401): check its environment "
                    "variables (README, Cloud platforms)",
                    **common,
                )
            return errors.BadApiKey(
                "the API rejected the key (401): check ANTHROPIC_API_KEY", **common
            )
        if status == 403:
            return errors.NoModelAccess(
                f"this key has no access to the model or resource (403): {api_msg}", **common
            )
        if status == 404:
            return errors.NoModelAccess(
                f"model not found, or this key has no access to it (404): {api_msg}; choose "
                "another with --model or the `model` setting",
                **common,
            )
        if status == 413:
            return errors.RequestTooLarge(
                "the request is over the API's 32 MB limit (413): exclude large files with "
                "--exclude or the `exclude` setting",
                **common,
            )
        if status == 429:
            ra = _retry_after(e)
            if ra is None:
                return errors.SpendLimit(
                    f"spend or rate limit reached with no retry time (429): {api_msg}; check "
                    + (
                        "the limits in the Anthropic console"
                        if provider == "anthropic"
                        else f"the quotas of your {provider} account"
                    ),
                    **common,
                )
            return errors.RateLimited(
                f"rate limited (429): retry in {ra:.0f} s", retry_after=ra, **common
            )
        if status in (529,) or isinstance(e, anthropic.OverloadedError):
            return errors.Overloaded(
                "the API is overloaded (529) after retries: try again in a few minutes", **common
            )
        if status >= 500:
            return errors.Overloaded(
                f"the API failed ({status}) after retries: try again shortly", **common
            )
        if status == 400 and api_msg.startswith("prompt is too long"):
            return errors.PromptTooLong(
                f"{api_msg}: leave files out with --exclude, review the changes only "
                "(--diff), or use a model with a larger window",
                **common,
            )
        return errors.BadRequest(f"the API refused the request ({status}): {api_msg}", **common)
    if isinstance(e, anthropic.APITimeoutError):
        return errors.ConnectionFailed("the API did not answer in time: check the network")
    if isinstance(e, anthropic.APIConnectionError):
        if streaming_started:
            return errors.StreamBroken("the connection broke mid-reply; the review is incomplete")
        return errors.ConnectionFailed(
            "cannot reach the API: check the network, a proxy (HTTPS_PROXY) or ANTHROPIC_BASE_URL",
            detail=str(e),
        )
    if isinstance(e, httpx2.HTTPError):
        if streaming_started:
            return errors.StreamBroken(
                f"the connection broke mid-reply ({type(e).__name__}); the review is incomplete"
            )
        return errors.ConnectionFailed(f"cannot reach the API ({type(e).__name__})", detail=str(e))
    if isinstance(e, ValueError) and "tool parameter JSON" in str(e):
        return errors.StreamBroken(
            "the reply's findings JSON was malformed; the review is incomplete"
        )
    if isinstance(e, anthropic.AnthropicError):
        return errors.ApiError(f"API client error: {e}")
    return errors.ApiError(f"unexpected failure talking to the API: {type(e).__name__}: {e}")


def _api_message(e: anthropic.APIStatusError) -> str:
    body = e.body if isinstance(e.body, dict) else {}
    err = body.get("error") if isinstance(body.get("error"), dict) else body
    msg = err.get("message") if isinstance(err, dict) else None
    return str(msg or getattr(e, "message", "") or "").strip()


class _PlatformModel:
    """Sends the platform's model ID: the request body's ``model`` is translated just before
    the SDK's platform hook moves it into the URL (Vertex, Bedrock) or sends it (Foundry)."""

    _bp_model_for: Callable[[str], str]

    async def _prepare_options(self, options: Any) -> Any:
        data = options.json_data
        if isinstance(data, dict) and isinstance(data.get("model"), str):
            sent = self._bp_model_for(data["model"])
            if sent != data["model"]:
                options = copy.copy(options)
                options.json_data = {**data, "model": sent}
        return await super()._prepare_options(options)  # type: ignore[misc]


class _Bedrock(_PlatformModel, anthropic.AsyncAnthropicBedrock):
    pass


class _Vertex(_PlatformModel, anthropic.AsyncAnthropicVertex):
    pass


class _Foundry(_PlatformModel, anthropic.AsyncAnthropicFoundry):
    pass


def _entra_token_provider() -> Callable[[], Awaitable[str]]:
    """A Microsoft Entra ID token provider for Foundry, as the SDK's foundry.md shows it
    (azure-identity's DefaultAzureCredential), run off the event loop."""
    from azure.identity import DefaultAzureCredential, get_bearer_token_provider

    sync_provider = get_bearer_token_provider(DefaultAzureCredential(), FOUNDRY_SCOPE)

    async def token() -> str:
        try:
            return await asyncio.to_thread(sync_provider)
        except Exception as e:
            raise errors.ApiError(
                f"Microsoft Entra ID sign-in for Foundry failed ({type(e).__name__}): sign in "
                "(az login) or set ANTHROPIC_FOUNDRY_API_KEY",
                detail=str(e),
            ) from e

    return token


def _platform_client(provider: str, base_url: str | None, max_retries: int, timeout: Any) -> Any:
    """The SDK's async client for a cloud platform, with the SDK's documented arguments
    (lib/bedrock, lib/vertex, lib/foundry.py); what the SDK reads from the environment itself
    (base URLs, AWS_BEARER_TOKEN_BEDROCK, ANTHROPIC_FOUNDRY_*) is left to it."""
    common: dict[str, Any] = {"max_retries": max_retries, "timeout": timeout}
    if base_url:
        common["base_url"] = base_url
    try:
        if provider == "bedrock":
            region, _ = _bedrock_region()
            return _Bedrock(aws_region=region, **common)
        if provider == "vertex":
            vertex: dict[str, Any] = {"region": os.environ["CLOUD_ML_REGION"]}
            if _env("ANTHROPIC_VERTEX_PROJECT_ID"):
                vertex["project_id"] = os.environ["ANTHROPIC_VERTEX_PROJECT_ID"]
            if _env(VERTEX_TOKEN_ENV):
                vertex["access_token"] = os.environ[VERTEX_TOKEN_ENV]
            return _Vertex(**vertex, **common)
        if provider == "foundry":
            if _env("ANTHROPIC_FOUNDRY_API_KEY"):
                return _Foundry(api_key=os.environ["ANTHROPIC_FOUNDRY_API_KEY"], **common)
            return _Foundry(azure_ad_token_provider=_entra_token_provider(), **common)
    except errors.BigPictureError:
        raise
    except Exception as e:
        raise errors.ConfigError(f"provider {provider}: {e}") from e
    raise errors.ConfigError(f"unknown provider {provider!r}: use one of {', '.join(PROVIDERS)}")
