"""The findings as a list for clients' views (``bigpicture.findings``), restoring a dismissed
one (``bigpicture.restoreFinding``), and the hover on a finding's range.

Everything here describes what the editor shows: each file is published first, so the list,
the hover and the diagnostics never disagree; ranges go through ``lsp.convert``.
"""

from __future__ import annotations

from typing import Any

import msgspec
from lsprotocol import types as lsp

from bigpicture.core.errors import BigPictureError
from bigpicture.core.models import Finding
from bigpicture.lsp import protocol
from bigpicture.lsp.convert import Lines, finding_info
from bigpicture.lsp.messages import show
from bigpicture.lsp.publish import encoding, lines_resolver, publish, rel_path, shown, uri_of
from bigpicture.lsp.state import BigPictureServer
from bigpicture.outputs import hover as hover_out
from bigpicture.store import dismissed


def _paths(ls: BigPictureServer) -> list[str]:
    st = ls.state
    return sorted(set(st.findings) | set(st.published) | set(st.streamed or ()))


def listing(ls: BigPictureServer) -> dict[str, Any]:
    """``protocol.FindingsList``: the last summary, every shown finding, every dismissal."""
    st = ls.state
    enc = encoding(ls)
    related_lines = lines_resolver(ls)
    out: list[protocol.FindingInfo] = []
    for rel in _paths(ls):
        publish(ls, rel)  # what the list says is what the editor shows
        text, _, findings = shown(ls, rel)
        if text is None or not findings:
            continue
        lines = Lines(text)
        out += [
            finding_info(f, lines, enc, lambda p: uri_of(ls, p), related_lines) for f in findings
        ]
    gone, error = _dismissed(ls)
    encoded: dict[str, Any] = protocol.encode(
        protocol.FindingsList(summary=st.last_summary, findings=out, dismissed=gone, error=error)
    )
    return encoded


def _dismissed(ls: BigPictureServer) -> tuple[list[protocol.DismissedInfo], str | None]:
    st = ls.state
    if st.root is None:
        return [], None
    try:
        marks = dismissed.load(st.root)
    except BigPictureError as e:
        return [], protocol.error_code(e)
    held = {f.id: f.category for ff in st.findings.values() for f in ff.findings}
    return [
        protocol.DismissedInfo(
            id=d.id,
            path=d.path,
            title=d.title,
            category=d.category or held.get(d.id),
            reason=d.reason,
            dismissedAt=d.date.isoformat(),
        )
        for d in sorted(marks.values(), key=lambda d: (d.path, d.title, d.id))
    ], None


def restore(ls: BigPictureServer, finding_id: str) -> dict[str, Any]:
    """Un-dismiss ``finding_id``: forgotten in ``.bigpicture/dismissed.json`` and, when the
    finding is held, shown again at once."""
    st = ls.state
    if st.root is None:
        return {"restored": None, "error": "not-found"}
    held = st.finding_by_id(finding_id)
    try:
        # with the finding, a dismissal recorded under its older id goes too
        was = dismissed.undismiss(st.root, finding_id, held[1] if held else None)
    except BigPictureError as e:
        show(ls, e.message, lsp.MessageType.Error)
        return {"restored": None, "error": protocol.error_code(e), "message": e.message}
    again = False
    for path, ff in st.findings.items():
        if any(f.id == finding_id and f.suppressed for f in ff.findings):
            ff.findings = [_unsuppressed(f) if f.id == finding_id else f for f in ff.findings]
            publish(ls, path)
            again = True
    if not was and not again:
        show(ls, "restore: that finding is not dismissed", lsp.MessageType.Warning)
        return {"restored": None, "error": "not-found"}
    return {"restored": finding_id, "shown": again}


def _unsuppressed(f: Finding) -> Finding:
    return msgspec.structs.replace(f, suppressed=None)


def hover(ls: BigPictureServer, params: lsp.HoverParams) -> lsp.Hover | None:
    """Markdown about the findings whose range holds the position (``outputs.hover``)."""
    rel = rel_path(ls, params.text_document.uri)
    if rel is None:
        return None
    publish(ls, rel)
    text, _, findings = shown(ls, rel)
    if text is None or not findings:
        return None
    enc = encoding(ls)
    lines = Lines(text)
    pos = (params.position.line, params.position.character)
    here: list[tuple[Finding, lsp.Range]] = []
    for f in findings:
        assert f.range is not None
        r = lines.range(f.range, enc)
        if (r.start.line, r.start.character) <= pos <= (r.end.line, r.end.character):
            here.append((f, r))
    if not here:
        return None
    return lsp.Hover(
        contents=lsp.MarkupContent(
            kind=lsp.MarkupKind.Markdown, value=hover_out.markdown([f for f, _ in here])
        ),
        range=here[0][1],
    )
