"""Full coverage (``review --coverage full``): shard planning, one merged result, the shared
prefix read from the cache by every shard after the first, a failing shard, the total cost
limit, and the plan. Against the local fake API over real HTTP through the SDK."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bigpicture.cli import main
from conftest import commit, write
from fake_api import ErrorReply, FakeAnthropic, ToolReply

WINDOW = 40_000  # a small window (the model registry's override) so the repository shards
DIRS = ("a", "b", "c", "d")


def module(n: int) -> str:
    return "\n".join(f"def f{j}(x):\n    return x + {j}" for j in range(n)) + "\n"


def make_big(repo: Path) -> Path:
    """Four packages of 40 modules: about 4 shards of a 40,000-token window."""
    for d in DIRS:
        for i in range(1, 41):
            write(repo, f"{d}/m{i}.py", module(40))
    write(
        repo,
        "pyproject.toml",
        f"[tool.bigpicture.models.claude-sonnet-4-6]\ncontextWindow = {WINDOW}\n",
    )
    commit(repo, "init")
    return repo


@pytest.fixture
def big(repo: Path) -> Path:
    return make_big(repo)


@pytest.fixture
def fake(monkeypatch):
    with FakeAnthropic() as f:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", f.url)
        yield f


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["review", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def shard_files(body: dict) -> str:
    """The text of the shard's files block (the second content block)."""
    return body["messages"][0]["content"][1]["text"]


def finding(path: str, line: int = 1, **kw) -> dict:
    return {
        "path": path,
        "line": line,
        "quote": f"def f{(line - 1) // 2}(x):",
        "severity": kw.get("severity", "high"),
        "category": kw.get("category", "bug"),
        "title": kw.get("title", f"bug in {path}"),
        "message": "m",
    }


def per_shard(body: dict) -> ToolReply:
    """Each shard reports one finding in the first of its files."""
    text = shard_files(body)
    first = text.split('path="', 1)[1].split('"', 1)[0]
    return ToolReply({"summary": f"looked at {first}", "findings": [finding(first)]})


# --------------------------------------------------------------------------- planning


# --------------------------------------------------------------------------- the CLI


def test_plan_shows_the_shards_their_tokens_and_the_total_cost(big, fake, capsys):
    code, out, _ = run(capsys, str(big), "--coverage", "full", "--dry-run", "--format", "json")
    assert code == 0
    plan = json.loads(out)
    assert plan["coverage"] == "full" and len(plan["shards"]) >= 3
    assert plan["estimatedCost"] == pytest.approx(sum(s["estimatedCost"] for s in plan["shards"]))
    assert sorted(p for s in plan["shards"] for p in s["files"]) == sorted(
        [f"{d}/m{i}.py" for d in DIRS for i in range(1, 41)] + ["pyproject.toml"]
    )
    # later shards read the shared prefix: each costs less than the first of equal size
    assert plan["prefixCached"]
    assert fake.messages_requests() == []
    code, text, _ = run(capsys, str(big), "--coverage", "full", "--dry-run")
    assert code == 0
    assert f"{len(plan['shards'])} shards" in text
    assert f"Estimated total cost: ${plan['estimatedCost']:.4f}" in text


def test_full_coverage_merges_every_shards_findings_and_reads_the_shared_prefix(big, fake, capsys):
    fake.default = per_shard
    code, out, err = run(capsys, str(big), "--coverage", "full", "--format", "json", "-q")
    assert code == 0, err
    doc = json.loads(out)
    reqs = fake.messages_requests()
    n = len(reqs)
    assert n >= 3 and len(doc["shards"]) == n
    assert doc["complete"] is True and doc["not_reviewed"] == []
    assert all(s["status"] == "complete" for s in doc["shards"])
    # one finding per shard, each in a different file, all in one result
    assert len(doc["findings"]) == n
    assert len({f["path"] for f in doc["findings"]}) == n
    assert doc["files_sent"] == 161
    # every file whole in exactly one request
    sent = [shard_files(r.body) for r in reqs]
    for d in DIRS:
        for i in range(1, 41):
            assert sum(f'path="{d}/m{i}.py"' in s for s in sent) == 1
    # the first shard writes the shared prefix; every later one reads it from the cache
    assert reqs[0].usage["cache_read_input_tokens"] == 0
    assert reqs[0].usage["cache_creation_input_tokens"] > 0
    prefix = reqs[1].usage["cache_read_input_tokens"]
    assert prefix > 2048  # the model's cache minimum
    assert all(r.usage["cache_read_input_tokens"] == prefix for r in reqs[1:])
    assert doc["usage"]["cache_read_input_tokens"] == prefix * (n - 1)


def test_findings_in_every_format_and_shard_status_in_sarif(big, fake, capsys, tmp_path):
    fake.default = per_shard
    sarif_path, gl, rd = tmp_path / "r.sarif", tmp_path / "gl.json", tmp_path / "rd.json"
    code, out, err = run(
        capsys,
        str(big),
        "--coverage",
        "full",
        "-q",
        "--also-output",
        f"sarif={sarif_path}",
        "--also-output",
        f"gitlab={gl}",
        "--also-output",
        f"rdjson={rd}",
    )
    assert code == 0, err
    n = len(fake.messages_requests())
    sarif = json.loads(sarif_path.read_text())
    run_ = sarif["runs"][0]
    assert len(run_["results"]) == n
    assert [s["status"] for s in run_["properties"]["shards"]] == ["complete"] * n
    assert len(json.loads(gl.read_text())) == n
    assert len(json.loads(rd.read_text())["diagnostics"]) == n
    assert out.count("bug in ") == n


def test_a_failing_shard_makes_the_review_incomplete_and_names_its_files(big, fake, capsys):
    def reply(body):
        if 'path="c/m1.py"' in shard_files(body):
            return ErrorReply(400, "invalid_request_error", "planted failure")
        return per_shard(body)

    fake.default = reply
    code, out, err = run(capsys, str(big), "--coverage", "full", "--format", "json", "-q")
    assert code == 6
    doc = json.loads(out)
    assert doc["complete"] is False
    failed = [s for s in doc["shards"] if s["status"] == "failed"]
    assert len(failed) == 1 and "planted failure" in failed[0]["reason"]
    assert "c/m1.py" in doc["not_reviewed"] and "a/m1.py" not in doc["not_reviewed"]
    assert sorted(doc["not_reviewed"]) == sorted(failed[0]["files"])
    assert "INCOMPLETE REVIEW" in err and "files not reviewed: c/m1.py" in err
    code, text, _ = run(capsys, str(big), "--coverage", "full", "-q")
    assert code == 6
    n = len(doc["shards"])
    assert f"{n} shards: {n - 1} complete, shard 3 failed (40 files not reviewed)" in text
    assert "No findings" not in text
    # the other shards' findings are kept
    assert len(doc["findings"]) == len(doc["shards"]) - 1


def test_max_cost_applies_to_the_total_of_every_shard(big, fake, capsys):
    code, out, _ = run(capsys, str(big), "--coverage", "full", "--dry-run", "--format", "json")
    plan = json.loads(out)
    each = max(s["estimatedCost"] for s in plan["shards"])
    limit = (each + plan["estimatedCost"]) / 2  # over any one shard, under the total
    assert each < limit < plan["estimatedCost"]
    code, _, err = run(capsys, str(big), "--coverage", "full", "--max-cost", f"{limit:.4f}", "-q")
    assert code == 4
    assert "shards together is over the limit" in err and "--max-cost" in err
    assert fake.messages_requests() == []


# --------------------------------------------------------------------------- --batch


@pytest.fixture
def no_poll_pause(monkeypatch):
    from bigpicture.app import batch

    monkeypatch.setenv(batch.POLL_ENV, "0")


def batch_creates(fake) -> list:
    return [r for r in fake.requests if r.method == "POST" and r.path == "/v1/messages/batches"]


def test_batch_sends_every_shard_in_one_batch_and_merges_them(big, fake, capsys, no_poll_pause):
    fake.default = per_shard
    code, out, err = run(
        capsys, str(big), "--coverage", "full", "--batch", "--format", "sarif", "-q"
    )
    assert code == 0, err
    [create] = batch_creates(fake)
    requests = create.body["requests"]
    assert len(requests) >= 3 and fake.messages_requests() == []
    assert len({r["custom_id"] for r in requests}) == len(requests)
    heads = {json.dumps(r["params"]["messages"][0]["content"][0]) for r in requests}
    assert len(heads) == 1  # the same shared prefix in every shard
    run_ = json.loads(out)["runs"][0]
    assert len(json.loads(out)["runs"]) == 1  # one merged result
    assert len(run_["results"]) == len(requests)
    assert [s["status"] for s in run_["properties"]["shards"]] == ["complete"] * len(requests)
    assert run_["invocations"][0]["executionSuccessful"] is True


def test_an_expired_shard_in_a_batch_is_an_incomplete_review(big, fake, capsys, no_poll_pause):
    from bigpicture.app import batch

    fake.default = per_shard
    code, out, _ = run(capsys, str(big), "--coverage", "full", "--dry-run", "--format", "json")
    plan = json.loads(out)
    third = plan["shards"][2]["files"]
    fake.batch_script[f"{batch.custom_id_for(big)}-s3"] = "expired"
    code, out, err = run(capsys, str(big), "--coverage", "full", "--batch", "--format", "json")
    assert code == 6
    doc = json.loads(out)
    assert doc["complete"] is False
    assert doc["not_reviewed"] == sorted(third)
    assert [s["status"] for s in doc["shards"]][2] == "failed"
    assert "expired" in doc["shards"][2]["reason"]
    assert f"files not reviewed: {sorted(third)[0]}" in err


def test_a_rate_limited_shard_waits_retry_after_and_completes(big, fake, capsys, monkeypatch):
    """A shard hits the rate limit: the one retry layer waits what the API's retry-after
    says, and the shard completes."""
    limited: list[str] = []

    def reply(body):
        text = shard_files(body)
        if 'path="b/m1.py"' in text and not limited:
            limited.append("b")
            return ErrorReply(429, "rate_limit_error", "slow down", headers={"retry-after-ms": "5"})
        return per_shard(body)

    fake.default = reply
    code, out, err = run(
        capsys, str(big), "--coverage", "full", "--format", "json", "-q", "--no-cache"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert all(s["status"] == "complete" for s in doc["shards"])
    reqs = fake.messages_requests()
    assert len(reqs) == len(doc["shards"]) + 1  # one retry
    retried = [r for r in reqs if 'path="b/m1.py"' in shard_files(r.body)]
    assert [r.retry_count for r in retried] == [0, 1]


def test_full_coverage_of_the_changes_shares_the_diff_in_every_shard(big, fake, capsys):
    write(big, "a/m1.py", module(40) + "def added(x):\n    return eval(x)\n")
    fake.default = per_shard
    code, out, err = run(capsys, str(big), "--coverage", "full", "--diff", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["kind"] == "changes" and doc["complete"] is True
    reqs = fake.messages_requests()
    assert len(reqs) == len(doc["shards"]) >= 3
    shared = {json.dumps(r.body["messages"][0]["content"][0]) for r in reqs}
    assert len(shared) == 1  # the diff is in the prefix every shard shares
    assert "return eval(x)" in reqs[0].body["messages"][0]["content"][0]["text"]
    assert all(
        "Review the changes in the diff above" in r.body["messages"][0]["content"][-1]["text"]
        for r in reqs
    )
    assert all(r.usage["cache_read_input_tokens"] > 0 for r in reqs[1:])
