"""Dismissed findings, applied. A dismissal matches a finding (``match``):

1. by the finding's stable id (``core.reply.anchor.finding_id``: path, anchored code,
   category, CWE; not the title, not the line), so it survives rewording and line moves;
2. by the id BigPicture gave before ids left the title out (``anchor.legacy_id``), so a
   ``dismissed.json`` written by an older version keeps working unchanged;
3. by its code: the same category and the same anchored code (whitespace-normalized, the
   ``code`` field of newer entries), with a CWE that does not contradict, in the same file
   (the model gave or dropped the CWE) or, after a rename, in another file when the
   dismissal's own file is no longer in the workspace (``present``). The same code in a file
   that still exists next to the original is a copy, flagged on its own.

``apply`` marks matching findings ``suppressed`` with the reason: the CLI's text output and the
editor hide them, JSON lists them, SARIF records them as suppressions. The file
(``.bigpicture/dismissed.json``, meant to be committed) is read and written by
``store.dismissed``.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from bigpicture.core import models
from bigpicture.core.reply.anchor import code_key, finding_id, legacy_id

DISMISSED_FILE = ".bigpicture/dismissed.json"


VERSION = 1


Reason = Literal["false-positive", "wont-fix"]


REASONS: tuple[Reason, ...] = ("false-positive", "wont-fix")


class Dismissal(msgspec.Struct, frozen=True, omit_defaults=True):
    id: str
    reason: Reason
    path: str
    title: str
    date: dt.date
    by: str | None = None
    category: str | None = None  # newer files only: what kind of finding it was
    cwe: str | None = None  # newer files only
    code: str | None = None  # newer files only: ``anchor.code_key`` of the dismissed code


def id_of(finding: models.Finding) -> str:
    return finding.id or finding_id(finding.path, finding.category, finding.quote, finding.cwe)


def _cwe(value: str | None) -> str:
    return (value or "").strip().upper()


def _by_code(f: models.Finding, entry: Dismissal, present: set[str] | None) -> bool:
    if entry.code is None or entry.category != f.category:
        return False
    if _cwe(entry.cwe) and _cwe(f.cwe) and _cwe(entry.cwe) != _cwe(f.cwe):
        return False
    moved = entry.path != f.path
    if moved and (present is None or entry.path in present):
        return False  # not a rename: the original file is still there (or unknown)
    return entry.code == code_key(f.category, f.quote)


def match(
    f: models.Finding, dismissed: dict[str, Dismissal], present: set[str] | None = None
) -> Dismissal | None:
    """The dismissal that applies to ``f``, if any (see the module's docstring)."""
    if not dismissed:
        return None
    for key in (f.id, legacy_id(f.path, f.category, f.quote, f.title)):
        if key and key in dismissed:
            return dismissed[key]
    return next((d for d in dismissed.values() if _by_code(f, d, present)), None)


def apply(
    findings: list[models.Finding],
    dismissed: dict[str, Dismissal],
    present: set[str] | None = None,
) -> list[models.Finding]:
    """The findings with ``suppressed`` set to the dismissal reason where one matches.
    ``present``: every path in the workspace now, which lets a dismissal follow a rename."""
    out = []
    for f in findings:
        entry = match(f, dismissed, present)
        reason = entry.reason if entry else None
        out.append(f if f.suppressed == reason else msgspec.structs.replace(f, suppressed=reason))
    return out


def entry_for(
    finding: models.Finding, reason: Reason, *, by: str | None, today: dt.date
) -> Dismissal:
    """The dismissal to record for ``finding``."""
    return Dismissal(
        id=id_of(finding),
        reason=reason,
        path=finding.path,
        title=finding.title,
        date=today,
        by=by or None,
        category=finding.category,
        cwe=finding.cwe or None,
        code=code_key(finding.category, finding.quote),
    )
