"""The editor contract's newer parts (LSP_CONTRACT.md), over stdio with pytest-lsp against the
fake API: what a review command does while one runs (``ifRunning``), the summary's fields, the
findings list with dismissed ones and restoring them, ``[severity]`` in diagnostics and the
hover, and the plan's complete file list."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from fake_api import FakeAnthropic, HeldReply, ToolReply
from lsprotocol import types as lsp
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
    await first
    assert await asyncio.to_thread(held.disconnected.wait, 30)  # its HTTP call was closed
    cancelled = next(f for f in s.finished if f["kind"] == "workspace")
    assert cancelled["status"] == "cancelled"
    assert "a file review replaced it" in cancelled["message"]
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


async def test_a_bad_if_running_value_is_refused(session: Session):
    got = await session.command(WORKSPACE, {"ifRunning": "later"})
    assert got["status"] == "failed" and got["error"] == "bad-argument"
    assert "ifRunning" in got["message"]
    assert session.fake.messages_requests() == []
