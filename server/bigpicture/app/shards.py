"""A full-coverage review (``review --coverage full``) end to end: gather, shard, price the
total, send the first shard alone until its response has begun (so its cache write of the
shared prefix is visible), then the others, at most ``concurrency`` in flight, and merge.

Each shard is an ordinary review of its own plan (``app.review.review``: the result cache,
streaming, the ledger, the one retry layer that honours ``retry-after``), with the cost guard
applied once to the total. The findings of every shard are merged into one result and
de-duplicated (the same path, anchored range and category: the most severe kept). A shard
that fails, or whose reply is incomplete, makes the whole review incomplete, and its files are
named as not reviewed: never a false all-clear.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bigpicture.app import prepare as pipeline
from bigpicture.app import review as reviewing
from bigpicture.app.batch import Outcome
from bigpicture.app.prepare import Prepared
from bigpicture.app.review import maybe_call as _maybe
from bigpicture.client.anthropic import ApiClient
from bigpicture.core.config import Settings
from bigpicture.core.errors import BigPictureError, BudgetError, NoApiKey
from bigpicture.core.models import Cost as CostModel
from bigpicture.core.models import (
    DroppedCounts,
    Finding,
    ReviewResult,
    ShardStatus,
    Snapshot,
    Usage,
    severity_rank,
)
from bigpicture.core.registry import Registry
from bigpicture.core.request import prompt
from bigpicture.core.request import shards as sharding
from bigpicture.core.request.shards import ShardPlan
from bigpicture.store import cachestate
from bigpicture.store import paths as store

# (shard index, stage, info): stages "sending", "accepted", "receiving" {findings},
# "done" {status, findings, reason, result: the shard's ReviewResult}
OnShard = Callable[[int, str, dict[str, Any]], Awaitable[None] | None]


@dataclass
class PreparedShards:
    snapshot: Snapshot
    plan: ShardPlan

    def prepared(self, i: int) -> Prepared:
        return Prepared(self.snapshot, self.plan.plans[i])

    def sent_texts(self) -> dict[str, str]:
        texts: dict[str, str] = {}
        for p in self.plan.plans:
            texts.update(p.sent_texts(self.snapshot))
        return texts


def plan_shards(
    snapshot: Snapshot,
    settings: Settings,
    *,
    kind: str,
    communities: sharding.Communities = sharding.by_imports,
) -> ShardPlan:
    """The shard plan, with a delimiter nonce none of the sent texts contains. Every file is
    sent whole in some shard, so every file a lazy gather only listed is read and scanned."""
    pipeline.load_all(snapshot, settings)

    def build(nonce: str) -> ShardPlan:
        return sharding.build(snapshot, settings, kind=kind, nonce=nonce, communities=communities)

    sp = build(store.nonce_for(snapshot.root, []))
    sent = [f.text for f in snapshot.files] + ([snapshot.diff.patch] if snapshot.diff else [])
    if not prompt.nonce_is_safe(sp.plans[0].nonce, sent):
        sp = build(store.nonce_for(snapshot.root, sent))
    return sp


def prepare(
    root: Path,
    settings: Settings,
    *,
    kind: str = "workspace",
    ref: str | None = None,
    progress: pipeline.Progress | None = None,
    staged: bool = False,
) -> PreparedShards:
    """Gather (with the diff of a changes review) and plan the shards."""
    snap = pipeline.snapshot_for(
        root, settings, kind=kind, ref=ref, progress=progress, staged=staged
    )
    return PreparedShards(snap, plan_shards(snap, settings, kind=kind))


def estimates(ps: PreparedShards, settings: Settings, *, batch: bool = False) -> list[float]:
    """USD each shard is expected to cost: what this machine last cached is read, and every
    shard after the first reads the shared prefix the first writes (interactive reviews; a
    batch's caching is best-effort, so a batch is priced as if nothing were read)."""
    info, _ = Registry(settings.models).get(ps.plan.model)
    now = time.time()
    out = []
    for i, plan in enumerate(ps.plan.plans):
        read = 0 if batch else cachestate.expected_read(ps.snapshot.root, plan, now)
        if i and ps.plan.prefix_cached and not batch:
            read = max(read, ps.plan.prefix_tokens)
        out.append(sharding.estimate(plan, info, read=read, batch=batch))
    return out


def check_total(ps: PreparedShards, settings: Settings, *, batch: bool = False) -> float:
    """The total estimate; ``BudgetError`` when it is over ``maxCostPerReview`` (the limit
    applies to the whole review, every shard together)."""
    total = sum(estimates(ps, settings, batch=batch))
    if total > settings.maxCostPerReview:
        n = len(ps.plan.shards)
        raise BudgetError(
            f"estimated cost ${total:.2f} of the {n} shards together is over the limit of "
            f"${settings.maxCostPerReview:.2f} per review: raise the `maxCostPerReview` "
            "setting, or send less (the `exclude` setting); nothing was sent"
        )
    return total


def _failed(ps: PreparedShards, settings: Settings, i: int, reason: str) -> ReviewResult:
    return reviewing.finish(
        ps.prepared(i),
        settings,
        [],
        "",
        0,
        usage=None,
        request_id=None,
        complete=False,
        reason=reason,
        from_cache=False,
    )


async def review(
    ps: PreparedShards,
    settings: Settings,
    client: ApiClient | None,
    *,
    use_cache: bool = True,
    on_shard: OnShard | None = None,
    enforce_cost: bool = True,
) -> ReviewResult:
    """Every shard reviewed, merged into one result. A cancellation cancels every shard (each
    one the API had accepted is in the ledger as interrupted)."""
    if enforce_cost:
        check_total(ps, settings)
    if client is None:
        raise NoApiKey("ANTHROPIC_API_KEY is not set")
    n = len(ps.plan.plans)
    gate = asyncio.Semaphore(max(1, settings.concurrency))
    began = asyncio.Event()  # the first shard's response has begun (or it has ended)
    results: list[tuple[ReviewResult, str] | None] = [None] * n

    async def one(i: int) -> None:
        async with gate:

            async def stage(name: str, info: dict[str, Any]) -> None:
                if name == "accepted" and i == 0:
                    began.set()
                if name in ("sending", "accepted", "receiving"):
                    await _maybe(on_shard, i + 1, name, info)

            try:
                got = await reviewing.review(
                    ps.prepared(i),
                    settings,
                    client,
                    use_cache=use_cache,
                    on_stage=stage,
                    enforce_cost=False,
                )
                status = "complete" if got.complete else "incomplete"
            except BigPictureError as e:
                got, status = _failed(ps, settings, i, e.message), "failed"
            finally:
                if i == 0:
                    began.set()
            results[i] = (got, status)
            done = {"status": status, "findings": len(got.findings), "result": got}
            await _maybe(on_shard, i + 1, "done", {**done, "reason": got.incomplete_reason})

    first = asyncio.create_task(one(0))
    tasks = [first]
    try:
        await began.wait()
        tasks += [asyncio.create_task(one(i)) for i in range(1, n)]
        await asyncio.gather(*tasks)
    except BaseException:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    parts = []
    for s, p, r in zip(ps.plan.shards, ps.plan.plans, results, strict=True):
        assert r is not None  # every task ended (gather returned)
        parts.append((shard_status(s.index, s.files, p.input_tokens, *r), r[0]))
    return merge(parts, kind=ps.plan.kind, model=ps.plan.model)


def _key(f: Finding) -> tuple[Any, ...]:
    where = (
        (f.range.start_line, f.range.start_char, f.range.end_line, f.range.end_char)
        if f.range is not None
        else (f.line, f.end_line)
    )
    return (f.path, where, f.category)


def dedupe(findings: list[Finding]) -> tuple[list[Finding], int]:
    """One finding per (path, anchored range, category), the most severe (then the first);
    and how many were dropped as duplicates."""
    best: dict[tuple[Any, ...], Finding] = {}
    for f in findings:
        k = _key(f)
        if k not in best or severity_rank(f.severity) < severity_rank(best[k].severity):
            best[k] = f
    kept = sorted(
        best.values(),
        key=lambda f: (f.path, f.range.start_line if f.range else f.line - 1, f.id),
    )
    return kept, len(findings) - len(kept)


def _sum_usage(usages: list[Usage]) -> Usage | None:
    if not usages:
        return None
    return Usage(
        input_tokens=sum(u.input_tokens for u in usages),
        output_tokens=sum(u.output_tokens for u in usages),
        cache_creation_input_tokens=sum(u.cache_creation_input_tokens for u in usages),
        cache_read_input_tokens=sum(u.cache_read_input_tokens for u in usages),
        cache_write_5m=sum(u.cache_write_5m for u in usages),
        cache_write_1h=sum(u.cache_write_1h for u in usages),
    )


def _sum_cost(costs: list[CostModel]) -> CostModel | None:
    if not costs:
        return None
    return CostModel(
        usd=round(sum(c.usd for c in costs), 6),
        tier="long-context" if any(c.tier == "long-context" for c in costs) else costs[0].tier,
        batch=all(c.batch for c in costs),
        list_price_usd=round(sum(c.list_price_usd for c in costs), 6),
    )


def shard_status(
    index: int, files: list[str], tokens: int, got: ReviewResult, status: str
) -> ShardStatus:
    """One shard's status from its result (``status``: complete, incomplete or failed)."""
    return ShardStatus(
        index=index,
        files=list(files),
        tokens=tokens,
        status=status,
        reason=got.incomplete_reason if status != "complete" else None,
        findings=len(got.findings),
        request_id=got.request_id,
        cost_usd=got.cost.usd if got.cost is not None else None,
        from_cache=got.from_cache,
    )


def _incomplete_reason(statuses: list[ShardStatus]) -> str | None:
    bad = [s for s in statuses if s.status != "complete"]
    if not bad:
        return None
    parts = [f"shard {s.index} {s.status}: {s.reason or 'no reason given'}" for s in bad]
    files = sorted(p for s in bad for p in s.files)
    shown = ", ".join(files[:10]) + (f" and {len(files) - 10} more" if len(files) > 10 else "")
    return (
        f"{len(bad)} of {len(statuses)} shards did not complete ({'; '.join(parts)}); "
        f"{len(files)} files not reviewed: {shown}"
    )


def _union(lists: list[list[Any]]) -> list[Any]:
    """The items of every list once, in order (they are frozen structs: hashable)."""
    return list(dict.fromkeys(x for items in lists for x in items))


def merge(parts: list[tuple[ShardStatus, ReviewResult]], *, kind: str, model: str) -> ReviewResult:
    """One result of every shard's (in shard order): findings de-duplicated, usage and cost
    summed, what was left out, skipped or redacted listed once, and incomplete when any shard
    is."""
    statuses = [s for s, _ in parts]
    results = [got for _, got in parts]
    findings, _ = dedupe([f for got in results for f in got.findings])
    dropped = DroppedCounts()
    for got in results:
        dropped.malformed += got.dropped.malformed
        dropped.unknown_path += got.dropped.unknown_path
        dropped.out_of_range += got.dropped.out_of_range
        dropped.below_threshold += got.dropped.below_threshold
    summaries = [f"Shard {s.index}: {got.summary}" for s, got in parts if got.summary]
    return ReviewResult(
        kind=kind,
        model=model,
        findings=findings,
        summary="\n\n".join(summaries),
        complete=all(s.status == "complete" for s in statuses),
        incomplete_reason=_incomplete_reason(statuses),
        dropped=dropped,
        usage=_sum_usage([got.usage for got in results if got.usage is not None]),
        cost=_sum_cost([got.cost for got in results if got.cost is not None]),
        request_id=next((got.request_id for got in results if got.request_id), None),
        left_out=_union([got.left_out for got in results]),
        skipped=_union([got.skipped for got in results]),
        redactions=_union([got.redactions for got in results]),
        files_sent=sum(got.files_sent for got in results),
        from_cache=all(got.from_cache for got in results),
        root=results[0].root if results else "",
        attempts=sum(got.attempts for got in results),
        shards=statuses,
    )


def merge_outcomes(outcomes: list[Outcome]) -> ReviewResult:
    """One result of a full-coverage review sent as a Message Batch: its requests, the
    shards in order, merged as an interactive one is (a request that errored, was canceled
    or expired is a failed shard)."""
    parts = []
    for i, o in enumerate(outcomes):
        status = "complete" if o.ok else "incomplete" if o.status == "succeeded" else "failed"
        files = [f["path"] for f in o.request.plan.get("files", [])]
        tokens = int(o.request.plan.get("input_tokens", 0))
        parts.append((shard_status(i + 1, files, tokens, o.result, status), o.result))
    first = outcomes[0].result
    return merge(parts, kind=first.kind, model=first.model)
