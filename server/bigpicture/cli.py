"""The command line: argument parsing, then the pipeline, then an output renderer.

Exit codes: 0 success (also "nothing to review" and a plan shown); 1 a finding at or above
``--fail-on``; 2 usage or configuration error (also a bad diff request); 3 secret scan failure
or internal error; 4 over budget (does not fit, or ``--max-cost`` exceeded); 5 API error;
6 incomplete review (refused, cut short, malformed, stream broken; with batches also an
errored, canceled or expired request, or a batch that has not ended under ``--no-wait``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from . import __version__
from .core import config as configuration
from .core.errors import BigPictureError, ConfigError, NothingToReview, UsageError
from .core.models import SEVERITIES
from .outputs.formats import REVIEW_FORMATS

EXIT_FINDINGS = 1


def _progress(quiet: bool):
    if quiet or not sys.stderr:
        return None

    def report(msg: str) -> None:
        print(f"bigpicture: {msg}", file=sys.stderr, flush=True)

    return report


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bigpicture",
        description="Whole-repository code review in one large-context Claude request.",
    )
    p.add_argument("--version", action="version", version=f"bigpicture {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    r = sub.add_parser(
        "review",
        help="review a workspace, its changes or one file (or show the plan)",
        description="Review PATH (default: the current folder). Without ANTHROPIC_API_KEY, or "
        "with --dry-run, print the plan of the review and send nothing.",
    )
    r.add_argument(
        "path",
        nargs="*",
        metavar="PATH",
        help="workspace folder (default: .); several with --batch",
    )
    r.add_argument(
        "--diff",
        nargs="?",
        const="",
        default=None,
        metavar="REF",
        help="review the changes: uncommitted work against HEAD, or everything since the "
        "merge-base with REF; the whole workspace stays in the request as context",
    )
    r.add_argument(
        "--staged",
        action="store_true",
        help="review only the staged changes (the index) against HEAD, or against the "
        "merge-base with --diff REF; unstaged and untracked work is left out of the diff",
    )
    r.add_argument("--file", metavar="FILE", help="review one file, the workspace as context")
    r.add_argument("--model", help=f"model ID (default {configuration.DEFAULT_MODEL})")
    r.add_argument("--dry-run", action="store_true", help="print the plan; send nothing")
    r.add_argument("--format", choices=REVIEW_FORMATS, default="text", help="output format")
    r.add_argument("--output", "-o", metavar="FILE", help="write the output to FILE")
    r.add_argument(
        "--also-output",
        action="append",
        metavar="FORMAT=FILE",
        help="also write the result as FORMAT to FILE (repeatable), e.g. json=review.json",
    )
    r.add_argument(
        "--skip-without-key",
        action="store_true",
        help="without credentials, say in one line that the review was skipped and exit 0, "
        "instead of showing the plan (for hooks, and CI jobs that get no secrets)",
    )
    r.add_argument(
        "--count",
        action="store_true",
        help="ask the API's free count_tokens endpoint for the exact input tokens (needs a key)",
    )
    r.add_argument("--include", action="append", metavar="GLOB", help="only send matching files")
    r.add_argument("--exclude", action="append", metavar="GLOB", help="never send matching files")
    r.add_argument(
        "--max-cost", type=float, metavar="USD", help="refuse to send above this estimate"
    )
    r.add_argument(
        "--fail-on", choices=SEVERITIES, metavar="SEVERITY", help="exit 1 on a finding at or above"
    )
    r.add_argument("--min-severity", choices=SEVERITIES, help="hide findings below this severity")
    r.add_argument("--thinking", type=int, metavar="BUDGET", help="extended thinking budget tokens")
    r.add_argument("--cache-ttl", choices=("5m", "1h"), help="prompt-cache lifetime")
    r.add_argument("--max-file-size", type=int, metavar="BYTES", help="largest file to send")
    r.add_argument("--no-cache", action="store_true", help="ignore the local result cache")
    r.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    r.add_argument(
        "--batch",
        action="store_true",
        help="submit one Message Batch with a review of each PATH (half price, results within "
        "24 h), wait for it and print the results",
    )
    r.add_argument(
        "--no-wait",
        action="store_true",
        help="with --batch: print the batch id and exit; read the results later with "
        "`bigpicture batch results ID`",
    )

    b = sub.add_parser(
        "batch",
        help="Message Batches submitted by `review --batch`: status, results, wait, cancel, list",
    )
    bsub = b.add_subparsers(dest="batch_command", metavar="ACTION", required=True)
    bs = bsub.add_parser("status", help="processing status, request counts, created/expires")
    bs.add_argument("id", metavar="ID")
    bs.add_argument("--format", choices=("text", "json"), default="text")
    br = bsub.add_parser(
        "results", help="wait for the batch to end (resumes polling), then print its reviews"
    )
    br.add_argument("id", metavar="ID")
    br.add_argument(
        "--format", choices=("text", "json", "sarif"), default="text", help="output format"
    )
    br.add_argument("--output", "-o", metavar="FILE", help="write the output to FILE")
    br.add_argument(
        "--fail-on", choices=SEVERITIES, metavar="SEVERITY", help="exit 1 on a finding at or above"
    )
    br.add_argument(
        "--no-wait", action="store_true", help="do not wait: exit 6 if it has not ended yet"
    )
    br.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    bw = bsub.add_parser("wait", help="poll until the batch has ended, then show its status")
    bw.add_argument("id", metavar="ID")
    bw.add_argument("--format", choices=("text", "json"), default="text")
    bw.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    bc = bsub.add_parser("cancel", help="ask the API to cancel the batch")
    bc.add_argument("id", metavar="ID")
    bc.add_argument("--format", choices=("text", "json"), default="text")
    bl = bsub.add_parser("list", help="the batches stored on this machine, newest first")
    bl.add_argument("--format", choices=("text", "json"), default="text")

    s = sub.add_parser("serve", help="run the language server")
    s.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    s.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead (for debugging)")

    u = sub.add_parser("usage", help="cost and cache use so far, by day and model")
    u.add_argument("--days", type=int, default=30, help="how many days back (default 30)")
    u.add_argument("--format", choices=("text", "json"), default="text")

    sub.add_parser("models", help="list the models BigPicture knows, with limits and prices")
    return p


def _settings_from_args(root: Path, args: argparse.Namespace) -> tuple[Any, list[str]]:
    flags: dict[str, Any] = {}
    if args.model:
        flags["model"] = args.model
    if args.include:
        flags["include"] = args.include
    if args.exclude:
        flags["exclude"] = args.exclude
    if args.max_cost is not None:
        flags["maxCostPerReview"] = args.max_cost
    if args.min_severity:
        flags["minSeverity"] = args.min_severity
    if args.thinking is not None:
        flags["thinkingBudget"] = args.thinking
    if args.cache_ttl:
        flags["cacheTtl"] = args.cache_ttl
    if args.max_file_size is not None:
        flags["maxFileSize"] = args.max_file_size
    settings, warnings = configuration.load(root, ("command line", flags))
    bad = [w for w in warnings if w.startswith("command line")]
    if bad:
        raise UsageError(bad[0])
    return settings, warnings


def _write(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def cmd_review(args: argparse.Namespace) -> int:
    from .core import pipeline
    from .outputs import plan as plan_out

    progress = _progress(args.quiet)
    if args.batch and (args.staged or args.also_output or args.format in ("gitlab", "rdjson")):
        raise UsageError(
            "--staged, --also-output and --format gitlab|rdjson do not go with --batch"
        )
    if args.batch:
        from .batch import run_cli_submit

        return run_cli_submit(args, progress)
    if args.no_wait:
        raise UsageError("--no-wait goes with --batch")
    if len(args.path) > 1:
        raise UsageError("several paths are reviewed together only with --batch")
    path = args.path[0] if args.path else "."
    root = Path(path)
    if not root.is_dir():
        raise UsageError(f"{path}: not a directory")
    settings, warnings = _settings_from_args(root, args)
    for w in warnings:
        print(f"bigpicture: warning: {w}", file=sys.stderr)
    changes = args.diff is not None or args.staged
    kind = "changes" if changes else "file" if args.file else "workspace"
    if changes and args.file:
        raise UsageError("--diff (or --staged) and --file cannot be combined")
    from .client.credentials import credentials_problem, unsupported
    from .outputs import formats

    try:
        outputs = [(args.format, args.output), *formats.parse_also(args.also_output)]
    except ValueError as e:
        raise UsageError(str(e)) from None
    if args.count and (why := unsupported(settings.provider, "count_tokens")):
        raise UsageError(why)
    no_key = credentials_problem(settings.provider, settings.baseUrl)
    has_key = no_key is None
    if no_key and args.skip_without_key and not args.dry_run:
        why = "ANTHROPIC_API_KEY is not set" if settings.provider == "anthropic" else no_key
        print(f"bigpicture: review skipped: {why} (nothing was sent)", file=sys.stderr)
        for fmt, output in outputs:
            if fmt == "json":
                _write(formats.status_document("skipped", f"review skipped: {why}"), output)
        return 0
    if no_key and settings.provider != "anthropic" and not args.dry_run:
        raise ConfigError(no_key)  # a chosen cloud platform is never a silent plan-only run
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
        print(f"bigpicture: {e}", file=sys.stderr)
        for fmt, output in outputs:
            doc = formats.render_nothing(fmt, str(e), kind=kind, model=settings.model)
            if doc is not None:
                _write(doc, output)
        return 0
    plan = prepared.plan
    if args.count or (not args.dry_run and has_key):
        from .review import count_exact

        if args.count and not has_key:
            if settings.provider != "anthropic":
                raise ConfigError(f"--count needs credentials: {no_key}")
            raise UsageError("--count needs ANTHROPIC_API_KEY (counting is free, but needs a key)")
        if args.count:
            plan = count_exact(prepared, settings)
    if args.dry_run or not has_key:
        if not has_key and not args.dry_run:
            print(
                "bigpicture: ANTHROPIC_API_KEY is not set: showing the plan only, nothing sent",
                file=sys.stderr,
            )
        if args.format not in ("text", "json"):
            raise UsageError(f"a plan has no {args.format} form: use --format text or json")
        _write(
            plan_out.render_json(plan) if args.format == "json" else plan_out.render_text(plan),
            args.output,
        )
        return 0
    from .review import run_cli_review

    return run_cli_review(prepared, settings, args, progress)


def cmd_models(args: argparse.Namespace) -> int:
    from .core.registry import Registry

    reg = Registry()
    print(
        f"{'model':<22} {'window':>9} {'max out':>8} {'in':>6} {'out':>6} {'read':>6} {'5m w':>6} {'1h w':>6}"
    )
    for mid in reg.ids():
        m, _ = reg.get(mid)
        print(
            f"{mid:<22} {m.context_window:>9,} {m.max_output:>8,} {m.input:>6.2f} {m.output:>6.2f} "
            f"{m.cache_read:>6.2f} {m.cache_write5m:>6.2f} {m.cache_write1h:>6.2f}"
        )
    print("prices in USD per million tokens")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .lsp.server import run

    return run(tcp=args.tcp)


def cmd_usage(args: argparse.Namespace) -> int:
    from .core import ledger
    from .outputs import usage as usage_out

    summary = ledger.summarize(ledger.read(), days=args.days)
    _write(usage_out.render(summary, args.format), None)
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from .batch import cmd_batch as run

    return run(args)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="bigpicture: %(levelname)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    handlers = {
        "review": cmd_review,
        "serve": cmd_serve,
        "usage": cmd_usage,
        "models": cmd_models,
        "batch": cmd_batch,
    }
    try:
        return handlers[args.command](args)
    except BigPictureError as e:
        print(f"bigpicture: error: {e.message}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("bigpicture: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
