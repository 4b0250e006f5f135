"""The CLI's commands other than batches: review (or its plan), serve, usage, models."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

import msgspec

from bigpicture.app import prepare as pipeline
from bigpicture.app import review as reviewing
from bigpicture.app import verify as verifying
from bigpicture.app.prepare import Prepared
from bigpicture.cli import console
from bigpicture.cli.batch import cmd_submit
from bigpicture.cli.parser import review_kind, settings_from_args
from bigpicture.cli.shards import cmd_full
from bigpicture.client.anthropic import ApiClient
from bigpicture.client.credentials import credentials_problem, unsupported
from bigpicture.core import spending
from bigpicture.core.config import Settings
from bigpicture.core.errors import ConfigError, NothingToReview, UsageError
from bigpicture.core.models import ReviewResult
from bigpicture.core.registry import Registry
from bigpicture.outputs import baseline, formats
from bigpicture.outputs import plan as plan_out
from bigpicture.outputs import usage as usage_out
from bigpicture.store import ledger


def cmd_review(args: argparse.Namespace) -> int:
    progress = console.progress(args.quiet)
    if args.batch and (
        args.staged or args.also_output or args.baseline or args.format in ("gitlab", "rdjson")
    ):
        raise UsageError(
            "--staged, --also-output, --baseline and --format gitlab|rdjson do not go with --batch"
        )
    if args.batch and args.coverage == "full" and len(args.path) > 1:
        raise UsageError("--coverage full --batch reviews one PATH (its shards in one batch)")
    _no_verification_here(args)
    if args.batch and args.coverage != "full":
        return cmd_submit(args, progress)
    if args.no_wait and not args.batch:
        raise UsageError("--no-wait goes with --batch")
    if len(args.path) > 1:
        raise UsageError("several paths are reviewed together only with --batch")
    path = args.path[0] if args.path else "."
    root = Path(path)
    if not root.is_dir():
        raise UsageError(f"{path}: not a directory")
    settings, warnings = settings_from_args(root, args)
    for w in warnings:
        console.say(f"warning: {w}")
    kind = review_kind(args)
    base = read_baseline(args.baseline) if args.baseline else None  # before anything is sent
    try:
        outputs = [(args.format, args.output), *formats.parse_also(args.also_output)]
    except ValueError as e:
        raise UsageError(str(e)) from None
    if args.count and (why := unsupported(settings.provider, "count_tokens")):
        raise UsageError(why)
    no_key = credentials_problem(settings.provider, settings.baseUrl)
    has_key = no_key is None
    if no_key and args.skip_without_key and not args.dry_run:
        return _skipped(settings, no_key, outputs)
    if no_key and settings.provider != "anthropic" and not args.dry_run:
        raise ConfigError(no_key)  # a chosen cloud platform is never a silent plan-only run
    if args.coverage == "full":
        return cmd_full(args, root, settings, kind, has_key=has_key, progress=progress)
    try:
        prepared = pipeline.prepare(
            root,
            settings,
            kind=kind,
            ref=args.diff or None,
            file=args.file,
            progress=progress,
            staged=args.staged,
        )
    except NothingToReview as e:
        return console.nothing_to_review(str(e), outputs, kind=kind, model=settings.model)
    if args.count:
        if not has_key:
            if settings.provider != "anthropic":
                raise ConfigError(f"--count needs credentials: {no_key}")
            raise UsageError("--count needs ANTHROPIC_API_KEY (counting is free, but needs a key)")
        prepared.plan = reviewing.count_exact(prepared, settings)
    if args.dry_run or not has_key:
        if not has_key and not args.dry_run:
            console.say("ANTHROPIC_API_KEY is not set: showing the plan only, nothing sent")
        if args.format not in ("text", "json"):
            raise UsageError(f"a plan has no {args.format} form: use --format text or json")
        plan = prepared.plan
        verify = verifying.wanted(settings, ci=_ci_run(args))
        out = (
            plan_out.render_json(plan, verify=verify)
            if args.format == "json"
            else plan_out.render_text(plan, verify=verify)
        )
        console.write(out, args.output)
        return console.EXIT_OK
    return run_review(prepared, settings, args, progress, base)


def read_baseline(name: str) -> baseline.Baseline:
    """``--baseline FILE`` read and checked: a missing file or one that is not SARIF is a
    usage error, before anything is sent."""
    try:
        data = Path(name).read_bytes()
    except OSError as e:
        raise UsageError(f"--baseline {name}: cannot read it ({e.strerror or e})") from None
    return baseline.parse(data, name)


def compared(
    prepared: Prepared, result: ReviewResult, base: baseline.Baseline | None
) -> baseline.Comparison | None:
    if base is None:
        return None
    return baseline.compare(
        result.findings,
        base,
        reviewed={f.path for f in prepared.plan.files},
        present=reviewing.present_paths(prepared),
        complete=result.complete,
    )


def _skipped(settings: Settings, no_key: str, outputs: list[tuple[str, str | None]]) -> int:
    """``--skip-without-key`` without credentials: one line, and only JSON says so."""
    why = "ANTHROPIC_API_KEY is not set" if settings.provider == "anthropic" else no_key
    console.say(f"review skipped: {why} (nothing was sent)")
    for fmt, output in outputs:
        if fmt == "json":
            console.write(formats.status_document("skipped", f"review skipped: {why}"), output)
    return console.EXIT_OK


def _no_verification_here(args: argparse.Namespace) -> None:
    """``--verify`` where there is no verification pass: a batch refuses it, a full-coverage
    review says it does not verify."""
    if args.batch and args.verify:
        raise UsageError("--verify does not go with --batch (a batch has no verification pass)")
    if args.coverage == "full" and args.verify:
        console.say("warning: --coverage full has no verification pass yet; not verifying")


def _ci_run(args: argparse.Namespace) -> bool:
    """A run CI reads: SARIF out, or a gate (``verify = "auto"`` turns the pass on)."""
    formats_out = [args.format, *(f for f, _ in formats.parse_also(args.also_output))]
    return "sarif" in formats_out or bool(args.fail_on)


def run_review(
    prepared: Prepared,
    settings: Settings,
    args: argparse.Namespace,
    progress: Any,
    base: baseline.Baseline | None = None,
) -> int:
    """Send, render, and the exit code."""

    async def go() -> ReviewResult:
        client = ApiClient(
            base_url=settings.baseUrl, provider=settings.provider, models=settings.models
        )
        try:

            async def stage(name: str, info: dict[str, Any]) -> None:
                if progress and name == "sending":
                    progress(
                        f"sending {info['files']} files, {info['tokens']:,} tokens "
                        f"(estimated ${info['estimate']:.4f})"
                    )
                elif progress and name == "accepted":
                    progress(f"the API accepted the request ({info['request_id']}); receiving")
                elif progress and name == "verifying":
                    progress(
                        f"verification pass: re-examining {info['findings']} findings on the "
                        f"cached prefix (estimated ${info['estimate']:.4f})"
                    )

            result = await reviewing.review(
                prepared, settings, client, use_cache=not args.no_cache, on_stage=stage
            )
            if verifying.wanted(settings, ci=_ci_run(args)):
                result = await verifying.verify(
                    prepared, settings, client, result, use_cache=not args.no_cache, on_stage=stage
                )
            return result
        finally:
            await client.aclose()

    result = asyncio.run(go())
    texts = prepared.plan.sent_texts(prepared.snapshot)
    color = args.format == "text" and sys.stdout.isatty() and not args.output
    comparison = compared(prepared, result, base)
    console.write(
        formats.render(args.format, result, texts, color=color, comparison=comparison),
        args.output,
    )
    for fmt, output in formats.parse_also(args.also_output):
        console.write(formats.render(fmt, result, texts, comparison=comparison), output)
    if progress and result.cost is not None and result.usage is not None:
        progress(
            f"cost ${result.cost.usd:.4f}, cache read {result.usage.cache_read_share:.0%} of "
            f"input, request {result.request_id}"
        )
    if not result.complete:
        console.say(f"INCOMPLETE REVIEW: {result.incomplete_reason}")
    if comparison is not None:  # --fail-on counts what is new or changed since the baseline
        result = msgspec.structs.replace(
            result,
            findings=[f for f in result.findings if comparison.states.get(f.id) != "unchanged"],
        )
    return console.review_exit([result], args.fail_on)


def cmd_models(args: argparse.Namespace) -> int:
    reg = Registry()
    lines = [
        f"{'model':<22} {'window':>9} {'max out':>8} {'in':>6} {'out':>6} {'read':>6} "
        f"{'5m w':>6} {'1h w':>6}"
    ]
    for mid in reg.ids():
        m, _ = reg.get(mid)
        lines.append(
            f"{mid:<22} {m.context_window:>9,} {m.max_output:>8,} {m.input:>6.2f} {m.output:>6.2f} "
            f"{m.cache_read:>6.2f} {m.cache_write5m:>6.2f} {m.cache_write1h:>6.2f}"
        )
    lines.append("prices in USD per million tokens")
    console.write("\n".join(lines) + "\n", None)
    return console.EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from bigpicture.lsp.server import run  # imported when needed: pygls is not for the CLI

    return run(tcp=args.tcp)


def cmd_usage(args: argparse.Namespace) -> int:
    summary = spending.summarize(ledger.read(), days=args.days)
    console.write(usage_out.render(summary, args.format), None)
    return console.EXIT_OK
