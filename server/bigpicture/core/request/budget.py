"""What fits in the window, and what is left out first when the workspace does not fit.

Budget = context window - max output tokens - a safety margin (the estimate is not exact) -
the fixed parts of the request (instructions, tool schema, the diff and the closing request).
When the repository does not fit whole, that room is shared: ``repomap.MAP_SHARE`` of the
window for the map of the files not sent whole, ``CHANGE_SHARE`` of the room kept for the
changes sent after the cache base (so a save does not re-take the base), the rest for files.

Priority, highest first (files of a lower class are left out before any of a higher one):

0. the files in focus: the changed files of a changes review, the file of a file review;
1. the files they import or are imported by (the import graph, ``core.request.graph``);
2. other source files;
3. configuration files;
4. tests and test fixtures (``test-data``, ``fixtures``, ``testdata`` folders);
5. documentation;
6. vendored code (also bundled copies of third-party stubs: ``typeshed`` folders).

Within a class, files go by importance: PageRank in the import graph, highest first, then by
path; never by recency, and never by size, so a large central module is not displaced by
small peripheral ones. Filling is greedy: a file too large for what is left is left out, and
less important files after it may still fit. Every left-out file is listed with its tokens.

Stability (hysteresis), so that the cache base survives commits: a file sent whole last time
(``previous``: the cache base's files, with the rank each had when the base was taken) keeps
its place, before every other file (the focus files included), unless its rank fell below
1/``KEEP_FACTOR`` of that rank; a file sent since the base (``sent_since``) keeps its place
too. Kept files go in today's order while they fit, so only when the budget shrinks does one
fall out, and a change touching many large files (a vendored copy synced) cannot push them
out: the focus files not kept then share what is left, and those that do not fit are shown
in the map (their changes are in the diff). Only the focus files, their neighbours and the
kept files may use the room kept for changes (``extra``); other files fill the budget alone.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
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


KEEP_FACTOR = 2.0  # a file of the cache base keeps its place unless its rank fell this much
CHANGE_SHARE = 0.08  # of the room, kept for the changes sent after the cache base
_FIXTURE_RE = re.compile(r"(^|/)(test-data|test_data|testdata|fixtures?|__fixtures__)/", re.I)
_BUNDLED_RE = re.compile(r"(^|/)typeshed/", re.I)  # third-party stubs copied in


def priority(f: SourceFile, focus: set[str], related: set[str]) -> int:
    """The priority class of a file (see the module doc)."""
    if f.path in focus:
        return 0
    if f.path in related:
        return 1
    if f.kind in ("source", "config") and _FIXTURE_RE.search(f.path):
        return KIND_RANK["test"]
    if _BUNDLED_RE.search(f.path):
        return KIND_RANK["vendor"]
    return KIND_RANK.get(f.kind, 2)


def importance_order(
    files: Iterable[SourceFile],
    focus: Iterable[str] = (),
    related: Iterable[str] = (),
    scores: Mapping[str, float] | None = None,
) -> list[SourceFile]:
    """``files`` most important first: priority class, then PageRank, then path."""
    focus, related, scores = set(focus), set(related), scores or {}
    return sorted(
        files, key=lambda f: (priority(f, focus, related), -scores.get(f.path, 0.0), f.path)
    )


def select(
    files: list[SourceFile],
    tokens: dict[str, int],
    budget: int,
    focus: Iterable[str] = (),
    *,
    related: Iterable[str] | None = None,
    scores: Mapping[str, float] | None = None,
    previous: Mapping[str, float] | Collection[str] = (),
    sent_since: Collection[str] = (),
    extra: int = 0,
) -> tuple[list[SourceFile], list[LeftOut]]:
    """The files that fit ``budget`` tokens (plus ``extra`` for the focus, its neighbours and
    the kept files) by priority, and those left out. ``related`` defaults to the one-hop import
    neighbours of ``focus`` by a regex scan (``related_files``); ``scores`` (PageRank) orders
    files within a class, ``previous`` and ``sent_since`` are kept by the hysteresis rule."""
    total = sum(tokens[f.path] for f in files)
    if total <= budget:
        return list(files), []
    focus = set(focus)
    rel = set(related) if related is not None else related_files(focus, files)
    order = importance_order(files, focus, rel, scores)
    prev = previous if isinstance(previous, Mapping) else dict.fromkeys(previous, 0.0)
    since = set(sent_since)
    now = scores or {}

    def phase(f: SourceFile) -> int:
        cls = priority(f, focus, rel)
        kept = f.path in since or (
            f.path in prev and now.get(f.path, 0.0) * KEEP_FACTOR >= prev[f.path]
        )
        if kept:
            return 0 if cls == 0 else 1
        if cls == 0:
            return 2 if prev else 0  # with a base, after the files it keeps
        return 3 if cls == 1 else 4

    chosen: set[str] = set()
    left: list[LeftOut] = []
    used = 0
    for f in sorted(order, key=phase):  # stable: importance order within a phase
        t = tokens[f.path]
        limit = budget + extra if phase(f) < 4 else budget
        if used + t <= limit:
            chosen.add(f.path)
            used += t
        else:
            reason = "over budget (in focus)" if f.path in focus else "over budget"
            left.append(LeftOut(f.path, t, reason))
    left.sort(key=lambda x: x.path)
    return [f for f in files if f.path in chosen], left
