"""The repository's import graph, resolved to files, and the files' importance in it.

Public API (also used to split a repository into shards by import-graph communities):

- ``build_graph(imports)``: path -> import specs (``core.request.outline``'s ``imports``) to an
  ``ImportGraph`` whose edges run from the importing file to the imported one;
- ``graph_of(files, cache)``: the same from gathered files, outlining them through the cache;
- ``rank(graph)``: PageRank of every file (sums to 1), so a module imported by many
  important modules ranks high;
- ``neighbours(graph, paths, hops)``: the files that import or are imported by ``paths``.

Resolution: a Python spec is dotted (``pkg.mod.Name``, ``..rel``): its longest prefix that
names a module or package of the repository wins (``pkg.mod``); a relative one is resolved from
the importing file's package; an absolute one naming a standard-library module (``os``,
``collections``) resolves to nothing, even when a stub of that name is in the repository. A
path spec (``./util``, ``"x.h"``, a Go import path) resolves
against the importing file's folder first, then as a path suffix of any file. Each file is
known by its path without suffix, with its leading folders dropped one by one (``src/pkg/mod``
is also ``pkg/mod`` and ``mod``), and a package's ``__init__``/``index``/``mod`` file by its
folder; a name that more than ``MAX_AMBIGUOUS`` files share links none of them. Imports of
the standard library and of other packages resolve to nothing and add no edge.

Ranking: PageRank (damping 0.85) along and against the imports, averaged (see ``rank``), with
rustworkx, chosen over networkx for speed (its Rust
implementation ranks 100K files in well under a second; networkx's needs scipy for
comparable speed). The rank is global, not personalised to the focus files, so it moves
little from one commit to the next: the focus files and their neighbours get their place by
priority class (``core.request.budget``), not by rank.
"""

from __future__ import annotations

import posixpath
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from bigpicture.core.models import SourceFile
from bigpicture.core.request import outline as outlining

MAX_AMBIGUOUS = 3
DAMPING = 0.85
_PACKAGE_STEMS = ("__init__", "index", "mod", "lib")
_SUFFIXES = (".py", ".pyi", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".h", ".hpp", ".rs")


@dataclass
class ImportGraph:
    paths: list[str]  # every file, sorted
    imports: dict[str, set[str]] = field(default_factory=dict)  # path -> files it imports
    imported_by: dict[str, set[str]] = field(default_factory=dict)  # path -> files importing it

    def edges(self) -> list[tuple[str, str]]:
        return sorted((a, b) for a, bs in self.imports.items() for b in bs)


def _keys(path: str, packages: set[str]) -> set[str]:
    """The names a file is known by (slash form, without its suffix). A Python module is not
    known by a name that drops a package folder: ``pkg/sub/os.py`` is not ``os``."""
    p = PurePosixPath(path)
    stem = str(p.with_suffix("")) if p.suffix else path
    keys = {stem}
    if p.stem in _PACKAGE_STEMS and str(p.parent) != ".":
        keys.add(str(p.parent))
    python = p.suffix in (".py", ".pyi")
    out: set[str] = set()
    for k in keys:
        parts = k.split("/")
        for i in range(len(parts)):
            if python and i and "/".join(parts[:i]) in packages:
                break
            out.add("/".join(parts[i:]))
    return {k for k in out if k}


def _packages(paths: Iterable[str]) -> set[str]:
    """Folders holding an ``__init__.py``, and every folder inside one."""
    inits = {posixpath.dirname(p) for p in paths if p.rsplit("/", 1)[-1].startswith("__init__.")}
    return {d for d in inits if d}


_FAMILIES = {
    **dict.fromkeys((".py", ".pyi"), "python"),
    **dict.fromkeys((".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"), "js"),
    **dict.fromkeys((".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".inc"), "c"),
}


def family(path: str) -> str:
    """Files import only files of their own family (a Python module never a C header)."""
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    suffix = name[dot:].lower() if dot > 0 else ""
    return _FAMILIES.get(suffix, suffix)


class _Index:
    def __init__(self, paths: list[str]) -> None:
        self.keys: dict[str, dict[str, set[str]]] = {}  # family -> key -> paths
        self.folders: dict[str, dict[str, set[str]]] = {}  # family -> folder suffix -> paths
        packages = _packages(paths)
        for path in paths:
            fam = family(path)
            by_key = self.keys.setdefault(fam, {})
            for k in _keys(path, packages):
                by_key.setdefault(k, set()).add(path)
            parent = posixpath.dirname(path)
            parts = parent.split("/") if parent else []
            dirs = self.folders.setdefault(fam, {})
            for i in range(len(parts)):
                dirs.setdefault("/".join(parts[i:]), set()).add(path)
        self.by_key: dict[str, set[str]] = {}
        self.dirs: dict[str, set[str]] = {}
        self.family = ""

    def use(self, importer: str) -> _Index:
        """Look up among the files of ``importer``'s family."""
        fam = family(importer)
        if fam != self.family:
            self.family = fam
            self.by_key = self.keys.get(fam, {})
            self.dirs = self.folders.get(fam, {})
        return self

    def lookup(self, key: str) -> set[str]:
        got = self.by_key.get(key.strip("/"), set())
        return got if len(got) <= MAX_AMBIGUOUS else set()


def _resolve_dotted(importer: str, spec: str, index: _Index) -> set[str]:
    level = len(spec) - len(spec.lstrip("."))
    name = spec[level:]
    if level:
        base = PurePosixPath(importer).parent
        for _ in range(level - 1):
            base = base.parent
        prefix = "" if str(base) == "." else str(base) + "/"
        parts = [p for p in name.split(".") if p]
        for n in range(len(parts), -1, -1):
            key = prefix + "/".join(parts[:n])
            got = index.by_key.get(key.rstrip("/"), set()) if key.rstrip("/") else set()
            if got:
                return got
        return set()
    if index.family == "python" and name.split(".", 1)[0] in sys.stdlib_module_names:
        return set()  # the standard library, not a test stub or a vendored copy named alike
    parts = name.replace("::", ".").split(".")
    while parts and parts[0] in ("crate", "self", "super"):  # Rust paths
        parts = parts[1:]
    for n in range(len(parts), 0, -1):
        got = index.lookup("/".join(parts[:n]))
        if got:
            return got
    return set()


def _resolve_path(importer: str, spec: str, index: _Index) -> set[str]:
    spec = spec.split("?", 1)[0]
    here = posixpath.dirname(importer)
    candidates = []
    if spec.startswith("."):
        candidates.append(posixpath.normpath(posixpath.join(here, spec)))
    else:
        candidates += [posixpath.normpath(posixpath.join(here, spec)) if here else spec, spec]
    for c in candidates:
        stem = c
        for suf in _SUFFIXES:
            if c.endswith(suf):
                stem = c[: -len(suf)]
                break
        got = index.by_key.get(stem, set()) if c.startswith(".") else index.lookup(stem)
        if got:
            return got
    # a Go-style import path names a folder: its longest suffix that is a folder here
    parts = spec.split("/")
    for i in range(len(parts)):
        files = index.dirs.get("/".join(parts[i:]))
        if files and "/".join(parts[i:]) != "":
            return {f for f in files if posixpath.dirname(f).endswith("/".join(parts[i:]))}
    return set()


def resolve(importer: str, spec: str, index: _Index) -> set[str]:
    """The repository files ``spec``, imported by ``importer``, names (see the module doc)."""
    if not spec:
        return set()
    index.use(importer)
    if "/" in spec or spec.endswith((".h", ".hpp", ".js", ".ts")) or spec.startswith("./"):
        return _resolve_path(importer, spec, index)
    return _resolve_dotted(importer, spec, index)


def build_graph(imports: Mapping[str, Iterable[str]]) -> ImportGraph:
    """The import graph of the files in ``imports`` (path -> import specs)."""
    paths = sorted(imports)
    index = _Index(paths)
    g = ImportGraph(paths, {p: set() for p in paths}, {p: set() for p in paths})
    for path in paths:
        for spec in imports[path]:
            for target in resolve(path, spec, index):
                if target != path:
                    g.imports[path].add(target)
                    g.imported_by[target].add(path)
    return g


def graph_of(
    files: Iterable[SourceFile], cache: outlining.OutlineCache | None = None
) -> ImportGraph:
    """The import graph of gathered files (outlined through ``cache``)."""
    return build_graph({p: o.imports for p, o in outlining.outlines(files, cache).items()})


def _pagerank(paths: list[str], edges: list[tuple[str, str]]) -> dict[str, float]:
    import rustworkx as rx

    g = rx.PyDiGraph(check_cycle=False, multigraph=False)
    ids = {p: g.add_node(p) for p in paths}
    g.add_edges_from_no_data([(ids[a], ids[b]) for a, b in edges])
    scores = rx.pagerank(g, alpha=DAMPING, max_iter=200, tol=1e-9)
    return {p: float(scores[i]) for p, i in ids.items()}


def rank(graph: ImportGraph) -> dict[str, float]:
    """The importance of every file of ``graph`` (sums to 1): the mean of its PageRank along
    the imports (a module many important modules import) and against them (a module that
    imports many important modules: the type checker of a compiler, the router of a web
    application), so both the shared foundations and the large modules that tie them
    together rank above peripheral files."""
    if not graph.paths:
        return {}
    edges = graph.edges()
    along = _pagerank(graph.paths, edges)
    against = _pagerank(graph.paths, [(b, a) for a, b in edges])
    return {p: (along[p] + against[p]) / 2 for p in graph.paths}


def neighbours(graph: ImportGraph, paths: Iterable[str], hops: int = 1) -> set[str]:
    """Files within ``hops`` import edges (either way) of ``paths``, ``paths`` excluded."""
    start = {p for p in paths if p in graph.imports}
    seen = set(start)
    frontier = set(start)
    for _ in range(hops):
        nxt: set[str] = set()
        for p in frontier:
            nxt |= graph.imports.get(p, set()) | graph.imported_by.get(p, set())
        frontier = nxt - seen
        seen |= frontier
    return seen - start
