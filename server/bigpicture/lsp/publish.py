"""Findings on the editor's text: kept per file with the exact text their ranges refer to,
re-anchored onto the current text (the open document, else the file on disk) whenever it
changes, and published with the document version they were computed on.

A file is published only when what it shows changes (its findings, or the document version
they are on): the same diagnostics are never sent twice. Whenever the shown findings change,
``bigpicture/findingsChanged`` carries the counts of everything shown (at most one
notification per turn of the event loop, however many files changed in it)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
from lsprotocol import types as lsp
from pygls import uris

from bigpicture.app import prepare as pipeline
from bigpicture.core.errors import BigPictureError
from bigpicture.core.gather.textio import Undecodable, decode
from bigpicture.core.lines import split_lines
from bigpicture.core.models import SEVERITIES, Finding, ReviewResult
from bigpicture.core.reply.follow import follow
from bigpicture.lsp import protocol
from bigpicture.lsp.convert import Lines, diagnostic
from bigpicture.lsp.state import BigPictureServer, FileFindings


def rel_path(ls: BigPictureServer, uri: str) -> str | None:
    root = ls.state.root
    if root is None:
        return None
    fs = uris.to_fs_path(uri)
    if not fs:
        return None
    try:
        return Path(fs).resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return None
    except RuntimeError:  # a symlink loop (Python < 3.13): name it as given
        try:
            return Path(fs).relative_to(root).as_posix()
        except ValueError:
            return None


def _root(ls: BigPictureServer) -> Path:
    """The workspace root; findings exist only once the server has one."""
    root = ls.state.root
    if root is None:
        raise BigPictureError("no workspace folder is open")
    return root


def uri_of(ls: BigPictureServer, rel: str) -> str:
    return uris.from_fs_path(str(_root(ls) / rel)) or ""


def open_doc(ls: BigPictureServer, rel: str) -> Any | None:
    target = _resolved(_root(ls) / rel)
    for uri, doc in ls.workspace.text_documents.items():
        fs = uris.to_fs_path(uri)
        if fs and _resolved(Path(fs)) == target:
            return doc
    return None


def _resolved(path: Path) -> Path:
    """``path`` with symlinks followed; as it is when they loop."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path


def current_text(ls: BigPictureServer, rel: str) -> tuple[str | None, int | None]:
    """The text of ``rel`` as the user sees it: the open document, else the file on disk."""
    doc = open_doc(ls, rel)
    if doc is not None:
        return doc.source, doc.version
    try:
        text, _ = decode((_root(ls) / rel).read_bytes())
        return text, None
    except (OSError, Undecodable):
        return None, None


def sync_to_current(ls: BigPictureServer, rel: str) -> tuple[FileFindings | None, int | None]:
    """Re-anchor the stored findings of ``rel`` onto its current text."""
    ff = ls.state.findings.get(rel)
    if ff is None:
        return None, None
    text, version = current_text(ls, rel)
    if text is None:
        ls.state.findings.pop(rel, None)
        return None, None
    if text != ff.text:
        moved = [m for f in ff.findings if (m := follow(f, ff.text, text)) is not None]
        ff = FileFindings(text, moved, version)
        ls.state.findings[rel] = ff
    else:
        ff.version = version
    return ff, version


def _version_support(ls: BigPictureServer) -> bool:
    td = ls.client_capabilities.text_document
    pd = td.publish_diagnostics if td else None
    return bool(pd and pd.version_support)


def has_findings(ls: BigPictureServer, rel: str) -> bool:
    """Whether ``rel`` has findings to keep on its text: stored, streaming in, or shown."""
    st = ls.state
    return rel in st.findings or rel in st.published or bool(st.streamed and rel in st.streamed)


def _streamed_on(ls: BigPictureServer, rel: str, text: str) -> list[Finding]:
    """The running review's streamed findings of ``rel``, moved onto ``text``."""
    streamed = ls.state.streamed
    sf = streamed.get(rel) if streamed is not None else None
    if sf is None:
        return []
    if sf.text != text:
        sf.findings = [m for f in sf.findings if (m := follow(f, sf.text, text)) is not None]
        sf.text = text
    return sf.findings


def _order(f: Finding) -> tuple[int, int, str]:
    rng = f.range
    return (rng.start_line, rng.start_char, f.id) if rng else (f.line - 1, 0, f.id)


def shown(ls: BigPictureServer, rel: str) -> tuple[str | None, int | None, list[Finding]]:
    """What ``rel`` shows on its current text: its text, version and findings in order (the
    stored ones, then the running review's streamed ones with other ids)."""
    ff, version = sync_to_current(ls, rel)
    text = ff.text if ff else None
    findings = list(ff.findings) if ff else []
    streamed = ls.state.streamed
    if streamed is not None and rel in streamed:
        if text is None:
            text, version = current_text(ls, rel)
        if text is not None:
            have = {f.id for f in findings}
            findings += [f for f in _streamed_on(ls, rel, text) if f.id not in have]
    findings = [f for f in findings if not f.suppressed and f.range is not None]
    findings.sort(key=_order)
    return text, version, findings


def lines_resolver(ls: BigPictureServer) -> Callable[[str], Lines | None]:
    """The current text's lines of other files (a cross-file finding's related places), each
    read once."""
    cache: dict[str, Lines | None] = {}

    def related_lines(path: str) -> Lines | None:
        if path not in cache:
            t, _ = current_text(ls, path)
            cache[path] = Lines(t) if t is not None else None
        return cache[path]

    return related_lines


def encoding(ls: BigPictureServer) -> str:
    """The position encoding negotiated with the client."""
    return ls.workspace.position_encoding or lsp.PositionEncodingKind.Utf16


def publish(ls: BigPictureServer, rel: str) -> None:
    """Publish the findings of ``rel`` on its current text, unless it already shows them."""
    st = ls.state
    text, version, findings = shown(ls, rel)
    last = st.published.get(rel)
    if (last is None and not findings) or (
        last is not None and last[1] == findings and (last[0] == version or not findings)
    ):
        return
    enc = encoding(ls)
    diags: list[lsp.Diagnostic] = []
    if text is not None and findings:
        lines = Lines(text)
        related_lines = lines_resolver(ls)
        diags = [
            diagnostic(f, lines, enc, lambda p: uri_of(ls, p), related_lines) for f in findings
        ]
    ls.text_document_publish_diagnostics(
        lsp.PublishDiagnosticsParams(
            uri=uri_of(ls, rel),
            diagnostics=diags,
            version=version if (version is not None and _version_support(ls)) else None,
        )
    )
    if diags:
        st.published[rel] = (version, findings)
    else:
        st.published.pop(rel, None)
    if last is None or last[1] != findings:
        _counts_changed(ls)


def shown_counts(ls: BigPictureServer) -> dict[str, int]:
    """Every shown finding counted by severity (every severity present, 0 when none)."""
    counts: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
    for _, findings in ls.state.published.values():
        for f in findings:
            counts[f.severity] += 1
    return counts


def _counts_changed(ls: BigPictureServer) -> None:
    st = ls.state
    if st.counts_due:
        return
    st.counts_due = True
    try:
        asyncio.get_running_loop().call_soon(send_counts, ls)
    except RuntimeError:  # no loop (not serving): at once
        send_counts(ls)


def send_counts(ls: BigPictureServer) -> None:
    """``bigpicture/findingsChanged``: the counts of what is shown now."""
    ls.state.counts_due = False
    counts = shown_counts(ls)
    ls.protocol.notify(protocol.FINDINGS_CHANGED, {"counts": counts, "total": sum(counts.values())})


def clear_all(ls: BigPictureServer) -> int:
    """Every finding taken off the editor (stored, streamed, shown); how many files had some."""
    st = ls.state
    paths = set(st.findings) | set(st.published)
    st.findings.clear()
    if st.streamed is not None:
        st.streamed.clear()
    for p in sorted(paths):
        publish(ls, p)
    return len(paths)


def apply_result(ls: BigPictureServer, prepared: pipeline.Prepared, result: ReviewResult) -> None:
    """Replace the findings of every file the review covered (complete), or add the recovered
    ones (incomplete); publish every file whose findings changed."""
    st = ls.state
    texts = prepared.plan.sent_texts(prepared.snapshot)
    by_path: dict[str, list[Finding]] = {}
    for f in result.findings:
        by_path.setdefault(f.path, []).append(f)
    for path, fs in by_path.items():
        if path in texts:
            texts[path], by_path[path] = unredact(ls, path, texts[path], fs)
    touched: set[str] = set()
    if result.complete:
        for path in texts:
            if path in by_path:
                st.findings[path] = FileFindings(texts[path], by_path[path])
                touched.add(path)
            elif path in st.findings:
                del st.findings[path]
                touched.add(path)
    else:
        for path, fs in by_path.items():
            if path not in texts:
                continue
            old = st.findings.get(path)
            if old is not None:
                old_sync, _ = sync_to_current(ls, path)
                base = old_sync.findings if old_sync else []
                have = {f.id for f in base}
                cur_text = old_sync.text if old_sync else texts[path]
                moved = [
                    m for f in fs if f.id not in have and (m := follow(f, texts[path], cur_text))
                ]
                st.findings[path] = FileFindings(cur_text, base + moved)
            else:
                st.findings[path] = FileFindings(texts[path], fs)
            touched.add(path)
    for path in sorted(touched):
        publish(ls, path)


_PLACEHOLDER = re.compile(r"<redacted:[a-z0-9-]+>")


def unredact(
    ls: BigPictureServer, path: str, sent: str, fs: list[Finding]
) -> tuple[str, list[Finding]]:
    """Findings on the file as it is (secrets and all) when it differs from the sent text only
    by redactions: redaction keeps every line, so ranges keep their lines; on a line that
    held a secret, columns are clamped to the real line."""
    real, _ = current_text(ls, path)
    if real is None or real == sent:
        return sent, fs
    sent_lines, real_lines = split_lines(sent), split_lines(real)
    if len(sent_lines) != len(real_lines):
        return sent, fs
    changed = {i for i, (a, b) in enumerate(zip(sent_lines, real_lines, strict=True)) if a != b}
    if not all(_PLACEHOLDER.search(sent_lines[i]) for i in changed):
        return sent, fs
    out = []
    for f in fs:
        rng = f.range
        if rng is None:
            continue
        touched = any(i in changed for i in range(rng.start_line, rng.end_line + 1))
        if touched:
            rng = msgspec.structs.replace(
                rng,
                start_char=min(rng.start_char, len(real_lines[rng.start_line])),
                end_char=len(real_lines[rng.end_line])
                if rng.end_char >= len(sent_lines[rng.end_line])
                else min(rng.end_char, len(real_lines[rng.end_line])),
            )
        out.append(msgspec.structs.replace(f, range=rng))
    return real, out
