"""The server's start and end: settings, the last review's findings (restored on the current
text) and file watching once the client is ready; every task cancelled and the API client
closed on shutdown."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from lsprotocol import types as lsp

from bigpicture.core.models import severity_rank
from bigpicture.core.reply import suppress
from bigpicture.lsp import protocol
from bigpicture.lsp.messages import log_msg
from bigpicture.lsp.publish import publish, shown_counts
from bigpicture.lsp.reviews import finished, iso_time
from bigpicture.lsp.settings import reload_settings
from bigpicture.lsp.state import BigPictureServer, FileFindings
from bigpicture.lsp.warm import start_keep_warm
from bigpicture.store import dismissed, lastreview


def restore(ls: BigPictureServer) -> None:
    """The last complete review's findings, re-anchored on each file's current text (the open
    document, else the file on disk; a finding whose code is gone is not shown), dismissals
    and ``minSeverity`` applied as they are now; the summary says when that review ran."""
    st = ls.state
    if st.root is None:
        return
    last = lastreview.load(st.root)
    if last is None or not last.files:
        return
    marks = dismissed.load(str(st.root))
    floor = severity_rank(st.settings.minSeverity)
    for path, entry in last.files.items():
        if path in st.findings:
            continue  # a review of this session got there first
        kept = [f for f in entry.findings if severity_rank(f.severity) <= floor]
        st.findings[path] = FileFindings(entry.text, suppress.apply(kept, marks))
        publish(ls, path)
    counts = {k: v for k, v in shown_counts(ls).items() if v}
    n = sum(counts.values())
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(last.reviewed_at))
    summary = protocol.Summary(
        status="ok",
        kind=last.kind,
        message=f"{n} finding{'' if n == 1 else 's'} from the review of {when}",
        findings=n,
        bySeverity=counts,
        reviewedAt=iso_time(last.reviewed_at),
        restored=True,
        summaryText=last.summary,
    )
    finished(ls, protocol.encode(summary))


async def on_initialized(ls: BigPictureServer) -> None:
    await reload_settings(ls)
    restore(ls)
    ls.state.last_edit = time.time()
    start_keep_warm(ls)
    caps = ls.client_capabilities.workspace
    watched = caps.did_change_watched_files if caps else None
    if watched and watched.dynamic_registration:
        try:
            await ls.client_register_capability_async(
                lsp.RegistrationParams(
                    registrations=[
                        lsp.Registration(
                            id="bigpicture-watch",
                            method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            register_options=lsp.DidChangeWatchedFilesRegistrationOptions(
                                watchers=[lsp.FileSystemWatcher(glob_pattern="**/*")]
                            ),
                        )
                    ]
                )
            )
        except Exception as e:  # the client may refuse; saves still update the snapshot
            log_msg(ls, f"file watching not registered: {e}")


async def on_shutdown(ls: BigPictureServer) -> None:
    st = ls.state
    tasks: list[asyncio.Task[Any]] = [
        t
        for t in [st.running, st.debounce, st.warm_task, *st.tasks]
        if t is not None and not t.done()
    ]
    for t in tasks:
        t.cancel()
    for t in tasks:
        try:
            await t
        except (asyncio.CancelledError, Exception):
            pass
    if st.api is not None:
        try:
            await st.api.aclose()
        finally:
            st.api = None
