"""A review's result as one GitHub pull-request review: the payload of "create a review for a
pull request" (``POST /repos/{owner}/{repo}/pulls/{number}/reviews``), built from the result
and the pull request's own diff, and nothing else (no I/O: ``client.github`` sends it).

- **Inline comments** go only where GitHub takes them: on lines of the pull request's diff
  (``side: RIGHT``, the new version), every line of a comment inside one hunk. A finding is
  placed inline only when its range lies in one hunk and the diff's text there is the text the
  finding was anchored on (whitespace aside), so a comment never lands on a line that changed
  under it. A range ending at the start of a line ends on the line before.
- **Suggested changes**: a finding with a fix whose exact range is inside the hunk gets a
  ```` ```suggestion ```` block holding the commented lines with the fix spliced in (the fence is
  longer than any run of backticks in it).
- Everything else — findings outside the diff, approximate ones, ones whose lines differ in the
  pull request, and inline comments past ``max_comments`` — is listed in the **review body**.
  Dismissed findings are not posted (the body counts them).
- An **incomplete review** says so at the top of the body (a GitHub CAUTION alert with the
  reason): it never reads as a clean review.
- **Re-runs post nothing twice**: every comment and body entry carries a hidden marker with the
  finding's stable id, and the body a marker with a key of the whole result. ``existing`` is
  read from the pull request's review comments and reviews: findings already posted are
  skipped, and a result already posted whole gives no payload at all.
- Text from the model is sanitized; ``@mentions`` are defused and HTML tags escaped so a
  finding cannot ping people or forge a marker. Event ``COMMENT``: the job's exit code, not the
  review, is the gate.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from bigpicture.core import models
from bigpicture.core.models import severity_rank
from bigpicture.core.reply.findings import sanitize_block, sanitize_inline

MAX_COMMENTS = 50
BODY_MAX = 60_000  # GitHub refuses bodies over 65,536 characters
_FINDING = re.compile(r"<!-- bigpicture:finding ([0-9A-Za-z_-]{1,64}) -->")
_REVIEW = re.compile(r"<!-- bigpicture:review ([0-9a-f]{16}) -->")
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


@dataclass
class Hunk:
    """The new side of one hunk of a file's patch: line number → text (without its end)."""

    lines: dict[int, str] = field(default_factory=dict)


def parse_patch(patch: str) -> list[Hunk]:
    """The hunks of a file's ``patch`` as GitHub lists it (hunk headers and lines, no file
    header); context and added lines are on the new side, removed lines are not."""
    hunks: list[Hunk] = []
    line = 0
    for raw in patch.split("\n"):
        m = _HUNK.match(raw)
        if m:
            hunks.append(Hunk())
            line = int(m.group(1))
            continue
        if not hunks or raw.startswith(("-", "\\")):
            continue
        if raw.startswith(("+", " ")):
            hunks[-1].lines[line] = raw[1:].removesuffix("\r")
            line += 1
    return hunks


@dataclass
class Existing:
    """What earlier runs posted on the pull request, read from its markers."""

    comments: set[str] = field(default_factory=set)  # finding ids with an inline comment
    listed: set[str] = field(default_factory=set)  # finding ids listed in a review body
    results: set[str] = field(default_factory=set)  # keys of results posted whole


def existing_from(comments: list[dict[str, Any]], reviews: list[dict[str, Any]]) -> Existing:
    """Markers from the pull request's review comments and reviews (GitHub's list replies)."""
    out = Existing()
    for c in comments:
        out.comments.update(_FINDING.findall(str(c.get("body") or "")))
    for r in reviews:
        body = str(r.get("body") or "")
        out.listed.update(_FINDING.findall(body))
        out.results.update(_REVIEW.findall(body))
    return out


def result_key(result: models.ReviewResult) -> str:
    """A key of what a result says: completeness, reason, and the findings' ids."""
    shown = sorted(f.id for f in result.findings if not f.suppressed)
    data = json.dumps([result.complete, result.incomplete_reason, shown])
    return hashlib.sha256(data.encode()).hexdigest()[:16]


@dataclass
class Built:
    """A payload (None: nothing new to post) and what went where."""

    payload: dict[str, Any] | None
    inline: list[str] = field(default_factory=list)  # finding ids
    in_body: list[str] = field(default_factory=list)
    already: int = 0  # findings skipped because an earlier run posted them


def _md(text: str) -> str:
    """Model text made safe for a comment: no mentions, no HTML tags or comments."""
    text = re.sub(r"<(?=[!/A-Za-z?])", "&lt;", text)
    return re.sub(r"@(?=[A-Za-z0-9_])", "@\u2060", text)


def _fence(code: str, info: str = "") -> str:
    fence = "```"
    while fence in code:
        fence += "`"
    return f"{fence}{info}\n{code}\n{fence}"


def _heading(f: models.Finding) -> str:
    tag = f.category + (f" · {f.cwe}" if f.cwe else "")
    return f"**{f.severity}** · {_md(sanitize_inline(tag, 80))} — {_md(sanitize_inline(f.title))}"


def _related(f: models.Finding) -> list[str]:
    out = []
    for rel in f.related:
        line = rel.range.start_line + 1 if rel.range else rel.line
        note = _md(sanitize_inline(rel.message, 300))
        where = f"`{sanitize_inline(rel.path, 300)}:{line}`"
        out.append(f"- see also {where}" + (f": {note}" if note else ""))
    return out


def _normal(text: str) -> str:
    return " ".join(text.split())


@dataclass
class _Place:
    first: int  # 1-based lines of the comment
    last: int
    suggestion: str | None


def _place(f: models.Finding, hunks: list[Hunk] | None) -> tuple[_Place | None, str]:
    """Where ``f`` goes inline, or None and why not."""
    if hunks is None:
        return None, "not in this pull request's diff"
    if f.approximate or f.range is None:
        return None, "approximate location"
    rng = f.range
    first = rng.start_line + 1
    last = rng.end_line + 1
    ends_at_line_start = rng.end_char == 0 and last > first
    if ends_at_line_start:
        last -= 1
    hunk = next((h for h in hunks if first in h.lines and last in h.lines), None)
    if hunk is None:
        return None, "not on lines of this pull request's diff"
    lines = [hunk.lines[n] for n in range(first, last + 1)]
    if ends_at_line_start:
        lines.append("")
    joined = "\n".join(lines)
    end = len(joined) - len(lines[-1]) + rng.end_char
    if _normal(joined[rng.start_char : end]) != _normal(f.quote):
        return None, "the pull request's version of these lines differs from the reviewed text"
    suggestion = None
    if f.fix is not None:
        new = lines[0][: rng.start_char] + f.fix.replacement + lines[-1][rng.end_char :]
        suggestion = new
        if ends_at_line_start:  # the lines' own end goes with them: the fix must end one too
            suggestion = new.removesuffix("\n") if new.endswith("\n") else None
    return _Place(first, last, suggestion), ""


def _comment(f: models.Finding, path: str, place: _Place) -> dict[str, Any]:
    parts = [_heading(f)]
    message = _md(sanitize_block(f.message))
    if message:
        parts.append(message)
    related = _related(f)
    if related:
        parts.append("\n".join(related))
    if place.suggestion is not None:
        parts.append(_fence(place.suggestion, "suggestion"))
    extra = f"confidence {f.confidence:.0%} · " if f.confidence is not None else ""
    parts.append(
        f"<sub>BigPicture · {extra}finding `{f.id}`</sub>\n<!-- bigpicture:finding {f.id} -->"
    )
    comment: dict[str, Any] = {
        "path": path,
        "line": place.last,
        "side": "RIGHT",
        "body": "\n\n".join(parts),
    }
    if place.first < place.last:
        comment["start_line"] = place.first
        comment["start_side"] = "RIGHT"
    return comment


def _body_entry(f: models.Finding, why: str) -> str:
    line = f.range.start_line + 1 if f.range else f.line
    where = f"`{sanitize_inline(f.path, 300)}:{line}`"
    message = _md(sanitize_inline(f.message, 400))
    text = f"- {_heading(f)} at {where}" + (f": {message}" if message else "")
    return f"{text} <sub>({why})</sub> <!-- bigpicture:finding {f.id} -->"


def _counts(findings: list[models.Finding]) -> str:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    return ", ".join(
        f"{n} {s}" for s, n in sorted(counts.items(), key=lambda i: severity_rank(i[0]))
    )


def _body(
    result: models.ReviewResult,
    key: str,
    shown: list[models.Finding],
    inline: int,
    entries: list[str],
    already: int,
) -> str:
    out = [f"<!-- bigpicture:review {key} -->", "### BigPicture review"]
    if not result.complete:
        reason = _md(sanitize_inline(result.incomplete_reason or "the review did not finish", 500))
        out.append(
            "> [!CAUTION]\n> **INCOMPLETE REVIEW:** "
            + reason
            + ". The findings here are what was recovered; the rest of the code was not "
            "reviewed. This is not a clean result."
        )
    if shown:
        tally = f"{len(shown)} findings ({_counts(shown)}): {inline} new inline"
        tally += f", {len(entries)} new below" if entries else ""
        tally += f", {already} already posted" if already else ""
    elif result.complete:
        tally = "No findings."
    else:
        tally = "0 findings recovered."
    dismissed = sum(1 for f in result.findings if f.suppressed)
    if dismissed:
        tally += f" {dismissed} dismissed findings are not shown (.bigpicture/dismissed.json)."
    out.append(tally)
    if entries:
        out.append("#### Not on lines of this diff")
        listed: list[str] = []
        size = sum(len(x) for x in out)
        for entry in entries:
            if size + len(entry) > BODY_MAX:
                listed.append(f"- … and {len(entries) - len(listed)} more (see the SARIF report)")
                break
            listed.append(entry)
            size += len(entry) + 1
        out.append("\n".join(listed))
    if result.summary and result.complete:
        out.append("#### Summary\n" + _md(sanitize_block(result.summary, 4000)))
    foot = [sanitize_inline(result.model, 100), f"{result.files_sent} files sent"]
    if result.left_out:
        foot.append(f"{len(result.left_out)} files left out (over budget), not reviewed")
    out.append("<sub>" + " · ".join(foot) + "</sub>")
    return "\n\n".join(out)


def build_review(
    result: models.ReviewResult,
    diff: dict[str, list[Hunk]],
    *,
    commit_id: str | None = None,
    existing: Existing | None = None,
    max_comments: int = MAX_COMMENTS,
) -> Built:
    """The create-a-review payload for ``result`` on a pull request whose diff is ``diff``
    (path → hunks, from ``parse_patch``; a file with no patch is absent). ``existing``: what
    earlier runs posted. ``payload`` is None when there is nothing new to post."""
    existing = existing or Existing()
    key = result_key(result)
    if key in existing.results:
        return Built(None, already=len(result.findings))
    shown = [f for f in result.findings if not f.suppressed]
    comments: list[dict[str, Any]] = []
    built = Built(None)
    entries: list[str] = []
    for f in shown:
        if f.id in existing.comments or f.id in existing.listed:
            built.already += 1
            continue
        place, why = _place(f, diff.get(f.path))
        if place is not None and len(comments) >= max_comments:
            place, why = None, f"over {max_comments} inline comments"
        if place is None:
            entries.append(_body_entry(f, why))
            built.in_body.append(f.id)
        else:
            comments.append(_comment(f, f.path, place))
            built.inline.append(f.id)
    if not comments and not entries and result.complete:
        return built
    payload: dict[str, Any] = {
        "event": "COMMENT",
        "body": _body(result, key, shown, len(comments), entries, built.already),
        "comments": sorted(comments, key=lambda c: (c["path"], c["line"])),
    }
    if commit_id:
        payload["commit_id"] = commit_id
    built.payload = payload
    return built
