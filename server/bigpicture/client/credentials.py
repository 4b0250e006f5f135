"""What each provider needs from the environment, checked without the SDK or the network.

Kept apart from ``anthropic.py`` (which re-exports it) so the CLI can decide between sending and
showing the plan without importing the SDK. The variables are the SDK's documented ones
(the SDK's ``lib/bedrock``, ``lib/vertex``, ``lib/foundry.py``), plus
``BIGPICTURE_VERTEX_ACCESS_TOKEN``: the SDK's Vertex client takes an access token only as an
argument, so BigPicture reads it from there.
"""

from __future__ import annotations

import importlib.util
import os

PROVIDERS = ("anthropic", "bedrock", "vertex", "foundry")
PLATFORM_NAMES = {
    "anthropic": "the Claude API",
    "bedrock": "Amazon Bedrock",
    "vertex": "Google Vertex AI",
    "foundry": "Microsoft Foundry",
}
VERTEX_TOKEN_ENV = "BIGPICTURE_VERTEX_ACCESS_TOKEN"


def api_key_from_env() -> str | None:
    return os.environ.get("ANTHROPIC_API_KEY") or os.environ.get("ANTHROPIC_AUTH_TOKEN") or None


def env(name: str) -> str | None:
    return os.environ.get(name) or None


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a missing parent package (``google`` of google.auth)
        return False


def bedrock_region() -> tuple[str | None, str | None]:
    """``(region, problem)`` as the SDK's Bedrock client infers it: the environment, then the
    AWS profile through boto3 when it is installed."""
    region = env("AWS_REGION") or env("AWS_DEFAULT_REGION")
    if region or not _installed("boto3"):
        return region, None
    try:
        import boto3

        return boto3.Session().region_name or None, None
    except Exception as e:  # a missing AWS_PROFILE, an unreadable config file
        return None, f"the AWS configuration cannot be read ({type(e).__name__}: {e})"


def credentials_problem(provider: str = "anthropic", base_url: str | None = None) -> str | None:
    """What ``provider`` is missing to send a request, as one actionable sentence naming the
    environment variables; None when it has what it needs. Reads the environment (and, for
    Bedrock with boto3, the local AWS configuration); never calls the API."""
    if provider == "anthropic":
        if api_key_from_env() is not None:
            return None
        return (
            "ANTHROPIC_API_KEY is not set: set it in the environment of BigPicture "
            "(never in a settings file), or look at the plan, which needs no key"
        )
    fixes: list[str] = []
    if provider == "bedrock":
        region, unreadable = bedrock_region()
        if unreadable:
            fixes.append(unreadable)
        elif not region:
            fixes.append("set AWS_REGION (or AWS_DEFAULT_REGION, or a region in your AWS profile)")
        if not env("AWS_BEARER_TOKEN_BEDROCK"):
            signing = (
                "AWS credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)"
            )
            if not _installed("boto3"):
                fixes.append(
                    "set AWS_BEARER_TOKEN_BEDROCK (a Bedrock API key), or install boto3 "
                    f"(pip install 'anthropic[bedrock]') to sign with {signing}"
                )
            elif not unreadable and not _bedrock_has_aws_credentials():
                fixes.append(f"set AWS_BEARER_TOKEN_BEDROCK (a Bedrock API key) or {signing}")
    elif provider == "vertex":
        if not env("CLOUD_ML_REGION"):
            fixes.append("set CLOUD_ML_REGION (the region, e.g. us-east5, europe-west1 or global)")
        if env(VERTEX_TOKEN_ENV):
            if not env("ANTHROPIC_VERTEX_PROJECT_ID"):
                fixes.append("set ANTHROPIC_VERTEX_PROJECT_ID (the Google Cloud project)")
        elif not _installed("google.auth"):
            fixes.append(
                f"set {VERTEX_TOKEN_ENV} (e.g. from `gcloud auth print-access-token`) and "
                "ANTHROPIC_VERTEX_PROJECT_ID, or install google-auth (pip install "
                "'anthropic[vertex]') to use Application Default Credentials"
            )
    elif provider == "foundry":
        if not env("ANTHROPIC_FOUNDRY_API_KEY") and not _installed("azure.identity"):
            fixes.append(
                "set ANTHROPIC_FOUNDRY_API_KEY, or install azure-identity to sign in with "
                "Microsoft Entra ID"
            )
        if not base_url:
            resource = env("ANTHROPIC_FOUNDRY_RESOURCE")
            foundry_url = env("ANTHROPIC_FOUNDRY_BASE_URL")
            if resource and foundry_url:
                fixes.append(
                    "set only one of ANTHROPIC_FOUNDRY_RESOURCE and ANTHROPIC_FOUNDRY_BASE_URL"
                )
            elif not resource and not foundry_url:
                fixes.append(
                    "set ANTHROPIC_FOUNDRY_RESOURCE (the resource name in "
                    "https://<resource>.services.ai.azure.com) or ANTHROPIC_FOUNDRY_BASE_URL"
                )
    else:
        return f"unknown provider {provider!r}: use one of {', '.join(PROVIDERS)}"
    if not fixes:
        return None
    return f"{PLATFORM_NAMES[provider]} (provider {provider}) is not configured: " + "; ".join(
        fixes
    )


def _bedrock_has_aws_credentials() -> bool:
    """Whether boto3 resolves AWS credentials, as the SDK's SigV4 signing will."""
    try:
        import boto3

        return boto3.Session().get_credentials() is not None
    except Exception:
        return False


def has_credentials(provider: str = "anthropic", base_url: str | None = None) -> bool:
    """Whether ``provider`` has what it needs to send (see ``credentials_problem``)."""
    return credentials_problem(provider, base_url) is None


_UNSUPPORTED = {
    ("bedrock", "count_tokens"): "token counting is not available on Amazon Bedrock (the SDK's "
    "Bedrock client does not support it): drop --count; the plan's estimate needs no API",
    ("bedrock", "batches"): "the Message Batches API is not available on Amazon Bedrock through "
    "the SDK: review without batches",
    ("vertex", "batches"): "the Message Batches API is not available on Google Vertex AI through "
    "the SDK: review without batches",
    ("foundry", "batches"): "the Message Batches API is not available on Microsoft Foundry: "
    "review without batches",
}


def unsupported(provider: str, feature: str) -> str | None:
    """Why ``feature`` (``count_tokens`` or ``batches``) is not available on ``provider``, as a
    message for the user; None when it is (the SDK has no token counting on Bedrock and no
    batches on any platform)."""
    return _UNSUPPORTED.get((provider, feature))
