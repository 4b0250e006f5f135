"""Keeping the repository prefix in the prompt cache while the user edits (``keepWarm``): warm
it when it is cold, then again shortly before each lapse, for as long as edits keep coming
(one cache lifetime after the last edit it stops; the next edit starts it again). The request
itself is ``app.warm``'s."""

from __future__ import annotations

import asyncio
import time

import msgspec
from lsprotocol import types as lsp

from bigpicture.app import warm as warming
from bigpicture.client.credentials import has_credentials
from bigpicture.core.errors import BigPictureError
from bigpicture.core.request.layout import TTL_SECONDS
from bigpicture.lsp import protocol
from bigpicture.lsp.messages import log_msg, spawn
from bigpicture.lsp.reviews import api, prepare
from bigpicture.lsp.state import BigPictureServer, ReviewRequest
from bigpicture.store import cachebase

WARM_LEAD = 45.0  # seconds before the cache entry lapses


def start_keep_warm(ls: BigPictureServer) -> None:
    st = ls.state
    if not st.settings.keepWarm or st.root is None:
        return
    if st.warm_task is not None and not st.warm_task.done():
        return
    if not has_credentials(st.settings.provider):
        return
    st.warm_task = spawn(ls, _keep_warm(ls))


async def _warm_once(ls: BigPictureServer) -> bool:
    """One refresh; False when keep-warm must stop (it cannot plan or send)."""
    st = ls.state
    try:
        prepared = await prepare(ls, ReviewRequest("workspace"))
        warmed = await warming.warm(prepared, st.settings, api(ls))
    except BigPictureError as e:
        log_msg(ls, f"keep-warm stopped: {e.message}", lsp.MessageType.Warning)
        return False
    if warmed is None:
        log_msg(ls, "keep-warm: off while extended thinking is on")
        return False
    u = warmed.usage
    log_msg(
        ls,
        f"keep-warm: {u.cache_read_input_tokens:,} tokens read, "
        f"{u.cache_creation_input_tokens:,} written, ${warmed.cost.usd:.4f}",
        lsp.MessageType.Info,
    )
    ls.protocol.notify(
        protocol.CACHE_WARMED, {"costUsd": warmed.cost.usd, "usage": msgspec.to_builtins(u)}
    )
    if not warmed.cached:
        log_msg(ls, "keep-warm: the API cached nothing; stopping", lsp.MessageType.Warning)
        return False
    return True


async def _keep_warm(ls: BigPictureServer) -> None:
    st = ls.state
    ttl = TTL_SECONDS.get(st.settings.cacheTtl, 300)
    while st.settings.keepWarm and time.time() - st.last_edit < ttl:
        base = await asyncio.to_thread(cachebase.load, str(st.root))
        wait = (base.expires - WARM_LEAD - time.time()) if base is not None else 0
        if wait > 0:
            await asyncio.sleep(min(wait, ttl))
            continue
        if st.running is not None and not st.running.done():
            await asyncio.sleep(5)  # a review is refreshing the cache anyway
            continue
        if not await _warm_once(ls):
            return
