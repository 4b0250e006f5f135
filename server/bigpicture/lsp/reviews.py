"""Reviews in the editor: scheduling, progress, streaming findings, and the summary.

Scheduling rule. An explicit review command cancels a running review and starts at once. A
save (with ``reviewOnSave`` on) waits for a quiet period of ``debounceMs`` after the last save;
if a review is running when that period ends, the new one waits and runs once after it (a
later save replaces the waiting one). At most one review runs per workspace.

Nothing is lost on failure: findings stay until a review of their file succeeds; a failed,
cancelled or refused review leaves them as they were, and an incomplete one only adds the
findings it recovered.
"""

from __future__ import annotations

import asyncio
import traceback
from typing import Any

import msgspec
from lsprotocol import types as lsp

from bigpicture.app import prepare as pipeline
from bigpicture.app import review as reviewing
from bigpicture.client.anthropic import ApiClient
from bigpicture.core.errors import ApiError, BigPictureError, BudgetError, NothingToReview
from bigpicture.core.models import Finding, ReviewResult
from bigpicture.core.request.plan import body_bytes
from bigpicture.lsp import protocol
from bigpicture.lsp.messages import log_msg, show, spawn
from bigpicture.lsp.publish import apply_result, publish, rel_path
from bigpicture.lsp.state import BigPictureServer, ReviewRequest
from bigpicture.store import resultcache

TITLES = {
    "workspace": "BigPicture: reviewing the workspace",
    "changes": "BigPicture: reviewing the changes",
    "file": "BigPicture: reviewing the file",
}


def summary(
    kind: str,
    status: protocol.Status,
    message: str,
    result: ReviewResult | None = None,
    error: BaseException | str | None = None,
) -> dict[str, Any]:
    """The contract's summary of a review (``protocol.Summary``) as JSON-able data."""
    by_sev: dict[str, int] = {}
    if result is not None:
        for f in result.findings:
            if not f.suppressed:
                by_sev[f.severity] = by_sev.get(f.severity, 0) + 1
    usage = result.usage if result is not None else None
    cost = None
    if result is not None:
        cost = result.cost.usd if result.cost else (0.0 if result.from_cache else None)
    code = error if isinstance(error, str) or error is None else protocol.error_code(error)
    encoded: dict[str, Any] = protocol.encode(
        protocol.Summary(
            status=status,
            kind=kind,
            message=message,
            findings=sum(by_sev.values()),
            bySeverity=by_sev,
            costUsd=cost,
            cacheReadShare=round(usage.cache_read_share, 4) if usage is not None else None,
            usage=msgspec.to_builtins(usage) if usage is not None else None,
            requestId=result.request_id if result is not None else None,
            fromCache=bool(result and result.from_cache),
            error=code,
            retryable=isinstance(error, ApiError) and error.retryable,
            retryAfter=error.retry_after if isinstance(error, ApiError) else None,
        )
    )
    return encoded


def api(ls: BigPictureServer) -> ApiClient:
    """The server's API client, made on first use (its credentials are checked then)."""
    st = ls.state
    if st.api is None:
        st.api = ApiClient(
            base_url=st.settings.baseUrl, provider=st.settings.provider, models=st.settings.models
        )
    return st.api


async def prepare(ls: BigPictureServer, req: ReviewRequest) -> pipeline.Prepared:
    """The plan of ``req`` on the in-memory workspace (in a thread: gathering reads files)."""
    st = ls.state
    settings, root, live = st.settings, st.root, st.live
    if root is None or live is None:
        raise BigPictureError("no workspace folder is open")

    def work() -> pipeline.Prepared:
        file = str(root / req.file) if req.file else None
        snap = pipeline.focus_on(
            root, live.snapshot(), settings, kind=req.kind, ref=settings.baseBranch, file=file
        )
        return pipeline.Prepared(snap, pipeline.plan_for(snap, settings, kind=req.kind))

    return await asyncio.to_thread(work)


class Progress:
    """Work-done progress for one review, when the client supports it; cancelling it in the
    editor cancels the review."""

    def __init__(self, ls: BigPictureServer, task: asyncio.Task[Any] | None) -> None:
        self.ls = ls
        self.task = task
        self.token: str | None = None

    async def begin(self, title: str) -> None:
        win = self.ls.client_capabilities.window
        if not (win and win.work_done_progress):
            return
        self.ls.state.progress_counter += 1
        token = f"bigpicture-review-{self.ls.state.progress_counter}"
        try:
            await self.ls.work_done_progress.create_async(token)
        except Exception:
            return
        self.token = token
        fut = self.ls.work_done_progress.tokens.get(token)
        if fut is not None and self.task is not None:
            task = self.task
            fut.add_done_callback(lambda f: task.cancel() if f.cancelled() else None)
        self.ls.work_done_progress.begin(
            token, lsp.WorkDoneProgressBegin(title=title, cancellable=True, message="gathering")
        )

    def report(self, message: str) -> None:
        if self.token:
            self.ls.work_done_progress.report(
                token=self.token, value=lsp.WorkDoneProgressReport(message=message)
            )

    def end(self, message: str) -> None:
        if self.token:
            self.ls.work_done_progress.end(self.token, lsp.WorkDoneProgressEnd(message=message))
            self.ls.work_done_progress.tokens.pop(self.token, None)
            self.token = None


def _over_budget_on_save(
    ls: BigPictureServer, req: ReviewRequest, prepared: pipeline.Prepared
) -> dict[str, Any] | None:
    """A review on save estimated over ``maxCostPerReview`` is skipped, said once per
    configuration."""
    st = ls.state
    usd, _ = reviewing.estimated_cost(prepared.plan, str(st.root), st.settings)
    if usd <= st.settings.maxCostPerReview:
        return None
    msg = (
        f"review on save skipped: estimated ${usd:.2f} is over maxCostPerReview "
        f"${st.settings.maxCostPerReview:.2f}"
    )
    if not st.cost_warned:
        st.cost_warned = True
        show(ls, msg, lsp.MessageType.Warning)
    return summary(req.kind, "over-budget", msg, error="over-budget")


def _result_message(result: ReviewResult) -> tuple[protocol.Status, str]:
    n = sum(1 for f in result.findings if not f.suppressed)
    cost = f"${result.cost.usd:.4f}" if result.cost else "$0 (cached result)"
    share = (
        f", cache read {result.usage.cache_read_share:.0%}"
        if result.usage and not result.from_cache
        else ""
    )
    if result.complete:
        return "ok", f"{n} findings, {cost}{share}"
    return "incomplete", (
        f"INCOMPLETE review ({result.incomplete_reason}); {n} findings recovered, {cost}"
    )


async def _run(ls: BigPictureServer, req: ReviewRequest, progress: Progress) -> dict[str, Any]:
    st = ls.state
    prepared = await prepare(ls, req)
    plan = prepared.plan
    progress.report(f"gathered {len(plan.files)} files, {plan.input_tokens:,} tokens")
    if req.trigger == "save" and (skipped := _over_budget_on_save(ls, req, prepared)):
        return skipped
    previous = set(st.findings)

    async def on_findings(partial: list[Finding]) -> None:
        by_path: dict[str, list[Finding]] = {}
        for f in partial:
            by_path.setdefault(f.path, []).append(f)
        for path, fs in by_path.items():
            publish(ls, path, extra=fs)

    async def on_stage(name: str, info: dict[str, Any]) -> None:
        if name == "sending":
            progress.report(
                f"sending {info['tokens']:,} tokens (estimated ${info['estimate']:.4f})"
            )
        elif name == "receiving":
            progress.report(f"receiving: {info['findings']} findings so far")

    cached = resultcache.get(str(st.root), resultcache.key(body_bytes(plan))) is not None
    client = None if cached else api(ls)
    try:
        result = await reviewing.review(
            prepared, st.settings, client, on_findings=on_findings, on_stage=on_stage
        )
    except asyncio.CancelledError:
        for path in previous | {f.path for f in plan.files if f.path in st.findings}:
            publish(ls, path)  # take back the streamed findings
        raise
    st.last_prepared = prepared
    apply_result(ls, prepared, result)
    status, msg = _result_message(result)
    if status == "ok":
        show(ls, f"review done: {msg}")
        return summary(req.kind, status, msg, result)
    show(ls, msg, lsp.MessageType.Warning)
    return summary(req.kind, status, msg, result, error="incomplete")


async def run_review(ls: BigPictureServer, req: ReviewRequest) -> dict[str, Any]:
    """One review with its progress; every outcome ends in a summary sent to the client."""
    progress = Progress(ls, asyncio.current_task())
    await progress.begin(TITLES[req.kind])
    result: dict[str, Any]
    try:
        result = await _run(ls, req, progress)
    except asyncio.CancelledError:
        result = summary(req.kind, "cancelled", "review cancelled")
        progress.end("cancelled")
        finished(ls, result)
        raise
    except NothingToReview as e:
        result = summary(req.kind, "nothing-to-review", e.message)
        show(ls, e.message)
    except BudgetError as e:
        result = summary(req.kind, "over-budget", e.message, error=e)
        show(ls, e.message, lsp.MessageType.Error)
    except BigPictureError as e:
        result = summary(req.kind, "failed", e.message, error=e)
        show(ls, e.message, lsp.MessageType.Error)
        log_msg(ls, f"{type(e).__name__}: {e.message}\n{e.detail or ''}", lsp.MessageType.Error)
    except Exception as e:
        result = summary(req.kind, "failed", f"internal error: {e}", error="internal")
        show(ls, f"internal error: {e} (details in the log)", lsp.MessageType.Error)
        log_msg(ls, traceback.format_exc(), lsp.MessageType.Error)
    progress.end(result["message"])
    finished(ls, result)
    return result


def finished(ls: BigPictureServer, result: dict[str, Any]) -> None:
    ls.state.last_summary = result
    ls.protocol.notify(protocol.REVIEW_FINISHED, result)


async def start(ls: BigPictureServer, req: ReviewRequest) -> dict[str, Any]:
    st = ls.state
    task = asyncio.get_running_loop().create_task(run_review(ls, req))
    st.running = task
    st.running_request = req
    try:
        return await task
    finally:
        if st.running is task:
            st.running = None
            st.running_request = None
            queued, st.queued = st.queued, None
            if queued is not None:
                spawn(ls, start(ls, queued))


async def stop_running(ls: BigPictureServer) -> bool:
    """Cancel the running review and wait for it to wind down; whether one was running."""
    running = ls.state.running
    if running is None or running.done():
        return False
    running.cancel()
    try:
        await running
    except (asyncio.CancelledError, Exception):
        pass
    return True


async def run_command(ls: BigPictureServer, kind: str, uri: str | None = None) -> dict[str, Any]:
    """A review command: cancellable with ``$/cancelRequest`` (``lsp.cancellation``)."""
    st = ls.state
    request_id = ls.protocol.msg_id
    task = asyncio.current_task()
    if request_id is not None and task is not None:
        st.request_tasks[request_id] = task
    try:
        file = None
        if kind == "file":
            file = rel_path(ls, uri) if uri else None
            if file is None:
                msg = "review file: give the URI of a file inside the workspace"
                show(ls, msg, lsp.MessageType.Error)
                return summary(kind, "failed", msg, error="bad-argument")
        await stop_running(ls)
        try:
            return await start(ls, ReviewRequest(kind, file))
        except asyncio.CancelledError:
            return summary(kind, "cancelled", "review cancelled")
    finally:
        st.request_tasks.pop(request_id, None)


async def debounced(ls: BigPictureServer, req: ReviewRequest) -> None:
    await asyncio.sleep(ls.state.settings.debounceMs / 1000)
    st = ls.state
    if st.running is not None and not st.running.done():
        st.queued = req  # coalesce: runs once after the current review
        return
    try:
        await start(ls, req)
    except asyncio.CancelledError:
        pass


async def cancel(ls: BigPictureServer) -> dict[str, Any]:
    st = ls.state
    st.queued = None
    if st.debounce is not None and not st.debounce.done():
        st.debounce.cancel()
    return {"cancelled": await stop_running(ls)}
