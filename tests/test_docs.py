"""The README is the front door: it must name every setting and every CLI option."""

from __future__ import annotations

import re
from pathlib import Path

from bigpicture.cli.parser import build_parser
from bigpicture.core.config import SETTING_NAMES, setting_docs

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_every_setting_is_in_the_readme_table_with_its_docstring():
    rows = dict(re.findall(r"^\| `(\w+)` \| [^|]+ \| (.+) \|$", README, re.M))
    docs = setting_docs()
    for name in SETTING_NAMES:
        assert name in rows, f"README lacks setting {name}"
        assert rows[name].replace("`", "") == docs[name].replace("``", ""), name


def test_every_review_option_is_in_the_readme():
    parser = build_parser()
    review = parser._subparsers._group_actions[0].choices["review"]
    for action in review._actions:
        for opt in action.option_strings:
            if opt in ("-h", "--help"):
                continue
            assert f"`{opt}" in README, f"README lacks {opt}"


def test_readme_test_command_is_what_ci_runs():
    ci = (Path(__file__).parents[1] / ".ci/run").read_text()
    assert "python -m pytest" in ci and "python -m pytest" in README


def test_every_test_file_the_readme_names_exists():
    root = Path(__file__).parents[1]
    named = set(re.findall(r"`(tests/[\w/]+\.py)", README))
    assert named, "the README names no test file"
    missing = sorted(p for p in named if not (root / p).is_file())
    assert not missing, f"README names test files that do not exist: {missing}"
