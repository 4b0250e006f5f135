"""The verification pass (`--verify`, the `verify` setting) against the fake API, as CI runs
it: a second request on the review's cached prefix, the findings it rejects kept under
`dropped` with the reason and never in SARIF, its cost shown and in the ledger, and a pass
that fails never turning into an all-clear."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from bigpicture.cli import main
from bigpicture.store import ledger
from conftest import commit, write
from fake_api import ErrorReply, FakeAnthropic, ToolReply, Verifier, seen
from planted import planted_findings

SCHEMA = json.loads(
    (Path(__file__).parents[1] / "server/bigpicture/data/sarif-schema-2.1.0.json").read_text()
)
REJECT = {
    "Hard-coded credential": "The value is redacted in the text sent; nothing shows it is real.",
    "Data layer imports the web layer": None,  # no verdict at all: not confirmed either
}
LOW = {"Path traversal in read_report": 0.5}  # confirmed, but under minConfidence


@pytest.fixture
def fake(monkeypatch):
    with FakeAnthropic() as f:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", f.url)
        yield f


@pytest.fixture
def big(defects: Path) -> Path:
    """The planted defects in a repository the size of a real one next to its findings."""
    for i in range(6):
        write(
            defects,
            f"lib/mod{i}.py",
            "".join(f"def f{j}(x):\n    return x + {j}\n" for j in range(900)),
        )
    commit(defects, "more code")
    return defects


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["review", *args, "-q"])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_rejected_findings_go_to_dropped_with_the_reason_on_the_cached_prefix(big, fake, capsys):
    verifier = Verifier(reject=REJECT, confidence=LOW)
    fake.script(ToolReply(planted_findings()), verifier)
    code, out, err = run(capsys, str(big), "--format", "json", "--verify")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["version"] == 2 and doc["complete"] is True
    assert sorted(f["title"] for f in doc["findings"]) == [
        "Command injection in ping",
        "SQL injection in find_user",
    ]
    assert {f["verification"] for f in doc["findings"]} == {"confirmed"}
    assert {f["confidence"] for f in doc["findings"]} == {0.95}  # the pass's rating
    why = {d["finding"]["title"]: (d["reason"], d["stage"]) for d in doc["dropped"]["findings"]}
    assert why == {
        "Hard-coded credential": (REJECT["Hard-coded credential"], "verification"),
        "Data layer imports the web layer": (
            "not confirmed by the verification pass (no verdict given)",
            "verification",
        ),
        "Path traversal in read_report": (
            "confidence 0.50 is below minConfidence 0.70",
            "verification",
        ),
    }
    assert (doc["dropped"]["not_confirmed"], doc["dropped"]["low_confidence"]) == (2, 1)
    v = doc["verification"]
    assert (v["status"], v["checked"], v["confirmed"], v["rejected"]) == ("complete", 5, 3, 2)

    # The second request is the first one plus one block: same model, tools, tool choice,
    # system and repository blocks, breakpoints included.
    review, second = (r.body for r in fake.messages_requests())
    for key in ("model", "tools", "tool_choice", "system", "max_tokens"):
        assert second[key] == review[key], key
    assert second["messages"][0]["content"][:-1] == review["messages"][0]["content"]
    assert seen(second).kind == "verification" and seen(second).refs == [
        "F1",
        "F2",
        "F3",
        "F4",
        "F5",
    ]
    # ... so the fake's cache served at least 90% of its input.
    usage = v["usage"]
    assert usage["cache_read_input_tokens"] >= 0.9 * usage["total_input"], usage
    assert usage["cache_creation_input_tokens"] == 0

    # Its cost is counted: in the total, and in the ledger as its own entry.
    entries = ledger.read()
    assert [e.kind for e in entries] == ["workspace", "verify"]
    assert v["cost"]["usd"] == pytest.approx(entries[1].cost_usd)
    assert doc["cost"]["usd"] == pytest.approx(entries[0].cost_usd + entries[1].cost_usd)


def test_sarif_verifies_by_default_and_never_carries_a_dropped_finding(big, fake, capsys):
    fake.script(ToolReply(planted_findings()), Verifier(reject=REJECT, confidence=LOW))
    code, out, err = run(capsys, str(big), "--format", "sarif")
    assert code == 0, err
    assert len(fake.messages_requests()) == 2
    sarif = json.loads(out)
    jsonschema.validate(sarif, SCHEMA)
    run0 = sarif["runs"][0]
    assert len(run0["results"]) == 2
    assert {r["properties"]["verification"] for r in run0["results"]} == {"confirmed"}
    assert run0["properties"]["outputVersion"] == 2
    assert run0["properties"]["verification"]["status"] == "complete"
    assert run0["invocations"][0]["executionSuccessful"] is True


def test_no_verify_and_the_editor_default_send_one_request(big, fake, capsys):
    fake.script(ToolReply(planted_findings()))
    code, out, err = run(capsys, str(big), "--format", "sarif", "--no-verify")
    assert code == 0, err
    assert len(fake.messages_requests()) == 1
    assert len(json.loads(out)["runs"][0]["results"]) == 5
    fake.script(ToolReply(planted_findings()))
    code, out, _ = run(capsys, str(big), "--format", "json", "--no-cache")  # auto: not CI
    assert code == 0 and json.loads(out)["verification"] is None
    assert len(fake.messages_requests()) == 2


@pytest.mark.parametrize(
    "second",
    [
        ToolReply({"findings": [], "summary": "x"}, truncate_json_at=12, stop_reason="max_tokens"),
        ErrorReply(400, "invalid_request_error", "prompt is too long"),
        ToolReply({"findings": []}),  # no summary: cut off
        "refusal",
    ],
    ids=["cut-off", "api-error", "no-summary", "refusal"],
)
def test_a_failed_pass_is_an_incomplete_review_with_unverified_findings(
    big, fake, capsys, second, tmp_path
):
    from fake_api import TextReply

    if second == "refusal":
        second = TextReply("I can't help with that.", stop_reason="refusal")
    fake.script(ToolReply(planted_findings()), second)
    code, out, err = run(
        capsys,
        str(big),
        "--format",
        "json",
        "--fail-on",
        "critical",
        "--also-output",
        f"text={tmp_path / 't.txt'}",
    )
    assert code == 6, err  # never 0 (all clear) and never 1 alone: the gate did not finish
    doc = json.loads(out)
    assert doc["complete"] is False
    assert "the verification pass did not finish" in doc["incomplete_reason"]
    assert len(doc["findings"]) == 5
    assert {f["verification"] for f in doc["findings"]} == {"unverified"}
    assert doc["verification"]["status"] == "incomplete"
    assert "INCOMPLETE REVIEW" in err
    text = (tmp_path / "t.txt").read_text()
    assert "(unverified)" in text and "VERIFICATION PASS INCOMPLETE" in text


def test_the_pass_cannot_add_findings_or_raise_a_severity(big, fake, capsys):
    invented = dict(
        planted_findings()["findings"][0], title="Invented", line=1, quote='"""Data access."""'
    )
    fake.script(
        ToolReply(planted_findings()),
        Verifier(
            extra=[invented],
            severity={"Command injection in ping": "low", "SQL injection in find_user": "critical"},
        ),
    )
    code, out, err = run(capsys, str(big), "--format", "json", "--verify")
    assert code == 0, err
    doc = json.loads(out)
    titles = {f["title"]: f["severity"] for f in doc["findings"]}
    assert "Invented" not in titles and len(titles) == 5
    assert titles["Command injection in ping"] == "low"  # lowered: allowed
    assert titles["SQL injection in find_user"] == "critical"


def test_a_repeat_uses_the_stored_verdicts_and_sends_nothing(big, fake, capsys):
    fake.script(ToolReply(planted_findings()), Verifier(reject=REJECT))
    first = run(capsys, str(big), "--format", "json", "--verify")
    again = run(capsys, str(big), "--format", "json", "--verify")
    assert len(fake.messages_requests()) == 2
    a, b = json.loads(first[1]), json.loads(again[1])
    assert [f["id"] for f in a["findings"]] == [f["id"] for f in b["findings"]]
    assert b["verification"]["from_cache"] is True and b["from_cache"] is True


def test_the_plan_shows_the_cost_of_the_pass(big, capsys):
    code, out, _ = run(capsys, str(big), "--dry-run", "--fail-on", "high")
    assert code == 0
    line = next(ln for ln in out.splitlines() if ln.startswith("Verification pass"))
    assert line.startswith("Verification pass (on): about $")
    code, out, _ = run(capsys, str(big), "--dry-run", "--format", "json")
    plan = json.loads(out)
    assert plan["verification"] is False and 0 < plan["cost"]["verify"] < plan["cost"]["first"]
    assert plan["cost"]["verify"] < plan["cost"]["repeat"] * 1.5
