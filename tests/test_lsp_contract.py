"""The editor contract's newer parts (LSP_CONTRACT.md), over stdio with pytest-lsp against the
fake API: what a review command does while one runs (``ifRunning``), the summary's fields, the
findings list with dismissed ones and restoring them, ``[severity]`` in diagnostics and the
hover."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re

import pytest
from conftest import commit, write
from fake_api import ErrorReply, FakeAnthropic, HeldReply, ToolReply
from lsprotocol import types as lsp
from planted import planted_findings
from test_lsp import Session, start

WORKSPACE = "bigpicture.reviewWorkspace"
FILE = "bigpicture.reviewFile"
NOTHING = {"findings": [], "summary": "Nothing found."}


@pytest.fixture
def fake():
    with FakeAnthropic() as f:
        yield f


@pytest.fixture
async def session(defects, fake, tmp_path):
    s = await start(defects, fake, data_dir=tmp_path / "data")
    yield s
    await s.client.shutdown_session()
    await s.client.stop()


async def _held_workspace_review(s: Session, *then: object) -> tuple[HeldReply, asyncio.Task]:
    """A workspace review whose reply is held by the fake until released."""
    held = HeldReply(ToolReply(NOTHING))
    s.fake.script(held, *then)
    task = asyncio.create_task(s.command(WORKSPACE))
    await asyncio.to_thread(held.started.wait, 30)
    return held, task


async def test_if_running_cancel_starts_at_once_and_names_the_replaced_review(session: Session):
    s = session
    held, first = await _held_workspace_review(s, ToolReply(NOTHING))
    second = await s.command(FILE, s.uri("app/db.py"), {"ifRunning": "cancel"})
    assert second["status"] == "ok" and second["kind"] == "file"
    assert second["replaced"] == {"kind": "workspace", "trigger": "command"}
    assert "replaced the running workspace review" in second["message"]
    first_result = await first
    assert await asyncio.to_thread(held.disconnected.wait, 30)  # its HTTP call was closed
    cancelled = next(f for f in s.finished if f["kind"] == "workspace")
    assert first_result == cancelled  # its command answers what its notification said
    assert cancelled["status"] == "cancelled"
    assert "a file review replaced it" in cancelled["message"]
    # its request had reached the API: never cancelled without saying it may be billed
    assert "may be billed" in cancelled["message"] and "may be billed" in second["message"]
    await s.wait_for(
        lsp.WINDOW_LOG_MESSAGE,
        lambda p: "replaced it" in p.message and "may be billed" in p.message,
        "the cancellation in the log",
    )
    assert s.finished[-1]["replaced"] == second["replaced"]  # the notification says it too


async def test_without_options_a_review_command_cancels_the_running_one(session: Session):
    s = session
    _, first = await _held_workspace_review(s, ToolReply(NOTHING))
    second = await s.command(FILE, s.uri("app/db.py"))
    assert second["replaced"] == {"kind": "workspace", "trigger": "command"}
    await first


async def test_if_running_ask_starts_nothing_and_says_what_runs(session: Session):
    s = session
    held, first = await _held_workspace_review(s)
    answer = await s.command(FILE, s.uri("app/db.py"), {"ifRunning": "ask"})
    assert answer["status"] == "busy" and answer["kind"] == "file"
    running = answer["running"]
    assert running["kind"] == "workspace" and running["trigger"] == "command"
    started = dt.datetime.fromisoformat(running["startedAt"].replace("Z", "+00:00"))
    assert abs((dt.datetime.now(dt.UTC) - started).total_seconds()) < 3600
    assert "a workspace review is running" in answer["message"]
    assert not held.disconnected.is_set()
    held.release.set()
    done = await first
    assert done["status"] == "ok" and done["replaced"] is None
    assert len(s.fake.messages_requests()) == 1  # the asked review never ran
    # with nothing running, ask starts the review
    s.fake.script(ToolReply(NOTHING))
    assert (await s.command(FILE, s.uri("app/db.py"), {"ifRunning": "ask"}))["status"] == "ok"


async def test_if_running_wait_runs_once_after_the_running_review(session: Session):
    s = session
    held, first = await _held_workspace_review(s, ToolReply(NOTHING))
    second = asyncio.create_task(s.command(FILE, s.uri("app/db.py"), {"ifRunning": "wait"}))
    await s.wait_for(
        lsp.WINDOW_LOG_MESSAGE,
        lambda p: "this file review starts after it" in p.message,
        "the waiting review's log line",
    )
    assert len(s.fake.messages_requests()) == 1 and not held.disconnected.is_set()
    held.release.set()
    assert (await first)["status"] == "ok"  # not cancelled
    after = await second
    assert after["status"] == "ok" and after["kind"] == "file" and after["replaced"] is None
    assert len(s.fake.messages_requests()) == 2


async def test_cancel_also_cancels_a_waiting_review(session: Session):
    s = session
    _, first = await _held_workspace_review(s)
    waiting = asyncio.create_task(s.command(FILE, s.uri("app/db.py"), {"ifRunning": "wait"}))
    await s.wait_for(
        lsp.WINDOW_LOG_MESSAGE,
        lambda p: "this file review starts after it" in p.message,
        "the waiting review's log line",
    )
    assert await s.command("bigpicture.cancel") == {"cancelled": True}
    got = await waiting
    assert got["status"] == "cancelled" and "before it started" in got["message"]
    assert (await first)["status"] == "cancelled"
    assert len(s.fake.messages_requests()) == 1  # the waiting review never went out


async def test_a_bad_if_running_value_is_refused(session: Session):
    got = await session.command(WORKSPACE, {"ifRunning": "later"})
    assert got["status"] == "failed" and got["error"] == "bad-argument"
    assert "ifRunning" in got["message"]
    assert session.fake.messages_requests() == []


# --------------------------------------------------------------------------- the summary


def _when(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))


async def test_the_summary_says_when_what_the_model_said_and_which_files_went(session: Session):
    s = session
    s.fake.script(ToolReply(planted_findings()))
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    got = await s.command(WORKSPACE)
    assert got["status"] == "ok" and got["findings"] == 5
    assert got["summaryText"] == planted_findings()["summary"]
    assert before <= _when(got["reviewedAt"]) <= dt.datetime.now(dt.UTC)
    estimate = await s.command("bigpicture.estimate", "workspace")
    assert got["filesSent"] == estimate["files"] > 0
    assert got["filesLeftOut"] == 0
    assert got["attempts"] == 1 and got["trigger"] == "command"
    assert got["restored"] is False and got["kept"] == 0 and got["retryAfter"] is None
    assert s.finished[-1] == got  # the notification carries the same summary


async def test_a_rate_limited_review_says_when_to_retry_after_how_many_attempts(
    session: Session,
):
    s = session
    s.fake.script(ToolReply(planted_findings()))
    await s.command(WORKSPACE)
    write(s.root, "app/extra.py", "X = 2\n")  # a changed workspace: not the cached result
    s.watched("app/extra.py")
    limited = ErrorReply(429, "rate_limit_error", "slow down", headers={"retry-after-ms": "1500"})
    s.fake.script(limited, limited, limited)
    got = await s.command(WORKSPACE)
    assert got["status"] == "failed" and got["error"] == "rate-limited"
    assert got["retryable"] is True
    assert got["retryAfter"] == pytest.approx(1.5)
    assert got["attempts"] == 3 == len(s.fake.messages_requests()) - 1
    assert got["kept"] == 5 and got["findings"] == 0
    assert "the 5 from the previous review are kept" in got["message"]
    assert got["filesSent"] is not None and got["filesSent"] > 0  # it was planned
    assert got["summaryText"] is None


# --------------------------------------------------------------------------- the findings list


def _range(d: lsp.Diagnostic) -> dict:
    r = d.range
    return {
        "start": {"line": r.start.line, "character": r.start.character},
        "end": {"line": r.end.line, "character": r.end.character},
    }


async def test_findings_lists_what_the_editor_shows_and_restore_brings_a_dismissed_one_back(
    session: Session,
):
    s = session
    s.fake.script(ToolReply(planted_findings()))
    summary = await s.command(WORKSPACE)
    listed = await s.command("bigpicture.findings")
    assert listed["summary"] == summary
    assert listed["dismissed"] == []
    found = {f["id"]: f for f in listed["findings"]}
    diags = {d.data["id"]: d for rel in ("app/db.py", "app/web.py") for d in s.diags(rel)}
    assert set(found) == set(diags) and len(found) == 5
    for fid, f in found.items():
        assert f["range"] == _range(diags[fid])  # the same conversion as the diagnostics
        assert f["uri"] == s.uri(f["path"])
    sql = next(f for f in found.values() if f["cwe"] == "CWE-89")
    assert sql["severity"] == "critical" and sql["category"] == "security"
    assert sql["confidence"] == 0.95 and sql["approximate"] is False
    assert sql["fix"] == {"replacement": planted_findings()["findings"][0]["fix"]["replacement"]}
    assert sql["title"] == "SQL injection in find_user" and "concatenated" in sql["message"]
    layering = next(f for f in found.values() if f["category"] == "architecture")
    (rel,) = layering["related"]
    assert rel["uri"] == s.uri("app/web.py") and rel["message"] == "web imports db"
    web_text = (s.root / "app/web.py").read_text().split("\n")
    assert rel["range"]["start"]["line"] == next(
        i for i, ln in enumerate(web_text) if ln == "from app import db"
    )
    assert next(f for f in found.values() if f["cwe"] == "CWE-78")["fix"] is None

    # dismissed: out of the list and the editor, into the dismissed list
    assert (await s.command("bigpicture.dismissFinding", sql["id"], "wont-fix"))["dismissed"]
    await s.wait_for("bigpicture/findingsChanged", lambda p: p["total"] == 4, "4 after dismiss")
    listed = await s.command("bigpicture.findings")
    assert sql["id"] not in {f["id"] for f in listed["findings"]}
    (gone,) = listed["dismissed"]
    assert gone == {
        "id": sql["id"],
        "path": "app/db.py",
        "title": sql["title"],
        "category": "security",
        "reason": "wont-fix",
        "dismissedAt": dt.date.today().isoformat(),
    }
    assert all(d.data["id"] != sql["id"] for d in s.diags("app/db.py"))

    # restored: back in the editor, the list and the counts; out of dismissed.json
    got = await s.command("bigpicture.restoreFinding", sql["id"])
    assert got == {"restored": sql["id"], "shown": True}
    changed = await s.wait_for(
        "bigpicture/findingsChanged",
        lambda p: p["total"] == 5 and len(s.notified("bigpicture/findingsChanged")) > 2,
        "5 after restore",
    )
    assert changed["counts"]["critical"] == 2
    await s.wait_until(
        lambda: any(d.data["id"] == sql["id"] for d in s.diags("app/db.py")), "restored diag"
    )
    listed = await s.command("bigpicture.findings")
    assert listed["dismissed"] == [] and len(listed["findings"]) == 5
    stored = json.loads((s.root / ".bigpicture/dismissed.json").read_text())
    assert stored["dismissed"] == []
    # an id that is not dismissed
    assert (await s.command("bigpicture.restoreFinding", "nope"))["error"] == "not-found"


async def test_findings_and_hover_ranges_are_in_the_clients_encoding(repo, fake, tmp_path):
    line = 'label = "錯誤😋é"; os.system("rm -rf " + user_path)'
    write(repo, "app.py", "import os\n\n" + line + "\n")
    commit(repo, "init")
    quote = 'os.system("rm -rf " + user_path)'
    finding = {
        "path": "app.py",
        "line": 3,
        "quote": quote,
        "severity": "high",
        "category": "security",
        "title": "Command injection via [a link](https://evil.example)",
        "message": "user_path reaches a shell. <img src=x onerror=alert(1)>",
        "cwe": "CWE-78",
        "confidence": 0.8,
        "fix": {"replacement": 'subprocess.run(["rm", "-rf", user_path])'},
    }
    fake.script(ToolReply({"findings": [finding], "summary": "one"}))
    s = await start(repo, fake, data_dir=tmp_path / "d")
    try:
        await s.command(WORKSPACE)
        prefix = line[: line.index(quote)]
        utf16 = len(prefix.encode("utf-16-le")) // 2
        assert utf16 == len(prefix) + 1  # the emoji is two UTF-16 code units
        (f,) = (await s.command("bigpicture.findings"))["findings"]
        assert f["range"] == {
            "start": {"line": 2, "character": utf16},
            "end": {"line": 2, "character": utf16 + len(quote)},
        }
        (d,) = s.diags("app.py")
        assert d.message.startswith("[high] Command injection")

        async def hover(character: int) -> lsp.Hover | None:
            return await s.client.text_document_hover_async(
                lsp.HoverParams(
                    lsp.TextDocumentIdentifier(s.uri("app.py")), lsp.Position(2, character)
                )
            )

        assert await hover(utf16 - 1) is None  # just before the range
        got = await hover(utf16 + 3)
        assert got is not None and got.contents.kind == lsp.MarkupKind.Markdown
        assert got.range == d.range
        md = got.contents.value
        assert md.startswith("### Command injection via \\[a link\\]\\(https")  # no link
        assert "**high** · security · confidence 80%" in md
        assert "user\\_path reaches a shell" in md
        assert re.search(r"(?<!\\)[<>]", md) is None  # no HTML: every < and > escaped
        assert '```\nsubprocess.run(["rm", "-rf", user_path])\n```' in md
        assert await hover(utf16 + len(quote) + 1) is None  # past its end
    finally:
        await s.client.shutdown_session()
        await s.client.stop()
