"""The prompt-cache layout against the fake API's caching rules: the repository is read from
the cache on the reviews after the first, whether a recent or an old file was edited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bigpicture.cli import main
from conftest import commit, write
from fake_api import FakeAnthropic, ToolReply


@pytest.fixture
def history(repo: Path) -> Path:
    for i in range(24):
        write(repo, f"core/m{i:02}.py", f'"""Module {i}."""\n' + f"VALUE_{i} = {i}\n" * 300)
    commit(repo, "old code", when=1_600_000_000)
    write(repo, "app/recent.py", '"""Recent."""\n' + "FLAG = True\n" * 300)
    commit(repo, "recent code", when=1_700_000_000)
    return repo


def review(capsys, root: Path) -> dict:
    assert main(["review", str(root), "--format", "json", "-q", "--no-cache"]) == 0
    return json.loads(capsys.readouterr().out)


def share(result: dict) -> float:
    u = result["usage"]
    total = u["input_tokens"] + u["cache_creation_input_tokens"] + u["cache_read_input_tokens"]
    return u["cache_read_input_tokens"] / total


def test_second_and_third_reviews_read_the_repository_from_the_cache(history, capsys, monkeypatch):
    with FakeAnthropic() as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
        fake.default = ToolReply({"findings": [], "summary": "ok"})

        first = review(capsys, history)
        assert first["usage"]["cache_read_input_tokens"] == 0
        assert first["usage"]["cache_creation_input_tokens"] > 0

        write(history, "app/recent.py", '"""Recent, edited."""\n' + "FLAG = False\n" * 300)
        second = review(capsys, history)
        assert share(second) > 0.85

        write(history, "core/m03.py", '"""Module 3, edited."""\n' + "VALUE_3 = -3\n" * 300)
        third = review(capsys, history)
        assert share(third) > 0.85

        bodies = [r.body for r in fake.messages_requests()]
        for body in bodies:
            marks = sum(1 for b in body["messages"][0]["content"] if "cache_control" in b)
            assert 1 <= marks <= 4
        # the snapshot block is the same bytes in all three requests
        assert len({json.dumps(b["messages"][0]["content"][0]) for b in bodies}) == 1
        # the second review's changes are still there, unchanged, in the third
        assert bodies[1]["messages"][0]["content"][1] == bodies[2]["messages"][0]["content"][1]
        # the current text of both edited files is in the third request
        text = "".join(b["text"] for b in bodies[2]["messages"][0]["content"])
        assert "FLAG = False" in text and "VALUE_3 = -3" in text


def test_the_one_hour_cache_writes_the_base_for_an_hour_at_twice_the_input_price(
    history, capsys, monkeypatch
):
    with FakeAnthropic() as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
        fake.default = ToolReply({"findings": [], "summary": "ok"})
        assert main(["review", str(history), "--format", "json", "-q", "--cache-ttl", "1h"]) == 0
        result = json.loads(capsys.readouterr().out)
        (sent,) = fake.messages_requests()
        marks = [
            b["cache_control"] for b in sent.body["messages"][0]["content"] if "cache_control" in b
        ]
        # the repository base (every breakpoint but the request's own tail) lives for an hour
        assert marks and marks[0] == {"type": "ephemeral", "ttl": "1h"}
        written = result["usage"]["cache_write_1h"]
        assert (
            written > 0
            and written
            == result["usage"]["cache_creation_input_tokens"] - (result["usage"]["cache_write_5m"])
        )
        # priced at 2x the input price (Sonnet: $6 per million written for 1h, $3 input)
        u = result["usage"]
        expected = (
            u["input_tokens"] * 3.0
            + written * 6.0
            + u["cache_write_5m"] * 3.75
            + u["cache_read_input_tokens"] * 0.3
            + u["output_tokens"] * 15.0
        ) / 1e6
        assert result["cost"]["usd"] == pytest.approx(expected)


def test_breakpoints_end_the_base_and_the_three_newest_generations(history, capsys, monkeypatch):
    """Why three: a request may carry four cache breakpoints and the base takes one. A
    breakpoint at the end of each of the three newest generations gives the next review a
    read point at each of them, so when the newest one's cache write never landed (the review
    that sent it was cancelled, or its entry lapsed first) the review still reads up to the one
    before instead of falling back to the base alone; older generations are read through them
    (they are inside the prefix that ends at a newer breakpoint)."""
    with FakeAnthropic() as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
        fake.default = ToolReply({"findings": [], "summary": "ok"})
        review(capsys, history)
        for i in range(5):  # five reviews, each after an edit: five generations
            write(history, f"core/m{i:02}.py", f'"""Module {i}, edit."""\n' + f"V = {i}\n" * 300)
            last = review(capsys, history)
        body = fake.messages_requests()[-1].body
        blocks = body["messages"][0]["content"]
        marked = [i for i, b in enumerate(blocks) if "cache_control" in b]
        generations = [i for i, b in enumerate(blocks) if 'version="current"' in b["text"]]
        assert len(generations) == 5, [(b["text"][:60], "cache_control" in b) for b in blocks]
        assert marked == [0, *generations[-3:]]  # the base, then the three newest generations
        assert share(last) > 0.85
