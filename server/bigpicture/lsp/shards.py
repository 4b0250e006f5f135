"""A full-coverage review in the editor (``bigpicture.reviewAllShards``): every file whole, in
shards (``app.shards``), with work-done progress per shard and cancel.

Each shard's findings are published as soon as that shard ends (``publish.apply_result``: a
complete shard replaces the findings of its files, an incomplete one only adds what it
recovered), so a shard that fails leaves the findings of its files as they were. The summary
(``protocol.Summary``, kind ``full``) carries each shard's status and the files not reviewed;
a shard that did not complete makes the review ``incomplete``, never a clean result. The
limit ``maxCostPerReview`` applies to the total of every shard. ``estimate`` and
``showPlan`` accept the kind ``full`` too.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from lsprotocol import types as lsp

from bigpicture.app import shards as app_shards
from bigpicture.app.shards import PreparedShards
from bigpicture.core.errors import BigPictureError
from bigpicture.core.models import ReviewResult
from bigpicture.lsp import protocol
from bigpicture.lsp import reviews as reviewing
from bigpicture.lsp.messages import show
from bigpicture.lsp.publish import apply_result
from bigpicture.lsp.state import BigPictureServer, ReviewRequest
from bigpicture.outputs import shards as shards_out
from bigpicture.store import lastreview

KIND = "full"


async def prepare(ls: BigPictureServer) -> PreparedShards:
    """The shards of the in-memory workspace (in a thread: planning reads every file)."""
    st = ls.state
    settings, root, live = st.settings, st.root, st.live
    if root is None or live is None:
        raise BigPictureError("no workspace folder is open")

    def work() -> PreparedShards:
        snap = live.snapshot()
        return PreparedShards(snap, app_shards.plan_shards(snap, settings, kind="workspace"))

    return await asyncio.to_thread(work)


async def estimate(ls: BigPictureServer) -> dict[str, Any]:
    """``bigpicture.estimate`` of kind ``full``: the total of every shard."""
    try:
        ps = await prepare(ls)
    except BigPictureError as e:
        return {"error": protocol.error_code(e), "message": e.message}
    settings = ls.state.settings
    now = sum(app_shards.estimates(ps, settings))
    first = sum(p.cost.first for p in ps.plan.plans)
    return {
        "costFirstUsd": first,
        "costRepeatUsd": sum(p.cost.repeat for p in ps.plan.plans),
        "costNowUsd": now,
        "inputTokens": ps.plan.input_tokens,
        "files": sum(len(s.files) for s in ps.plan.shards),
        "shards": len(ps.plan.shards),
        "model": ps.plan.model,
        "maxCostPerReview": settings.maxCostPerReview,
    }


async def plan_text(ls: BigPictureServer) -> str:
    """The text of the plan of kind ``full`` (``BigPictureError`` when there is none)."""
    ps = await prepare(ls)
    settings = ls.state.settings
    return shards_out.render_text(
        ps.plan,
        app_shards.estimates(ps, settings),
        app_shards.estimates(ps, settings, batch=True),
        skipped=list(ps.snapshot.skipped),
    )


def _shards_info(result: ReviewResult) -> list[dict[str, Any]]:
    return [
        protocol.encode(
            protocol.ShardInfo(
                index=s.index,
                files=len(s.files),
                status=s.status,
                findings=s.findings,
                reason=s.reason,
            )
        )
        for s in result.shards
    ]


async def run(
    ls: BigPictureServer, req: ReviewRequest, progress: reviewing.Progress
) -> dict[str, Any]:
    """The review of every shard; its summary."""
    st = ls.state
    ps = await prepare(ls)
    n = len(ps.plan.shards)
    req.files = (sum(len(s.files) for s in ps.plan.shards), len(ps.plan.left_out))
    st.prepared_by_path = {}
    total = app_shards.check_total(ps, st.settings)
    progress.report(f"{n} shards, {ps.plan.input_tokens:,} tokens (estimated ${total:.4f})")
    ended: list[int] = []

    async def on_shard(index: int, stage: str, info: dict[str, Any]) -> None:
        if stage == "sending":
            req.sent = True  # from here on, its requests may be billed
            progress.report(f"shard {index}/{n}: sending {info['tokens']:,} tokens")
        elif stage == "done":
            ended.append(index)
            prepared = ps.prepared(index - 1)
            for path in ps.plan.shards[index - 1].files:
                st.prepared_by_path[path] = prepared
            apply_result(ls, prepared, info["result"])
            why = f" ({info['reason']})" if info.get("reason") else ""
            progress.report(
                f"{len(ended)} of {n} shards done; shard {index}: {info['status']}, "
                f"{info['findings']} findings{why}"
            )

    result = await app_shards.review(
        ps, st.settings, reviewing.api(ls), on_shard=on_shard, enforce_cost=False
    )
    at = time.time()
    if result.complete and st.root is not None:
        lastreview.record(
            st.root,
            kind="workspace",
            summary=result.summary,
            covered=ps.sent_texts(),
            findings=result.findings,
            at=at,
        )
    status, msg, kept = reviewing.result_message(ls, result)
    msg = f"{n} shards: {msg}"
    if status == "ok":
        show(ls, f"review done: {msg}")
        out = reviewing.summary(KIND, status, msg, result, at=at)
    else:
        show(ls, msg, lsp.MessageType.Warning)
        out = reviewing.summary(KIND, status, msg, result, error="incomplete", kept=kept, at=at)
    out["shards"] = _shards_info(result)
    out["notReviewed"] = result.not_reviewed
    return out
