"""The only module that imports the ``anthropic`` SDK: it sends a request body built by the
planner (``core.request``), streams the reply (or submits Message Batches and reads their
results), and maps every SDK failure onto the project's error tree (``client.errors``).

Retries: one layer, the SDK's, configured once here (``max_retries``, a 5 s connect timeout,
a per-read timeout) plus an overall deadline around the whole call. The SDK retries
connection failures, 408, 409, 429 and 5xx before a response starts streaming, and never
re-sends a request whose stream has begun. One rule is ours: a 429 without ``retry-after``
is a spend or tier limit (https://platform.claude.com/docs/en/api/rate-limits), and retrying cannot help; a response hook
on the SDK's HTTP client marks it with the SDK's documented ``x-should-retry: false``
header. Nothing else in BigPicture retries a request.

The key comes from the environment (``ANTHROPIC_API_KEY``, or ``ANTHROPIC_AUTH_TOKEN``), the
base URL from ``ANTHROPIC_BASE_URL`` or the ``baseUrl`` setting; never from workspace files.
On a cloud platform (``client.platforms``) plans, prices and the ledger keep our model IDs;
the request's ``model`` becomes the platform's ID as it is sent (``Registry.platform_id``).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx2

from bigpicture.client.credentials import credentials_problem
from bigpicture.client.errors import map_error, no_batches
from bigpicture.client.events import (
    BatchItem,
    BatchStatus,
    OnProgress,
    StreamState,
    batch_item,
    batch_status,
    dispatch,
    fill_final,
)
from bigpicture.client.platforms import platform_client
from bigpicture.core import errors
from bigpicture.core.registry import Registry
from bigpicture.core.reply.interpret import Reply

log = logging.getLogger(__name__)

DEFAULT_MAX_RETRIES = 2
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 600.0
DEFAULT_DEADLINE = 1800.0  # seconds for a whole review, retries and streaming included

# Responses (attempts) seen by the call running in this task: the SDK's retries included.
_ATTEMPTS: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "bigpicture_attempts", default=None
)


async def _on_response(response: httpx2.Response) -> None:
    """Count the attempt; a 429 without a retry time is a spend limit: tell the SDK (its
    ``x-should-retry`` header) not to retry it."""
    counter = _ATTEMPTS.get()
    if counter is not None:
        counter[0] += 1
    if response.status_code == 429 and not (
        response.headers.get("retry-after") or response.headers.get("retry-after-ms")
    ):
        response.headers["x-should-retry"] = "false"


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
        import anthropic
        import httpx2

        self.provider = provider
        self.deadline = deadline
        problem = credentials_problem(provider, base_url)
        if problem is not None:
            if provider == "anthropic":
                raise errors.NoApiKey(problem)
            raise errors.ConfigError(problem)
        self._registry = Registry(models)
        timeout = httpx2.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)
        common: dict[str, Any] = {
            "max_retries": max_retries,
            "timeout": timeout,
            "http_client": anthropic.DefaultAsyncHttpxClient(
                timeout=timeout, event_hooks={"response": [_on_response]}
            ),
        }
        if provider == "anthropic":
            common["base_url"] = base_url or os.environ.get("ANTHROPIC_BASE_URL") or None
            if os.environ.get("ANTHROPIC_API_KEY"):
                common["api_key"] = os.environ["ANTHROPIC_API_KEY"]
            else:
                common["auth_token"] = os.environ["ANTHROPIC_AUTH_TOKEN"]
            self._sdk: Any = anthropic.AsyncAnthropic(**common)
        else:
            self._sdk = platform_client(provider, base_url, common)

    def model_for(self, model: str) -> str:
        """The model ID this client sends for ``model`` (our ID, an alias or a platform ID)."""
        return self._registry.platform_id(model, self.provider)

    def _params(self, body: dict[str, Any]) -> dict[str, Any]:
        params = dict(body)
        if isinstance(params.get("model"), str):
            params["model"] = self.model_for(params["model"])
        return params

    async def aclose(self) -> None:
        await self._sdk.close()

    # ------------------------------------------------------------------ messages

    async def stream(
        self,
        body: dict[str, Any],
        *,
        betas: list[str] | None = None,
        on_progress: OnProgress | None = None,
        into: Reply | None = None,
    ) -> Reply:
        """Send ``body`` (a plan's request) streaming, and collect the reply.

        A failure before the stream starts raises the mapped error. A failure after it has
        started is returned on ``Reply.error`` with what was received so far, so the caller
        can report an incomplete review with what was recovered. ``into``: the Reply to fill,
        so a caller that is cancelled still holds what had arrived (the usage it must record).
        """
        extra_headers = {"anthropic-beta": ",".join(betas)} if betas else None
        reply = into if into is not None else Reply(model=str(body.get("model", "")))
        state = StreamState()
        started = False
        attempts = [0]
        token = _ATTEMPTS.set(attempts)
        try:
            async with asyncio.timeout(self.deadline):
                async with self._sdk.messages.stream(
                    **self._params(body), extra_headers=extra_headers
                ) as stream:
                    started = True
                    reply.request_id = stream.request_id
                    async for event in stream:
                        await dispatch(event, reply, state, on_progress)
                    fill_final(await stream.get_final_message(), reply)
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
            reply.interrupted = started
            raise
        except Exception as e:
            mapped = map_error(
                e, streaming_started=started, provider=self.provider, attempts=attempts[0]
            )
            if reply.request_id and not mapped.request_id:
                mapped.request_id = reply.request_id
            if started:
                reply.error = mapped
                return reply
            raise mapped from e
        finally:
            _ATTEMPTS.reset(token)
            reply.attempts = attempts[0]
        return reply

    async def count_tokens(self, body: dict[str, Any], *, betas: list[str] | None = None) -> int:
        """The exact input tokens of ``body`` from the free count_tokens endpoint."""
        import anthropic

        params = {
            k: v
            for k, v in self._params(body).items()
            if k in ("model", "messages", "system", "tools", "tool_choice", "thinking")
        }
        try:
            async with asyncio.timeout(120):
                if betas:
                    res = await self._sdk.beta.messages.count_tokens(**params, betas=betas)
                else:
                    res = await self._sdk.messages.count_tokens(**params)
        except (anthropic.APIStatusError, anthropic.APIConnectionError) as e:
            raise map_error(e, streaming_started=False, provider=self.provider) from e
        except anthropic.AnthropicError as e:
            raise errors.BadRequest(
                f"token counting is not available with provider {self.provider}: {e}"
            ) from e
        return int(res.input_tokens)

    async def create(self, body: dict[str, Any], *, betas: list[str] | None = None) -> Reply:
        """A small non-streaming request (cache keep-warm, short questions)."""
        import httpx2

        extra_headers = {"anthropic-beta": ",".join(betas)} if betas else None
        attempts = [0]
        token = _ATTEMPTS.set(attempts)
        try:
            async with asyncio.timeout(self.deadline):
                raw = await self._sdk.messages.with_raw_response.create(
                    **self._params(body),
                    extra_headers=extra_headers,
                    timeout=httpx2.Timeout(300, connect=CONNECT_TIMEOUT),
                )
                msg = await raw.parse()
        except asyncio.CancelledError:
            raise
        except Exception as e:
            raise map_error(
                e, streaming_started=False, provider=self.provider, attempts=attempts[0]
            ) from e
        finally:
            _ATTEMPTS.reset(token)
        reply = Reply(model=str(body.get("model", "")), request_id=raw.headers.get("request-id"))
        fill_final(msg, reply)
        return reply

    # ------------------------------------------------------------------ message batches

    def _batches(self) -> Any:
        if self.provider != "anthropic":  # the SDK has batches only on the Claude API
            raise no_batches(self.provider)
        return self._sdk.messages.batches

    async def _batch_call(
        self, what: str, call: Callable[[], Awaitable[Any]], batch_id: str | None = None
    ) -> Any:
        import anthropic

        try:
            async with asyncio.timeout(300):
                return await call()
        except asyncio.CancelledError:
            raise
        except TimeoutError as e:
            raise errors.ConnectionFailed(f"the API did not answer the batch {what} in time") from e
        except anthropic.APIStatusError as e:
            if e.status_code == 404 and batch_id is not None:
                raise errors.BadRequest(
                    f"batch {batch_id} not found (404): it was deleted, its results are past "
                    "the 29 days they are kept, or it belongs to another key or workspace",
                    status=404,
                    request_id=e.request_id,
                ) from e
            if e.status_code == 413 and batch_id is None:
                raise errors.RequestTooLarge(
                    "the batch is over the API's 256 MB limit (413): submit fewer paths per "
                    "batch, or leave large files out (the `exclude` setting)",
                    status=413,
                    request_id=e.request_id,
                ) from e
            raise map_error(e, streaming_started=False, provider=self.provider) from e
        except Exception as e:
            raise map_error(e, streaming_started=False, provider=self.provider) from e

    async def create_batch(
        self, requests: list[dict[str, Any]], *, betas: list[str] | None = None
    ) -> BatchStatus:
        """Submit one Message Batch: ``requests`` is ``[{"custom_id", "params"}]`` with
        non-streaming request bodies. ``betas`` apply to the whole batch."""
        import httpx2

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
        return batch_status(got)

    async def retrieve_batch(self, batch_id: str) -> BatchStatus:
        batches = self._batches()
        got = await self._batch_call("status", lambda: batches.retrieve(batch_id), batch_id)
        return batch_status(got)

    async def cancel_batch(self, batch_id: str) -> BatchStatus:
        batches = self._batches()
        got = await self._batch_call("cancel", lambda: batches.cancel(batch_id), batch_id)
        return batch_status(got)

    async def batch_results(self, batch_id: str) -> list[BatchItem]:
        """Every request's result of an ended batch (in no particular order)."""
        batches = self._batches()
        status = await self.retrieve_batch(batch_id)
        if not status.ended:
            raise errors.BadRequest(f"batch {batch_id} has not ended yet: no results to fetch")

        async def collect() -> list[BatchItem]:
            decoder = await batches.results(batch_id)
            return [batch_item(line, batch_id) async for line in decoder]

        return list(await self._batch_call("results", collect, batch_id))


__all__ = ["ApiClient", "BatchItem", "BatchStatus"]
