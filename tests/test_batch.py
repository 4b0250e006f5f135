"""`bigpicture review --batch` and `bigpicture batch ...` against the fake's Message Batches
endpoints, through the real CLI and SDK: the same findings as an interactive review, several
paths in one batch, failed requests never clean, resume from the stored record, re-anchoring
on edits made after the submission, half price in the ledger."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from bigpicture.app import batch
from bigpicture.cli import batch as cli_batch
from bigpicture.cli import main
from bigpicture.core import pricing
from bigpicture.core.registry import Registry
from bigpicture.store import batches, ledger
from conftest import commit, git, write
from fake_api import FakeAnthropic, ToolReply
from planted import WEB_PY, planted_findings

SCHEMA = json.loads(
    (Path(__file__).parents[1] / "server/bigpicture/data/sarif-schema-2.1.0.json").read_text()
)
CLEAN = {"findings": [], "summary": "Nothing to report."}


@pytest.fixture
def fake(monkeypatch):
    with FakeAnthropic() as f:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", f.url)
        monkeypatch.setenv(batch.POLL_ENV, "0")  # poll without pausing
        yield f


@pytest.fixture
def other(tmp_path: Path) -> Path:
    """A second repository, with nothing planted."""
    root = tmp_path / "other"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, "lib/util.py", "def add(a, b):\n    return a + b\n")
    commit(root, "util")
    return root


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def creates(fake) -> list:
    return [r for r in fake.requests if r.method == "POST" and r.path == "/v1/messages/batches"]


def polls(fake, batch_id: str) -> int:
    return sum(
        1
        for r in fake.requests
        if r.method == "GET" and r.path == f"/v1/messages/batches/{batch_id}"
    )


def without_run_props(sarif: dict) -> dict:
    """The SARIF log minus run-level properties (cost, usage, request id, batch)."""
    data = json.loads(json.dumps(sarif))
    for run in data["runs"]:
        run.pop("properties")
    return data


# --------------------------------------------------------------------------- same as interactive


def test_batch_sarif_equals_the_interactive_review_of_the_same_content(defects, fake, capsys):
    fake.default = ToolReply(planted_findings())
    # (a batch has no verification pass: compare with an interactive review without one)
    code, live_out, err = cli(
        capsys, "review", str(defects), "--format", "sarif", "--no-verify", "-q"
    )
    assert code == 0, err
    live = json.loads(live_out)
    [stream_request] = fake.messages_requests()

    fake.batch_polls_until_done = 3
    code, out, err = cli(
        capsys, "review", "--batch", str(defects), "--format", "sarif", "--no-cache", "-q"
    )
    assert code == 0, err
    sarif = json.loads(out)
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    assert without_run_props(sarif) == without_run_props(live)
    assert len(sarif["runs"][0]["results"]) == 5
    props, live_props = sarif["runs"][0]["properties"], live["runs"][0]["properties"]
    for key in ("kind", "model", "summary", "filesSent", "fromCache"):
        assert props[key] == live_props[key]
    [create] = creates(fake)
    batch_id = props["batch"]["id"]
    assert props["batch"]["status"] == "succeeded"
    # one request, the plan's body as the interactive review streamed it, minus streaming
    [request] = create.body["requests"]
    assert request["custom_id"] == batch.custom_id_for(defects)
    assert request["params"] == {k: v for k, v in stream_request.body.items() if k != "stream"}
    assert "stream" not in request["params"]
    assert polls(fake, batch_id) >= 4  # in progress three times, then ended
    # the record is stored under the data directory
    record = batches.load(batch_id)
    assert record is not None and record.outcome == "complete"
    assert record.requests[0].root == str(defects.resolve())
    assert set(record.requests[0].hashes) == {
        "app/__init__.py",
        "app/db.py",
        "app/web.py",
        "app/big.py",
    }


def test_ledger_records_each_batch_request_once_at_half_price(defects, fake, capsys):
    fake.default = ToolReply(planted_findings())
    code, out, err = cli(capsys, "review", "--batch", str(defects), "--format", "json", "-q")
    assert code == 0, err
    doc = json.loads(out)
    [(label, review)] = doc["reviews"].items()
    assert label == str(defects)
    assert review["complete"] is True and len(review["findings"]) == 5
    assert review["cost"]["batch"] is True
    [entry] = ledger.read()
    assert entry.batch is True and entry.kind == "workspace"
    assert entry.request_id == doc["batch"]["id"]
    info, _ = Registry().get(entry.model)
    full = pricing.usage_cost(entry.usage, info).usd
    assert entry.cost_usd == pytest.approx(full / 2, abs=2e-6)
    assert entry.cost_usd == pytest.approx(review["cost"]["usd"])
    # reading the results again shows the same and does not charge twice
    code, again, _ = cli(capsys, "batch", "results", doc["batch"]["id"], "--format", "json", "-q")
    assert code == 0
    assert json.loads(again)["reviews"][label]["findings"] == review["findings"]
    assert len(ledger.read()) == 1
    code, out, _ = cli(capsys, "usage", "--format", "json")
    assert code == 0
    assert json.loads(out)["saved_by_batch_usd"] == pytest.approx(entry.cost_usd, abs=1e-6)


def test_a_complete_batch_result_fills_the_result_cache(defects, fake, capsys):
    fake.default = ToolReply(planted_findings())
    assert cli(capsys, "review", "--batch", str(defects), "-q")[0] == 0
    code, out, _ = cli(capsys, "review", str(defects), "--format", "json", "-q")
    assert code == 0
    again = json.loads(out)
    assert again["from_cache"] is True and len(again["findings"]) == 5
    assert fake.messages_requests() == []  # nothing streamed


# --------------------------------------------------------------------------- several paths


def test_two_paths_in_one_batch(defects, other, fake, capsys):
    fake.batch_script[batch.custom_id_for(defects)] = ToolReply(planted_findings())
    fake.batch_script[batch.custom_id_for(other)] = ToolReply(CLEAN)
    code, out, err = cli(
        capsys, "review", "--batch", str(defects), str(other), "--format", "sarif", "-q"
    )
    assert code == 0, err
    [create] = creates(fake)
    assert [r["custom_id"] for r in create.body["requests"]] == [
        batch.custom_id_for(defects),
        batch.custom_id_for(other),
    ]
    sarif = json.loads(out)
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    first, second = sarif["runs"]
    assert len(first["results"]) == 5 and second["results"] == []
    assert first["originalUriBaseIds"]["SRCROOT"]["uri"] == defects.resolve().as_uri() + "/"
    assert second["originalUriBaseIds"]["SRCROOT"]["uri"] == other.resolve().as_uri() + "/"
    ids = {run["automationDetails"]["id"] for run in sarif["runs"]}
    assert len(ids) == 2
    batch_id = first["properties"]["batch"]["id"]

    code, out, _ = cli(capsys, "batch", "results", batch_id, "--format", "json", "-q")
    assert code == 0
    reviews = json.loads(out)["reviews"]
    assert list(reviews) == [str(defects), str(other)]
    assert len(reviews[str(defects)]["findings"]) == 5
    assert reviews[str(other)]["findings"] == [] and reviews[str(other)]["complete"] is True

    code, out, _ = cli(capsys, "batch", "results", batch_id, "--fail-on", "high", "-q")
    assert code == 1
    assert out.count(f"· batch {batch_id} ·") == 2
    assert "SQL injection in find_user" in out and "No findings." in out


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("errored", "errored: api_error: Internal server error"),
        ("expired", "expired: it was not processed within 24 hours"),
        ("canceled", "was canceled before it was processed"),
    ],
)
def test_a_failed_request_is_reported_per_path_and_exits_6(
    defects, other, fake, capsys, kind, words
):
    fake.batch_script[batch.custom_id_for(defects)] = ToolReply(planted_findings())
    fake.batch_script[batch.custom_id_for(other)] = kind
    code, out, err = cli(capsys, "review", "--batch", str(defects), str(other), "-q")
    assert code == 6
    assert f"INCOMPLETE REVIEW: {other}: the batch request {words}" in err
    failed = out[out.index(f"== {other} ") :]
    assert f": {kind} ==" in failed.splitlines()[0]
    assert "INCOMPLETE REVIEW" in failed and "No findings" not in failed
    assert "SQL injection in find_user" in out[: out.index(f"== {other} ")]

    batch_id = batches.stored()[0].id
    code, out, _ = cli(capsys, "batch", "results", batch_id, "--format", "sarif", "-q")
    assert code == 6
    runs = json.loads(out)["runs"]
    assert runs[0]["invocations"][0]["executionSuccessful"] is True
    bad = runs[1]["invocations"][0]
    assert bad["executionSuccessful"] is False
    assert words in bad["toolExecutionNotifications"][0]["message"]["text"]
    assert runs[1]["properties"]["batch"]["status"] == kind
    code, out, _ = cli(capsys, "batch", "results", batch_id, "--format", "json", "-q")
    review = json.loads(out)["reviews"][str(other)]
    assert review["complete"] is False and review["batch_request"]["status"] == kind
    assert review["cost"] is None
    # only the succeeded request was charged
    assert [e.workspace for e in ledger.read()] == [defects.name]


def test_a_cut_off_reply_in_a_batch_is_incomplete(defects, fake, capsys):
    fake.default = ToolReply(planted_findings(), stop_reason="max_tokens", truncate_json_at=900)
    code, out, err = cli(capsys, "review", "--batch", str(defects), "--format", "json", "-q")
    assert code == 6
    assert "cut off" in err
    [review] = json.loads(out)["reviews"].values()
    assert review["complete"] is False and review["batch_request"]["status"] == "succeeded"


# --------------------------------------------------------------------------- resume


def test_resume_after_an_interruption_from_the_stored_record(defects, fake, capsys):
    fake.default = ToolReply(planted_findings())
    fake.batch_polls_until_done = 10_000  # only finish_batches() ends it
    code, out, err = cli(capsys, "review", "--batch", str(defects), "--no-wait", "-q")
    assert code == 0, err
    batch_id = out.strip()
    assert re.fullmatch(r"msgbatch_\w+", batch_id)
    assert f"bigpicture batch results {batch_id}" in err

    code, out, _ = cli(capsys, "batch", "status", batch_id)
    assert code == 0
    assert f"batch {batch_id}: in_progress (1 processing, 0 succeeded" in out
    assert "expires at:" in out and batch.custom_id_for(defects) in out
    code, out, _ = cli(capsys, "batch", "status", batch_id, "--format", "json")
    status = json.loads(out)
    assert status["processing_status"] == "in_progress" and status["expires_at"]

    code, out, err = cli(capsys, "batch", "results", batch_id, "--no-wait", "-q")
    assert code == 6 and "not ended yet" in err and out == ""

    code, out, _ = cli(capsys, "batch", "list")
    assert batch_id in out and str(defects) in out and "in_progress" in out

    # the same review --batch again resumes the stored batch instead of paying twice
    code, out, err = cli(capsys, "review", "--batch", str(defects), "--no-wait", "-q")
    assert code == 0 and out.strip() == batch_id and "resuming" in err
    assert len(creates(fake)) == 1

    fake.finish_batches()
    code, out, err = cli(capsys, "batch", "results", batch_id, "--format", "sarif", "-q")
    assert code == 0, err
    sarif = json.loads(out)
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    assert len(sarif["runs"][0]["results"]) == 5
    code, out, _ = cli(capsys, "batch", "list", "--format", "json")
    [listed] = json.loads(out)
    assert listed["id"] == batch_id and listed["outcome"] == "complete"
    # --no-cache submits a new batch even though an identical one is stored
    code, out, _ = cli(capsys, "review", "--batch", str(defects), "--no-wait", "--no-cache", "-q")
    assert code == 0 and out.strip() != batch_id and len(creates(fake)) == 2


def test_ctrl_c_while_waiting_leaves_the_batch_to_resume(defects, fake, capsys, monkeypatch):
    fake.default = ToolReply(planted_findings())

    async def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(cli_batch, "wait", interrupted)
        code, out, err = cli(capsys, "review", "--batch", str(defects), "--format", "json")
    assert code == 130 and out == ""
    [record] = batches.stored()
    assert f"stopped waiting; batch {record.id} goes on" in err
    assert f"bigpicture batch results {record.id}" in err
    assert ledger.read() == []
    code, out, err = cli(capsys, "batch", "results", record.id, "--format", "json", "-q")
    assert code == 0, err
    assert len(json.loads(out)["reviews"][str(defects)]["findings"]) == 5
    assert len(creates(fake)) == 1 and len(ledger.read()) == 1


def test_wait_and_cancel(defects, fake, capsys):
    fake.default = ToolReply(planted_findings())
    fake.batch_polls_until_done = 2
    code, out, _ = cli(capsys, "review", "--batch", str(defects), "--no-wait", "-q")
    batch_id = out.strip()
    code, out, _ = cli(capsys, "batch", "wait", batch_id, "-q")
    assert code == 0 and f"batch {batch_id}: ended (0 processing, 1 succeeded" in out
    assert polls(fake, batch_id) == 3

    fake.batch_polls_until_done = 10_000
    code, out, _ = cli(capsys, "review", "--batch", str(defects), "--no-wait", "--no-cache", "-q")
    doomed = out.strip()
    code, out, _ = cli(capsys, "batch", "cancel", doomed)
    assert code == 0 and "canceling" in out
    code, out, err = cli(capsys, "batch", "results", doomed, "-q")
    assert code == 6 and "canceled" in err and "No findings" not in out


# --------------------------------------------------------------------------- re-anchoring


def test_findings_follow_edits_made_after_the_submission(defects, fake, capsys):
    fake.default = ToolReply(planted_findings())
    fake.batch_polls_until_done = 10_000
    code, out, _ = cli(capsys, "review", "--batch", str(defects), "--no-wait", "-q")
    batch_id = out.strip()
    # two lines added at the top of web.py, and the path traversal's line rewritten
    edited = '"""Moved down by two lines."""\n\n' + WEB_PY.replace(
        '    path = os.path.join("/srv/reports", name)\n',
        '    path = safe_join("/srv/reports", name)\n',
    )
    write(defects, "app/web.py", edited)
    fake.finish_batches()
    code, out, err = cli(capsys, "batch", "results", batch_id, "--format", "json")
    assert code == 0, err
    assert "1 files changed since the submission" in err
    [review] = json.loads(out)["reviews"].values()
    assert review["batch_request"]["reanchored"] == ["app/web.py"]
    by_title = {f["title"]: f for f in review["findings"]}
    ping = by_title["Command injection in ping"]
    assert (ping["line"], ping["approximate"]) == (13, False)
    lines = edited.splitlines()
    rng = ping["range"]
    assert lines[rng["start_line"]][rng["start_char"] :].startswith("    return subprocess")
    traversal = by_title["Path traversal in read_report"]
    assert traversal["approximate"] is True and traversal["fix"] is None
    assert traversal["line"] == 15  # its old line, now the rewritten one's neighbour
    # unchanged files keep their ranges and fixes exactly
    sql = by_title["SQL injection in find_user"]
    assert (sql["line"], sql["approximate"]) == (9, False) and sql["fix"] is not None
    # the related location in web.py moved with the edit
    layering = by_title["Data layer imports the web layer"]
    assert layering["related"][0]["line"] == 7
    code, out, _ = cli(capsys, "batch", "results", batch_id, "--format", "sarif", "-q")
    sarif = json.loads(out)
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    regions = {
        r["ruleId"]: r["locations"][0]["physicalLocation"]["region"]
        for r in sarif["runs"][0]["results"]
    }
    assert regions["CWE-78"]["startLine"] == 13 and regions["CWE-89"]["startLine"] == 9


def test_a_deleted_file_keeps_its_findings_as_approximate(defects, fake, capsys):
    fake.default = ToolReply(planted_findings())
    fake.batch_polls_until_done = 10_000
    code, out, _ = cli(capsys, "review", "--batch", str(defects), "--no-wait", "-q")
    batch_id = out.strip()
    (defects / "app/web.py").unlink()
    fake.finish_batches()
    code, out, _ = cli(capsys, "batch", "results", batch_id, "--format", "json", "-q")
    assert code == 0
    [review] = json.loads(out)["reviews"].values()
    web = [f for f in review["findings"] if f["path"] == "app/web.py"]
    assert len(web) == 3 and all(f["approximate"] and f["range"] is None for f in web)
    code, out, _ = cli(capsys, "batch", "results", batch_id, "--format", "sarif", "-q")
    jsonschema.Draft4Validator(SCHEMA).validate(json.loads(out))


# --------------------------------------------------------------------------- guards


def test_max_cost_is_checked_against_the_batch_estimate_before_submitting(defects, fake, capsys):
    code, _, err = cli(capsys, "review", "--batch", str(defects), "--max-cost", "0.0001", "-q")
    assert code == 4 and "batch price" in err and "nothing was submitted" in err
    assert fake.requests == []


def test_without_a_key_batch_shows_the_plans(defects, other, capsys):
    code, out, err = cli(capsys, "review", "--batch", str(defects), str(other))
    assert code == 0 and "nothing sent" in err
    assert f"== {defects} (batch request {batch.custom_id_for(defects)}) ==" in out
    assert "With Batch (half price)" in out


def test_nothing_to_review_in_one_path_is_reported_with_the_others(defects, other, fake, capsys):
    fake.default = ToolReply(planted_findings())
    code, out, err = cli(
        capsys, "review", "--batch", str(defects), str(other), "--diff", "--format", "json", "-q"
    )
    assert code == 0, err  # both clean working trees: nothing to review, nothing sent
    assert fake.requests == []
    reviews = json.loads(out)["reviews"]
    assert reviews[str(other)]["status"] == "nothing-to-review"

    write(defects, "app/web.py", WEB_PY + "\n# touched\n")
    code, out, err = cli(
        capsys, "review", "--batch", str(defects), str(other), "--diff", "--format", "json", "-q"
    )
    assert code == 0, err
    reviews = json.loads(out)["reviews"]
    assert reviews[str(defects)]["kind"] == "changes"
    assert reviews[str(other)]["status"] == "nothing-to-review"
    [create] = creates(fake)
    assert [r["custom_id"] for r in create.body["requests"]] == [
        batch.custom_id_for(defects, "changes", "")
    ]


@pytest.mark.parametrize(
    "args",
    [
        ("review", "a", "b"),
        ("review", ".", "--no-wait"),
        ("batch", "results", "../../etc/passwd"),
        ("batch", "results", "msgbatch_unknown"),
    ],
)
def test_usage_errors(args, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    code, _, err = cli(capsys, *args)
    assert code == 2 and err.startswith("bigpicture: error:")


@pytest.mark.parametrize(
    "name", ["ws", "my repo", "répertoire", "x" * 200, "...", "a.b-c_d", "日本語"]
)
def test_custom_ids_are_valid_and_distinct(tmp_path, name):
    root = tmp_path / name[:100]
    root.mkdir()
    twin = tmp_path / "twin" / name[:100]
    twin.mkdir(parents=True)
    ids = {
        batch.custom_id_for(root),
        batch.custom_id_for(twin),
        batch.custom_id_for(root, "changes", "main"),
        batch.custom_id_for(root, "changes", ""),
        batch.custom_id_for(root, "file", None, "a.py"),
    }
    assert len(ids) == 5
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,64}", i) for i in ids)


def test_a_provider_without_batches_is_a_clear_error(defects, fake, capsys, monkeypatch):
    write(defects, "pyproject.toml", '[tool.bigpicture]\nprovider = "foundry"\n')
    commit(defects, "foundry")
    monkeypatch.setenv("ANTHROPIC_FOUNDRY_API_KEY", "foundry-key")
    monkeypatch.setenv("ANTHROPIC_FOUNDRY_BASE_URL", fake.url + "/anthropic")
    code, _, err = cli(capsys, "review", "--batch", str(defects), "-q")
    assert code == 2
    assert "provider foundry has no Message Batches API" in err
    assert fake.requests == []


@pytest.mark.parametrize("provider", ["bedrock", "vertex"])
async def test_bedrock_and_vertex_batches_are_a_clear_error(fake, monkeypatch, provider):
    from bigpicture.client.anthropic import ApiClient
    from bigpicture.core.errors import ConfigError

    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "bedrock-key")
    monkeypatch.setenv("CLOUD_ML_REGION", "us-east5")
    monkeypatch.setenv("ANTHROPIC_VERTEX_PROJECT_ID", "proj")
    monkeypatch.setenv("BIGPICTURE_VERTEX_ACCESS_TOKEN", "vertex-token")
    client = ApiClient(provider=provider, base_url=fake.url)
    try:
        with pytest.raises(ConfigError, match=f"provider {provider} has no Message Batches"):
            await client.create_batch([{"custom_id": "a", "params": {}}])
        with pytest.raises(ConfigError, match="no Message Batches"):
            await client.retrieve_batch("msgbatch_x")
    finally:
        await client.aclose()
    assert fake.requests == []


def test_batch_endpoint_errors_are_clear(defects, fake, capsys, tmp_path):
    code, _, err = cli(capsys, "batch", "status", "msgbatch_01nope")
    assert code == 5 and "batch msgbatch_01nope not found (404)" in err
    fake.max_batch_body_bytes = 1000
    code, _, err = cli(capsys, "review", "--batch", str(defects), "-q")
    assert code == 5 and "256 MB limit (413)" in err and "fewer paths" in err
    assert batches.stored() == []  # nothing was submitted, nothing stored
    fake.max_batch_body_bytes = 256_000_000
    fake.default = ToolReply(planted_findings())
    out_file = tmp_path / "review.txt"
    code, out, _ = cli(capsys, "review", "--batch", str(defects), "-q", "-o", str(out_file))
    assert code == 0 and out == ""
    assert "SQL injection in find_user" in out_file.read_text()
