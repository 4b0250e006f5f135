"""``--staged``: a changes review of the index only (the pre-commit hook's review)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bigpicture.app import prepare as pipeline
from bigpicture.cli import main
from bigpicture.core.config import Settings
from bigpicture.core.errors import NothingToReview
from conftest import commit, git, write
from fake_api import FakeAnthropic, ToolReply

BODY = "".join(f"line_{i} = {i}\n" for i in range(1, 21))


def staged_and_unstaged(repo: Path) -> None:
    write(repo, "a.py", BODY)
    write(repo, "b.py", "b = 1\n")
    commit(repo, "init")
    write(repo, "a.py", BODY.replace("line_2 = 2", "line_2 = 'STAGED'"))
    git(repo, "add", "a.py")
    # then, unstaged: another hunk of the same file, another file, an untracked file
    write(
        repo,
        "a.py",
        BODY.replace("line_2 = 2", "line_2 = 'STAGED'").replace(
            "line_18 = 18", "line_18 = 'UNSTAGED'"
        ),
    )
    write(repo, "b.py", "b = 'UNSTAGED'\n")
    write(repo, "c.py", "c = 'UNTRACKED'\n")


def test_staged_diff_holds_the_staged_hunk_only(repo: Path):
    staged_and_unstaged(repo)
    prepared = pipeline.prepare(repo, Settings(), kind="changes", staged=True)
    diff = prepared.snapshot.diff
    assert [(c.path, c.status) for c in diff.files] == [("a.py", "modified")]
    assert "+line_2 = 'STAGED'" in diff.patch
    assert "UNSTAGED" not in diff.patch and "UNTRACKED" not in diff.patch
    assert diff.base == "HEAD (staged)"
    assert prepared.plan.focus == ["a.py"]
    # without --staged the same tree gives everything uncommitted
    everything = pipeline.prepare(repo, Settings(), kind="changes").snapshot.diff
    assert {c.path for c in everything.files} == {"a.py", "b.py", "c.py"}
    assert "UNSTAGED" in everything.patch


def test_staged_nothing_staged_is_nothing_to_review(repo: Path):
    write(repo, "a.py", "a = 1\n")
    commit(repo, "init")
    write(repo, "a.py", "a = 2\n")  # unstaged only
    with pytest.raises(NothingToReview, match="no staged changes"):
        pipeline.prepare(repo, Settings(), kind="changes", staged=True)


def test_staged_first_commit_compares_with_the_empty_tree(repo: Path):
    write(repo, "a.py", "first = 1\n")
    git(repo, "add", "a.py")
    write(repo, "later.py", "later = 1\n")  # untracked: not in the diff
    diff = pipeline.prepare(repo, Settings(), kind="changes", staged=True).snapshot.diff
    assert [(c.path, c.status) for c in diff.files] == [("a.py", "added")]
    assert "+first = 1" in diff.patch and "later" not in diff.patch
    assert diff.base == "no commits yet (staged)"


def test_staged_works_on_a_detached_head(repo: Path):
    write(repo, "a.py", "a = 1\n")
    commit(repo, "one")
    git(repo, "checkout", "-q", "--detach")
    write(repo, "a.py", "a = 'staged'\n")
    git(repo, "add", "a.py")
    diff = pipeline.prepare(repo, Settings(), kind="changes", staged=True).snapshot.diff
    assert "+a = 'staged'" in diff.patch


def test_cli_staged_sends_the_staged_hunk_and_not_the_unstaged_one(repo: Path, monkeypatch, capsys):
    staged_and_unstaged(repo)
    with FakeAnthropic(default=ToolReply({"findings": [], "summary": "ok"})) as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
        code = main(["review", str(repo), "--staged", "-q", "--fail-on", "high"])
        assert code == 0, capsys.readouterr().err
        (request,) = fake.messages_requests()
    text = "".join(block.get("text", "") for block in request.body["messages"][0]["content"])
    (diff,) = re.findall(r"<bp-\w+-diff base=[^>]*>(.*?)</bp-\w+-diff>", text, re.S)
    assert "<bp-" in text and 'base="HEAD (staged)"' in text
    assert "+line_2 = 'STAGED'" in diff
    assert "UNSTAGED" not in diff and "UNTRACKED" not in diff and "b.py" not in diff


def test_cli_staged_does_not_combine_with_file_or_batch(repo: Path, capsys):
    write(repo, "a.py", "a = 1\n")
    commit(repo, "init")
    assert main(["review", str(repo), "--staged", "--file", "a.py"]) == 2
    assert main(["review", str(repo), "--staged", "--batch"]) == 2
    err = capsys.readouterr().err
    assert "cannot be combined" in err and "do not go with --batch" in err
