"""Request checks, per the validator checklist of anthropic-api.md §13.

Statuses and error types follow the reference. Message texts quoted there are used verbatim
(``prompt is too long: N tokens > M maximum``, the unknown-beta text, ``max_tokens: X > Y,
which is ...``, ``input length and `max_tokens` exceed context limit ...``,
``Extra inputs are not permitted``); the others are plausible wording and are UNCONFIRMED, so
tests should rely on status and ``error.type`` for them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, invalid
from .models import BETA_INTERLEAVED, BETA_WINDOW_EXCEEDED, ModelSpec, ModelTable
from .prefix import PrefixBlock, flatten, total_tokens
from .tokens import compact_json

# SDK 2.10.0 ``AnthropicBetaParam`` literals (types/anthropic_beta_param.py).
KNOWN_BETAS = frozenset(
    [
        "computer-use-2024-10-22",
        "computer-use-2025-01-24",
        "output-128k-2025-02-19",
        "mcp-client-2025-04-04",
        "mcp-client-2025-11-20",
        "dev-full-thinking-2025-05-14",
        "interleaved-thinking-2025-05-14",
        "code-execution-2025-05-22",
        "context-1m-2025-08-07",
        "context-management-2025-06-27",
        "model-context-window-exceeded-2025-08-26",
        "fast-mode-2026-02-01",
        "output-300k-2026-03-24",
        "user-profiles-2026-03-24",
        "user-profiles-2026-08-18",
        "user-profiles-2026-09-04",
        "advisor-tool-2026-03-01",
        "managed-agents-2026-04-01",
        "dreaming-2026-04-21",
        "thinking-token-count-2026-05-13",
        "server-side-fallback-2026-06-01",
        "server-side-fallback-2026-07-01",
        "fallback-credit-2026-06-01",
        "fallback-credit-2026-07-01",
        "agent-memory-2026-07-22",
        "mid-conversation-tool-changes-2026-07-01",
        "compact-2026-01-12",
        "computer-use-2025-11-24",
        "mcp-tunnels-2026-06-22",
        "structured-outputs-2025-11-13",
        "task-budgets-2026-03-13",
        "thinking-display-updates-2026-08-18",
        "mid-conversation-output-config-2026-07-01",
        "thinking-binding-controls-2026-08-01",
        "mid-conversation-system-clear-at-2026-08-21",
        "compact-2026-09-04",
        "inline-tools-2026-09-15",
        "mcp-client-2026-09-15",
        "ce-plugins-2026-09-01",
        "spend-limit-reads-2026-09-26",
        "telemetry-destinations-2026-08-11",
        "webhooks-2026-10-07",
        "admin-user-sign-out-2026-10-08",
        "message-threads-2026-08-12",
        "analytics-usage-cost-2026-08-24",
        "experimental-claude-tag-2026-10-21",
        "message-batches-2024-09-24",
        "prompt-caching-2024-07-31",
        "pdfs-2024-09-25",
        "token-counting-2024-11-01",
        "token-efficient-tools-2025-02-19",
        "files-api-2025-04-14",
        "extended-cache-ttl-2025-04-11",
        "skills-2025-10-02",
        "cache-diagnosis-2026-04-07",
        "ce-user-management-2026-07-13",
        "user-profiles-billing-2026-10-01",
    ]
)

# Body fields of MessageCreateParams and BetaMessageCreateParams in SDK 2.10.0, plus the
# sampling fields the API accepts (§10.2), the transitional ``output_format`` (§8) and
# Vertex's ``anthropic_version`` (§11).
CREATE_FIELDS = frozenset(
    [
        "model",
        "max_tokens",
        "messages",
        "system",
        "temperature",
        "top_p",
        "top_k",
        "stop_sequences",
        "stream",
        "metadata",
        "tools",
        "tool_choice",
        "thinking",
        "service_tier",
        "output_config",
        "cache_control",
        "inference_geo",
        "speed",
        "container",
        "diagnostics",
        "output_format",
        "anthropic_version",
        "billing_policy",
        "compaction",
        "context_management",
        "fallback_credit_token",
        "fallbacks",
        "mcp_servers",
        "thread",
    ]
)
# count_tokens: create's shape without max_tokens; stream, metadata, stop_sequences and
# service_tier are "not accepted" (§4). max_tokens is tolerated (not documented either way).
COUNT_FIELDS = frozenset(
    [
        "model",
        "messages",
        "system",
        "tools",
        "tool_choice",
        "thinking",
        "cache_control",
        "output_config",
        "speed",
        "anthropic_version",
        "context_management",
        "mcp_servers",
        "output_format",
        "max_tokens",
    ]
)
MAX_MESSAGES = 100_000


@dataclass
class Checked:
    """A request that passed validation."""

    spec: ModelSpec
    model: str  # as the client named it (response ``model``)
    betas: frozenset[str]
    blocks: list[PrefixBlock]
    input_tokens: int


def parse_betas(headers: dict[str, str], known: frozenset[str]) -> frozenset[str]:
    raw = headers.get("anthropic-beta", "")
    betas = [b.strip() for b in raw.split(",") if b.strip()]
    unknown = [b for b in betas if b not in known]
    if unknown:
        names = ", ".join(f"`{b}`" for b in unknown)
        raise invalid(
            f"Unexpected value(s) {names} for the `anthropic-beta` header. Please consult our "
            "documentation at platform.claude.com/docs or try again without the header."
        )
    return frozenset(betas)


def check_auth(headers: dict[str, str], api_keys: set[str] | None) -> None:
    key = headers.get("x-api-key") or headers.get("api-key")
    auth = headers.get("authorization", "")
    if not key and auth.lower().startswith("bearer "):
        key = auth[7:].strip()
    if not key:
        raise ApiError(401, "authentication_error", "x-api-key header is required")
    if api_keys is not None and key not in api_keys:
        raise ApiError(401, "authentication_error", "invalid x-api-key")


def check_version(headers: dict[str, str], body: dict[str, Any] | None, vertex: bool) -> None:
    if vertex:
        if not isinstance(body, dict) or not body.get("anthropic_version"):
            raise invalid("anthropic_version: Field required")
    elif not headers.get("anthropic-version"):
        raise invalid("anthropic-version: header is required")


def _known_fields(body: dict[str, Any], allowed: frozenset[str], not_accepted=()) -> None:
    for key in body:
        if key not in allowed or key in not_accepted:
            raise invalid(f"{key}: Extra inputs are not permitted")


def _model(
    body: dict[str, Any], models: ModelTable, path_model: str | None
) -> tuple[ModelSpec, str]:
    model = path_model if path_model is not None else body.get("model")
    if not isinstance(model, str) or not model:
        raise invalid("model: Field required")
    spec = models.get(model)
    if spec is None:
        raise ApiError(404, "not_found_error", f"model: {model}")
    return spec, model


def _messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise invalid("messages: Field required")
    if len(messages) > MAX_MESSAGES:
        raise invalid(f"messages: at most {MAX_MESSAGES} messages are allowed")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            raise invalid(f"messages.{i}.role: Input should be 'user' or 'assistant'")
    return messages


def _thinking(body: dict[str, Any], spec: ModelSpec, betas: frozenset[str], messages: list) -> None:
    thinking = body.get("thinking")
    kind = thinking.get("type") if isinstance(thinking, dict) else None
    if thinking is not None and kind not in ("enabled", "adaptive", "disabled", "between_tools"):
        raise invalid("thinking.type: Input should be 'enabled', 'adaptive' or 'disabled'")
    max_tokens = body.get("max_tokens")
    if kind == "enabled":
        budget = thinking.get("budget_tokens")
        if not isinstance(budget, int) or budget < 1024:
            raise invalid(
                "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
            )
        if isinstance(max_tokens, int) and budget >= max_tokens and BETA_INTERLEAVED not in betas:
            raise invalid("`max_tokens` must be greater than `thinking.budget_tokens`")
        choice = body.get("tool_choice") or {}
        if choice.get("type") in ("any", "tool"):
            raise invalid("Thinking may not be enabled when tool_choice forces tool use.")
    if kind == "adaptive" and not spec.adaptive_thinking:
        raise invalid(f"thinking.type: 'adaptive' is not supported by {spec.id}")
    if kind in ("enabled", "adaptive"):
        if body.get("temperature") not in (None, 1, 1.0):
            raise invalid("temperature may only be set to 1 when thinking is enabled")
        if body.get("top_k") is not None:
            raise invalid("top_k is not supported when thinking is enabled")
        top_p = body.get("top_p")
        if top_p is not None and not (0.95 <= top_p <= 1):
            raise invalid("top_p must be between 0.95 and 1 when thinking is enabled")
    prefill = bool(messages) and messages[-1].get("role") == "assistant"
    if prefill and not spec.prefill:
        raise invalid(
            "This model does not support assistant message prefill. The conversation must end "
            "with a user message."
        )
    if prefill and kind in ("enabled", "adaptive"):
        raise invalid("Assistant message prefill is not supported when thinking is enabled.")


_HEX_RUN = re.compile(r"[0-9a-f]{8,}")


def _hex_extra(unit: Any, chars_per_token: float) -> int:
    """Tokens a finer hex split adds to a block's base count (base: four characters a token)."""
    run = sum(len(m) for m in _HEX_RUN.findall(compact_json(unit)))
    return max(0, math.ceil(run / chars_per_token) - run // 4)


def scaled(blocks: list[PrefixBlock], spec: ModelSpec) -> list[PrefixBlock]:
    """The blocks' tokens as ``spec``'s tokenizer counts them (``ModelSpec.token_factor``,
    ``ModelSpec.hex_chars_per_token``)."""
    if spec.hex_chars_per_token is not None:
        for block in blocks:
            block.tokens += _hex_extra(block.unit, spec.hex_chars_per_token)
    if spec.token_factor != 1.0:
        for block in blocks:
            block.tokens = math.ceil(block.tokens * spec.token_factor)
    return blocks


def validate_create(
    body: Any,
    models: ModelTable,
    betas: frozenset[str],
    *,
    path_model: str | None = None,
    batch: bool = False,
) -> Checked:
    """Checks a Messages create body (§13 items 5-7 and 9)."""
    if not isinstance(body, dict):
        raise invalid("Request body must be a JSON object")
    if path_model is None and "model" not in body:
        raise invalid("model: Field required")
    if "max_tokens" not in body:
        raise invalid("max_tokens: Field required")
    messages = _messages(body)
    spec, model = _model(body, models, path_model)
    _known_fields(body, CREATE_FIELDS)
    if batch and body.get("stream"):
        raise invalid("stream: Extra inputs are not permitted")
    max_tokens = body["max_tokens"]
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 0:
        raise invalid("max_tokens: Input should be a non-negative integer")
    cap = spec.output_cap(betas, batch=batch)
    if max_tokens > cap:
        raise invalid(
            f"max_tokens: {max_tokens} > {cap}, which is the maximum allowed number of output "
            f"tokens for {model}"
        )
    if "stream" in body and not isinstance(body["stream"], bool):
        raise invalid("stream: Input should be a valid boolean")
    _thinking(body, spec, betas, messages)
    blocks = scaled(flatten(body), spec)
    total = total_tokens(blocks)
    window = spec.window(betas)
    if total > window:
        raise invalid(f"prompt is too long: {total} tokens > {window} maximum")
    if (
        spec.max_tokens_counts_toward_window
        and BETA_WINDOW_EXCEEDED not in betas
        and total + max_tokens > window
    ):
        raise invalid(
            f"input length and `max_tokens` exceed context limit: {total} + {max_tokens} > "
            f"{window}, decrease input length or `max_tokens` and try again"
        )
    return Checked(spec=spec, model=model, betas=betas, blocks=blocks, input_tokens=total)


def validate_count(body: Any, models: ModelTable, betas: frozenset[str]) -> Checked:
    """Checks a count_tokens body (§4). Markers are accepted and have no effect."""
    if not isinstance(body, dict):
        raise invalid("Request body must be a JSON object")
    messages = _messages(body)
    spec, model = _model(body, models, None)
    _known_fields(body, COUNT_FIELDS)
    _thinking({**body, "max_tokens": None}, spec, betas, messages)
    blocks = scaled(flatten(body, check_markers=False), spec)
    return Checked(
        spec=spec, model=model, betas=betas, blocks=blocks, input_tokens=total_tokens(blocks)
    )
