"""The team's review policy: what the repository's maintainers committed about how it is to be
reviewed.

- ``.bigpicture/REVIEW.md``: free text (what matters here, what to ignore, the architecture's
  layers), sent to the model in the cached prefix (``core.request.prompt.policy_text``). At
  most ``MAX_POLICY_BYTES``, UTF-8, secret-scanned like every text that is sent.
- ``[tool.bigpicture]`` in ``pyproject.toml``:

  - ``paths = { "migrations/**" = "ignore", "payments/**" = "strict" }``: gitignore-style
    patterns. ``ignore``: not sent, not reviewed, no finding reported there (listed in the
    plan as never sent, with the pattern). ``strict``: the model is told to review those
    files with extra care and to report smaller problems too, and ``minSeverity`` does not
    hide their findings. When several patterns match a path, the last one wins (as in
    ``.gitignore``).
  - ``severityOverrides = { performance = "low", "CWE-79" = "critical" }``: the severity
    a finding of that category, or with that CWE, gets, applied in code to what the model
    reported (a CWE entry wins over a category entry).

In a changes review the policy is read **from the base** of the diff (``git cat-file`` through
``core.git.repo``), not from the working tree, so a change cannot rewrite the rules it is
reviewed by; ``working_tree_differs`` says when the working tree's policy is not the one used
(the plan says so). Any other review reads the working tree.

A policy that cannot be used (REVIEW.md too large or not UTF-8, a bad ``paths`` or
``severityOverrides`` value) is a ``ConfigError`` naming the file: a team's rule is never
silently dropped.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import msgspec
import pathspec

from bigpicture.core.errors import ConfigError, GatherError, SecretScanError
from bigpicture.core.gather import secrets
from bigpicture.core.git import diff as gitdiff
from bigpicture.core.git import repo as gitrepo
from bigpicture.core.models import (
    CATEGORIES,
    SEVERITIES,
    Finding,
    PathRule,
    Policy,
    Redaction,
    Severity,
    SeverityOverride,
    Skipped,
    Snapshot,
    severity_rank,
)

POLICY_FILE = ".bigpicture/REVIEW.md"
PYPROJECT = "pyproject.toml"
MAX_POLICY_BYTES = 32 * 1024  # about 8,000 tokens: instructions, not a second codebase
RULES = ("ignore", "strict")


def _text(data: bytes, where: str) -> str:
    if len(data) > MAX_POLICY_BYTES:
        raise ConfigError(
            f"{where}: {len(data):,} bytes; the review policy is limited to "
            f"{MAX_POLICY_BYTES:,} bytes (about 8,000 tokens): keep it to what a reviewer "
            "must know, and point to longer documents by path"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{where}: not UTF-8 text ({e.reason} at byte {e.start})") from None


def _section(data: bytes | None, where: str) -> dict[str, Any]:
    if data is None:
        return {}
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{where}: cannot read [tool.bigpicture]: {e}") from None
    section = doc.get("tool", {}).get("bigpicture", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{where}: [tool.bigpicture] must be a table")
    return section


def _get(section: dict[str, Any], key: str) -> Any:
    """The value of ``key`` under any accepted spelling (camelCase, snake_case, kebab-case)."""
    snake = "".join("_" + c.lower() if c.isupper() else c for c in key)
    for name in (key, snake, snake.replace("_", "-")):
        if name in section:
            return section[name]
    return None


def _paths(value: Any, where: str) -> list[PathRule]:
    if value is None:
        return []
    if not isinstance(value, dict):
        raise ConfigError(f'{where}: paths must be a table, like {{ "migrations/**" = "ignore" }}')
    rules = []
    for pattern, rule in value.items():
        if rule not in RULES:
            raise ConfigError(
                f"{where}: paths {pattern!r} = {rule!r}: the rule must be one of "
                + ", ".join(map(repr, RULES))
            )
        if not pattern.strip() or pattern.startswith("../") or "/../" in pattern:
            raise ConfigError(f"{where}: paths {pattern!r}: not a pattern inside the workspace")
        rules.append(PathRule(pattern=pattern, rule=rule))
    return rules


def _overrides(value: Any, where: str) -> list[SeverityOverride]:
    if value is None:
        return []
    if not isinstance(value, dict):
        raise ConfigError(
            f'{where}: severityOverrides must be a table, like {{ performance = "low" }}'
        )
    out = []
    for key, severity in value.items():
        match = key.strip()
        if match.upper().startswith("CWE-") and match[4:].isdigit():
            match = match.upper()
        elif match not in CATEGORIES:
            raise ConfigError(
                f"{where}: severityOverrides {key!r}: not a category ("
                + ", ".join(CATEGORIES)
                + ") or a CWE id like CWE-79"
            )
        if severity not in SEVERITIES:
            raise ConfigError(
                f"{where}: severityOverrides {key!r} = {severity!r}: the severity must be one "
                "of " + ", ".join(SEVERITIES)
            )
        out.append(SeverityOverride(match=match, severity=cast(Severity, severity)))
    return out


def parse(
    review: bytes | None, pyproject: bytes | None, *, source: str, where: str = ""
) -> tuple[Policy, list[Redaction]]:
    """The policy of these file contents (None: the file is absent), with where secrets were
    redacted in REVIEW.md. ``where``: how to name the files in messages (a base commit)."""
    review_name = f"{POLICY_FILE}{where}"
    pyproject_name = f"{PYPROJECT}{where}"
    section = _section(pyproject, pyproject_name)
    text, hits = "", list[secrets.RedactionHit]()
    if review is not None:
        raw = _text(review, review_name)
        try:
            text, hits = secrets.redact(raw, POLICY_FILE)
        except SecretScanError:
            raise
        except Exception as e:  # fail closed, as every scan of what is sent
            raise SecretScanError(f"secret scan of {review_name} failed: {e}") from e
    policy = Policy(
        source=source,
        text=text,
        size=len(review or b""),
        paths=_paths(_get(section, "paths"), pyproject_name),
        severity_overrides=_overrides(_get(section, "severityOverrides"), pyproject_name),
        redactions=len(hits),
    )
    return policy, [Redaction(POLICY_FILE, h.line, h.rule) for h in hits]


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read it ({e.strerror or e})") from None


def working_tree(root: Path) -> tuple[Policy, list[Redaction]]:
    """The policy in the working tree (files on disk)."""
    return parse(_read(root / POLICY_FILE), _read(root / PYPROJECT), source="working tree")


def at_commit(root: Path, commit: str) -> tuple[Policy, list[Redaction]]:
    """The policy as committed at ``commit`` (none before the first commit: a staged review of
    an unborn branch compares with git's empty tree)."""
    if commit == gitdiff.EMPTY_TREE:
        return parse(None, None, source="base (no commits yet)")
    repo = gitdiff.require_repo(root)
    short = commit[:12]
    return parse(
        gitrepo.file_at(repo, commit, POLICY_FILE),
        gitrepo.file_at(repo, commit, PYPROJECT),
        source=f"base {short}",
        where=f" at {short}",
    )


def base_commit(root: Path, ref: str | None, *, staged: bool) -> str:
    """The commit a changes review compares with (the one its diff is taken against)."""
    repo = gitdiff.require_repo(root)
    resolve = gitdiff.resolve_staged_base if staged else gitdiff.resolve_base
    return resolve(repo, ref)[1]


def _same(a: Policy, b: Policy) -> bool:
    return (a.text, a.paths, a.severity_overrides) == (b.text, b.paths, b.severity_overrides)


def for_review(
    root: Path, *, kind: str, ref: str | None = None, staged: bool = False
) -> tuple[Policy, list[Redaction]]:
    """The policy in force for a review of ``kind``: from the base in a changes review (with
    ``working_tree_differs`` set when the working tree's differs), else the working tree's."""
    if kind != "changes":
        return working_tree(root)
    policy, hits = at_commit(root, base_commit(root, ref, staged=staged))
    try:
        differs = not _same(policy, working_tree(root)[0])
    except (ConfigError, GatherError):
        differs = True  # the working tree's cannot even be read: it is not the base's
    return msgspec.structs.replace(policy, working_tree_differs=differs), hits


def rule_of(policy: Policy | None) -> Callable[[str], PathRule | None]:
    """A function path -> the ``paths`` entry in force for it (the last that matches)."""
    if policy is None or not policy.paths:
        return lambda path: None
    specs = [(r, pathspec.GitIgnoreSpec.from_lines([r.pattern])) for r in policy.paths]

    def rule(path: str) -> PathRule | None:
        found = None
        for entry, spec in specs:
            if spec.match_file(path):
                found = entry
        return found

    return rule


def apply(snapshot: Snapshot, policy: Policy, redactions: list[Redaction]) -> Snapshot:
    """The snapshot with the policy in force: ``ignore``d files moved to the skipped ones
    (reason ``excluded``, the pattern in the detail), REVIEW.md's redactions listed."""
    rule = rule_of(policy)
    files, skipped = [], list(snapshot.skipped)
    for f in snapshot.files:
        got = rule(f.path)
        if got is not None and got.rule == "ignore":
            skipped.append(Skipped(f.path, "excluded", f'review policy: "{got.pattern}" = ignore'))
        else:
            files.append(f)
    return msgspec.structs.replace(
        snapshot,
        files=files,
        skipped=skipped,
        redactions=[*snapshot.redactions, *redactions],
        policy=policy,
    )


def ignored(policy: Policy | None) -> Callable[[str], bool]:
    """A function path -> whether the policy says not to review it."""
    rule = rule_of(policy)

    def check(path: str) -> bool:
        got = rule(path)
        return got is not None and got.rule == "ignore"

    return check


def strict_patterns(policy: Policy | None) -> list[str]:
    return [r.pattern for r in policy.paths if r.rule == "strict"] if policy else []


def _override(policy: Policy, f: Finding) -> Severity | None:
    cwe = (f.cwe or "").strip().upper()
    by_cwe = {o.match: o.severity for o in policy.severity_overrides if o.match.startswith("CWE")}
    if cwe and cwe in by_cwe:
        return by_cwe[cwe]
    return next((o.severity for o in policy.severity_overrides if o.match == f.category), None)


def adjust(findings: list[Finding], policy: Policy | None) -> list[Finding]:
    """The findings with the policy applied: severity overrides, and none on ignored paths."""
    if policy is None or (not policy.paths and not policy.severity_overrides):
        return findings
    skip = ignored(policy)
    out = []
    for f in findings:
        if skip(f.path):
            continue
        severity = _override(policy, f)
        out.append(
            f if severity in (None, f.severity) else msgspec.structs.replace(f, severity=severity)
        )
    return out


def shown(policy: Policy | None, floor: int) -> Callable[[Finding], bool]:
    """A function finding -> whether it is shown: at or above the ``minSeverity`` rank
    ``floor``, or on a ``strict`` path (every severity shown there)."""
    rule = rule_of(policy)

    def check(f: Finding) -> bool:
        if severity_rank(f.severity) <= floor:
            return True
        got = rule(f.path)
        return got is not None and got.rule == "strict"

    return check
