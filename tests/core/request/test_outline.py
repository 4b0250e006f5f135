"""Outlines (tree-sitter): definitions with signatures and imports, no bodies, no line
numbers, so an edit inside a body leaves the outline unchanged."""

from __future__ import annotations

from bigpicture.core.models import SourceFile
from bigpicture.core.request import outline

PY = '''"""A module."""
import os
from .nodes import Node, Expr as E
from .. import util

LIMIT = 3


@decorator
class Checker(Base, metaclass=Meta):
    """Checks."""

    def check(self, node: Node, *, strict: bool = False) -> list[str]:
        return [str(node)] * LIMIT

    async def later(self) -> None:
        pass


def helper(a, b=2):
    return a + b
'''


def test_python_outline_has_definitions_with_signatures_and_imports():
    o = outline.parse("pkg/sub/checker.py", PY)
    assert o.lang == "python"
    assert o.defs == [
        "class Checker(Base, metaclass=Meta)",
        "  def check(self, node: Node, *, strict: bool = False) -> list[str]",
        "  async def later(self) -> None",
        "def helper(a, b=2)",
    ]
    assert set(o.imports) == {"os", ".nodes", ".nodes.Node", ".nodes.Expr", "..", "..util"}
    assert "return" not in "".join(o.defs)


def test_typescript_outline():
    src = (
        "import { x } from './util';\n"
        "import type { T } from '../types';\n"
        "const lib = require('lodash');\n"
        "export class Store extends Base {\n"
        "  get(key: string): number { return 1; }\n"
        "}\n"
        "export function make(n: number): Store { return new Store(); }\n"
        "interface Shape { area(): number }\n"
    )
    o = outline.parse("web/src/store.ts", src)
    assert o.lang == "typescript"
    assert o.defs == [
        "class Store extends Base",
        "  get(key: string): number",
        "function make(n: number): Store",
        "interface Shape",
        "  area(): number",
    ]
    assert o.imports == ["../types", "./util", "lodash"]


def test_an_edit_inside_a_body_keeps_the_outline_and_its_digest():
    before = outline.parse("m.py", PY)
    after = outline.parse("m.py", PY.replace("return a + b", "total = a + b\n    return total"))
    assert after == before and after.digest == before.digest
    renamed = outline.parse("m.py", PY.replace("def helper(a, b=2)", "def helper(a, b=3)"))
    assert renamed.digest != before.digest


def test_a_language_without_a_grammar_has_an_empty_outline():
    o = outline.parse("build/rules.bzlx", "anything at all\n")
    assert o == outline.Outline("", [], [])
    assert outline.language_of("notes.unknownext") == ""


def test_the_cache_parses_a_content_once():
    cache = outline.OutlineCache()
    f = SourceFile(path="a.py", text="def f(): pass\n", sha="abc", size=14)
    assert outline.outlines([f], cache)["a.py"].defs == ["def f()"]
    assert cache.new == 1
    outline.outlines([f, SourceFile(path="b.py", text=f.text, sha="abc", size=14)], cache)
    assert cache.new == 1  # same content, same suffix: not parsed again
