"""The verification pass after a review: a second request on the review's cached prefix
(``core.request.verify``) that re-examines each finding; only the confirmed ones stay, the
others go to ``dropped`` with the reason; its cost is in the ledger (kind ``verify``) and in
the result's total.

Never a false all-clear: a pass that fails (an API error, a refusal, a reply cut off or
without a findings call) decides nothing. The review is then incomplete (exit 6), with every
finding kept and marked ``unverified``, and the reason says the pass did not finish.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from bigpicture.app import accounting
from bigpicture.app.prepare import Prepared
from bigpicture.client.anthropic import ApiClient
from bigpicture.core.config import Settings
from bigpicture.core.errors import ApiError
from bigpicture.core.models import Cost, Finding, ReviewResult, VerificationInfo
from bigpicture.core.reply.interpret import Reply, interpret
from bigpicture.core.request import verify as verification
from bigpicture.store import resultcache

OnStage = Callable[[str, dict[str, Any]], Awaitable[None] | None]


def wanted(settings: Settings, *, ci: bool) -> bool:
    """Whether a review runs the pass: ``verify = "on"``, or ``"auto"`` in a CI-style run
    (``--format sarif`` or ``--fail-on``)."""
    return settings.verify == "on" or (settings.verify == "auto" and ci)


def _total(review: Cost | None, extra: Cost | None) -> Cost | None:
    if extra is None:
        return review
    if review is None:
        return extra
    return Cost(
        usd=review.usd + extra.usd,
        tier=review.tier,
        batch=review.batch,
        list_price_usd=review.list_price_usd + extra.list_price_usd,
    )


def _unverified(result: ReviewResult, info: VerificationInfo) -> ReviewResult:
    """The review with its findings kept, marked unverified, and incomplete."""
    n = sum(1 for f in result.findings if f.suppressed is None)
    reason = (
        f"the verification pass did not finish ({info.reason}); the {n} findings are unverified"
    )
    return msgspec.structs.replace(
        result,
        findings=[
            msgspec.structs.replace(f, verification="unverified") if f.suppressed is None else f
            for f in result.findings
        ],
        complete=False,
        incomplete_reason=reason if result.complete else result.incomplete_reason,
        cost=_total(result.cost, info.cost),
        verification=info,
    )


def _decided(
    result: ReviewResult,
    checked: list[Finding],
    verdicts: dict[str, verification.Verdict],
    settings: Settings,
    info: VerificationInfo,
) -> ReviewResult:
    dropped = msgspec.structs.replace(result.dropped)
    before = dropped.not_confirmed
    kept = verification.apply(
        checked,
        verdicts,
        dropped,
        min_confidence=settings.minConfidence,
        min_severity=settings.minSeverity,
        kind=result.kind,
    )
    info.confirmed = sum(1 for v in verdicts.values() if v.confirmed)
    info.rejected = dropped.not_confirmed - before
    dismissed = [f for f in result.findings if f.suppressed is not None]
    findings = sorted(
        kept + dismissed,
        key=lambda f: (f.path, f.range.start_line if f.range else f.line - 1, f.id),
    )
    return msgspec.structs.replace(
        result,
        findings=findings,
        dropped=dropped,
        cost=_total(result.cost, info.cost),
        verification=info,
    )


async def verify(
    prepared: Prepared,
    settings: Settings,
    client: ApiClient | None,
    result: ReviewResult,
    *,
    use_cache: bool = True,
    on_stage: OnStage | None = None,
) -> ReviewResult:
    """``result`` after the verification pass (see the module docstring)."""
    checked = [f for f in result.findings if f.suppressed is None]
    if not result.complete:
        info = VerificationInfo("skipped", reason="the review did not finish", checked=0)
        return _unverified(result, info)
    if not checked:
        return msgspec.structs.replace(
            result, verification=VerificationInfo("complete", reason="no findings to verify")
        )
    plan = prepared.plan
    root = prepared.snapshot.root
    body = verification.body(
        plan.body, checked, plan.nonce, kind=plan.kind, language=settings.language
    )
    key = resultcache.key(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())
    stored = resultcache.get_verdicts(root, key) if use_cache else None
    if stored is not None:
        info = VerificationInfo(
            "complete",
            checked=len(checked),
            summary=stored.summary,
            usage=stored.usage,
            request_id=stored.request_id,
            from_cache=True,
        )
        return _decided(result, checked, {v.ref: v for v in stored.verdicts}, settings, info)
    if client is None:
        info = VerificationInfo("incomplete", reason="no API key to send it", checked=len(checked))
        return _unverified(result, info)
    if on_stage is not None:
        res = on_stage("verifying", {"findings": len(checked), "estimate": plan.cost.verify})
        if res is not None:
            await res
    reply = Reply(model=plan.model)

    async def progress(ev: dict[str, Any]) -> None:
        if ev["stage"] == "started" and on_stage is not None:
            res = on_stage("verification accepted", {"request_id": reply.request_id})
            if res is not None:
                await res

    try:
        await client.stream(body, betas=plan.betas, on_progress=progress, into=reply)
    except asyncio.CancelledError:
        if reply.request_id is not None or reply.usage.total_input:
            charge = accounting.Charge(
                plan.model, "verify", reply.request_id, root, complete=False, interrupted=True
            )
            accounting.account(charge, reply.usage, settings)
        raise
    except ApiError as e:
        info = VerificationInfo("incomplete", reason=e.message, checked=len(checked))
        return _unverified(result, info)
    return _read(prepared, settings, result, checked, reply, key)


def _read(
    prepared: Prepared,
    settings: Settings,
    result: ReviewResult,
    checked: list[Finding],
    reply: Reply,
    key: str,
) -> ReviewResult:
    plan = prepared.plan
    got = interpret(reply, bool(settings.thinkingBudget))
    raw: Any = reply.tool_input
    if reply.tool_json:
        try:
            raw = json.loads(reply.tool_json)
        except ValueError:
            raw = None
    # The summary comes last in the schema: without it the pass may have been cut, and a cut
    # pass must not drop the findings it did not reach.
    complete = got.complete and isinstance(raw, dict) and "summary" in raw
    charge = accounting.Charge(
        plan.model, "verify", reply.request_id, prepared.snapshot.root, complete=complete
    )
    cost = accounting.account(charge, reply.usage, settings)
    info = VerificationInfo(
        "complete",
        checked=len(checked),
        summary=got.summary,
        usage=reply.usage,
        cost=cost,
        request_id=reply.request_id,
    )
    if not complete:
        info.status = "incomplete"
        info.reason = got.reason or (
            "its reply ended before its summary"
            if isinstance(raw, dict)
            else "the model did not call report_findings"
        )
        return _unverified(result, info)
    verdicts, _ = verification.read(raw, checked)
    resultcache.put_verdicts(
        prepared.snapshot.root,
        key,
        resultcache.StoredVerdicts(
            list(verdicts.values()), got.summary, reply.usage, reply.request_id
        ),
    )
    return _decided(result, checked, verdicts, settings, info)
