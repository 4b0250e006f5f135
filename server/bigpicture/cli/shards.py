"""``bigpicture review --coverage full``: every file whole, in shards (``app.shards``).

Without a key or with ``--dry-run`` it prints the plan (the shards, their tokens and the total
estimated cost). Otherwise it sends the shards and writes one merged result in the chosen
format; with ``--batch`` every shard goes in one Message Batch (``cli.batch``). Exit codes as
for any review: 6 when a shard did not complete (its files are named), else 1 on a finding at
or above ``--fail-on``, else 0.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from bigpicture.app import shards as app_shards
from bigpicture.app.shards import PreparedShards
from bigpicture.cli import console
from bigpicture.cli.batch import cmd_submit_shards
from bigpicture.client.anthropic import ApiClient
from bigpicture.core.config import Settings
from bigpicture.core.errors import NothingToReview, UsageError
from bigpicture.core.models import ReviewResult
from bigpicture.outputs import formats
from bigpicture.outputs import shards as shards_out


def check_args(args: argparse.Namespace) -> None:
    if args.file:
        raise UsageError("--coverage full reviews every file: it does not go with --file")
    if args.count:
        raise UsageError("--count does not go with --coverage full (the plan shows estimates)")


def show_plan(ps: PreparedShards, settings: Settings, args: argparse.Namespace) -> int:
    if args.format not in ("text", "json"):
        raise UsageError(f"a plan has no {args.format} form: use --format text or json")
    costs = app_shards.estimates(ps, settings)
    batch_costs = app_shards.estimates(ps, settings, batch=True)
    skipped = list(ps.snapshot.skipped)
    if args.format == "json":
        out = shards_out.render_json(
            ps.plan, costs, batch_costs, skipped=skipped, redactions=ps.plan.plans[0].redactions
        )
    else:
        out = shards_out.render_text(ps.plan, costs, batch_costs, skipped=skipped)
    console.write(out, args.output)
    return console.EXIT_OK


def prepare(
    root: Path, settings: Settings, args: argparse.Namespace, kind: str, progress: Any
) -> PreparedShards:
    return app_shards.prepare(
        root, settings, kind=kind, ref=args.diff or None, progress=progress, staged=args.staged
    )


def cmd_full(
    args: argparse.Namespace,
    root: Path,
    settings: Settings,
    kind: str,
    *,
    has_key: bool,
    progress: console.Progress | None,
) -> int:
    """The full-coverage review of ``root`` (its plan without a key or with --dry-run)."""
    check_args(args)
    outputs = [(args.format, args.output), *formats.parse_also(args.also_output)]
    try:
        ps = prepare(root, settings, args, kind, progress)
    except NothingToReview as e:
        return console.nothing_to_review(str(e), outputs, kind=kind, model=settings.model)
    if args.dry_run or not has_key:
        if not has_key and not args.dry_run:
            console.say("ANTHROPIC_API_KEY is not set: showing the plan only, nothing sent")
        return show_plan(ps, settings, args)
    if args.batch:
        return cmd_submit_shards(args, ps, settings, progress)
    total = app_shards.check_total(ps, settings)
    if progress:
        n = len(ps.plan.shards)
        progress(
            f"full coverage: {n} shard{'s' if n != 1 else ''}, {ps.plan.input_tokens:,} tokens "
            "(estimated "
            f"${total:.4f}); shard 1 first, then up to {settings.concurrency} at a time"
        )
    result = asyncio.run(_send(ps, settings, args, progress))
    texts = ps.sent_texts()
    color = args.format == "text" and sys.stdout.isatty() and not args.output
    for i, (fmt, output) in enumerate(outputs):
        console.write(formats.render(fmt, result, texts, color=color and i == 0), output)
    if progress and result.cost is not None and result.usage is not None:
        progress(
            f"cost ${result.cost.usd:.4f} for {len(result.shards)} shards, cache read "
            f"{result.usage.cache_read_share:.0%} of input"
        )
    if not result.complete:
        console.say(f"INCOMPLETE REVIEW: {result.incomplete_reason}")
    return console.review_exit([result], args.fail_on)


async def _send(
    ps: PreparedShards, settings: Settings, args: argparse.Namespace, progress: Any
) -> ReviewResult:
    client = ApiClient(
        base_url=settings.baseUrl, provider=settings.provider, models=settings.models
    )
    n = len(ps.plan.shards)

    def on_shard(index: int, stage: str, info: dict[str, Any]) -> None:
        if not progress:
            return
        if stage == "sending":
            progress(f"shard {index}/{n}: sending {info['files']} files, {info['tokens']:,} tokens")
        elif stage == "done":
            why = f" ({info['reason']})" if info.get("reason") else ""
            progress(f"shard {index}/{n}: {info['status']}, {info['findings']} findings{why}")

    try:
        return await app_shards.review(
            ps,
            settings,
            client,
            use_cache=not args.no_cache,
            on_shard=on_shard,
            enforce_cost=False,
        )
    finally:
        await client.aclose()
