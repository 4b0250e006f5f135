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


def _organised_modules() -> list[str]:
    """The module paths the README's "How the code is organised" tree lists: folder lines end
    in "/", module lines start with a name ending in .py, nesting by two spaces."""
    section = README.split("## How the code is organised", 1)[1]
    tree = section.split("```", 2)[1]
    stack: list[tuple[int, str]] = []
    listed = []
    for line in tree.splitlines():
        m = re.match(r"^( *)(\S+)", line)
        if not m:
            continue
        indent, name = len(m.group(1)), m.group(2)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if name.endswith("/"):
            stack.append((indent, name))
        elif name.endswith(".py") and stack and stack[0][1] == "server/bigpicture/":
            listed.append("".join(folder for _, folder in stack[1:]) + name)
    return listed


def test_the_readme_lists_every_module_of_the_package_once():
    package = Path(__file__).parents[1] / "server" / "bigpicture"
    modules = {
        p.relative_to(package).as_posix() for p in package.rglob("*.py") if p.name != "__init__.py"
    }
    listed = _organised_modules()
    assert len(listed) == len(set(listed)), "a module is listed twice"
    missing = sorted(modules - set(listed))
    gone = sorted(set(listed) - modules)
    assert not missing, f"README's 'How the code is organised' lacks a line for: {missing}"
    assert not gone, f"README's 'How the code is organised' lists modules that are gone: {gone}"
