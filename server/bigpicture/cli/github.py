"""``bigpicture github-review``: post a review result on a GitHub pull request."""

from __future__ import annotations

import argparse
import json
import os

from bigpicture.app import github_review
from bigpicture.cli import console
from bigpicture.core.errors import UsageError


def cmd_github_review(args: argparse.Namespace) -> int:
    try:
        with open(args.input, encoding="utf-8") as handle:
            document = handle.read()
    except OSError as e:
        raise UsageError(f"--input {args.input}: {e.strerror or e}") from None
    target = github_review.target_from_env(args.repo, args.pr, args.commit)
    outcome = github_review.post(
        document,
        target,
        token=os.environ.get("GITHUB_TOKEN"),
        api_url=os.environ.get("GITHUB_API_URL"),
        dry_run=args.dry_run,
        max_comments=args.max_comments,
    )
    if args.dry_run and outcome.payload is not None:
        console.write(json.dumps(outcome.payload, indent=2, ensure_ascii=False) + "\n", None)
    console.say(outcome.message)
    return console.EXIT_OK
