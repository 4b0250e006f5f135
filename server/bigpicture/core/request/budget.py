"""What fits in the window, and what is left out first when the workspace does not fit.

Budget = context window - max output tokens - a safety margin (the estimate is not exact) -
the fixed parts of the request (instructions, tool schema, the diff and the closing request).

Priority, highest first (files of a lower class are left out before any of a higher one):

0. the files in focus: the changed files of a changes review, the file of a file review;
1. the files they import or are imported by;
2. other source files;
3. configuration files;
4. tests;
5. documentation;
6. vendored code.

Within a class, recently changed files go first (uncommitted, then newest commit), then
smaller files, then by path. Filling is greedy: a file too large for what is left is left out,
and smaller files after it may still fit. Every left-out file is listed with its tokens.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

from bigpicture.core.models import LeftOut, SourceFile

SAFETY_MARGIN = 0.03  # of the window, for the local estimate's error
KIND_RANK = {"source": 2, "config": 3, "test": 4, "doc": 5, "vendor": 6}

_IMPORT_RE = re.compile(
    r"""^\s*(?:from\s+([.\w]+)\s+import|import\s+([.\w, ]+)|"""
    r"""(?:import|export)\b[^'"\n]*?from\s+['"]([^'"]+)['"]|"""
    r"""(?:import|require|include|require_once|include_once)\s*\(?\s*['"<]([^'">]+)['">])""",
    re.M,
)


def _module_keys(path: str) -> set[str]:
    """Names another file might use to import ``path``."""
    p = PurePosixPath(path)
    stem_path = str(p.with_suffix(""))
    keys = {stem_path, stem_path.replace("/", ".")}
    if p.stem in ("__init__", "index", "mod"):
        parent = str(p.parent)
        keys |= {parent, parent.replace("/", ".")}
    # also without a leading source folder such as server/ or src/
    parts = stem_path.split("/")
    for i in range(1, len(parts)):
        tail = "/".join(parts[i:])
        keys |= {tail, tail.replace("/", ".")}
    return {k for k in keys if k and k != "."}


def _imports(text: str) -> set[str]:
    out: set[str] = set()
    for m in _IMPORT_RE.finditer(text):
        for g in m.groups():
            if not g:
                continue
            for name in g.split(","):
                name = name.strip().split(" as ")[0].strip()
                if not name:
                    continue
                name = name.lstrip("./")
                out.add(name)
                out.add(name.replace(".", "/"))
                # "pkg.mod.func" may name a module "pkg.mod"
                if "." in name:
                    out.add(name.rsplit(".", 1)[0])
                    out.add(name.rsplit(".", 1)[0].replace(".", "/"))
                for ext in (".js", ".ts", ".py", ".h"):
                    if name.endswith(ext):
                        out.add(name[: -len(ext)])
    return out


_IMPORTS_BY_SHA: dict[str, frozenset[str]] = {}
_IMPORTS_CACHE_MAX = 200_000


def _imports_of(f: SourceFile) -> frozenset[str]:
    """``_imports`` of a file, remembered by content hash (a save changes one file)."""
    got = _IMPORTS_BY_SHA.get(f.sha)
    if got is None:
        if len(_IMPORTS_BY_SHA) > _IMPORTS_CACHE_MAX:
            _IMPORTS_BY_SHA.clear()
        got = _IMPORTS_BY_SHA[f.sha] = frozenset(_imports(f.text))
    return got


def related_files(focus: Iterable[str], files: list[SourceFile]) -> set[str]:
    """Paths that import a focus file or are imported by one (one hop)."""
    focus = set(focus)
    if not focus:
        return set()
    keys_of = {f.path: _module_keys(f.path) for f in files}
    by_key: dict[str, set[str]] = {}
    for path, keys in keys_of.items():
        for k in keys:
            by_key.setdefault(k, set()).add(path)
    focus_keys = set().union(*(keys_of.get(p, _module_keys(p)) for p in focus))
    related: set[str] = set()
    for f in files:
        imported = _imports_of(f)
        if f.path in focus:
            for name in imported:
                related |= by_key.get(name, set())
        elif imported & focus_keys:
            related.add(f.path)
    return related - focus


def select(
    files: list[SourceFile],
    tokens: dict[str, int],
    budget: int,
    focus: Iterable[str] = (),
) -> tuple[list[SourceFile], list[LeftOut]]:
    """The files that fit ``budget`` tokens by priority, and those left out."""
    total = sum(tokens[f.path] for f in files)
    if total <= budget:
        return list(files), []
    focus = set(focus)
    related = related_files(focus, files)

    def rank(f: SourceFile) -> tuple[int, int, int, str]:
        cls = 0 if f.path in focus else 1 if f.path in related else KIND_RANK.get(f.kind, 2)
        recency = -(2**62 if f.dirty or not f.last_change else f.last_change)  # dirty first
        return (cls, recency, tokens[f.path], f.path)

    chosen: set[str] = set()
    left: list[LeftOut] = []
    room = budget
    for f in sorted(files, key=rank):
        t = tokens[f.path]
        if t <= room:
            chosen.add(f.path)
            room -= t
        else:
            reason = "over budget (in focus)" if f.path in focus else "over budget"
            left.append(LeftOut(f.path, t, reason))
    left.sort(key=lambda x: x.path)
    return [f for f in files if f.path in chosen], left
