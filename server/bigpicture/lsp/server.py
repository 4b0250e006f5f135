"""BigPicture as a language server (pygls 2): the factory with thin handlers, and ``run``.

Handlers unpack parameters and call the module that owns the work: ``documents`` (document
and file events), ``reviews`` (review commands and their scheduling), ``commands`` (the other
commands), ``actions`` (code actions), ``settings`` and ``lifecycle``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

import msgspec
from lsprotocol import types as lsp

from bigpicture.lsp import (
    actions,
    commands,
    documents,
    findings,
    lifecycle,
    protocol,
    reviews,
    settings,
)
from bigpicture.lsp.state import BigPictureServer

log = logging.getLogger(__name__)

KINDS = ("workspace", "changes", "file", "full")


def _kind_and_uri(args: tuple[Any, ...]) -> tuple[str, str | None]:
    kind = args[0] if args and args[0] in KINDS else "workspace"
    uri = args[1] if len(args) > 1 and isinstance(args[1], str) else None
    return kind, uri


def _options(args: tuple[Any, ...]) -> protocol.ReviewOptions | str:
    """A review command's trailing options object (``protocol.ReviewOptions``), or what is
    wrong with it."""
    if not args or not isinstance(args[-1], dict):
        return protocol.ReviewOptions()
    try:
        return msgspec.convert(args[-1], protocol.ReviewOptions)
    except msgspec.ValidationError as e:
        return f"review options: {e} (ifRunning is one of cancel, wait, ask)"


async def _review(
    ls: BigPictureServer, kind: str, args: tuple[Any, ...], uri: str | None = None
) -> dict[str, Any]:
    options = _options(args)
    if isinstance(options, str):
        return reviews.refuse(ls, kind, options)
    return await reviews.run_command(ls, kind, uri=uri, options=options)


# Document events: each handler hands the document's URI to ``documents``.
_DOCUMENT_EVENTS: dict[str, Callable[[BigPictureServer, str], None]] = {
    lsp.TEXT_DOCUMENT_DID_OPEN: documents.on_open,
    lsp.TEXT_DOCUMENT_DID_CHANGE: documents.on_change,
    lsp.TEXT_DOCUMENT_DID_SAVE: documents.on_save,
    lsp.TEXT_DOCUMENT_DID_CLOSE: documents.on_close,
}


class _DocumentParams(Protocol):
    @property
    def text_document(self) -> lsp.TextDocumentIdentifier | lsp.TextDocumentItem: ...


def _document_handler(
    on_event: Callable[[BigPictureServer, str], None],
) -> Callable[[BigPictureServer, _DocumentParams], None]:
    def handler(ls: BigPictureServer, params: _DocumentParams) -> None:
        on_event(ls, params.text_document.uri)

    handler.__name__ = on_event.__name__
    return handler


def _lifecycle(server: BigPictureServer) -> None:
    """initialize, initialized, settings pushed by the client, shutdown."""

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: BigPictureServer, params: lsp.InitializeParams) -> None:
        settings.on_initialize(ls, params)

    @server.feature(lsp.INITIALIZED)
    async def initialized(ls: BigPictureServer, params: lsp.InitializedParams) -> None:
        await lifecycle.on_initialized(ls)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: BigPictureServer, params: lsp.DidChangeConfigurationParams
    ) -> None:
        await settings.reload_settings(ls, pushed=params.settings)

    @server.feature(lsp.SHUTDOWN)
    async def shutdown(ls: BigPictureServer, params: Any = None) -> None:
        await lifecycle.on_shutdown(ls)


def _documents(server: BigPictureServer) -> None:
    """Document and file events, code actions and hover."""
    for method, on_event in _DOCUMENT_EVENTS.items():
        server.feature(method)(_document_handler(on_event))

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched(ls: BigPictureServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        documents.on_watched(ls, params.changes)

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

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: BigPictureServer, params: lsp.HoverParams) -> lsp.Hover | None:
        return findings.hover(ls, params)


def _review_commands(server: BigPictureServer) -> None:
    """The three reviews, their plan and estimate, and cancel."""

    @server.command(protocol.REVIEW_WORKSPACE)
    async def review_workspace(ls: BigPictureServer, *args: Any) -> dict[str, Any]:
        return await _review(ls, "workspace", args)

    @server.command(protocol.REVIEW_CHANGES)
    async def review_changes(ls: BigPictureServer, *args: Any) -> dict[str, Any]:
        return await _review(ls, "changes", args)

    @server.command(protocol.REVIEW_FILE)
    async def review_file(ls: BigPictureServer, *args: Any) -> dict[str, Any]:
        uri = args[0] if args and isinstance(args[0], str) else None
        return await _review(ls, "file", args, uri=uri)

    @server.command(protocol.REVIEW_ALL_SHARDS)
    async def review_all_shards(ls: BigPictureServer, *args: Any) -> dict[str, Any]:
        return await _review(ls, "full", args)

    @server.command(protocol.SHOW_PLAN)
    async def show_plan(ls: BigPictureServer, *args: Any) -> dict[str, Any]:
        return await commands.show_plan(ls, *_kind_and_uri(args))

    @server.command(protocol.ESTIMATE)
    async def estimate(ls: BigPictureServer, *args: Any) -> dict[str, Any]:
        return await commands.estimate(ls, *_kind_and_uri(args))

    @server.command(protocol.CANCEL)
    async def cancel(ls: BigPictureServer, *args: Any) -> dict[str, Any]:
        return await reviews.cancel(ls)


def _finding_commands(server: BigPictureServer) -> None:
    """clear, dismiss, explain, the listing, restore; and usage."""

    @server.command(protocol.CLEAR_FINDINGS)
    def clear_findings(ls: BigPictureServer, *args: Any) -> dict[str, Any]:
        return commands.clear(ls)

    @server.command(protocol.DISMISS_FINDING)
    def dismiss(ls: BigPictureServer, *args: Any) -> dict[str, Any]:
        finding_id = str(args[0]) if args else ""
        reason = str(args[1]) if len(args) > 1 else "false-positive"
        return commands.dismiss(ls, finding_id, reason)

    @server.command(protocol.EXPLAIN_FINDING)
    async def explain(ls: BigPictureServer, *args: Any) -> dict[str, Any]:
        return await commands.explain(ls, str(args[0]) if args else "")

    @server.command(protocol.FINDINGS)
    def list_findings(ls: BigPictureServer, *args: Any) -> dict[str, Any]:
        return findings.listing(ls)

    @server.command(protocol.RESTORE_FINDING)
    def restore_finding(ls: BigPictureServer, *args: Any) -> dict[str, Any]:
        return findings.restore(ls, str(args[0]) if args else "")

    @server.command(protocol.USAGE)
    def usage(ls: BigPictureServer, *args: Any) -> dict[str, Any]:
        return commands.usage(ls)


def create_server() -> BigPictureServer:
    """The language server with every handler registered: thin ones, each calling the module
    that owns the work."""
    server = BigPictureServer()
    _lifecycle(server)
    _documents(server)
    _review_commands(server)
    _finding_commands(server)
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
