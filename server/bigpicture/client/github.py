"""The GitHub REST API, as much as posting a review needs: a pull request's files, its review
comments and reviews (paginated), and creating a review. Standard library HTTP (urllib).

One retry policy, in ``GitHub.request``: a connection failure, a 500/502/503/504, or a rate
limit (403 or 429 with ``retry-after``, or ``x-ratelimit-remaining: 0`` with a reset at most
``MAX_WAIT`` seconds away) is tried again, at most ``retries`` more times, after
``retry-after`` (else the rate-limit reset, else 1 s, 2 s, ...). Requests that create something
are never retried here: the caller first checks whether the first attempt landed
(``app.github_review``). Every failure is a ``GitHubError`` (exit code 5) with a message saying
what to do: 401 a bad token, 403 a missing permission, 404 a wrong repository or pull request
(or one the token cannot see), 422 a payload GitHub refused, with its reasons.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

import bigpicture
from bigpicture.core.errors import ApiError

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
MAX_WAIT = 60.0
PER_PAGE = 100
MAX_PAGES = 50
_RETRY_STATUS = frozenset({500, 502, 503, 504})
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


class GitHubError(ApiError):
    """A failure talking to the GitHub API."""


def _message(data: Any) -> str:
    if not isinstance(data, dict):
        return ""
    text = str(data.get("message") or "")
    errors = data.get("errors")
    if isinstance(errors, list) and errors:
        parts = [e if isinstance(e, str) else str(e.get("message") or e) for e in errors]
        text += ": " + "; ".join(parts)
    return text


def _error(status: int, where: str, data: Any, request_id: str | None) -> GitHubError:
    said = _message(data) or "no message"
    if status == 401:
        text = f"GitHub refused the token (401: {said}): set GITHUB_TOKEN to a valid token"
    elif status == 403:
        text = (
            f"GitHub refused access to {where} (403: {said}): the token needs "
            "`pull-requests: write` (in the workflow, `permissions: pull-requests: write`); "
            "pull requests from forks get a read-only token"
        )
    elif status == 404:
        text = (
            f"not found on GitHub: {where} (404): check the repository (--repo OWNER/REPO) "
            "and the pull request number (--pr N), and that the token can see them"
        )
    elif status == 422:
        text = f"GitHub rejected the review (422: {said})"
    else:
        text = f"GitHub API error {status} at {where}: {said}"
    return GitHubError(text, status=status, request_id=request_id)


class GitHub:
    """A token-authenticated client of one GitHub API base URL."""

    def __init__(
        self,
        token: str,
        api_url: str = DEFAULT_API_URL,
        *,
        retries: int = 2,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.api_url = api_url.rstrip("/")
        self.retries = retries
        self.timeout = timeout
        self.sleep = sleep
        self.clock = clock
        self.attempts = 0  # HTTP attempts made, for messages and tests

    def _url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return f"{self.api_url}{path_or_url}"

    def _once(self, method: str, url: str, body: Any) -> tuple[int, dict[str, str], Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Accept", "application/vnd.github+json")
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("X-GitHub-Api-Version", API_VERSION)
        req.add_header("User-Agent", f"bigpicture/{bigpicture.__version__}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        self.attempts += 1
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
                status, headers = resp.status, {k.lower(): v for k, v in resp.headers.items()}
        except urllib.error.HTTPError as e:
            raw = e.read()
            status, headers = e.code, {k.lower(): v for k, v in e.headers.items()}
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return status, headers, parsed

    def _wait(self, status: int, headers: dict[str, str], attempt: int) -> float | None:
        """Seconds to wait before trying again, or None when this failure is final."""
        if status in _RETRY_STATUS:
            return float(headers.get("retry-after") or 2**attempt)
        if status in (403, 429):
            if "retry-after" in headers:
                try:
                    return float(headers["retry-after"])
                except ValueError:
                    return None
            if headers.get("x-ratelimit-remaining") == "0":
                try:
                    return max(0.0, float(headers.get("x-ratelimit-reset", "")) - self.clock())
                except ValueError:
                    return None
        return None

    def request(
        self, method: str, path_or_url: str, body: Any = None, *, retry: bool = True
    ) -> tuple[Any, dict[str, str]]:
        """One API call with the retry policy: (parsed JSON, lower-cased headers)."""
        url = self._url(path_or_url)
        where = urllib.parse.urlsplit(url).path
        attempt = 0
        while True:
            try:
                status, headers, data = self._once(method, url, body)
            except (urllib.error.URLError, OSError) as e:
                reason = getattr(e, "reason", e)
                if retry and attempt < self.retries:
                    self.sleep(float(2**attempt))
                    attempt += 1
                    continue
                raise GitHubError(
                    f"cannot reach the GitHub API at {self.api_url}: {reason} "
                    "(check GITHUB_API_URL and the network)"
                ) from None
            if 200 <= status < 300:
                return data, headers
            wait = self._wait(status, headers, attempt) if retry else None
            if wait is not None and wait <= MAX_WAIT and attempt < self.retries:
                self.sleep(wait)
                attempt += 1
                continue
            error = _error(status, where, data, headers.get("x-github-request-id"))
            if wait is not None and wait > MAX_WAIT:
                error.message += f" (rate limited: GitHub asks to wait {wait:.0f} s)"
            raise error

    def paginate(self, path: str) -> list[Any]:
        """Every item of a list endpoint, following ``Link: rel="next"``."""
        sep = "&" if "?" in path else "?"
        url: str | None = f"{path}{sep}per_page={PER_PAGE}"
        items: list[Any] = []
        for _ in range(MAX_PAGES):
            if url is None:
                break
            data, headers = self.request("GET", url)
            if not isinstance(data, list):
                raise GitHubError(f"GitHub answered {path} with something other than a list")
            items.extend(data)
            m = _NEXT.search(headers.get("link", ""))
            url = m.group(1) if m else None
        return items

    def pr_files(self, repo: str, pr: int) -> list[dict[str, Any]]:
        return self.paginate(f"/repos/{repo}/pulls/{pr}/files")

    def review_comments(self, repo: str, pr: int) -> list[dict[str, Any]]:
        return self.paginate(f"/repos/{repo}/pulls/{pr}/comments")

    def reviews(self, repo: str, pr: int) -> list[dict[str, Any]]:
        return self.paginate(f"/repos/{repo}/pulls/{pr}/reviews")

    def create_review(self, repo: str, pr: int, payload: dict[str, Any]) -> dict[str, Any]:
        """POST the review once (no retry: see the module docstring)."""
        data, _ = self.request("POST", f"/repos/{repo}/pulls/{pr}/reviews", payload, retry=False)
        return data if isinstance(data, dict) else {}
