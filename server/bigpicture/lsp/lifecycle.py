"""The server's start and end: settings and file watching once the client is ready; every task
cancelled and the API client closed on shutdown."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from lsprotocol import types as lsp

from bigpicture.lsp.messages import log_msg
from bigpicture.lsp.settings import reload_settings
from bigpicture.lsp.state import BigPictureServer
from bigpicture.lsp.warm import start_keep_warm


async def on_initialized(ls: BigPictureServer) -> None:
    await reload_settings(ls)
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
