"""The plan of a review: what is sent, in which order, with which cache breakpoints, at what
cost — and the exact request body, built as data (sending it is the client layer's job).

The plan is pure and deterministic: the same snapshot, settings and nonce give a
byte-identical body.

Layouts (the cache is a prefix cache: a change invalidates its block and everything after):

- ``snapshot`` (the default): tools and instructions; the cache base, a frozen snapshot of
  the repository behind one breakpoint; the generations of changes sent since, append-only;
  then the volatile part (the diff of a changes review and the request, with the policy
  restated after the data). See ``core.cachebase`` for when the base is re-taken.
- ``tiers``: committed files changed longest ago first, in up to three tiers ending in
  breakpoints, then the uncommitted files. Kept, with ``naive`` (path order, one breakpoint),
  for the replay benchmark's comparison.
"""

from __future__ import annotations

import json
import math
from typing import Any

import msgspec

from bigpicture.core import pricing
from bigpicture.core.config import Settings
from bigpicture.core.errors import BudgetError
from bigpicture.core.models import (
    ChangedFile,
    CostEstimate,
    LeftOut,
    Redaction,
    Segment,
    Skipped,
    Snapshot,
    SourceFile,
)
from bigpicture.core.registry import BETA_1M, ModelInfo, Registry
from bigpicture.core.request import budget as budgeting
from bigpicture.core.request import layout as cachebase
from bigpicture.core.request import prompt, tokens

MAX_BREAKPOINTS = 4
TIER_SPLITS = (0.6, 0.85)  # cumulative token fractions ending tier 1 and tier 2
TOOL_OVERHEAD = {"forced": 313, "auto": 346}  # tokens the API adds for tool use (section 3.2)
ASSUMED_OUTPUT = 4000  # output tokens a review is assumed to write, for estimates


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
    exact_input_tokens: int | None = None  # from count_tokens, when asked
    layout: str = "snapshot"
    nonce: str = ""  # the delimiter nonce of this request
    body: dict[str, Any] = {}
    cache_base: Any = None  # the CacheBase this plan sends (new or reused); not in JSON output
    cache_generation: Any = None  # the new Generation of changes this plan appends, if any

    def sent_texts(self, snapshot: Snapshot) -> dict[str, str]:
        """The exact text of every file in the request (what anchoring searches)."""
        by_path = snapshot.by_path()
        return {f.path: by_path[f.path].text for f in self.files if f.path in by_path}


def _json_tokens(obj: Any) -> int:
    return tokens.estimate(json.dumps(obj, sort_keys=True), "config")


def _tool_definition() -> dict[str, Any]:
    from bigpicture.core.reply.findings import tool_definition

    return tool_definition()


def max_output_tokens(settings: Settings, info: ModelInfo) -> int:
    want = settings.maxOutputTokens + (settings.thinkingBudget or 0)
    return min(want, info.max_output)


def build(
    snapshot: Snapshot,
    settings: Settings,
    *,
    kind: str = "workspace",
    nonce: str,
    registry: Registry | None = None,
    token_scale: float = 1.0,
    layout: str = "snapshot",
    base: cachebase.CacheBase | None = None,
    now: float | None = None,
) -> Plan:
    """Plan a review of ``snapshot``. Raises ``BudgetError`` when nothing sensible fits.

    ``layout``: ``snapshot`` (the default: the cache base, then the changes since it),
    ``tiers`` (recency tiers) or ``naive`` (path order, one breakpoint), the last two kept for
    the replay benchmark's comparison. ``base`` is the workspace's current cache base, if any.
    """
    registry = registry or Registry(settings.models)
    info, warning = registry.get(settings.model)
    warnings = [warning] if warning else []
    ttl = settings.cacheTtl
    thinking = settings.thinkingBudget
    max_output = max_output_tokens(settings, info)
    if thinking and thinking >= max_output:
        raise BudgetError(
            f"thinking budget {thinking} leaves no room for the findings within the model's "
            f"{info.max_output} output tokens; lower thinkingBudget"
        )

    file_tokens = {
        f.path: math.ceil(
            tokens.estimate(
                f.text, f.kind, f.size if f.encoding == "utf-8" and not f.redactions else None
            )
            * token_scale
        )
        + tokens.PER_FILE_OVERHEAD
        for f in snapshot.files
    }
    tool = _tool_definition()
    system = prompt.system_prompt(nonce)
    diff_text = (
        prompt.render_diff(snapshot.diff.patch, nonce, snapshot.diff.base) if snapshot.diff else ""
    )
    # the request text's length barely depends on its numbers; estimate it once
    request_probe = prompt.request_text(
        kind,
        nonce,
        focus=snapshot.focus,
        left_out=99999,
        diff_base="x" * 40,
        thinking=bool(thinking),
    )
    fixed = (
        tokens.estimate(system, "doc")
        + _json_tokens(tool)
        + TOOL_OVERHEAD["auto" if thinking else "forced"]
        + math.ceil(tokens.estimate(diff_text, "source") * token_scale)
        + tokens.estimate(request_probe, "doc")
        + 64  # message framing
    )
    window = info.context_window
    margin = math.ceil(window * budgeting.SAFETY_MARGIN)
    room = window - max_output - margin - fixed
    if room <= 0:
        raise BudgetError(
            f"the request's fixed part ({fixed} tokens"
            + (", most of it the diff" if diff_text else "")
            + f") does not fit the {window}-token window of {info.id}"
            + (
                ": review a smaller diff (against a closer base: the `baseBranch` setting)"
                if diff_text
                else ""
            )
        )
    chosen, left_out = budgeting.select(snapshot.files, file_tokens, room, snapshot.focus)
    missing_focus = [lo.path for lo in left_out if lo.path in set(snapshot.focus)]
    if missing_focus and kind == "file":
        raise BudgetError(f"{missing_focus[0]} alone does not fit the context window")

    new_base: cachebase.CacheBase | None = None
    generation: cachebase.Generation | None = None
    deleted: list[str] = []
    if layout == "snapshot":
        groups, new_base, generation, deleted = _layout_snapshot(
            chosen,
            file_tokens,
            base,
            room,
            nonce=nonce,
            ttl=ttl,
            model=info.id,
            now=now,
            present={f.path for f in snapshot.files} | {s.path for s in snapshot.skipped},
        )
    elif layout == "naive":
        ordered = sorted(chosen, key=lambda f: f.path)
        groups = [_group("repository (path order)", ordered, file_tokens, nonce, "5m")]
    else:
        groups = _layout_tiers(chosen, file_tokens, nonce, ttl)

    if deleted:
        diff_text = prompt.render_deleted(deleted, nonce) + diff_text

    head_tokens = (
        tokens.estimate(system, "doc")
        + _json_tokens(tool)
        + TOOL_OVERHEAD["auto" if thinking else "forced"]
    )
    segments: list[Segment] = [Segment("instructions and findings schema", 0, head_tokens, False)]
    planned: list[Any] = []
    blocks: list[dict[str, Any]] = []
    cumulative = head_tokens
    breakpoints = 0
    for g in groups:
        cumulative += g.tokens
        cached = (
            g.ttl is not None
            and cumulative >= info.min_cache_tokens
            and breakpoints < MAX_BREAKPOINTS
        )
        if cached:
            breakpoints += 1
        seg_index = len(segments)
        segments.append(Segment(g.name, len(g.files), g.tokens, cached, g.ttl if cached else None))
        block: dict[str, Any] = {"type": "text", "text": g.text}
        if cached:
            block["cache_control"] = {"type": "ephemeral", "ttl": g.ttl}
        blocks.append(block)
        planned.extend(
            PlannedFile(path, t, kind_, seg_index, last) for path, t, kind_, last in g.files
        )

    request = prompt.request_text(
        kind,
        nonce,
        focus=snapshot.focus,
        left_out=len(left_out),
        diff_base=snapshot.diff.base if snapshot.diff else None,
        thinking=bool(thinking),
    )
    volatile = diff_text + ("\n" if diff_text else "") + request
    volatile_tokens = tokens.estimate(volatile, "source")
    segments.append(
        Segment(
            "changes and request" if diff_text else "request",
            len(snapshot.diff.files) if snapshot.diff else 0,
            volatile_tokens,
            False,
        )
    )
    blocks.append({"type": "text", "text": volatile})

    body: dict[str, Any] = {
        "model": info.id,
        "max_tokens": max_output,
        "system": [{"type": "text", "text": system}],
        "tools": [tool],
        "messages": [{"role": "user", "content": blocks}],
    }
    if thinking:
        body["thinking"] = {"type": "enabled", "budget_tokens": thinking}
        body["tool_choice"] = {"type": "auto"}
    else:
        body["tool_choice"] = {"type": "tool", "name": tool["name"]}

    input_tokens = sum(s.tokens for s in segments)
    betas = [BETA_1M] if info.needs_beta(input_tokens) else []
    if input_tokens > window:  # pragma: no cover - the budget above prevents it
        raise BudgetError(f"plan of {input_tokens} tokens exceeds the {window}-token window")

    cached_upto = 0
    run = 0
    for s in segments:
        run += s.tokens
        if s.breakpoint:
            cached_upto = run
    output = min(ASSUMED_OUTPUT + (thinking or 0), max_output)
    uncached = input_tokens - cached_upto

    def est(written: int, read: int, unc: int, batch: bool = False) -> float:
        return pricing.split_cost(
            info, uncached=unc, written=written, read=read, output=output, ttl=ttl, batch=batch
        )

    cost = CostEstimate(
        first=est(cached_upto, 0, uncached),
        repeat=est(0, cached_upto, uncached),
        no_cache=est(0, 0, input_tokens),
        batch_first=est(cached_upto, 0, uncached, True),
        batch_repeat=est(0, cached_upto, uncached, True),
        tier=pricing.rates(info, input_tokens).tier,
        output_tokens_assumed=output,
    )
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
        redactions=list(snapshot.redactions)
        + (list(snapshot.diff.redactions) if snapshot.diff else []),
        focus=list(snapshot.focus),
        input_tokens=input_tokens,
        window=window,
        budget=room,
        max_output=max_output,
        segments=segments,
        cost=cost,
        cache_ttl=ttl,
        betas=betas,
        warnings=warnings,
        diff_base=snapshot.diff.base if snapshot.diff else None,
        diff_files=list(snapshot.diff.files) if snapshot.diff else [],
        body=body,
    )


class _Group(msgspec.Struct):
    name: str
    text: str
    files: list[tuple[str, int, str, int]]  # path, tokens, kind, last change
    tokens: int
    ttl: str | None  # a cache breakpoint is wanted after this group, with this TTL


def _group(
    name: str,
    files: list,
    file_tokens: dict[str, int],
    nonce: str,
    ttl: str | None,
    version: str | None = None,
) -> _Group:
    return _Group(
        name=name,
        text="".join(prompt.render_file(f, nonce, version=version) for f in files),
        files=[(f.path, file_tokens[f.path], f.kind, f.last_change) for f in files],
        tokens=sum(file_tokens[f.path] for f in files),
        ttl=ttl,
    )


def _layout_tiers(chosen: list, file_tokens: dict[str, int], nonce: str, ttl: str) -> list[_Group]:
    """Recency tiers: committed files changed longest ago first, in up to three tiers cut on
    the order of last commits (dirty files counted at their committed place, so a file
    becoming dirty moves no boundary), then the dirty files."""
    ordered = sorted(chosen, key=lambda f: (f.last_change or 2**62, f.path))
    total = sum(file_tokens[f.path] for f in ordered)
    tiers: list[list] = [[], [], []]
    uncommitted = []
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
            groups.append(_group(f"repository tier {i + 1}{label}", tier, file_tokens, nonce, ttl))
    if uncommitted:
        groups.append(_group("uncommitted files", uncommitted, file_tokens, nonce, ttl))
    return groups


_RENDERED: dict[tuple[str, str], str] = {}  # (base id, nonce) -> the base block's text


def _base_text(base: cachebase.CacheBase, nonce: str) -> str:
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


def _layout_snapshot(
    chosen: list,
    file_tokens: dict[str, int],
    base: cachebase.CacheBase | None,
    room: int,
    *,
    nonce: str,
    ttl: str,
    model: str,
    now: float | None,
    present: set[str],
) -> tuple[list[_Group], cachebase.CacheBase | None, cachebase.Generation | None, list[str]]:
    """The cache base (frozen), the generations of changes already sent on it (append-only),
    then a new generation with what changed since the last one; and the files deleted since
    the base (``present``: every path the gather saw, sent or not)."""
    import time as _time

    from bigpicture.store.scancache import rules_fingerprint

    now = now or _time.time()
    new = None
    fresh: list = []
    deleted: list[str] = []
    latest_sha: dict[str, str] = {}
    latest_text: dict[str, str] = {}
    chosen_paths = {f.path for f in chosen}
    if (
        base is not None
        and (base.model, base.nonce, base.ttl, base.rules)
        == (model, nonce, ttl, rules_fingerprint())
        and base.expires > now
        and len(base.generations) < cachebase.MAX_GENERATIONS
    ):
        latest_sha, latest_text = base.latest()
        fresh = [f for f in chosen if latest_sha.get(f.path) != f.sha]
        deleted = sorted(p for p in latest_sha if p not in present)
        changes = base.changes_tokens + sum(file_tokens[f.path] for f in fresh)
        if (
            # a file still there but newly excluded, refused or left out to fit must not go
            # on being sent (a deleted one is only listed as deleted)
            any(p in present and p not in chosen_paths for p in latest_sha)
            or changes > cachebase.RESNAPSHOT_FRACTION * max(base.tokens, 1)
            or base.tokens + changes > room
        ):
            base = None
    else:
        base = None
    if base is None:
        base = new = cachebase.new_base(
            chosen, file_tokens, model=model, nonce=nonce, ttl=ttl, now=now
        )
        fresh, deleted = [], []
        latest_sha = {b.path: b.sha for b in base.files}
    current = {f.path: f for f in chosen}
    fresh_paths = {f.path for f in fresh}

    def is_current(path: str, sha: str) -> bool:
        f = current.get(path)
        return f is not None and f.sha == sha and path not in fresh_paths

    superseded = {p for g in base.generations for p in g.shas}
    groups = [
        _Group(
            name=f"repository snapshot {base.id[:8]}",
            text=_base_text(base, nonce),
            files=[
                (b.path, b.tokens, b.kind, 0)
                for b in base.files
                if b.path not in superseded and is_current(b.path, b.sha)
            ],
            tokens=base.tokens,
            ttl=ttl,
        )
    ]
    blocks: list[tuple[str, str, list, int]] = []  # name, text, files, tokens
    for i, g in enumerate(base.generations):
        later = {p for h in base.generations[i + 1 :] for p in h.shas}
        files = [
            (p, file_tokens.get(p, 0), current[p].kind, current[p].last_change)
            for p, sha in sorted(g.shas.items())
            if p not in later and is_current(p, sha)
        ]
        blocks.append((f"changes sent at review {g.seq}", g.text, files, g.tokens))
    generation = None
    if fresh:
        fresh.sort(key=lambda f: f.path)
        text = "".join(prompt.render_changed(f, latest_text.get(f.path), nonce) for f in fresh)
        gen_tokens = tokens.estimate(text, "source")
        generation = cachebase.Generation(
            seq=base.seq + 1,
            text=text,
            texts={f.path: f.text for f in fresh},
            shas={f.path: f.sha for f in fresh},
            tokens=gen_tokens,
        )
        blocks.append(
            (
                "changes since the last review",
                text,
                [(f.path, file_tokens[f.path], f.kind, f.last_change) for f in fresh],
                gen_tokens,
            )
        )
    for i, (name, text, files, tok) in enumerate(blocks):
        # breakpoints end the three newest generations; older ones are read through them
        want = "5m" if i >= len(blocks) - 3 else None
        groups.append(_Group(name=name, text=text, files=files, tokens=tok, ttl=want))
    return groups, new, generation, deleted


def body_bytes(plan: Plan) -> bytes:
    """The request body as the bytes a determinism test compares."""
    return json.dumps(plan.body, ensure_ascii=False, separators=(",", ":")).encode()
