"""A local fake of the GitHub REST endpoints that posting a review uses, over real HTTP on
127.0.0.1, following GitHub's documented behaviour:

- ``GET /repos/{owner}/{repo}/pulls/{n}/files`` (``filename``, ``status``, ``patch``),
  ``GET .../pulls/{n}/comments`` and ``GET .../pulls/{n}/reviews``: paginated with ``per_page``
  (at most ``max_per_page``) and ``page``, and a ``Link: <...>; rel="next"`` header;
- ``POST .../pulls/{n}/reviews``: validated as GitHub does — ``event``, a ``body`` for
  ``COMMENT``, a ``commit_id`` of the pull request, and each comment on a line of a hunk of its
  file's patch on its ``side`` (``start_line`` before ``line``, both in the same hunk), else 422
  ``Validation Failed``; a created review and its comments then show in the list endpoints;
- ``Authorization: Bearer <token>``: another token is 401 ``Bad credentials``.

``fake.fail(method, suffix, status, times=1, headers=None, land=False)`` scripts failures (with
``land``, a POST creates the review and still answers ``status``, as a timeout after the write
would). Every request is recorded in ``fake.requests``.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_PATH = re.compile(r"^/repos/([^/]+/[^/]+)/pulls/(\d+)/(files|comments|reviews)$")
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def right_side_hunks(patch: str) -> list[set[int]]:
    """The new-side line numbers of each hunk of a patch (independent of the code under test)."""
    hunks: list[set[int]] = []
    line = 0
    for raw in patch.split("\n"):
        m = _HUNK.match(raw)
        if m:
            hunks.append(set())
            line = int(m.group(1))
        elif hunks and raw[:1] in ("+", " "):
            hunks[-1].add(line)
            line += 1
    return hunks


@dataclass
class Pull:
    head_sha: str
    files: list[dict[str, Any]]
    reviews: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


@dataclass
class _Failure:
    method: str
    suffix: str
    status: int
    times: int
    headers: dict[str, str]
    land: bool


class FakeGitHub:
    def __init__(self, token: str = "ghs_test_token") -> None:
        self.token = token
        self.pulls: dict[tuple[str, int], Pull] = {}
        self.requests: list[Recorded] = []
        self.max_per_page = 100
        self.failures: list[_Failure] = []
        self._ids = 1000
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread: threading.Thread | None = None

    def __enter__(self) -> FakeGitHub:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def add_pull(self, repo: str, number: int, head_sha: str, files: list[dict[str, Any]]) -> Pull:
        pull = Pull(head_sha, files)
        self.pulls[(repo, number)] = pull
        return pull

    def fail(
        self,
        method: str,
        suffix: str,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        land: bool = False,
    ) -> None:
        self.failures.append(_Failure(method, suffix, status, times, headers or {}, land))

    def posts(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST"]

    def next_id(self) -> int:
        self._ids += 1
        return self._ids

    # the review endpoint's validation ---------------------------------------------------

    def create_review(self, pull: Pull, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict):
            return 400, {"message": "Problems parsing JSON"}
        errors: list[str] = []
        event = body.get("event")
        if event not in ("APPROVE", "REQUEST_CHANGES", "COMMENT"):
            errors.append(f"event {event!r} is not one of APPROVE, REQUEST_CHANGES, COMMENT")
        if event in ("REQUEST_CHANGES", "COMMENT") and not body.get("body"):
            errors.append("Body is required for COMMENT and REQUEST_CHANGES")
        if "commit_id" in body and body["commit_id"] != pull.head_sha:
            errors.append("commit_sha is not part of the pull request")
        patches = {f["filename"]: f.get("patch") for f in pull.files}
        for c in body.get("comments") or []:
            errors.extend(self._check_comment(c, patches))
        if errors:
            return 422, {"message": "Validation Failed", "errors": errors, "status": "422"}
        review = {
            "id": self.next_id(),
            "body": body.get("body", ""),
            "state": "COMMENTED",
            "commit_id": body.get("commit_id", pull.head_sha),
            "user": {"login": "github-actions[bot]"},
        }
        pull.reviews.append(review)
        for c in body.get("comments") or []:
            pull.comments.append(
                {
                    "id": self.next_id(),
                    "pull_request_review_id": review["id"],
                    "commit_id": review["commit_id"],
                    **c,
                }
            )
        return 200, review

    @staticmethod
    def _check_comment(c: dict[str, Any], patches: dict[str, Any]) -> list[str]:
        path, line = c.get("path"), c.get("line")
        if not isinstance(c.get("body"), str) or not c["body"]:
            return [f"{path}: comment body can't be blank"]
        if path not in patches or not patches[path]:
            return [f"Path could not be resolved: {path}"]
        if c.get("side", "RIGHT") != "RIGHT" or c.get("start_side", "RIGHT") != "RIGHT":
            return [f"{path}:{line}: only RIGHT-side lines are in these fakes' patches"]
        start = c.get("start_line", line)
        if not isinstance(line, int) or not isinstance(start, int) or start > line:
            return [f"{path}: start_line must precede line"]
        if start == line and "start_line" in c:
            return [f"{path}:{line}: start_line must be before line"]
        hunks = right_side_hunks(patches[path])
        if not any(start in h and line in h for h in hunks):
            return [
                f"{path}:{start}-{line}: Pull request review thread line must be part of the diff"
            ]
        return []


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("X-GitHub-Request-Id", "FAKE:0001")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def _handle(self, method: str) -> None:
        fake: FakeGitHub = self.server.fake
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        query = parse_qs(parts.query)
        with fake.lock:
            fake.requests.append(Recorded(method, parts.path, query, body))
            if self.headers.get("Authorization") != f"Bearer {fake.token}":
                return self._send(401, {"message": "Bad credentials", "status": "401"})
            m = _PATH.match(parts.path)
            pull = fake.pulls.get((m.group(1), int(m.group(2)))) if m else None
            if m is None or pull is None:
                return self._send(404, {"message": "Not Found", "status": "404"})
            for failure in fake.failures:
                if (
                    failure.times
                    and failure.method == method
                    and parts.path.endswith(failure.suffix)
                ):
                    failure.times -= 1
                    if failure.land:
                        fake.create_review(pull, body)
                    return self._send(
                        failure.status, {"message": "scripted failure"}, failure.headers
                    )
            if method == "POST" and m.group(3) == "reviews":
                status, data = fake.create_review(pull, body)
                return self._send(status, data)
            if method != "GET":
                return self._send(404, {"message": "Not Found"})
            items = {"files": pull.files, "comments": pull.comments, "reviews": pull.reviews}[
                m.group(3)
            ]
            per_page = min(int(query.get("per_page", ["30"])[0]), fake.max_per_page)
            page = int(query.get("page", ["1"])[0])
            chunk = items[(page - 1) * per_page : page * per_page]
            headers = {}
            if page * per_page < len(items):
                nxt = f"{fake.url}{parts.path}?per_page={per_page}&page={page + 1}"
                headers["Link"] = f'<{nxt}>; rel="next"'
            return self._send(200, chunk, headers)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")
