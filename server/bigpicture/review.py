"""A review end to end: plan → cost guard → (result cache | API stream) → findings → anchored
result → ledger. Shared by the CLI and the language server; async, cancellable.

Never a false all-clear: a refusal, a reply cut by ``max_tokens``, a missing or malformed
report_findings call, or a broken stream gives ``complete=False`` with the findings that were
recovered, never an empty "clean" result.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from .client.anthropic import ApiClient, Reply
from .core import anchor, cachebase, cachestate, ledger, pricing, resultcache, suppress
from .core import findings as findings_mod
from .core.config import Settings
from .core.errors import BudgetError, IncompleteReview
from .core.models import DroppedCounts, Finding, ReviewResult, Usage, severity_rank
from .core.pipeline import Prepared
from .core.plan import Plan, body_bytes
from .core.registry import Registry

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
            "per review: raise maxCostPerReview (--max-cost), or send less (--diff, --exclude)"
        )
    return usd


async def _maybe(fn: Callable[..., Any] | None, *args: Any) -> None:
    if fn is None:
        return
    res = fn(*args)
    if asyncio.iscoroutine(res):
        await res


def _finish(
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
    shown = suppress.apply(shown, suppress.load(prepared.snapshot.root))
    shown.sort(key=lambda f: (f.path, f.range.start_line if f.range else f.line - 1, f.id))
    info, _ = Registry(settings.models).get(plan.model)
    cost = (
        pricing.usage_cost(usage, info, batch=batch)
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


def _recover(partial: Any) -> tuple[list[Finding], str, int]:
    """Complete findings from a partial tool input (the last one may be cut off)."""
    if not isinstance(partial, dict) or not isinstance(partial.get("findings"), list):
        return [], "", 0
    items = partial["findings"]
    good: list[Finding] = []
    bad = 0
    for item in items:
        f = findings_mod.decode_finding(item)
        if f is None:
            bad += 1
        else:
            good.append(f)
    return good, "", bad


def interpret(reply: Reply, thinking: bool) -> tuple[list[Finding], str, int, bool, str | None]:
    """(findings, summary, malformed, complete, incomplete_reason) from a reply."""
    if reply.error is not None:
        got, summary, bad = _recover(reply.tool_input or reply.partial_tool_input)
        return got, summary, bad, False, reply.error.message
    if reply.stop_reason == "refusal":
        got, summary, bad = _recover(reply.tool_input or reply.partial_tool_input)
        return got, summary, bad, False, "the model refused to complete the review"
    if reply.stop_reason in ("max_tokens", "model_context_window_exceeded"):
        got, summary, bad = _recover(reply.tool_input or reply.partial_tool_input)
        return (
            got,
            summary,
            bad,
            False,
            "the reply was cut off at the output limit (raise maxOutputTokens, or review less)",
        )
    if reply.tool_input is not None:
        try:
            got, summary, bad = findings_mod.decode_tool_input(reply.tool_input)
        except IncompleteReview as e:
            return [], "", 0, False, f"malformed report_findings call: {e.message}"
        return got, summary, bad, True, None
    if thinking and reply.text:
        try:
            got, summary, bad = findings_mod.decode_text_reply(reply.text)
            return got, summary, bad, True, None
        except IncompleteReview:
            pass
    return [], "", 0, False, "the model did not call report_findings"


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
    got, summary, bad, complete, reason = interpret(reply, bool(settings.thinkingBudget))
    result = _finish(
        prepared,
        settings,
        got,
        summary,
        bad,
        usage=reply.usage,
        request_id=reply.request_id,
        complete=complete,
        reason=reason,
        from_cache=False,
        batch=batch,
    )
    if not record:
        return result
    if result.cost is not None:
        ledger.record(
            model=plan.model,
            kind=plan.kind,
            usage=reply.usage,
            cost=result.cost,
            request_id=reply.request_id,
            workspace=prepared.snapshot.root,
            complete=complete,
        )
    if complete and cache_key is not None:
        resultcache.put(
            prepared.snapshot.root,
            cache_key,
            resultcache.Stored(got, summary, reply.usage, reply.request_id, bad),
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
            return _finish(
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
        from .core.errors import NoApiKey

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
                cachebase.save(root, cachebase.note_sent(plan.cache_base, plan.cache_generation))
            await _maybe(on_stage, "receiving", {"findings": 0})
        elif ev["stage"] == "receiving" and on_findings is not None:
            got, _, _ = _recover(ev["partial"])
            complete_items = got[:-1] if got else []  # the last may still be growing
            if len(complete_items) > seen:
                seen = len(complete_items)
                await _maybe(on_stage, "receiving", {"findings": seen})
                partial = _finish(
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

    reply = await client.stream(plan.body, betas=plan.betas, on_progress=progress)
    return from_reply(prepared, settings, reply, cache_key=key)


def count_exact(prepared: Prepared, settings: Settings) -> Plan:
    """The plan with the API's exact input token count (re-planned to fit if needed)."""
    from .core import pipeline

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


def run_cli_review(prepared: Prepared, settings: Settings, args: Any, progress: Any) -> int:
    """The CLI's review: send, render, exit code."""
    from .cli import EXIT_FINDINGS, _write
    from .outputs import formats

    async def go() -> ReviewResult:
        client = ApiClient(
            base_url=settings.baseUrl, provider=settings.provider, models=settings.models
        )
        try:

            async def stage(name: str, info: dict[str, Any]) -> None:
                if progress and name == "sending":
                    progress(
                        f"sending {info['files']} files, {info['tokens']:,} tokens "
                        f"(estimated ${info['estimate']:.4f})"
                    )

            return await review(
                prepared, settings, client, use_cache=not args.no_cache, on_stage=stage
            )
        finally:
            await client.aclose()

    result = asyncio.run(go())
    texts = prepared.plan.sent_texts(prepared.snapshot)
    color = args.format == "text" and sys.stdout.isatty() and not args.output
    _write(formats.render(args.format, result, texts, color=color), args.output)
    for fmt, output in formats.parse_also(getattr(args, "also_output", None)):
        _write(formats.render(fmt, result, texts), output)
    if progress and result.cost is not None:
        progress(
            f"cost ${result.cost.usd:.4f}, cache read {result.usage.cache_read_share:.0%} of "
            f"input, request {result.request_id}"
        )
    if not result.complete:
        print(f"bigpicture: INCOMPLETE REVIEW: {result.incomplete_reason}", file=sys.stderr)
        return IncompleteReview.exit_code
    if args.fail_on:
        limit = severity_rank(args.fail_on)
        if any(severity_rank(f.severity) <= limit and not f.suppressed for f in result.findings):
            return EXIT_FINDINGS
    return 0
