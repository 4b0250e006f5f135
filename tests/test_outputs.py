"""The three renderings of a review's result: text, JSON and SARIF 2.1.0."""

from __future__ import annotations

import hashlib
import json
from importlib import resources

import bigpicture
import jsonschema
import msgspec
import pytest
from bigpicture.core import models
from bigpicture.core.errors import ConfigError
from bigpicture.core.reply import anchor, findings, suppress
from bigpicture.outputs import json as json_out
from bigpicture.outputs import sarif, text
from bigpicture.store import dismissed
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

APP = (
    "import os\n"
    "\n"
    "def load(user):\n"
    "    label = '😀錯誤'; cur.execute('SELECT ' + user)\n"
    "    return cur.fetchall()\n"
)
DB = "class Db:\r\n    def run(self, q):\r\n        return self.conn.execute(q)\r\n"
ODD = "x = 1\n"  # a path that needs escaping in a URI
TEXTS = {"src/app.py": APP, "src/db.py": DB, "docs/é x.py": ODD}

REPLY = {
    "findings": [
        {
            "path": "src/app.py",
            "line": 4,
            "quote": "cur.execute('SELECT ' + user)",
            "severity": "critical",
            "category": "security",
            "title": "SQL built from user input",
            "message": "The query concatenates `user`.\nUse a parameter.",
            "cwe": "CWE-89",
            "confidence": 0.9,
            "fix": {"replacement": "cur.execute('SELECT ?', (user,))"},
            "related": [
                {
                    "path": "src/db.py",
                    "line": 3,
                    "quote": "return self.conn.execute(q)",
                    "message": "the sink",
                }
            ],
        },
        {
            "path": "src/app.py",
            "line": 5,
            "quote": "return cur.fetchall()",
            "severity": "low",
            "category": "performance",
            "title": "Unbounded fetch",
            "message": "Fetches every row.",
        },
        {
            "path": "src/db.py",
            "line": 2,
            "quote": "def run(self, q):",
            "severity": "medium",
            "category": "architecture",
            "title": "Raw SQL entry point",
            "message": "Callers pass SQL strings.",
            "related": [{"path": "src/app.py", "line": 4, "quote": "label = '😀錯誤'"}],
        },
        {
            "path": "src/db.py",
            "line": 1,
            "quote": "something not in the file",
            "severity": "info",
            "category": "maintainability",
            "title": "Class naming",
            "message": "",
            "fix": {"replacement": "class Database:"},
        },
        {
            "path": "docs/é x.py",
            "line": 1,
            "quote": "x = 1",
            "severity": "high",
            "category": "bug",
            "title": "Magic number",
            "message": "m",
            "cwe": "CWE-1106",
        },
    ],
    "summary": "Five findings.",
}


def make_result(**over) -> models.ReviewResult:
    got, summary, malformed = findings.decode_tool_input(REPLY)
    anchored, dropped = anchor.anchor(got, TEXTS)
    dropped.malformed = malformed
    base = dict(
        kind="workspace",
        model="claude-sonnet-4-6",
        findings=anchored,
        summary=summary,
        dropped=dropped,
        usage=models.Usage(
            input_tokens=1000,
            output_tokens=800,
            cache_read_input_tokens=9100,
            cache_creation_input_tokens=0,
        ),
        cost=models.Cost(usd=0.0123, tier="standard", list_price_usd=0.05),
        request_id="req_011CabcDEF",
        left_out=[models.LeftOut(path="vendor/big.js", tokens=90_000)],
        skipped=[models.Skipped(path=".env", reason="secret-path")],
        redactions=[models.Redaction(path="src/settings.py", line=12, rule="aws-access-key")],
        files_sent=3,
        root="/home/dev/proj",
    )
    base.update(over)
    return models.ReviewResult(**base)


def by_title(result: models.ReviewResult, title: str) -> models.Finding:
    return next(f for f in result.findings if f.title == title)


# --------------------------------------------------------------------------- SARIF


@pytest.fixture(scope="module")
def validator():
    schema_text = resources.files("bigpicture").joinpath("data/sarif-schema-2.1.0.json").read_text()
    schema = json.loads(schema_text)
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def sarif_of(result, texts=TEXTS, validator=None):
    log = json.loads(sarif.render(result, texts))
    if validator is not None:
        errors = sorted(validator.iter_errors(log), key=str)
        assert not errors, "\n".join(e.message for e in errors[:5])
    return log


def test_vendored_schema_is_the_reference_copy():
    # sha256 of the OASIS 2.1.0 (errata 01) schema as shipped in the project's references.
    vendored = resources.files("bigpicture").joinpath("data/sarif-schema-2.1.0.json").read_bytes()
    digest = hashlib.sha256(vendored).hexdigest()
    assert digest == "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


def test_sarif_no_findings(validator):
    log = sarif_of(
        make_result(findings=[], dropped=models.DroppedCounts(), left_out=[]), validator=validator
    )
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-schema-2.1.0.json")
    (run,) = log["runs"]
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []
    assert run["columnKind"] == "utf16CodeUnits"
    assert run["invocations"] == [{"executionSuccessful": True}]
    assert run["tool"]["driver"]["name"] == "BigPicture"
    assert run["tool"]["driver"]["version"] == bigpicture.__version__


def test_sarif_many_findings(validator):
    result = make_result()
    log = sarif_of(result, validator=validator)
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [
        "security",
        "architecture",
        "bug",
        "performance",
        "maintainability",
        "CWE-89",
        "CWE-1106",
    ]
    assert rules[5]["helpUri"] == "https://cwe.mitre.org/data/definitions/89.html"
    assert rules[6]["helpUri"] == "https://cwe.mitre.org/data/definitions/1106.html"
    assert all("helpUri" not in r for r in rules[:5])
    results = run["results"]
    assert len(results) == len(result.findings) == 5
    for res, f in zip(results, result.findings, strict=True):
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["partialFingerprints"] == {"bigpicture/v2": f.id}
        assert res["properties"]["severity"] == f.severity
        assert res["properties"]["approximate"] == f.approximate
    levels = {res["message"]["text"].split("\n")[0]: res["level"] for res in results}
    assert levels == {
        "SQL built from user input": "error",
        "Magic number": "error",
        "Raw SQL entry point": "warning",
        "Unbounded fetch": "note",
        "Class naming": "note",
    }
    sql = next(r for r in results if r["ruleId"] == "CWE-89")
    assert (
        sql["message"]["text"]
        == "SQL built from user input\n\nThe query concatenates `user`.\nUse a parameter."
    )
    assert sql["properties"]["confidence"] == 0.9 and sql["properties"]["cwe"] == "CWE-89"
    loc = sql["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "src/app.py", "uriBaseId": "SRCROOT"}
    (rel,) = sql["relatedLocations"]
    assert rel["id"] == 0 and rel["message"] == {"text": "the sink"}
    assert rel["physicalLocation"]["region"] == {
        "startLine": 3,
        "startColumn": 9,
        "endLine": 3,
        "endColumn": 36,
    }
    (fix,) = sql["fixes"]
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"] == loc["artifactLocation"]
    assert change["replacements"] == [
        {
            "deletedRegion": loc["region"],
            "insertedContent": {"text": "cur.execute('SELECT ?', (user,))"},
        }
    ]
    # The approximate finding keeps its line but offers no fix.
    naming = next(r for r in results if r["ruleId"] == "maintainability")
    assert naming["properties"]["approximate"] is True and "fixes" not in naming
    assert naming["message"]["text"] == "Class naming"
    # Paths are URI references relative to SRCROOT.
    odd = next(r for r in results if r["ruleId"] == "CWE-1106")
    assert (
        odd["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "docs/%C3%A9%20x.py"
    )
    assert run["originalUriBaseIds"] == {"SRCROOT": {"uri": "file:///home/dev/proj/"}}
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert run["invocations"][0]["executionSuccessful"] is True
    assert [n["descriptor"]["id"] for n in notes] == ["left-out-files"]


def test_sarif_utf16_columns_after_emoji_and_cjk(validator):
    result = make_result()
    log = sarif_of(result, validator=validator)
    sql = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "CWE-89")
    region = sql["locations"][0]["physicalLocation"]["region"]
    # "    label = '😀錯誤'; cur.execute(...)": 4 spaces, "label" (4-8), " = '" (9-12),
    # 😀 13, 錯 14, 誤 15, "'; " (16-18): the call starts at code point 19 (0-based). 😀 is
    # two UTF-16 code units, 錯 and 誤 one each, so UTF-16 column 20, 1-based 21. The quote
    # is 29 code points, all BMP: it ends at code point 48, UTF-16 49, 1-based 50.
    line = APP.split("\n")[3]
    assert line.index("cur.execute") == 19
    f = by_title(result, "SQL built from user input")
    assert f.range == models.Range(3, 19, 3, 48)
    assert region == {"startLine": 4, "startColumn": 21, "endLine": 4, "endColumn": 50}
    # The related location covers the emoji itself: "label = '😀錯誤'" starts at code point
    # 4 (column 5) and is 13 code points, 14 UTF-16 units long (end column 5 + 14 = 19).
    arch = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "architecture")
    assert arch["relatedLocations"][0]["physicalLocation"]["region"] == {
        "startLine": 4,
        "startColumn": 5,
        "endLine": 4,
        "endColumn": 19,
    }


def test_sarif_columns_against_the_utf16_codec():
    line = "a\u0308😀錯x\U0001f468\u200d\U0001f469 y"
    for char in range(len(line) + 1):
        expected = len(line[:char].encode("utf-16-le")) // 2 + 1
        assert sarif.utf16_column(line, char) == expected
    assert sarif.utf16_column(line, 3) == 5  # a, U+0308, then 😀 counts twice


_CHARS = st.sampled_from(
    [*"ab (=)", "\U0001f600", "錯", "a\u0308", "\r\n", "\r", "\n", "\x0c", "\x85", "\u2028"]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(_CHARS, min_size=1, max_size=60).map("".join), st.data())
def test_sarif_regions_match_the_utf16_codec(validator, text_, data):
    i = data.draw(st.integers(0, len(text_) - 1))
    j = data.draw(st.integers(i + 1, len(text_)))
    quote = text_[i:j]
    assume(quote.strip(" \t\r\n\x0c"))
    raw = models.Finding(
        path="t.py",
        line=1,
        quote=quote,
        severity="medium",
        category="bug",
        title="t",
        message="m",
        fix=models.Fix("z"),
    )
    (f,), _ = anchor.anchor([raw], {"t.py": text_})
    log = sarif_of(make_result(findings=[f]), texts={"t.py": text_}, validator=validator)
    region = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    lines = text_.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    rng = f.range

    def utf16(s: str) -> int:
        return len(s.encode("utf-16-le")) // 2

    assert region == {
        "startLine": rng.start_line + 1,
        "startColumn": utf16(lines[rng.start_line][: rng.start_char]) + 1,
        "endLine": rng.end_line + 1,
        "endColumn": utf16(lines[rng.end_line][: rng.end_char]) + 1,
    }


def test_sarif_without_texts_keeps_lines_only(validator):
    log = sarif_of(make_result(), texts={}, validator=validator)
    for res in log["runs"][0]["results"]:
        region = res["locations"][0]["physicalLocation"]["region"]
        assert set(region) == {"startLine", "endLine"}
        assert "fixes" not in res  # no exact region, no fix


def test_sarif_suppressed(validator, tmp_path):
    result = make_result()
    target = by_title(result, "Unbounded fetch")
    dismissed.dismiss(tmp_path, target, "wont-fix")
    result.findings = suppress.apply(result.findings, dismissed.load(tmp_path))
    log = sarif_of(result, validator=validator)
    suppressed = [r for r in log["runs"][0]["results"] if "suppressions" in r]
    assert len(suppressed) == 1
    assert suppressed[0]["suppressions"] == [
        {"kind": "external", "status": "accepted", "justification": "wont-fix"}
    ]
    assert suppressed[0]["partialFingerprints"]["bigpicture/v2"] == target.id


def test_sarif_incomplete(validator):
    result = make_result(
        complete=False,
        incomplete_reason="the reply was cut off at the output limit",
        findings=make_result().findings[:1],
        dropped=models.DroppedCounts(malformed=1, unknown_path=2),
    )
    log = sarif_of(result, validator=validator)
    (invocation,) = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    assert notes[0]["level"] == "error"
    assert "the reply was cut off at the output limit" in notes[0]["message"]["text"]
    assert notes[1]["descriptor"]["id"] == "dropped-findings"
    assert "1 malformed, 2 on paths that were not sent" in notes[1]["message"]["text"]
    empty = sarif_of(
        make_result(complete=False, incomplete_reason="refused", findings=[]), validator=validator
    )
    assert empty["runs"][0]["invocations"][0]["executionSuccessful"] is False


def test_sarif_never_takes_a_url_from_the_model(validator):
    evil = models.Finding(
        path="src/app.py",
        line=1,
        quote="import os",
        severity="high",
        category="security",
        title="t",
        message="m",
        cwe="https://evil.example/x",
        id="0123456789abcdef",
        range=models.Range(0, 0, 0, 9),
    )
    log = sarif_of(make_result(findings=[evil]), validator=validator)
    text_ = json.dumps(log)
    assert "evil.example" not in text_.replace('"cwe": "https://evil.example/x"', "")
    (rule,) = log["runs"][0]["tool"]["driver"]["rules"]
    assert rule["id"] == "security" and "helpUri" not in rule
    assert sarif.cwe_help_uri("CWE-79") == "https://cwe.mitre.org/data/definitions/79.html"
    for bad in ("CWE-0", "CWE-79/../x", "cwe-79", "CWE-79 ", "79"):
        assert sarif.cwe_help_uri(bad) is None


def test_sarif_windows_root():
    log = json.loads(sarif.render(make_result(root="C:\\Users\\dev\\proj", findings=[]), {}))
    assert log["runs"][0]["originalUriBaseIds"]["SRCROOT"] == {"uri": "file:///C:/Users/dev/proj/"}


# --------------------------------------------------------------------------- text

EXPECTED_TEXT = """\
BigPicture workspace review · claude-sonnet-4-6

src/app.py:4:20: critical [security/CWE-89] SQL built from user input
    The query concatenates `user`.
    Use a parameter.
    see also src/db.py:3:9: the sink
    (confidence 90%, fix available)
src/app.py:5:5: low [performance] Unbounded fetch
    Fetches every row.

docs/é x.py:1:1: high [bug/CWE-1106] Magic number
    m

src/db.py:2:5: medium [architecture] Raw SQL entry point
    Callers pass SQL strings.
    see also src/app.py:4:5
src/db.py:1:1: info [maintainability] Class naming (approximate location)

Summary:
  Five findings.

5 findings (1 critical, 1 high, 1 medium, 1 low, 1 info)
3 files sent · 1 left out (over budget) · 1 skipped · 1 secret redacted
cost $0.0123 (cache read 90% of input) · request req_011CabcDEF
"""


def test_text_snapshot():
    assert text.render(make_result()) == EXPECTED_TEXT


def test_text_no_findings():
    out = text.render(make_result(findings=[], summary="", left_out=[], skipped=[], redactions=[]))
    assert "No findings." in out
    assert "INCOMPLETE" not in out
    assert out.endswith(
        "No findings.\n3 files sent\ncost $0.0123 (cache read 90% of input) · request req_011CabcDEF\n"
    )


@pytest.mark.parametrize("recovered", [0, 2])
def test_text_incomplete_is_loud_and_never_says_no_findings(recovered):
    result = make_result(
        complete=False,
        incomplete_reason="the reply was cut off at the output limit",
        findings=make_result().findings[:recovered],
        summary="No findings of note.",  # a partial summary must not read as a verdict
        dropped=models.DroppedCounts(malformed=1),
    )
    out = text.render(result)
    assert "no findings" not in out.lower()
    loud = "INCOMPLETE REVIEW: the reply was cut off at the output limit"
    lines = out.splitlines()
    assert lines[1] == loud and lines[-1] == loud
    assert "dropped: 1 malformed" in out
    assert (f"{recovered} findings" if recovered else "0 findings recovered.") in out


def test_text_hides_suppressed_findings_and_counts_them():
    result = make_result()
    dismissed = {
        f.id: suppress.Dismissal(
            id=f.id, reason="false-positive", path=f.path, title=f.title, date="2026-01-01"
        )
        for f in result.findings
    }
    result.findings = suppress.apply(
        result.findings, msgspec.convert(dismissed, dict[str, suppress.Dismissal])
    )
    out = text.render(result)
    assert "SQL built" not in out
    assert "No findings. · 5 dismissed (see .bigpicture/dismissed.json)" in out
    shown = text.render(result, show_suppressed=True)
    assert "SQL built" in shown and "(dismissed: false-positive)" in shown


def test_text_color_only_when_asked():
    result = make_result(complete=False, incomplete_reason="stream broken")
    plain = text.render(result)
    assert "\x1b" not in plain
    colored = text.render(result, color=True)
    assert "\x1b[1;31m" in colored or "\x1b[1;35m" in colored
    assert "\x1b[1;97;41mINCOMPLETE REVIEW: stream broken\x1b[0m" in colored


def test_text_sanitizes_what_it_prints():
    hostile = models.Finding(
        path="src/\x1b]0;pwned\x07app.py",
        line=1,
        quote="q",
        severity="high",
        category="bug",
        title="\x1b[2J\u202eTitle",
        message="line\x1b[31m red\u200b\n\x07next",
        related=[models.Related(path="a.py", line=2, message="\x1b[1mrel")],
    )
    out = text.render(
        make_result(
            findings=[hostile], request_id="req_\x1b[0m", model="m\u202e", summary="s\x1b[0m"
        )
    )
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out and "\u200b" not in out
    assert "src/app.py:1:1: high [bug] Title" in out
    assert "    line red\n    next\n" in out


def test_text_cache_and_usage_lines():
    cached = text.render(make_result(from_cache=True, cost=None, request_id=None))
    assert "from the local result cache: no API call, no cost" in cached
    no_cost = text.render(make_result(cost=None))
    assert (
        "10,100 input tokens (cache read 90%), 800 output tokens · request req_011CabcDEF"
        in no_cost
    )


# --------------------------------------------------------------------------- JSON


def test_json_shape():
    doc = json.loads(json_out.render(make_result()))
    assert list(doc) == [
        "version",
        "kind",
        "model",
        "complete",
        "incomplete_reason",
        "summary",
        "findings",
        "dropped",
        "usage",
        "cost",
        "request_id",
        "left_out",
        "skipped",
        "redactions",
        "files_sent",
        "from_cache",
        "root",
        "shards",
        "not_reviewed",
        "baseline",
    ]
    assert doc["version"] == 1 and doc["complete"] is True
    assert doc["shards"] == [] and doc["not_reviewed"] == []
    first = doc["findings"][0]
    assert list(first) == [
        "id",
        "path",
        "line",
        "end_line",
        "range",
        "approximate",
        "severity",
        "category",
        "cwe",
        "title",
        "message",
        "quote",
        "fix",
        "related",
        "confidence",
        "suppressed",
        "baseline_state",
    ]
    assert first["range"] == {"start_line": 3, "start_char": 19, "end_line": 3, "end_char": 48}
    assert first["suppressed"] is None and len(first["id"]) == 16
    assert doc["redactions"] == [{"path": "src/settings.py", "line": 12, "rule": "aws-access-key"}]
    assert doc["usage"]["total_input"] == 10_100 and doc["usage"]["cache_read_share"] == 0.901
    assert doc["dropped"] == {
        "malformed": 0,
        "unknown_path": 0,
        "out_of_range": 0,
        "below_threshold": 0,
    }


def test_json_lists_suppressed_findings(tmp_path):
    result = make_result()
    dismissed.dismiss(tmp_path, result.findings[0], "false-positive")
    result.findings = suppress.apply(result.findings, dismissed.load(tmp_path))
    doc = json.loads(json_out.render(result))
    assert len(doc["findings"]) == 5
    assert [f["suppressed"] for f in doc["findings"]].count("false-positive") == 1


@pytest.mark.parametrize(
    "over",
    [
        {},
        {"complete": False, "incomplete_reason": "refused", "findings": []},
        {"usage": None, "cost": None, "request_id": None, "from_cache": True},
    ],
)
def test_json_round_trip(over):
    result = make_result(**over)
    out = json_out.render(result)
    assert out.endswith("}\n")
    assert json_out.parse(out) == result
    assert json_out.render(json_out.parse(out)) == out


def test_json_parse_rejects_other_documents():
    for bad in ("[]", "{", '{"version": 2, "kind": "x"}', '{"version": 1}'):
        with pytest.raises(ConfigError):
            json_out.parse(bad)
