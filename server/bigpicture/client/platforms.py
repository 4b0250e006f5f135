"""The SDK's own async clients for Claude on the cloud platforms (the ``provider`` setting;
the SDK's ``lib/bedrock``, ``lib/vertex``, ``lib/foundry``), configured by their documented environment variables: Amazon
Bedrock (``AsyncAnthropicBedrock``: ``AWS_REGION``/``AWS_DEFAULT_REGION``,
``AWS_BEARER_TOKEN_BEDROCK`` or AWS credentials through boto3, ``ANTHROPIC_BEDROCK_BASE_URL``),
Google Vertex AI (``AsyncAnthropicVertex``: ``CLOUD_ML_REGION``, ``ANTHROPIC_VERTEX_PROJECT_ID``,
an access token in ``BIGPICTURE_VERTEX_ACCESS_TOKEN`` or google-auth Application Default
Credentials, ``ANTHROPIC_VERTEX_BASE_URL``) and Microsoft Foundry (``AsyncAnthropicFoundry``:
``ANTHROPIC_FOUNDRY_API_KEY`` or Microsoft Entra ID through azure-identity,
``ANTHROPIC_FOUNDRY_RESOURCE`` or ``ANTHROPIC_FOUNDRY_BASE_URL``). What the SDK reads from the
environment itself is left to it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any

from bigpicture.client.credentials import PROVIDERS, VERTEX_TOKEN_ENV, bedrock_region, env
from bigpicture.core import errors

# The Entra ID scope of Foundry (SDK lib/foundry.md, "Using Azure AD Token Provider").
FOUNDRY_SCOPE = "https://ai.azure.com/.default"


def _entra_token_provider() -> Callable[[], Awaitable[str]]:
    """A Microsoft Entra ID token provider for Foundry, as the SDK's foundry.md shows it
    (azure-identity's DefaultAzureCredential), run off the event loop."""
    from azure.identity import DefaultAzureCredential, get_bearer_token_provider

    sync_provider = get_bearer_token_provider(DefaultAzureCredential(), FOUNDRY_SCOPE)

    async def token() -> str:
        try:
            return str(await asyncio.to_thread(sync_provider))
        except Exception as e:
            raise errors.ApiError(
                f"Microsoft Entra ID sign-in for Foundry failed ({type(e).__name__}): sign in "
                "(az login) or set ANTHROPIC_FOUNDRY_API_KEY",
                detail=str(e),
            ) from e

    return token


def platform_client(provider: str, base_url: str | None, common: dict[str, Any]) -> Any:
    """The SDK's async client for a cloud platform; ``common`` holds the arguments every
    client takes (retries, timeout, HTTP client)."""
    import anthropic

    kwargs = dict(common)
    if base_url:
        kwargs["base_url"] = base_url
    try:
        if provider == "bedrock":
            region, _ = bedrock_region()
            return anthropic.AsyncAnthropicBedrock(aws_region=region, **kwargs)
        if provider == "vertex":
            vertex: dict[str, Any] = {"region": os.environ["CLOUD_ML_REGION"]}
            if env("ANTHROPIC_VERTEX_PROJECT_ID"):
                vertex["project_id"] = os.environ["ANTHROPIC_VERTEX_PROJECT_ID"]
            if env(VERTEX_TOKEN_ENV):
                vertex["access_token"] = os.environ[VERTEX_TOKEN_ENV]
            return anthropic.AsyncAnthropicVertex(**vertex, **kwargs)
        if provider == "foundry":
            if env("ANTHROPIC_FOUNDRY_API_KEY"):
                return anthropic.AsyncAnthropicFoundry(
                    api_key=os.environ["ANTHROPIC_FOUNDRY_API_KEY"], **kwargs
                )
            return anthropic.AsyncAnthropicFoundry(
                azure_ad_token_provider=_entra_token_provider(), **kwargs
            )
    except errors.BigPictureError:
        raise
    except Exception as e:
        raise errors.ConfigError(f"provider {provider}: {e}") from e
    raise errors.ConfigError(f"unknown provider {provider!r}: use one of {', '.join(PROVIDERS)}")
