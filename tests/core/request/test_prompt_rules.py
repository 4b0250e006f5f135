"""The prompt's rules (core.request.prompt): every category and severity the schema allows is
defined, the do-not-report list and the evidence bars are there, a changes review asks for
``origin``, and the cap and the language sit in the last block (the cached prefix does not
depend on them). The code's side of the same rules: tests/core/reply/test_limits.py."""

from __future__ import annotations

import pytest
from bigpicture.core import models
from bigpicture.core.reply.findings import decode_finding
from bigpicture.core.request import prompt

SYSTEM = prompt.system_prompt("0123456789abcdef")


def test_every_category_and_severity_the_schema_allows_is_defined():
    for category in models.CATEGORIES:
        assert f"\n- {category}: " in SYSTEM, category
    for severity in models.SEVERITIES:
        assert f"\n- {severity}: " in SYSTEM, severity


@pytest.mark.parametrize(
    "rule",
    [
        "style, formatting",
        "missing tests, and issues in test files or test fixtures",
        "theoretical issues without a concrete path to exploit",
        "denial of service by resource exhaustion",
        "code you have seen only in outline",
        "Evidence is required: name the files and quote the import or call",
        "Trace the data flow from the source",
        "below 0.7, do not report it",
    ],
)
def test_the_do_not_report_list_and_the_evidence_bars_are_stated(rule):
    assert rule in " ".join(SYSTEM.split())


def test_the_system_prompt_depends_on_nothing_but_the_nonce():
    """The cap, the language and the kind of review go in the last block, so changing them
    leaves the cached prefix (tools, system, repository) as it was."""
    assert prompt.system_prompt("0123456789abcdef") == SYSTEM


def test_a_changes_review_asks_for_origin_and_high_only_pre_existing():
    text = prompt.request_text("changes", "n", focus=[], left_out=0, diff_base="main")
    assert '"introduced"' in text and '"pre-existing"' in text
    assert "pre-existing problems only at high or critical severity" in text
    assert "origin" not in prompt.request_text("workspace", "n", focus=[], left_out=0)


def test_the_cap_and_the_language_are_in_the_request():
    text = prompt.request_text(
        "workspace", "n", focus=[], left_out=0, max_findings=7, language="zh-CN"
    )
    assert "at most 7 findings, the most severe first" in text
    assert text.rstrip().split("\n")[-1].startswith("Write in zh-CN (Simplified Chinese)")
    assert "Write in" not in prompt.request_text("workspace", "n", focus=[], left_out=0)


def test_the_instructions_version_moved_with_the_rules():
    assert prompt.INSTRUCTIONS_VERSION == "2026-12-07.1"


def test_origin_is_decoded_tolerantly():
    base = {
        "path": "a",
        "line": 1,
        "quote": "x",
        "severity": "low",
        "category": "bug",
        "title": "t",
        "message": "",
    }
    assert decode_finding({**base, "origin": "Pre-Existing"}).origin == "pre-existing"
    assert decode_finding({**base, "origin": "introduced"}).origin == "introduced"
    assert decode_finding({**base, "origin": "maybe"}).origin is None
