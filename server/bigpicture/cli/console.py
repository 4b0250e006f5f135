"""What the CLI shows and returns: exit codes, output, progress, warnings.

Exit codes (the README's table): 0 success (also "nothing to review" and a plan shown);
1 a finding at or above ``--fail-on``; 2 usage or configuration error (also a diff that
cannot be made); 3 the secret scan failed (nothing sent) or an internal error; 4 over budget
(does not fit, or its estimate is over ``--max-cost``); 5 API error; 6 incomplete review
(refused, cut short, malformed, stream broken; with batches also an errored, canceled or
expired request, or a batch that has not ended under ``--no-wait``); 130 interrupted.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from bigpicture.core.models import ReviewResult, severity_rank
from bigpicture.outputs import formats

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_BUDGET = 4
EXIT_API = 5
EXIT_INCOMPLETE = 6
EXIT_INTERRUPTED = 130

Progress = Callable[[str], None]


def progress(quiet: bool) -> Progress | None:
    """A progress reporter on stderr, or None with ``--quiet``."""
    if quiet or not sys.stderr:
        return None

    def report(msg: str) -> None:
        print(f"bigpicture: {msg}", file=sys.stderr, flush=True)

    return report


# Settings that have a flag: the shared messages name settings; the CLI names the flag too.
FLAGS = {
    "model": "--model",
    "include": "--include",
    "exclude": "--exclude",
    "maxCostPerReview": "--max-cost",
    "minSeverity": "--min-severity",
    "thinkingBudget": "--thinking",
    "cacheTtl": "--cache-ttl",
    "maxFileSize": "--max-file-size",
    "baseBranch": "--diff REF",
}
_SETTING = re.compile(r"the `(\w+)` setting")


def for_cli(message: str) -> str:
    """A shared message with each setting that has a flag named by its flag as well."""

    def flag(m: re.Match[str]) -> str:
        key = m.group(1)
        return f"{FLAGS[key]} (the `{key}` setting)" if key in FLAGS else m.group(0)

    return _SETTING.sub(flag, message)


def say(message: str) -> None:
    """One line on stderr, always shown (errors, warnings, what happened)."""
    print(f"bigpicture: {for_cli(message)}", file=sys.stderr, flush=True)


def write(text: str, output: str | None) -> None:
    """The command's output: to ``output`` when given, else stdout."""
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def nothing_to_review(
    message: str, outputs: Iterable[tuple[str, str | None]], *, kind: str, model: str
) -> int:
    """Say there is nothing to review, and write that in each output format that can say it
    (a SARIF run with no results, say): exit 0."""
    say(message)
    for fmt, output in outputs:
        doc = formats.render_nothing(fmt, message, kind=kind, model=model)
        if doc is not None:
            write(doc, output)
    return EXIT_OK


def review_exit(results: Iterable[ReviewResult], fail_on: str | None) -> int:
    """6 when a review is incomplete, else 1 when a shown finding is at or above
    ``fail_on``, else 0."""
    results = list(results)
    if any(not r.complete for r in results):
        return EXIT_INCOMPLETE
    if fail_on:
        limit = severity_rank(fail_on)
        for r in results:
            if any(severity_rank(f.severity) <= limit and not f.suppressed for f in r.findings):
                return EXIT_FINDINGS
    return EXIT_OK
