"""Code actions for findings: the suggested fix (a versioned edit of exactly the quoted range,
only while the text still matches, only inside the workspace), dismiss, explain, review."""

from __future__ import annotations

from lsprotocol import types as lsp

from bigpicture.core.models import Finding
from bigpicture.core.reply import anchor
from bigpicture.core.reply.textdoc import range_text
from bigpicture.lsp import protocol
from bigpicture.lsp.convert import Lines, diagnostic, inside
from bigpicture.lsp.publish import rel_path, sync_to_current, uri_of
from bigpicture.lsp.state import BigPictureServer


def code_actions(ls: BigPictureServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
    uri = params.text_document.uri
    rel = rel_path(ls, uri)
    if rel is None:
        return None
    actions: list[lsp.CodeAction] = []
    ff, version = sync_to_current(ls, rel)
    enc = ls.workspace.position_encoding or lsp.PositionEncodingKind.Utf16
    if ff is not None:
        lines = Lines(ff.text)
        want = params.range
        for f in ff.findings:
            if f.range is None or f.suppressed:
                continue
            r = lines.range(f.range, enc)
            if (r.end.line, r.end.character) < (want.start.line, want.start.character) or (
                r.start.line,
                r.start.character,
            ) > (want.end.line, want.end.character):
                continue
            diag = diagnostic(f, lines, enc, lambda p: uri_of(ls, p), lambda p: None)
            fix = _fix_action(ls, rel, f, ff.text, lines, enc, version, diag)
            if fix is not None:
                actions.append(fix)
            for reason, label in (("false-positive", "false positive"), ("wont-fix", "won't fix")):
                actions.append(
                    _on_finding(
                        f"Dismiss finding ({label}): {f.title}",
                        diag,
                        lsp.Command(
                            "Dismiss finding", protocol.DISMISS_FINDING, arguments=[f.id, reason]
                        ),
                    )
                )
            actions.append(
                _on_finding(
                    f"Explain this finding: {f.title}",
                    diag,
                    lsp.Command("Explain finding", protocol.EXPLAIN_FINDING, arguments=[f.id]),
                )
            )
    actions.append(
        lsp.CodeAction(
            title="Review this file with BigPicture",
            kind=lsp.CodeActionKind.Source,
            command=lsp.Command(
                title="Review this file", command=protocol.REVIEW_FILE, arguments=[uri]
            ),
        )
    )
    return actions


def _on_finding(title: str, diag: lsp.Diagnostic, command: lsp.Command) -> lsp.CodeAction:
    """A quick fix on ``diag``'s finding that runs ``command``."""
    return lsp.CodeAction(
        title=title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[diag], command=command
    )


def _fix_action(
    ls: BigPictureServer,
    rel: str,
    f: Finding,
    text: str,
    lines: Lines,
    enc: str,
    version: int | None,
    diag: lsp.Diagnostic,
) -> lsp.CodeAction | None:
    """ "Apply suggested fix": offered only while the text still matches the quote, only for a
    document open in the editor (so the edit is versioned), only inside the workspace."""
    if f.fix is None or f.range is None or f.approximate or version is None:
        return None
    root = ls.state.root
    if root is None or not inside(root, root / rel):
        return None
    current = range_text(text, f.range)
    if anchor.normalize_ws(current) != anchor.normalize_ws(f.quote):
        return None
    edit = lsp.TextDocumentEdit(
        text_document=lsp.OptionalVersionedTextDocumentIdentifier(
            uri=uri_of(ls, rel), version=version
        ),
        edits=[lsp.TextEdit(range=lines.range(f.range, enc), new_text=f.fix.replacement)],
    )
    return lsp.CodeAction(
        title=f"Apply suggested fix: {f.title}",
        kind=lsp.CodeActionKind.QuickFix,
        diagnostics=[diag],
        is_preferred=True,
        edit=lsp.WorkspaceEdit(document_changes=[edit]),
    )
