"""lsp.actions: the code actions on a finding, over JSON-RPC against the real server. What the
editor relies on: the suggested fix is a versioned edit of exactly the quoted range, offered
only for a document open in the editor and only while its text still holds the quote; dismiss
(two reasons) and explain for each finding under the cursor, none for findings elsewhere;
"Review this file" always."""

from __future__ import annotations

import ast

import pytest
from fake_api import FakeAnthropic, ToolReply
from lsprotocol import types as lsp
from planted import planted_findings
from test_lsp import start

DB = "app/db.py"


@pytest.fixture
def fake():
    with FakeAnthropic() as f:
        yield f


@pytest.fixture
async def reviewed(defects, fake, tmp_path):
    s = await start(defects, fake, data_dir=tmp_path / "data")
    fake.script(ToolReply(planted_findings()))
    assert (await s.command("bigpicture.reviewWorkspace"))["status"] == "ok"
    yield s
    await s.client.shutdown_session()
    await s.client.stop()


async def actions(s, rel: str, rng: lsp.Range) -> list[lsp.CodeAction]:
    got = await s.client.text_document_code_action_async(
        lsp.CodeActionParams(
            lsp.TextDocumentIdentifier(s.uri(rel)), rng, lsp.CodeActionContext(diagnostics=[])
        )
    )
    return list(got or [])


def titles(got: list[lsp.CodeAction]) -> list[str]:
    return [a.title for a in got]


def commands(got: list[lsp.CodeAction]) -> list[tuple[str, list]]:
    """(command, arguments) of each action that runs a command. The test client reads an action
    with a command and no edit back as a ``Command`` (the union's first type that fits) whose
    ``command`` is the nested command object's text: that is read back here."""
    out = []
    for a in got:
        cmd = a if isinstance(a, lsp.Command) else a.command
        if cmd is None:
            continue
        if cmd.command.startswith("{"):
            nested = ast.literal_eval(cmd.command)
            out.append((nested["command"], list(nested.get("arguments") or [])))
        else:
            out.append((cmd.command, list(cmd.arguments or [])))
    return out


async def test_the_fix_is_offered_only_for_an_open_document_whose_text_holds_the_quote(reviewed):
    s = reviewed
    sql = next(d for d in s.diags(DB) if d.code == "CWE-89")
    closed = titles(await actions(s, DB, sql.range))
    assert not any(t.startswith("Apply suggested fix") for t in closed)  # no version to edit
    assert any(t.startswith("Dismiss finding (false positive)") for t in closed)
    s.open(DB)
    fix = next(a for a in await actions(s, DB, sql.range) if a.title.startswith("Apply"))
    assert fix.is_preferred and fix.kind == lsp.CodeActionKind.QuickFix
    (doc_edit,) = fix.edit.document_changes
    assert doc_edit.text_document.version == 1 and doc_edit.edits[0].range == sql.range
    # The quoted text edited in place (the finding stays on its line): no fix any more.
    text = (s.root / DB).read_text()
    s.change(DB, text.replace('" + name + "\'")', '" + name + "\'")  # checked'))
    await s.sync(DB)
    after = titles(await actions(s, DB, sql.range))
    assert "Review this file with BigPicture" in after


async def test_dismiss_and_explain_for_the_findings_under_the_cursor_only(reviewed):
    s = reviewed
    s.open(DB)
    diags = s.diags(DB)
    sql = next(d for d in diags if d.code == "CWE-89")
    got = commands(await actions(s, DB, sql.range))
    on_finding = [(c, args) for c, args in got if c != "bigpicture.reviewFile"]
    assert {args[0] for _, args in on_finding} == {sql.data["id"]}
    assert sorted(args[1] for c, args in on_finding if c == "bigpicture.dismissFinding") == [
        "false-positive",
        "wont-fix",
    ]
    assert ("bigpicture.explainFinding", [sql.data["id"]]) in on_finding
    nowhere = lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))  # line 1: no finding there
    assert titles(await actions(s, DB, nowhere)) == ["Review this file with BigPicture"]


async def test_review_this_file_is_offered_with_no_findings(defects, fake, tmp_path):
    s = await start(defects, fake, data_dir=tmp_path / "data")
    try:
        s.open(DB)
        got = await actions(s, DB, lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)))
        assert titles(got) == ["Review this file with BigPicture"]
        assert commands(got) == [("bigpicture.reviewFile", [s.uri(DB)])]
    finally:
        await s.client.shutdown_session()
        await s.client.stop()
