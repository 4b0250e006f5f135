"""Dismissed findings, applied: a dismissal matches a finding by its stable id
(``core.reply.anchor.finding_id``), so it survives line moves. ``apply`` marks matching findings
``suppressed`` with the reason: the CLI's text output and the editor hide them, JSON lists
them, SARIF records them as suppressions. The file (``.bigpicture/dismissed.json``, meant to
be committed) is read and written by ``store.dismissed``.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from bigpicture.core import models
from bigpicture.core.reply.anchor import finding_id

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


def id_of(finding: models.Finding) -> str:
    return finding.id or finding_id(finding.path, finding.category, finding.quote, finding.title)


def apply(findings: list[models.Finding], dismissed: dict[str, Dismissal]) -> list[models.Finding]:
    """The findings with ``suppressed`` set to the dismissal reason where one matches."""
    out = []
    for f in findings:
        entry = dismissed.get(f.id) if f.id else None
        reason = entry.reason if entry else None
        out.append(f if f.suppressed == reason else msgspec.structs.replace(f, suppressed=reason))
    return out
