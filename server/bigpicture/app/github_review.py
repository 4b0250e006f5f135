"""``bigpicture github-review``: post a review result on a GitHub pull request as one review.

Reads the JSON document of ``bigpicture review --format json`` (or ``--also-output json=...``),
asks GitHub for the pull request's files (their patches say which lines can take comments),
review comments and reviews (their markers say what earlier runs posted), builds the payload
(``outputs.github``) and creates the review. Run twice on the same result, it posts once.

A create that fails with a 5xx or a broken connection may still have landed: before trying
again the reviews are listed, and a review carrying this result's key counts as posted.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bigpicture.client.github import DEFAULT_API_URL, GitHub, GitHubError
from bigpicture.core.errors import ConfigError, UsageError
from bigpicture.outputs import github as build
from bigpicture.outputs import json as json_out

_RETRYABLE = frozenset({None, 500, 502, 503, 504})


@dataclass
class Target:
    repo: str
    pr: int
    commit: str | None


@dataclass
class Outcome:
    message: str
    payload: dict[str, Any] | None = None
    review_id: int | None = None


def target_from_env(repo: str | None, pr: int | None, commit: str | None) -> Target:
    """The pull request to post on: the flags, else GitHub Actions' environment
    (``GITHUB_REPOSITORY``; the ``pull_request`` event at ``GITHUB_EVENT_PATH``)."""
    event: dict[str, Any] = {}
    path = os.environ.get("GITHUB_EVENT_PATH")
    if path and Path(path).is_file():
        try:
            event = json.loads(Path(path).read_text(encoding="utf-8"))
        except ValueError as e:
            raise ConfigError(f"GITHUB_EVENT_PATH {path}: not JSON ({e})") from None
    found = event.get("pull_request")
    pull: dict[str, Any] = found if isinstance(found, dict) else {}
    repo = repo or os.environ.get("GITHUB_REPOSITORY")
    pr = pr or pull.get("number")
    commit = commit or (pull.get("head") or {}).get("sha")
    if not repo or "/" not in repo:
        raise UsageError("name the repository: --repo OWNER/REPO (or GITHUB_REPOSITORY)")
    if not isinstance(pr, int) or pr <= 0:
        raise UsageError(
            "name the pull request: --pr N (or run on a pull_request event, GITHUB_EVENT_PATH)"
        )
    return Target(repo, pr, commit)


def _diff(files: list[dict[str, Any]]) -> dict[str, list[build.Hunk]]:
    out: dict[str, list[build.Hunk]] = {}
    for f in files:
        patch = f.get("patch")
        if isinstance(patch, str) and f.get("status") != "removed":
            out[str(f.get("filename"))] = build.parse_patch(patch)
    return out


def _landed(gh: GitHub, target: Target, key: str) -> dict[str, Any] | None:
    for review in gh.reviews(target.repo, target.pr):
        if f"<!-- bigpicture:review {key} -->" in str(review.get("body") or ""):
            return review
    return None


def post(
    document: str,
    target: Target,
    *,
    token: str | None,
    api_url: str | None = None,
    dry_run: bool = False,
    max_comments: int = build.MAX_COMMENTS,
) -> Outcome:
    """Post the review result ``document`` (JSON text) on ``target``."""
    try:
        head = json.loads(document)
    except ValueError as e:
        raise ConfigError(f"not a BigPicture review result ({e})") from None
    if isinstance(head, dict) and head.get("status") in ("nothing-to-review", "skipped"):
        return Outcome(f"{head.get('message') or head['status']}: no review posted")
    result = json_out.parse(document)
    if not token:
        raise UsageError("GITHUB_TOKEN is not set: GitHub needs a token to read and review")
    gh = GitHub(token, api_url or DEFAULT_API_URL)
    diff = _diff(gh.pr_files(target.repo, target.pr))
    existing = build.existing_from(
        gh.review_comments(target.repo, target.pr), gh.reviews(target.repo, target.pr)
    )
    built = build.build_review(
        result, diff, commit_id=target.commit, existing=existing, max_comments=max_comments
    )
    if built.payload is None:
        return Outcome(f"nothing new to post on {target.repo}#{target.pr} (already posted)")
    summary = f"{len(built.inline)} inline comments, {len(built.in_body)} findings in the body"
    if dry_run:
        return Outcome(f"dry run: would post {summary}", payload=built.payload)
    key = build.result_key(result)
    try:
        review = gh.create_review(target.repo, target.pr, built.payload)
    except GitHubError as e:
        if e.status not in _RETRYABLE:
            raise
        review = _landed(gh, target, key) or gh.create_review(target.repo, target.pr, built.payload)
    review_id = review.get("id") if isinstance(review.get("id"), int) else None
    return Outcome(
        f"posted review {review_id} on {target.repo}#{target.pr}: {summary}",
        payload=built.payload,
        review_id=review_id,
    )
