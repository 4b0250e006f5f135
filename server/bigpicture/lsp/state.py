"""The language server's state, in one object, and the server class that holds it.

Findings are kept per workspace-relative path together with the exact text their ranges refer
to; an edit re-anchors them onto the new text (``core.reply.follow``), so they follow the code.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from bigpicture import __version__
from bigpicture.app.prepare import Prepared
from bigpicture.client.anthropic import ApiClient
from bigpicture.core.config import Settings
from bigpicture.core.gather.workspace import LiveWorkspace
from bigpicture.core.models import Finding
from bigpicture.lsp.cancellation import CancellingProtocol


@dataclass
class FileFindings:
    text: str  # the text the findings' ranges refer to
    findings: list[Finding]
    version: int | None = None  # the document version of ``text`` when it came from the editor


@dataclass
class ReviewRequest:
    kind: str  # workspace | changes | file
    file: str | None = None  # workspace-relative path for a file review
    trigger: str = "command"  # command | save
    started_at: float = 0.0  # wall time it started running
    replaced: ReviewRequest | None = None  # the running review it cancelled to start
    replaced_by: str | None = None  # the kind of review that cancelled it
    files: tuple[int, int] | None = None  # files sent and left out, once planned
    sent: bool = False  # its request went to the API (it may be billed)
    outcome: dict[str, Any] | None = None  # its summary, once it was cancelled


@dataclass
class State:
    settings: Settings = field(default_factory=Settings)
    settings_warnings: list[str] = field(default_factory=list)
    init_options: dict[str, Any] = field(default_factory=dict)
    client_settings: dict[str, Any] = field(default_factory=dict)
    root: Path | None = None
    live: LiveWorkspace | None = None
    findings: dict[str, FileFindings] = field(default_factory=dict)
    # the running review's streamed findings per file, on the text they were anchored on
    streamed: dict[str, FileFindings] | None = None
    # what each file's diagnostics show now: (document version, findings), by path
    published: dict[str, tuple[int | None, list[Finding]]] = field(default_factory=dict)
    counts_due: bool = False  # a findingsChanged notification is scheduled
    running: asyncio.Task[Any] | None = None
    running_request: ReviewRequest | None = None
    queued: ReviewRequest | None = None
    waiting: set[asyncio.Task[Any]] = field(default_factory=set)  # ``ifRunning: wait`` commands
    debounce: asyncio.Task[Any] | None = None
    last_summary: dict[str, Any] | None = None
    last_prepared: Prepared | None = None
    # a full-coverage review: the shard plan each file was reviewed in (explain asks on it)
    prepared_by_path: dict[str, Prepared] = field(default_factory=dict)
    cost_warned: bool = False
    api: ApiClient | None = None  # created on first use
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    progress_counter: int = 0
    request_tasks: dict[Any, asyncio.Task[Any]] = field(default_factory=dict)  # request id
    last_edit: float = 0.0  # wall time of the last change or save
    warm_task: asyncio.Task[Any] | None = None

    def finding_by_id(self, finding_id: str) -> tuple[str, Finding] | None:
        for path, ff in self.findings.items():
            for f in ff.findings:
                if f.id == finding_id:
                    return path, f
        return None


class BigPictureServer(LanguageServer):
    """The language server, holding its one ``State``.

    Text sync is Full: pygls applies incremental edits with ``str.splitlines``, which splits at
    form feeds and U+2028 where LSP does not, so Full keeps every line number right."""

    def __init__(self) -> None:
        super().__init__(
            "bigpicture",
            __version__,
            text_document_sync_kind=lsp.TextDocumentSyncKind.Full,
            protocol_cls=CancellingProtocol,
        )
        self.state = State()
