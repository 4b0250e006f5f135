"""Reviews through the Message Batches API: half price, results within 24 hours, for CI and for
many repositories at once (https://platform.claude.com/docs/en/build-with-claude/batch-processing).

``bigpicture review --batch PATH...`` plans each PATH exactly as an interactive review does
(``pipeline.prepare``), refuses to send when a request's estimate at batch price (a first
review: the cache is written, nothing read; caching in batches is best-effort) is over
``--max-cost``, and submits ONE batch with one request per path. Its ``custom_id`` is the
folder's name and a hash of its resolved path and the review kind (``custom_id_for``), which
the API's rule (``^[A-Za-z0-9_-]{1,64}$``) accepts.

The record of each batch is kept by ``store.batches``; the CLI's commands and rendering are in
``cli.batch``.

Then it polls (2 s, doubling up to 60 s; ``BIGPICTURE_BATCH_POLL`` sets the first interval in
seconds, and the cap is 30 times it) until the batch has ended.

Results: each succeeded reply goes through ``review.from_reply``, the very function an
interactive review uses, so a review gives the same findings either way; its usage is written
to the ledger once, priced at the batch rate, and a complete one fills the result cache. An
errored, canceled or expired request (or one missing from the results) is an incomplete
review with its reason, never a clean one.

Re-anchoring: the findings are first anchored in the texts that were sent. The workspace is
then gathered again; a file whose text has changed since the submission has its findings
moved with ``anchor.follow`` (the one rule that moves findings onto edited text), keeping a
finding whose code is gone at its old line as an ``approximate`` whole-line range without its
fix. Without the stored texts, findings are anchored in the current text by their quotes, and
those in changed files are marked ``approximate``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from bigpicture.app import review as reviewing
from bigpicture.app.prepare import Prepared
from bigpicture.client.anthropic import ApiClient, BatchItem, BatchStatus
from bigpicture.core.config import Settings
from bigpicture.core.errors import BigPictureError, BudgetError, UsageError
from bigpicture.core.gather.gather import digest, gather
from bigpicture.core.models import ReviewResult, Snapshot, SourceFile
from bigpicture.core.reply.follow import follow_all
from bigpicture.core.request.plan import Plan, body_bytes
from bigpicture.store.batches import Record, Request, load_texts, save
from bigpicture.store.resultcache import key as cache_key_of

POLL_ENV = "BIGPICTURE_BATCH_POLL"


DEFAULT_POLL = 2.0


POLL_GROWTH = 30  # the interval doubles up to 30 times the first one: 2 s → 60 s


_CUSTOM_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


_HEAVY_PLAN_FIELDS = ("cache_base", "cache_generation")  # the texts again; not needed later


def custom_id_for(
    root: Path | str, kind: str = "workspace", ref: str | None = None, file: str | None = None
) -> str:
    """The request's ``custom_id``: the folder's name and a hash of what is reviewed."""
    real = Path(root).resolve()
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", real.name).strip("-")[:40] or "root"
    digest_ = hashlib.sha256("\0".join((str(real), kind, ref or "", file or "")).encode())
    cid = f"{slug}-{digest_.hexdigest()[:12]}"
    assert _CUSTOM_ID.match(cid), cid
    return cid


def _settings_dict(settings: Settings) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.to_builtins(settings)
    return data


def settings_from(data: dict[str, Any]) -> Settings:
    try:
        return msgspec.convert(data, Settings)
    except msgspec.ValidationError as e:
        raise UsageError(f"the stored settings of this batch are unreadable: {e}") from e


def _plan_dict(plan: Plan) -> dict[str, Any]:
    heavy = {n: None for n in _HEAVY_PLAN_FIELDS if n in plan.__struct_fields__}
    raw: dict[str, Any] = msgspec.to_builtins(msgspec.structs.replace(plan, body={}, **heavy))
    for n in heavy:
        raw.pop(n, None)
    return raw


def _plan_from(data: dict[str, Any]) -> Plan:
    try:
        return msgspec.convert(data, Plan)
    except msgspec.ValidationError as e:
        raise UsageError(
            f"the stored plan of this batch is unreadable by this version of BigPicture: {e}"
        ) from e


def poll_interval() -> float:
    raw = os.environ.get(POLL_ENV)
    if raw:
        try:
            value = float(raw)
            if value >= 0:
                return value
        except ValueError:
            pass
    return DEFAULT_POLL


@dataclass
class Planned:
    label: str
    settings: Settings
    prepared: Prepared
    custom_id: str = ""


def content_key(planned: list[Planned]) -> str:
    h = hashlib.sha256()
    for p in sorted(planned, key=lambda p: p.custom_id):
        h.update(p.custom_id.encode())
        h.update(cache_key_of(body_bytes(p.prepared.plan)).encode())
        h.update(json.dumps(_settings_dict(p.settings), sort_keys=True).encode())
    return h.hexdigest()


def check_costs(planned: list[Planned]) -> float:
    """The batch's estimate (each request a first review at batch price); raises
    ``BudgetError`` when a request's estimate is over its ``maxCostPerReview``."""
    total = 0.0
    for p in planned:
        usd = p.prepared.plan.cost.batch_first
        if usd > p.settings.maxCostPerReview:
            raise BudgetError(
                f"{p.label}: estimated cost ${usd:.2f} at batch price is over the limit of "
                f"${p.settings.maxCostPerReview:.2f} per review: raise the "
                "`maxCostPerReview` setting, or send less (a changes review, the `exclude` "
                "setting); nothing was submitted"
            )
        total += usd
    return total


def batch_requests(planned: list[Planned]) -> tuple[list[dict[str, Any]], list[str]]:
    """The batch's requests (the plans' bodies, never streaming) and the betas they need."""
    requests = []
    betas: set[str] = set()
    for p in planned:
        params = {k: v for k, v in p.prepared.plan.body.items() if k != "stream"}
        requests.append({"custom_id": p.custom_id, "params": params})
        betas.update(p.prepared.plan.betas)
    return requests, sorted(betas)


async def submit(
    client: ApiClient,
    planned: list[Planned],
    *,
    nothing: dict[str, str] | None = None,
    coverage: str = "window",
) -> Record:
    """Submit one batch for ``planned`` and store its record (before returning).
    ``coverage="full"``: the requests are the shards of one review (merged when read)."""
    requests, betas = batch_requests(planned)
    status = await client.create_batch(requests, betas=betas)
    first = planned[0].settings
    record = Record(
        id=status.id,
        submitted=time.time(),
        requests=[
            Request(
                custom_id=p.custom_id,
                label=p.label,
                root=p.prepared.snapshot.root,
                kind=p.prepared.plan.kind,
                plan=_plan_dict(p.prepared.plan),
                settings=_settings_dict(p.settings),
                hashes={
                    path: digest(text)
                    for path, text in p.prepared.plan.sent_texts(p.prepared.snapshot).items()
                },
                cache_key=cache_key_of(body_bytes(p.prepared.plan)),
                estimate=p.prepared.plan.cost.batch_first,
            )
            for p in planned
        ],
        content_key=content_key(planned),
        provider=first.provider,
        base_url=first.baseUrl,
        nothing=dict(nothing or {}),
        coverage=coverage,
    )
    update(record, status)
    texts = {p.custom_id: p.prepared.plan.sent_texts(p.prepared.snapshot) for p in planned}
    save(record, texts)
    return record


def update(record: Record, status: BatchStatus) -> None:
    record.status = status.processing_status
    record.counts = dict(status.counts)
    record.created_at = status.created_at or record.created_at
    record.expires_at = status.expires_at or record.expires_at
    record.ended_at = status.ended_at


def describe(status: BatchStatus) -> str:
    c = status.counts
    counts = ", ".join(
        f"{c.get(k, 0)} {k}" for k in ("processing", "succeeded", "errored", "canceled", "expired")
    )
    return f"batch {status.id}: {status.processing_status} ({counts})"


async def wait(
    client: ApiClient, batch_id: str, record: Record | None, progress: Any
) -> BatchStatus:
    """Poll until the batch has ended, with backoff; the record follows its status."""
    interval = poll_interval()
    cap = interval * POLL_GROWTH
    while True:
        status = await client.retrieve_batch(batch_id)
        if record is not None and (record.status, record.counts) != (
            status.processing_status,
            status.counts,
        ):
            update(record, status)
            save(record)
        if status.ended:
            return status
        if progress:
            progress(f"{describe(status)}; next check in {interval:.0f} s")
        await asyncio.sleep(interval)
        interval = min(interval * 2, cap) if interval else 0.0


@dataclass
class Outcome:
    """One request's review, re-anchored on the current workspace."""

    request: Request
    status: str  # succeeded | errored | canceled | expired | missing
    result: ReviewResult
    texts: dict[str, str]  # the texts the result's ranges refer to
    reason: str | None = None
    reanchored: list[str] = field(default_factory=list)  # changed since the submission

    @property
    def ok(self) -> bool:
        return self.status == "succeeded" and self.result.complete


def _why(item: BatchItem | None) -> str:
    if item is None:
        return "the batch's results have no entry for this request"
    if item.kind == "errored":
        return f"the batch request errored: {item.error or 'no reason given'}"
    if item.kind == "canceled":
        return "the batch request was canceled before it was processed"
    if item.kind == "expired":
        return "the batch request expired: it was not processed within 24 hours"
    return f"the batch request ended as {item.kind}"


def interpret(record: Record, items: list[BatchItem], progress: Any = None) -> list[Outcome]:
    """Every request's review from the batch's results, in submission order."""
    by_id = {i.custom_id: i for i in items}
    all_texts = load_texts(record.id)
    if all_texts is None and progress:
        progress(
            f"the texts sent in batch {record.id} are not stored any more: findings are "
            "anchored in the current text, and marked approximate in files changed since"
        )
    out = []
    for req in record.requests:
        settings = settings_from(req.settings)
        current = _current_texts(req, settings, progress)
        stored_texts = (all_texts or {}).get(req.custom_id)
        stale = stored_texts is None
        if stored_texts is None:  # fall back on the current text of every file that was sent
            sent = {p: current[p] for p in req.hashes if current and p in current}
        else:
            sent = stored_texts
        if current is None:  # unreadable now: the findings stay on the sent text
            current = dict(sent)
        plan = _plan_from(req.plan)
        snapshot = Snapshot(
            root=req.root,
            files=[SourceFile(path=p, text=t, sha=digest(t), size=0) for p, t in sent.items()],
        )
        prepared = Prepared(snapshot, plan)
        item = by_id.get(req.custom_id)
        if item is not None and item.kind == "succeeded" and item.reply is not None:
            result = reviewing.from_reply(
                prepared,
                settings,
                item.reply,
                cache_key=None if stale else req.cache_key,
                batch=True,
                record=not record.recorded,
            )
            status, reason = "succeeded", None
        else:
            reason = _why(item)
            status = item.kind if item is not None else "missing"
            result = reviewing.finish(
                prepared,
                settings,
                [],
                "",
                0,
                usage=None,
                request_id=record.id,
                complete=False,
                reason=reason,
                from_cache=False,
            )
        changed = sorted(
            p for p, h in req.hashes.items() if current.get(p) is None or digest(current[p]) != h
        )
        texts = dict(sent)
        if stale:
            moved = set(changed)
            result.findings = [
                msgspec.structs.replace(f, approximate=True, fix=None) if f.path in moved else f
                for f in result.findings
            ]
        elif changed:
            result.findings = follow_all(result.findings, sent, current, set(changed))
            for p in changed:
                if p in current:
                    texts[p] = current[p]
                else:
                    texts.pop(p, None)
        out.append(Outcome(req, status, result, texts, reason, changed))
    return out


def _current_texts(req: Request, settings: Settings, progress: Any) -> dict[str, str] | None:
    """The workspace's texts now, as a review would send them; None if it cannot be read."""
    root = Path(req.root)
    if not root.is_dir():
        return {}
    try:
        snap = gather(root, settings)
    except BigPictureError as e:
        if progress:
            progress(
                f"{req.label}: the workspace cannot be read again ({e.message}): its findings "
                "stay on the text that was sent"
            )
        return None
    return {f.path: f.text for f in snap.files}
