"""BigPicture as a language server (pygls 2): the factory, thin handlers, and ``run``.

The review work lives in ``lsp.session``; handlers unpack parameters, call it, and return.
Text sync is Full: pygls applies incremental edits with ``str.splitlines``, which splits at
form feeds and U+2028 where LSP does not, so Full keeps every line number right.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol

from bigpicture import __version__
from bigpicture.lsp import actions, session, settings
from bigpicture.lsp.state import State

log = logging.getLogger(__name__)

COMMANDS = (
    "bigpicture.reviewWorkspace",
    "bigpicture.reviewChanges",
    "bigpicture.reviewFile",
    "bigpicture.showPlan",
    "bigpicture.estimate",
    "bigpicture.cancel",
    "bigpicture.clearFindings",
    "bigpicture.dismissFinding",
    "bigpicture.explainFinding",
    "bigpicture.usage",
)


class _Protocol(LanguageServerProtocol):
    """pygls cancels a request only if its handler has not started; ``workspace/executeCommand``
    runs its handler as a second step, so ``$/cancelRequest`` would never reach a running
    review. This also cancels the task of a command the client gave up on."""

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        super()._handle_cancel_notification(msg_id)
        task = self._server.state.request_tasks.get(msg_id)  # type: ignore[attr-defined]
        if task is not None and not task.done():
            task.cancel()


class BigPictureServer(LanguageServer):
    """The language server, holding its one ``State``."""

    def __init__(self) -> None:
        super().__init__(
            "bigpicture",
            __version__,
            text_document_sync_kind=lsp.TextDocumentSyncKind.Full,
            protocol_cls=_Protocol,
        )
        self.state = State()


def create_server() -> BigPictureServer:
    server = BigPictureServer()

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: BigPictureServer, params: lsp.InitializeParams) -> None:
        settings.on_initialize(ls, params)

    @server.feature(lsp.INITIALIZED)
    async def initialized(ls: BigPictureServer, params: lsp.InitializedParams) -> None:
        await session.on_initialized(ls)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: BigPictureServer, params: lsp.DidChangeConfigurationParams
    ) -> None:
        await settings.reload_settings(ls, pushed=params.settings)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: BigPictureServer, params: lsp.DidOpenTextDocumentParams) -> None:
        session.on_open(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: BigPictureServer, params: lsp.DidChangeTextDocumentParams) -> None:
        session.on_change(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: BigPictureServer, params: lsp.DidSaveTextDocumentParams) -> None:
        session.on_save(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: BigPictureServer, params: lsp.DidCloseTextDocumentParams) -> None:
        session.on_close(ls, params.text_document.uri)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched(ls: BigPictureServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        session.on_watched(ls, params.changes)

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(
            code_action_kinds=[lsp.CodeActionKind.QuickFix, lsp.CodeActionKind.Source]
        ),
    )
    def code_action(
        ls: BigPictureServer, params: lsp.CodeActionParams
    ) -> list[lsp.CodeAction] | None:
        return actions.code_actions(ls, params)

    @server.feature(lsp.SHUTDOWN)
    async def shutdown(ls: BigPictureServer, params: Any = None) -> None:
        await session.on_shutdown(ls)

    @server.command("bigpicture.reviewWorkspace")
    async def review_workspace(ls: BigPictureServer, *args: Any) -> dict[str, Any]:
        return await session.run_command_review(ls, "workspace")

    @server.command("bigpicture.reviewChanges")
    async def review_changes(ls: BigPictureServer, *args: Any) -> dict[str, Any]:
        return await session.run_command_review(ls, "changes")

    @server.command("bigpicture.reviewFile")
    async def review_file(ls: BigPictureServer, *args: Any) -> dict[str, Any]:
        uri = args[0] if args and isinstance(args[0], str) else None
        return await session.run_command_review(ls, "file", uri=uri)

    @server.command("bigpicture.showPlan")
    async def show_plan(ls: BigPictureServer, *args: Any) -> dict[str, Any]:
        kind = args[0] if args and args[0] in ("workspace", "changes", "file") else "workspace"
        uri = args[1] if len(args) > 1 and isinstance(args[1], str) else None
        return await session.show_plan(ls, kind, uri)

    @server.command("bigpicture.estimate")
    async def estimate(ls: BigPictureServer, *args: Any) -> dict[str, Any]:
        kind = args[0] if args and args[0] in ("workspace", "changes", "file") else "workspace"
        uri = args[1] if len(args) > 1 and isinstance(args[1], str) else None
        return await session.estimate(ls, kind, uri)

    @server.command("bigpicture.cancel")
    async def cancel(ls: BigPictureServer, *args: Any) -> dict[str, Any]:
        return await session.cancel(ls)

    @server.command("bigpicture.clearFindings")
    def clear_findings(ls: BigPictureServer, *args: Any) -> dict[str, Any]:
        return session.clear(ls)

    @server.command("bigpicture.dismissFinding")
    def dismiss(ls: BigPictureServer, *args: Any) -> dict[str, Any]:
        finding_id = str(args[0]) if args else ""
        reason = str(args[1]) if len(args) > 1 else "false-positive"
        return session.dismiss(ls, finding_id, reason)

    @server.command("bigpicture.explainFinding")
    async def explain(ls: BigPictureServer, *args: Any) -> dict[str, Any]:
        finding_id = str(args[0]) if args else ""
        return await session.explain(ls, finding_id)

    @server.command("bigpicture.usage")
    def usage(ls: BigPictureServer, *args: Any) -> dict[str, Any]:
        return session.usage(ls)

    return server


def run(tcp: str | None = None) -> int:
    """Serve over stdio (or TCP ``HOST:PORT`` for debugging) until the client exits."""
    logging.getLogger("pygls").setLevel(logging.WARNING)  # at INFO it logs whole payloads
    server = create_server()
    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
    return 0


__all__ = ["COMMANDS", "BigPictureServer", "asyncio", "create_server", "run"]
