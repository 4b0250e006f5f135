"""The team's policy (``core.gather.policy``): parsing, its limits, path rules, severity
overrides, and reading it from a commit."""

from __future__ import annotations

from pathlib import Path

import pytest
from bigpicture.core import config
from bigpicture.core.errors import ConfigError
from bigpicture.core.gather import policy
from bigpicture.core.models import Finding, PathRule, Policy, SeverityOverride, Snapshot, SourceFile
from conftest import commit, git, write


def finding(**over) -> Finding:
    base = dict(
        path="app/x.py",
        line=1,
        quote="x = 1",
        severity="medium",
        category="security",
        title="t",
        message="m",
    )
    base.update(over)
    return Finding(**base)


def test_parse_reads_review_md_paths_and_overrides():
    got, hits = policy.parse(
        b"Layers: api -> core.\n",
        b'[tool.bigpicture]\npaths = { "migrations/**" = "ignore", "payments/**" = "strict" }\n'
        b'severity-overrides = { performance = "low", "cwe-79" = "critical" }\n',
        source="working tree",
    )
    assert got.text == "Layers: api -> core.\n" and got.size == 21 and hits == []
    assert got.paths == [
        PathRule("migrations/**", "ignore"),
        PathRule("payments/**", "strict"),
    ]
    assert got.severity_overrides == [
        SeverityOverride("performance", "low"),
        SeverityOverride("CWE-79", "critical"),
    ]
    assert policy.parse(None, None, source="working tree")[0].empty


@pytest.mark.parametrize(
    ("pyproject", "words"),
    [
        (b'[tool.bigpicture]\npaths = ["a"]\n', "paths must be a table"),
        (b'[tool.bigpicture]\npaths = { "a/**" = "skip" }\n', "the rule must be one of"),
        (b'[tool.bigpicture]\npaths = { "../x" = "ignore" }\n', "not a pattern inside"),
        (b'[tool.bigpicture]\nseverityOverrides = { style = "low" }\n', "not a category"),
        (b'[tool.bigpicture]\nseverityOverrides = { bug = "urgent" }\n', "the severity must be"),
        (b"[tool.bigpicture\n", "cannot read [tool.bigpicture]"),
    ],
)
def test_a_bad_policy_is_a_config_error_naming_the_file(pyproject, words):
    with pytest.raises(ConfigError, match=r"pyproject\.toml") as err:
        policy.parse(None, pyproject, source="working tree")
    assert words in str(err.value)


def test_review_md_over_the_limit_or_not_utf8_is_refused():
    with pytest.raises(ConfigError, match="limited to 32,768 bytes"):
        policy.parse(b"x" * (policy.MAX_POLICY_BYTES + 1), None, source="working tree")
    assert policy.parse(b"x" * policy.MAX_POLICY_BYTES, None, source="w")[0].size == 32768
    with pytest.raises(ConfigError, match="not UTF-8"):
        policy.parse(b"\xff\xfe", None, source="working tree")


def test_review_md_is_secret_scanned():
    got, hits = policy.parse(
        b'token:\nAPI_PASSWORD = "hunter2-but-longer"\n', None, source="working tree"
    )
    assert "hunter2" not in got.text and got.redactions == 1
    assert [(h.path, h.line) for h in hits] == [(".bigpicture/REVIEW.md", 2)]


def test_the_last_matching_path_rule_wins_and_ignored_files_are_not_sent():
    pol = Policy(
        paths=[PathRule("app/**", "ignore"), PathRule("app/keep.py", "strict")],
    )
    rule = policy.rule_of(pol)
    assert rule("app/x.py").rule == "ignore"
    assert rule("app/keep.py").rule == "strict"
    assert rule("lib/y.py") is None
    snap = Snapshot(
        root="/r",
        files=[SourceFile(p, "x", "s", 1) for p in ("app/x.py", "app/keep.py", "lib/y.py")],
    )
    out = policy.apply(snap, pol, [])
    assert [f.path for f in out.files] == ["app/keep.py", "lib/y.py"]
    assert [(s.path, s.detail) for s in out.skipped] == [
        ("app/x.py", 'review policy: "app/**" = ignore')
    ]
    assert out.policy is pol


def test_overrides_cwe_before_category_and_strict_paths_show_every_severity():
    pol = Policy(
        paths=[PathRule("pay/**", "strict"), PathRule("gen/**", "ignore")],
        severity_overrides=[
            SeverityOverride("security", "low"),
            SeverityOverride("CWE-89", "critical"),
        ],
    )
    got = policy.adjust(
        [
            finding(cwe="cwe-89"),
            finding(cwe="CWE-78"),
            finding(category="bug"),
            finding(path="gen/a.py"),
        ],
        pol,
    )
    assert [(f.cwe, f.category, f.severity) for f in got] == [
        ("cwe-89", "security", "critical"),
        ("CWE-78", "security", "low"),
        (None, "bug", "medium"),
    ]
    visible = policy.shown(pol, floor=1)  # minSeverity high
    assert not visible(finding(severity="low"))
    assert visible(finding(path="pay/x.py", severity="info"))
    assert visible(finding(severity="critical"))
    assert policy.adjust([finding()], None) == [finding()]


def test_the_policy_of_a_changes_review_comes_from_its_base(repo: Path):
    write(repo, "a.py", "x = 1\n")
    write(repo, ".bigpicture/REVIEW.md", "base words\n")
    write(repo, "pyproject.toml", '[tool.bigpicture]\npaths = { "gen/**" = "ignore" }\n')
    commit(repo, "base")
    write(repo, ".bigpicture/REVIEW.md", "new words\n")
    got, _ = policy.for_review(repo, kind="changes")
    assert got.text == "base words\n" and got.working_tree_differs
    assert got.source.startswith("base ") and got.paths == [PathRule("gen/**", "ignore")]
    assert policy.for_review(repo, kind="workspace")[0].text == "new words\n"
    git(repo, "checkout", "-q", "--", ".bigpicture/REVIEW.md")
    assert not policy.for_review(repo, kind="changes")[0].working_tree_differs


def test_a_subfolder_workspace_reads_its_own_policy_at_the_base(repo: Path):
    write(repo, "sub/.bigpicture/REVIEW.md", "sub words\n")
    write(repo, "sub/a.py", "x = 1\n")
    commit(repo, "base")
    got, _ = policy.for_review(repo / "sub", kind="changes")
    assert got.text == "sub words\n" and not got.working_tree_differs


def test_policy_keys_are_not_settings_and_editors_cannot_set_them(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.bigpicture]\npaths = { "a/**" = "ignore" }\n')
    settings, warnings = config.load(tmp_path, ("editor", {"severityOverrides": {"bug": "low"}}))
    assert settings == config.Settings()
    assert warnings == [
        "editor: 'severityOverrides' is part of the team's review policy, read only from "
        "pyproject.toml [tool.bigpicture]; ignored"
    ]
