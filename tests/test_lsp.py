"""The language server over stdio, driven by pytest-lsp with real clients' capabilities,
against the fake API: diagnostics at exact ranges, fixes, edits mid-review, dismiss, explain,
cancel, progress, configuration, the cost guard, and faults that keep earlier findings."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import commit, write
from fake_api import ErrorReply, FakeAnthropic, HeldReply, TextReply, ToolReply
from lsprotocol import types as lsp
from planted import planted_findings
from pygls import uris
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

CLIENTS = ["visual-studio-code", "neovim"]


class Session:
    def __init__(self, client: LanguageClient, root: Path, fake: FakeAnthropic):
        self.client = client
        self.root = root
        self.fake = fake
        self.finished: list[dict[str, Any]] = []
        self.versions: dict[str, int] = {}
        self.notes: list[tuple[str, Any]] = []  # every notification, in the order received
        handle = client.protocol._handle_notification

        def recorded(method: str, params: Any) -> Any:
            self.notes.append((method, params))
            return handle(method, params)

        client.protocol._handle_notification = recorded

    def uri(self, rel: str) -> str:
        return uris.from_fs_path(str(self.root / rel))

    async def command(self, name: str, *args: Any) -> Any:
        return await self.client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(command=name, arguments=list(args))
        )

    def open(self, rel: str) -> None:
        text = (self.root / rel).read_text()
        self.versions[rel] = 1
        self.client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(self.uri(rel), "python", 1, text))
        )

    def change(self, rel: str, text: str) -> int:
        self.versions[rel] += 1
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                lsp.VersionedTextDocumentIdentifier(version=self.versions[rel], uri=self.uri(rel)),
                [lsp.TextDocumentContentChangeWholeDocument(text)],
            )
        )
        return self.versions[rel]

    def save(self, rel: str) -> None:
        self.client.text_document_did_save(
            lsp.DidSaveTextDocumentParams(lsp.TextDocumentIdentifier(self.uri(rel)))
        )

    async def sync(self, rel: str) -> None:
        """A round trip: the server handles messages in order, so once this answers it has
        processed every notification sent before it."""
        await self.client.text_document_code_action_async(
            lsp.CodeActionParams(
                lsp.TextDocumentIdentifier(self.uri(rel)),
                lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)),
                lsp.CodeActionContext(diagnostics=[]),
            )
        )

    def watched(self, rel: str, kind: lsp.FileChangeType = lsp.FileChangeType.Created) -> None:
        """What an editor's file watcher sends when a file changes outside it."""
        self.client.workspace_did_change_watched_files(
            lsp.DidChangeWatchedFilesParams([lsp.FileEvent(self.uri(rel), kind)])
        )

    def diags(self, rel: str) -> list[lsp.Diagnostic]:
        return list(self.client.diagnostics.get(self.uri(rel), []))

    def published_version(self, rel: str) -> int | None:
        """The document version the last publishDiagnostics for ``rel`` carried."""
        uri = self.uri(rel)
        sent = [p for m, p in self.notes if m == lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]
        last = [p for p in sent if getattr(p, "uri", None) == uri][-1]
        return last.version

    def notified(self, method: str) -> list[Any]:
        return [_plain(p) for m, p in self.notes if m == method]

    async def wait_for(self, method: str, predicate, what: str, timeout: float = 30) -> Any:
        """The first ``method`` notification (plain data) matching ``predicate``, received
        already or waited for."""

        async def loop():
            while True:
                for params in self.notified(method):
                    if predicate(params):
                        return params
                await self.client.wait_for_notification(method)

        try:
            return await asyncio.wait_for(loop(), timeout)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}") from None

    async def wait_until(self, predicate, what: str, timeout: float = 30) -> None:
        async def loop():
            while not predicate():
                await self.client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)

        try:
            await asyncio.wait_for(loop(), timeout)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}") from None


def _plain(obj: Any) -> Any:
    """A custom notification's params (pygls gives named tuples) as plain data."""
    if hasattr(obj, "_asdict"):
        return {k: _plain(v) for k, v in obj._asdict().items()}
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    return obj


def capabilities(client_name: str, version_support: bool) -> lsp.ClientCapabilities:
    """A real client's capabilities; ``version_support`` as clients that claim
    ``publishDiagnostics.versionSupport`` (Helix, Emacs' eglot) send them."""
    caps = client_capabilities(client_name)
    if version_support and caps.text_document and caps.text_document.publish_diagnostics:
        caps.text_document.publish_diagnostics.version_support = True
    return caps


async def start(
    root: Path,
    fake: FakeAnthropic,
    client_name: str = "visual-studio-code",
    settings: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    data_dir: Path | None = None,
    version_support: bool = False,
) -> Session:
    server_env = {
        **os.environ,
        "ANTHROPIC_API_KEY": "sk-ant-test",
        "ANTHROPIC_BASE_URL": fake.url,
        **(env or {}),
    }
    if data_dir is not None:
        server_env["BIGPICTURE_DATA_DIR"] = str(data_dir)
    config = ClientServerConfig(
        server_command=[sys.executable, "-m", "bigpicture", "serve", "--stdio"],
        server_env=server_env,
    )
    client = await config.start()
    session = Session(client, root, fake)

    @client.feature("bigpicture/reviewFinished")
    def finished(params: Any) -> None:
        session.finished.append(_plain(params))

    client.set_configuration({"bigpicture": settings or {}}, section="")
    await client.initialize_session(
        lsp.InitializeParams(
            capabilities=capabilities(client_name, version_support),
            root_uri=uris.from_fs_path(str(root)),
            workspace_folders=[lsp.WorkspaceFolder(uris.from_fs_path(str(root)), "ws")],
            initialization_options={"bigpicture": settings or {}},
        )
    )
    return session


@pytest.fixture
def fake():
    with FakeAnthropic() as f:
        yield f


@pytest.fixture
async def session(defects, fake, tmp_path, request):
    s = await start(defects, fake, data_dir=tmp_path / "data")
    yield s
    await s.client.shutdown_session()
    await s.client.stop()


def line_of(text: str, needle: str) -> int:
    return next(i for i, ln in enumerate(text.split("\n")) if needle in ln)


@pytest.mark.parametrize("client_name", CLIENTS)
async def test_review_publishes_exact_ranges_fix_progress_and_summary(
    defects, fake, tmp_path, client_name
):
    s = await start(defects, fake, client_name, data_dir=tmp_path / "data")
    try:
        fake.script(ToolReply(planted_findings()))
        s.open("app/db.py")
        summary = await s.command("bigpicture.reviewWorkspace")
        assert summary["status"] == "ok" and summary["findings"] == 5
        assert summary["costUsd"] > 0 and summary["requestId"]

        db = s.diags("app/db.py")
        sql = next(d for d in db if d.code == "CWE-89")
        assert sql.range.start == lsp.Position(8, 0)
        assert sql.range.end == lsp.Position(
            8, len('    cur.execute("SELECT * FROM users WHERE name = \'" + name + "\'")')
        )
        assert sql.severity == lsp.DiagnosticSeverity.Error and sql.source == "bigpicture"
        assert sql.code_description.href == "https://cwe.mitre.org/data/definitions/89.html"
        layering = next(d for d in db if d.code == "architecture")
        assert layering.severity == lsp.DiagnosticSeverity.Warning
        assert layering.related_information[0].location.uri == s.uri("app/web.py")
        # a file that is not open gets its diagnostics too
        web = s.diags("app/web.py")
        assert {d.code for d in web} == {"CWE-78", "CWE-22", "CWE-798"}
        assert next(d for d in web if d.code == "CWE-78").range.start.line == 10

        # the fix: a versioned edit of exactly the quoted range
        actions = await s.client.text_document_code_action_async(
            lsp.CodeActionParams(
                lsp.TextDocumentIdentifier(s.uri("app/db.py")),
                sql.range,
                lsp.CodeActionContext(diagnostics=[sql]),
            )
        )
        titles = [a.title for a in actions]
        assert any(t.startswith("Apply suggested fix") for t in titles)
        assert any("Dismiss finding (false positive)" in t for t in titles)
        assert any("Explain this finding" in t for t in titles)
        fix = next(a for a in actions if a.title.startswith("Apply suggested fix"))
        (doc_edit,) = fix.edit.document_changes
        assert doc_edit.text_document.version == 1
        (edit,) = doc_edit.edits
        assert edit.range == sql.range
        assert "?" in edit.new_text and "(name,)" in edit.new_text

        if client_name == "visual-studio-code":
            assert s.client.progress_reports, "work-done progress was reported"
            values = [v for reports in s.client.progress_reports.values() for v in reports]
            assert isinstance(values[0], lsp.WorkDoneProgressBegin)
            assert isinstance(values[-1], lsp.WorkDoneProgressEnd)
        assert s.finished and s.finished[-1]["status"] == "ok"
        assert any("review done: 5 findings" in m.message for m in s.client.messages)
    finally:
        await s.client.shutdown_session()
        await s.client.stop()


async def test_utf16_ranges_after_emoji_and_cjk(repo, fake, tmp_path):
    line = 'label = "錯誤😋é"; os.system("rm -rf " + user_path)'
    write(repo, "app.py", "import os\n\n" + line + "\n" + "PAD = 1\n" * 3000)
    commit(repo, "init")
    quote = 'os.system("rm -rf " + user_path)'
    fake.script(
        ToolReply(
            {
                "findings": [
                    {
                        "path": "app.py",
                        "line": 3,
                        "quote": quote,
                        "severity": "high",
                        "category": "security",
                        "title": "Command injection",
                        "message": "m",
                        "cwe": "CWE-78",
                    }
                ],
                "summary": "one",
            }
        )
    )
    s = await start(repo, fake, data_dir=tmp_path / "d")
    try:
        await s.command("bigpicture.reviewWorkspace")
        (d,) = s.diags("app.py")
        prefix = line[: line.index(quote)]
        utf16 = len(prefix.encode("utf-16-le")) // 2
        assert utf16 == len(prefix) + 1  # the emoji is two UTF-16 code units
        assert d.range.start == lsp.Position(2, utf16)
        assert d.range.end == lsp.Position(2, utf16 + len(quote))
    finally:
        await s.client.shutdown_session()
        await s.client.stop()


async def test_edit_during_review_moves_findings_with_the_text(session: Session):
    held = HeldReply(ToolReply(planted_findings()))
    session.fake.script(held)
    session.open("app/web.py")
    review = asyncio.create_task(session.command("bigpicture.reviewWorkspace"))
    await asyncio.to_thread(held.started.wait, 30)
    text = (session.root / "app/web.py").read_text()
    edited = "# a new first line\n# and another\n" + text
    version = session.change("app/web.py", edited)
    await session.sync("app/web.py")
    held.release.set()
    summary = await review
    assert summary["status"] == "ok"
    web = session.diags("app/web.py")
    cmd = next(d for d in web if d.code == "CWE-78")
    assert cmd.range.start.line == line_of(edited, "subprocess.check_output")
    # and after the review, another edit moves it again; deleting the code removes it
    edited2 = edited.replace("import os\n", "import os\nimport sys\n")
    session.change("app/web.py", edited2)
    await session.wait_until(
        lambda: any(
            d.code == "CWE-78" and d.range.start.line == line_of(edited2, "subprocess.check_output")
            for d in session.diags("app/web.py")
        ),
        "the finding to follow the second edit",
    )
    edited3 = edited2.replace(
        '    return subprocess.check_output("ping -c 1 " + host, shell=True)\n', "    return None\n"
    )
    session.change("app/web.py", edited3)
    await session.wait_until(
        lambda: all(d.code != "CWE-78" for d in session.diags("app/web.py")),
        "the finding whose code is gone to disappear",
    )
    assert version >= 2


async def test_dismissed_finding_stays_away_after_the_next_review(session: Session):
    session.fake.default = ToolReply(planted_findings())
    await session.command("bigpicture.reviewWorkspace")
    sql = next(d for d in session.diags("app/db.py") if d.code == "CWE-89")
    res = await session.command("bigpicture.dismissFinding", sql.data["id"], "false-positive")
    assert res["dismissed"] == sql.data["id"]
    assert all(d.code != "CWE-89" for d in session.diags("app/db.py"))
    stored = json.loads((session.root / ".bigpicture/dismissed.json").read_text())
    assert [e["id"] for e in stored["dismissed"]] == [sql.data["id"]]
    # a changed workspace forces a real review, which reports the finding again
    write(session.root, "app/extra.py", "X = 2\n")
    session.watched("app/extra.py")
    summary = await session.command("bigpicture.reviewWorkspace")
    assert summary["status"] == "ok" and summary["fromCache"] is False
    assert all(d.code != "CWE-89" for d in session.diags("app/db.py"))
    assert len(session.fake.messages_requests()) == 2


async def test_explain_reuses_the_cached_prefix(session: Session):
    session.fake.script(
        ToolReply(planted_findings()),
        ToolReply({"findings": [], "summary": "Because **name** flows into SQL."}),
    )
    await session.command("bigpicture.reviewWorkspace")
    sql = next(d for d in session.diags("app/db.py") if d.code == "CWE-89")
    res = await session.command("bigpicture.explainFinding", sql.data["id"])
    assert "flows into SQL" in res["answer"]
    assert res["cacheReadShare"] > 0.5
    first, second = session.fake.messages_requests()
    assert first.body["tools"] == second.body["tools"]
    assert first.body["messages"][0]["content"][:-1] == second.body["messages"][0]["content"][:-1]


async def test_cancel_keeps_earlier_findings(session: Session):
    session.fake.script(ToolReply(planted_findings()))
    await session.command("bigpicture.reviewWorkspace")
    before = session.diags("app/web.py")
    held = HeldReply(ToolReply({"findings": [], "summary": "none"}))
    session.fake.script(held)
    write(session.root, "app/extra.py", "X = 2\n")  # so the result cache does not answer
    session.watched("app/extra.py")
    review = asyncio.create_task(session.command("bigpicture.reviewWorkspace"))
    await asyncio.to_thread(held.started.wait, 30)
    res = await session.command("bigpicture.cancel")
    assert res == {"cancelled": True}
    summary = await review
    assert summary["status"] == "cancelled"
    assert await asyncio.to_thread(held.disconnected.wait, 30)  # the HTTP call was closed
    assert [d.range for d in session.diags("app/web.py")] == [d.range for d in before]


async def test_api_fault_is_one_clear_message_and_diagnostics_stay(session: Session):
    session.fake.script(ToolReply(planted_findings()))
    await session.command("bigpicture.reviewWorkspace")
    before = session.diags("app/db.py")
    write(session.root, "app/extra.py", "X = 2\n")
    session.watched("app/extra.py")
    session.fake.script(*[ErrorReply(529, "overloaded_error", "Overloaded")] * 3)
    summary = await session.command("bigpicture.reviewWorkspace")
    assert summary["status"] == "failed" and summary["error"] == "overloaded"
    assert any(
        m.type == lsp.MessageType.Error and "overloaded" in m.message
        for m in session.client.messages
    )
    assert session.diags("app/db.py") == before


async def test_no_key_is_a_clear_message(defects, fake, tmp_path):
    s = await start(defects, fake, env={"ANTHROPIC_API_KEY": ""}, data_dir=tmp_path / "d")
    try:
        summary = await s.command("bigpicture.reviewWorkspace")
        assert summary["status"] == "failed" and summary["error"] == "no-api-key"
        assert any("ANTHROPIC_API_KEY is not set" in m.message for m in s.client.messages)
        plan = await s.command("bigpicture.showPlan")
        assert "Files sent: 4" in plan["text"]
        assert s.client.shown_documents and s.client.shown_documents[0].uri == plan["uri"]
        assert fake.messages_requests() == []
    finally:
        await s.client.shutdown_session()
        await s.client.stop()


async def test_review_on_save_and_cost_guard(defects, fake, tmp_path):
    settings = {"reviewOnSave": "changes", "debounceMs": 50}
    s = await start(defects, fake, settings=settings, data_dir=tmp_path / "d")
    try:
        fake.default = ToolReply(planted_findings())
        s.open("app/web.py")
        text = (defects / "app/web.py").read_text() + "\n# touched\n"
        (defects / "app/web.py").write_text(text)
        s.change("app/web.py", text)
        s.save("app/web.py")
        await s.wait_until(
            lambda: any(d.code == "CWE-78" for d in s.diags("app/web.py")), "review on save"
        )
        body = fake.messages_requests()[-1].body
        assert "<bp-" in body["messages"][0]["content"][-1]["text"]
        assert "-diff base=" in body["messages"][0]["content"][-1]["text"]

        # the cost guard: nothing is sent, the user is told once
        s.client.set_configuration(
            {"bigpicture": {**settings, "maxCostPerReview": 0.000001}}, section=""
        )
        s.client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings={}))
        sent = len(fake.messages_requests())
        for i in range(2):
            text += f"# again {i}\n"
            (defects / "app/web.py").write_text(text)
            s.change("app/web.py", text)
            s.save("app/web.py")
            await asyncio.wait_for(s.client.wait_for_notification("bigpicture/reviewFinished"), 30)
        assert len(fake.messages_requests()) == sent
        warnings = [m for m in s.client.messages if "review on save skipped" in m.message]
        assert len(warnings) == 1
    finally:
        await s.client.shutdown_session()
        await s.client.stop()


async def test_configuration_change_takes_effect(session: Session):
    session.fake.default = ToolReply(planted_findings())
    session.client.set_configuration({"bigpicture": {"minSeverity": "high"}}, section="")
    session.client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings={}))
    summary = await session.command("bigpicture.reviewWorkspace")
    assert summary["findings"] == 4  # the medium architecture finding is hidden
    assert all(d.code != "architecture" for d in session.diags("app/db.py"))


async def test_keep_warm_makes_the_first_review_a_cache_read(defects, fake, tmp_path):
    fake.default = TextReply("", stop_reason="max_tokens")  # what max_tokens 0 yields
    s = await start(defects, fake, settings={"keepWarm": True}, data_dir=tmp_path / "d")
    try:
        warmed = await asyncio.wait_for(
            s.client.wait_for_notification("bigpicture/cacheWarmed"), 30
        )
        assert warmed is not None
        (warm,) = fake.messages_requests()
        assert warm.body["max_tokens"] == 0
        assert warm.body["tools"][0]["name"] == "report_findings"
        fake.script(ToolReply(planted_findings()))
        summary = await s.command("bigpicture.reviewWorkspace")
        assert summary["status"] == "ok"
        assert summary["cacheReadShare"] > 0.9  # the repository was already in the cache
        first, second = fake.messages_requests()
        assert (
            first.body["messages"][0]["content"][:-1] == second.body["messages"][0]["content"][:-1]
        )
    finally:
        await s.client.shutdown_session()
        await s.client.stop()


async def test_cancel_request_stops_the_review_and_closes_the_http_call(session: Session):
    held = HeldReply(ToolReply(planted_findings()))
    session.fake.script(held)
    proto = session.client.protocol
    future = proto.send_request(
        lsp.WORKSPACE_EXECUTE_COMMAND,
        lsp.ExecuteCommandParams(command="bigpicture.reviewWorkspace", arguments=[]),
    )
    (request_id,) = [k for k, f in proto._request_futures.items() if f is future]
    await asyncio.to_thread(held.started.wait, 30)
    # what an editor sends when the user cancels the command
    proto.notify(lsp.CANCEL_REQUEST, lsp.CancelParams(id=request_id))
    assert await asyncio.to_thread(held.disconnected.wait, 30)  # the HTTP call was closed
    with pytest.raises(Exception, match=r"(?i)cancel"):
        await asyncio.wrap_future(future)
    # the server is alive, nothing is running, and no finding was published
    assert await session.command("bigpicture.cancel") == {"cancelled": False}
    assert session.diags("app/db.py") == []


async def test_non_utf8_and_huge_files_do_not_crash_it(repo, fake, tmp_path):
    latin = "# café\nimport os\nos.system('rm -rf ' + nom_de_fichier)\n" + "X = 1\n" * 2000
    write(repo, "legacy.py", latin.encode("latin-1"))
    write(repo, "huge.txt", "y" * (3 * 1024 * 1024))  # one 3 MB line, over the size cap
    commit(repo, "init")
    quote = "os.system('rm -rf ' + nom_de_fichier)"
    fake.script(
        ToolReply(
            {
                "findings": [
                    {
                        "path": "legacy.py",
                        "line": 3,
                        "quote": quote,
                        "severity": "high",
                        "category": "security",
                        "title": "Command injection",
                        "message": "m",
                    }
                ],
                "summary": "one",
            }
        )
    )
    s = await start(repo, fake, data_dir=tmp_path / "d")
    try:
        summary = await s.command("bigpicture.reviewWorkspace")
        assert summary["status"] == "ok" and summary["findings"] == 1
        (d,) = s.diags("legacy.py")
        assert d.range.start == lsp.Position(2, 0) and d.range.end == lsp.Position(2, len(quote))
        plan = await s.command("bigpicture.showPlan")
        assert "huge.txt" in plan["text"] and "too-large" in plan["text"]
    finally:
        await s.client.shutdown_session()
        await s.client.stop()


async def test_explain_answer_is_shown_without_terminal_or_bidi_tricks(session: Session):
    session.fake.script(
        ToolReply(planted_findings()),
        ToolReply({"findings": [], "summary": "Safe\x1b[31m red\x1b[0m \u202eevil\u202c text"}),
    )
    await session.command("bigpicture.reviewWorkspace")
    sql = next(d for d in session.diags("app/db.py") if d.code == "CWE-89")
    res = await session.command("bigpicture.explainFinding", sql.data["id"])
    assert "\x1b" not in res["answer"] and "\u202e" not in res["answer"]
    assert "Safe" in res["answer"] and "evil" in res["answer"]


async def test_diagnostics_carry_the_version_of_the_text_they_were_computed_on(
    defects, fake, tmp_path
):
    s = await start(defects, fake, data_dir=tmp_path / "data", version_support=True)
    try:
        held = HeldReply(ToolReply(planted_findings()))
        fake.script(held)
        s.open("app/web.py")
        review = asyncio.create_task(s.command("bigpicture.reviewWorkspace"))
        await asyncio.to_thread(held.started.wait, 30)
        edited = "# a new first line\n" + (s.root / "app/web.py").read_text()
        version = s.change("app/web.py", edited)
        await s.sync("app/web.py")
        held.release.set()
        assert (await review)["status"] == "ok"
        # computed on the edited text, so they say its version, not the one opened
        assert version == 2 and s.published_version("app/web.py") == version
        edited2 = "# and another\n" + edited
        s.change("app/web.py", edited2)
        await s.wait_until(
            lambda: s.published_version("app/web.py") == 3, "diagnostics for version 3"
        )
        cmd = next(d for d in s.diags("app/web.py") if d.code == "CWE-78")
        assert cmd.range.start.line == line_of(edited2, "subprocess.check_output")
    finally:
        await s.client.shutdown_session()
        await s.client.stop()
