"""The one rule that moves a finding from the text it was anchored on to a newer version.

Used by the language server (findings follow the editor's text), by batch results (files
edited since the submission) and by the result cache (findings anchored again on the current
text). ``reanchor`` finds again what the finding's range covered: text the edit did not touch
moves by a known amount; text it touched is searched for (exact, then whitespace-normalized)
only inside the edited span, so a deleted snippet is gone even if a copy exists elsewhere.
``follow`` adds the two policies callers need when that fails: in the editor a finding whose
code is gone disappears (``None``); a batch result keeps it, ``approximate``, on its old line
(``keep_lost``). A finding on a line that held a redacted secret keeps its lines (redaction
keeps every line), its columns clamped to the real line.
"""

from __future__ import annotations

import re

import msgspec

from bigpicture.core import models
from bigpicture.core.lines import split_lines
from bigpicture.core.reply.anchor import Match, locate_in
from bigpicture.core.reply.textdoc import Doc, edit, edit_span, last_line


def _follow(
    old: Doc, new: Doc, rng: models.Range | None, quote: str, approximate: bool
) -> tuple[Match, bool] | None:
    """Find again, in ``new``, what ``rng`` covered in ``old`` (or, with no range, the quote).

    The two versions agree before and after the edited span: text there moves by a known
    amount. Text the edit touched is searched for (exact, then whitespace-normalized) only
    inside the edited span, so a deleted snippet is gone even if a copy exists elsewhere.
    """
    if rng is None:
        found = locate_in(new, quote, 0) if quote and not approximate else None
        return (found, False) if found else None
    start = old.offset(rng.start_line, rng.start_char)
    end = old.offset(rng.end_line, rng.end_char)
    if end <= start:
        return None
    prefix, suffix = edit_span(old.text, new.text)
    shift = len(new.text) - len(old.text)
    old_tail = len(old.text) - suffix
    if end <= prefix:
        return Match(start, end, True), approximate
    if start >= old_tail:
        return Match(start + shift, end + shift, True), approximate
    lo = min(start, prefix)
    hi = end + shift if end >= old_tail else len(new.text) - suffix
    line0 = new.line_of(min(start, prefix))
    found = locate_in(new, old.text[start:end], line0, lo, hi)
    return (found, approximate) if found else None


def reanchor(finding: models.Finding, old_text: str, new_text: str) -> models.Finding | None:
    """The finding moved through an edit from ``old_text`` to ``new_text``; None if its code is gone.

    The text its range covered is searched again (exact, then whitespace-normalized) nearest
    its old line; related locations in the same file move with it.
    """
    old, new = edit(old_text, new_text)
    moved = _follow(old, new, finding.range, finding.quote, finding.approximate)
    if moved is None:
        return None
    match, approximate = moved
    rng = new.range(match.start, match.end)
    related: list[models.Related] = []
    for rel in finding.related:
        if rel.path != finding.path or rel.range is None:
            related.append(rel)
            continue
        got = _follow(old, new, rel.range, rel.quote, False)
        if got is not None:
            r = new.range(got[0].start, got[0].end)
            related.append(msgspec.structs.replace(rel, line=r.start_line + 1, range=r))
    return msgspec.structs.replace(
        finding,
        line=rng.start_line + 1,
        end_line=last_line(rng),
        range=rng,
        approximate=approximate,
        related=related,
    )


def _whole_line(text: str, line0: int) -> models.Range:
    lines = split_lines(text)
    line0 = max(0, min(line0, len(lines) - 1))
    return models.Range(line0, 0, line0, len(lines[line0]))


_PLACEHOLDER = re.compile(r"<redacted:[a-z0-9-]+>")


def _redacted_line(f: models.Finding, old: str, new: str) -> models.Finding | None:
    """A finding on code that held a redacted secret (the sent text had the secret replaced by
    a placeholder; the newer text has a value): the code it covered is searched for with each
    placeholder standing for any text on the line, nearest where the edit moved its line; a
    range that is only placeholders keeps its lines (redaction keeps every line), its columns
    clamped. Approximate, either way: the secret's span is not known exactly."""
    if f.range is None or not _PLACEHOLDER.search(f.quote):
        return None
    old_doc, new_doc = edit(old, new)
    start = old_doc.offset(f.range.start_line, f.range.start_char)
    end = old_doc.offset(f.range.end_line, f.range.end_char)
    parts = _PLACEHOLDER.split(old_doc.text[start:end])
    if any(p.strip() for p in parts):
        pattern = re.compile(r"[^\r\n]*?".join(map(re.escape, parts)))
        _, suffix = edit_span(old, new)
        line0 = f.range.start_line
        if start >= len(old) - suffix:  # after the edit: moved by the lines it added
            line0 += new_doc.line_count - old_doc.line_count
        best: re.Match[str] | None = None
        for m in pattern.finditer(new):
            if best is None or abs(new_doc.line_of(m.start()) - line0) < abs(
                new_doc.line_of(best.start()) - line0
            ):
                best = m
        if best is None:
            return None
        rng = new_doc.range(best.start(), best.end())
        return msgspec.structs.replace(
            f, approximate=True, range=rng, line=rng.start_line + 1, end_line=last_line(rng)
        )
    lines = split_lines(new)
    if f.range.end_line >= len(lines):
        return None
    rng = msgspec.structs.replace(
        f.range,
        start_char=min(f.range.start_char, len(lines[f.range.start_line])),
        end_char=min(f.range.end_char, len(lines[f.range.end_line])),
    )
    return msgspec.structs.replace(f, approximate=True, range=rng)


def follow(
    f: models.Finding, old: str, new: str | None, *, keep_lost: bool = False
) -> models.Finding | None:
    """``f`` (anchored on ``old``) on ``new``: moved with its code (``reanchor``); on a line
    that held a redacted secret, kept there; else gone (``None``), or with ``keep_lost`` kept
    on its old line as an approximate whole-line range without its fix (``new`` None: the
    file is gone, kept with no range)."""
    if new is None:
        if not keep_lost:
            return None
        return msgspec.structs.replace(f, range=None, approximate=True, fix=None)
    moved = reanchor(f, old, new) or _redacted_line(f, old, new)
    if moved is not None or not keep_lost:
        return moved
    line0 = f.range.start_line if f.range is not None else f.line - 1
    rng = _whole_line(new, line0)
    return msgspec.structs.replace(
        f,
        range=rng,
        line=rng.start_line + 1,
        end_line=rng.start_line + 1,
        approximate=True,
        fix=None,
    )


def _follow_related(
    f: models.Finding, sent: dict[str, str], current: dict[str, str], changed: set[str]
) -> models.Finding:
    related = []
    for rel in f.related:
        if rel.path in changed and rel.path != f.path and rel.path in sent:
            probe = models.Finding(
                path=rel.path,
                line=rel.line,
                quote=rel.quote,
                severity=f.severity,
                category=f.category,
                title="",
                message="",
                range=rel.range,
            )
            moved = follow(probe, sent[rel.path], current.get(rel.path), keep_lost=True)
            assert moved is not None
            rel = msgspec.structs.replace(rel, line=moved.line, range=moved.range)
        related.append(rel)
    return msgspec.structs.replace(f, related=related)


def follow_all(
    findings: list[models.Finding],
    sent: dict[str, str],
    current: dict[str, str],
    changed: set[str],
) -> list[models.Finding]:
    """Every finding moved from the ``sent`` texts to the ``current`` ones (files in
    ``changed``), nothing dropped (``keep_lost``); related locations in other changed files
    move too (same-file ones move with their finding)."""
    out = []
    for f in findings:
        if f.path in changed and f.path in sent:
            moved = follow(f, sent[f.path], current.get(f.path), keep_lost=True)
            assert moved is not None
            f = moved
        if any(r.path in changed and r.path != f.path for r in f.related):
            f = _follow_related(f, sent, current, changed)
        out.append(f)
    out.sort(key=lambda f: (f.path, f.range.start_line if f.range else f.line - 1, f.id))
    return out
