"""Finding ids that survive rewording, and ``--baseline``: a second review against the local
fake API, compared with the first one's SARIF the way CI does, gives each result its
``baselineState`` (new / unchanged / updated / absent), schema-valid; a dismissal made after
the first review still applies when the model rewords the title or the code moves."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
from bigpicture.cli import main
from bigpicture.core.models import Finding
from bigpicture.store import dismissed
from conftest import commit, write
from fake_api import FakeAnthropic, ToolReply
from planted import DB_PY, planted_findings

SCHEMA = json.loads(
    (Path(__file__).parents[1] / "server/bigpicture/data/sarif-schema-2.1.0.json").read_text()
)


@pytest.fixture
def fake(monkeypatch):
    with FakeAnthropic() as f:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", f.url)
        yield f


def review(capsys, root: Path, *args: str) -> tuple[int, str, str]:
    # --no-verify: each case scripts one reply per review (SARIF would verify by default)
    code = main(["review", str(root), "-q", "--no-cache", "--no-verify", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def results_by_rule(sarif: dict) -> dict[str, dict]:
    return {r["ruleId"]: r for r in sarif["runs"][0]["results"]}


def second_answer() -> dict:
    """The first answer, as a model gives it again: every title reworded, one severity
    changed, the CWE of another dropped, one finding gone and a new one."""
    answer = copy.deepcopy(planted_findings())
    by_cwe = {f.get("cwe"): f for f in answer["findings"]}
    for f in answer["findings"]:
        f["title"] = "Reworded: " + f["title"].lower()
        f["message"] = "Said differently."
    by_cwe["CWE-78"]["severity"] = "high"  # was critical: updated
    del by_cwe["CWE-22"]["cwe"]  # the same code and category, no CWE: updated
    answer["findings"].remove(by_cwe["CWE-798"])  # gone: absent
    answer["findings"].append(
        {
            "path": "app/db.py",
            "line": 8,
            "quote": "    cur = conn.cursor()",
            "severity": "low",
            "category": "bug",
            "title": "Cursor never closed",
            "message": "A leak.",
        }
    )
    return answer


def test_baseline_states_of_a_second_run_are_new_unchanged_updated_and_absent(
    defects, fake, capsys, tmp_path
):
    fake.script(ToolReply(planted_findings()), ToolReply(second_answer()))
    first_file = tmp_path / "first.sarif"
    code, _, err = review(capsys, defects, "--format", "sarif", "-o", str(first_file))
    assert code == 0, err
    first = json.loads(first_file.read_text())
    assert all("baselineState" not in r for r in first["runs"][0]["results"])

    code, out, err = review(capsys, defects, "--format", "sarif", "--baseline", str(first_file))
    assert code == 0, err
    sarif = json.loads(out)
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    results = sarif["runs"][0]["results"]
    states = {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]): r[
            "baselineState"
        ]
        for r in results
    }
    assert states == {
        ("CWE-89", 9): "unchanged",  # reworded title, same code: the same finding
        ("architecture", 4): "unchanged",
        ("CWE-78", 11): "updated",  # severity changed
        ("security", 15): "updated",  # the CWE dropped, matched by its code
        ("bug", 8): "new",
        ("CWE-798", 7): "absent",  # copied from the baseline
    }
    before = results_by_rule(first)
    now = {r["ruleId"]: r for r in results}
    # the fingerprint of the reworded finding is the first run's
    assert now["CWE-89"]["partialFingerprints"] == before["CWE-89"]["partialFingerprints"]
    assert now["CWE-89"]["message"]["text"].startswith("Reworded")
    absent = now["CWE-798"]
    assert absent["partialFingerprints"] == before["CWE-798"]["partialFingerprints"]
    assert absent["message"] == before["CWE-798"]["message"]
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert rules[absent["ruleIndex"]]["id"] == "CWE-798"  # its rule is in this run's rules
    assert sarif["runs"][0]["properties"]["baseline"] == {
        "file": str(first_file),
        "new": 1,
        "unchanged": 2,
        "updated": 2,
        "absent": 1,
    }


def test_fail_on_with_a_baseline_counts_only_new_and_updated_findings(
    defects, fake, capsys, tmp_path
):
    fake.default = ToolReply(planted_findings())
    first = tmp_path / "first.sarif"
    code, _, _ = review(capsys, defects, "--format", "sarif", "-o", str(first), "--fail-on", "high")
    assert code == 1  # criticals
    code, out, _ = review(capsys, defects, "--baseline", str(first), "--fail-on", "high")
    assert code == 0, out  # the same findings as the baseline: nothing new fails CI
    assert "(unchanged)" in out and "(new)" not in out
    assert "5 unchanged, 0 gone" in out


def test_text_and_json_mark_new_and_unchanged_findings(defects, fake, capsys, tmp_path):
    fake.script(ToolReply(planted_findings()), ToolReply(second_answer()))
    first = tmp_path / "first.sarif"
    assert review(capsys, defects, "--format", "sarif", "-o", str(first))[0] == 0
    code, out, _ = review(capsys, defects, "--format", "json", "--baseline", str(first))
    assert code == 0
    doc = json.loads(out)
    states = {(f["path"], f["line"]): f["baseline_state"] for f in doc["findings"]}
    assert states[("app/db.py", 8)] == "new"
    assert states[("app/db.py", 9)] == "unchanged"
    assert doc["baseline"]["absent"] == 1
    # without a baseline the keys are there, null
    fake.script(ToolReply(planted_findings()))
    doc = json.loads(review(capsys, defects, "--format", "json")[1])
    assert doc["baseline"] is None and {f["baseline_state"] for f in doc["findings"]} == {None}


def test_a_baseline_written_before_the_new_ids_still_matches(defects, fake, capsys, tmp_path):
    fake.default = ToolReply(planted_findings())
    first = tmp_path / "first.sarif"
    assert review(capsys, defects, "--format", "sarif", "-o", str(first))[0] == 0
    # rewrite it as 0.x wrote it: the v1 fingerprint (title in the hash), no codeKey
    from bigpicture.core.reply.anchor import legacy_id

    log = json.loads(first.read_text())
    answer = {f["quote"].strip(): f for f in planted_findings()["findings"]}
    for r in log["runs"][0]["results"]:
        props = r["properties"]
        del props["codeKey"]
        uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        raw = next(
            a
            for q, a in answer.items()
            if a["path"] == uri
            and a["category"] == props["category"]
            and a.get("cwe") == props.get("cwe")
        )
        r["partialFingerprints"] = {
            "bigpicture/v1": legacy_id(uri, raw["category"], raw["quote"], raw["title"])
        }
    first.write_text(json.dumps(log))
    code, out, _ = review(capsys, defects, "--format", "sarif", "--baseline", str(first))
    assert code == 0
    assert {r["baselineState"] for r in json.loads(out)["runs"][0]["results"]} == {"unchanged"}


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"not json at all", "not a SARIF 2.1.0 log (not JSON"),
        (b'{"findings": []}', 'no "runs"'),
        (b'{"version": "2.0.0", "runs": []}', "version '2.0.0'"),
        (
            b'{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Other"}}, "results": []}]}',
            "no BigPicture run",
        ),
    ],
)
def test_a_baseline_that_is_not_sarif_is_a_usage_error_before_anything_is_sent(
    defects, fake, capsys, tmp_path, content, words
):
    bad = tmp_path / "bad.sarif"
    bad.write_bytes(content)
    code, _, err = review(capsys, defects, "--baseline", str(bad))
    assert code == 2
    assert words in err and str(bad) in err
    assert fake.messages_requests() == []
    code, _, err = review(capsys, defects, "--baseline", str(tmp_path / "missing.sarif"))
    assert code == 2 and "cannot read it" in err


def test_a_dismissal_survives_a_reworded_title_and_moved_code(defects, fake, capsys):
    fake.script(ToolReply(planted_findings()))
    out = review(capsys, defects, "--format", "json")[1]
    sql = next(f for f in json.loads(out)["findings"] if f["cwe"] == "CWE-89")
    finding = Finding(
        path=sql["path"],
        line=sql["line"],
        quote=sql["quote"],
        severity=sql["severity"],
        category=sql["category"],
        title=sql["title"],
        message=sql["message"],
        cwe=sql["cwe"],
        id=sql["id"],
    )
    dismissed.dismiss(defects, finding, "false-positive")

    # The code moves down 5 lines, and the model words the title differently.
    write(
        defects, "app/db.py", DB_PY.replace('"""Data access."""', '"""Data access."""' + "\n#" * 5)
    )
    commit(defects, "a longer header")
    answer = copy.deepcopy(planted_findings(offset=0))
    for f in answer["findings"]:
        if f.get("cwe") == "CWE-89":
            f["line"] += 5
            f["title"] = "User input concatenated into a SELECT statement"
    fake.script(ToolReply(answer))
    out = review(capsys, defects, "--format", "json")[1]
    again = next(f for f in json.loads(out)["findings"] if f["cwe"] == "CWE-89")
    assert again["line"] == sql["line"] + 5
    assert again["id"] == sql["id"]
    assert again["suppressed"] == "false-positive"
