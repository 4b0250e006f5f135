"""Reviews through the Message Batches API: half price, results within 24 hours, for CI and for
many repositories at once (anthropic-api.md section 5).

``bigpicture review --batch PATH...`` plans each PATH exactly as an interactive review does
(``pipeline.prepare``), refuses to send when a request's estimate at batch price (a first
review: the cache is written, nothing read; caching in batches is best-effort) is over
``--max-cost``, and submits ONE batch with one request per path. Its ``custom_id`` is the
folder's name and a hash of its resolved path and the review kind (``custom_id_for``), which
the API's rule (``^[A-Za-z0-9_-]{1,64}$``) accepts.

What is needed to read the results later is stored under the user's data directory:

* ``batches/<id>.json``: the batch's record (``Record``): per request the path as given, its
  resolved root, kind, the plan without its body, the settings, the hash of each sent text,
  and the result-cache key; the batch's last known status; whether its usage is in the ledger;
* ``batches/<id>.texts``: the exact texts that were sent (zlib-compressed JSON, mode 0600),
  so the findings can be anchored in the text the model saw, and followed to the current one.

Then it polls (2 s, doubling up to 60 s; ``BIGPICTURE_BATCH_POLL`` sets the first interval in
seconds, and the cap is 30 times it) until the batch has ended, unless ``--no-wait``. A Ctrl-C
stops the waiting, not the batch: ``bigpicture batch results ID`` resumes from the record. The
same ``review --batch`` again with identical content (same request bodies and settings)
resumes the stored batch instead of paying twice; ``--no-cache`` submits a new one.

Results (``bigpicture batch results ID``): each succeeded reply goes through
``review.from_reply``, the very function an interactive review uses, so a review gives the
same findings either way; its usage is written to the ledger once, priced at the batch rate
(``Cost.batch``), and a complete one fills the result cache. An errored, canceled or expired
request (or one missing from the results) is an incomplete review with its reason, never a
clean one. Exit codes: 6 when any request did not give a complete review, else 1 when a
finding is at or above ``--fail-on``, else 0.

Re-anchoring: the findings are first anchored in the texts that were sent. The workspace is
then gathered again; a file whose text has changed since the submission has its findings
moved with ``anchor.reanchor`` (the code they cover is found again in the current text). A
finding whose code is gone keeps its old line (clamped to the file) as an ``approximate``
whole-line range, without its fix; one in a file that no longer exists keeps its line with
no range, ``approximate``. Nothing is dropped. Without the stored texts (deleted by hand),
findings are anchored in the current text by their quotes, and those in changed files are
marked ``approximate``.

Output of several paths: text, one section per path with a header line; JSON, one object
(``{"version": 1, "batch": {...}, "reviews": {PATH: <review document>}}``, each review the
``--format json`` document of an interactive review plus a ``batch_request`` object:
``custom_id``, ``status``, ``reason``, ``reanchored`` paths), keyed by the path as given,
in submission order; SARIF, one run per path (with ``automationDetails.id``
``bigpicture/<custom_id>/`` when there are several), each exactly the run of an
interactive review, its ``properties.batch`` naming the batch and request.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from bigpicture.app import review as reviewing
from bigpicture.app.prepare import Prepared
from bigpicture.client.anthropic import ApiClient, BatchItem, BatchStatus
from bigpicture.core import config as configuration
from bigpicture.core.config import Settings
from bigpicture.core.errors import (
    BigPictureError,
    BudgetError,
    IncompleteReview,
    NothingToReview,
    UsageError,
)
from bigpicture.core.gather.gather import digest, gather
from bigpicture.core.lines import split_lines
from bigpicture.core.models import Finding, Range, ReviewResult, Snapshot, SourceFile, severity_rank
from bigpicture.core.reply import anchor
from bigpicture.core.request.plan import Plan, body_bytes
from bigpicture.store.paths import atomic_write, data_dir
from bigpicture.store.resultcache import key as cache_key_of

POLL_ENV = "BIGPICTURE_BATCH_POLL"
DEFAULT_POLL = 2.0
POLL_GROWTH = 30  # the interval doubles up to 30 times the first one: 2 s → 60 s
RESULTS_KEPT_DAYS = 29  # the API keeps results this long (anthropic-api.md section 5)
_CUSTOM_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,200}$")
_HEAVY_PLAN_FIELDS = ("cache_base", "cache_generation")  # the texts again; not needed later


# --------------------------------------------------------------------------- the record


class Request(msgspec.Struct):
    custom_id: str
    label: str  # the path as given on the command line
    root: str  # resolved
    kind: str  # workspace | changes | file
    plan: dict[str, Any]  # the Plan without its body
    settings: dict[str, Any]
    hashes: dict[str, str]  # path → digest of the text that was sent
    cache_key: str  # the result-cache key of the request body
    estimate: float  # USD at batch price, a first review


class Record(msgspec.Struct):
    id: str
    submitted: float
    requests: list[Request]
    content_key: str
    provider: str = "anthropic"
    base_url: str | None = None
    status: str = "in_progress"
    counts: dict[str, int] = {}
    created_at: str | None = None
    expires_at: str | None = None
    ended_at: str | None = None
    nothing: dict[str, str] = {}  # path → why there was nothing to review (not in the batch)
    recorded: bool = False  # the succeeded requests' usage is in the ledger
    outcome: str | None = None  # complete | incomplete, once the results were read


def batches_dir() -> Path:
    path = data_dir() / "batches"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _check_id(batch_id: str) -> str:
    if not _BATCH_ID.match(batch_id):
        raise UsageError(f"{batch_id!r} is not a batch id (msgbatch_...)")
    return batch_id


def save(record: Record, texts: dict[str, dict[str, str]] | None = None) -> None:
    d = batches_dir()
    if texts is not None:
        atomic_write(d / f"{record.id}.texts", zlib.compress(msgspec.json.encode(texts), 6))
    atomic_write(d / f"{record.id}.json", msgspec.json.format(msgspec.json.encode(record)))


def load(batch_id: str) -> Record | None:
    path = batches_dir() / f"{_check_id(batch_id)}.json"
    try:
        return msgspec.json.decode(path.read_bytes(), type=Record)
    except FileNotFoundError:
        return None
    except (OSError, msgspec.DecodeError) as e:
        raise UsageError(f"the stored record of batch {batch_id} is unreadable: {e}") from e


def load_texts(batch_id: str) -> dict[str, dict[str, str]] | None:
    path = batches_dir() / f"{_check_id(batch_id)}.texts"
    try:
        return msgspec.json.decode(
            zlib.decompress(path.read_bytes()), type=dict[str, dict[str, str]]
        )
    except (OSError, zlib.error, msgspec.DecodeError):
        return None


def stored() -> list[Record]:
    """Every stored batch record, the newest first."""
    out = []
    for path in batches_dir().glob("*.json"):
        try:
            out.append(msgspec.json.decode(path.read_bytes(), type=Record))
        except (OSError, msgspec.DecodeError):
            continue
    return sorted(out, key=lambda r: r.submitted, reverse=True)


def find_identical(content_key: str, now: float | None = None) -> Record | None:
    """A stored batch with the same content whose results can still be read, unless it is
    known to have ended incomplete."""
    now = now or time.time()
    for r in stored():
        if (
            r.content_key == content_key
            and r.outcome != "incomplete"
            and now - r.submitted < RESULTS_KEPT_DAYS * 86400
        ):
            return r
    return None


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
    return msgspec.to_builtins(settings)


def _settings_from(data: dict[str, Any]) -> Settings:
    try:
        return msgspec.convert(data, Settings)
    except msgspec.ValidationError as e:
        raise UsageError(f"the stored settings of this batch are unreadable: {e}") from e


def _plan_dict(plan: Plan) -> dict[str, Any]:
    heavy = {n: None for n in _HEAVY_PLAN_FIELDS if n in plan.__struct_fields__}
    raw = msgspec.to_builtins(msgspec.structs.replace(plan, body={}, **heavy))
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


# --------------------------------------------------------------------------- submitting


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
                f"${p.settings.maxCostPerReview:.2f} per review: raise maxCostPerReview "
                "(--max-cost), or send less (--diff, --exclude); nothing was submitted"
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
    client: ApiClient, planned: list[Planned], *, nothing: dict[str, str] | None = None
) -> Record:
    """Submit one batch for ``planned`` and store its record (before returning)."""
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
    )
    _update(record, status)
    texts = {p.custom_id: p.prepared.plan.sent_texts(p.prepared.snapshot) for p in planned}
    save(record, texts)
    return record


def _update(record: Record, status: BatchStatus) -> None:
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
            _update(record, status)
            save(record)
        if status.ended:
            return status
        if progress:
            progress(f"{describe(status)}; next check in {interval:.0f} s")
        await asyncio.sleep(interval)
        interval = min(interval * 2, cap) if interval else 0.0


# --------------------------------------------------------------------------- results


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
        settings = _settings_from(req.settings)
        current = _current_texts(req, settings, progress)
        sent = (all_texts or {}).get(req.custom_id)
        stale = all_texts is None or sent is None
        if stale:  # fall back on the current text of every file that was sent
            sent = {p: current[p] for p in req.hashes if current and p in current}
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
            result = reviewing._finish(
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
            result.findings = _follow_all(result.findings, sent, current, set(changed))
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


def _whole_line(text: str, line0: int) -> Range:
    lines = split_lines(text)
    line0 = max(0, min(line0, len(lines) - 1))
    return Range(line0, 0, line0, len(lines[line0]))


def _follow_one(f: Finding, old: str, new: str | None) -> Finding:
    if new is None:  # the file is gone
        return msgspec.structs.replace(f, range=None, approximate=True, fix=None)
    moved = anchor.reanchor(f, old, new)
    if moved is not None:
        return moved
    line0 = f.range.start_line if f.range is not None else f.line - 1
    rng = _whole_line(new, line0)
    return msgspec.structs.replace(
        f,
        range=rng,
        line=rng.start_line + 1,
        end_line=rng.start_line + 1,
        approximate=True,
        fix=None,
    )


def _follow_related(
    f: Finding, sent: dict[str, str], current: dict[str, str], changed: set[str]
) -> Finding:
    related = []
    for rel in f.related:
        if rel.path in changed and rel.path != f.path and rel.path in sent:
            probe = Finding(
                path=rel.path,
                line=rel.line,
                quote=rel.quote,
                severity=f.severity,
                category=f.category,
                title="",
                message="",
                range=rel.range,
            )
            moved = _follow_one(probe, sent[rel.path], current.get(rel.path))
            rel = msgspec.structs.replace(rel, line=moved.line, range=moved.range)
        related.append(rel)
    return msgspec.structs.replace(f, related=related)


def _follow_all(
    findings: list[Finding], sent: dict[str, str], current: dict[str, str], changed: set[str]
) -> list[Finding]:
    """The findings moved from the sent texts to the current ones (same-file related
    locations move with their finding, in ``anchor.reanchor``)."""
    out = []
    for f in findings:
        if f.path in changed and f.path in sent:
            f = _follow_one(f, sent[f.path], current.get(f.path))
        if any(r.path in changed and r.path != f.path for r in f.related):
            f = _follow_related(f, sent, current, changed)
        out.append(f)
    out.sort(key=lambda f: (f.path, f.range.start_line if f.range else f.line - 1, f.id))
    return out


# --------------------------------------------------------------------------- rendering


def render(
    record: Record, outcomes: list[Outcome], status: BatchStatus | None, fmt: str, color: bool
) -> str:
    from bigpicture.outputs import json as json_out
    from bigpicture.outputs import sarif, text

    if fmt == "sarif":
        runs = []
        for o in outcomes:
            run = sarif.to_dict(o.result, o.texts)["runs"][0]
            if len(outcomes) > 1:
                run["automationDetails"] = {"id": f"bigpicture/{o.request.custom_id}/"}
            run["properties"]["batch"] = {
                "id": record.id,
                "customId": o.request.custom_id,
                "status": o.status,
                "path": o.request.label,
            }
            runs.append(run)
        doc = {"$schema": sarif.SCHEMA_URI, "version": sarif.SARIF_VERSION, "runs": runs}
        return msgspec.json.format(msgspec.json.encode(doc), indent=2).decode() + "\n"
    if fmt == "json":
        reviews: dict[str, Any] = {}
        for o in outcomes:
            doc = json_out.to_dict(o.result)
            doc["batch_request"] = {
                "custom_id": o.request.custom_id,
                "status": o.status,
                "reason": o.reason,
                "reanchored": o.reanchored,
            }
            reviews[o.request.label] = doc
        for label, why in record.nothing.items():
            reviews[label] = {"version": 1, "status": "nothing-to-review", "message": why}
        top = {
            "version": 1,
            "batch": {
                "id": record.id,
                "processing_status": status.processing_status if status else record.status,
                "request_counts": status.counts if status else record.counts,
                "created_at": record.created_at,
                "ended_at": status.ended_at if status else record.ended_at,
            },
            "reviews": reviews,
        }
        return msgspec.json.format(msgspec.json.encode(top), indent=2).decode() + "\n"
    parts = []
    for o in outcomes:
        head = f"== {o.request.label} · batch {record.id} · request {o.request.custom_id}: {o.status} =="
        note = ""
        if o.reanchored:
            note = (
                f"({len(o.reanchored)} files changed since the batch was submitted: their "
                "findings were re-anchored on the current text)\n"
            )
        parts.append(head + "\n" + note + text.render(o.result, color=color))
    for label, why in record.nothing.items():
        parts.append(f"== {label}: nothing to review ==\n{why}\n")
    return "\n".join(parts)


def exit_code(outcomes: list[Outcome], fail_on: str | None) -> int:
    from bigpicture.cli import EXIT_FINDINGS

    if any(not o.ok for o in outcomes):
        return IncompleteReview.exit_code
    if fail_on:
        limit = severity_rank(fail_on)
        for o in outcomes:
            if any(
                severity_rank(f.severity) <= limit and not f.suppressed for f in o.result.findings
            ):
                return EXIT_FINDINGS
    return 0


# --------------------------------------------------------------------------- the CLI


def _client(provider: str, base_url: str | None) -> ApiClient:
    return ApiClient(base_url=base_url, provider=provider)


def finish(
    record: Record,
    *,
    fmt: str,
    output: str | None,
    fail_on: str | None,
    progress: Any,
    wait_for_end: bool = True,
) -> int:
    """Wait (unless told not to), fetch, interpret, render; the exit code."""
    from bigpicture.cli import _write

    async def go() -> tuple[BatchStatus, list[BatchItem] | None]:
        client = _client(record.provider, record.base_url)
        try:
            if wait_for_end:
                status = await wait(client, record.id, record, progress)
            else:
                status = await client.retrieve_batch(record.id)
                _update(record, status)
                save(record)
            if not status.ended:
                return status, None
            return status, await client.batch_results(record.id)
        finally:
            await client.aclose()

    try:
        status, items = asyncio.run(go())
    except KeyboardInterrupt:
        print(
            f"bigpicture: stopped waiting; batch {record.id} goes on. Its results: "
            f"bigpicture batch results {record.id}",
            file=sys.stderr,
        )
        return 130
    if items is None:
        print(
            f"bigpicture: {describe(status)}: not ended yet; wait with "
            f"`bigpicture batch results {record.id}`",
            file=sys.stderr,
        )
        return IncompleteReview.exit_code
    outcomes = interpret(record, items, progress)
    record.recorded = True
    record.outcome = "complete" if all(o.ok for o in outcomes) else "incomplete"
    save(record)
    color = sys.stdout.isatty() and not output and fmt == "text"
    _write(render(record, outcomes, status, fmt, color), output)
    for o in outcomes:
        if o.reanchored and progress:
            progress(
                f"{o.request.label}: {len(o.reanchored)} files changed since the submission; "
                "their findings were re-anchored on the current text"
            )
        if not o.ok:
            reason = o.reason or o.result.incomplete_reason
            print(f"bigpicture: INCOMPLETE REVIEW: {o.request.label}: {reason}", file=sys.stderr)
    if progress:
        cost = sum(o.result.cost.usd for o in outcomes if o.result.cost is not None)
        progress(f"{describe(status)}; cost ${cost:.4f} at batch price")
    return exit_code(outcomes, fail_on)


def run_cli_submit(args: Any, progress: Any) -> int:
    """``bigpicture review --batch PATH...``."""
    from bigpicture.app import prepare as pipeline
    from bigpicture.cli import _settings_from_args, _write
    from bigpicture.client.anthropic import has_credentials
    from bigpicture.outputs import plan as plan_out

    paths = list(args.path or ["."])
    if args.file and len(paths) > 1:
        raise UsageError("--file reviews one file: give one PATH with it")
    if args.diff is not None and args.file:
        raise UsageError("--diff and --file cannot be combined")
    kind = "changes" if args.diff is not None else "file" if args.file else "workspace"
    planned: list[Planned] = []
    nothing: dict[str, str] = {}
    roots: set[str] = set()
    for label in paths:
        root = Path(label)
        if not root.is_dir():
            raise UsageError(f"{label}: not a directory")
        real = str(root.resolve())
        if real in roots:
            print(f"bigpicture: warning: {label}: given twice; reviewed once", file=sys.stderr)
            continue
        roots.add(real)
        settings, warnings = _settings_from_args(root, args)
        for w in warnings:
            print(f"bigpicture: warning: {label}: {w}", file=sys.stderr)
        try:
            prepared = pipeline.prepare(
                root, settings, kind=kind, ref=args.diff or None, file=args.file, progress=progress
            )
        except NothingToReview as e:
            print(f"bigpicture: {label}: {e}", file=sys.stderr)
            nothing[label] = str(e)
            continue
        cid = custom_id_for(real, kind, args.diff, args.file)
        planned.append(Planned(label, settings, prepared, cid))
    has_key = all(has_credentials(p.settings.provider) for p in planned)
    if args.count and planned:
        if not has_key:
            raise UsageError("--count needs ANTHROPIC_API_KEY (counting is free, but needs a key)")
        for p in planned:
            p.prepared.plan = reviewing.count_exact(p.prepared, p.settings)
    if not planned:
        if args.format == "json":
            reviews = {
                label: {"version": 1, "status": "nothing-to-review", "message": why}
                for label, why in nothing.items()
            }
            _write(
                json.dumps({"version": 1, "batch": None, "reviews": reviews}, indent=2) + "\n",
                args.output,
            )
        return 0
    if args.dry_run or not has_key:
        if not has_key and not args.dry_run:
            print(
                "bigpicture: ANTHROPIC_API_KEY is not set: showing the plans only, nothing sent",
                file=sys.stderr,
            )
        if args.format == "sarif":
            raise UsageError("a plan has no SARIF form: use --format text or json")
        if args.format == "json":
            plans = {p.label: plan_out.to_dict(p.prepared.plan) for p in planned}
            _write(json.dumps(plans, indent=2) + "\n", args.output)
        else:
            _write(
                "\n".join(
                    f"== {p.label} (batch request {p.custom_id}) ==\n"
                    + plan_out.render_text(p.prepared.plan)
                    for p in planned
                ),
                args.output,
            )
        return 0
    total = check_costs(planned)
    key = content_key(planned)
    record = None if args.no_cache else find_identical(key)
    if record is not None:
        print(
            f"bigpicture: an identical batch {record.id} was submitted "
            f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(record.submitted))}: resuming it "
            "(--no-cache submits a new one)",
            file=sys.stderr,
        )
    else:
        if progress:
            tokens = sum(p.prepared.plan.input_tokens for p in planned)
            progress(
                f"submitting one batch of {len(planned)} reviews, {tokens:,} tokens "
                f"(estimated ${total:.4f} at batch price)"
            )
        first = planned[0].settings

        async def go() -> Record:
            client = _client(first.provider, first.baseUrl)
            try:
                return await submit(client, planned, nothing=nothing)
            finally:
                await client.aclose()

        record = asyncio.run(go())
    if args.no_wait:
        print(record.id)
        print(
            f"bigpicture: submitted batch {record.id}; its results: "
            f"bigpicture batch results {record.id}",
            file=sys.stderr,
        )
        return 0
    if progress:
        progress(
            f"waiting for batch {record.id} to end (Ctrl-C stops the waiting, not the batch: "
            f"`bigpicture batch results {record.id}` resumes)"
        )
    return finish(
        record, fmt=args.format, output=args.output, fail_on=args.fail_on, progress=progress
    )


def _status_text(status: BatchStatus, record: Record | None) -> str:
    lines = [describe(status)]
    for name in ("created_at", "expires_at", "ended_at", "cancel_initiated_at"):
        value = getattr(status, name)
        if value:
            lines.append(f"  {name.replace('_', ' ')}: {value}")
    if record is not None:
        lines.append(f"  {len(record.requests)} requests:")
        lines.extend(f"    {r.custom_id}  {r.kind:<9}  {r.label}" for r in record.requests)
    return "\n".join(lines) + "\n"


def _status_json(status: BatchStatus, record: Record | None) -> str:
    data = {
        "id": status.id,
        "processing_status": status.processing_status,
        "request_counts": status.counts,
        "created_at": status.created_at,
        "expires_at": status.expires_at,
        "ended_at": status.ended_at,
        "cancel_initiated_at": status.cancel_initiated_at,
        "requests": [
            {"custom_id": r.custom_id, "path": r.label, "root": r.root, "kind": r.kind}
            for r in record.requests
        ]
        if record
        else None,
    }
    return json.dumps(data, indent=2) + "\n"


def _settings_for(record: Record | None) -> tuple[str, str | None]:
    if record is not None:
        return record.provider, record.base_url
    settings, _ = configuration.load(Path.cwd())
    return settings.provider, settings.baseUrl


def cmd_batch(args: Any) -> int:
    """``bigpicture batch status|results|wait|cancel|list``."""
    from bigpicture.cli import _progress, _write

    progress = _progress(getattr(args, "quiet", False))
    if args.batch_command == "list":
        records = stored()
        if args.format == "json":
            data = [
                {
                    "id": r.id,
                    "submitted": r.submitted,
                    "status": r.status,
                    "outcome": r.outcome,
                    "request_counts": r.counts,
                    "paths": [q.label for q in r.requests],
                }
                for r in records
            ]
            _write(json.dumps(data, indent=2) + "\n", None)
        elif not records:
            _write("no stored batches\n", None)
        else:
            rows = []
            for r in records:
                when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.submitted))
                state = r.outcome or r.status
                labels = ", ".join(q.label for q in r.requests[:3])
                more = f" (+{len(r.requests) - 3})" if len(r.requests) > 3 else ""
                rows.append(f"{r.id}  {when}  {state:<11}  {labels}{more}")
            _write("\n".join(rows) + "\n", None)
        return 0

    batch_id = _check_id(args.id)
    record = load(batch_id)
    if args.batch_command == "results":
        if record is None:
            raise UsageError(
                f"no stored record of batch {batch_id} on this machine: its results can only be "
                "read where it was submitted (see `bigpicture batch list`)"
            )
        return finish(
            record,
            fmt=args.format,
            output=args.output,
            fail_on=args.fail_on,
            progress=progress,
            wait_for_end=not args.no_wait,
        )
    provider, base_url = _settings_for(record)

    async def go() -> BatchStatus:
        client = _client(provider, base_url)
        try:
            if args.batch_command == "cancel":
                return await client.cancel_batch(batch_id)
            if args.batch_command == "wait":
                return await wait(client, batch_id, record, progress)
            return await client.retrieve_batch(batch_id)
        finally:
            await client.aclose()

    try:
        status = asyncio.run(go())
    except KeyboardInterrupt:
        print(f"bigpicture: stopped waiting; batch {batch_id} goes on", file=sys.stderr)
        return 130
    if record is not None:
        _update(record, status)
        save(record)
    fmt = getattr(args, "format", "text")
    _write(_status_json(status, record) if fmt == "json" else _status_text(status, record), None)
    return 0
