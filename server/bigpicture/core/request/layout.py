"""The layout of the repository in the request, for the prompt cache: the cache base (the
frozen snapshot of the repository) and the generations of changes after it, or, for the replay
benchmark's comparison, recency tiers.

The cache base: the frozen snapshot of the repository that sits in the prompt cache.

A review sends the base (every file as it was when the base was taken, in a fixed order)
first, behind one cache breakpoint, then the files changed since the base with their current
text, then the request. The base's bytes never change until it is re-taken, so every review in
between reads it from the cache; only the changes are written or sent.

The base is re-taken (a "re-snapshot") when:

- there is none yet, or the model, nonce, cache TTL or secret-scan rules changed;
- a file it carries (or a later version of one) is still in the workspace but no longer sent:
  newly excluded, refused or left out to fit, so nothing keeps being sent that should not be
  (a deleted file is only listed as deleted after it);
- its cache entry has lapsed on this machine's record: writing it again costs the same as
  writing a fresh one, so the fresh one (with no changes after it) is taken instead;
- there are ``MAX_GENERATIONS`` generations, the changes reached ``RESNAPSHOT_FRACTION`` of
  the base's tokens, or the base plus the changes no longer fit the budget. The changes are
  counted as sent (a changed file's diff block, not its whole text), and the budget keeps
  room for them (``core.request.budget.CHANGE_SHARE``).

The repository map (``core.request.repomap``), when the repository does not fit whole, is
part of the base: written with it, before its files. A file shown in it whose outline changed
since (or a new file left out) is sent again, as an outline update, in the next generation;
a file in it that is now refused or excluded re-takes the base, like a file sent whole.

Kept per workspace by ``store.cachebase``, with the order of the changed files (the most recently changed last, so an edit invalidates as little of the tail as
possible).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Collection

import msgspec

from bigpicture.core.gather.secrets import rules_fingerprint
from bigpicture.core.models import SourceFile
from bigpicture.core.request import prompt, repomap, tokens
from bigpicture.core.request.outline import Outline
from bigpicture.core.request.repomap import RepoMap

RESNAPSHOT_FRACTION = 1.0


class BaseFile(msgspec.Struct, frozen=True):
    path: str
    text: str
    sha: str
    kind: str
    tokens: int


class Generation(msgspec.Struct):
    """Files changed since the base, as sent at one review: appended, never rewritten, so
    every later review reads it from the cache."""

    seq: int
    text: str  # the block's exact text
    texts: dict[str, str]  # path -> current text as of this generation
    shas: dict[str, str]
    tokens: int
    outlines: dict[str, str] = {}  # path -> outline digest, for the outline updates it sends
    outline_tokens: int = 0  # of ``tokens``, the outline updates'


MAX_GENERATIONS = 12  # beyond this, re-snapshot (the API's lookback is 20 blocks)


class CacheBase(msgspec.Struct):
    id: str
    created: float
    model: str
    nonce: str
    ttl: str
    files: list[BaseFile]  # in request order
    rules: str = ""  # the secret-scan rules' fingerprint the texts were redacted with
    tokens: int = 0
    expires: float = 0.0  # when its cache entry lapses, as far as this machine knows
    seq: int = 0  # bumped at every review sent on this base
    generations: list[Generation] = []
    map_text: str = ""  # the repository map written with the base ("" when none)
    map_tokens: int = 0
    map_digests: dict[str, str] = {}  # path -> outline digest of every file in the map
    ranks: dict[str, float] = {}  # path -> importance when taken (``core.request.budget``)

    def outlines(self) -> dict[str, str]:
        """path -> digest of the latest outline sent on this base, for files in outline only."""
        out = dict(self.map_digests)
        for g in self.generations:
            out.update(g.outlines)
        return out

    def by_path(self) -> dict[str, BaseFile]:
        return {f.path: f for f in self.files}

    def latest(self) -> tuple[dict[str, str], dict[str, str]]:
        """(path -> sha, path -> text) of the latest version of each file sent on this base."""
        shas = {f.path: f.sha for f in self.files}
        texts = {f.path: f.text for f in self.files}
        for g in self.generations:
            shas.update(g.shas)
            texts.update(g.texts)
        return shas, texts

    @property
    def changes_tokens(self) -> int:
        return sum(g.tokens for g in self.generations)


def new_base(
    files: list[SourceFile],
    file_tokens: dict[str, int],
    *,
    model: str,
    nonce: str,
    ttl: str,
    now: float | None = None,
    repo_map: RepoMap | None = None,
    ranks: dict[str, float] | None = None,
) -> CacheBase:
    ordered = sorted(files, key=lambda f: (f.last_change or 2**62, f.path))
    h = hashlib.sha256()
    for f in ordered:
        h.update(f.path.encode("utf-8", "surrogatepass") + b"\0" + f.sha.encode() + b"\0")
    return CacheBase(
        id=h.hexdigest()[:16],
        created=now or time.time(),
        model=model,
        nonce=nonce,
        ttl=ttl,
        files=[BaseFile(f.path, f.text, f.sha, f.kind, file_tokens[f.path]) for f in ordered],
        rules=rules_fingerprint(),
        tokens=sum(file_tokens[f.path] for f in ordered),
        map_text=repo_map.text if repo_map else "",
        map_tokens=repo_map.tokens if repo_map else 0,
        map_digests=dict(repo_map.digests) if repo_map else {},
        ranks={f.path: ranks[f.path] for f in ordered if f.path in ranks} if ranks else {},
    )


TTL_SECONDS = {"5m": 300, "1h": 3600}


def note_sent(
    base: CacheBase, generation: Generation | None, now: float | None = None
) -> CacheBase:
    """Record a review sent on ``base`` with its new generation of changes, if any: its cache
    entry is fresh again."""
    base.expires = (now or time.time()) + TTL_SECONDS.get(base.ttl, 300)
    base.seq += 1
    if generation is not None:
        base.generations = [*base.generations, generation]
    return base


TIER_SPLITS = (0.6, 0.85)  # cumulative token fractions ending tier 1 and tier 2


class Group(msgspec.Struct):
    name: str
    text: str
    files: list[tuple[str, int, str, int]]  # path, tokens, kind, last change
    tokens: int
    ttl: str | None  # a cache breakpoint is wanted after this group, with this TTL


def group(
    name: str,
    files: list[SourceFile],
    file_tokens: dict[str, int],
    nonce: str,
    ttl: str | None,
    version: str | None = None,
) -> Group:
    return Group(
        name=name,
        text="".join(prompt.render_file(f, nonce, version=version) for f in files),
        files=[(f.path, file_tokens[f.path], f.kind, f.last_change) for f in files],
        tokens=sum(file_tokens[f.path] for f in files),
        ttl=ttl,
    )


def layout_tiers(
    chosen: list[SourceFile], file_tokens: dict[str, int], nonce: str, ttl: str
) -> list[Group]:
    """Recency tiers: committed files changed longest ago first, in up to three tiers cut on
    the order of last commits (dirty files counted at their committed place, so a file
    becoming dirty moves no boundary), then the dirty files."""
    ordered = sorted(chosen, key=lambda f: (f.last_change or 2**62, f.path))
    total = sum(file_tokens[f.path] for f in ordered)
    tiers: list[list[SourceFile]] = [[], [], []]
    uncommitted: list[SourceFile] = []
    acc = 0
    for f in ordered:
        t = file_tokens[f.path]
        frac = (acc + t / 2) / total if total else 1.0
        acc += t
        if f.dirty or not f.last_change:
            uncommitted.append(f)
            continue
        idx = 0 if frac <= TIER_SPLITS[0] else 1 if frac <= TIER_SPLITS[1] else 2
        tiers[idx].append(f)
    uncommitted.sort(key=lambda f: f.path)
    groups = []
    for i, tier in enumerate(tiers):
        if tier:
            label = " (changed longest ago)" if i == 0 else ""
            groups.append(group(f"repository tier {i + 1}{label}", tier, file_tokens, nonce, ttl))
    if uncommitted:
        groups.append(group("uncommitted files", uncommitted, file_tokens, nonce, ttl))
    return groups


_RENDERED: dict[tuple[str, str], str] = {}  # (base id, nonce) -> the base block's text


def _base_text(base: CacheBase, nonce: str) -> str:
    key = (base.id, nonce)
    text = _RENDERED.get(key)
    if text is None:
        if len(_RENDERED) > 4:
            _RENDERED.clear()
        text = "".join(
            prompt.render_file(
                SourceFile(path=b.path, text=b.text, sha=b.sha, size=0, kind=b.kind), nonce
            )
            for b in base.files
        )
        _RENDERED[key] = text
    return text


class MapState(msgspec.Struct):
    """The repository map of this plan, with the outlines it was built from."""

    repo_map: RepoMap
    outlines: dict[str, Outline]
    left: dict[str, SourceFile]  # the files not sent whole
    scores: dict[str, float] = {}  # path -> importance (``core.request.graph.rank``)
    budget: int = 0  # the map's share of the window: its updates share it with it


def _usable(base: CacheBase | None, model: str, nonce: str, ttl: str, now: float) -> bool:
    return (
        base is not None
        and (base.model, base.nonce, base.ttl, base.rules)
        == (model, nonce, ttl, rules_fingerprint())
        and base.expires > now
        and len(base.generations) < MAX_GENERATIONS
    )


def _changes_text(
    fresh: list[SourceFile],
    latest_text: dict[str, str],
    updates: list[SourceFile],
    maps: MapState | None,
    nonce: str,
) -> str:
    text = "".join(prompt.render_changed(f, latest_text.get(f.path), nonce) for f in fresh)
    if updates and maps is not None:
        text += repomap.render_updates(updates, maps.outlines, nonce)
    return text


def _outline_updates(
    base: CacheBase, maps: MapState | None, sent: dict[str, str]
) -> list[SourceFile]:
    """Files shown in outline whose outline is not the one the base (or a generation) sent,
    the most important first while they fit the map's share with the map and earlier updates
    (the others wait for the next base)."""
    if maps is None:
        return []
    known = base.outlines()
    room = maps.budget - base.map_tokens - sum(g.outline_tokens for g in base.generations)
    out = []
    for p, f in maps.left.items():  # in importance order
        digest = maps.repo_map.digests.get(p)
        if digest is None or p in sent or known.get(p) == digest:
            continue
        cost = tokens.estimate(repomap.full_entry(p, maps.outlines[p], f.size), "source")
        if cost <= room:
            out.append(f)
            room -= cost
    return sorted(out, key=lambda f: f.path)


def layout_snapshot(
    chosen: list[SourceFile],
    file_tokens: dict[str, int],
    base: CacheBase | None,
    room: int,
    *,
    nonce: str,
    ttl: str,
    model: str,
    now: float | None,
    present: set[str],
    refused: Collection[str] = (),
    maps: MapState | None = None,
) -> tuple[list[Group], CacheBase | None, Generation | None, list[str]]:
    """The cache base (frozen, with the repository map), the generations of changes already
    sent on it (append-only), then a new generation with what changed since the last one; and
    the files deleted since the base (``present``: every path the gather saw, sent or not;
    ``refused``: those it saw and will not send)."""
    now = now or time.time()
    new = None
    fresh: list[SourceFile] = []
    updates: list[SourceFile] = []
    deleted: list[str] = []
    latest_text: dict[str, str] = {}
    chosen_paths = {f.path for f in chosen}
    text = ""
    if base is not None and _usable(base, model, nonce, ttl, now):
        latest_sha, latest_text = base.latest()
        in_outline = base.outlines()
        fresh = sorted((f for f in chosen if latest_sha.get(f.path) != f.sha), key=lambda f: f.path)
        updates = _outline_updates(base, maps, latest_sha)
        deleted = sorted(p for p in set(latest_sha) | set(in_outline) if p not in present)
        text = _changes_text(fresh, latest_text, updates, maps, nonce)
        changes = base.changes_tokens + (tokens.estimate(text, "source") if text else 0)
        if (
            # a file still there but newly excluded, refused or left out to fit must not go
            # on being sent (a deleted one is only listed as deleted)
            any(p in present and p not in chosen_paths for p in latest_sha)
            or any(p in refused for p in in_outline)
            or changes > RESNAPSHOT_FRACTION * max(base.tokens, 1)
            or base.tokens + base.map_tokens + changes > room
        ):
            base = None
    else:
        base = None
    if base is None:
        base = new = new_base(
            chosen,
            file_tokens,
            model=model,
            nonce=nonce,
            ttl=ttl,
            now=now,
            repo_map=maps.repo_map if maps else None,
            ranks=maps.scores if maps else None,
        )
        fresh, updates, deleted, text = [], [], [], ""
    groups = _snapshot_groups(base, chosen, file_tokens, fresh, updates, text, nonce, ttl)
    return groups, new, _generation(base, fresh, updates, text, maps), deleted


def _generation(
    base: CacheBase,
    fresh: list[SourceFile],
    updates: list[SourceFile],
    text: str,
    maps: MapState | None,
) -> Generation | None:
    if not text:
        return None
    return Generation(
        seq=base.seq + 1,
        text=text,
        texts={f.path: f.text for f in fresh},
        shas={f.path: f.sha for f in fresh},
        tokens=tokens.estimate(text, "source"),
        outlines={f.path: maps.outlines[f.path].digest for f in updates} if maps else {},
        outline_tokens=(
            tokens.estimate(repomap.render_updates(updates, maps.outlines, base.nonce), "source")
            if maps and updates
            else 0
        ),
    )


def _snapshot_groups(
    base: CacheBase,
    chosen: list[SourceFile],
    file_tokens: dict[str, int],
    fresh: list[SourceFile],
    updates: list[SourceFile],
    text: str,
    nonce: str,
    ttl: str,
) -> list[Group]:
    current = {f.path: f for f in chosen}
    fresh_paths = {f.path for f in fresh}

    def is_current(path: str, sha: str) -> bool:
        f = current.get(path)
        return f is not None and f.sha == sha and path not in fresh_paths

    superseded = {p for g in base.generations for p in g.shas}
    in_map = f", with the map of {len(base.map_digests)} files" if base.map_text else ""
    groups = [
        Group(
            name=f"repository snapshot {base.id[:8]}{in_map}",
            text=base.map_text + _base_text(base, nonce),
            files=[
                (b.path, b.tokens, b.kind, 0)
                for b in base.files
                if b.path not in superseded and is_current(b.path, b.sha)
            ],
            tokens=base.tokens + base.map_tokens,
            ttl=ttl,
        )
    ]
    blocks = []
    for i, g in enumerate(base.generations):
        later = {p for h in base.generations[i + 1 :] for p in h.shas}
        files = [
            (p, file_tokens.get(p, 0), current[p].kind, current[p].last_change)
            for p, sha in sorted(g.shas.items())
            if p not in later and is_current(p, sha)
        ]
        blocks.append((f"changes sent at review {g.seq}", g.text, files, g.tokens))
    if text:
        name = "changes since the last review"
        if updates:
            name += f" ({len(updates)} outline updates)"
        files = [(f.path, file_tokens[f.path], f.kind, f.last_change) for f in fresh]
        blocks.append((name, text, files, tokens.estimate(text, "source")))
    for i, (name, btext, bfiles, tok) in enumerate(blocks):
        # breakpoints end the three newest generations; older ones are read through them
        want = "5m" if i >= len(blocks) - 3 else None
        groups.append(Group(name=name, text=btext, files=bfiles, tokens=tok, ttl=want))
    return groups
