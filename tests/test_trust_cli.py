"""`bigpicture review` as a new user would run it against the strict fake: never "No findings"
when the reply was cut, nothing sent for an empty workspace, symlink loops and unreadable
folders listed instead of crashing, the 1M beta header chosen with a margin, and a
prompt-too-long reply explained."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bigpicture.app import batch
from bigpicture.cli import main
from bigpicture.store import ledger
from bigpicture.store import paths as store
from conftest import commit, git, write
from fake_api import FakeAnthropic, ModelSpec, ToolReply
from planted import planted_findings

FULL = planted_findings()
TEXT = json.dumps(FULL)
CUT_IN_FIRST = TEXT.index('"line"')  # only the first finding's path was written
CUT_IN_THIRD = TEXT.index('"path": "app/web.py", "line": 15')  # two whole findings before


@pytest.fixture
def fake(monkeypatch):
    with FakeAnthropic() as f:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", f.url)
        monkeypatch.setenv(batch.POLL_ENV, "0")
        yield f


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["review", *args, "-q"])
    out = capsys.readouterr()
    return code, out.out, out.err


def cut(at: int, **kw: object) -> ToolReply:
    """The planted answer cut after ``at`` characters, the message still saying tool_use."""
    return ToolReply(FULL, truncate_json_at=at, stop_reason="tool_use", **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- never a false all-clear


@pytest.mark.parametrize("fail_on", [None, "low"])
def test_a_call_cut_in_its_first_finding_is_incomplete_not_no_findings(
    defects, fake, capsys, fail_on
):
    fake.script(cut(CUT_IN_FIRST))
    args = [str(defects)] + (["--fail-on", fail_on] if fail_on else [])
    code, out, err = run(capsys, *args)
    assert code == 6, err
    assert "No findings" not in out
    assert "INCOMPLETE" in out and "INCOMPLETE REVIEW" in err
    assert "cut off" in err


def test_a_cut_call_shows_what_it_recovered_as_recovered(defects, fake, capsys):
    fake.script(cut(CUT_IN_THIRD))
    code, out, _ = run(capsys, str(defects), "--format", "json")
    assert code == 6
    data = json.loads(out)
    assert data["complete"] is False and "cut off" in data["incomplete_reason"]
    assert [f["title"] for f in data["findings"]] == [
        "SQL injection in find_user",
        "Command injection in ping",
    ]


def test_a_cut_call_in_sarif_is_an_unsuccessful_execution(defects, fake, capsys):
    fake.script(cut(CUT_IN_FIRST))
    code, out, _ = run(capsys, str(defects), "--format", "sarif")
    assert code == 6
    (invocation,) = json.loads(out)["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    assert "Incomplete review" in notes[0]["message"]["text"]


def test_a_cut_call_is_never_cached_and_the_next_run_asks_again(defects, fake, capsys):
    fake.script(cut(CUT_IN_FIRST), ToolReply(FULL))
    assert run(capsys, str(defects))[0] == 6
    assert list(resultcache_files(defects)) == []
    code, out, _ = run(capsys, str(defects), "--format", "json")
    assert code == 0 and json.loads(out)["from_cache"] is False
    assert len(fake.messages_requests()) == 2
    # and the complete one is cached: a third run does not call the API
    code, out, _ = run(capsys, str(defects), "--format", "json")
    assert code == 0 and json.loads(out)["from_cache"] is True
    assert len(fake.messages_requests()) == 2


def resultcache_files(root: Path) -> list[Path]:
    where = store.workspace_dir(root) / "results"
    return sorted(where.glob("*.json")) if where.exists() else []


def test_a_cut_call_in_a_batch_result_is_incomplete(defects, fake, capsys):
    fake.default = cut(CUT_IN_FIRST, cut_input="prefix")
    code, out, err = run(capsys, "--batch", str(defects), "--format", "json")
    assert code == 6, err
    [review] = json.loads(out)["reviews"].values()
    assert review["complete"] is False and review["batch_request"]["status"] == "succeeded"
    assert "No findings" not in err


# --------------------------------------------------------------------------- empty workspaces


@pytest.mark.parametrize("kind", ["empty-repo", "empty-folder", "only-never-sent", "only-ignored"])
def test_an_empty_workspace_is_nothing_to_review_and_sends_nothing(tmp_path, fake, capsys, kind):
    root = tmp_path / "ws"
    root.mkdir()
    if kind == "empty-repo":
        git(root, "init", "-q", "-b", "main")
    elif kind == "only-never-sent":
        git(root, "init", "-q", "-b", "main")
        write(root, ".env", "API_KEY=abc\n")
        write(root, "deploy/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\nxx\n")
        commit(root, "secrets only")
    elif kind == "only-ignored":
        git(root, "init", "-q", "-b", "main")
        write(root, ".git/info/exclude", "*.log\n")
        write(root, "debug.log", "x\n")
    code, out, err = run(capsys, str(root))
    assert code == 0, err
    assert "nothing to review" in err
    assert fake.requests == []
    code, out, _ = run(capsys, str(root), "--format", "json")
    assert code == 0 and json.loads(out)["status"] == "nothing-to-review"
    assert fake.requests == [] and ledger.read() == []


def test_a_changes_review_of_only_never_sent_files_is_nothing_to_review(repo, fake, capsys):
    write(repo, "app.py", "x = 1\n")
    commit(repo, "init")
    write(repo, ".env", "TOKEN=abc\n")
    code, _, err = run(capsys, str(repo), "--diff")
    assert code == 0 and "nothing to review" in err
    assert fake.requests == []


# --------------------------------------------------------------------------- symlink loops


def make_loops(root: Path) -> None:
    write(root, "app.py", "print('hello')\n")
    (root / "self").symlink_to("self")
    (root / "ping").symlink_to("pong")
    (root / "pong").symlink_to("ping")
    (root / "sub").mkdir()
    (root / "sub" / "deep").symlink_to("../sub/deep")


@pytest.mark.parametrize("git_repo", [True, False])
@pytest.mark.parametrize("diff", [False, True])
def test_a_symlink_loop_is_listed_as_never_sent_and_the_review_goes_on(
    tmp_path, fake, capsys, git_repo, diff
):
    if diff and not git_repo:
        pytest.skip("a changes review needs git")
    root = tmp_path / "ws"
    root.mkdir()
    if git_repo:
        git(root, "init", "-q", "-b", "main")
        write(root, "base.py", "BASE = 1\n")
        commit(root, "base")
    make_loops(root)
    if git_repo and not diff:
        commit(root, "loops")
    code, out, err = run(capsys, str(root), "--dry-run", "--format", "json", *(["--diff"] * diff))
    assert code == 0, err
    plan = json.loads(out)
    never = {s["path"]: s["reason"] for s in plan["skipped"]}
    assert never == {
        "self": "symlink-loop",
        "ping": "symlink-loop",
        "pong": "symlink-loop",
        "sub/deep": "symlink-loop",
    }
    assert "app.py" in {f["path"] for f in plan["files"]}
    fake.script(ToolReply({"findings": [], "summary": "clean"}))
    code, out, err = run(capsys, str(root), *(["--diff"] * diff))
    assert code == 0, err
    (request,) = fake.messages_requests()
    sent = "".join(b["text"] for b in request.body["messages"][0]["content"])
    assert "print('hello')" in sent and 'path="self"' not in sent


def test_review_file_of_a_symlink_loop_is_a_clear_error(tmp_path, capsys):
    root = tmp_path / "ws"
    root.mkdir()
    make_loops(root)
    code, _, err = run(capsys, str(root), "--file", str(root / "self"), "--dry-run")
    assert code == 2 and "symlink loop" in err and "Traceback" not in err


def test_a_workspace_whose_every_file_is_left_out_to_fit_is_over_budget(tmp_path, fake, capsys):
    root = tmp_path / "ws"
    root.mkdir()
    write(root, "big.py", "".join(f"value_{i} = {i * 7919}  # filler {i}\n" for i in range(20000)))
    code, _, err = run(capsys, str(root), "--model", "claude-haiku-4-5")
    assert code == 4 and "no file fits" in err and "big.py" in err
    assert fake.requests == []


# --------------------------------------------------------------------------- the 1M beta header

BETA = "context-1m-2025-08-07"
TEST_MODEL = """
[tool.bigpicture]
maxCostPerReview = 10.0
[tool.bigpicture.models.{name}]
contextWindow = {window}
standardWindow = 200000
beta1m = {beta}
input = 3.0
output = 15.0
cacheWrite5m = 3.75
cacheWrite1h = 6.0
cacheRead = 0.3
minCacheTokens = 1024
maxOutput = 64000
"""


def sized_workspace(root: Path, chars: int, *, name: str, window: int, beta: bool) -> None:
    """A workspace of about ``chars`` characters of source, reviewed with the test model."""
    git(root, "init", "-q", "-b", "main")
    write(
        root, "pyproject.toml", TEST_MODEL.format(name=name, window=window, beta=str(beta).lower())
    )
    per_file = 50_000
    line = "total = compute(alpha, beta, gamma)  # a line of ordinary code\n"
    for i in range(chars // per_file):
        write(root, f"pkg/m{i:03}.py", line * (per_file // len(line)))
    commit(root, "code")


def plan_of(capsys, root: Path, model: str, *extra: str) -> dict:
    code, out, err = run(
        capsys, str(root), "--model", model, "--dry-run", "--format", "json", *extra
    )
    assert code == 0, err
    return json.loads(out)


def test_an_input_estimated_just_under_the_threshold_but_really_over_gets_the_header(
    repo, fake, capsys
):
    # the API's tokenizer for this model counts 1.5x the fake's base rate: more than the
    # local estimate, as a newer tokenizer would
    fake.add_model(
        ModelSpec(id="claude-test-1m", max_output=64_000, context_1m_beta=BETA, token_factor=1.5)
    )
    sized_workspace(repo, 580_000, name="claude-test-1m", window=1_000_000, beta=True)
    plan = plan_of(capsys, repo, "claude-test-1m", "--count")
    assert 170_000 < plan["inputTokens"] < 200_000  # the estimate says it fits 200K
    assert plan["exactInputTokens"] > 200_000  # the API says it does not
    assert plan["betas"] == [BETA]  # so the header is sent, from the margin
    fake.script(ToolReply({"findings": [], "summary": "clean"}))
    code, _, err = run(capsys, str(repo), "--model", "claude-test-1m")
    assert code == 0, err
    (sent,) = fake.messages_requests()
    assert BETA in sent.headers.get("anthropic-beta", "")


def test_a_small_input_goes_without_the_header(repo, fake, capsys):
    fake.add_model(ModelSpec(id="claude-test-1m", max_output=64_000, context_1m_beta=BETA))
    sized_workspace(repo, 100_000, name="claude-test-1m", window=1_000_000, beta=True)
    assert plan_of(capsys, repo, "claude-test-1m")["betas"] == []


@pytest.mark.parametrize("beta", [False, True])
def test_prompt_too_long_says_what_happened(repo, fake, capsys, beta):
    name = "claude-test-dense"
    fake.add_model(
        ModelSpec(
            id=name, max_output=64_000, token_factor=2.0, context_1m_beta=BETA if beta else None
        )
    )
    sized_workspace(repo, 480_000, name=name, window=1_000_000 if beta else 200_000, beta=beta)
    plan = plan_of(capsys, repo, name)
    assert plan["betas"] == [] and plan["inputTokens"] < 200_000
    code, _, err = run(capsys, str(repo), "--model", name)
    assert code == 5
    assert "prompt is too long:" in err and "> 200000 maximum" in err  # the API's count
    assert f"local estimate was {plan['inputTokens']:,} tokens" in err
    assert ("without the 1M beta header" in err) is beta
    assert "larger window" not in err
    assert len(fake.messages_requests()) == 1  # a 400 is not retried


# ------------------------------------------------------------------ the estimate is an upper bound

# The fake counts random hex at two characters a token, as real tokenizers split it: a file's
# framing (its header and footer, the 16-hex-digit nonce in each) then costs about 26 tokens,
# the figure measured against the API, not the 12 the estimate once assumed.
REALISTIC = ModelSpec(
    id="claude-test-hex", max_output=64_000, context_window=1_000_000, hex_chars_per_token=2.0
)


def many_files(root: Path, count: int, body: str) -> None:
    write(
        root, "pyproject.toml", TEST_MODEL.format(name=REALISTIC.id, window=1_000_000, beta="false")
    )
    width = len(str(count))
    for i in range(count):
        d = root / "pkg" / f"d{i // 1000:03}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"m{i:0{width}}.py").write_text(body)


@pytest.mark.parametrize(
    ("count", "body"),
    [
        (1, "x = 1\n"),
        (10, "x = 1\n"),
        (1_000, "x = 1\n"),
        (1_000, "total = compute(alpha, beta, gamma)  # ordinary code\n" * 40),
        (100_000, "x = 1\n"),
    ],
    ids=["1-tiny", "10-tiny", "1000-tiny", "1000-2KB", "100000-tiny"],
)
def test_the_estimate_is_an_upper_bound_of_the_apis_count(tmp_path, fake, capsys, count, body):
    fake.add_model(REALISTIC)
    many_files(tmp_path, count, body)
    plan = plan_of(capsys, tmp_path, REALISTIC.id, "--count")
    assert plan["files"], "something is sent"
    # what the plan says it sends is never more than the API will count for it
    assert plan["exactInputTokens"] <= plan["inputTokens"], plan["inputTokens"]
    # and not wildly more either (an estimate that is an upper bound by being useless is not)
    assert plan["inputTokens"] <= 1.5 * plan["exactInputTokens"]
