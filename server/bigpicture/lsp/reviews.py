"""Reviews in the editor: scheduling, progress, streaming findings, and the summary.

Scheduling rule. A review command does what its ``ifRunning`` option says when a review is
running: ``cancel`` (the default) cancels it and starts at once (the summary names the review
it replaced), ``wait`` runs once after it ends, ``ask`` starts nothing and answers ``Busy``. A
save (with ``reviewOnSave`` on) waits for a quiet period of ``debounceMs`` after the last save;
if a review is running when that period ends, the new one waits and runs once after it (a
later save replaces the waiting one). At most one review runs per workspace.

Nothing is lost on failure: findings stay until a review of their file succeeds; a failed,
cancelled or refused review leaves them as they were (its summary says how many are kept),
and an incomplete one only adds the findings it recovered. Findings stream in as the reply
arrives, each decoded and anchored once (``app.review.Streamed``) and published in coalesced
flushes (``lsp.streaming``). A complete review's findings are kept on disk
(``store.lastreview``) and shown again when the server starts (``lifecycle``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import traceback
from typing import Any

import msgspec
from lsprotocol import types as lsp

from bigpicture.app import prepare as pipeline
from bigpicture.app import review as reviewing
from bigpicture.client.anthropic import ApiClient
from bigpicture.core.errors import ApiError, BigPictureError, BudgetError, NothingToReview
from bigpicture.core.models import ReviewResult
from bigpicture.core.request.plan import body_bytes
from bigpicture.lsp import protocol
from bigpicture.lsp.messages import log_msg, show, spawn
from bigpicture.lsp.publish import apply_result, publish, rel_path, shown_counts
from bigpicture.lsp.state import BigPictureServer, ReviewRequest
from bigpicture.lsp.streaming import Flusher
from bigpicture.store import lastreview, resultcache

TITLES = {
    "workspace": "BigPicture: reviewing the workspace",
    "changes": "BigPicture: reviewing the changes",
    "file": "BigPicture: reviewing the file",
    "full": "BigPicture: reviewing the whole repository (all shards)",
}


def summary(
    kind: str,
    status: protocol.Status,
    message: str,
    result: ReviewResult | None = None,
    error: BaseException | str | None = None,
    *,
    kept: int = 0,
    at: float | None = None,
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
            reviewedAt=iso_time(time.time() if at is None else at),
            kept=kept,
            summaryText=result.summary if result is not None else None,
            filesSent=result.files_sent if result is not None else None,
            filesLeftOut=len(result.left_out) if result is not None else None,
            attempts=(
                error.attempts
                if isinstance(error, ApiError)
                else (result.attempts if result is not None else None)
            ),
        )
    )
    return encoded


def iso_time(at: float) -> str:
    return (
        dt.datetime.fromtimestamp(at, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    )


def kept_note(n: int) -> str:
    """What a review that brought nothing new says about the findings still shown."""
    if n == 0:
        return ""
    return f"the {n} from the previous review {'is' if n == 1 else 'are'} kept"


def shown_total(ls: BigPictureServer, besides: set[str] | None = None) -> int:
    """The findings shown now (not counting those with an id in ``besides``)."""
    if not besides:
        return sum(shown_counts(ls).values())
    return sum(1 for _, fs in ls.state.published.values() for f in fs if f.id not in besides)


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


def result_message(ls: BigPictureServer, result: ReviewResult) -> tuple[protocol.Status, str, int]:
    """Status, message and the number of earlier findings kept (when incomplete)."""
    n = sum(1 for f in result.findings if not f.suppressed)
    cost = f"${result.cost.usd:.4f}" if result.cost else "$0 (cached result)"
    u = result.usage
    share = (
        ""
        if not u or result.from_cache
        # (a first review reads nothing: what it did is write the cache for the next ones)
        else ", cache written"
        if u.cache_read_input_tokens == 0 and u.cache_creation_input_tokens > 0
        else f", cache read {u.cache_read_share:.0%}"
    )
    if result.complete:
        return "ok", f"{n} findings, {cost}{share}", 0
    kept = shown_total(ls, besides={f.id for f in result.findings})
    note = kept_note(kept)
    if n == 0:
        got = f"no new findings; {note}" if note else "no findings recovered"
    else:
        got = f"{n} findings recovered" + (f"; {note}" if note else "")
    return "incomplete", f"INCOMPLETE review ({result.incomplete_reason}): {got}, {cost}", kept


async def _run(ls: BigPictureServer, req: ReviewRequest, progress: Progress) -> dict[str, Any]:
    st = ls.state
    if req.kind == "full":
        from bigpicture.lsp import shards  # (it uses this module's summary and progress)

        return await shards.run(ls, req, progress)
    prepared = await prepare(ls, req)
    plan = prepared.plan
    req.files = (len(plan.files), len(plan.left_out))
    progress.report(f"gathered {len(plan.files)} files, {plan.input_tokens:,} tokens")
    if req.trigger == "save" and (skipped := _over_budget_on_save(ls, req, prepared)):
        return skipped
    texts = plan.sent_texts(prepared.snapshot)
    flusher = Flusher(
        ls, texts, on_flush=lambda n: progress.report(f"receiving: {n} findings so far")
    )

    async def on_stage(name: str, info: dict[str, Any]) -> None:
        if name == "sending":
            req.sent = True  # from here on, its request may be billed
            progress.report(
                f"sending {info['tokens']:,} tokens (estimated ${info['estimate']:.4f})"
            )
        elif name == "receiving" and info["findings"] == 0:
            progress.report("receiving: 0 findings so far")
        elif name == "received":
            flusher.flush()  # the last streamed findings, before the whole reply is read

    cached = resultcache.get(str(st.root), resultcache.key(body_bytes(plan))) is not None
    client = None if cached else api(ls)
    try:
        result = await reviewing.review(
            prepared, st.settings, client, on_findings=flusher.add, on_stage=on_stage
        )
    except BaseException:
        flusher.take_back()
        raise
    streamed = flusher.close()
    st.last_prepared = prepared
    st.prepared_by_path = {}
    apply_result(ls, prepared, result)
    for path in sorted(streamed):
        publish(ls, path)  # a file the result did not cover: without its streamed findings
    at = time.time()
    if result.complete and st.root is not None:
        lastreview.record(
            st.root,
            kind=req.kind,
            summary=result.summary,
            covered=texts,
            findings=result.findings,
            at=at,
        )
    status, msg, kept = result_message(ls, result)
    if status == "ok":
        show(ls, f"review done: {msg}")
        return summary(req.kind, status, msg, result, at=at)
    show(ls, msg, lsp.MessageType.Warning)
    return summary(req.kind, status, msg, result, error="incomplete", kept=kept, at=at)


async def run_review(ls: BigPictureServer, req: ReviewRequest) -> dict[str, Any]:
    """One review with its progress; every outcome ends in a summary sent to the client."""
    progress = Progress(ls, asyncio.current_task())
    await progress.begin(TITLES[req.kind])
    result: dict[str, Any]
    try:
        result = await _run(ls, req, progress)
    except asyncio.CancelledError:
        why = f": a {req.replaced_by} review replaced it" if req.replaced_by else ""
        if req.sent:
            why += "; its request had been sent and may be billed"
        result = _not_done(ls, req, "cancelled", f"{req.kind} review cancelled{why}")
        log_msg(ls, result["message"], lsp.MessageType.Warning)
        progress.end("cancelled")
        req.outcome = _described(req, result)
        finished(ls, req.outcome)
        raise
    except NothingToReview as e:
        result = summary(req.kind, "nothing-to-review", e.message)
        show(ls, e.message)
    except BudgetError as e:
        result = _not_done(ls, req, "over-budget", e.message, e)
        show(ls, e.message, lsp.MessageType.Error)
    except BigPictureError as e:
        result = _not_done(ls, req, "failed", e.message, e)
        show(ls, e.message, lsp.MessageType.Error)
        log_msg(ls, f"{type(e).__name__}: {e.message}\n{e.detail or ''}", lsp.MessageType.Error)
    except Exception as e:
        result = _not_done(ls, req, "failed", f"internal error: {e}", "internal")
        show(ls, f"internal error: {e} (details in the log)", lsp.MessageType.Error)
        log_msg(ls, traceback.format_exc(), lsp.MessageType.Error)
    progress.end(result["message"])
    finished(ls, _described(req, result))
    return result


def _described(req: ReviewRequest, result: dict[str, Any]) -> dict[str, Any]:
    """The summary with what only the request knows: what started it, the files of its plan
    (when it failed after planning) and the review it replaced."""
    result["trigger"] = req.trigger
    if req.files is not None and result.get("filesSent") is None:
        result["filesSent"], result["filesLeftOut"] = req.files
    if req.replaced is not None:
        old = req.replaced
        result["replaced"] = protocol.encode(protocol.Replaced(kind=old.kind, trigger=old.trigger))
        by = "a save" if old.trigger == "save" else "a command"
        billed = ", whose request had been sent and may be billed" if old.sent else ""
        result["message"] += f" (it replaced the running {old.kind} review started by {by}{billed})"
    return result


def _not_done(
    ls: BigPictureServer,
    req: ReviewRequest,
    status: protocol.Status,
    message: str,
    error: BaseException | str | None = None,
) -> dict[str, Any]:
    """The summary of a review that brought nothing: what is still shown is kept, and said."""
    kept = shown_total(ls)
    note = kept_note(kept)
    if note:
        message = f"{message}; no new findings; {note}"
    return summary(req.kind, status, message, error=error, kept=kept)


def finished(ls: BigPictureServer, result: dict[str, Any]) -> None:
    ls.state.last_summary = result
    ls.protocol.notify(protocol.REVIEW_FINISHED, result)


def running(ls: BigPictureServer) -> ReviewRequest | None:
    """The review running now, if any."""
    st = ls.state
    if st.running is None or st.running.done():
        return None
    return st.running_request


async def start(ls: BigPictureServer, req: ReviewRequest) -> dict[str, Any]:
    st = ls.state
    task = asyncio.get_running_loop().create_task(run_review(ls, req))
    req.started_at = time.time()
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
                spawn(ls, _start_queued(ls, queued))


async def _start_queued(ls: BigPictureServer, req: ReviewRequest) -> None:
    """A waiting review of a save, unless another review started first (it waits again)."""
    st = ls.state
    if running(ls) is not None:
        st.queued = st.queued or req
        return
    await start(ls, req)


async def wait_idle(ls: BigPictureServer) -> None:
    """Until no review runs (another one may have started when the running one ended)."""
    st = ls.state
    while st.running is not None and not st.running.done():
        await asyncio.wait([st.running])


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


def refuse(ls: BigPictureServer, kind: str, msg: str) -> dict[str, Any]:
    """A review command with a bad argument: said, and nothing started."""
    show(ls, msg, lsp.MessageType.Error)
    return summary(kind, "failed", msg, error="bad-argument")


def busy(ls: BigPictureServer, kind: str, now: ReviewRequest) -> dict[str, Any]:
    """The answer of an ``ask`` review command while ``now`` runs."""
    since = iso_time(now.started_at)
    by = "a save" if now.trigger == "save" else "a command"
    msg = f"a {now.kind} review is running (started by {by} at {since}); nothing started"
    running_ = protocol.Running(kind=now.kind, trigger=now.trigger, startedAt=since)
    encoded: dict[str, Any] = protocol.encode(
        protocol.Busy(kind=kind, message=msg, running=running_)
    )
    return encoded


async def run_command(
    ls: BigPictureServer,
    kind: str,
    uri: str | None = None,
    options: protocol.ReviewOptions | None = None,
) -> dict[str, Any]:
    """A review command, doing what ``options.ifRunning`` says when a review is running;
    cancellable with ``$/cancelRequest`` (``lsp.cancellation``)."""
    if_running = options.ifRunning if options is not None else "cancel"
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
                return refuse(ls, kind, "review file: give the URI of a file inside the workspace")
        req = ReviewRequest(kind, file)
        now = running(ls)
        if now is not None and if_running == "ask":
            return busy(ls, kind, now)
        if now is not None and if_running == "wait":
            log_msg(
                ls,
                f"a {now.kind} review is running; this {kind} review starts after it",
                lsp.MessageType.Info,
            )
            if task is not None:
                st.waiting.add(task)
            try:
                await wait_idle(ls)
            except asyncio.CancelledError:
                msg = f"the waiting {kind} review was cancelled before it started"
                log_msg(ls, msg, lsp.MessageType.Info)
                return summary(kind, "cancelled", msg)
            finally:
                if task is not None:
                    st.waiting.discard(task)
        elif now is not None:
            now.replaced_by = kind
            if await stop_running(ls):
                req.replaced = now
        try:
            return await start(ls, req)
        except asyncio.CancelledError:  # the same summary as its reviewFinished, when it ran
            return req.outcome or summary(kind, "cancelled", "review cancelled")
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
    waiting = bool(st.waiting)
    for t in list(st.waiting):  # review commands waiting for the running one (``wait``)
        t.cancel()
    return {"cancelled": await stop_running(ls) or waiting}
