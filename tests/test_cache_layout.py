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
