"""A review end to end: plan → cost guard → (result cache | API stream) → findings → anchored
result → ledger. Shared by the CLI and the language server; async, cancellable.

Never a false all-clear (``core.reply.interpret``): a refusal, a reply cut by ``max_tokens``,
a cut or malformed report_findings call, or a broken stream gives ``complete=False`` with the
findings that were recovered, never an empty "clean" result; only a complete review goes into
the result cache. A review cancelled after the API accepted it (Ctrl-C, a newer review) is
still written to the ledger, as interrupted, with the usage the stream had reported and the
output it had streamed, so spending is never under-reported.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from bigpicture.app import accounting
from bigpicture.app import prepare as pipeline
from bigpicture.app.prepare import Prepared
from bigpicture.client.anthropic import ApiClient
from bigpicture.core import pricing
from bigpicture.core.config import Settings
from bigpicture.core.errors import BudgetError, NoApiKey
from bigpicture.core.models import DroppedCounts, Finding, ReviewResult, Usage, severity_rank
from bigpicture.core.registry import Registry
from bigpicture.core.reply import anchor, suppress
from bigpicture.core.reply.interpret import Reply, interpret, recover
from bigpicture.core.request import tokens
from bigpicture.core.request.layout import note_sent
from bigpicture.core.request.plan import Plan, body_bytes
from bigpicture.store import cachebase, cachestate, dismissed, resultcache

OnFindings = Callable[[list[Finding]], Awaitable[None] | None]
OnStage = Callable[[str, dict[str, Any]], Awaitable[None] | None]


def estimated_cost(
    plan: Plan, root: str, settings: Settings, now: float | None = None
) -> tuple[float, int]:
    """USD and cache-read tokens this plan is expected to cost now: the cache is assumed warm
    up to the furthest breakpoint whose exact prefix was sent within its TTL."""
    info, _ = Registry(settings.models).get(plan.model)
    read = cachestate.expected_read(root, plan, now or time.time())
    cached_upto = cachestate.cacheable_tokens(plan)
    written = max(cached_upto - read, 0)
    uncached = plan.input_tokens - read - written
    usd = pricing.split_cost(
        info,
        uncached=uncached,
        written=written,
        read=read,
        output=plan.cost.output_tokens_assumed,
        ttl=plan.cache_ttl,
    )
    return usd, read


def check_cost(plan: Plan, settings: Settings, root: str) -> float:
    usd, _ = estimated_cost(plan, root, settings)
    if usd > settings.maxCostPerReview:
        raise BudgetError(
            f"estimated cost ${usd:.2f} is over the limit of ${settings.maxCostPerReview:.2f} "
            "per review: raise the `maxCostPerReview` setting, or send less (a changes review, "
            "the `exclude` setting)"
        )
    return usd


async def _maybe(fn: Callable[..., Any] | None, *args: Any) -> None:
    if fn is None:
        return
    res = fn(*args)
    if asyncio.iscoroutine(res):
        await res


def finish(
    prepared: Prepared,
    settings: Settings,
    raw_findings: list[Finding],
    summary: str,
    malformed: int,
    *,
    usage: Usage | None,
    request_id: str | None,
    complete: bool,
    reason: str | None,
    from_cache: bool,
    batch: bool = False,
) -> ReviewResult:
    plan = prepared.plan
    texts = plan.sent_texts(prepared.snapshot)
    anchored, counts = anchor.anchor(raw_findings, texts)
    dropped = DroppedCounts(
        malformed=malformed,
        unknown_path=counts.unknown_path,
        out_of_range=counts.out_of_range,
    )
    floor = severity_rank(settings.minSeverity)
    shown = [f for f in anchored if severity_rank(f.severity) <= floor]
    dropped.below_threshold = len(anchored) - len(shown)
    shown = suppress.apply(shown, dismissed.load(prepared.snapshot.root))
    shown.sort(key=lambda f: (f.path, f.range.start_line if f.range else f.line - 1, f.id))
    cost = (
        accounting.price(usage, plan.model, settings, batch=batch)
        if usage is not None and not from_cache
        else None
    )
    return ReviewResult(
        kind=plan.kind,
        model=plan.model,
        findings=shown,
        summary=summary,
        complete=complete,
        incomplete_reason=reason,
        dropped=dropped,
        usage=usage,
        cost=cost,
        request_id=request_id,
        left_out=plan.left_out,
        skipped=plan.skipped,
        redactions=plan.redactions,
        files_sent=len(plan.files),
        from_cache=from_cache,
        root=prepared.snapshot.root,
    )


def from_reply(
    prepared: Prepared,
    settings: Settings,
    reply: Reply,
    *,
    cache_key: str | None,
    batch: bool = False,
    record: bool = True,
) -> ReviewResult:
    """The result of a whole reply, streamed or from a Message Batch: interpreted, anchored in
    the sent texts and priced (at half price when ``batch``). With ``record``, its usage goes
    to the ledger and, when complete, its findings to the result cache under ``cache_key``."""
    plan = prepared.plan
    got = interpret(reply, bool(settings.thinkingBudget))
    result = finish(
        prepared,
        settings,
        got.findings,
        got.summary,
        got.malformed,
        usage=reply.usage,
        request_id=reply.request_id,
        complete=got.complete,
        reason=got.reason,
        from_cache=False,
        batch=batch,
    )
    if not record:
        return result
    accounting.account(
        reply.usage,
        model=plan.model,
        kind=plan.kind,
        settings=settings,
        request_id=reply.request_id,
        workspace=prepared.snapshot.root,
        batch=batch,
        complete=got.complete,
    )
    if got.complete and cache_key is not None:
        resultcache.put(
            prepared.snapshot.root,
            cache_key,
            resultcache.Stored(
                got.findings, got.summary, reply.usage, reply.request_id, got.malformed
            ),
        )
    return result


async def review(
    prepared: Prepared,
    settings: Settings,
    client: ApiClient | None,
    *,
    use_cache: bool = True,
    on_findings: OnFindings | None = None,
    on_stage: OnStage | None = None,
    enforce_cost: bool = True,
) -> ReviewResult:
    """Run one review. ``client`` may be None only when the result cache answers."""
    plan = prepared.plan
    root = prepared.snapshot.root
    key = resultcache.key(body_bytes(plan))
    if use_cache:
        stored = resultcache.get(root, key)
        if stored is not None:
            return finish(
                prepared,
                settings,
                stored.findings,
                stored.summary,
                stored.malformed,
                usage=stored.usage,
                request_id=stored.request_id,
                complete=True,
                reason=None,
                from_cache=True,
            )
    if enforce_cost:
        estimate = check_cost(plan, settings, root)
    else:
        estimate, _ = estimated_cost(plan, root, settings)
    if client is None:
        raise NoApiKey("ANTHROPIC_API_KEY is not set")
    await _maybe(
        on_stage,
        "sending",
        {"tokens": plan.input_tokens, "estimate": estimate, "files": len(plan.files)},
    )
    seen = 0

    async def progress(ev: dict[str, Any]) -> None:
        nonlocal seen
        if ev["stage"] == "started":
            cachestate.record_sent(root, plan, time.time())
            if plan.cache_base is not None:
                cachebase.save(root, note_sent(plan.cache_base, plan.cache_generation))
            await _maybe(on_stage, "receiving", {"findings": 0})
        elif ev["stage"] == "receiving" and on_findings is not None:
            got, _ = recover(ev["partial"])
            complete_items = got[:-1] if got else []  # the last may still be growing
            if len(complete_items) > seen:
                seen = len(complete_items)
                await _maybe(on_stage, "receiving", {"findings": seen})
                partial = finish(
                    prepared,
                    settings,
                    complete_items,
                    "",
                    0,
                    usage=None,
                    request_id=None,
                    complete=False,
                    reason="in progress",
                    from_cache=False,
                )
                await _maybe(on_findings, partial.findings)

    reply = Reply(model=plan.model)
    try:
        await client.stream(plan.body, betas=plan.betas, on_progress=progress, into=reply)
    except asyncio.CancelledError:
        if reply.request_id is not None or reply.usage.total_input:
            record_interrupted(prepared, settings, reply)
        raise
    return from_reply(prepared, settings, reply, cache_key=key)


def record_interrupted(prepared: Prepared, settings: Settings, reply: Reply) -> None:
    """The ledger entry of a review stopped after the API accepted it: the input the stream's
    start reported, and the output it streamed (estimated from its length when the API had not
    reported it yet)."""
    usage = reply.usage
    streamed = len(reply.tool_json or "") + len(reply.text)
    if not usage.output_tokens and streamed:
        guess = tokens.estimate((reply.tool_json or "") + reply.text, "source")
        usage = msgspec.structs.replace(usage, output_tokens=guess)
    accounting.account(
        usage,
        model=prepared.plan.model,
        kind=prepared.plan.kind,
        settings=settings,
        request_id=reply.request_id,
        workspace=prepared.snapshot.root,
        complete=False,
        interrupted=True,
    )


def count_exact(prepared: Prepared, settings: Settings) -> Plan:
    """The plan with the API's exact input token count (re-planned to fit if needed)."""

    async def go(plan: Plan) -> int:
        client = ApiClient(
            base_url=settings.baseUrl, provider=settings.provider, models=settings.models
        )
        try:
            return await client.count_tokens(plan.body, betas=plan.betas)
        finally:
            await client.aclose()

    plan = prepared.plan
    exact = asyncio.run(go(plan))
    if exact + plan.max_output > plan.window:
        scale = exact / max(plan.input_tokens, 1) * 1.02
        plan = pipeline.plan_for(prepared.snapshot, settings, kind=plan.kind, token_scale=scale)
        prepared.plan = plan
        exact = asyncio.run(go(plan))
    plan.exact_input_tokens = exact
    return plan
