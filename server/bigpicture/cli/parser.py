"""The command line's grammar: every command, option and its check, and the settings the
options give (merged over the workspace's by ``core.config``)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bigpicture import __version__
from bigpicture.core import config as configuration
from bigpicture.core.config import Settings
from bigpicture.core.errors import UsageError
from bigpicture.core.models import SEVERITIES
from bigpicture.outputs.formats import REVIEW_FORMATS

if TYPE_CHECKING:
    # What ``add_subparsers`` returns (typeshed's name for it; a type only).
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]


def usd(value: str) -> float:
    """``--max-cost``: a finite amount of US dollars, zero or more."""
    try:
        amount = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an amount in USD") from None
    if not math.isfinite(amount) or amount < 0:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a limit: give a finite amount of USD, 0 or more"
        )
    return amount


def model_id(value: str) -> str:
    """``--model``: a non-empty model ID."""
    if not value.strip():
        raise argparse.ArgumentTypeError("an empty model ID: name a model (bigpicture models)")
    return value.strip()


def confidence(value: str) -> float:
    """``--min-confidence``: a number from 0 to 1."""
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number from 0 to 1") from None
    if not 0 <= x <= 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number from 0 to 1")
    return x


def positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be greater than 0")
    return n


def _formats(p: argparse.ArgumentParser, *formats: str, help: str | None = None) -> None:
    p.add_argument("--format", choices=formats or ("text", "json"), default="text", help=help)


def _quiet(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def _fail_on(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--fail-on", choices=SEVERITIES, metavar="SEVERITY", help="exit 1 on a finding at or above"
    )


def _output(p: argparse.ArgumentParser) -> None:
    p.add_argument("--output", "-o", metavar="FILE", help="write the output to FILE")


def _review_scope(r: argparse.ArgumentParser) -> None:
    """What ``review`` reads: the folders, the changes or one file, and the model."""
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
    r.add_argument(
        "--coverage",
        choices=("window", "full"),
        default="window",
        help="window (the default): one request, the files that fit the window, the rest "
        "listed as left out; full: every file whole, in shards of related files that each "
        "fit the window, one request per shard (the plan shows the shards and the total cost)",
    )
    r.add_argument(
        "--model", type=model_id, help=f"model ID (default {configuration.DEFAULT_MODEL})"
    )


def _review_output(r: argparse.ArgumentParser) -> None:
    """How ``review`` reports: plan or result, in which formats and files."""
    r.add_argument("--dry-run", action="store_true", help="print the plan; send nothing")
    r.add_argument("--format", choices=REVIEW_FORMATS, default="text", help="output format")
    _output(r)
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


def _review_limits(r: argparse.ArgumentParser) -> None:
    """What ``review`` sends and spends, and what it reports (the settings the flags give)."""
    r.add_argument("--include", action="append", metavar="GLOB", help="only send matching files")
    r.add_argument("--exclude", action="append", metavar="GLOB", help="never send matching files")
    r.add_argument("--max-cost", type=usd, metavar="USD", help="refuse to send above this estimate")
    _fail_on(r)
    r.add_argument("--min-severity", choices=SEVERITIES, help="hide findings below this severity")
    r.add_argument(
        "--baseline",
        metavar="FILE",
        help="compare with a previous run's SARIF: each finding new, unchanged or updated "
        "(baselineState in SARIF, also in text and JSON), results gone listed as absent; "
        "--fail-on then counts only new and updated findings",
    )
    r.add_argument("--thinking", type=int, metavar="BUDGET", help="extended thinking budget tokens")
    r.add_argument("--cache-ttl", choices=("5m", "1h"), help="prompt-cache lifetime")
    r.add_argument(
        "--max-file-size", type=positive_int, metavar="BYTES", help="largest file to send"
    )
    r.add_argument("--no-cache", action="store_true", help="ignore the local result cache")
    _quiet(r)


def _review_quality(r: argparse.ArgumentParser) -> None:
    """The verification pass, the confidence bar and the findings' language."""
    r.add_argument(
        "--verify",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="after the review, a second request on the cached prefix re-examines each finding "
        "and keeps only the confirmed ones (default: on with --format sarif or --fail-on)",
    )
    r.add_argument(
        "--min-confidence",
        type=confidence,
        metavar="X",
        help="hide findings rated below confidence X (0 to 1; default 0.7)",
    )
    r.add_argument(
        "--language",
        metavar="TAG",
        help="write titles, messages and the summary in this BCP 47 language (zh-CN, ja, de)",
    )


def _review_batch(r: argparse.ArgumentParser) -> None:
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


def _add_review(sub: Subparsers) -> None:
    r = sub.add_parser(
        "review",
        help="review a workspace, its changes or one file (or show the plan)",
        description="Review PATH (default: the current folder). Without ANTHROPIC_API_KEY, or "
        "with --dry-run, print the plan of the review and send nothing.",
    )
    _review_scope(r)
    _review_output(r)
    _review_limits(r)
    _review_quality(r)
    _review_batch(r)


def _add_batch(sub: Subparsers) -> None:
    b = sub.add_parser(
        "batch",
        help="Message Batches submitted by `review --batch`: status, results, wait, cancel, list",
    )
    bsub = b.add_subparsers(dest="batch_command", metavar="ACTION", required=True)
    bs = bsub.add_parser("status", help="processing status, request counts, created/expires")
    bs.add_argument("id", metavar="ID")
    _formats(bs)
    br = bsub.add_parser(
        "results", help="wait for the batch to end (resumes polling), then print its reviews"
    )
    br.add_argument("id", metavar="ID")
    _formats(br, "text", "json", "sarif", help="output format")
    _output(br)
    _fail_on(br)
    br.add_argument(
        "--no-wait", action="store_true", help="do not wait: exit 6 if it has not ended yet"
    )
    _quiet(br)
    bw = bsub.add_parser("wait", help="poll until the batch has ended, then show its status")
    bw.add_argument("id", metavar="ID")
    _formats(bw)
    _quiet(bw)
    bc = bsub.add_parser("cancel", help="ask the API to cancel the batch")
    bc.add_argument("id", metavar="ID")
    _formats(bc)
    bl = bsub.add_parser("list", help="the batches stored on this machine, newest first")
    _formats(bl)


def _add_github_review(sub: Subparsers) -> None:
    g = sub.add_parser(
        "github-review",
        help="post a review result on a GitHub pull request as one review (inline comments, "
        "suggested changes); reads GITHUB_TOKEN and GITHUB_API_URL",
    )
    g.add_argument("--input", required=True, metavar="FILE", help="the review's JSON document")
    g.add_argument("--repo", metavar="OWNER/REPO", help="default: GITHUB_REPOSITORY")
    g.add_argument(
        "--pr", type=positive_int, metavar="N", help="default: the event at GITHUB_EVENT_PATH"
    )
    g.add_argument("--commit", metavar="SHA", help="default: the pull request's head commit")
    g.add_argument(
        "--max-comments", type=positive_int, default=50, metavar="N", help="inline comments at most"
    )
    g.add_argument(
        "--dry-run", action="store_true", help="print the review payload instead of posting it"
    )


def _add_small_commands(sub: Subparsers) -> None:
    """serve, usage, models."""
    s = sub.add_parser("serve", help="run the language server")
    s.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    s.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead (for debugging)")
    u = sub.add_parser("usage", help="cost and cache use so far, by day and model")
    u.add_argument("--days", type=positive_int, default=30, help="how many days back (default 30)")
    _formats(u)
    sub.add_parser("models", help="list the models BigPicture knows, with limits and prices")


def build_parser() -> argparse.ArgumentParser:
    """The whole grammar: one function adds each command's arguments."""
    p = argparse.ArgumentParser(
        prog="bigpicture",
        description="Whole-repository code review in one large-context Claude request.",
    )
    p.add_argument("--version", action="version", version=f"bigpicture {__version__}")
    p.add_argument(
        "--debug",
        action="store_true",
        help="on an internal error, print the traceback (it is always written to the log file)",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    _add_review(sub)
    _add_batch(sub)
    _add_github_review(sub)
    _add_small_commands(sub)
    return p


def settings_from_args(root: Path, args: argparse.Namespace) -> tuple[Settings, list[str]]:
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
    if getattr(args, "verify", None) is not None:
        flags["verify"] = "on" if args.verify else "off"
    if getattr(args, "min_confidence", None) is not None:
        flags["minConfidence"] = args.min_confidence
    if getattr(args, "language", None):
        flags["language"] = args.language
    settings, warnings = configuration.load(root, ("command line", flags))
    bad = [w for w in warnings if w.startswith("command line")]
    if bad:
        raise UsageError(bad[0])
    return settings, warnings


def review_kind(args: argparse.Namespace) -> str:
    changes = args.diff is not None or getattr(args, "staged", False)
    if changes and args.file:
        raise UsageError("--diff (or --staged) and --file cannot be combined")
    return "changes" if changes else "file" if args.file else "workspace"
