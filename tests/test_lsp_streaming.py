"""The language server at scale, over stdio with pytest-lsp against the fake API: streamed
findings published in coalesced flushes and equal to the whole reply's, the last review's
findings restored after a restart, the summary of a review that brought nothing new, and the
live counts (``bigpicture/findingsChanged``)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import commit, write
from fake_api import ErrorReply, FakeAnthropic, HeldReply, ToolReply
from lsprotocol import types as lsp
from planted import planted_findings
from test_lsp import Session, line_of, start

PUBLISH = lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS
FLUSH_LOG = "streamed findings: flush "


@pytest.fixture
def fake():
    with FakeAnthropic() as f:
        yield f


async def stop(s: Session) -> None:
    await s.client.shutdown_session()
    await s.client.stop()


def many_files(root: Path, files: int = 12, lines: int = 30) -> dict[str, list[str]]:
    out = {}
    for i in range(files):
        rel = f"src/m{i}.py"
        body = [f"def f{i}_{j}(x):  # unicode é 錯 {j}" for j in range(lines)]
        write(root, rel, "\n".join(body) + "\n")
        out[rel] = body
    commit(root, "init")
    return out


def many_findings(files: dict[str, list[str]], per_file: int = 5) -> dict[str, Any]:
    findings = []
    for k in range(per_file):
        for rel, body in files.items():
            j = 3 + k * 5
            findings.append(
                {
                    "path": rel,
                    "line": j + 3,  # off: anchoring finds the quote
                    "quote": body[j],
                    "severity": ["critical", "high", "medium", "low"][k % 4],
                    "category": "security",
                    "title": f'Finding {k} in {rel}: "quoted" [brackets] {{braces}}',
                    "message": 'A message with \\ backslashes, "quotes", ] and } inside.',
                    "cwe": "CWE-89",
                    "fix": {"replacement": body[j] + "  # fixed"},
                }
            )
    return {"findings": findings, "summary": "many"}


def shown(s: Session) -> dict[str, list[Any]]:
    """What the client shows now, per URI, as comparable data."""
    return {
        uri: sorted(
            json.dumps(
                {
                    "range": [
                        d.range.start.line,
                        d.range.start.character,
                        d.range.end.line,
                        d.range.end.character,
                    ],
                    "message": d.message,
                    "code": d.code,
                    "severity": int(d.severity),
                    "data": d.data,
                },
                sort_keys=True,
            )
            for d in diags
        )
        for uri, diags in s.client.diagnostics.items()
        if diags
    }


async def test_streamed_findings_are_published_in_flushes_and_equal_the_whole_reply(
    repo, fake, tmp_path
):
    files = many_files(repo)
    answer = many_findings(files)
    data = tmp_path / "data"
    fake.script(ToolReply(answer, chunk_size=40))  # ~200 deltas
    # (60 findings: over the default cap of 25, which the whole reply would then apply)
    s = await start(repo, fake, settings={"logLevel": "debug", "maxFindings": 100}, data_dir=data)
    try:
        summary = await s.command("bigpicture.reviewWorkspace")
        assert summary["status"] == "ok" and summary["findings"] == 60
        streamed = shown(s)
        assert sum(len(v) for v in streamed.values()) == 60 and len(streamed) == 12

        # split the notifications at each flush's log line: a file at most once per flush
        segments: list[list[str]] = [[]]
        for method, params in s.notes:
            if method == PUBLISH:
                segments[-1].append(params.uri)
            elif method == lsp.WINDOW_LOG_MESSAGE and params.message.startswith(FLUSH_LOG):
                segments.append([])
        flushes, after = segments[:-1], segments[-1]
        assert flushes, "findings were published while the reply streamed"
        for uris in flushes:
            assert len(uris) == len(set(uris)), "a file published twice in one flush"
        publishes = sum(len(u) for u in flushes)
        assert publishes <= len(files) * len(flushes)
        assert publishes < 60  # not one per finding, let alone one per delta per file
        assert after == [], "the end republished what the stream had already shown"
    finally:
        await stop(s)

    # The whole-reply path: the same request answered from the result cache, no streaming.
    s = await start(repo, fake, settings={"maxFindings": 100}, data_dir=data)
    try:
        await s.command("bigpicture.clearFindings")  # not the restored ones: a fresh review
        assert shown(s) == {}
        summary = await s.command("bigpicture.reviewWorkspace")
        assert summary["fromCache"] is True
        assert shown(s) == streamed
    finally:
        await stop(s)
    assert len(fake.messages_requests()) == 1


async def test_findings_are_restored_after_a_restart_on_the_current_text(defects, fake, tmp_path):
    data = tmp_path / "data"
    fake.script(ToolReply(planted_findings()))
    s = await start(defects, fake, data_dir=data)
    try:
        first = await s.command("bigpicture.reviewWorkspace")
        assert first["status"] == "ok" and first["findings"] == 5
    finally:
        await stop(s)

    # While no server runs: lines inserted above the findings, and one finding's code deleted.
    web = defects / "app/web.py"
    text = web.read_text()
    edited = "# two new\n# lines\n" + text.replace(
        '    path = os.path.join("/srv/reports", name)\n', "    path = None\n"
    )
    web.write_text(edited)

    s = await start(defects, fake, data_dir=data)
    try:
        restored = await s.wait_for(
            "bigpicture/reviewFinished", lambda p: p.get("restored"), "the restored summary"
        )
        assert restored["status"] == "ok" and restored["findings"] == 4
        assert restored["reviewedAt"] == first["reviewedAt"]
        assert "findings from the review of" in restored["message"]
        await s.wait_until(lambda: len(s.diags("app/web.py")) == 2, "restored web.py findings")
        codes = {d.code: d for d in s.diags("app/web.py")}
        assert set(codes) == {"CWE-78", "CWE-798"}  # CWE-22's code is gone
        assert codes["CWE-78"].range.start.line == line_of(edited, "subprocess.check_output")
        assert codes["CWE-798"].range.start.line == line_of(edited, "API_PASSWORD")
        assert {d.code for d in s.diags("app/db.py")} == {"CWE-89", "architecture"}
        assert len(fake.messages_requests()) == 1  # restored, not asked again

        # a failed review does not replace what is kept
        write(defects, "app/extra.py", "X = 2\n")
        s.watched("app/extra.py")
        fake.script(*[ErrorReply(529, "overloaded_error", "Overloaded")] * 3)
        failed = await s.command("bigpicture.reviewWorkspace")
        assert failed["status"] == "failed"
    finally:
        await stop(s)

    s = await start(defects, fake, data_dir=data)
    try:
        again = await s.wait_for(
            "bigpicture/reviewFinished", lambda p: p.get("restored"), "the restored summary"
        )
        assert again["findings"] == 4 and again["reviewedAt"] == first["reviewedAt"]
        # a complete review replaces them for the files it covered
        only_db = planted_findings()
        only_db["findings"] = [f for f in only_db["findings"] if f.get("cwe") == "CWE-89"]
        fake.script(ToolReply(only_db))
        write(defects, "app/extra.py", "X = 3\n")
        s.watched("app/extra.py")
        done = await s.command("bigpicture.reviewWorkspace")
        assert done["status"] == "ok" and done["findings"] == 1
    finally:
        await stop(s)

    s = await start(defects, fake, data_dir=data)
    try:
        last = await s.wait_for(
            "bigpicture/reviewFinished", lambda p: p.get("restored"), "the restored summary"
        )
        assert last["findings"] == 1 and last["reviewedAt"] == done["reviewedAt"]
        await s.wait_until(lambda: len(s.diags("app/db.py")) == 1, "the one kept finding")
        assert s.diags("app/web.py") == []
    finally:
        await stop(s)


async def test_a_review_that_brings_nothing_says_the_earlier_findings_are_kept(
    defects, fake, tmp_path
):
    s = await start(defects, fake, data_dir=tmp_path / "data")
    try:
        fake.script(ToolReply(planted_findings()))
        await s.command("bigpicture.reviewWorkspace")

        def changed(n: int) -> None:  # so the result cache does not answer
            write(defects, "app/extra.py", f"X = {n}\n")
            s.watched("app/extra.py")

        changed(1)
        fake.script(*[ErrorReply(529, "overloaded_error", "Overloaded")] * 3)
        failed = await s.command("bigpicture.reviewWorkspace")
        assert failed["status"] == "failed" and failed["findings"] == 0
        assert failed["kept"] == 5
        assert "no new findings; the 5 from the previous review are kept" in failed["message"]

        changed(2)
        cut = planted_findings()
        fake.script(ToolReply(cut, truncate_json_at=10, stop_reason="max_tokens"))
        incomplete = await s.command("bigpicture.reviewWorkspace")
        assert incomplete["status"] == "incomplete" and incomplete["kept"] == 5
        assert "no new findings; the 5 from the previous review are kept" in incomplete["message"]

        changed(3)
        held = HeldReply(ToolReply({"findings": [], "summary": "none"}))
        fake.script(held)
        review = asyncio.create_task(s.command("bigpicture.reviewWorkspace"))
        await asyncio.to_thread(held.started.wait, 30)
        await s.command("bigpicture.cancel")
        await review
        cancelled = s.finished[-1]
        assert cancelled["status"] == "cancelled" and cancelled["kept"] == 5
        assert "the 5 from the previous review are kept" in cancelled["message"]
        assert len(s.diags("app/web.py")) == 3
    finally:
        await stop(s)


async def test_counts_follow_every_change_of_what_is_shown(defects, fake, tmp_path):
    s = await start(defects, fake, data_dir=tmp_path / "data")

    async def counts(total: int, what: str) -> dict[str, int]:
        got = await s.wait_for("bigpicture/findingsChanged", lambda p: p["total"] == total, what)
        assert sum(got["counts"].values()) == total
        return got["counts"]

    try:
        fake.script(ToolReply(planted_findings()))
        s.open("app/db.py")
        await s.command("bigpicture.reviewWorkspace")
        assert await counts(5, "the review's counts") == {
            "critical": 2,
            "high": 2,
            "medium": 1,
            "low": 0,
            "info": 0,
        }
        # a dismissal
        web = s.diags("app/web.py")
        traversal = next(d for d in web if d.code == "CWE-22")
        await s.command("bigpicture.dismissFinding", traversal.data["id"], "wont-fix")
        assert (await counts(4, "counts after a dismissal"))["high"] == 1
        # a fix applied: the editor applies the edit, the finding's code is gone
        sql = next(d for d in s.diags("app/db.py") if d.code == "CWE-89")
        actions = await s.client.text_document_code_action_async(
            lsp.CodeActionParams(
                lsp.TextDocumentIdentifier(s.uri("app/db.py")),
                sql.range,
                lsp.CodeActionContext(diagnostics=[sql]),
            )
        )
        fix = next(a for a in actions if a.title.startswith("Apply suggested fix"))
        (edit,) = fix.edit.document_changes[0].edits
        lines = (defects / "app/db.py").read_text().split("\n")
        line = lines[edit.range.start.line]
        lines[edit.range.start.line] = (
            line[: edit.range.start.character] + edit.new_text + line[edit.range.end.character :]
        )
        s.change("app/db.py", "\n".join(lines))
        assert (await counts(3, "counts after the fix"))["critical"] == 1
        # clear
        await s.command("bigpicture.clearFindings")
        assert await counts(0, "counts after clear") == dict.fromkeys(
            ["critical", "high", "medium", "low", "info"], 0
        )
    finally:
        await stop(s)
