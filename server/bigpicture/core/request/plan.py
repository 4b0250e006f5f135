"""The plan of a review: what is sent, in which order, with which cache breakpoints, at what
cost — and the exact request body, built as data (sending it is the client layer's job).

The plan is pure and deterministic: the same snapshot, settings and nonce give a
byte-identical body.

Layouts (the cache is a prefix cache: a change invalidates its block and everything after):

- ``snapshot`` (the default): tools and instructions; the cache base, a frozen snapshot of
  the repository behind one breakpoint; the generations of changes sent since, append-only;
  then the volatile part (the diff of a changes review and the request, with the policy
  restated after the data). See ``core.request.layout`` for when the base is re-taken.
- ``tiers``: committed files changed longest ago first, in up to three tiers ending in
  breakpoints, then the uncommitted files. Kept, with ``naive`` (path order, one breakpoint),
  for the replay benchmark's comparison.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

import msgspec

from bigpicture.core import pricing
from bigpicture.core.config import Settings
from bigpicture.core.errors import BudgetError, NothingToReview
from bigpicture.core.models import (
    ChangedFile,
    CostEstimate,
    LeftOut,
    Policy,
    Redaction,
    Segment,
    Skipped,
    Snapshot,
    SourceFile,
)
from bigpicture.core.registry import BETA_1M, ModelInfo, Registry
from bigpicture.core.reply.findings import tool_definition
from bigpicture.core.request import budget as budgeting
from bigpicture.core.request import graph as import_graph
from bigpicture.core.request import layout as cache_layout
from bigpicture.core.request import outline as outlining
from bigpicture.core.request import prompt, repomap, tokens
from bigpicture.core.request import verify as verification

MAX_BREAKPOINTS = 4
TOOL_OVERHEAD = {"forced": 313, "auto": 346}  # tokens the API adds for tool use (section 3.2)
ASSUMED_OUTPUT = 4000  # output tokens a review is assumed to write, for estimates
BETA_MARGIN = 0.15  # the 1M beta header is sent from 15% under the standard window


class PlannedFile(msgspec.Struct, frozen=True):
    path: str
    tokens: int
    kind: str
    segment: int  # index into Plan.segments
    last_change: int = 0


class Plan(msgspec.Struct):
    kind: str  # workspace | changes | file
    root: str
    model: str
    model_known: bool
    files: list[PlannedFile]  # in request order
    left_out: list[LeftOut]
    skipped: list[Skipped]
    redactions: list[Redaction]
    focus: list[str]
    input_tokens: int  # estimate of the whole input (system, tools, messages)
    window: int
    budget: int  # tokens available for repository files
    max_output: int
    segments: list[Segment]
    cost: CostEstimate
    cache_ttl: str
    betas: list[str] = []
    warnings: list[str] = []
    diff_base: str | None = None
    diff_files: list[ChangedFile] = []
    policy: Policy | None = None  # the team's policy in force (``core.gather.policy``)
    exact_input_tokens: int | None = None  # from count_tokens, when asked
    layout: str = "snapshot"
    nonce: str = ""  # the delimiter nonce of this request
    body: dict[str, Any] = {}
    cache_base: Any = None  # the CacheBase this plan sends (new or reused); not in JSON output
    cache_generation: Any = None  # the new Generation of changes this plan appends, if any

    def sent_texts(self, snapshot: Snapshot) -> dict[str, str]:
        """The exact text of every file in the request (what anchoring searches), and of the
        changed files of a changes review, whose changes the diff carries even when the file
        is shown only in the repository map (when read). Raises ValueError when ``snapshot``
        only lists one of the files sent (a lazy gather's, not read)."""
        by_path = snapshot.by_path()
        out: dict[str, str] = {}
        for f in self.files:
            got = by_path.get(f.path)
            if got is None:
                continue
            if not got.loaded:
                raise ValueError(f"{f.path} is not read in this snapshot: plan it first")
            out[f.path] = got.text
        for path in self.focus if self.diff_base else []:
            got = by_path.get(path)
            if got is not None and got.loaded:
                out.setdefault(path, got.text)
        return out


def _json_tokens(obj: Any) -> int:
    return tokens.estimate(json.dumps(obj, sort_keys=True), "config")


def max_output_tokens(settings: Settings, info: ModelInfo) -> int:
    want = settings.maxOutputTokens + (settings.thinkingBudget or 0)
    return min(want, info.max_output)


def file_tokens(snapshot: Snapshot, token_scale: float = 1.0) -> dict[str, int]:
    """Each file's estimated tokens in the request: its text and its framing (for a file not
    read yet, its estimate from its size: ``tokens.from_size``)."""
    return {f.path: _tokens_of(f, token_scale) for f in snapshot.files}


def _tokens_of(f: SourceFile, scale: float) -> int:
    if not f.loaded:
        return math.ceil(tokens.from_size(f.size, f.kind) * scale) + tokens.framing(f.path, f.size)
    nbytes = f.size if f.encoding == "utf-8" and not f.redactions else None
    return math.ceil(tokens.estimate(f.text, f.kind, nbytes) * scale) + tokens.framing(
        f.path, len(f.text)
    )


class OutlinesNeeded(Exception):
    """The workspace does not fit and the map needs the outlines of files a lazy gather only
    listed: the caller reads them (``app.listed``) and passes ``outlines`` to ``build``."""


class NotLoaded(Exception):
    """The budget chose files a lazy gather has only listed: they must be read and scanned
    (``core.gather.gather.load``) and the plan built again. Nothing unscanned is sent."""

    def __init__(self, paths: list[str]) -> None:
        super().__init__(f"{len(paths)} chosen files are not read yet")
        self.paths = paths


class RequestHead(msgspec.Struct):
    """The parts of the request that do not depend on which files are chosen."""

    system: str
    policy: str  # the team's policy block ("" when none): the second system block
    tool: dict[str, Any]
    diff_text: str
    head_tokens: int  # system, tools and the API's tool-use overhead
    fixed_tokens: int  # the head, the diff, the closing request and message framing


def request_head(
    snapshot: Snapshot, kind: str, nonce: str, thinking: bool, scale: float, settings: Settings
) -> RequestHead:
    tool = tool_definition()
    system = prompt.system_prompt(nonce)
    policy = prompt.policy_text(snapshot.policy, nonce)
    diff = snapshot.diff
    diff_text = prompt.render_diff(diff.patch, nonce, diff.base) if diff else ""
    # the request text's length barely depends on its numbers; estimate it once
    probe = prompt.request_text(
        kind,
        nonce,
        focus=snapshot.focus,
        left_out=99999,
        diff_base="x" * 40,
        thinking=thinking,
        language=settings.language,
        max_findings=settings.maxFindings,
    )
    head = (
        tokens.estimate(system, "doc")
        + (tokens.estimate(policy, "doc") if policy else 0)
        + _json_tokens(tool)
        + TOOL_OVERHEAD["auto" if thinking else "forced"]
    )
    fixed = (
        head
        + math.ceil(tokens.estimate(diff_text, "source") * scale)
        + tokens.estimate(probe, "doc")
        + 64  # message framing
    )
    return RequestHead(system, policy, tool, diff_text, head, fixed)


def _room(info: ModelInfo, max_output: int, head: RequestHead) -> int:
    """Tokens left for repository files; ``BudgetError`` when there are none."""
    window = info.context_window
    room = window - max_output - math.ceil(window * budgeting.SAFETY_MARGIN) - head.fixed_tokens
    if room > 0:
        return room
    diff = bool(head.diff_text)
    raise BudgetError(
        f"the request's fixed part ({head.fixed_tokens} tokens"
        + (", most of it the diff" if diff else "")
        + f") does not fit the {window}-token window of {info.id}"
        + (
            ": review a smaller diff (against a closer base: the `baseBranch` setting)"
            if diff
            else ""
        )
    )


def _groups(
    layout_name: str,
    chosen: list[SourceFile],
    sizes: dict[str, int],
    base: cache_layout.CacheBase | None,
    room: int,
    *,
    snapshot: Snapshot,
    nonce: str,
    ttl: str,
    model: str,
    now: float | None,
    maps: cache_layout.MapState | None = None,
) -> tuple[
    list[cache_layout.Group],
    cache_layout.CacheBase | None,
    cache_layout.Generation | None,
    list[str],
]:
    if layout_name == "snapshot":
        return cache_layout.layout_snapshot(
            chosen,
            sizes,
            base,
            room,
            nonce=nonce,
            ttl=ttl,
            model=model,
            now=now,
            present={f.path for f in snapshot.files} | {s.path for s in snapshot.skipped},
            refused={s.path for s in snapshot.skipped},
            maps=maps,
        )
    head = [_map_group(maps)] if maps else []
    if layout_name == "naive":
        ordered = sorted(chosen, key=lambda f: f.path)
        return (
            [*head, cache_layout.group("repository (path order)", ordered, sizes, nonce, "5m")],
            None,
            None,
            [],
        )
    return [*head, *cache_layout.layout_tiers(chosen, sizes, nonce, ttl)], None, None, []


def _map_group(maps: cache_layout.MapState) -> cache_layout.Group:
    m = maps.repo_map
    return cache_layout.Group("repository map", m.text, [], m.tokens, None)


class _Choice(msgspec.Struct):
    chosen: list[SourceFile]
    left_out: list[LeftOut]
    maps: cache_layout.MapState | None = None


_RANKED: dict[bytes, tuple[import_graph.ImportGraph, dict[str, float]]] = {}


def _ranked(
    imports: dict[str, list[str]],
) -> tuple[import_graph.ImportGraph, dict[str, float]]:
    """The import graph and its ranks, remembered for the same imports (the last one only):
    a lazy gather's plan is built in rounds over the same files (``app.prepare.plan_for``)."""
    h = hashlib.sha256()
    for path, specs in imports.items():
        h.update(path.encode("utf-8", "surrogatepass") + b"\0")
        h.update("\1".join(specs).encode("utf-8", "surrogatepass") + b"\2")
    key = h.digest()
    got = _RANKED.get(key)
    if got is None:
        graph = import_graph.build_graph(imports)
        got = (graph, import_graph.rank(graph))
        _RANKED.clear()
        _RANKED[key] = got
    return got


def _choose(
    snapshot: Snapshot,
    sizes: dict[str, int],
    room: int,
    window: int,
    base: cache_layout.CacheBase | None,
    nonce: str,
    cache: outlining.OutlineCache | None,
    kind: str,
    given: Mapping[str, outlining.Outline] | None = None,
) -> _Choice:
    """The files sent whole and the map of the others (``core.request.budget`` and
    ``core.request.repomap``): everything when it fits, else by importance, keeping room for
    the map and for the changes after the cache base. ``given``: the outlines of files only
    listed (a lazy gather's), which their empty text cannot give."""
    if sum(sizes.values()) <= room:
        return _Choice(list(snapshot.files), [])
    if given is None and any(not f.loaded for f in snapshot.files):
        raise OutlinesNeeded()
    given = given or {}
    parsed = outlining.outlines([f for f in snapshot.files if f.loaded], cache)
    outlines = {
        f.path: parsed[f.path] if f.loaded else given.get(f.path, outlining.NO_OUTLINE)
        for f in snapshot.files
    }
    graph, scores = _ranked({p: o.imports for p, o in outlines.items()})
    related = import_graph.neighbours(graph, snapshot.focus)
    map_budget = math.ceil(repomap.MAP_SHARE * window)
    extra = math.ceil(budgeting.CHANGE_SHARE * room)

    def select(keep: bool) -> tuple[list[SourceFile], list[LeftOut]]:
        return budgeting.select(
            snapshot.files,
            sizes,
            max(room - map_budget - extra, 0),
            snapshot.focus,
            related=related,
            scores=scores,
            previous={b.path: base.ranks.get(b.path, 0.0) for b in base.files}
            if keep and base
            else (),
            sent_since=[p for g in base.generations for p in g.shas] if keep and base else (),
            extra=extra,
        )

    chosen, left_out = select(base is not None)
    if kind == "file" and base is not None and {lo.path for lo in left_out} & set(snapshot.focus):
        chosen, left_out = select(False)  # the file under review comes before the base
    sent = {f.path for f in chosen}
    left = budgeting.importance_order(
        [f for f in snapshot.files if f.path not in sent], snapshot.focus, related, scores
    )
    repo_map = repomap.build(
        left, outlines, math.floor(map_budget * (1 - repomap.UPDATE_SHARE)), nonce
    )
    maps = cache_layout.MapState(
        repo_map, outlines, {f.path: f for f in left}, scores, budget=map_budget
    )
    return _Choice(chosen, left_out, maps)


def segments_of(
    groups: list[cache_layout.Group], head_tokens: int, min_cache_tokens: int
) -> tuple[list[Segment], list[PlannedFile], list[dict[str, Any]]]:
    """The segments, files and content blocks of the repository part, with cache breakpoints
    where a group asks for one (at most ``MAX_BREAKPOINTS``; never on an empty block)."""
    segments = [Segment("instructions and findings schema", 0, head_tokens, False)]
    planned: list[PlannedFile] = []
    blocks: list[dict[str, Any]] = []
    cumulative = head_tokens
    breakpoints = 0
    for g in groups:
        if not g.text:
            continue  # the API refuses an empty text block (and a breakpoint on one)
        cumulative += g.tokens
        cached = (
            g.ttl is not None and cumulative >= min_cache_tokens and breakpoints < MAX_BREAKPOINTS
        )
        breakpoints += cached
        seg_index = len(segments)
        segments.append(Segment(g.name, len(g.files), g.tokens, cached, g.ttl if cached else None))
        block: dict[str, Any] = {"type": "text", "text": g.text}
        if cached:
            block["cache_control"] = {"type": "ephemeral", "ttl": g.ttl}
        blocks.append(block)
        planned.extend(PlannedFile(path, t, k, seg_index, last) for path, t, k, last in g.files)
    return segments, planned, blocks


def body_of(
    info: ModelInfo, max_output: int, head: RequestHead, blocks: list[dict[str, Any]], thinking: int
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": info.id,
        "max_tokens": max_output,
        "system": [{"type": "text", "text": head.system}]
        + ([{"type": "text", "text": head.policy}] if head.policy else []),
        "tools": [head.tool],
        "messages": [{"role": "user", "content": blocks}],
    }
    if thinking:
        body["thinking"] = {"type": "enabled", "budget_tokens": thinking}
        body["tool_choice"] = {"type": "auto"}
    else:
        body["tool_choice"] = {"type": "tool", "name": head.tool["name"]}
    return body


def estimate_cost(
    info: ModelInfo, segments: list[Segment], max_output: int, thinking: int, ttl: str
) -> CostEstimate:
    input_tokens = sum(s.tokens for s in segments)
    cached_upto = run = 0
    for s in segments:
        run += s.tokens
        if s.breakpoint:
            cached_upto = run
    output = min(ASSUMED_OUTPUT + thinking, max_output)
    uncached = input_tokens - cached_upto

    def est(written: int, read: int, unc: int, batch: bool = False) -> float:
        return pricing.split_cost(
            info, uncached=unc, written=written, read=read, output=output, ttl=ttl, batch=batch
        )

    return CostEstimate(
        first=est(cached_upto, 0, uncached),
        repeat=est(0, cached_upto, uncached),
        no_cache=est(0, 0, input_tokens),
        batch_first=est(cached_upto, 0, uncached, True),
        batch_repeat=est(0, cached_upto, uncached, True),
        tier=pricing.rates(info, input_tokens).tier,
        output_tokens_assumed=output,
        verify=pricing.split_cost(
            info,
            uncached=uncached + verification.ASSUMED_FINDINGS * verification.ASSUMED_FINDING_TOKENS,
            written=0,
            read=cached_upto,
            output=verification.ASSUMED_OUTPUT,
            ttl=ttl,
        ),
    )


def needs_beta(info: ModelInfo, input_tokens: int) -> bool:
    """Whether to send the 1M beta header: decided on the estimate with a margin
    (``BETA_MARGIN``), because the API's count can exceed the local estimate, and an input
    really over the standard window without the header is refused."""
    return info.needs_beta(math.ceil(input_tokens * (1 + BETA_MARGIN)))


def nothing_to_send(snapshot: Snapshot) -> NothingToReview:
    never = len(snapshot.skipped)
    why = f" ({never} files are never sent: see the plan)" if never else ""
    return NothingToReview(f"nothing to review: the workspace has no file that can be sent{why}")


def checked_max_output(settings: Settings, info: ModelInfo) -> int:
    max_output = max_output_tokens(settings, info)
    thinking = settings.thinkingBudget or 0
    if thinking and thinking >= max_output:
        raise BudgetError(
            f"thinking budget {thinking} leaves no room for the findings within the model's "
            f"{info.max_output} output tokens; lower the `thinkingBudget` setting"
        )
    return max_output


def _check_fits(choice: _Choice, snapshot: Snapshot, kind: str, info: ModelInfo, room: int) -> None:
    not_read = [f.path for f in choice.chosen if not f.loaded]
    if not_read:
        raise NotLoaded(not_read)
    left_out = choice.left_out
    missing_focus = [lo.path for lo in left_out if lo.path in set(snapshot.focus)]
    if missing_focus and kind == "file":
        raise BudgetError(f"{missing_focus[0]} alone does not fit the context window")
    if not choice.chosen and snapshot.diff is None:
        smallest = min(left_out, key=lambda lo: lo.tokens)
        listed_only = {f.path for f in snapshot.files if not f.loaded}
        unread = [lo for lo in left_out if lo.path in listed_only]
        if unread:  # its size-based estimate may overstate it: read the smallest, try again
            raise NotLoaded([min(unread, key=lambda lo: lo.tokens).path])
        raise BudgetError(
            f"no file fits the {info.context_window:,}-token window of {info.id}: the smallest, "
            f"{smallest.path}, needs about {smallest.tokens:,} tokens and there is room for "
            f"{room:,}; choose a model with a larger window (the `model` setting) or leave "
            "large files out (the `exclude` setting)"
        )


def _volatile(
    snapshot: Snapshot,
    kind: str,
    nonce: str,
    head: RequestHead,
    deleted: list[str],
    choice: _Choice,
    thinking: bool,
    settings: Settings,
) -> tuple[Segment, dict[str, Any]]:
    """The uncached last block: deleted files, the diff, and the closing request (with the
    cap on findings and the language)."""
    diff = snapshot.diff
    diff_text = (prompt.render_deleted(deleted, nonce) if deleted else "") + head.diff_text
    request = prompt.request_text(
        kind,
        nonce,
        focus=snapshot.focus,
        left_out=len(choice.left_out),
        diff_base=diff.base if diff else None,
        thinking=thinking,
        in_map=choice.maps is not None,
        language=settings.language,
        max_findings=settings.maxFindings,
    )
    volatile = diff_text + ("\n" if diff_text else "") + request
    segment = Segment(
        "changes and request" if diff_text else "request",
        len(diff.files) if diff else 0,
        tokens.estimate(volatile, "source"),
        False,
    )
    return segment, {"type": "text", "text": volatile}


def build(
    snapshot: Snapshot,
    settings: Settings,
    *,
    kind: str = "workspace",
    nonce: str,
    registry: Registry | None = None,
    token_scale: float = 1.0,
    layout: str = "snapshot",
    base: cache_layout.CacheBase | None = None,
    now: float | None = None,
    outline_cache: outlining.OutlineCache | None = None,
    outlines: Mapping[str, outlining.Outline] | None = None,
) -> Plan:
    """Plan a review of ``snapshot``. Raises ``BudgetError`` when nothing sensible fits, and
    ``NothingToReview`` when there is nothing to send at all.

    ``layout``: ``snapshot`` (the default: the cache base, then the changes since it),
    ``tiers`` (recency tiers) or ``naive`` (path order, one breakpoint), the last two kept for
    the replay benchmark's comparison. ``base`` is the workspace's current cache base, if any;
    ``outline_cache`` the outlines already parsed; ``outlines`` those of files only listed
    (``app.listed``). ``OutlinesNeeded`` and ``NotLoaded``: see ``app.prepare.plan_for``.
    """
    registry = registry or Registry(settings.models)
    info, warning = registry.get(settings.model)
    ttl, thinking = settings.cacheTtl, settings.thinkingBudget or 0
    max_output = checked_max_output(settings, info)
    if not snapshot.files:
        raise nothing_to_send(snapshot)
    sizes = file_tokens(snapshot, token_scale)
    head = request_head(snapshot, kind, nonce, bool(thinking), token_scale, settings)
    room = _room(info, max_output, head)
    window = info.context_window
    choice = _choose(snapshot, sizes, room, window, base, nonce, outline_cache, kind, outlines)
    chosen, left_out = choice.chosen, choice.left_out
    _check_fits(choice, snapshot, kind, info, room)
    groups, new_base, generation, deleted = _groups(
        layout, chosen, sizes, base, room, snapshot=snapshot, nonce=nonce, ttl=ttl,
        model=info.id, now=now, maps=choice.maps,
    )  # fmt: skip
    segments, planned, blocks = segments_of(groups, head.head_tokens, info.min_cache_tokens)
    diff = snapshot.diff
    segment, block = _volatile(
        snapshot, kind, nonce, head, deleted, choice, bool(thinking), settings
    )
    segments.append(segment)
    blocks.append(block)
    input_tokens = sum(s.tokens for s in segments)
    return Plan(
        layout=layout,
        nonce=nonce,
        cache_base=new_base or (base if layout == "snapshot" else None),
        cache_generation=generation,
        kind=kind,
        root=snapshot.root,
        model=info.id,
        model_known=info.known,
        files=planned,
        left_out=left_out,
        skipped=list(snapshot.skipped),
        redactions=list(snapshot.redactions) + (list(diff.redactions) if diff else []),
        focus=list(snapshot.focus),
        input_tokens=input_tokens,
        window=info.context_window,
        budget=room,
        max_output=max_output,
        segments=segments,
        cost=estimate_cost(info, segments, max_output, thinking, ttl),
        cache_ttl=ttl,
        betas=[BETA_1M] if needs_beta(info, input_tokens) else [],
        warnings=[warning] if warning else [],
        diff_base=diff.base if diff else None,
        diff_files=list(diff.files) if diff else [],
        policy=snapshot.policy,
        body=body_of(info, max_output, head, blocks, thinking),
    )


def body_bytes(plan: Plan) -> bytes:
    """The request body as the bytes a determinism test compares."""
    return json.dumps(plan.body, ensure_ascii=False, separators=(",", ":")).encode()
