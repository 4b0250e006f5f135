"""A review end to end: plan → cost guard → (result cache | API stream) → findings → anchored
result → ledger. Shared by the CLI and the language server; async, cancellable.

Never a false all-clear (``core.reply.interpret``): a refusal, a reply cut by ``max_tokens``,
a cut or malformed report_findings call, or a broken stream gives ``complete=False`` with the
findings that were recovered, never an empty "clean" result; only a complete review goes into
the result cache.

While a reply streams, each finding is decoded and anchored once, as soon as its JSON is
complete (``Streamed``), and only the new ones are handed to ``on_findings``. The whole reply
is then read as always (so the result is the one a whole reply gives), reusing the decoding
of every item equal to one streamed, and the anchoring when it holds exactly the findings
streamed.

A review cancelled after the API accepted it (Ctrl-C, a newer review) is still written to the ledger, as interrupted, with the usage the stream had reported and the
output it had streamed, so spending is never under-reported.
"""

from __future__ import annotations

import asyncio
import json
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
from bigpicture.core.errors import BudgetError, NoApiKey, PromptTooLong
from bigpicture.core.gather import policy
from bigpicture.core.models import DroppedCounts, Finding, ReviewResult, Usage, severity_rank
from bigpicture.core.registry import Registry
from bigpicture.core.reply import suppress
from bigpicture.core.reply.anchor import Anchorer
from bigpicture.core.reply.findings import Known, decode_finding
from bigpicture.core.reply.interpret import Reply, interpret
from bigpicture.core.reply.stream import FindingsScanner
from bigpicture.core.request import tokens
from bigpicture.core.request.layout import note_sent
from bigpicture.core.request.plan import Plan, body_bytes
from bigpicture.store import cachebase, cachestate, dismissed, resultcache

OnFindings = Callable[
    [list[Finding]], Awaitable[None] | None
]  # the findings new since the last call
# Stages: "sending" {tokens, estimate, files}; "receiving" {findings: decoded so far}, at the
# stream's start and whenever that count grows; "received" {findings} when the stream has
# ended, before the whole reply is read.
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


def expected_usage(plan: Plan, root: str, now: float | None = None) -> Usage:
    """The usage this plan is expected to report (no output): the cache read up to the
    furthest breakpoint sent within its TTL, written from there to the last breakpoint."""
    read = cachestate.expected_read(root, plan, now or time.time())
    written = max(cachestate.cacheable_tokens(plan) - read, 0)
    one_hour = plan.cache_ttl == "1h"
    return Usage(
        input_tokens=max(plan.input_tokens - read - written, 0),
        output_tokens=0,
        cache_creation_input_tokens=written,
        cache_read_input_tokens=read,
        cache_write_5m=0 if one_hour else written,
        cache_write_1h=written if one_hour else 0,
    )


def check_cost(plan: Plan, settings: Settings, root: str) -> float:
    usd, _ = estimated_cost(plan, root, settings)
    if usd > settings.maxCostPerReview:
        raise BudgetError(
            f"estimated cost ${usd:.2f} is over the limit of ${settings.maxCostPerReview:.2f} "
            "per review: raise the `maxCostPerReview` setting, or send less (a changes review, "
            "the `exclude` setting)"
        )
    return usd


async def maybe_call(fn: Callable[..., Any] | None, *args: Any) -> None:
    """Call an optional callback (``on_stage``, ``on_findings``, ...), awaiting it when it is a
    coroutine function."""
    if fn is None:
        return
    res = fn(*args)
    if asyncio.iscoroutine(res):
        await res


def present_paths(prepared: Prepared) -> set[str]:
    """Every path in the workspace now, sent or not (a dismissal follows a rename only when
    its own file is gone)."""
    snap = prepared.snapshot
    return {f.path for f in snap.files} | {s.path for s in snap.skipped}


_UNDECODABLE = object()  # equal to no item of a reply read whole


class Streamed:
    """The findings of a reply while it streams: the tool input's JSON text is scanned as it
    grows (``core.reply.stream``), and each finding is decoded, anchored, filtered by
    ``minSeverity`` and marked if dismissed exactly once, when its last character arrives."""

    def __init__(self, prepared: Prepared, settings: Settings) -> None:
        self.scanner = FindingsScanner()
        self.anchorer = Anchorer(prepared.plan.sent_texts(prepared.snapshot))
        self.policy = prepared.snapshot.policy
        self.shown = policy.shown(self.policy, severity_rank(settings.minSeverity))
        self.dismissed = dismissed.load(prepared.snapshot.root)
        self.present = present_paths(prepared)
        self.malformed = 0
        self.decoded: list[Known] = []  # each findings item and what it decoded to, in order
        self._fed = 0  # characters of the tool JSON scanned so far
        self._tail = ""  # the last of them, to notice a new tool call starting over

    @property
    def count(self) -> int:
        """Findings decoded so far (before anchoring and filtering)."""
        return len(self.anchorer.inputs)

    def feed(self, tool_json: str | None) -> list[Finding]:
        """The findings that the text added since the last call completes, ready to show."""
        if not tool_json:
            return []
        if len(tool_json) < self._fed or not tool_json.startswith(
            self._tail, self._fed - len(self._tail)
        ):
            # A second report_findings call started over: its findings replace the first's
            # when the reply is read whole; until then, scan it from its start.
            self.scanner = FindingsScanner()
            self.anchorer = Anchorer(self.anchorer.sent)
            self.decoded = []
            self.malformed = 0
            self._fed = 0
        new: list[Finding] = []
        for raw in self.scanner.feed(tool_json[self._fed :]):
            try:
                item = json.loads(raw)
                f = decode_finding(item)
            except (ValueError, RecursionError):
                item, f = _UNDECODABLE, None
            self.decoded.append((item, f))
            if f is None:
                self.malformed += 1
                continue
            got = self.anchorer.add(f)
            kept = policy.adjust([got], self.policy) if got is not None else []
            if kept and self.shown(kept[0]):
                new += suppress.apply(kept, self.dismissed, self.present)
        self._fed = len(tool_json)
        self._tail = tool_json[-32:]
        return new


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
    streamed: Anchorer | None = None,
    attempts: int = 0,
) -> ReviewResult:
    """The result of a review: the findings anchored in the sent texts (``streamed``: the
    anchoring done while the reply streamed, used when it holds exactly ``raw_findings``),
    filtered, marked if dismissed, sorted and priced."""
    plan = prepared.plan
    anchorer = streamed
    if anchorer is None or anchorer.inputs != raw_findings:
        anchorer = Anchorer(plan.sent_texts(prepared.snapshot))
        for f in raw_findings:
            anchorer.add(f)
    anchored, counts = anchorer.result(), anchorer.dropped
    dropped = DroppedCounts(
        malformed=malformed,
        unknown_path=counts.unknown_path,
        out_of_range=counts.out_of_range,
    )
    rules = prepared.snapshot.policy
    anchored = policy.adjust(anchored, rules)  # severity overrides; nothing on ignored paths
    visible = policy.shown(rules, severity_rank(settings.minSeverity))
    shown = [f for f in anchored if visible(f)]
    dropped.below_threshold = len(anchored) - len(shown)
    shown = suppress.apply(shown, dismissed.load(prepared.snapshot.root), present_paths(prepared))
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
        attempts=attempts,
    )


def from_reply(
    prepared: Prepared,
    settings: Settings,
    reply: Reply,
    *,
    cache_key: str | None,
    batch: bool = False,
    record: bool = True,
    streamed: Streamed | None = None,
) -> ReviewResult:
    """The result of a whole reply, streamed or from a Message Batch: interpreted, anchored in
    the sent texts and priced (at half price when ``batch``). With ``record``, its usage goes
    to the ledger and, when complete, its findings to the result cache under ``cache_key``."""
    plan = prepared.plan
    got = interpret(
        reply, bool(settings.thinkingBudget), streamed.decoded if streamed is not None else ()
    )
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
        streamed=streamed.anchorer if streamed is not None else None,
        attempts=reply.attempts,
    )
    if not record:
        return result
    charge = accounting.Charge(
        plan.model, plan.kind, reply.request_id, prepared.snapshot.root, complete=got.complete
    )
    accounting.account(charge, reply.usage, settings, batch=batch)
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
    await maybe_call(
        on_stage,
        "sending",
        {"tokens": plan.input_tokens, "estimate": estimate, "files": len(plan.files)},
    )
    streamed = Streamed(prepared, settings)
    reply = Reply(model=plan.model)

    async def progress(ev: dict[str, Any]) -> None:
        if ev["stage"] == "started":
            cachestate.record_sent(root, plan, time.time())
            if plan.cache_base is not None:
                cachebase.save(root, note_sent(plan.cache_base, plan.cache_generation))
            await maybe_call(on_stage, "accepted", {"request_id": reply.request_id})
            await maybe_call(on_stage, "receiving", {"findings": 0})
        elif ev["stage"] == "receiving" and (on_findings is not None or on_stage is not None):
            before = streamed.count
            new = streamed.feed(reply.tool_json)
            if streamed.count != before:
                await maybe_call(on_stage, "receiving", {"findings": streamed.count})
            if new and on_findings is not None:
                await maybe_call(on_findings, new)

    try:
        await client.stream(plan.body, betas=plan.betas, on_progress=progress, into=reply)
    except asyncio.CancelledError:
        if reply.request_id is not None or reply.usage.total_input:
            record_interrupted(prepared, settings, reply)
        raise
    except PromptTooLong as e:
        raise prompt_too_long(e, plan, settings) from e
    await maybe_call(on_stage, "received", {"findings": streamed.count})  # before the whole read
    return from_reply(prepared, settings, reply, cache_key=key, streamed=streamed)


def prompt_too_long(e: PromptTooLong, plan: Plan, settings: Settings) -> PromptTooLong:
    """What happened when the API counted more than the window: its count, the local
    estimate, and the window that applied (without the 1M beta header, the standard one)."""
    info, _ = Registry(settings.models).get(plan.model)
    window = plan.window
    if info.beta1m and not plan.betas:
        window = info.standard_window
        where = f"the {window:,}-token window that applies without the 1M beta header"
    else:
        where = f"the model's {window:,}-token window"
    better = PromptTooLong(
        f"the API counted more input than {where} ({e.api_text}), while BigPicture's local "
        f"estimate was {plan.input_tokens:,} tokens: the estimate was too low for this "
        "content; leave files out (the `exclude` setting) or review the changes only",
        status=e.status,
        request_id=e.request_id,
        detail=e.detail,
    )
    better.api_text = e.api_text
    return better


def record_interrupted(prepared: Prepared, settings: Settings, reply: Reply) -> None:
    """The ledger entry of a review stopped after the API accepted it: the input the stream's
    start reported (the plan's expected usage when it had not arrived yet), and the output it
    streamed (estimated from its length when more than the API had reported so far)."""
    usage = reply.usage
    if not usage.total_input:
        usage = expected_usage(prepared.plan, prepared.snapshot.root)
    streamed = (reply.tool_json or "") + reply.text
    guess = tokens.estimate(streamed, "source") if streamed else 0
    if guess > usage.output_tokens:
        usage = msgspec.structs.replace(usage, output_tokens=guess)
    plan = prepared.plan
    charge = accounting.Charge(
        plan.model,
        plan.kind,
        reply.request_id,
        prepared.snapshot.root,
        complete=False,
        interrupted=True,
    )
    accounting.account(charge, usage, settings)


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
