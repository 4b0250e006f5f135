"""The language server with ``language`` and ``verify``: Chinese diagnostics at the exact
range the verbatim quote gives, in VS Code's and Neovim's capabilities; with ``verify = "on"``
only the confirmed findings become diagnostics (none flash while the first reply streams), the
summary says how many were dropped, and a failed pass keeps every finding, incomplete."""

from __future__ import annotations

import pytest
from fake_api import ErrorReply, Localized, ToolReply, Verifier
from lsprotocol import types as lsp
from planted import planted_findings
from test_language_outputs import ZH_MESSAGE, ZH_TITLE, chinese
from test_lsp import CLIENTS, fake, start  # noqa: F401 (fixture)


@pytest.mark.parametrize("client_name", CLIENTS)
async def test_chinese_diagnostics(defects, fake, tmp_path, client_name):  # noqa: F811
    s = await start(
        defects, fake, client_name, settings={"language": "zh-CN"}, data_dir=tmp_path / "d"
    )
    try:
        answer = Localized({"zh-CN": chinese()}, default=planted_findings())
        fake.script(answer)
        summary = await s.command("bigpicture.reviewWorkspace")
        assert summary["status"] == "ok" and summary["findings"] == 1
        assert answer.seen[0].language == "zh-CN"
        (d,) = s.diags("app/db.py")
        assert d.message.startswith(f"[critical] {ZH_TITLE}") and ZH_MESSAGE in d.message
        assert d.range.start == lsp.Position(8, 0) and d.code == "CWE-89"
        hover = await s.client.text_document_hover_async(
            lsp.HoverParams(lsp.TextDocumentIdentifier(s.uri("app/db.py")), lsp.Position(8, 4))
        )
        assert "中的 SQL 注入" in hover.contents.value and ZH_MESSAGE in hover.contents.value
    finally:
        await s.client.shutdown_session()
        await s.client.stop()


async def test_a_bad_language_setting_is_named_and_english_is_used(defects, fake, tmp_path):  # noqa: F811
    s = await start(defects, fake, settings={"language": "chinese"}, data_dir=tmp_path / "d")
    try:
        fake.script(ToolReply(planted_findings()))
        await s.command("bigpicture.reviewWorkspace")
        shown = [p.message for m, p in s.notes if m == lsp.WINDOW_SHOW_MESSAGE]
        assert any("'chinese' is not a BCP 47 language tag" in m for m in shown), shown
        body = fake.messages_requests()[0].body
        assert "Write in" not in body["messages"][0]["content"][-1]["text"]
    finally:
        await s.client.shutdown_session()
        await s.client.stop()


async def test_verify_on_shows_only_confirmed_findings(defects, fake, tmp_path):  # noqa: F811
    s = await start(defects, fake, settings={"verify": "on"}, data_dir=tmp_path / "d")
    try:
        fake.script(
            ToolReply(planted_findings(), chunks=40),
            Verifier(
                reject={
                    "Hard-coded credential": "redacted value",
                    "Path traversal in read_report": None,
                }
            ),
        )
        summary = await s.command("bigpicture.reviewWorkspace")
        assert summary["status"] == "ok" and summary["findings"] == 3, summary
        assert "2 dropped by the verification pass" in summary["message"]
        assert {d.code for d in s.diags("app/web.py")} == {"CWE-78"}
        web = s.diags("app/web.py")[0]
        hover = await s.client.text_document_hover_async(
            lsp.HoverParams(lsp.TextDocumentIdentifier(s.uri("app/web.py")), web.range.start)
        )
        assert "confirmed by the verification pass" in hover.contents.value
        # nothing rejected was ever published, not even while the first reply streamed
        published = [
            dg.code
            for m, p in s.notes
            if m == lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS
            for dg in p.diagnostics
        ]
        assert "CWE-798" not in published and "CWE-22" not in published
    finally:
        await s.client.shutdown_session()
        await s.client.stop()


async def test_a_failed_pass_in_the_editor_is_incomplete_and_keeps_the_findings(
    defects,
    fake,  # noqa: F811
    tmp_path,
):
    s = await start(defects, fake, settings={"verify": "on"}, data_dir=tmp_path / "d")
    try:
        fake.script(
            ToolReply(planted_findings()),
            ErrorReply(400, "invalid_request_error", "bad request"),
        )
        summary = await s.command("bigpicture.reviewWorkspace")
        assert summary["status"] == "incomplete", summary
        assert "verification pass did not finish" in summary["message"]
        assert len(s.diags("app/web.py")) == 3  # unverified, still shown
    finally:
        await s.client.shutdown_session()
        await s.client.stop()
