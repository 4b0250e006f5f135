"""core.request.budget: what fits the window, and what is left out first when it does not —
the focus, then the files it imports or that import it, then source, config, tests, docs,
vendored code; dirty and recent files first within a class; greedy, every left-out file
listed with its tokens and why."""

from __future__ import annotations

from bigpicture.core.models import LeftOut, SourceFile
from bigpicture.core.request.budget import related_files, select


def F(path: str, text: str = "", kind: str = "source", **kw) -> SourceFile:
    return SourceFile(path=path, text=text, sha=f"{path}:{text}", size=len(text), kind=kind, **kw)


def test_everything_is_sent_when_it_fits() -> None:
    files = [F("a.py"), F("b.md", kind="doc")]
    assert select(files, {"a.py": 5, "b.md": 5}, budget=10) == (files, [])


def test_lower_classes_are_left_out_before_higher_ones() -> None:
    files = [
        F("docs/guide.md", kind="doc"),
        F("tests/test_app.py", kind="test"),
        F("vendor/lib.js", kind="vendor"),
        F("setup.cfg", kind="config"),
        F("app/core.py"),
    ]
    tokens = dict.fromkeys((f.path for f in files), 10)
    for budget, kept in [
        (10, {"app/core.py"}),
        (20, {"app/core.py", "setup.cfg"}),
        (30, {"app/core.py", "setup.cfg", "tests/test_app.py"}),
        (40, {"app/core.py", "setup.cfg", "tests/test_app.py", "docs/guide.md"}),
    ]:
        sent, left = select(files, tokens, budget)
        assert {f.path for f in sent} == kept, budget
        assert [f.path for f in sent] == [f.path for f in files if f.path in kept]  # order kept
        assert {x.path for x in left} == {f.path for f in files} - kept
        assert all(x.tokens == 10 and x.reason == "over budget" for x in left)
        assert [x.path for x in left] == sorted(x.path for x in left)


def test_the_focus_and_its_neighbours_come_before_other_source() -> None:
    files = [
        F("app/other.py", "X = 1\n"),
        F("app/views.py", "from app.models import User\n"),
        F("app/models.py", "class User: ...\n"),
        F("app/admin.py", "import app.views\n"),
        F("docs/a.md", kind="doc"),
    ]
    tokens = dict.fromkeys((f.path for f in files), 10)
    sent, left = select(files, tokens, budget=30, focus=["app/views.py"])
    # The focus, what it imports (models) and what imports it (admin).
    assert {f.path for f in sent} == {"app/views.py", "app/models.py", "app/admin.py"}
    assert {x.path for x in left} == {"app/other.py", "docs/a.md"}


def test_a_focus_file_too_large_is_left_out_and_said_to_be_in_focus() -> None:
    files = [F("big.py"), F("small.py")]
    sent, left = select(files, {"big.py": 100, "small.py": 5}, budget=50, focus=["big.py"])
    assert [f.path for f in sent] == ["small.py"]  # greedy: a smaller file still fits
    assert left == [LeftOut("big.py", 100, "over budget (in focus)")]


def test_within_a_class_dirty_then_recent_then_small_files_go_first() -> None:
    files = [
        F("old.py", last_change=1_000),
        F("new.py", last_change=2_000),
        F("dirty.py", last_change=500, dirty=True),
        F("tiny_old.py", last_change=1_000),
    ]
    tokens = {"old.py": 10, "new.py": 10, "dirty.py": 10, "tiny_old.py": 5}
    assert [f.path for f in select(files, tokens, 10)[0]] == ["dirty.py"]
    assert {f.path for f in select(files, tokens, 20)[0]} == {"dirty.py", "new.py"}
    assert {f.path for f in select(files, tokens, 25)[0]} == {"dirty.py", "new.py", "tiny_old.py"}


def test_related_files_read_python_and_javascript_imports_one_hop() -> None:
    files = [
        F("server/pkg/api.py", "from pkg.db import connect\nimport pkg.util as u\n"),
        F("server/pkg/db.py", "import sqlite3\n"),
        F("server/pkg/util.py", ""),
        F("server/pkg/far.py", "from pkg import api\n"),
        F("web/src/app.ts", "import { api } from './client.js'\n"),
        F("web/src/client.ts", "export const api = 1\n"),
        F("web/src/main.js", "require('./app')\n"),
    ]
    assert related_files(["server/pkg/db.py"], files) == {"server/pkg/api.py"}
    assert related_files(["server/pkg/api.py"], files) == {
        "server/pkg/db.py",
        "server/pkg/util.py",
    }  # not far.py: "from pkg import api" names pkg, and one hop only
    # Relative imports match by the path's tail, extensions dropped.
    assert related_files(["web/src/client.ts"], files) == {"web/src/app.ts"}
    assert related_files(["web/src/app.ts"], files) == {"web/src/client.ts", "web/src/main.js"}
    assert related_files([], files) == set()
