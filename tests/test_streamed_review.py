"""A review streamed from the fake API (``app.review``): each finding handed on once, as its
JSON completes, and the result equal to the one the same reply gives read whole; the kept
last review (``store.lastreview``)."""

from __future__ import annotations

import asyncio
import json

import msgspec
import pytest
from bigpicture.app import prepare as pipeline
from bigpicture.app import review as reviewing
from bigpicture.client.anthropic import ApiClient
from bigpicture.core.config import Settings
from bigpicture.core.models import Finding
from bigpicture.core.reply.interpret import Reply
from bigpicture.store import lastreview
from bigpicture.store import paths as store_paths
from conftest import commit, write
from fake_api import FakeAnthropic, ToolReply
from planted import planted_findings


@pytest.fixture
def fake(monkeypatch):
    with FakeAnthropic() as f:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        yield f


DUP = "x = eval(s)\n\ny = 1\nx = eval(s)\n"  # the same code twice


def answer() -> dict:
    """The planted findings, and: the same problem on the same code at two places, the later
    one first (one id, numbered by position once both are known), one repeated exactly, one
    malformed, one on a file that was not sent, and one below the default minSeverity."""
    got = planted_findings()
    items = got["findings"]
    sql = items[0]
    ev = {"path": "app/dup.py", "quote": "x = eval(s)", "severity": "high"}
    ev.update(category="security", title="eval of input", message="m")
    items.insert(0, {**ev, "line": 4})
    items.insert(1, {**ev, "line": 1})
    items.append(dict(items[3]))  # an exact repeat
    items.append({"path": "app/db.py", "title": "no quote"})  # malformed
    items.append({**sql, "path": "nowhere.py"})  # not sent
    # below minSeverity "low" (another category: the same category, CWE and code would be
    # the same finding, its title not counting)
    items.append({**sql, "severity": "info", "title": "minor", "category": "maintainability"})
    return got


async def streamed_review(defects, fake, chunk_size: int):
    settings = Settings(baseUrl=fake.url)
    write(defects, "app/dup.py", DUP)
    prepared = pipeline.prepare(defects, settings, kind="workspace")
    fake.script(ToolReply(answer(), chunk_size=chunk_size))
    handed: list[list[Finding]] = []
    client = ApiClient(base_url=fake.url)
    try:
        result = await reviewing.review(
            prepared, settings, client, use_cache=False, on_findings=handed.append
        )
    finally:
        await client.aclose()
    return prepared, settings, result, handed


@pytest.mark.parametrize("chunk_size", [1, 7, 100_000])
def test_streamed_findings_come_once_and_the_result_is_the_whole_replys(defects, fake, chunk_size):
    prepared, settings, result, handed = asyncio.run(streamed_review(defects, fake, chunk_size))
    flat = [f for batch in handed for f in batch]
    assert flat and all(batch for batch in handed)  # only new findings, never an empty call
    assert len({(f.path, f.range, f.title) for f in flat}) == len(flat)  # each once
    shown = [f for f in result.findings if not f.suppressed]
    assert {(f.path, f.range, f.title) for f in flat} == {(f.path, f.range, f.title) for f in shown}
    evals = [f for f in result.findings if f.path == "app/dup.py"]
    assert [f.range.start_line for f in evals] == [0, 3] and len({f.id for f in evals}) == 2
    assert result.complete and result.dropped.malformed == 1
    assert result.dropped.unknown_path == 1 and result.dropped.below_threshold == 1
    # the same reply read whole (a Message Batch's result, say): the same result
    whole = reviewing.from_reply(
        prepared,
        settings,
        Reply(stop_reason="tool_use", tool_input=answer(), model=prepared.plan.model),
        cache_key=None,
        record=False,
    )
    assert msgspec.to_builtins(whole.findings) == msgspec.to_builtins(result.findings)
    assert whole.dropped == result.dropped


def test_a_second_tool_call_starts_the_stream_over(defects, fake):
    settings = Settings()
    prepared = pipeline.prepare(defects, settings, kind="workspace")
    streamed = reviewing.Streamed(prepared, settings)
    first = json.dumps(planted_findings())
    got = streamed.feed(first[: len(first) // 2])
    assert got and streamed.count == len(got)
    again = json.dumps({"findings": planted_findings()["findings"][:1], "summary": "s"})
    assert [f.title for f in streamed.feed(again)] == [got[0].title]  # scanned from its start
    assert streamed.count == 1 and len(streamed.anchorer.inputs) == 1


def test_the_kept_review_is_merged_bounded_and_forgotten(tmp_path, monkeypatch):
    root = tmp_path / "ws"
    root.mkdir()

    def f(path: str, title: str) -> Finding:
        return Finding(path, 1, "x", "high", "security", title, "m")

    assert lastreview.load(root) is None
    lastreview.record(
        root,
        kind="workspace",
        summary="s1",
        covered={"a.py": "x\n", "b.py": "x\n", "c.py": "y\n"},
        findings=[f("a.py", "A"), f("b.py", "B")],
        at=100.0,
    )
    # a later review covering only b.py and c.py: a.py is kept, b.py replaced, c.py added
    lastreview.record(
        root,
        kind="changes",
        summary="s2",
        covered={"b.py": "x\n", "c.py": "x\n"},
        findings=[f("c.py", "C")],
        at=200.0,
    )
    got = lastreview.load(root)
    assert got is not None and (got.kind, got.summary, got.reviewed_at) == ("changes", "s2", 200)
    assert {p: [x.title for x in e.findings] for p, e in got.files.items()} == {
        "a.py": ["A"],
        "c.py": ["C"],
    }
    assert got.files["c.py"].text == "x\n" and got.files["a.py"].reviewed_at == 100
    # bounded: the files reviewed longest ago go first
    monkeypatch.setattr(lastreview, "MAX_FILES", 1)
    lastreview.record(
        root, kind="file", summary="", covered={"d.py": "x\n"}, findings=[f("d.py", "D")], at=300
    )
    assert list(lastreview.load(root).files) == ["d.py"]
    # an unreadable file is no kept review, and forgetting removes it
    path = store_paths.workspace_dir(root) / "last-review.json"
    path.write_text("{not json")
    assert lastreview.load(root) is None
    lastreview.forget(root)
    assert not path.exists()


def test_the_kept_text_is_the_sent_one_with_secrets_redacted(defects, fake, tmp_path):
    """What a restarted server re-anchors on is what was sent: no secret is written there."""
    write(defects, "app/extra.py", "X = 1\n")
    commit(defects, "extra")
    prepared, _, result, _ = asyncio.run(streamed_review(defects, fake, 64))
    texts = prepared.plan.sent_texts(prepared.snapshot)
    lastreview.record(
        defects, kind="workspace", summary="", covered=texts, findings=result.findings, at=1.0
    )
    raw = (store_paths.workspace_dir(defects) / "last-review.json").read_text()
    assert "hunter2-but-longer" not in raw and "<redacted:" in raw
