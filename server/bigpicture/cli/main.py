"""``bigpicture``: parse, dispatch, and turn every failure into one line and an exit code.

A ``BigPictureError`` is one line on stderr with its exit code. Anything else is a bug: one
line naming it and the log file holding its traceback, exit 3 (never 1, which means
"findings at or above --fail-on"); ``--debug`` prints the traceback too.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from bigpicture.cli import console
from bigpicture.cli.parser import build_parser
from bigpicture.core.errors import BigPictureError
from bigpicture.store.paths import data_dir

Command = Callable[[argparse.Namespace], int]


def _commands() -> dict[str, Command]:
    # imported when a command runs, not for --help or --version: they pull in the SDK
    from bigpicture.cli import batch, commands, github

    return {
        "github-review": github.cmd_github_review,
        "review": commands.cmd_review,
        "serve": commands.cmd_serve,
        "usage": commands.cmd_usage,
        "models": commands.cmd_models,
        "batch": batch.cmd_batch,
    }


def _log_traceback(exc: BaseException) -> Path | None:
    """Write the traceback to ``<data dir>/logs/last-error.log``; None when that fails."""
    try:
        path = data_dir() / "logs" / "last-error.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        return path
    except Exception:
        return None


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="bigpicture: %(levelname)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return console.EXIT_USAGE
    try:
        return _commands()[args.command](args)
    except BigPictureError as e:
        console.say(f"error: {e.message}")
        return e.exit_code
    except KeyboardInterrupt:
        console.say("interrupted")
        return console.EXIT_INTERRUPTED
    except Exception as e:  # a bug: never exit 1, which means findings
        log = _log_traceback(e)
        where = f"; the traceback is in {log}" if log else ""
        console.say(
            f"internal error: {type(e).__name__}: {e}{where} (please report it; --debug "
            "prints it here)"
        )
        if getattr(args, "debug", False):
            traceback.print_exception(e, file=sys.stderr)
        return console.EXIT_INTERNAL
