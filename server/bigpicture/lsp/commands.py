"""The commands other than reviews: clear, dismiss, explain, the plan, the estimate, usage."""

from __future__ import annotations

from typing import Any

import msgspec
from lsprotocol import types as lsp
from pygls import uris

from bigpicture.app import explain as explaining
from bigpicture.app import review as reviewing
from bigpicture.core import spending
from bigpicture.core.errors import BigPictureError, NothingToReview
from bigpicture.lsp import protocol, shards
from bigpicture.lsp.messages import log_msg, show
from bigpicture.lsp.publish import clear_all, publish, rel_path
from bigpicture.lsp.reviews import api, prepare
from bigpicture.lsp.state import BigPictureServer, ReviewRequest
from bigpicture.outputs import plan as plan_out
from bigpicture.outputs import usage as usage_out
from bigpicture.store import dismissed, lastreview, ledger
from bigpicture.store import paths as store


def clear(ls: BigPictureServer) -> dict[str, Any]:
    """Every finding off the editor, and not restored at the next start."""
    cleared = clear_all(ls)
    if ls.state.root is not None:
        lastreview.forget(ls.state.root)
    return {"cleared": cleared}


def dismiss(ls: BigPictureServer, finding_id: str, reason: str) -> dict[str, Any]:
    st = ls.state
    if reason not in ("false-positive", "wont-fix"):
        show(
            ls,
            f"dismiss: reason must be false-positive or wont-fix, not {reason!r}",
            lsp.MessageType.Error,
        )
        return {"dismissed": None, "error": "bad-argument"}
    found = st.finding_by_id(finding_id)
    if found is None or st.root is None:
        show(ls, "dismiss: that finding is no longer shown", lsp.MessageType.Warning)
        return {"dismissed": None, "error": "not-found"}
    path, finding = found
    try:
        dismissed.dismiss(st.root, finding, reason)
    except BigPictureError as e:
        show(ls, e.message, lsp.MessageType.Error)
        return {"dismissed": None, "error": protocol.error_code(e), "message": e.message}
    ff = st.findings[path]  # kept, marked, so that restoring it shows it again
    ff.findings = [
        msgspec.structs.replace(f, suppressed=reason) if f.id == finding_id else f
        for f in ff.findings
    ]
    publish(ls, path)
    return {"dismissed": finding_id, "reason": reason}


async def explain(ls: BigPictureServer, finding_id: str) -> dict[str, Any]:
    """A follow-up question about one finding on the cached prefix of its review."""
    st = ls.state
    found = st.finding_by_id(finding_id)
    prepared = st.last_prepared
    if found is not None and found[0] in st.prepared_by_path:
        prepared = st.prepared_by_path[found[0]]  # the shard its file was reviewed in
    if found is None or prepared is None:
        show(
            ls,
            "explain: that finding is not from a review in this session",
            lsp.MessageType.Warning,
        )
        return {"answer": None, "error": "not-found"}
    _, f = found
    try:
        got = await explaining.explain(prepared, f, st.settings, api(ls))
    except BigPictureError as e:
        show(ls, e.message, lsp.MessageType.Error)
        return {"answer": None, "error": protocol.error_code(e), "message": e.message}
    if not got.complete:
        show(ls, f"explain: {got.reason}", lsp.MessageType.Warning)
    return {
        "answer": got.answer,
        "complete": got.complete,
        "reason": got.reason,
        "costUsd": got.cost.usd,
        "cacheReadShare": round(got.usage.cache_read_share, 4),
        "title": f.title,
    }


async def _plan(ls: BigPictureServer, kind: str, uri: str | None) -> Any:
    file = rel_path(ls, uri) if uri else None
    return await prepare(ls, ReviewRequest(kind, file))


async def show_plan(ls: BigPictureServer, kind: str, uri: str | None) -> dict[str, Any]:
    st = ls.state
    try:
        if kind == "full":
            prepared, text = None, await shards.plan_text(ls)
        else:
            prepared = await _plan(ls, kind, uri)
            text = plan_out.render_text(prepared.plan)
    except BigPictureError as e:
        kind_ = lsp.MessageType.Info if isinstance(e, NothingToReview) else lsp.MessageType.Error
        show(ls, e.message, kind_)
        return {"uri": None, "text": e.message, "error": protocol.error_code(e)}
    path = store.workspace_dir(st.root or ".") / "plan.md"
    store.atomic_write(path, text.encode())
    uri_out = uris.from_fs_path(str(path)) or ""
    win = ls.client_capabilities.window
    if win and win.show_document and win.show_document.support:
        try:
            await ls.window_show_document_async(
                lsp.ShowDocumentParams(uri=uri_out, take_focus=True)
            )
        except Exception as e:
            log_msg(ls, f"showDocument failed: {e}")
    elif prepared is None:
        show(ls, f"plan of a full-coverage review: {path}")
    else:
        c = prepared.plan.cost
        show(
            ls,
            f"plan: {len(prepared.plan.files)} files, {prepared.plan.input_tokens:,} tokens, "
            f"first ${c.first:.4f}, repeat ${c.repeat:.4f} (full plan: {path})",
        )
    return {"uri": uri_out, "text": text}


async def estimate(ls: BigPictureServer, kind: str, uri: str | None) -> dict[str, Any]:
    if kind == "full":
        return await shards.estimate(ls)
    try:
        prepared = await _plan(ls, kind, uri)
    except BigPictureError as e:
        return {"error": protocol.error_code(e), "message": e.message}
    plan = prepared.plan
    now, _ = reviewing.estimated_cost(plan, str(ls.state.root), ls.state.settings)
    return {
        "costFirstUsd": plan.cost.first,
        "costRepeatUsd": plan.cost.repeat,
        "costNowUsd": now,
        "inputTokens": plan.input_tokens,
        "files": len(plan.files),
        "model": plan.model,
        "maxCostPerReview": ls.state.settings.maxCostPerReview,  # editors refuse above it
    }


def usage(ls: BigPictureServer) -> dict[str, Any]:
    summary = spending.summarize(ledger.read())
    return {
        "text": usage_out.render(summary),
        "totalCostUsd": summary.total_cost_usd,
        "cacheReadShare": summary.cache_read_share,
        "requests": summary.requests,
    }
