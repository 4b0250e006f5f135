"""The pre-commit hook (.pre-commit-hooks.yaml), run the way a user's commit runs it:
``pre-commit try-repo`` of this checkout in a temporary repository (pre-commit builds the hook's
virtualenv from this checkout with pip, stashes unstaged work, runs the entry, restores it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import commit, git, write
from fake_api import FakeAnthropic, ToolReply, seen

ROOT = Path(__file__).resolve().parents[1]
BODY = "".join(f"line_{i} = {i}\n" for i in range(1, 21))
STAGED = BODY.replace("line_2 = 2", "line_2 = eval(input())")
WORKING = STAGED.replace("line_18 = 18", "line_18 = 'UNSTAGED'")
EVAL = {
    "path": "a.py",
    "line": 2,
    "quote": "line_2 = eval(input())",
    "severity": "high",
    "category": "security",
    "cwe": "CWE-95",
    "title": "eval of user input",
    "message": "input() reaches eval.",
}


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def staged(repo: Path) -> Path:
    write(repo, "a.py", BODY)
    commit(repo, "init")
    write(repo, "a.py", STAGED)
    git(repo, "add", "a.py")
    write(repo, "a.py", WORKING)  # unstaged on top
    return repo


def try_repo(repo: Path, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "GIT_"))},
        "PRE_COMMIT_HOME": str(home),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "bigpicture", "--verbose"],
        cwd=repo,
        env=full,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_hook_definition():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "bigpicture" and hook["language"] == "python"
    assert hook["entry"] == "bigpicture review --staged --fail-on high --skip-without-key"
    assert hook["pass_filenames"] is False  # the review reads the index, not a file list


def test_hook_reviews_the_staged_hunk_and_blocks_on_high(staged, pre_commit_home):
    with FakeAnthropic(default=ToolReply({"findings": [EVAL], "summary": "eval"})) as fake:
        proc = try_repo(
            staged, pre_commit_home, ANTHROPIC_API_KEY="sk-ant-test", ANTHROPIC_BASE_URL=fake.url
        )
        out = proc.stdout + proc.stderr
        assert proc.returncode == 1, out
        # --fail-on turns the verification pass on: the second request re-examines the finding
        request, second = fake.messages_requests()
    assert seen(second.body).kind == "verification"
    assert "a.py:2:1: high [security/CWE-95] eval of user input" in out
    text = "".join(b.get("text", "") for b in request.body["messages"][0]["content"])
    diff = text[text.index('-diff base="HEAD (staged)">') :]
    diff = diff[: diff.index("-diff>")]
    assert "+line_2 = eval(input())" in diff and "UNSTAGED" not in diff
    # pre-commit stashed the unstaged work during the hook and put it back
    assert "UNSTAGED" not in text
    assert (staged / "a.py").read_text() == WORKING


def test_hook_without_a_key_says_it_skipped_and_passes(staged, pre_commit_home):
    proc = try_repo(staged, pre_commit_home)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "bigpicture: review skipped: ANTHROPIC_API_KEY is not set (nothing was sent)" in out
    assert "Passed" in out
