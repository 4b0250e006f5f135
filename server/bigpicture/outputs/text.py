"""A review's result for people in a terminal.

Findings are grouped by file (files with the most severe findings first), and sorted by
severity then line inside a file, one compiler-style line each
(``path:line:col: severity [category/CWE] title``, columns in code points, 1-based) with
the message indented below. Dismissed findings are hidden and counted. A header and a
footer say what was sent, left out, redacted and dropped, and what it cost.

An incomplete review says so loudly, at the top and at the bottom, and never claims
"no findings". Colour (ANSI) only when asked; every string from the model or the
workspace is sanitized again before it reaches the terminal.
"""

from __future__ import annotations

from collections.abc import Iterable

from bigpicture.core import models
from bigpicture.core.models import severity_rank
from bigpicture.core.reply.findings import sanitize_block, sanitize_inline
from bigpicture.outputs.baseline import Comparison

_COLORS = {
    "critical": "1;35",
    "high": "1;31",
    "medium": "33",
    "low": "36",
    "info": "2",
    "path": "1",
    "dim": "2",
    "loud": "1;97;41",
    "ok": "32",
}


class _Paint:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, style: str) -> str:
        if not self.color or not text:
            return text
        return f"\x1b[{_COLORS[style]}m{text}\x1b[0m"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def _usd(x: float) -> str:
    return f"${x:,.4f}" if x < 1 else f"${x:,.2f}"


def _where(path: str, line: int, rng: models.Range | None) -> str:
    if rng is None:
        return f"{sanitize_inline(path, None)}:{line}:1"
    return f"{sanitize_inline(path, None)}:{rng.start_line + 1}:{rng.start_char + 1}"


def _start(f: models.Finding) -> tuple[int, int]:
    return (f.range.start_line, f.range.start_char) if f.range else (f.line - 1, 0)


def _finding(f: models.Finding, paint: _Paint, state: str | None = None) -> list[str]:
    tag = f.category + (f"/{f.cwe}" if f.cwe else "")
    head = (
        f"{paint(_where(f.path, f.line, f.range) + ':', 'path')} "
        f"{paint(f.severity, f.severity)} [{tag}] {sanitize_inline(f.title)}"
    )
    if state is not None:
        head += paint(f" ({state})", "dim" if state == "unchanged" else "path")
    if f.approximate:
        head += paint(" (approximate location)", "dim")
    out = [head]
    message = sanitize_block(f.message)
    if message:
        out.extend(f"    {line}" if line else "" for line in message.split("\n"))
    for rel in f.related:
        note = sanitize_inline(rel.message, 300)
        where = _where(rel.path, rel.line, rel.range)
        out.append(paint(f"    see also {where}" + (f": {note}" if note else ""), "dim"))
    extras = []
    if f.confidence is not None:
        extras.append(f"confidence {f.confidence:.0%}")
    if f.fix is not None:
        extras.append("fix available")
    if extras:
        out.append(paint("    (" + ", ".join(extras) + ")", "dim"))
    return out


def _grouped(findings: Iterable[models.Finding]) -> list[list[models.Finding]]:
    by_path: dict[str, list[models.Finding]] = {}
    for f in findings:
        by_path.setdefault(f.path, []).append(f)
    groups = [
        sorted(group, key=lambda f: (severity_rank(f.severity), _start(f), f.id))
        for group in by_path.values()
    ]
    groups.sort(key=lambda g: (severity_rank(g[0].severity), g[0].path))
    return groups


def _counts_by_severity(findings: list[models.Finding]) -> str:
    counts = {s: 0 for s in models.SEVERITIES}
    for f in findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    return ", ".join(f"{n} {s}" for s, n in counts.items() if n)


def _dropped(d: models.DroppedCounts) -> str:
    parts = [
        (d.malformed, "malformed"),
        (d.unknown_path, "on a path that was not sent"),
        (d.out_of_range, "outside their file"),
        (d.below_threshold, "below the severity threshold"),
    ]
    return ", ".join(f"{n} {why}" for n, why in parts if n)


def _sent_line(result: models.ReviewResult) -> str:
    parts = [_plural(result.files_sent, "file") + " sent"]
    if result.left_out:
        parts.append(f"{len(result.left_out):,} left out (over budget)")
    if result.skipped:
        parts.append(f"{len(result.skipped):,} skipped")
    if result.redactions:
        parts.append(_plural(len(result.redactions), "secret") + " redacted")
    return " · ".join(parts)


def _shards_line(result: models.ReviewResult) -> str:
    """A full-coverage review: how its shards ended, and which did not complete."""
    done = sum(1 for s in result.shards if s.status == "complete")
    line = f"{len(result.shards)} shards: {done} complete"
    bad = [s for s in result.shards if s.status != "complete"]
    if bad:
        line += ", " + ", ".join(f"shard {s.index} {s.status}" for s in bad)
        line += f" ({_plural(len(result.not_reviewed), 'file')} not reviewed)"
    return line


def _cost_line(result: models.ReviewResult) -> str | None:
    if result.from_cache:
        return "from the local result cache: no API call, no cost"
    parts = []
    if result.cost is not None:
        cost = f"cost {_usd(result.cost.usd)}"
        if result.usage is not None and result.usage.total_input:
            cost += f" (cache read {result.usage.cache_read_share:.0%} of input)"
        if result.cost.batch:
            cost += " (batch)"
        parts.append(cost)
    elif result.usage is not None:
        parts.append(
            f"{result.usage.total_input:,} input tokens "
            f"(cache read {result.usage.cache_read_share:.0%}), "
            f"{result.usage.output_tokens:,} output tokens"
        )
    if result.request_id:
        parts.append(f"request {sanitize_inline(result.request_id, 100)}")
    return " · ".join(parts) or None


def render(
    result: models.ReviewResult,
    *,
    color: bool = False,
    show_suppressed: bool = False,
    comparison: Comparison | None = None,
) -> str:
    """The result as terminal text; ANSI colours only when ``color`` is true; with
    ``comparison`` (``--baseline``), each finding says whether it is new."""
    paint = _Paint(color)
    out: list[str] = []
    reason = sanitize_inline(result.incomplete_reason or "the review did not finish", 500)
    loud = paint(f"INCOMPLETE REVIEW: {reason}", "loud")

    out.append(
        paint(f"BigPicture {sanitize_inline(result.kind, 40)} review · ", "dim")
        + paint(sanitize_inline(result.model, 100), "dim")
    )
    if not result.complete:
        out.append(loud)
        out.append(
            "The findings below are what was recovered; the rest of the code was not reviewed."
        )
    out.append("")

    hidden = [f for f in result.findings if f.suppressed and not show_suppressed]
    shown = [f for f in result.findings if not (f.suppressed and not show_suppressed)]
    for group in _grouped(shown):
        for f in group:
            state = comparison.states.get(f.id, "new") if comparison else None
            out.extend(_finding(f, paint, state))
            if f.suppressed:
                out.append(paint(f"    (dismissed: {f.suppressed})", "dim"))
        out.append("")

    if result.summary and result.complete:
        out.append("Summary:")
        out.extend(
            f"  {line}" if line else "" for line in sanitize_block(result.summary).split("\n")
        )
        out.append("")

    if shown:
        tally = f"{_plural(len(shown), 'finding')} ({_counts_by_severity(shown)})"
    elif result.complete:
        tally = paint("No findings.", "ok")
    else:
        tally = "0 findings recovered."
    if hidden:
        tally += f" · {len(hidden):,} dismissed (see .bigpicture/dismissed.json)"
    out.append(tally)
    if comparison is not None:
        c = comparison.counts()
        out.append(
            f"against the baseline {sanitize_inline(comparison.name, 200)}: {c['new']} new, "
            f"{c['updated']} updated, {c['unchanged']} unchanged, {c['absent']} gone"
        )
    out.append(_sent_line(result))
    if result.shards:
        out.append(_shards_line(result))
    dropped = _dropped(result.dropped)
    if dropped:
        out.append(f"dropped: {dropped}")
    cost = _cost_line(result)
    if cost:
        out.append(cost)
    if not result.complete:
        out.append(loud)
    return "\n".join(out) + "\n"
