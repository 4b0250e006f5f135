"""Talking to the user and keeping background work alive: messages, the log, tasks."""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Coroutine
from typing import Any

from lsprotocol import types as lsp

from bigpicture.lsp.state import BigPictureServer

log = logging.getLogger(__name__)


LEVEL = {
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
}


def show(ls: BigPictureServer, message: str, kind: lsp.MessageType = lsp.MessageType.Info) -> None:
    ls.window_show_message(lsp.ShowMessageParams(type=kind, message=f"BigPicture: {message}"))


def log_msg(
    ls: BigPictureServer, message: str, kind: lsp.MessageType = lsp.MessageType.Log
) -> None:
    level = {
        lsp.MessageType.Error: logging.ERROR,
        lsp.MessageType.Warning: logging.WARNING,
        lsp.MessageType.Info: logging.INFO,
    }.get(kind, logging.DEBUG)
    if (
        level >= LEVEL.get(ls.state.settings.logLevel, logging.INFO)
        or kind == lsp.MessageType.Error
    ):
        ls.window_log_message(lsp.LogMessageParams(type=kind, message=message))


def spawn(ls: BigPictureServer, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
    """A background task kept alive in the state, its exception logged, never lost."""
    task = asyncio.get_running_loop().create_task(coro)
    ls.state.tasks.add(task)

    def done(t: asyncio.Task[Any]) -> None:
        ls.state.tasks.discard(t)
        if not t.cancelled() and t.exception() is not None:
            exc = t.exception()
            log_msg(ls, "".join(traceback.format_exception(exc)), lsp.MessageType.Error)

    task.add_done_callback(done)
    return task
