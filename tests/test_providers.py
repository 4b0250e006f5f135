"""Claude on the cloud platforms (the ``provider`` setting) through the SDK's own clients.

Vertex and Foundry run end to end: a real ``bigpicture review`` against the fake API on the
paths it speaks for them (anthropic-api.md §11), with the platform's model ID on the wire. The
fake does not speak Bedrock's InvokeModel: for Bedrock the tests check what was sent and that
every missing piece (region, credentials, token counting) is one clear error before any request.
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import anthropic
import pytest
from bigpicture.cli import main
from bigpicture.client import credentials
from bigpicture.client.anthropic import ApiClient
from bigpicture.client.credentials import has_credentials, unsupported
from bigpicture.core import config as configuration
from bigpicture.core import errors
from bigpicture.core.registry import Registry
from conftest import commit, write
from fake_api import FakeAnthropic, ToolReply
from planted import planted_findings

VERTEX_TOKEN = "ya29.vertex-test-token"
FOUNDRY_KEY = "foundry-test-key"
FIRST_PARTY_KEY = "sk-ant-first-party-must-not-leak"
BEDROCK_TOKEN = "bedrock-test-api-key"

PLANTED_TITLES = {
    "SQL injection in find_user",
    "Command injection in ping",
    "Path traversal in read_report",
    "Hard-coded credential",
    "Data layer imports the web layer",
}

PLATFORM_ENV = (
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_BEARER_TOKEN_BEDROCK",
    "ANTHROPIC_BEDROCK_BASE_URL",
    "CLOUD_ML_REGION",
    "ANTHROPIC_VERTEX_PROJECT_ID",
    "ANTHROPIC_VERTEX_BASE_URL",
    "BIGPICTURE_VERTEX_ACCESS_TOKEN",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "ANTHROPIC_FOUNDRY_API_KEY",
    "ANTHROPIC_FOUNDRY_RESOURCE",
    "ANTHROPIC_FOUNDRY_BASE_URL",
)


@pytest.fixture(autouse=True)
def no_platform_env(monkeypatch, tmp_path):
    """No cloud credentials leak in from the machine; boto3, when installed, reads no real
    AWS files and never probes instance metadata."""
    for var in PLATFORM_ENV:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def fake():
    with FakeAnthropic(api_keys={VERTEX_TOKEN, FOUNDRY_KEY, FIRST_PARTY_KEY}) as f:
        yield f


def use_provider(root: Path, provider: str, **more: str) -> None:
    """Select the provider the way a repository does: ``[tool.bigpicture]`` in pyproject.toml."""
    lines = [f'provider = "{provider}"', *(f'{k} = "{v}"' for k, v in more.items())]
    write(root, "pyproject.toml", "[tool.bigpicture]\n" + "\n".join(lines) + "\n")
    commit(root, f"use {provider}")


def vertex_env(monkeypatch, fake: FakeAnthropic) -> None:
    monkeypatch.setenv("CLOUD_ML_REGION", "us-east5")
    monkeypatch.setenv("ANTHROPIC_VERTEX_PROJECT_ID", "bp-project")
    monkeypatch.setenv("BIGPICTURE_VERTEX_ACCESS_TOKEN", VERTEX_TOKEN)
    monkeypatch.setenv("ANTHROPIC_VERTEX_BASE_URL", fake.url)


def foundry_env(monkeypatch, fake: FakeAnthropic) -> None:
    monkeypatch.setenv("ANTHROPIC_FOUNDRY_API_KEY", FOUNDRY_KEY)
    monkeypatch.setenv("ANTHROPIC_FOUNDRY_BASE_URL", fake.url + "/anthropic")


def carries(sent, secret: str) -> bool:
    """Whether a recorded request carries ``secret`` in any header or in its body."""
    return any(secret in v for v in sent.headers.values()) or secret.encode() in sent.raw


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["review", *args, "-q"])
    out = capsys.readouterr()
    return code, out.out, out.err


# --------------------------------------------------------------------------- Vertex


def test_vertex_review_yields_the_planted_findings_with_the_vertex_model_id(
    defects, fake, capsys, monkeypatch
):
    use_provider(defects, "vertex")
    vertex_env(monkeypatch, fake)
    # First-party settings are present and must neither be sent nor redirect the platform.
    monkeypatch.setenv("ANTHROPIC_API_KEY", FIRST_PARTY_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    fake.script(ToolReply(planted_findings()))

    code, out, err = run(capsys, str(defects), "--model", "claude-haiku-4-5", "--format", "json")

    assert code == 0, err
    result = json.loads(out)
    assert result["complete"] is True
    assert {f["title"] for f in result["findings"]} == PLANTED_TITLES
    assert result["model"] == "claude-haiku-4-5"  # the plan and the price keep our ID
    u = result["usage"]
    haiku = (
        u["input_tokens"] * 1.0
        + u["cache_creation_input_tokens"] * 1.25
        + u["cache_read_input_tokens"] * 0.1
        + u["output_tokens"] * 5.0
    ) / 1e6
    assert result["cost"]["usd"] == pytest.approx(haiku, abs=1e-6)

    [sent] = fake.messages_requests()
    assert sent.path == (
        "/projects/bp-project/locations/us-east5/publishers/anthropic/models/"
        "claude-haiku-4-5@20251001:streamRawPredict"
    )
    assert sent.model == "claude-haiku-4-5@20251001"
    assert "model" not in sent.body and sent.body["anthropic_version"]
    assert sent.headers["authorization"] == f"Bearer {VERTEX_TOKEN}"
    assert "x-api-key" not in sent.headers
    assert not carries(sent, FIRST_PARTY_KEY)


def test_vertex_accepts_an_explicit_vertex_model_id(defects, fake, capsys, monkeypatch):
    use_provider(defects, "vertex")
    vertex_env(monkeypatch, fake)
    fake.script(ToolReply(planted_findings()))

    code, out, err = run(
        capsys, str(defects), "--model", "claude-sonnet-4-5@20250929", "--format", "json"
    )

    assert code == 0, err
    assert "unknown model" not in err  # found in the registry by its Vertex ID
    result = json.loads(out)
    assert len(result["findings"]) == 5
    assert fake.messages_requests()[0].path.endswith("/claude-sonnet-4-5@20250929:streamRawPredict")
    u = result["usage"]  # Sonnet 4.5 prices
    assert result["cost"]["usd"] == pytest.approx(
        (
            u["input_tokens"] * 3
            + u["cache_creation_input_tokens"] * 3.75
            + u["cache_read_input_tokens"] * 0.3
            + u["output_tokens"] * 15
        )
        / 1e6,
        abs=1e-6,
    )


def test_count_on_vertex_hits_count_tokens_raw_predict(defects, fake, capsys, monkeypatch):
    use_provider(defects, "vertex")
    vertex_env(monkeypatch, fake)

    code, out, err = run(
        capsys,
        str(defects),
        "--model",
        "claude-sonnet-4-5",
        "--count",
        "--dry-run",
        "--format",
        "json",
    )

    assert code == 0, err
    plan = json.loads(out)
    assert plan["exactInputTokens"] > 0
    [counted] = fake.requests
    assert counted.path == (
        "/projects/bp-project/locations/us-east5/publishers/anthropic/models/"
        "count-tokens:rawPredict"
    )
    assert counted.body["model"] == "claude-sonnet-4-5@20250929"
    assert counted.headers["authorization"] == f"Bearer {VERTEX_TOKEN}"
    assert fake.messages_requests() == []


def test_vertex_without_region_or_credentials_is_one_clear_error(
    defects, fake, capsys, monkeypatch
):
    use_provider(defects, "vertex")
    monkeypatch.setattr(credentials, "_installed", lambda module: False)  # no google-auth

    code, _, err = run(capsys, str(defects))

    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bigpicture: error: Google Vertex AI")
    for var in ("CLOUD_ML_REGION", "BIGPICTURE_VERTEX_ACCESS_TOKEN", "google-auth"):
        assert var in err
    assert fake.requests == []

    # a token without a project: the project is what is missing
    monkeypatch.setenv("CLOUD_ML_REGION", "us-east5")
    monkeypatch.setenv("BIGPICTURE_VERTEX_ACCESS_TOKEN", VERTEX_TOKEN)
    problem = credentials.credentials_problem("vertex")
    assert problem is not None and "ANTHROPIC_VERTEX_PROJECT_ID" in problem
    assert "CLOUD_ML_REGION" not in problem
    with pytest.raises(errors.ConfigError, match="ANTHROPIC_VERTEX_PROJECT_ID"):
        ApiClient(provider="vertex")


# --------------------------------------------------------------------------- Foundry


def test_foundry_review_yields_the_planted_findings_with_the_foundry_key(
    defects, fake, capsys, monkeypatch
):
    use_provider(defects, "foundry")
    foundry_env(monkeypatch, fake)
    monkeypatch.setenv("ANTHROPIC_API_KEY", FIRST_PARTY_KEY)
    fake.script(ToolReply(planted_findings()))

    code, out, err = run(
        capsys, str(defects), "--model", "claude-opus-4-5-20251101", "--format", "json"
    )

    assert code == 0, err
    result = json.loads(out)
    assert {f["title"] for f in result["findings"]} == PLANTED_TITLES
    assert result["model"] == "claude-opus-4-5-20251101"
    [sent] = fake.messages_requests()
    assert sent.path == "/anthropic/v1/messages"
    assert sent.body["model"] == "claude-opus-4-5"  # the Foundry ID from the registry
    assert sent.headers["x-api-key"] == FOUNDRY_KEY and sent.headers["api-key"] == FOUNDRY_KEY
    assert sent.headers["anthropic-version"]
    assert not carries(sent, FIRST_PARTY_KEY)


def test_foundry_endpoint_and_key_are_checked_before_any_request(
    defects, fake, capsys, monkeypatch
):
    use_provider(defects, "foundry")
    monkeypatch.setattr(credentials, "_installed", lambda module: False)  # no azure-identity

    code, _, err = run(capsys, str(defects))

    assert code == 2
    assert len(err.strip().splitlines()) == 1
    for var in ("ANTHROPIC_FOUNDRY_API_KEY", "ANTHROPIC_FOUNDRY_RESOURCE", "azure-identity"):
        assert var in err
    assert fake.requests == []

    monkeypatch.setenv("ANTHROPIC_FOUNDRY_API_KEY", FOUNDRY_KEY)
    monkeypatch.setenv("ANTHROPIC_FOUNDRY_RESOURCE", "my-resource")
    monkeypatch.setenv("ANTHROPIC_FOUNDRY_BASE_URL", fake.url + "/anthropic")
    with pytest.raises(errors.ConfigError, match="only one of ANTHROPIC_FOUNDRY_RESOURCE"):
        ApiClient(provider="foundry")
    # the baseUrl setting wins over both, as the SDK's base_url argument does
    assert has_credentials("foundry", base_url=fake.url + "/anthropic")


async def test_foundry_signs_in_with_entra_id_when_there_is_no_key(fake, monkeypatch):
    """Without ANTHROPIC_FOUNDRY_API_KEY the client uses azure-identity's token provider as
    the SDK's foundry.md shows it. azure-identity is not installed here: a stand-in module with
    its two documented functions records what BigPicture asked of it."""
    asked: list[str] = []
    identity = types.ModuleType("azure.identity")

    class DefaultAzureCredential:
        pass

    def get_bearer_token_provider(credential, scope):
        assert isinstance(credential, DefaultAzureCredential)
        asked.append(scope)
        return lambda: VERTEX_TOKEN  # any token the fake accepts

    identity.DefaultAzureCredential = DefaultAzureCredential
    identity.get_bearer_token_provider = get_bearer_token_provider
    azure = types.ModuleType("azure")
    azure.identity = identity
    monkeypatch.setitem(sys.modules, "azure", azure)
    monkeypatch.setitem(sys.modules, "azure.identity", identity)
    monkeypatch.setattr(credentials, "_installed", lambda module: module == "azure.identity")
    monkeypatch.setenv("ANTHROPIC_FOUNDRY_BASE_URL", fake.url + "/anthropic")
    fake.script(ToolReply({"findings": [], "summary": "clean"}))

    client = ApiClient(provider="foundry")
    try:
        reply = await client.stream(_small_body("claude-sonnet-4-6"))
    finally:
        await client.aclose()

    assert reply.tool_input == {"findings": [], "summary": "clean"}
    assert asked == ["https://ai.azure.com/.default"]
    [sent] = fake.messages_requests()
    assert sent.headers["authorization"] == f"Bearer {VERTEX_TOKEN}"
    assert "x-api-key" not in sent.headers


# --------------------------------------------------------------------------- Bedrock


@pytest.mark.parametrize(
    ("env", "named", "not_named"),
    [
        ({}, ["AWS_REGION", "AWS_BEARER_TOKEN_BEDROCK"], []),
        ({"AWS_REGION": "us-east-1"}, ["AWS_BEARER_TOKEN_BEDROCK"], ["AWS_REGION"]),
        ({"AWS_BEARER_TOKEN_BEDROCK": BEDROCK_TOKEN}, ["AWS_REGION"], ["AWS_BEARER_TOKEN"]),
    ],
)
def test_bedrock_without_region_or_credentials_is_one_clear_error(
    defects, fake, capsys, monkeypatch, env, named, not_named
):
    use_provider(defects, "bedrock")
    monkeypatch.setenv("ANTHROPIC_BEDROCK_BASE_URL", fake.url)
    for k, v in env.items():
        monkeypatch.setenv(k, v)

    code, out, err = run(capsys, str(defects))

    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bigpicture: error: Amazon Bedrock")
    for var in named:
        assert var in err
    for var in not_named:
        assert var not in err
    assert fake.requests == []
    with pytest.raises(errors.ConfigError):
        ApiClient(provider="bedrock")


def test_count_on_bedrock_is_a_clear_error(defects, fake, capsys, monkeypatch):
    use_provider(defects, "bedrock")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", BEDROCK_TOKEN)
    monkeypatch.setenv("ANTHROPIC_BEDROCK_BASE_URL", fake.url)

    code, _, err = run(capsys, str(defects), "--count")

    assert code == 2
    lines = err.strip().splitlines()
    assert lines == [f"bigpicture: error: {unsupported('bedrock', 'count_tokens')}"]
    assert "token counting is not available on Amazon Bedrock" in err
    assert fake.requests == []


async def test_bedrock_client_refuses_count_tokens_without_sending(fake, monkeypatch):
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", BEDROCK_TOKEN)
    monkeypatch.setenv("ANTHROPIC_BEDROCK_BASE_URL", fake.url)
    client = ApiClient(provider="bedrock")
    try:
        with pytest.raises(errors.BadRequest, match="not available with provider bedrock"):
            await client.count_tokens(_small_body("claude-sonnet-4-6"))
    finally:
        await client.aclose()
    assert fake.requests == []


def test_bedrock_sends_the_bedrock_model_id_with_the_bearer_token(
    defects, fake, capsys, monkeypatch
):
    """The fake does not speak InvokeModel (it answers 404); what matters is what was sent."""
    use_provider(defects, "bedrock")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", BEDROCK_TOKEN)
    monkeypatch.setenv("ANTHROPIC_BEDROCK_BASE_URL", fake.url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", FIRST_PARTY_KEY)

    code, _, err = run(capsys, str(defects), "--model", "claude-opus-4-6")

    assert code == 5 and "not found" in err
    [sent] = fake.requests
    assert sent.path == "/model/anthropic.claude-opus-4-6-v1/invoke-with-response-stream"
    assert sent.headers["authorization"] == f"Bearer {BEDROCK_TOKEN}"
    assert "model" not in sent.body and "stream" not in sent.body
    assert sent.body["anthropic_version"]
    assert not carries(sent, FIRST_PARTY_KEY)


async def test_bedrock_signs_with_aws_credentials_when_boto3_is_installed(fake, monkeypatch):
    pytest.importorskip("boto3")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("ANTHROPIC_BEDROCK_BASE_URL", fake.url)
    assert has_credentials("bedrock")
    client = ApiClient(provider="bedrock")
    try:
        with pytest.raises(errors.NoModelAccess):  # the fake's 404 for InvokeModel
            await client.stream(_small_body("us.anthropic.claude-sonnet-4-6"))
    finally:
        await client.aclose()
    [sent] = fake.requests
    assert sent.path == "/model/us.anthropic.claude-sonnet-4-6/invoke-with-response-stream"
    auth = sent.headers["authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/bedrock/aws4_request" in auth


# --------------------------------------------------------------------------- features


async def test_batches_are_unavailable_where_the_sdk_says_so(fake, monkeypatch):
    """A batch on a cloud platform is refused before anything is sent, naming the provider; the
    SDK's own platform clients have no batches either (Bedrock and Vertex raise, Foundry has
    none), which is what ``unsupported`` says."""
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", BEDROCK_TOKEN)
    monkeypatch.setenv("ANTHROPIC_BEDROCK_BASE_URL", fake.url)
    vertex_env(monkeypatch, fake)
    foundry_env(monkeypatch, fake)
    request = [{"custom_id": "a", "params": _small_body("claude-sonnet-4-6")}]
    for provider in ("bedrock", "vertex", "foundry"):
        client = ApiClient(provider=provider)
        try:
            with pytest.raises(errors.ConfigError, match=f"provider {provider} has no Message"):
                await client.create_batch(request)
        finally:
            await client.aclose()
    assert not any("batches" in r.path for r in fake.requests)  # nothing was sent
    sdk_bedrock = anthropic.AsyncAnthropicBedrock(aws_region="us-east-1", base_url=fake.url)
    with pytest.raises(anthropic.AnthropicError, match="Batch API is not supported"):
        await sdk_bedrock.messages.batches.create(requests=request)
    await sdk_bedrock.close()
    assert "Batches API is not available" in unsupported("bedrock", "batches")
    assert "Batches API is not available" in unsupported("vertex", "batches")
    assert "not available on Microsoft Foundry" in unsupported("foundry", "batches")
    assert unsupported("anthropic", "batches") is None
    assert unsupported("vertex", "count_tokens") is None
    assert unsupported("foundry", "count_tokens") is None
    assert fake.requests == []


# --------------------------------------------------------------------------- selection


def test_platform_variables_alone_do_not_select_a_platform(defects, fake, capsys, monkeypatch):
    vertex_env(monkeypatch, fake)
    foundry_env(monkeypatch, fake)
    monkeypatch.setenv("ANTHROPIC_API_KEY", FIRST_PARTY_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
    fake.script(ToolReply(planted_findings()))

    code, _, err = run(capsys, str(defects), "--model", "claude-haiku-4-5")

    assert code == 0, err
    [sent] = fake.messages_requests()
    assert sent.path == "/v1/messages"
    assert sent.body["model"] == "claude-haiku-4-5"  # first-party IDs are sent as given
    assert carries(sent, FIRST_PARTY_KEY)  # in whichever auth header the SDK uses


def test_provider_precedence_and_base_url_from_pyproject_is_refused(
    defects, fake, capsys, monkeypatch
):
    # pyproject selects; the editor's settings and the command line layer win over it
    use_provider(defects, "vertex", baseUrl="http://127.0.0.1:9")
    assert configuration.Settings().provider == "anthropic"
    settings, warnings = configuration.load(defects)
    assert settings.provider == "vertex" and settings.baseUrl is None
    assert any("baseUrl" in w and "not read from workspace files" in w for w in warnings)
    settings, _ = configuration.load(defects, ("initializationOptions", {"provider": "bedrock"}))
    assert settings.provider == "bedrock"
    settings, _ = configuration.load(
        defects,
        ("initializationOptions", {"provider": "bedrock"}),
        ("workspace/configuration", {"provider": "foundry"}),
    )
    assert settings.provider == "foundry"
    settings, warnings = configuration.load(defects, ("settings", {"provider": "azure"}))
    assert settings.provider == "vertex" and any("provider" in w for w in warnings)

    # the refused baseUrl does not redirect the review: the Vertex variable does
    vertex_env(monkeypatch, fake)
    fake.script(ToolReply(planted_findings()))
    code, out, err = run(capsys, str(defects), "--format", "json")
    assert code == 0, err
    assert "not read from workspace files" in err
    assert len(json.loads(out)["findings"]) == 5
    assert fake.messages_requests()[0].path.endswith("/claude-sonnet-4-6:streamRawPredict")


def test_dry_run_on_a_platform_needs_no_credentials(defects, fake, capsys):
    use_provider(defects, "bedrock")
    code, out, err = run(capsys, str(defects), "--dry-run", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["inputTokens"] > 0
    assert fake.requests == []


# --------------------------------------------------------------------------- model IDs


@pytest.mark.parametrize(
    ("model", "provider", "sent"),
    [
        ("claude-sonnet-4-6", "vertex", "claude-sonnet-4-6"),
        ("claude-sonnet-4-5", "vertex", "claude-sonnet-4-5@20250929"),
        ("claude-sonnet-4-5-20250929", "vertex", "claude-sonnet-4-5@20250929"),
        ("claude-haiku-4-5", "vertex", "claude-haiku-4-5@20251001"),
        ("claude-opus-4-6", "vertex", "claude-opus-4-6"),
        ("claude-opus-4-6", "bedrock", "anthropic.claude-opus-4-6-v1"),
        ("claude-sonnet-4-6", "bedrock", "anthropic.claude-sonnet-4-6"),
        ("claude-sonnet-4-5", "bedrock", "anthropic.claude-sonnet-4-5-20250929-v1:0"),
        ("claude-haiku-4-5-20251001", "bedrock", "anthropic.claude-haiku-4-5-20251001-v1:0"),
        ("claude-opus-4-5", "bedrock", "anthropic.claude-opus-4-5-20251101-v1:0"),
        ("claude-sonnet-4-5-20250929", "foundry", "claude-sonnet-4-5"),
        ("claude-opus-4-6", "foundry", "claude-opus-4-6"),
        # an explicit platform ID is kept, and another platform's ID is translated
        ("anthropic.claude-sonnet-4-6", "bedrock", "anthropic.claude-sonnet-4-6"),
        ("global.anthropic.claude-opus-4-6-v1", "bedrock", "global.anthropic.claude-opus-4-6-v1"),
        ("claude-haiku-4-5@20251001", "bedrock", "anthropic.claude-haiku-4-5-20251001-v1:0"),
        # first-party: always as given; unknown models: as given everywhere
        ("claude-sonnet-4-5@20250929", "anthropic", "claude-sonnet-4-5@20250929"),
        ("claude-future-9", "vertex", "claude-future-9"),
    ],
)
def test_platform_model_ids(model, provider, sent):
    assert Registry().platform_id(model, provider) == sent


def test_platform_ids_name_the_same_model_for_limits_and_prices():
    reg = Registry()
    base, _ = reg.get("claude-opus-4-6")
    for alias in ("anthropic.claude-opus-4-6-v1", "us.anthropic.claude-opus-4-6-v1"):
        info, warning = reg.get(alias)
        assert info.known and warning is None
        assert info.id == alias
        assert (info.context_window, info.input, info.output) == (
            base.context_window,
            base.input,
            base.output,
        )
    # platform IDs are names for our models, not models of their own
    assert len(reg.ids()) == 5 and all(m.startswith("claude-") for m in reg.ids())
    unknown, warning = reg.get("us.anthropic.claude-nothing-v1")
    assert not unknown.known and warning


async def test_models_setting_supplies_platform_ids_for_a_new_model(fake, monkeypatch):
    vertex_env(monkeypatch, fake)
    models = {
        "claude-house-1": {
            "contextWindow": 200000,
            "input": 3.0,
            "output": 15.0,
            "cacheWrite5m": 3.75,
            "cacheWrite1h": 6.0,
            "cacheRead": 0.3,
            "minCacheTokens": 1024,
            "maxOutput": 64000,
            "platformIds": {"vertex": "claude-sonnet-4-5@20250929"},
        }
    }
    fake.script(ToolReply({"findings": [], "summary": "clean"}))
    client = ApiClient(provider="vertex", models=models)
    try:
        assert client.model_for("claude-house-1") == "claude-sonnet-4-5@20250929"
        await client.stream(_small_body("claude-house-1"))
    finally:
        await client.aclose()
    assert fake.messages_requests()[0].model == "claude-sonnet-4-5@20250929"


def _small_body(model: str) -> dict:
    return {
        "model": model,
        "max_tokens": 256,
        "messages": [{"role": "user", "content": "Review nothing."}],
    }


def test_a_platform_refusing_the_credentials_names_the_platform(defects, fake, capsys, monkeypatch):
    from fake_api import ErrorReply

    use_provider(defects, "vertex")
    vertex_env(monkeypatch, fake)
    fake.script(ErrorReply(401, "authentication_error", "bad token"))
    code, _, err = run(capsys, str(defects))
    assert code == 5
    assert "vertex rejected the credentials" in err and "ANTHROPIC_API_KEY" not in err
