"""The editor contract, in one place: the commands the server executes, the notifications it
sends, the summary every review returns, the error codes clients act on, and the settings
(keys, types, defaults, descriptions) clients contribute or validate.

The VS Code extension (``client-vscode/src/protocol.ts``, its ``package.json`` settings) and the
Neovim plugin (``client-nvim/lua/bigpicture/``) keep copies of these strings; tests compare
them with this module, so a change here that a client misses fails the suite.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, Literal

import msgspec

from bigpicture.core import config, errors

# --------------------------------------------------------------------------- commands

REVIEW_WORKSPACE = "bigpicture.reviewWorkspace"
REVIEW_CHANGES = "bigpicture.reviewChanges"
REVIEW_FILE = "bigpicture.reviewFile"
SHOW_PLAN = "bigpicture.showPlan"
ESTIMATE = "bigpicture.estimate"
CANCEL = "bigpicture.cancel"
CLEAR_FINDINGS = "bigpicture.clearFindings"
DISMISS_FINDING = "bigpicture.dismissFinding"
EXPLAIN_FINDING = "bigpicture.explainFinding"
USAGE = "bigpicture.usage"
FINDINGS = "bigpicture.findings"  # -> FindingsList
RESTORE_FINDING = "bigpicture.restoreFinding"  # [id] -> {"restored": id | None, ...}
# [options] -> Summary of kind "full": every file whole, in shards (``lsp.shards``)
REVIEW_ALL_SHARDS = "bigpicture.reviewAllShards"

COMMANDS = (
    REVIEW_WORKSPACE,
    REVIEW_CHANGES,
    REVIEW_FILE,
    SHOW_PLAN,
    ESTIMATE,
    CANCEL,
    CLEAR_FINDINGS,
    DISMISS_FINDING,
    EXPLAIN_FINDING,
    USAGE,
    FINDINGS,
    RESTORE_FINDING,
    REVIEW_ALL_SHARDS,
)

# --------------------------------------------------------------------------- notifications

REVIEW_FINISHED = "bigpicture/reviewFinished"  # params: Summary
CACHE_WARMED = "bigpicture/cacheWarmed"  # params: {"costUsd", "usage"}
# params: {"counts": {severity: n} (every severity, 0 when none), "total": n}; sent whenever the
# shown findings change (a review, an edit that drops one, a fix, a dismissal, a restore, a
# clear)
FINDINGS_CHANGED = "bigpicture/findingsChanged"

# --------------------------------------------------------------------------- error codes

# Stable codes by error class (never derived from class names, so renaming one is safe).
ERROR_CODES: dict[type[errors.BigPictureError], str] = {
    errors.NoApiKey: "no-api-key",
    errors.BadApiKey: "bad-api-key",
    errors.NoModelAccess: "no-model-access",
    errors.RateLimited: "rate-limited",
    errors.SpendLimit: "spend-limit",
    errors.Overloaded: "overloaded",
    errors.PromptTooLong: "prompt-too-long",
    errors.RequestTooLarge: "request-too-large",
    errors.ConnectionFailed: "connection-failed",
    errors.StreamBroken: "stream-broken",
    errors.BadRequest: "bad-request",
    errors.ApiError: "api-error",
    errors.BudgetError: "over-budget",
    errors.IncompleteReview: "incomplete",
    errors.NothingToReview: "nothing-to-review",
    errors.SecretScanError: "secret-scan-failed",
    errors.GatherError: "gather-failed",
    errors.ConfigError: "bad-config",
    errors.UsageError: "bad-argument",
    errors.BigPictureError: "failed",
}
# Codes the server sets without an exception.
OTHER_CODES = ("incomplete", "internal", "bad-argument", "not-found", "over-budget")


def error_code(e: BaseException) -> str:
    """The contract's code for an error: its class's, else its nearest base class's."""
    for cls in type(e).__mro__:
        code = ERROR_CODES.get(cls)
        if code is not None:
            return code
    return "internal"


def all_error_codes() -> list[str]:
    return sorted(set(ERROR_CODES.values()) | set(OTHER_CODES))


# --------------------------------------------------------------------------- the summary

Status = Literal["ok", "incomplete", "failed", "cancelled", "nothing-to-review", "over-budget"]

# What a review command does when a review is already running: cancel it and start (the
# default), run once after it ends, or start nothing and answer ``Busy``.
IfRunning = Literal["cancel", "wait", "ask"]


class ReviewOptions(msgspec.Struct):
    """The optional trailing options object of the three review commands."""

    ifRunning: IfRunning = "cancel"


class Replaced(msgspec.Struct):
    """The review a ``cancel`` review command cancelled to start."""

    kind: str
    trigger: str  # command | save


class Running(msgspec.Struct):
    kind: str
    trigger: str
    startedAt: str  # ISO 8601 (UTC)


class Busy(msgspec.Struct):
    """What an ``ask`` review command answers while a review runs: nothing was started."""

    kind: str  # the review that was asked for
    message: str
    running: Running
    status: Literal["busy"] = "busy"


class ShardInfo(msgspec.Struct, omit_defaults=False):
    """One shard of a full-coverage review, in its summary."""

    index: int
    files: int
    status: str  # complete | incomplete | failed
    findings: int
    reason: str | None = None


class Summary(msgspec.Struct, omit_defaults=False):
    """What a review command returns, and ``bigpicture/reviewFinished`` carries."""

    status: Status
    kind: str
    message: str
    findings: int = 0
    bySeverity: dict[str, int] = {}
    costUsd: float | None = None
    cacheReadShare: float | None = None
    usage: dict[str, int] | None = None
    requestId: str | None = None
    fromCache: bool = False
    error: str | None = None
    retryable: bool = False  # trying the same review again may succeed (429, 529, network)
    retryAfter: float | None = None  # seconds, when the API said
    reviewedAt: str | None = None  # ISO 8601 (UTC): when the review finished
    kept: int = 0  # findings still shown from earlier reviews, when this one failed
    restored: bool = False  # the last review's findings, restored when the server started
    replaced: Replaced | None = None  # the running review this one cancelled to start
    trigger: str = "command"  # command | save
    summaryText: str | None = None  # the model's own summary of the review
    filesSent: int | None = None  # files in the request (None: no plan was made)
    filesLeftOut: int | None = None  # files gathered but left out of the budget
    attempts: int | None = None  # HTTP attempts made (the first and the SDK's retries)
    shards: list[ShardInfo] | None = None  # a full-coverage review: each shard's status
    notReviewed: list[str] | None = None  # a full-coverage review: files of shards not complete


# --------------------------------------------------------------------------- findings


class Position(msgspec.Struct):
    line: int
    character: int  # in the client's position encoding (``lsp.convert``)


class Span(msgspec.Struct):
    start: Position
    end: Position


class RelatedPlace(msgspec.Struct):
    uri: str
    range: Span
    message: str


class SuggestedFix(msgspec.Struct):
    replacement: str


class FindingInfo(msgspec.Struct, omit_defaults=False):
    """One shown finding, as ``bigpicture.findings`` lists it."""

    id: str
    path: str
    uri: str
    range: Span
    severity: str
    category: str
    confidence: float | None
    title: str
    message: str
    cwe: str | None
    fix: SuggestedFix | None
    related: list[RelatedPlace]
    approximate: bool


class DismissedInfo(msgspec.Struct, omit_defaults=False):
    """One dismissal of ``.bigpicture/dismissed.json``."""

    id: str
    path: str
    title: str
    category: str | None  # None when neither the dismissal nor a held finding says
    reason: str
    dismissedAt: str  # ISO 8601 date


class FindingsList(msgspec.Struct, omit_defaults=False):
    """What ``bigpicture.findings`` returns: the last summary (None before any review) and
    every finding shown now, in path then range order, and every dismissal."""

    summary: dict[str, Any] | None
    findings: list[FindingInfo]
    dismissed: list[DismissedInfo]
    error: str | None = None  # set when the dismissals could not be read


def encode(obj: Any) -> Any:
    """A contract object as plain JSON-able data."""
    return msgspec.to_builtins(obj)


# --------------------------------------------------------------------------- settings


class SettingSpec(msgspec.Struct, frozen=True):
    key: str
    type: str  # JSON type: string | number | integer | boolean | array | object
    nullable: bool
    default: Any
    description: str
    enum: list[str] | None = None
    machine: bool = False  # never read from workspace files (per machine/user only)


def _json_type(hint: Any) -> tuple[str, bool, list[str] | None]:
    args = typing.get_args(hint)
    nullable = type(None) in args
    inner = [a for a in args if a is not type(None)] if nullable else [hint]
    base = inner[0] if len(inner) == 1 else hint
    origin = typing.get_origin(base)
    if origin is Literal:
        return "string", nullable, [str(a) for a in typing.get_args(base)]
    if base is bool:
        return "boolean", nullable, None
    if base is int:
        return "integer", nullable, None
    if base is float:
        return "number", nullable, None
    if base is str:
        return "string", nullable, None
    if origin in (tuple, list):
        return "array", nullable, None
    if origin is dict or base is dict:
        return "object", nullable, None
    raise TypeError(f"no JSON type for {hint!r}")


def settings() -> list[SettingSpec]:
    """Every setting the server reads, as clients contribute it."""
    hints = typing.get_type_hints(config.Settings)
    docs = config.setting_docs()
    out = []
    for f in dataclasses.fields(config.Settings):
        typ, nullable, enum = _json_type(hints[f.name])
        default: Any = f.default
        if default is dataclasses.MISSING and f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()  # type: ignore[operator]
        if isinstance(default, tuple):
            default = list(default)
        out.append(
            SettingSpec(
                key=f.name,
                type=typ,
                nullable=nullable,
                default=default,
                description=docs.get(f.name, ""),
                enum=enum,
                machine=f.name in config.NOT_FROM_WORKSPACE,
            )
        )
    return out
