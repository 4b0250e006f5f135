"""A review's result as a GitLab Code Quality report (``--format gitlab``).

The report is the JSON array GitLab reads from ``artifacts: reports: codequality:`` — a subset
of the Code Climate issue format. Each finding is one issue:

- ``description``: the title, then the message (one line, sanitized; GitLab shows it in the
  merge request widget and the changes view);
- ``check_name``: ``bigpicture/<CWE id or category>``;
- ``fingerprint``: the finding's stable id (the one SARIF carries as
  ``partialFingerprints["bigpicture/v1"]``): it survives line moves, so GitLab's comparison of the
  base and head reports shows a finding as new only when it is;
- ``severity``: critical → ``blocker``, high → ``critical``, medium → ``major``, low →
  ``minor``, info → ``info``;
- ``location``: the path and ``lines.begin``/``lines.end``, 1-based. Code Quality has no
  columns that GitLab reads, so none are written.

Code Climate fields GitLab ignores are filled for other readers: ``type``, ``categories``
(security → Security, bug → Bug Risk, performance → Performance, architecture → Complexity,
maintainability → Clarity), ``content.body`` (the message and the suggested fix in Markdown)
and ``other_locations`` (related locations). The format has no suppressions: dismissed findings
are left out. It has no run status either, so an **incomplete review** adds one issue, check
``bigpicture/incomplete-review`` at severity ``blocker`` on path ``.``, whose description starts
``INCOMPLETE REVIEW:`` with the reason: the report never reads as a clean one (the CLI also exits
6). No byte order mark is written (GitLab's parser refuses one).
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from bigpicture.core import models
from bigpicture.core.reply.findings import sanitize_block, sanitize_inline
from bigpicture.outputs.sarif import cwe_help_uri

SEVERITY = {
    "critical": "blocker",
    "high": "critical",
    "medium": "major",
    "low": "minor",
    "info": "info",
}
CATEGORY = {
    "security": "Security",
    "bug": "Bug Risk",
    "performance": "Performance",
    "architecture": "Complexity",
    "maintainability": "Clarity",
}
INCOMPLETE_CHECK = "bigpicture/incomplete-review"
DESCRIPTION_MAX = 1000


def check_name(f: models.Finding) -> str:
    """``bigpicture/CWE-89`` for a finding with a well-formed CWE, else ``bigpicture/<category>``."""
    rule = f.cwe if f.cwe and cwe_help_uri(f.cwe) else f.category
    return f"bigpicture/{rule}"


def _lines(line: int, end_line: int | None, rng: models.Range | None) -> dict[str, int]:
    if rng is not None:
        return {"begin": rng.start_line + 1, "end": rng.end_line + 1}
    begin = max(1, line)
    return {"begin": begin, "end": max(begin, end_line or begin)}


def _body(f: models.Finding) -> str:
    parts = [f"**{sanitize_inline(f.title)}**"]
    message = sanitize_block(f.message)
    if message:
        parts.append(message)
    if f.fix is not None and not f.approximate:
        fence = "```"
        while fence in f.fix.replacement:
            fence += "`"
        parts.append(
            f"Suggested fix (replaces the flagged code):\n\n{fence}\n{f.fix.replacement}\n{fence}"
        )
    return "\n\n".join(parts)


def _issue(f: models.Finding) -> dict[str, Any]:
    title = sanitize_inline(f.title)
    message = sanitize_inline(f.message, None)
    description = sanitize_inline(f"{title}: {message}" if message else title, DESCRIPTION_MAX)
    fingerprint = f.id or hashlib.sha256(f"{f.path}\0{f.title}".encode()).hexdigest()[:32]
    issue: dict[str, Any] = {
        "type": "issue",
        "check_name": check_name(f),
        "description": description,
        "categories": [CATEGORY.get(f.category, "Bug Risk")],
        "severity": SEVERITY.get(f.severity, "major"),
        "fingerprint": fingerprint,
        "location": {"path": f.path, "lines": _lines(f.line, f.end_line, f.range)},
        "content": {"body": _body(f)},
    }
    others = [{"path": rel.path, "lines": _lines(rel.line, None, rel.range)} for rel in f.related]
    if others:
        issue["other_locations"] = others
    return issue


def _incomplete(result: models.ReviewResult) -> dict[str, Any]:
    reason = sanitize_inline(result.incomplete_reason or "the review did not finish", 500)
    ids = ",".join(sorted(f.id for f in result.findings))
    digest = hashlib.sha256(f"{result.kind}\0{result.model}\0{reason}\0{ids}".encode())
    recovered = len(result.findings)
    return {
        "type": "issue",
        "check_name": INCOMPLETE_CHECK,
        "description": f"INCOMPLETE REVIEW: {reason}. {recovered} findings were recovered; "
        "the rest of the code was not reviewed. This report is not a clean result.",
        "categories": ["Bug Risk"],
        "severity": "blocker",
        "fingerprint": "incomplete-" + digest.hexdigest()[:32],
        "location": {"path": ".", "lines": {"begin": 1, "end": 1}},
    }


def to_list(result: models.ReviewResult) -> list[dict[str, Any]]:
    """The Code Quality report as plain data (findings in the result's order)."""
    issues = [_issue(f) for f in result.findings if not f.suppressed]
    if not result.complete:
        issues.insert(0, _incomplete(result))
    return issues


def render(result: models.ReviewResult, texts: dict[str, str] | None = None) -> str:
    """The report as JSON text (2-space indent, trailing newline, no BOM). ``texts`` is
    accepted for symmetry with the other renderers: Code Quality has no columns."""
    return msgspec.json.format(msgspec.json.encode(to_list(result)), indent=2).decode() + "\n"
