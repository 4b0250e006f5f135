"""lsp.publish: findings shown on the editor's text, over JSON-RPC against the real server. What
the editor relies on: every file with findings gets its diagnostics (open or not), published
again only when what it shows changes; the live counts (bigpicture/findingsChanged) follow
what is shown; clearing takes every diagnostic off and says how many files had some."""

from __future__ import annotations

import pytest
from fake_api import FakeAnthropic, ToolReply
from lsprotocol import types as lsp
from planted import planted_findings
from test_lsp import line_of, start

DB, WEB = "app/db.py", "app/web.py"


@pytest.fixture
def fake():
    with FakeAnthropic() as f:
        yield f


@pytest.fixture
async def s(defects, fake, tmp_path):
    session = await start(defects, fake, data_dir=tmp_path / "data")
    yield session
    await session.client.shutdown_session()
    await session.client.stop()


def publishes(s, rel: str) -> int:
    uri = s.uri(rel)
    return sum(
        1
        for m, p in s.notes
        if m == lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS and getattr(p, "uri", None) == uri
    )


async def test_published_for_every_file_and_again_only_when_it_changes(s) -> None:
    s.fake.script(ToolReply(planted_findings()))
    s.open(DB)
    assert (await s.command("bigpicture.reviewWorkspace"))["status"] == "ok"
    assert {d.code for d in s.diags(WEB)} == {"CWE-78", "CWE-22", "CWE-798"}  # not open
    before = publishes(s, DB)
    assert before >= 1
    # Nothing the diagnostics show changes: a save, a round trip, an edit far below.
    s.save(DB)
    await s.sync(DB)
    assert publishes(s, DB) == before
    text = (s.root / DB).read_text()
    s.change(DB, "# moved\n" + text)
    await s.wait_until(
        lambda: any(
            d.code == "CWE-89" and d.range.start.line == line_of("# moved\n" + text, "cur.execute")
            for d in s.diags(DB)
        ),
        "the SQL finding to move with the edit",
    )
    assert publishes(s, DB) == before + 1


async def test_counts_follow_what_is_shown_and_clearing_takes_everything_off(s) -> None:
    s.fake.script(ToolReply(planted_findings()))
    await s.command("bigpicture.reviewWorkspace")
    counts = await s.wait_for(
        "bigpicture/findingsChanged", lambda p: p["total"] == 5, "the counts of five findings"
    )
    assert sum(counts["counts"].values()) == 5 and set(counts["counts"]) >= {"critical", "info"}
    assert (await s.command("bigpicture.clearFindings")) == {"cleared": 2}
    assert s.diags(DB) == [] and s.diags(WEB) == []
    await s.wait_for("bigpicture/findingsChanged", lambda p: p["total"] == 0, "the counts at 0")
