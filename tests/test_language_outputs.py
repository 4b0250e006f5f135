"""Findings in the team's language (the `language` setting) through every CLI output: the
request states the tag after the data (the cached prefix does not change), the fake answers in
Chinese, and the terminal, JSON and SARIF carry the Chinese text while quotes, paths and CWE
ids stay verbatim (so anchoring still lands on the code)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
from bigpicture.cli import main
from conftest import write
from fake_api import FakeAnthropic, Localized, Verifier, seen
from planted import planted_findings

SCHEMA = json.loads(
    (Path(__file__).parents[1] / "server/bigpicture/data/sarif-schema-2.1.0.json").read_text()
)
ZH_TITLE = "find_user 中的 SQL 注入"
ZH_MESSAGE = "name 被直接拼接进 SQL 语句；攻击者可以读取所有用户。"
ZH_SUMMARY = "发现一个严重的安全问题。"


def chinese() -> dict:
    answer = copy.deepcopy(planted_findings())
    answer["findings"] = answer["findings"][:1]
    answer["findings"][0].update(title=ZH_TITLE, message=ZH_MESSAGE)
    answer["summary"] = ZH_SUMMARY
    return answer


@pytest.fixture
def fake(monkeypatch):
    with FakeAnthropic() as f:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", f.url)
        yield f


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["review", *args, "-q"])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_request_states_the_language_after_the_cached_prefix(defects, fake, capsys):
    answer = Localized({"zh-CN": chinese()}, default=planted_findings())
    fake.script(answer, answer)
    assert run(capsys, str(defects), "--format", "json")[0] == 0
    assert run(capsys, str(defects), "--format", "json", "--language", "zh-cn")[0] == 0
    english, chinese_request = (r.body for r in fake.messages_requests())
    assert [s.language for s in answer.seen] == [None, "zh-CN"]
    assert "Write in zh-CN (Simplified Chinese)" in seen(chinese_request).blocks[-1]
    # Tools, system and the repository blocks are the same: the language costs no cache.
    for key in ("tools", "tool_choice", "system"):
        assert english[key] == chinese_request[key]
    assert english["messages"][0]["content"][:-1] == chinese_request["messages"][0]["content"][:-1]


def test_chinese_findings_in_terminal_json_and_sarif(defects, fake, capsys, tmp_path):
    write(defects, "pyproject.toml", '[tool.bigpicture]\nlanguage = "zh-CN"\n')
    fake.script(Localized({"zh-CN": chinese()}, default=planted_findings()))
    code, out, err = run(
        capsys,
        str(defects),
        "--format",
        "text",
        "--also-output",
        f"json={tmp_path / 'r.json'}",
        "--also-output",
        f"sarif={tmp_path / 'r.sarif'}",
        "--no-verify",
    )
    assert code == 0, err
    assert f"critical [security/CWE-89] {ZH_TITLE}" in out
    assert ZH_MESSAGE in out and ZH_SUMMARY in out
    raw = (tmp_path / "r.json").read_bytes()
    assert ZH_TITLE.encode() in raw  # UTF-8, not \\u escapes
    doc = json.loads(raw)
    (f,) = doc["findings"]
    assert (f["title"], f["message"], doc["summary"]) == (ZH_TITLE, ZH_MESSAGE, ZH_SUMMARY)
    assert f["range"] is not None and not f["approximate"]  # the verbatim quote anchored
    sarif = json.loads((tmp_path / "r.sarif").read_text(encoding="utf-8"))
    jsonschema.validate(sarif, SCHEMA)
    (result,) = sarif["runs"][0]["results"]
    assert ZH_TITLE in result["message"]["text"] and result["ruleId"] == "CWE-89"
    assert sarif["runs"][0]["properties"]["summary"] == ZH_SUMMARY


def test_the_verification_pass_is_asked_in_the_language_too(defects, fake, capsys):
    verifier = Verifier(summary="已确认。")
    fake.script(Localized({"zh-CN": chinese()}, default=planted_findings()), verifier)
    code, out, err = run(
        capsys, str(defects), "--format", "json", "--verify", "--language", "zh-CN"
    )
    assert code == 0, err
    assert verifier.seen[0].language == "zh-CN"
    assert verifier.seen[0].findings[0]["title"] == ZH_TITLE  # sent to be checked as it was
    doc = json.loads(out)
    assert doc["findings"][0]["title"] == ZH_TITLE
    assert doc["verification"]["summary"] == "已确认。"
