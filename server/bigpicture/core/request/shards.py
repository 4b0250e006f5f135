"""Full coverage (``review --coverage full``): the repository split into shards that each fit
the window, and one request per shard, all with the same cached prefix.

The shard rule:

1. Files are grouped into communities of related files (``Communities``; by default
   ``by_imports``: import-graph communities found by label propagation, each file starting
   in its folder's community (its package) and then, in path order, for up to
   ``PROPAGATION_ROUNDS`` rounds, joining the community most of its import neighbours and
   itself are in (ties: the smallest label). A file with no imports inside the repository
   stays with its package. ``by_directory`` is the package grouping alone.
2. A file larger than a shard's room on its own is left out, with its tokens and the room.
3. A community larger than the room is cut into runs that fit, in path order.
4. Communities are packed first-fit decreasing (largest first; ties by path) into as few
   shards as hold them, none over the room, so related files share a shard and every file is
   in exactly one.
5. Shards are numbered in the order of their first path; files within a shard by path.

Every shard's request is the same prefix — tools, instructions, then one block shared by
every shard (the repository's map: every file sent in some shard, and the diff of a changes
review), behind a cache breakpoint — followed by the shard's files and the shard's closing
request. The first shard writes the shared prefix; the others, sent once its response has
begun, read it. The shard's files carry no breakpoint of their own: writing them would cost
1.25x input (2x with the 1h TTL) on nearly all the tokens for a read that only an identical
repeat within the TTL would make, and an identical repeat is answered by the local result
cache without a request.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import PurePosixPath

import msgspec

from bigpicture.core import pricing
from bigpicture.core.config import Settings
from bigpicture.core.errors import BudgetError, NothingToReview
from bigpicture.core.lines import line_count
from bigpicture.core.models import LeftOut, Segment, Snapshot, SourceFile
from bigpicture.core.registry import BETA_1M, ModelInfo, Registry
from bigpicture.core.request import budget as budgeting
from bigpicture.core.request import graph as graphing
from bigpicture.core.request import layout as cache_layout
from bigpicture.core.request import plan as planning
from bigpicture.core.request import prompt, tokens

Communities = Callable[[list[SourceFile]], list[list[str]]]

RULE = (
    "import-graph communities (label propagation from packages), a community larger than a "
    "shard cut in path order, packed first-fit decreasing into shards that each fit the window"
)
PROPAGATION_ROUNDS = 10


class Shard(msgspec.Struct, frozen=True):
    index: int  # 1-based
    files: list[str]  # in request order
    tokens: int  # the shard's files


class ShardPlan(msgspec.Struct):
    """Every shard and its request plan, the files left out of all of them, and the prefix
    every request shares."""

    kind: str
    root: str
    model: str
    shards: list[Shard]
    plans: list[planning.Plan]  # one per shard, same order
    left_out: list[LeftOut]  # files in no shard (each larger than a shard's room)
    room: int  # tokens a shard's files may take
    prefix_tokens: int  # tools, instructions and the shared block
    prefix_cached: bool  # the prefix is long enough for the model's cache minimum
    rule: str = RULE

    @property
    def input_tokens(self) -> int:
        return sum(p.input_tokens for p in self.plans)


def by_directory(files: list[SourceFile]) -> list[list[str]]:
    """The default communities: the files of each folder (a package) together."""
    groups: dict[str, list[str]] = {}
    for f in files:
        groups.setdefault(str(PurePosixPath(f.path).parent), []).append(f.path)
    return [sorted(g) for _, g in sorted(groups.items())]


def by_imports(files: list[SourceFile]) -> list[list[str]]:
    """Import-graph communities (see the module doc), each sorted, in order of first path."""
    graph = graphing.graph_of(files)
    label = {f.path: str(PurePosixPath(f.path).parent) for f in files}
    for _ in range(PROPAGATION_ROUNDS):
        moved = False
        for path in sorted(label):
            votes: dict[str, int] = {label[path]: 1}
            near = graph.imports.get(path, set()) | graph.imported_by.get(path, set())
            for other in near:
                if other in label:
                    votes[label[other]] = votes.get(label[other], 0) + 1
            best = min(votes, key=lambda lab: (-votes[lab], lab))
            if best != label[path]:
                label[path], moved = best, True
        if not moved:
            break
    groups: dict[str, list[str]] = {}
    for path, lab in label.items():
        groups.setdefault(lab, []).append(path)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])


def partition(
    communities: list[list[str]], sizes: dict[str, int], room: int
) -> tuple[list[list[str]], list[LeftOut]]:
    """Shards of paths, none over ``room`` tokens, every path of ``communities`` in exactly
    one of them or in the left-out list (a file larger than ``room`` on its own)."""
    left_out: list[LeftOut] = []
    pieces: list[list[str]] = []
    for community in communities:
        run: list[str] = []
        used = 0
        for path in sorted(community):
            t = sizes[path]
            if t > room:
                left_out.append(
                    LeftOut(path, t, f"larger than a shard ({t:,} tokens; a shard holds {room:,})")
                )
                continue
            if used + t > room:
                pieces.append(run)
                run, used = [], 0
            run.append(path)
            used += t
        if run:
            pieces.append(run)
    pieces.sort(key=lambda p: (-sum(sizes[x] for x in p), p[0]))
    bins: list[list[str]] = []
    free: list[int] = []
    for piece in pieces:
        t = sum(sizes[x] for x in piece)
        for i, left in enumerate(free):
            if t <= left:
                bins[i].extend(piece)
                free[i] -= t
                break
        else:
            bins.append(list(piece))
            free.append(room - t)
    shards = sorted((sorted(b) for b in bins), key=lambda b: b[0])
    left_out.sort(key=lambda lo: lo.path)
    return shards, left_out


def render_map(files: list[SourceFile], nonce: str) -> str:
    """The block every shard shares: every file reviewed in some shard, with its lines."""
    listing = "".join(f"{json.dumps(f.path)} {line_count(f.text)} lines\n" for f in files)
    return (
        f"<bp-{nonce}-map>\nThe repository's files, every one reviewed whole in one of "
        f"several requests (shards):\n{listing}</bp-{nonce}-map>\n"
    )


def request_text(
    kind: str,
    nonce: str,
    *,
    index: int,
    count: int,
    diff_base: str | None,
    thinking: bool,
    language: str | None = None,
    max_findings: int = 25,
) -> str:
    """The closing request of one shard: the task, what it sees whole, the policy restated."""
    base = prompt.request_text(
        kind,
        nonce,
        focus=[],
        left_out=0,
        diff_base=diff_base,
        thinking=thinking,
        language=language,
        max_findings=max_findings,
    )
    scope = (
        f"This request is shard {index} of {count} of a review that covers every file: the "
        "files inside file delimiters above are the ones you see whole; the other files of "
        "the map are reviewed in other requests. Report findings only in the files you see "
        "whole, never about code you see only by name in the map.\n\n"
    )
    return scope + base


def _room(info: ModelInfo, max_output: int, fixed: int) -> int:
    window = info.context_window
    room = window - max_output - math.ceil(window * budgeting.SAFETY_MARGIN) - fixed
    if room <= 0:
        raise BudgetError(
            f"the prefix every shard shares ({fixed:,} tokens: instructions, the map and the "
            f"diff) does not fit the {window:,}-token window of {info.id}: review a smaller "
            "diff, or leave files out (the `exclude` setting)"
        )
    return room


def _shard_plan(
    snapshot: Snapshot,
    settings: Settings,
    info: ModelInfo,
    *,
    kind: str,
    nonce: str,
    shared: tuple[str, int],
    head: planning.RequestHead,
    shard: Shard,
    count: int,
    sizes: dict[str, int],
    room: int,
) -> planning.Plan:
    ttl, thinking = settings.cacheTtl, settings.thinkingBudget or 0
    max_output = planning.max_output_tokens(settings, info)
    by_path = snapshot.by_path()
    files = [by_path[p] for p in shard.files]
    groups = [
        cache_layout.Group("map (shared by every shard)", shared[0], [], shared[1], ttl),
        cache_layout.group(f"shard {shard.index} of {count}", files, sizes, nonce, None),
    ]
    segments, planned, blocks = planning.segments_of(
        groups, head.head_tokens, info.min_cache_tokens
    )
    diff = snapshot.diff
    request = request_text(
        kind,
        nonce,
        index=shard.index,
        count=count,
        diff_base=diff.base if diff else None,
        thinking=bool(thinking),
        language=settings.language,
        max_findings=settings.maxFindings,
    )
    segments.append(Segment("request", 0, tokens.estimate(request, "doc"), False))
    blocks.append({"type": "text", "text": request})
    input_tokens = sum(s.tokens for s in segments)
    return planning.Plan(
        layout="shards",
        nonce=nonce,
        kind=kind,
        root=snapshot.root,
        model=info.id,
        model_known=info.known,
        files=planned,
        left_out=[],
        skipped=[],
        redactions=[],
        focus=list(snapshot.focus),
        input_tokens=input_tokens,
        window=info.context_window,
        budget=room,
        max_output=max_output,
        segments=segments,
        cost=planning.estimate_cost(info, segments, max_output, thinking, ttl),
        cache_ttl=ttl,
        betas=[BETA_1M] if planning.needs_beta(info, input_tokens) else [],
        diff_base=diff.base if diff else None,
        diff_files=list(diff.files) if diff else [],
        body=planning.body_of(info, max_output, head, blocks, thinking),
    )


def build(
    snapshot: Snapshot,
    settings: Settings,
    *,
    kind: str = "workspace",
    nonce: str,
    registry: Registry | None = None,
    communities: Communities = by_imports,
) -> ShardPlan:
    """The shards of ``snapshot`` and one plan per shard. ``NothingToReview`` when there is no
    file to send; ``BudgetError`` when the shared prefix alone does not fit."""
    registry = registry or Registry(settings.models)
    info, warning = registry.get(settings.model)
    thinking = settings.thinkingBudget or 0
    max_output = planning.checked_max_output(settings, info)
    if not snapshot.files:
        raise planning.nothing_to_send(snapshot)
    sizes = planning.file_tokens(snapshot)
    head = planning.request_head(snapshot, kind, nonce, bool(thinking), 1.0, settings)
    shared_text = render_map(snapshot.files, nonce) + head.diff_text
    shared_tokens = tokens.estimate(shared_text, "source")
    probe = request_text(
        kind,
        nonce,
        index=9999,
        count=9999,
        diff_base="x" * 40,
        thinking=bool(thinking),
        language=settings.language,
        max_findings=settings.maxFindings,
    )
    fixed = head.head_tokens + shared_tokens + tokens.estimate(probe, "doc") + 64
    room = _room(info, max_output, fixed)
    paths, left_out = partition(communities(snapshot.files), sizes, room)
    if not paths:
        raise NothingToReview(
            f"nothing to review: every file is larger than a shard ({room:,} tokens)"
        )
    shards = [Shard(i + 1, files, sum(sizes[p] for p in files)) for i, files in enumerate(paths)]
    plans = [
        _shard_plan(
            snapshot,
            settings,
            info,
            kind=kind,
            nonce=nonce,
            shared=(shared_text, shared_tokens),
            head=head,
            shard=s,
            count=len(shards),
            sizes=sizes,
            room=room,
        )
        for s in shards
    ]
    if warning:
        plans[0].warnings = [warning]
    # what no shard sends is listed once, with the first shard (its result carries it)
    plans[0].left_out = left_out
    plans[0].skipped = list(snapshot.skipped)
    diff = snapshot.diff
    plans[0].redactions = list(snapshot.redactions) + (list(diff.redactions) if diff else [])
    prefix = head.head_tokens + shared_tokens
    return ShardPlan(
        kind=kind,
        root=snapshot.root,
        model=info.id,
        shards=shards,
        plans=plans,
        left_out=left_out,
        room=room,
        prefix_tokens=prefix,
        prefix_cached=prefix >= info.min_cache_tokens,
    )


def estimate(plan: planning.Plan, info: ModelInfo, *, read: int, batch: bool = False) -> float:
    """USD of one shard's request reading ``read`` tokens from the cache and writing the rest
    up to its last breakpoint."""
    cacheable = run = 0
    for s in plan.segments:
        run += s.tokens
        if s.breakpoint:
            cacheable = run
    read = min(read, cacheable)
    return pricing.split_cost(
        info,
        uncached=plan.input_tokens - cacheable,
        written=cacheable - read,
        read=read,
        output=plan.cost.output_tokens_assumed,
        ttl=plan.cache_ttl,
        batch=batch,
    )
