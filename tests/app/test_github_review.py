"""app.github_review: a review result posted on a pull request as one review, against the local
fake of GitHub's REST API. What the CLI and the Action rely on: the target from the flags or
from Actions' environment, with a clear line when one is missing; findings on the pull
request's lines as inline comments; a rerun posts nothing twice; a failed create that landed
is not posted again; nothing-to-review documents post nothing and need no token."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bigpicture.app import github_review
from bigpicture.core import models
from bigpicture.core.errors import ConfigError, UsageError
from bigpicture.outputs import json as json_out
from fake_github import FakeGitHub

HEAD = "a" * 40
PATCH = "@@ -1,2 +1,3 @@\n import os\n+os.system(cmd)\n print(1)"
TARGET = github_review.Target("octo/shop", 7, HEAD)


def document(*findings: models.Finding) -> str:
    result = models.ReviewResult(
        kind="changes",
        model="claude-sonnet-4-6",
        findings=list(findings),
        summary="s",
        files_sent=1,
    )
    return json_out.render(result)


def finding(line: int, title: str = "Shell injection") -> models.Finding:
    return models.Finding(
        path="app/web.py", line=line, quote="os.system(cmd)", severity="high",
        category="security", title=title, message="cmd comes from the request",
        id=f"id-{title}", range=models.Range(line - 1, 0, line - 1, 14),
    )  # fmt: skip


@pytest.fixture
def hub():
    with FakeGitHub() as fake:
        fake.add_pull(
            "octo/shop", 7, HEAD, [{"filename": "app/web.py", "status": "modified", "patch": PATCH}]
        )
        yield fake


def post(hub: FakeGitHub, doc: str, **kw) -> github_review.Outcome:
    return github_review.post(doc, TARGET, token=hub.token, api_url=hub.url, **kw)


def test_the_target_comes_from_the_flags_or_the_actions_event(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    monkeypatch.delenv("GITHUB_EVENT_PATH", raising=False)
    assert github_review.target_from_env("o/r", 3, "c") == github_review.Target("o/r", 3, "c")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 9, "head": {"sha": HEAD}}}))
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.setenv("GITHUB_REPOSITORY", "octo/shop")
    assert github_review.target_from_env(None, None, None) == github_review.Target(
        "octo/shop", 9, HEAD
    )
    event.write_text("{not json")
    with pytest.raises(ConfigError, match="not JSON"):
        github_review.target_from_env(None, None, None)
    monkeypatch.delenv("GITHUB_EVENT_PATH")
    with pytest.raises(UsageError, match="--pr N"):
        github_review.target_from_env("o/r", None, None)
    monkeypatch.delenv("GITHUB_REPOSITORY")
    with pytest.raises(UsageError, match="--repo OWNER/REPO"):
        github_review.target_from_env(None, 1, None)


def test_a_finding_on_the_pull_requests_lines_is_posted_inline_once(hub) -> None:
    doc = document(finding(2))
    out = post(hub, doc)
    assert out.review_id is not None and "1 inline comments, 0 findings in the body" in out.message
    (created,) = hub.posts()
    (comment,) = created.body["comments"]
    assert comment["path"] == "app/web.py" and comment["line"] == 2
    again = post(hub, doc)
    assert again.review_id is None and "already posted" in again.message
    assert len(hub.posts()) == 1


def test_a_dry_run_posts_nothing(hub) -> None:
    out = post(hub, document(finding(2)), dry_run=True)
    assert out.message.startswith("dry run: would post 1 inline comments")
    assert out.payload is not None and hub.posts() == []


def test_a_create_that_failed_but_landed_is_not_posted_again(hub) -> None:
    hub.fail("POST", "/reviews", 502, land=True)
    out = post(hub, document(finding(2)))
    assert out.review_id is not None
    assert len(hub.posts()) == 1  # found among the reviews, not created twice


def test_nothing_to_review_posts_nothing_and_needs_no_token() -> None:
    doc = json.dumps({"status": "nothing-to-review", "message": "no changes"})
    out = github_review.post(doc, TARGET, token=None)
    assert out.message == "no changes: no review posted"
    with pytest.raises(ConfigError, match="not a BigPicture review result"):
        github_review.post("{oops", TARGET, token=None)
    with pytest.raises(UsageError, match="GITHUB_TOKEN is not set"):
        github_review.post(document(finding(2)), TARGET, token=None)
