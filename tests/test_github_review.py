"""Posting a review result on a GitHub pull request: the payload a user sees on the PR (inline
comments on diff lines, suggested changes, the body), idempotent re-runs, and GitHub's errors,
against a local fake of the GitHub endpoints (tests/fake_github.py) over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest
from bigpicture.cli import main
from bigpicture.core import models
from bigpicture.core.reply import anchor
from bigpicture.outputs import github as gh
from conftest import commit, git, write
from fake_api import FakeAnthropic, ToolReply
from fake_github import FakeGitHub

WEB_MAIN = '"""Web handlers."""\nimport subprocess\n\n\ndef health():\n    return "ok"\n'
WEB_PR = WEB_MAIN + (
    "\n\ndef ping(host):\n"
    '    cmd = "ping -c 1 " + host\n'
    "    return subprocess.check_output(cmd, shell=True)\n"
)
DB = (
    "import sqlite3\n\n\ndef find_user(conn, name):\n"
    '    return conn.execute("SELECT * FROM users WHERE name = \'" + name + "\'").fetchone()\n'
)

SHELL = {
    "path": "app/web.py",
    "line": 11,
    "quote": "subprocess.check_output(cmd, shell=True)",
    "severity": "critical",
    "category": "security",
    "cwe": "CWE-78",
    "title": "Command injection in ping",
    "message": "host reaches a shell: host='x; rm -rf ~' runs commands. cc @octocat",
    "fix": {"replacement": 'subprocess.check_output(["ping", "-c", "1", host])'},
    "confidence": 0.9,
}
TWO_LINES = {
    "path": "app/web.py",
    "line": 10,
    "quote": 'cmd = "ping -c 1 " + host\n    return subprocess.check_output(cmd, shell=True)',
    "severity": "high",
    "category": "bug",
    "title": "The command is built as one string",
    "message": "Build an argument list instead.",
}
SQL = {
    "path": "app/db.py",
    "line": 5,
    "quote": 'conn.execute("SELECT * FROM users WHERE name = \'" + name + "\'")',
    "severity": "critical",
    "category": "security",
    "cwe": "CWE-89",
    "title": "SQL injection in find_user",
    "message": "name is concatenated into SQL.",
}
IMPORT = {
    "path": "app/web.py",
    "line": 2,
    "quote": "import subprocess",
    "severity": "low",
    "category": "maintainability",
    "title": "subprocess imported at module level",
    "message": "Only ping needs it.",
}


def github_patch(repo: Path, path: str) -> str:
    """The ``patch`` GitHub lists for a file of a pull request: the hunks of the three-dot diff."""
    full = git(repo, "diff", "--no-color", "main...HEAD", "--", path)
    return full[full.index("@@") :].rstrip("\n")


@pytest.fixture
def pr_repo(repo: Path) -> Path:
    write(repo, "app/__init__.py", "")
    write(repo, "app/db.py", DB)
    write(repo, "app/web.py", WEB_MAIN)
    commit(repo, "main")
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, "app/web.py", WEB_PR)
    commit(repo, "add ping")
    return repo


def open_pull(hub: FakeGitHub, repo: Path, tmp_path: Path) -> tuple[str, Path]:
    """Pull request octo/shop#7 of ``repo``'s HEAD against main on the fake GitHub: the head
    commit and a pull_request event file as Actions writes it."""
    head = git(repo, "rev-parse", "HEAD").strip()
    patch = github_patch(repo, "app/web.py")
    hub.add_pull(
        "octo/shop", 7, head, [{"filename": "app/web.py", "status": "modified", "patch": patch}]
    )
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": head}}}))
    return head, event


@pytest.fixture
def env(pr_repo, monkeypatch, tmp_path):
    with FakeAnthropic() as api, FakeGitHub() as hub:
        head, event = open_pull(hub, pr_repo, tmp_path)
        for k, v in {
            "ANTHROPIC_API_KEY": "sk-ant-test",
            "ANTHROPIC_BASE_URL": api.url,
            "GITHUB_TOKEN": hub.token,
            "GITHUB_API_URL": hub.url,
            "GITHUB_REPOSITORY": "octo/shop",
            "GITHUB_EVENT_PATH": str(event),
        }.items():
            monkeypatch.setenv(k, v)
        yield api, hub, head


def review_json(repo: Path, api: FakeAnthropic, tmp_path: Path, *findings: dict) -> Path:
    api.script(ToolReply({"findings": list(findings), "summary": "Ping shells out."}))
    out = tmp_path / "review.json"
    code = main(
        [
            "review",
            str(repo),
            "--diff",
            "main",
            "-q",
            "--no-cache",
            "--format",
            "json",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    return out


def post(capsys, review: Path, *extra: str) -> tuple[int, str]:
    code = main(["github-review", "--input", str(review), *extra])
    return code, capsys.readouterr().err


def test_the_review_a_user_sees_on_the_pull_request(env, pr_repo, tmp_path, capsys):
    api, hub, head = env
    review = review_json(pr_repo, api, tmp_path, SHELL, TWO_LINES, SQL, IMPORT)
    code, err = post(capsys, review)
    assert code == 0, err
    assert "posted review" in err and "2 inline comments, 2 findings in the body" in err
    (request,) = hub.posts()
    assert request.path == "/repos/octo/shop/pulls/7/reviews"
    payload = request.body
    assert payload["event"] == "COMMENT" and payload["commit_id"] == head
    ids = {f["title"]: f["id"] for f in json.loads(review.read_text())["findings"]}
    shell, two = payload["comments"][1], payload["comments"][0]
    assert {k: shell[k] for k in ("path", "line", "side")} == {
        "path": "app/web.py",
        "line": 11,
        "side": "RIGHT",
    }
    assert "start_line" not in shell
    assert shell["body"] == (
        "**critical** · security · CWE-78 — Command injection in ping\n\n"
        "host reaches a shell: host='x; rm -rf ~' runs commands. cc @\u2060octocat\n\n"
        "```suggestion\n"
        '    return subprocess.check_output(["ping", "-c", "1", host])\n'
        "```\n\n"
        f"<sub>BigPicture · confidence 90% · finding `{ids['Command injection in ping']}`</sub>\n"
        f"<!-- bigpicture:finding {ids['Command injection in ping']} -->"
    )
    assert {k: two[k] for k in ("path", "start_line", "start_side", "line", "side")} == {
        "path": "app/web.py",
        "start_line": 10,
        "start_side": "RIGHT",
        "line": 11,
        "side": "RIGHT",
    }
    assert "```suggestion" not in two["body"]  # no fix, no suggestion
    body = payload["body"]
    assert body.startswith("<!-- bigpicture:review ")
    assert "4 findings (2 critical, 1 high, 1 low): 2 new inline, 2 new below" in body
    assert "INCOMPLETE" not in body
    assert (
        "- **critical** · security · CWE-89 — SQL injection in find_user at `app/db.py:5`: "
        "name is concatenated into SQL. <sub>(not in this pull request's diff)</sub> "
        f"<!-- bigpicture:finding {ids['SQL injection in find_user']} -->"
    ) in body
    assert "`app/web.py:2`" in body and "(not on lines of this pull request's diff)" in body
    assert "#### Summary\nPing shells out." in body
    # what GitHub then shows on the pull request
    pull = hub.pulls[("octo/shop", 7)]
    assert len(pull.reviews) == 1
    assert [(c["path"], c.get("start_line"), c["line"]) for c in pull.comments] == [
        ("app/web.py", 10, 11),
        ("app/web.py", None, 11),
    ]


def test_a_rerun_posts_nothing_twice_and_a_new_finding_once(env, pr_repo, tmp_path, capsys):
    api, hub, _ = env
    review = review_json(pr_repo, api, tmp_path, SHELL, SQL)
    assert post(capsys, review)[0] == 0
    code, err = post(capsys, review)
    assert code == 0 and "nothing new to post on octo/shop#7" in err
    assert len(hub.posts()) == 1
    # a later review that also finds TWO_LINES: only that one is posted
    hub.max_per_page = 1  # the markers are read across pages
    review = review_json(pr_repo, api, tmp_path, SHELL, SQL, TWO_LINES)
    code, err = post(capsys, review)
    assert code == 0 and "1 inline comments, 0 findings in the body" in err
    second = hub.posts()[-1].body
    assert [c.get("start_line") for c in second["comments"]] == [10]
    assert "2 already posted" in second["body"] and "SQL injection" not in second["body"]
    assert len(hub.pulls[("octo/shop", 7)].comments) == 2
    assert post(capsys, review)[1].count("nothing new") == 1
    assert len(hub.posts()) == 2


def test_an_incomplete_review_is_posted_as_incomplete(env, pr_repo, tmp_path, capsys):
    api, hub, _ = env
    api.script(ToolReply({"findings": [SHELL], "summary": "x"}, stop_reason="max_tokens"))
    out = tmp_path / "review.json"
    assert (
        main(["review", str(pr_repo), "--diff", "main", "-q", "--format", "json", "-o", str(out)])
        == 6
    )
    assert post(capsys, out)[0] == 0
    body = hub.posts()[0].body["body"]
    assert "> [!CAUTION]\n> **INCOMPLETE REVIEW:** the reply was cut off" in body
    assert "This is not a clean result." in body and "No findings" not in body


def test_nothing_to_review_posts_nothing(env, pr_repo, tmp_path, capsys):
    _, hub, _ = env
    out = tmp_path / "review.json"
    assert main(["review", str(pr_repo), "--diff", "-q", "--format", "json", "-o", str(out)]) == 0
    code, err = post(capsys, out)
    assert code == 0 and "no review posted" in err
    assert hub.requests == []


@pytest.mark.parametrize(
    ("setup", "args", "words"),
    [
        ("bad-token", [], "GitHub refused the token (401: Bad credentials)"),
        ("no-write", [], "`pull-requests: write`"),
        ("", ["--pr", "8"], "not found on GitHub: /repos/octo/shop/pulls/8/files (404)"),
        (
            "",
            ["--commit", "0" * 40],
            "GitHub rejected the review (422: Validation Failed: "
            "commit_sha is not part of the pull request)",
        ),
    ],
)
def test_github_errors_are_one_clear_line_and_exit_5(
    env, pr_repo, tmp_path, capsys, monkeypatch, setup, args, words
):
    api, hub, _ = env
    review = review_json(pr_repo, api, tmp_path, SHELL)
    if setup == "bad-token":
        monkeypatch.setenv("GITHUB_TOKEN", "ghs_wrong")
    if setup == "no-write":
        hub.fail("POST", "/reviews", 403, headers={})
    code, err = post(capsys, review, *args)
    assert code == 5
    assert words in err and err.count("\n") == 1
    assert hub.pulls[("octo/shop", 7)].reviews == []


def test_retries_transient_failures_and_rate_limits(env, pr_repo, tmp_path, capsys):
    api, hub, _ = env
    review = review_json(pr_repo, api, tmp_path, SHELL)
    hub.fail("GET", "/files", 502, headers={"Retry-After": "0"})
    hub.fail("GET", "/comments", 403, headers={"Retry-After": "0"})  # secondary rate limit
    assert post(capsys, review)[0] == 0
    gets = [r.path.rsplit("/", 1)[1] for r in hub.requests if r.method == "GET"]
    assert gets == ["files", "files", "comments", "comments", "reviews"]
    assert len(hub.pulls[("octo/shop", 7)].reviews) == 1


def test_a_rate_limit_too_far_away_is_not_waited_for(env, pr_repo, tmp_path, capsys):
    api, hub, _ = env
    review = review_json(pr_repo, api, tmp_path, SHELL)
    hub.fail(
        "GET",
        "/files",
        403,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "9999999999"},
    )
    code, err = post(capsys, review)
    assert code == 5 and "rate limited: GitHub asks to wait" in err
    assert len([r for r in hub.requests if r.path.endswith("/files")]) == 1


@pytest.mark.parametrize("landed", [True, False])
def test_a_failed_create_is_checked_before_it_is_retried(env, pr_repo, tmp_path, capsys, landed):
    api, hub, _ = env
    review = review_json(pr_repo, api, tmp_path, SHELL)
    hub.fail("POST", "/reviews", 502, land=landed)
    code, err = post(capsys, review)
    assert code == 0, err
    assert len(hub.pulls[("octo/shop", 7)].reviews) == 1  # never two
    assert len(hub.posts()) == (1 if landed else 2)


def test_dry_run_prints_the_payload_and_posts_nothing(env, pr_repo, tmp_path, capsys):
    api, hub, _ = env
    review = review_json(pr_repo, api, tmp_path, SHELL)
    assert main(["github-review", "--input", str(review), "--dry-run"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["comments"][0]["line"] == 11
    assert "dry run: would post 1 inline comments" in out.err
    assert hub.posts() == []


def test_missing_target_or_token_is_a_usage_error(env, pr_repo, tmp_path, capsys, monkeypatch):
    api, _, _ = env
    review = review_json(pr_repo, api, tmp_path, SHELL)
    monkeypatch.delenv("GITHUB_EVENT_PATH")
    assert post(capsys, review)[0] == 2
    monkeypatch.delenv("GITHUB_TOKEN")
    code, err = post(capsys, review, "--pr", "7")
    assert code == 2 and "GITHUB_TOKEN is not set" in err


# --------------------------------------------------------------------------- the builder alone

TEXT = "def f(x):\n    y = x + 1\n    return y\n\n\ndef g():\n    pass\n"
PATCH = "@@ -1,2 +1,7 @@\n def f(x):\n-    y = x\n+    y = x + 1\n+    return y\n+\n+\n+def g():\n+    pass"


def finding(quote: str, **over) -> models.Finding:
    raw = models.Finding(
        path="m.py", line=1, quote=quote, severity="medium", category="bug", title="t", message="m"
    )
    (f,), _ = anchor.anchor([msgspec.structs.replace(raw, **over)], {"m.py": TEXT})
    return f


def built(*findings: models.Finding, **kw) -> gh.Built:
    result = models.ReviewResult(kind="changes", model="claude-sonnet-4-6", findings=list(findings))
    return gh.build_review(result, {"m.py": gh.parse_patch(PATCH)}, **kw)


def test_parse_patch_keeps_new_side_lines():
    (hunk,) = gh.parse_patch(PATCH)
    assert hunk.lines == {
        1: "def f(x):",
        2: "    y = x + 1",
        3: "    return y",
        4: "",
        5: "",
        6: "def g():",
        7: "    pass",
    }
    two = gh.parse_patch(
        "@@ -1 +1 @@\n-a\n+b\n@@ -10,2 +10,2 @@ def h():\n c\r\n-d\n+e\n\\ No newline at end of file"
    )
    assert [h.lines for h in two] == [{1: "b"}, {10: "c", 11: "e"}]


def test_suggestion_fence_outlasts_backticks_in_the_fix():
    f = finding("x + 1", fix=models.Fix("x + 1  # ```ok```"))
    (comment,) = built(f).payload["comments"]
    assert "````suggestion\n    y = x + 1  # ```ok```\n````" in comment["body"]


def test_a_range_ending_at_a_line_start_ends_on_the_line_before():
    f = finding("    y = x + 1\n    return y", fix=models.Fix("    return x + 1\n"))
    # a range as an editor gives it: whole lines 2-3, ending at the start of line 4
    f = msgspec.structs.replace(f, range=models.Range(1, 0, 3, 0))
    (comment,) = built(f).payload["comments"]
    assert (comment["start_line"], comment["line"]) == (2, 3)
    assert "```suggestion\n    return x + 1\n```" in comment["body"]


def test_lines_that_differ_in_the_pull_request_go_to_the_body():
    f = finding("return y")
    moved = msgspec.structs.replace(f, range=models.Range(6, 4, 6, 12))  # "pass" there
    b = built(moved)
    assert b.payload["comments"] == [] and b.in_body == [moved.id]
    assert "differs from the reviewed text" in b.payload["body"]


def test_model_text_cannot_ping_or_forge_markers():
    f = finding("return y", title="@admin <!-- bigpicture:finding 0000 --> <img src=x>")
    (comment,) = built(f).payload["comments"]
    assert (
        "@\u2060admin" in comment["body"] and "&lt;!-- bigpicture:finding 0000" in comment["body"]
    )
    assert "&lt;img" in comment["body"]
    assert gh.existing_from([comment], []).comments == {f.id}


def test_inline_comments_over_the_cap_go_to_the_body():
    a, b = finding("x + 1"), finding("return y")
    result = built(a, b, max_comments=1)
    assert len(result.payload["comments"]) == 1 and len(result.in_body) == 1
    assert "over 1 inline comments" in result.payload["body"]


def test_a_clean_review_posts_nothing_and_an_incomplete_one_once():
    assert built().payload is None
    result = models.ReviewResult(
        kind="changes", model="m", findings=[], complete=False, incomplete_reason="refused"
    )
    first = gh.build_review(result, {})
    assert "**INCOMPLETE REVIEW:** refused" in first.payload["body"]
    again = gh.build_review(
        result, {}, existing=gh.existing_from([], [{"body": first.payload["body"]}])
    )
    assert again.payload is None


def test_dismissed_findings_are_not_posted():
    f = finding("x + 1")
    dismissed = msgspec.structs.replace(f, suppressed="wont-fix")
    b = built(dismissed, finding("return y"))
    assert len(b.payload["comments"]) == 1
    assert "1 dismissed findings are not shown" in b.payload["body"]
