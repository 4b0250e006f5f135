"""``bigpicture review --batch PATH...`` and ``bigpicture batch status|results|wait|cancel|list``.

Output of several paths: text, one section per path with a header line; JSON, one object
(``{"version": 1, "batch": {...}, "reviews": {PATH: <review document>}}``, each review the
``--format json`` document of an interactive review plus a ``batch_request`` object:
``custom_id``, ``status``, ``reason``, ``reanchored`` paths), keyed by the path as given,
in submission order; SARIF, one run per path (with ``automationDetails.id``
``bigpicture/<custom_id>/`` when there are several), each exactly the run of an
interactive review, its ``properties.batch`` naming the batch and request.

A Ctrl-C stops the waiting, not the batch: ``bigpicture batch results ID`` resumes from the
record. The same ``review --batch`` again with identical content resumes the stored batch
instead of paying twice; ``--no-cache`` submits a new one. Exit codes: 6 when any request did
not give a complete review, else 1 when a finding is at or above ``--fail-on``, else 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import msgspec

from bigpicture.app import prepare as pipeline
from bigpicture.app import review as reviewing
from bigpicture.app import shards as app_shards
from bigpicture.app.batch import (
    Outcome,
    Planned,
    check_costs,
    content_key,
    custom_id_for,
    describe,
    interpret,
    submit,
    update,
    wait,
)
from bigpicture.app.shards import PreparedShards
from bigpicture.cli import console
from bigpicture.cli.parser import review_kind, settings_from_args
from bigpicture.client.anthropic import ApiClient, BatchItem, BatchStatus
from bigpicture.client.credentials import has_credentials
from bigpicture.core import config as configuration
from bigpicture.core.config import Settings
from bigpicture.core.errors import BudgetError, NothingToReview, UsageError
from bigpicture.core.models import ReviewResult
from bigpicture.outputs import formats, sarif, text
from bigpicture.outputs import json as json_out
from bigpicture.outputs import plan as plan_out
from bigpicture.store.batches import Record, check_id, find_identical, load, save, stored


def render(
    record: Record, outcomes: list[Outcome], status: BatchStatus | None, fmt: str, color: bool
) -> str:

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
            entry = json_out.to_dict(o.result)
            entry["batch_request"] = {
                "custom_id": o.request.custom_id,
                "status": o.status,
                "reason": o.reason,
                "reanchored": o.reanchored,
            }
            reviews[o.request.label] = entry
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

    async def go() -> tuple[BatchStatus, list[BatchItem] | None]:
        client = _client(record.provider, record.base_url)
        try:
            if wait_for_end:
                status = await wait(client, record.id, record, progress)
            else:
                status = await client.retrieve_batch(record.id)
                update(record, status)
                save(record)
            if not status.ended:
                return status, None
            return status, await client.batch_results(record.id)
        finally:
            await client.aclose()

    try:
        status, items = asyncio.run(go())
    except KeyboardInterrupt:
        console.say(
            f"stopped waiting; batch {record.id} goes on. Its results: "
            f"bigpicture batch results {record.id}"
        )
        return console.EXIT_INTERRUPTED
    if items is None:
        console.say(
            f"{describe(status)}: not ended yet; wait with `bigpicture batch results {record.id}`"
        )
        return console.EXIT_INCOMPLETE
    outcomes = interpret(record, items, progress)
    record.recorded = True
    record.outcome = "complete" if all(o.ok for o in outcomes) else "incomplete"
    save(record)
    color = sys.stdout.isatty() and not output and fmt == "text"
    if record.coverage == "full" and outcomes:
        return _finish_shards(record, outcomes, status, fmt, output, fail_on, color, progress)
    console.write(render(record, outcomes, status, fmt, color), output)
    for o in outcomes:
        if o.reanchored and progress:
            progress(
                f"{o.request.label}: {len(o.reanchored)} files changed since the submission; "
                "their findings were re-anchored on the current text"
            )
        if not o.ok:
            reason = o.reason or o.result.incomplete_reason
            console.say(f"INCOMPLETE REVIEW: {o.request.label}: {reason}")
    if progress:
        cost = sum(o.result.cost.usd for o in outcomes if o.result.cost is not None)
        progress(f"{describe(status)}; cost ${cost:.4f} at batch price")
    return console.review_exit([o.result for o in outcomes] + _failed(outcomes), fail_on)


def _finish_shards(
    record: Record,
    outcomes: list[Outcome],
    status: BatchStatus,
    fmt: str,
    output: str | None,
    fail_on: str | None,
    color: bool,
    progress: Any,
) -> int:
    """A full-coverage review's batch: its shards merged into one result."""
    result = app_shards.merge_outcomes(outcomes)
    texts: dict[str, str] = {}
    for o in outcomes:
        texts.update(o.texts)
    console.write(formats.render(fmt, result, texts, color=color), output)
    if not result.complete:
        console.say(f"INCOMPLETE REVIEW: {result.incomplete_reason}")
    if progress:
        cost = result.cost.usd if result.cost is not None else 0.0
        progress(f"{describe(status)}; {len(outcomes)} shards; cost ${cost:.4f} at batch price")
    return console.review_exit([result], fail_on)


def cmd_submit_shards(
    args: argparse.Namespace,
    ps: PreparedShards,
    settings: Settings,
    progress: console.Progress | None,
) -> int:
    """``bigpicture review --coverage full --batch PATH``: every shard in one batch."""
    total = sum(app_shards.estimates(ps, settings, batch=True))
    if total > settings.maxCostPerReview:
        raise BudgetError(
            f"estimated cost ${total:.2f} of the {len(ps.plan.shards)} shards together at batch "
            f"price is over the limit of ${settings.maxCostPerReview:.2f} per review: raise the "
            "`maxCostPerReview` setting, or send less (the `exclude` setting); nothing was "
            "submitted"
        )
    label = args.path[0] if args.path else "."
    cid = custom_id_for(ps.snapshot.root, ps.plan.kind, args.diff)
    n = len(ps.plan.plans)
    planned = [
        Planned(f"{label} shard {i + 1}/{n}", settings, ps.prepared(i), f"{cid}-s{i + 1}")
        for i in range(n)
    ]
    record = _submit_or_resume(args, planned, {}, progress, coverage="full")
    return _after_submit(args, record, progress)


def _plan_each(
    args: argparse.Namespace, progress: console.Progress | None
) -> tuple[list[Planned], dict[str, str]]:
    """Each PATH gathered and planned once; ``(planned, nothing)`` where ``nothing`` maps the
    paths with nothing to review to why."""
    paths = list(args.path or ["."])
    if args.file and len(paths) > 1:
        raise UsageError("--file reviews one file: give one PATH with it")
    kind = review_kind(args)
    planned: list[Planned] = []
    nothing: dict[str, str] = {}
    roots: set[str] = set()
    for label in paths:
        root = Path(label)
        if not root.is_dir():
            raise UsageError(f"{label}: not a directory")
        real = str(root.resolve())
        if real in roots:
            console.say(f"warning: {label}: given twice; reviewed once")
            continue
        roots.add(real)
        settings, warnings = settings_from_args(root, args)
        for w in warnings:
            console.say(f"warning: {label}: {w}")
        try:
            prepared = pipeline.prepare(
                root, settings, kind=kind, ref=args.diff or None, file=args.file, progress=progress
            )
        except NothingToReview as e:
            console.say(f"{label}: {e}")
            nothing[label] = str(e)
            continue
        cid = custom_id_for(real, kind, args.diff, args.file)
        planned.append(Planned(label, settings, prepared, cid))
    return planned, nothing


def _show_nothing(args: argparse.Namespace, nothing: dict[str, str]) -> int:
    if args.format == "json":
        reviews = {
            label: {"version": 1, "status": "nothing-to-review", "message": why}
            for label, why in nothing.items()
        }
        console.write(
            json.dumps({"version": 1, "batch": None, "reviews": reviews}, indent=2) + "\n",
            args.output,
        )
    return 0


def _show_plans(args: argparse.Namespace, planned: list[Planned]) -> int:
    if args.format == "sarif":
        raise UsageError("a plan has no SARIF form: use --format text or json")
    if args.format == "json":
        plans = {p.label: plan_out.to_dict(p.prepared.plan) for p in planned}
        console.write(json.dumps(plans, indent=2) + "\n", args.output)
    else:
        console.write(
            "\n".join(
                f"== {p.label} (batch request {p.custom_id}) ==\n"
                + plan_out.render_text(p.prepared.plan)
                for p in planned
            ),
            args.output,
        )
    return 0


def _submit_or_resume(
    args: argparse.Namespace,
    planned: list[Planned],
    nothing: dict[str, str],
    progress: console.Progress | None,
    coverage: str = "window",
) -> Record:
    """The batch of these reviews: an identical one still readable, or a new one submitted."""
    total = check_costs(planned)
    key = content_key(planned)
    record = None if args.no_cache else find_identical(key)
    if record is not None:
        console.say(
            f"an identical batch {record.id} was submitted "
            f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(record.submitted))}: resuming it "
            "(--no-cache submits a new one)"
        )
        return record
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
            return await submit(client, planned, nothing=nothing, coverage=coverage)
        finally:
            await client.aclose()

    return asyncio.run(go())


def cmd_submit(args: argparse.Namespace, progress: console.Progress | None) -> int:
    """``bigpicture review --batch PATH...``."""
    planned, nothing = _plan_each(args, progress)
    has_key = all(has_credentials(p.settings.provider) for p in planned)
    if args.count and planned:
        if not has_key:
            raise UsageError("--count needs ANTHROPIC_API_KEY (counting is free, but needs a key)")
        for p in planned:
            p.prepared.plan = reviewing.count_exact(p.prepared, p.settings)
    if not planned:
        return _show_nothing(args, nothing)
    if args.dry_run or not has_key:
        if not has_key and not args.dry_run:
            console.say("ANTHROPIC_API_KEY is not set: showing the plans only, nothing sent")
        return _show_plans(args, planned)
    record = _submit_or_resume(args, planned, nothing, progress)
    return _after_submit(args, record, progress)


def _after_submit(
    args: argparse.Namespace, record: Record, progress: console.Progress | None
) -> int:
    """Print the id (``--no-wait``), or wait for the batch and show its results."""
    if args.no_wait:
        print(record.id)
        console.say(
            f"submitted batch {record.id}; its results: bigpicture batch results {record.id}"
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


def cmd_batch(args: argparse.Namespace) -> int:
    """``bigpicture batch status|results|wait|cancel|list``."""

    progress = console.progress(getattr(args, "quiet", False))
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
            console.write(json.dumps(data, indent=2) + "\n", None)
        elif not records:
            console.write("no stored batches\n", None)
        else:
            rows = []
            for r in records:
                when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.submitted))
                state = r.outcome or r.status
                labels = ", ".join(q.label for q in r.requests[:3])
                more = f" (+{len(r.requests) - 3})" if len(r.requests) > 3 else ""
                rows.append(f"{r.id}  {when}  {state:<11}  {labels}{more}")
            console.write("\n".join(rows) + "\n", None)
        return 0

    batch_id = check_id(args.id)
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
        console.say(f"stopped waiting; batch {batch_id} goes on")
        return console.EXIT_INTERRUPTED
    if record is not None:
        update(record, status)
        save(record)
    fmt = getattr(args, "format", "text")
    console.write(
        _status_json(status, record) if fmt == "json" else _status_text(status, record), None
    )
    return 0


def _failed(outcomes: list[Outcome]) -> list[ReviewResult]:
    """A request that did not succeed is an incomplete review even if its result reads
    complete (it has none)."""
    return [msgspec.structs.replace(o.result, complete=False) for o in outcomes if not o.ok]
