"""What the language server does: reviews and their scheduling, document events, the commands,
and keeping the cache warm. Settings, publishing and code actions have modules of their own.

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
import time
import traceback
from typing import Any

import msgspec
from lsprotocol import types as lsp
from pygls import uris

from bigpicture.app import prepare as pipeline
from bigpicture.core.errors import BigPictureError, BudgetError, NothingToReview
from bigpicture.core.gather import changes as gitdiff
from bigpicture.core.gather.gather import name_filter
from bigpicture.core.models import Finding, ReviewResult
from bigpicture.core.reply import findings as findings_mod
from bigpicture.core.reply import suppress
from bigpicture.lsp.messages import log_msg, show, spawn
from bigpicture.lsp.publish import _apply_result, _open_doc, publish, rel_path, uri_of
from bigpicture.lsp.settings import reload_settings
from bigpicture.lsp.state import ReviewRequest
from bigpicture.outputs import plan as plan_out
from bigpicture.store import ledger
from bigpicture.store import paths as store

# ----------------------------------------------------------------------------- messages


# ----------------------------------------------------------------------------- settings


async def on_initialized(ls: Any) -> None:
    await reload_settings(ls)
    ls.state.last_edit = time.time()
    start_keep_warm(ls)
    caps = ls.client_capabilities.workspace
    watched = caps.did_change_watched_files if caps else None
    if watched and watched.dynamic_registration:
        try:
            await ls.client_register_capability_async(
                lsp.RegistrationParams(
                    registrations=[
                        lsp.Registration(
                            id="bigpicture-watch",
                            method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            register_options=lsp.DidChangeWatchedFilesRegistrationOptions(
                                watchers=[lsp.FileSystemWatcher(glob_pattern="**/*")]
                            ),
                        )
                    ]
                )
            )
        except Exception as e:  # the client may refuse; saves still update the snapshot
            log_msg(ls, f"file watching not registered: {e}")


# ----------------------------------------------------------------------------- documents


def on_open(ls: Any, uri: str) -> None:
    rel = rel_path(ls, uri)
    if rel and rel in ls.state.findings:
        publish(ls, rel)


def on_change(ls: Any, uri: str) -> None:
    ls.state.last_edit = time.time()
    start_keep_warm(ls)
    rel = rel_path(ls, uri)
    if rel and rel in ls.state.findings:
        publish(ls, rel)


def on_close(ls: Any, uri: str) -> None:
    rel = rel_path(ls, uri)
    if rel and rel in ls.state.findings:
        publish(ls, rel)  # now against the file on disk, no version


def on_save(ls: Any, uri: str) -> None:
    st = ls.state
    st.last_edit = time.time()
    start_keep_warm(ls)
    rel = rel_path(ls, uri)
    if rel is None:
        return
    if st.live is not None:
        st.live.file_changed(rel)
    if rel in st.findings:
        publish(ls, rel)
    mode = st.settings.reviewOnSave
    if mode == "off":
        return
    request = ReviewRequest("changes" if mode == "changes" else "file", rel, trigger="save")
    if st.debounce is not None and not st.debounce.done():
        st.debounce.cancel()
    st.debounce = spawn(ls, _debounced(ls, request))


def on_watched(ls: Any, changes: list[lsp.FileEvent]) -> None:
    st = ls.state
    for ev in changes:
        rel = rel_path(ls, ev.uri)
        if rel is None or st.live is None:
            continue
        if ev.type == lsp.FileChangeType.Deleted:
            st.live.file_deleted(rel)
            if st.findings.pop(rel, None) is not None:
                publish(ls, rel)
        else:
            st.live.file_changed(rel)
            if rel in st.findings and _open_doc(ls, rel) is None:
                publish(ls, rel)


# ----------------------------------------------------------------------------- reviews


def _summary(
    kind: str,
    status: str,
    message: str,
    result: ReviewResult | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    by_sev: dict[str, int] = {}
    if result is not None:
        for f in result.findings:
            if not f.suppressed:
                by_sev[f.severity] = by_sev.get(f.severity, 0) + 1
    usage = result.usage if result is not None else None
    return {
        "status": status,
        "kind": kind,
        "findings": sum(by_sev.values()),
        "bySeverity": by_sev,
        "costUsd": result.cost.usd
        if result is not None and result.cost
        else (0.0 if result and result.from_cache else None),
        "cacheReadShare": round(usage.cache_read_share, 4) if usage is not None else None,
        "usage": msgspec.to_builtins(usage) if usage is not None else None,
        "requestId": result.request_id if result is not None else None,
        "fromCache": bool(result and result.from_cache),
        "message": message,
        "error": error,
    }


def _error_code(e: BaseException) -> str:
    name = type(e).__name__
    return "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")


def _api(ls: Any) -> Any:
    from bigpicture.client.anthropic import ApiClient

    st = ls.state
    if st.api is None:
        st.api = ApiClient(
            base_url=st.settings.baseUrl,
            provider=st.settings.provider,
            models=st.settings.models,
        )
    return st.api


async def _prepare(ls: Any, req: ReviewRequest) -> pipeline.Prepared:
    st = ls.state
    settings = st.settings
    root = st.root
    live = st.live
    if root is None or live is None:
        raise BigPictureError("no workspace folder is open")

    def work() -> pipeline.Prepared:
        snap = live.snapshot()
        if req.kind == "changes":
            check = name_filter(root, settings)
            diff = gitdiff.changes(
                root, snap, settings.baseBranch, allowed=lambda p: check(p) is None
            )
            snap = gitdiff.with_diff(snap, diff)
        elif req.kind == "file":
            snap = pipeline.focus_file(root, snap, str(root / (req.file or "")))
        return pipeline.Prepared(snap, pipeline.plan_for(snap, settings, kind=req.kind))

    return await asyncio.to_thread(work)


class _Progress:
    """Work-done progress for one review, when the client supports it."""

    def __init__(self, ls: Any, task: asyncio.Task | None) -> None:
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


async def _review(ls: Any, req: ReviewRequest) -> dict[str, Any]:
    from bigpicture.app import review as reviewing

    st = ls.state
    progress = _Progress(ls, asyncio.current_task())
    await progress.begin(
        {
            "workspace": "BigPicture: reviewing the workspace",
            "changes": "BigPicture: reviewing the changes",
            "file": "BigPicture: reviewing the file",
        }[req.kind]
    )
    summary: dict[str, Any]
    try:
        prepared = await _prepare(ls, req)
        plan = prepared.plan
        progress.report(f"gathered {len(plan.files)} files, {plan.input_tokens:,} tokens")
        if req.trigger == "save":
            usd, _ = reviewing.estimated_cost(plan, str(st.root), st.settings)
            if usd > st.settings.maxCostPerReview:
                msg = (
                    f"review on save skipped: estimated ${usd:.2f} is over maxCostPerReview "
                    f"${st.settings.maxCostPerReview:.2f}"
                )
                if not st.cost_warned:
                    st.cost_warned = True
                    show(ls, msg, lsp.MessageType.Warning)
                summary = _summary(req.kind, "over-budget", msg, error="over-budget")
                _finished(ls, summary)
                return summary
        previous = {p: list(ff.findings) for p, ff in st.findings.items()}

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

        api = None
        from bigpicture.core.request.plan import body_bytes
        from bigpicture.store import resultcache

        if resultcache.get(str(st.root), resultcache.key(body_bytes(plan))) is None:
            api = _api(ls)
        try:
            result = await reviewing.review(
                prepared, st.settings, api, on_findings=on_findings, on_stage=on_stage
            )
        except asyncio.CancelledError:
            for path in set(previous) | {
                f.path for f in prepared.plan.files if f.path in st.findings
            }:
                publish(ls, path)  # take back the streamed findings
            raise
        st.last_prepared = prepared
        _apply_result(ls, prepared, result)
        n = sum(1 for f in result.findings if not f.suppressed)
        cost = f"${result.cost.usd:.4f}" if result.cost else "$0 (cached result)"
        share = (
            f", cache read {result.usage.cache_read_share:.0%}"
            if result.usage and not result.from_cache
            else ""
        )
        if result.complete:
            msg = f"{n} findings, {cost}{share}"
            summary = _summary(req.kind, "ok", msg, result)
            show(ls, f"review done: {msg}")
        else:
            msg = f"INCOMPLETE review ({result.incomplete_reason}); {n} findings recovered, {cost}"
            summary = _summary(req.kind, "incomplete", msg, result, error="incomplete")
            show(ls, msg, lsp.MessageType.Warning)
    except asyncio.CancelledError:
        summary = _summary(req.kind, "cancelled", "review cancelled")
        progress.end("cancelled")
        _finished(ls, summary)
        raise
    except NothingToReview as e:
        summary = _summary(req.kind, "nothing-to-review", e.message)
        show(ls, e.message)
    except BudgetError as e:
        summary = _summary(req.kind, "over-budget", e.message, error="over-budget")
        show(ls, e.message, lsp.MessageType.Error)
    except BigPictureError as e:
        summary = _summary(req.kind, "failed", e.message, error=_error_code(e))
        show(ls, e.message, lsp.MessageType.Error)
        log_msg(ls, f"{type(e).__name__}: {e.message}\n{e.detail or ''}", lsp.MessageType.Error)
    except Exception as e:
        summary = _summary(req.kind, "failed", f"internal error: {e}", error="internal")
        show(ls, f"internal error: {e} (details in the log)", lsp.MessageType.Error)
        log_msg(ls, traceback.format_exc(), lsp.MessageType.Error)
    progress.end(summary["message"])
    _finished(ls, summary)
    return summary


def _finished(ls: Any, summary: dict[str, Any]) -> None:
    ls.state.last_summary = summary
    ls.protocol.notify("bigpicture/reviewFinished", summary)


async def _start(ls: Any, req: ReviewRequest) -> dict[str, Any]:
    st = ls.state
    task = asyncio.get_running_loop().create_task(_review(ls, req))
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
                spawn(ls, _start(ls, queued))


async def run_command_review(ls: Any, kind: str, uri: str | None = None) -> dict[str, Any]:
    """A review command: cancellable with ``$/cancelRequest`` (see ``server._Protocol``)."""
    st = ls.state
    request_id = ls.protocol.msg_id
    if request_id is not None:
        st.request_tasks[request_id] = asyncio.current_task()
    try:
        return await _command_review(ls, kind, uri)
    finally:
        st.request_tasks.pop(request_id, None)


async def _command_review(ls: Any, kind: str, uri: str | None) -> dict[str, Any]:
    st = ls.state
    file = None
    if kind == "file":
        file = rel_path(ls, uri) if uri else None
        if file is None:
            msg = "review file: give the URI of a file inside the workspace"
            show(ls, msg, lsp.MessageType.Error)
            return _summary(kind, "failed", msg, error="bad-argument")
    running = st.running
    if running is not None and not running.done():
        running.cancel()
        try:
            await running
        except (asyncio.CancelledError, Exception):
            pass
    try:
        return await _start(ls, ReviewRequest(kind, file))
    except asyncio.CancelledError:
        return _summary(kind, "cancelled", "review cancelled")


async def _debounced(ls: Any, req: ReviewRequest) -> None:
    await asyncio.sleep(ls.state.settings.debounceMs / 1000)
    st = ls.state
    if st.running is not None and not st.running.done():
        st.queued = req  # coalesce: runs once after the current review
        return
    try:
        await _start(ls, req)
    except asyncio.CancelledError:
        pass


async def cancel(ls: Any) -> dict[str, Any]:
    st = ls.state
    st.queued = None
    if st.debounce is not None and not st.debounce.done():
        st.debounce.cancel()
    running = st.running
    if running is None or running.done():
        return {"cancelled": False}
    running.cancel()
    try:
        await running
    except (asyncio.CancelledError, Exception):
        pass
    return {"cancelled": True}


def clear(ls: Any) -> dict[str, Any]:
    st = ls.state
    paths = list(st.findings)
    st.findings.clear()
    for p in paths:
        ls.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri_of(ls, p), diagnostics=[])
        )
    return {"cleared": len(paths)}


def dismiss(ls: Any, finding_id: str, reason: str) -> dict[str, Any]:
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
    suppress.dismiss(st.root, finding, reason)
    ff = st.findings[path]
    ff.findings = [f for f in ff.findings if f.id != finding_id]
    publish(ls, path)
    return {"dismissed": finding_id, "reason": reason}


async def explain(ls: Any, finding_id: str) -> dict[str, Any]:
    """A follow-up question about one finding, reusing the cached repository prefix: the same
    tools, tool_choice and repository blocks as the last review, only the last block differs."""
    st = ls.state
    found = st.finding_by_id(finding_id)
    prepared = st.last_prepared
    if found is None or prepared is None:
        show(
            ls,
            "explain: that finding is not from a review in this session",
            lsp.MessageType.Warning,
        )
        return {"answer": None, "error": "not-found"}
    _, f = found
    body = dict(prepared.plan.body)
    content = list(body["messages"][0]["content"])
    question = (
        "Explain this finding from your review to the developer: why it is a problem, a "
        "concrete scenario where it bites, and how to fix it, in at most 250 words of "
        "Markdown. Answer by calling report_findings with an empty findings list and the "
        "explanation as the summary.\n\nFinding: "
        + msgspec.json.encode(
            {
                "path": f.path,
                "line": f.line,
                "title": f.title,
                "message": f.message,
                "quote": f.quote,
                "cwe": f.cwe,
            }
        ).decode()
    )
    content[-1] = {"type": "text", "text": question}
    body["messages"] = [{"role": "user", "content": content}]
    body["max_tokens"] = (
        min(body["max_tokens"], 4000) if not body.get("thinking") else body["max_tokens"]
    )
    try:
        api = _api(ls)
        reply = await api.stream(body, betas=prepared.plan.betas)
    except BigPictureError as e:
        show(ls, e.message, lsp.MessageType.Error)
        return {"answer": None, "error": _error_code(e), "message": e.message}
    answer = ""
    if isinstance(reply.tool_input, dict):
        answer = str(reply.tool_input.get("summary") or "")
    # model text shown to the user: no escapes, bidi or control characters, bounded length
    answer = findings_mod.sanitize_block(answer or reply.text)
    from bigpicture.core import pricing
    from bigpicture.core.registry import Registry

    info, _ = Registry(st.settings.models).get(prepared.plan.model)
    cost = pricing.usage_cost(reply.usage, info)
    ledger.record(
        model=prepared.plan.model,
        kind="explain",
        usage=reply.usage,
        cost=cost,
        request_id=reply.request_id,
        workspace=str(st.root),
        complete=reply.error is None,
    )
    if not answer:
        show(ls, "explain: the model gave no answer", lsp.MessageType.Warning)
    return {
        "answer": answer,
        "costUsd": cost.usd,
        "cacheReadShare": round(reply.usage.cache_read_share, 4),
        "title": f.title,
    }


async def _plan_only(ls: Any, kind: str, uri: str | None) -> pipeline.Prepared:
    file = rel_path(ls, uri) if uri else None
    return await _prepare(ls, ReviewRequest(kind, file))


async def show_plan(ls: Any, kind: str, uri: str | None) -> dict[str, Any]:
    st = ls.state
    try:
        prepared = await _plan_only(ls, kind, uri)
    except BigPictureError as e:
        show(
            ls,
            e.message,
            lsp.MessageType.Error if not isinstance(e, NothingToReview) else lsp.MessageType.Info,
        )
        return {"uri": None, "text": e.message, "error": _error_code(e)}
    text = plan_out.render_text(prepared.plan)
    path = store.workspace_dir(st.root) / "plan.md"
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
    else:
        c = prepared.plan.cost
        show(
            ls,
            f"plan: {len(prepared.plan.files)} files, {prepared.plan.input_tokens:,} tokens, "
            f"first ${c.first:.4f}, repeat ${c.repeat:.4f} (full plan: {path})",
        )
    return {"uri": uri_out, "text": text}


async def estimate(ls: Any, kind: str, uri: str | None) -> dict[str, Any]:
    from bigpicture.app import review as reviewing

    try:
        prepared = await _plan_only(ls, kind, uri)
    except BigPictureError as e:
        return {"error": _error_code(e), "message": e.message}
    plan = prepared.plan
    now, _ = reviewing.estimated_cost(plan, str(ls.state.root), ls.state.settings)
    return {
        "costFirstUsd": plan.cost.first,
        "costRepeatUsd": plan.cost.repeat,
        "costNowUsd": now,
        "inputTokens": plan.input_tokens,
        "files": len(plan.files),
        "model": plan.model,
    }


def usage(ls: Any) -> dict[str, Any]:
    from bigpicture.outputs import usage as usage_out

    summary = ledger.summarize(ledger.read())
    return {
        "text": usage_out.render(summary),
        "totalCostUsd": summary.total_cost_usd,
        "cacheReadShare": summary.cache_read_share,
        "requests": summary.requests,
    }


# ----------------------------------------------------------------------------- code actions


# ----------------------------------------------------------------------------- keep-warm

WARM_LEAD = 45.0  # seconds before the cache entry lapses


def start_keep_warm(ls: Any) -> None:
    """With ``keepWarm``, keep the repository prefix cached while the user is editing: warm it
    now if it is cold, then again shortly before each lapse, for as long as edits keep coming
    (one cache lifetime after the last edit, it stops; the next edit starts it again)."""
    st = ls.state
    if not st.settings.keepWarm or st.root is None:
        return
    if st.warm_task is not None and not st.warm_task.done():
        return
    from bigpicture.client.anthropic import has_credentials

    if not has_credentials(st.settings.provider):
        return
    st.warm_task = spawn(ls, _keep_warm(ls))


async def _keep_warm(ls: Any) -> None:
    from bigpicture.core import pricing
    from bigpicture.core.registry import Registry
    from bigpicture.core.request import layout as cachebase
    from bigpicture.core.request.plan import warm_body
    from bigpicture.store import cachestate

    st = ls.state
    ttl = cachebase.TTL_SECONDS.get(st.settings.cacheTtl, 300)
    while st.settings.keepWarm and time.time() - st.last_edit < ttl:
        base = await asyncio.to_thread(cachebase.load, str(st.root))
        wait = (base.expires - WARM_LEAD - time.time()) if base is not None else 0
        if wait > 0:
            await asyncio.sleep(min(wait, ttl))
            continue
        if st.running is not None and not st.running.done():
            await asyncio.sleep(5)  # a review is refreshing the cache anyway
            continue
        try:
            prepared = await _prepare(ls, ReviewRequest("workspace"))
        except BigPictureError as e:
            log_msg(ls, f"keep-warm: {e.message}")
            return
        body = warm_body(prepared.plan)
        if body is None:
            log_msg(ls, "keep-warm: off while extended thinking is on")
            return
        try:
            reply = await _api(ls).create(body, betas=prepared.plan.betas)
        except BigPictureError as e:
            log_msg(ls, f"keep-warm request failed: {e.message}", lsp.MessageType.Warning)
            return
        plan = prepared.plan
        if plan.cache_base is not None:
            cachebase.save(
                str(st.root), cachebase.note_sent(plan.cache_base, plan.cache_generation)
            )
        cachestate.record_sent(str(st.root), plan)
        info, _ = Registry(st.settings.models).get(plan.model)
        cost = pricing.usage_cost(reply.usage, info)
        ledger.record(
            model=plan.model,
            kind="keep-warm",
            usage=reply.usage,
            cost=cost,
            request_id=reply.request_id,
            workspace=str(st.root),
        )
        log_msg(
            ls,
            f"keep-warm: {reply.usage.cache_read_input_tokens:,} tokens read, "
            f"{reply.usage.cache_creation_input_tokens:,} written, ${cost.usd:.4f}",
            lsp.MessageType.Info,
        )
        ls.protocol.notify(
            "bigpicture/cacheWarmed",
            {"costUsd": cost.usd, "usage": msgspec.to_builtins(reply.usage)},
        )


# ----------------------------------------------------------------------------- shutdown


async def on_shutdown(ls: Any) -> None:
    st = ls.state
    tasks = [
        t
        for t in [st.running, st.debounce, st.warm_task, *st.tasks]
        if t is not None and not t.done()
    ]
    for t in tasks:
        t.cancel()
    for t in tasks:
        try:
            await t
        except (asyncio.CancelledError, Exception):
            pass
    if st.api is not None:
        try:
            await st.api.aclose()
        finally:
            st.api = None
