"""The repository map: an outline of every file that is not sent whole, so the model knows
the whole repository's shape (every path, its definitions and imports) even when the window
holds only part of its text.

Size: the map gets ``MAP_SHARE`` (12%) of the context window, reserved from the room for
files only when the repository does not fit whole (a repository that fits has no map). The
map written with the cache base fills at most 90% of it; the rest (``UPDATE_SHARE``) is for
the outline updates sent after it, the most important first (those that do not fit wait for
the next base).

Trimming, by importance: every file not sent whole gets at least one line (its path, with a
rounded size when its language has no grammar, or the number of definitions left out).
Then, in the order of importance the selection uses (``core.request.budget``: priority class,
then PageRank, then path), each file's line is replaced by its full outline (imports and
definitions with signatures) while the share allows. If even the path lines do not fit, the
least important files are counted in a last line instead of listed.

Stability: an entry holds no line numbers and no exact sizes, so it changes only when the
file's definitions or imports do (``Outline.digest``). The map is part of the cache base
(``core.request.layout``): it is written once with the base, and a file whose outline changed
since is sent again, as an outline update, in the generation of changes after it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence

import msgspec

from bigpicture.core.models import SourceFile
from bigpicture.core.request import tokens
from bigpicture.core.request.outline import Outline

MAP_SHARE = 0.12  # of the context window, for the map
UPDATE_SHARE = 0.1  # of the map's share, left for the outline updates sent after the base
MAX_IMPORTS_SHOWN = 40


class RepoMap(msgspec.Struct):
    text: str  # the map block, "" when no file is left out
    tokens: int
    digests: dict[str, str]  # path -> outline digest, for every file the map lists
    outlined: int = 0  # files shown with their full outline
    listed: int = 0  # files shown by path only
    unlisted: int = 0  # files only counted (not even their path fits)


def _size(n: int) -> str:
    """A size rounded to two significant figures (stable across small edits)."""
    kb = n / 1024
    if kb < 1:
        return "<1 KB"
    mag = 10 ** max(0, int(math.log10(kb)) - 1)
    return f"~{round(kb / mag) * mag} KB"


def _shown_imports(specs: Sequence[str]) -> list[str]:
    """Imports as modules: ``pkg.mod.Name`` is not shown beside ``pkg.mod``."""
    s = set(specs)
    out = [x for x in sorted(s) if not (("." in x.strip(".")) and x.rsplit(".", 1)[0] in s)]
    return out


def path_line(path: str, o: Outline, size: int) -> str:
    if not o.lang:
        return f"{json.dumps(path)} ({_size(size)}, no outline)\n"
    n = sum(1 for d in o.defs if not d.startswith("  "))
    return f"{json.dumps(path)} ({n} top-level definitions, outline left out)\n"


def full_entry(path: str, o: Outline, size: int) -> str:
    if not o.lang:
        return path_line(path, o, size)
    lines = [json.dumps(path)]
    shown = _shown_imports(o.imports)
    if shown:
        more = len(shown) - MAX_IMPORTS_SHOWN
        lines.append(
            "  imports: "
            + ", ".join(shown[:MAX_IMPORTS_SHOWN])
            + (f", ... {more} more" if more > 0 else "")
        )
    lines += ["  " + d for d in o.defs]
    return "\n".join(lines) + "\n"


def _frame(nonce: str, body: str, files: int, version: str | None = None) -> str:
    extra = f' version="{version}"' if version else ""
    intro = (
        "Outline of files NOT sent whole: their path, imports and definition headers only "
        "(no bodies). Do not report findings about code you see only here."
    )
    return f'<bp-{nonce}-map files="{files}"{extra}>\n{intro}\n{body}</bp-{nonce}-map>\n'


def build(
    left: Sequence[SourceFile],
    outlines: Mapping[str, Outline],
    budget: int,
    nonce: str,
) -> RepoMap:
    """The map of ``left`` (the files not sent whole, most important first) within
    ``budget`` tokens, trimmed by the rule in the module doc."""
    if not left:
        return RepoMap("", 0, {})
    frame = tokens.estimate(_frame(nonce, "", len(left)), "doc")
    short = [path_line(f.path, outlines[f.path], f.size) for f in left]
    cost = [tokens.estimate(s, "source") for s in short]
    room = budget - frame
    listed = len(left)
    while listed and sum(cost[:listed]) > room:  # even the paths do not fit
        listed = max(0, listed - max(1, (listed // 20)))
    room -= sum(cost[:listed])
    entries = list(short[:listed])
    outlined = 0
    for i in range(listed):
        f = left[i]
        o = outlines[f.path]
        if not o.lang:
            continue
        full = full_entry(f.path, o, f.size)
        extra = tokens.estimate(full, "source") - cost[i]
        if extra <= room:
            entries[i] = full
            room -= extra
            outlined += 1
    order = sorted(range(listed), key=lambda i: left[i].path)
    body = "".join(entries[i] for i in order)
    unlisted = len(left) - listed
    if unlisted:
        body += f"... and {unlisted} less important files not listed\n"
    text = _frame(nonce, body, len(left))
    return RepoMap(
        text=text,
        tokens=math.ceil(tokens.estimate(text, "source")),
        digests={f.path: outlines[f.path].digest for f in left[:listed]},
        outlined=outlined,
        listed=listed - outlined,
        unlisted=unlisted,
    )


def render_updates(files: Sequence[SourceFile], outlines: Mapping[str, Outline], nonce: str) -> str:
    """Outlines changed since the map in the cache base was written (a later occurrence of a
    path is the current one)."""
    if not files:
        return ""
    body = "".join(full_entry(f.path, outlines[f.path], f.size) for f in files)
    return _frame(nonce, body, len(files), version="current")
