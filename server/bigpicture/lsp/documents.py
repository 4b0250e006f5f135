"""Document and file events: findings follow the text, saves may start a review, and the
in-memory workspace stays current (saves and watched-file events re-read single files)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from lsprotocol import types as lsp

from bigpicture.lsp.messages import spawn
from bigpicture.lsp.publish import has_findings, open_doc, publish, rel_path
from bigpicture.lsp.reviews import debounced
from bigpicture.lsp.state import BigPictureServer, ReviewRequest
from bigpicture.lsp.warm import start_keep_warm


def on_open(ls: BigPictureServer, uri: str) -> None:
    rel = rel_path(ls, uri)
    if rel and has_findings(ls, rel):
        publish(ls, rel)


def on_change(ls: BigPictureServer, uri: str) -> None:
    ls.state.last_edit = time.time()
    start_keep_warm(ls)
    rel = rel_path(ls, uri)
    if rel and has_findings(ls, rel):
        publish(ls, rel)


def on_close(ls: BigPictureServer, uri: str) -> None:
    rel = rel_path(ls, uri)
    if rel and has_findings(ls, rel):
        publish(ls, rel)  # now against the file on disk, no version


def on_save(ls: BigPictureServer, uri: str) -> None:
    st = ls.state
    st.last_edit = time.time()
    start_keep_warm(ls)
    rel = rel_path(ls, uri)
    if rel is None:
        return
    if st.live is not None:
        st.live.file_changed(rel)
    if has_findings(ls, rel):
        publish(ls, rel)
    mode = st.settings.reviewOnSave
    if mode == "off":
        return
    request = ReviewRequest("changes" if mode == "changes" else "file", rel, trigger="save")
    if st.debounce is not None and not st.debounce.done():
        st.debounce.cancel()
    st.debounce = spawn(ls, debounced(ls, request))


def on_watched(ls: BigPictureServer, changes: Sequence[lsp.FileEvent]) -> None:
    st = ls.state
    for ev in changes:
        rel = rel_path(ls, ev.uri)
        if rel is None or st.live is None:
            continue
        if ev.type == lsp.FileChangeType.Deleted:
            st.live.file_deleted(rel)
            st.findings.pop(rel, None)
            if has_findings(ls, rel):
                publish(ls, rel)  # shows nothing now
        else:
            st.live.file_changed(rel)
            if has_findings(ls, rel) and open_doc(ls, rel) is None:
                publish(ls, rel)
