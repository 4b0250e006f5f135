"""GitLab Code Quality and reviewdog rdjson renderings of a review's result, validated against
their formats' schemas (tests/schemas/README.md), and the CLI writing them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest
from bigpicture.cli import main
from bigpicture.core import models
from bigpicture.core.reply import suppress
from bigpicture.outputs import formats, gitlab, rdjson
from bigpicture.store import dismissed
from fake_api import FakeAnthropic, ToolReply
from planted import planted_findings
from test_outputs import APP, TEXTS, by_title, make_result

SCHEMAS = Path(__file__).parent / "schemas"
GITLAB = json.loads((SCHEMAS / "gitlab-code-quality.schema.json").read_text())
RDJSON = json.loads((SCHEMAS / "rdjson.schema.json").read_text())


def published(name: str) -> dict:
    """A publisher's own schema file, when one was put in place (see tests/schemas/README.md)."""
    where = os.environ.get("BIGPICTURE_PUBLISHED_SCHEMAS") or str(SCHEMAS / "published")
    path = Path(where) / name
    if not path.is_file():
        pytest.skip(f"{name} is not in {where} (see tests/schemas/README.md)")
    return json.loads(path.read_text(encoding="utf-8"))


def valid(schema: dict, doc) -> None:
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=str)
    assert not errors, "\n".join(e.message for e in errors[:5])


def incomplete_result() -> models.ReviewResult:
    return make_result(
        complete=False,
        incomplete_reason="the reply was cut off at the output limit",
        findings=make_result().findings[:2],
    )


# --------------------------------------------------------------------------- GitLab


def test_gitlab_report_is_valid_and_carries_each_finding():
    result = make_result()
    text = gitlab.render(result, TEXTS)
    assert not text.startswith("\ufeff") and text.endswith("]\n")
    report = json.loads(text)
    valid(GITLAB, report)
    assert len(report) == 5
    by_fp = {issue["fingerprint"]: issue for issue in report}
    assert set(by_fp) == {f.id for f in result.findings}
    sql = by_fp[by_title(result, "SQL built from user input").id]
    assert sql["check_name"] == "bigpicture/CWE-89"
    assert sql["severity"] == "blocker"
    assert sql["location"] == {"path": "src/app.py", "lines": {"begin": 4, "end": 4}}
    assert sql["description"] == (
        "SQL built from user input: The query concatenates `user`. Use a parameter."
    )
    assert sql["categories"] == ["Security"]
    assert "cur.execute('SELECT ?', (user,))" in sql["content"]["body"]
    assert sql["other_locations"] == [{"path": "src/db.py", "lines": {"begin": 3, "end": 3}}]
    severities = {i["description"].split(":")[0]: i["severity"] for i in report}
    assert severities == {
        "SQL built from user input": "blocker",
        "Magic number": "critical",
        "Raw SQL entry point": "major",
        "Unbounded fetch": "minor",
        "Class naming": "info",
    }
    assert by_fp[by_title(result, "Raw SQL entry point").id]["check_name"] == (
        "bigpicture/architecture"
    )
    naming = by_fp[by_title(result, "Class naming").id]
    assert "Suggested fix" not in naming["content"]["body"]  # approximate: no fix offered


def test_gitlab_fingerprints_survive_a_line_move():
    first = {i["fingerprint"] for i in gitlab.to_list(make_result())}
    from bigpicture.core.reply import anchor, findings
    from test_outputs import REPLY

    moved = {path: "# a new first line\n" + text for path, text in TEXTS.items()}
    got, _, _ = findings.decode_tool_input(REPLY)
    anchored, _ = anchor.anchor(got, moved)
    second = gitlab.to_list(make_result(findings=anchored))
    assert {i["fingerprint"] for i in second} == first
    sql = next(i for i in second if i["check_name"] == "bigpicture/CWE-89")
    assert sql["location"]["lines"] == {"begin": 5, "end": 5}


def test_gitlab_incomplete_review_never_reads_as_clean():
    report = json.loads(gitlab.render(incomplete_result()))
    valid(GITLAB, report)
    first = report[0]
    assert first["check_name"] == "bigpicture/incomplete-review"
    assert first["severity"] == "blocker"
    assert first["description"].startswith(
        "INCOMPLETE REVIEW: the reply was cut off at the output limit. 2 findings were recovered"
    )
    assert len(report) == 3
    empty = json.loads(gitlab.render(make_result(complete=False, findings=[])))
    assert [i["check_name"] for i in empty] == ["bigpicture/incomplete-review"]


def test_gitlab_leaves_dismissed_findings_out(tmp_path):
    result = make_result()
    target = by_title(result, "Unbounded fetch")
    dismissed.dismiss(tmp_path, target, "wont-fix")
    result.findings = suppress.apply(result.findings, dismissed.load(tmp_path))
    report = gitlab.to_list(result)
    assert target.id not in {i["fingerprint"] for i in report} and len(report) == 4


def test_gitlab_report_against_gitlabs_parser_schema():
    schema = published("codeclimate.json")
    for result in (make_result(), incomplete_result()):
        for issue in gitlab.to_list(result):
            jsonschema.validate(issue, schema)


# --------------------------------------------------------------------------- rdjson


def test_rdjson_columns_are_utf8_bytes():
    # reviewdog's own example: in 'a𐐀b' the column of b is 6 (𐐀 is 4 bytes in UTF-8)
    assert [rdjson.utf8_column("a𐐀b", i) for i in range(4)] == [1, 2, 6, 7]


def test_rdjson_is_valid_with_exact_ranges_and_suggestions():
    result = make_result()
    doc = json.loads(rdjson.render(result, TEXTS))
    valid(RDJSON, doc)
    assert doc["source"] == {"name": "BigPicture"} and "severity" not in doc
    diags = doc["diagnostics"]
    assert len(diags) == 5
    sql = next(d for d in diags if d["code"]["value"] == "CWE-89")
    # "    label = '😀錯誤'; cur.execute(...)": 13 ASCII bytes, 😀 4, 錯 3, 誤 3, "'; " 3:
    # the call starts at byte 26 (column 27); the 29-character ASCII quote ends at byte 55.
    assert APP.split("\n")[3][:19].encode() == "    label = '😀錯誤'; ".encode()
    rng = {"start": {"line": 4, "column": 27}, "end": {"line": 4, "column": 56}}
    assert sql["location"] == {"path": "src/app.py", "range": rng}
    assert sql["severity"] == "ERROR"
    assert sql["code"]["url"] == "https://cwe.mitre.org/data/definitions/89.html"
    assert sql["suggestions"] == [{"range": rng, "text": "cur.execute('SELECT ?', (user,))"}]
    assert sql["message"] == (
        "SQL built from user input\n\nThe query concatenates `user`.\nUse a parameter."
        "\n\nSee also src/db.py:3: the sink"
    )
    levels = {d["message"].split("\n")[0]: d["severity"] for d in diags}
    assert levels == {
        "SQL built from user input": "ERROR",
        "Magic number": "ERROR",
        "Raw SQL entry point": "WARNING",
        "Unbounded fetch": "INFO",
        "Class naming": "INFO",
    }
    naming = next(d for d in diags if d["message"] == "Class naming")
    assert naming["location"]["range"] == {"start": {"line": 1}, "end": {"line": 1}}
    assert "suggestions" not in naming  # approximate: line-wise, no fix


def test_rdjson_without_texts_is_line_wise():
    doc = rdjson.to_dict(make_result(), {})
    valid(RDJSON, doc)
    for d in doc["diagnostics"]:
        assert "column" not in d["location"]["range"]["start"] and "suggestions" not in d


def test_rdjson_incomplete_review_says_so():
    doc = rdjson.to_dict(incomplete_result(), TEXTS)
    valid(RDJSON, doc)
    assert doc["severity"] == "ERROR"
    first = doc["diagnostics"][0]
    assert first["code"] == {"value": "incomplete-review"} and first["severity"] == "ERROR"
    assert first["message"].startswith("INCOMPLETE REVIEW: the reply was cut off")
    assert len(doc["diagnostics"]) == 3


def test_rdjson_against_reviewdogs_published_schema():
    schema = published("DiagnosticResult.json")
    for result in (make_result(), incomplete_result()):
        jsonschema.Draft4Validator(schema).validate(rdjson.to_dict(result, TEXTS))


# --------------------------------------------------------------------------- the CLI


@pytest.fixture
def fake(monkeypatch):
    with FakeAnthropic() as f:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", f.url)
        yield f


def test_cli_writes_gitlab_and_also_rdjson_and_json_from_one_review(defects, fake, tmp_path):
    fake.script(ToolReply(planted_findings()))
    gl, rd, js = tmp_path / "gl.json", tmp_path / "rd.json", tmp_path / "review.json"
    code = main(
        [
            "review",
            str(defects),
            "-q",
            "--format",
            "gitlab",
            "-o",
            str(gl),
            "--also-output",
            f"rdjson={rd}",
            "--also-output",
            f"json={js}",
        ]
    )
    assert code == 0
    assert len(fake.messages_requests()) == 1
    report = json.loads(gl.read_text())
    valid(GITLAB, report)
    doc = json.loads(rd.read_text())
    valid(RDJSON, doc)
    review = json.loads(js.read_text())
    ids = {f["id"] for f in review["findings"]}
    assert {i["fingerprint"] for i in report} == ids and len(ids) == 5
    cmd = next(d for d in doc["diagnostics"] if d["code"]["value"] == "CWE-78")
    assert cmd["location"]["path"] == "app/web.py"
    assert cmd["location"]["range"]["start"] == {"line": 11, "column": 1}


def test_cli_incomplete_review_writes_the_notice_and_exits_6(defects, fake, tmp_path):
    fake.script(ToolReply(planted_findings(), stop_reason="max_tokens", truncate_json_at=900))
    gl = tmp_path / "gl.json"
    code = main(["review", str(defects), "-q", "--format", "gitlab", "-o", str(gl)])
    assert code == 6
    assert json.loads(gl.read_text())[0]["check_name"] == "bigpicture/incomplete-review"


def test_cli_nothing_to_review_writes_empty_reports(defects, fake, tmp_path):
    out = {fmt: tmp_path / f"r.{fmt}" for fmt in ("sarif", "gitlab", "rdjson", "json")}
    args = ["review", str(defects), "--diff", "-q", "--format", "sarif", "-o", str(out["sarif"])]
    for fmt in ("gitlab", "rdjson", "json"):
        args += ["--also-output", f"{fmt}={out[fmt]}"]
    assert main(args) == 0
    assert fake.messages_requests() == []
    sarif = json.loads(out["sarif"].read_text())
    oasis = json.loads(
        (Path(__file__).parents[1] / "server/bigpicture/data/sarif-schema-2.1.0.json").read_text()
    )
    jsonschema.Draft4Validator(oasis).validate(sarif)
    (run,) = sarif["runs"]
    assert run["results"] == [] and run["invocations"][0]["executionSuccessful"] is True
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert notes[0]["descriptor"]["id"] == "nothing-to-review"
    assert json.loads(out["gitlab"].read_text()) == []
    assert json.loads(out["rdjson"].read_text()) == {
        "source": {"name": "BigPicture"},
        "diagnostics": [],
    }
    assert json.loads(out["json"].read_text())["status"] == "nothing-to-review"


def test_cli_skip_without_key_is_one_line_and_writes_no_clean_report(defects, capsys, tmp_path):
    sarif = tmp_path / "r.sarif"
    code = main(
        ["review", str(defects), "--skip-without-key", "--format", "sarif", "-o", str(sarif)]
    )
    assert code == 0
    err = capsys.readouterr().err
    assert err == "bigpicture: review skipped: ANTHROPIC_API_KEY is not set (nothing was sent)\n"
    assert not sarif.exists()


@pytest.mark.parametrize("bad", ["xml=a.xml", "json", "json="])
def test_cli_also_output_rejects_a_bad_value(defects, capsys, bad):
    assert main(["review", str(defects), "--also-output", bad]) == 2
    assert "expected FORMAT=FILE" in capsys.readouterr().err


def test_plan_has_no_gitlab_form(defects, capsys):
    assert main(["review", str(defects), "--dry-run", "--format", "gitlab"]) == 2
    assert "a plan has no gitlab form" in capsys.readouterr().err


def test_formats_table_matches_the_renderers():
    result = make_result()
    for fmt in formats.REVIEW_FORMATS:
        assert formats.render(fmt, result, TEXTS)
