"""A file's outline: its top-level definitions (classes, functions, methods, with their
signatures) and its imports, parsed with tree-sitter (``tree-sitter-language-pack``'s
bundled grammars), for the repository map (``core.request.repomap``) and the import graph
(``core.request.graph``).

An outline holds no line numbers and no bodies, so an edit that does not change a
definition's header or an import leaves the outline, and its ``digest``, unchanged: that is
what keeps the map stable in the prompt cache. A language without a grammar here gets an
empty outline (``lang`` ""); the map then shows the path and a rounded size.

Outlines are kept per file content (``OutlineCache``, keyed by language and the content hash
``SourceFile.sha``), which ``store.outlinecache`` keeps between runs, so a later run parses
only the files that changed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from functools import cache
from pathlib import PurePosixPath
from typing import Any

import msgspec

from bigpicture.core.models import SourceFile

# file suffix -> tree-sitter-language-pack grammar name
LANGUAGES = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
    ".rb": "ruby",
    ".cs": "csharp",
    ".php": "php",
    ".kt": "kotlin",
    ".scala": "scala",
    ".swift": "swift",
    ".lua": "lua",
}

# node types that are definitions, in any of the grammars above
DEFINITIONS = frozenset(
    {
        # python
        "function_definition",
        "class_definition",
        # javascript / typescript
        "function_declaration",
        "generator_function_declaration",
        "class_declaration",
        "abstract_class_declaration",
        "method_definition",
        "interface_declaration",
        "type_alias_declaration",
        "enum_declaration",
        "abstract_method_signature",
        "method_signature",
        # go
        "method_declaration",
        "type_declaration",
        # rust
        "function_item",
        "function_signature_item",
        "struct_item",
        "enum_item",
        "trait_item",
        "impl_item",
        "mod_item",
        "type_item",
        # java / c# / kotlin / php
        "constructor_declaration",
        "record_declaration",
        "struct_declaration",
        "namespace_declaration",
        "object_declaration",
        "trait_declaration",
        # c / c++
        "struct_specifier",
        "class_specifier",
        "enum_specifier",
        "namespace_definition",
        "type_definition",
        # ruby
        "class",
        "module",
        "method",
        "singleton_method",
    }
)
# wrappers whose inner definition is the one to show
WRAPPERS = frozenset({"decorated_definition", "export_statement", "template_declaration"})
# definitions whose members are listed one level down
CONTAINERS = frozenset(
    {
        "class_definition",
        "class_declaration",
        "abstract_class_declaration",
        "interface_declaration",
        "trait_item",
        "impl_item",
        "mod_item",
        "namespace_declaration",
        "namespace_definition",
        "struct_declaration",
        "record_declaration",
        "object_declaration",
        "trait_declaration",
        "class_specifier",
        "struct_specifier",
        "class",
        "module",
    }
)
# body node types, for grammars whose body is not a "body" field
BODIES = frozenset(
    {
        "block",
        "class_body",
        "declaration_list",
        "field_declaration_list",
        "compound_statement",
        "statement_block",
        "interface_body",
        "enum_body",
        "object_type",
        "body_statement",
    }
)

# imports, per grammar: a query whose @spec captures name what is imported
IMPORT_QUERIES = {
    "python": "(import_statement) @spec (import_from_statement) @spec",
    "javascript": (
        "(import_statement source: (string) @spec) (export_statement source: (string) @spec) "
        "(call_expression function: (identifier) @fn arguments: (arguments . (string) @spec))"
    ),
    "go": "(import_spec path: (_) @spec)",
    "rust": "(use_declaration argument: (_) @spec)",
    "java": "(import_declaration (scoped_identifier) @spec)",
    "c": "(preproc_include path: (_) @spec)",
    "ruby": (
        "(call method: (identifier) @fn arguments: (argument_list . (string (string_content) @spec)))"
    ),
    "csharp": "(using_directive (_) @spec)",
}
IMPORT_QUERIES["typescript"] = IMPORT_QUERIES["tsx"] = IMPORT_QUERIES["javascript"]
IMPORT_QUERIES["cpp"] = IMPORT_QUERIES["c"]

MAX_HEADER = 160  # characters of a definition's header kept
MAX_LINES = 200  # definition lines kept per file (then "... N more")


class Outline(msgspec.Struct, frozen=True):
    lang: str  # the grammar; "" when none (the map shows path and size)
    defs: list[str]  # definition headers, members indented by two spaces
    imports: list[str]  # import specs for ``core.request.graph`` (see ``graph.resolve``)

    @property
    def digest(self) -> str:
        """Changes only when a definition header or an import does."""
        raw = "\0".join([self.lang, *self.defs, "\1", *self.imports])
        return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:16]


NO_OUTLINE = Outline("", [], [])  # a file whose text is not known: the map shows path and size


def language_of(path: str) -> str:
    """The grammar for ``path``, or "" when there is none."""
    lang = LANGUAGES.get(PurePosixPath(path).suffix.lower(), "")
    return lang if lang and _parser(lang) is not None else ""


@cache
def _parser(lang: str) -> Any:
    try:
        from tree_sitter import Parser
        from tree_sitter_language_pack import get_language
    except ImportError:  # pragma: no cover - a dependency; fall back to path and size
        return None
    try:
        return Parser(get_language(lang))  # type: ignore[arg-type]
    except Exception:  # a grammar missing from this build of the pack
        return None


@cache
def _import_query(lang: str) -> Any:
    from tree_sitter import Query, QueryCursor
    from tree_sitter_language_pack import get_language

    src = IMPORT_QUERIES.get(lang)
    if not src:
        return None
    return QueryCursor(Query(get_language(lang), src))  # type: ignore[arg-type]


_SPACE = re.compile(r"\s+")


def _header(node: Any, src: bytes) -> str:
    body = node.child_by_field_name("body")
    if body is None:
        body = next((c for c in node.children if c.type in BODIES), None)
    end = body.start_byte if body is not None else node.end_byte
    text = src[node.start_byte : end].decode("utf-8", "replace")
    if body is None:
        text = text.split("\n", 1)[0]
    text = _SPACE.sub(" ", text).strip().rstrip("{:=").strip()
    return text if len(text) <= MAX_HEADER else text[: MAX_HEADER - 3] + "..."


def _unwrap(node: Any) -> Any:
    while node.type in WRAPPERS:
        inner = node.child_by_field_name("definition") or node.child_by_field_name("declaration")
        if inner is None:
            inner = next((c for c in node.children if c.type in DEFINITIONS), None)
        if inner is None:
            return None
        node = inner
    return node if node.type in DEFINITIONS else None


def _members(node: Any) -> list[Any]:
    body = node.child_by_field_name("body")
    if body is None:
        body = next((c for c in node.children if c.type in BODIES), None)
    return list(body.children) if body is not None else []


def _definitions(root: Any, src: bytes) -> list[str]:
    out: list[str] = []
    for child in root.children:
        node = _unwrap(child)
        if node is None:
            continue
        out.append(_header(node, src))
        if node.type in CONTAINERS:
            for m in _members(node):
                inner = _unwrap(m)
                if inner is not None:
                    out.append("  " + _header(inner, src))
    if len(out) > MAX_LINES:
        out = [*out[:MAX_LINES], f"... {len(out) - MAX_LINES} more"]
    return out


def _python_imports(node: Any) -> list[str]:
    def name(n: Any) -> str:
        if n.type == "aliased_import":
            n = n.child_by_field_name("name")
        return n.text.decode("utf-8", "replace") if n is not None else ""

    names = [name(n) for n in node.children_by_field_name("name")]
    if node.type == "import_statement":
        return [n for n in names if n]
    module = node.child_by_field_name("module_name")
    mod = _SPACE.sub("", module.text.decode("utf-8", "replace")) if module is not None else ""
    sep = "" if mod.endswith(".") else "."
    return [mod, *(mod + sep + n for n in names if n)]


def _imports(lang: str, root: Any) -> list[str]:
    cursor = _import_query(lang)
    if cursor is None:
        return []
    found: list[str] = []
    for _, caps in cursor.matches(root):
        fn = caps.get("fn")
        if fn and fn[0].text not in (b"require", b"require_relative", b"import"):
            continue
        for node in caps.get("spec", []):
            if lang == "python":
                found.extend(_python_imports(node))
                continue
            text = node.text.decode("utf-8", "replace").strip("\"'`<>")
            if fn and fn[0].text == b"require_relative":
                text = "./" + text
            found.append(_SPACE.sub("", text))
    return sorted(set(found))


def parse(path: str, text: str) -> Outline:
    """The outline of one file (an empty one when its language has no grammar here)."""
    lang = language_of(path)
    if not lang:
        return Outline("", [], [])
    src = text.encode("utf-8", "surrogatepass")
    try:
        tree = _parser(lang).parse(src)
        return Outline(lang, _definitions(tree.root_node, src), _imports(lang, tree.root_node))
    except Exception:  # a parser failure loses the outline, never the review
        return Outline("", [], [])


class OutlineCache:
    """Outlines by content: ``lang:sha`` -> Outline; ``new`` counts entries added since load."""

    def __init__(self, entries: dict[str, Outline] | None = None) -> None:
        self.entries: dict[str, Outline] = entries or {}
        self.new = 0

    def get(self, f: SourceFile) -> Outline:
        key = f"{PurePosixPath(f.path).suffix.lower()}:{f.sha}"
        got = self.entries.get(key)
        if got is None:
            got = self.entries[key] = parse(f.path, f.text)
            self.new += 1
        return got


_PROCESS_CACHE = OutlineCache()  # when the caller keeps none (a plan built in a test)


def outlines(files: Iterable[SourceFile], cache: OutlineCache | None = None) -> dict[str, Outline]:
    """path -> outline for ``files``, parsing only contents ``cache`` does not hold."""
    c = cache if cache is not None else _PROCESS_CACHE
    if len(c.entries) > 500_000:
        c.entries.clear()
    return {f.path: c.get(f) for f in files}
