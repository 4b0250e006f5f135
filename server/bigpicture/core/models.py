"""The plain data every layer shares: files, snapshots, plans, findings, usage.

Everything here is a msgspec Struct, so it encodes to JSON (the CLI's ``--format json``,
the ledger, the result cache) without hand-written converters. Positions are 0-based
lines (split the LSP way, see ``core.lines``) and 0-based columns counted in code points;
conversion to UTF-16 or to SARIF's 1-based columns happens only at the edges.
"""

from __future__ import annotations

from typing import Literal

import msgspec

Severity = Literal["critical", "high", "medium", "low", "info"]
Category = Literal["security", "architecture", "bug", "performance", "maintainability"]

SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "info")
CATEGORIES: tuple[Category, ...] = (
    "security",
    "architecture",
    "bug",
    "performance",
    "maintainability",
)


def severity_rank(severity: str) -> int:
    """0 for critical ... 4 for info; unknown severities sort last."""
    try:
        return SEVERITIES.index(severity)
    except ValueError:
        return len(SEVERITIES)


# --------------------------------------------------------------------------- gathering

SkipReason = Literal[
    "binary",
    "too-large",
    "lockfile",
    "generated",
    "secret-path",
    "symlink-outside",
    "symlink-loop",
    "excluded",
    "unreadable",
]


class Redaction(msgspec.Struct, frozen=True):
    """One secret value replaced before sending. The value itself is never kept."""

    path: str
    line: int  # 1-based
    rule: str


class SourceFile(msgspec.Struct, frozen=True):
    """A file that may be sent. When ``loaded``, it holds exactly the text that will be sent.

    A large workspace is gathered lazily (``core.gather.gather.gather(lazy=True)``): every
    file is listed with its path, size, kind and history, but only the files the budget
    chooses are read, decoded and secret-scanned (``core.gather.gather.load``). Until then
    ``loaded`` is False, ``text`` and ``sha`` are empty, and the plan refuses to send it."""

    path: str  # workspace-relative, POSIX
    text: str  # decoded once, secrets redacted ("" while not loaded)
    sha: str  # sha256 of ``text`` (hex, first 16 chars; "" while not loaded)
    size: int  # bytes on disk
    encoding: str = "utf-8"
    kind: str = "source"  # source | test | doc | vendor | config
    last_change: int = 0  # unix time of the last commit touching it (mtime outside git); 0 = new
    redactions: int = 0
    dirty: bool = False  # differs from HEAD (modified, staged or untracked)
    loaded: bool = True  # False: listed and sized only, not read or scanned yet


class Skipped(msgspec.Struct, frozen=True):
    """A file that will not be sent, and why."""

    path: str
    reason: SkipReason
    detail: str = ""


class ChangedFile(msgspec.Struct, frozen=True):
    path: str
    status: str  # added | modified | deleted | renamed | untracked
    old_path: str | None = None


class DiffInfo(msgspec.Struct, frozen=True):
    """The focus of a changes review: what changed, as a unified diff (redacted)."""

    base: str  # "HEAD" or the ref the merge-base was taken with
    base_commit: str
    files: list[ChangedFile]
    patch: str  # unified diff text, exactly as sent (after redaction)
    redactions: list[Redaction] = []


class PathRule(msgspec.Struct, frozen=True):
    """One ``paths`` entry of the team's policy: a gitignore-style pattern and its rule."""

    pattern: str
    rule: Literal["ignore", "strict"]


class SeverityOverride(msgspec.Struct, frozen=True):
    """One ``severityOverrides`` entry: a category or a CWE id, and the severity it gets."""

    match: str  # "performance" or "CWE-79"
    severity: Severity


class Policy(msgspec.Struct, frozen=True):
    """The team's review policy (``core.gather.policy``): ``.bigpicture/REVIEW.md`` and the
    ``paths`` and ``severityOverrides`` keys of ``[tool.bigpicture]``, read from the working
    tree, or from the base of a changes review."""

    source: str = "working tree"  # or "base <commit>" in a changes review
    text: str = ""  # REVIEW.md exactly as sent (secrets redacted); "" when there is none
    size: int = 0  # bytes of REVIEW.md
    paths: list[PathRule] = []
    severity_overrides: list[SeverityOverride] = []
    redactions: int = 0  # secret values replaced in REVIEW.md
    working_tree_differs: bool = False  # a changes review: the working tree's policy differs

    @property
    def empty(self) -> bool:
        return not (self.text or self.paths or self.severity_overrides)


class Snapshot(msgspec.Struct):
    """What a review could send: the workspace, with the diff when it is a changes review."""

    root: str
    files: list[SourceFile]
    skipped: list[Skipped] = []
    redactions: list[Redaction] = []
    is_git: bool = False
    head: str | None = None  # commit id of HEAD when in git
    diff: DiffInfo | None = None
    focus: list[str] = []  # paths in focus (diff files, or the file of a file review)
    policy: Policy | None = None  # the team's policy in force (``core.gather.policy``)

    def by_path(self) -> dict[str, SourceFile]:
        return {f.path: f for f in self.files}


# --------------------------------------------------------------------------- planning


class LeftOut(msgspec.Struct, frozen=True):
    """A file that was gathered but does not fit the budget."""

    path: str
    tokens: int
    reason: str = "over budget"


class Segment(msgspec.Struct, frozen=True):
    """One contiguous part of the request, as laid out for the prompt cache."""

    name: str  # "instructions", "repository tier 1", "changes", "request", ...
    files: int
    tokens: int
    breakpoint: bool  # a cache_control marker ends this segment
    ttl: str | None = None


class CostEstimate(msgspec.Struct, frozen=True):
    first: float  # USD: a review that writes the cache
    repeat: float  # USD: a review that reads the stable prefix from the cache
    no_cache: float  # USD: the same request with no caching at all
    batch_first: float
    batch_repeat: float
    tier: str  # "standard" or "long-context"
    output_tokens_assumed: int


# --------------------------------------------------------------------------- findings


class Range(msgspec.Struct, frozen=True):
    """0-based start/end line and code-point column on LSP-split lines; end exclusive."""

    start_line: int
    start_char: int
    end_line: int
    end_char: int


class Fix(msgspec.Struct, frozen=True):
    replacement: str


class Related(msgspec.Struct, frozen=True):
    path: str
    line: int
    quote: str = ""
    message: str = ""
    range: Range | None = None


class Finding(msgspec.Struct, frozen=True):
    """A finding as reported by the model and then anchored to the text that was sent."""

    path: str
    line: int  # 1-based, as reported (after anchoring: the anchored first line)
    quote: str
    severity: Severity
    category: Category
    title: str
    message: str
    end_line: int | None = None
    fix: Fix | None = None
    cwe: str | None = None
    related: list[Related] = []
    confidence: float | None = None
    # set by anchoring
    id: str = ""
    range: Range | None = None
    approximate: bool = False
    suppressed: str | None = None  # "false-positive" | "wont-fix" when dismissed


# --------------------------------------------------------------------------- usage and cost


class Usage(msgspec.Struct, frozen=True):
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0

    @property
    def total_input(self) -> int:
        return self.input_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens

    @property
    def cache_read_share(self) -> float:
        total = self.total_input
        return self.cache_read_input_tokens / total if total else 0.0


class Cost(msgspec.Struct, frozen=True):
    usd: float
    tier: str
    batch: bool = False
    list_price_usd: float = 0.0  # the same tokens with no caching and no batch discount


# --------------------------------------------------------------------------- a review's result


class DroppedCounts(msgspec.Struct):
    malformed: int = 0  # failed schema validation (one finding, not the whole reply)
    unknown_path: int = 0  # path was not sent
    out_of_range: int = 0  # line outside the file
    below_threshold: int = 0  # under minSeverity / confidence bar


class ShardStatus(msgspec.Struct):
    """One shard of a full-coverage review (``review --coverage full``) and how it ended."""

    index: int  # 1-based
    files: list[str]  # the files it carried, whole
    tokens: int  # the estimated input tokens of its request
    status: str  # complete | incomplete | failed | not-sent
    reason: str | None = None  # why it is not complete
    findings: int = 0  # findings it reported (after anchoring and filtering)
    request_id: str | None = None
    cost_usd: float | None = None
    from_cache: bool = False


class ReviewResult(msgspec.Struct):
    """What one review produced: what every output format renders."""

    kind: str  # "workspace" | "changes" | "file"
    model: str
    findings: list[Finding]
    summary: str = ""
    complete: bool = True
    incomplete_reason: str | None = None  # e.g. "refused", "max_tokens", "stream broken"
    dropped: DroppedCounts = msgspec.field(default_factory=DroppedCounts)
    usage: Usage | None = None
    cost: Cost | None = None
    request_id: str | None = None
    left_out: list[LeftOut] = []
    skipped: list[Skipped] = []
    redactions: list[Redaction] = []
    files_sent: int = 0
    from_cache: bool = False  # served from the local result cache, no API call
    root: str = ""
    attempts: int = 0  # HTTP attempts its request took (0: none, e.g. from the cache)
    shards: list[ShardStatus] = []  # a full-coverage review: each shard's status, in order

    @property
    def not_reviewed(self) -> list[str]:
        """The files of the shards that did not complete (a full-coverage review)."""
        return sorted(p for s in self.shards if s.status != "complete" for p in s.files)
