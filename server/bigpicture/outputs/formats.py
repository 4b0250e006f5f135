"""Which renderer writes which ``--format``, and what each writes when there was nothing to
review or the review was skipped.

A changes review with an empty diff is "nothing to review", which is a true result: JSON says
``"status": "nothing-to-review"``, SARIF is a successful run with no results and a note, GitLab
Code Quality an empty array, rdjson an empty diagnostics list. A review skipped for want of a
key (``--skip-without-key``) is not a result: only JSON says so (``"status": "skipped"``); no
SARIF, Code Quality or rdjson file is written, so nothing reads as a clean report.
"""

from __future__ import annotations

import json

from bigpicture.core import models
from bigpicture.outputs.baseline import Comparison

REVIEW_FORMATS = ("text", "json", "sarif", "gitlab", "rdjson")


def render(
    fmt: str,
    result: models.ReviewResult,
    texts: dict[str, str] | None,
    *,
    color: bool = False,
    comparison: Comparison | None = None,
) -> str:
    """``result`` in ``fmt``. ``texts``: the exact texts sent, by path (for columns);
    ``comparison``: the findings against ``--baseline`` (text, JSON and SARIF show it)."""
    if fmt == "json":
        from . import json as json_out

        return json_out.render(result, comparison)
    if fmt == "sarif":
        from . import sarif

        return sarif.render(result, texts, comparison)
    if fmt == "gitlab":
        from . import gitlab

        return gitlab.render(result)
    if fmt == "rdjson":
        from . import rdjson

        return rdjson.render(result, texts)
    if fmt == "text":
        from . import text

        return text.render(result, color=color, comparison=comparison)
    raise ValueError(f"unknown format {fmt!r}")


def status_document(status: str, message: str) -> str:
    """The JSON form of a review that produced no result: nothing-to-review or skipped."""
    return json.dumps({"version": 1, "status": status, "message": message}) + "\n"


def render_nothing(fmt: str, message: str, *, kind: str, model: str) -> str | None:
    """What ``fmt`` says for "nothing to review"; None when the format writes nothing."""
    if fmt == "json":
        return status_document("nothing-to-review", message)
    if fmt == "text":
        return None
    empty = models.ReviewResult(kind=kind, model=model, findings=[], summary=message)
    if fmt == "sarif":
        from . import sarif

        log = sarif.to_dict(empty, {})
        log["runs"][0]["invocations"][0]["toolExecutionNotifications"] = [
            {
                "level": "note",
                "message": {"text": message},
                "descriptor": {"id": "nothing-to-review"},
            }
        ]
        return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
    return render(fmt, empty, {})


def parse_also(values: list[str] | None) -> list[tuple[str, str]]:
    """``--also-output FORMAT=FILE`` values as (format, file) pairs; ValueError on a bad one."""
    pairs: list[tuple[str, str]] = []
    for value in values or []:
        fmt, sep, path = value.partition("=")
        if not sep or not path or fmt not in REVIEW_FORMATS:
            raise ValueError(
                f"--also-output {value!r}: expected FORMAT=FILE with FORMAT one of "
                + ", ".join(REVIEW_FORMATS)
            )
        pairs.append((fmt, path))
    return pairs
