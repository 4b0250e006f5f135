"""A finding as the Markdown of an editor hover: title, severity, category, confidence, the
message and a preview of the suggested fix.

Model text is shown as text, never as Markdown: every punctuation character that Markdown
reads is escaped, so the model cannot add links, images or HTML; the fix goes in a code fence
longer than any run of backticks in it.
"""

from __future__ import annotations

import re

from bigpicture.core import models
from bigpicture.core.reply.findings import sanitize_block, sanitize_inline

_PUNCT = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~&\"'=:])")
FIX_PREVIEW_LINES = 20


def escape(text: str) -> str:
    """Text that Markdown renders as itself."""
    return _PUNCT.sub(r"\\\1", text)


def _fence(code: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{code}\n{fence}"


def _fix(f: models.Finding) -> list[str]:
    if f.fix is None:
        return []
    lines = sanitize_block(f.fix.replacement, None).split("\n")
    more = len(lines) - FIX_PREVIEW_LINES
    preview = "\n".join(lines[:FIX_PREVIEW_LINES])
    out = ["**Suggested fix** (a code action applies it):", "", _fence(preview)]
    if more > 0:
        out.append(f"_… {more} more line{'s' if more > 1 else ''}_")
    return out


def finding(f: models.Finding) -> str:
    """One finding's hover text."""
    facts = [f"**{escape(f.severity)}**", escape(f.category)]
    if f.confidence is not None:
        facts.append(f"confidence {f.confidence:.0%}")
    if f.cwe:
        facts.append(escape(sanitize_inline(f.cwe, 20)))
    if f.approximate:
        facts.append("approximate location")
    if f.origin is not None:
        facts.append(escape(f.origin))
    if f.verification is not None:
        facts.append(f"{f.verification} by the verification pass")
    parts = [
        f"### {escape(sanitize_inline(f.title))}",
        " · ".join(facts),
        escape(sanitize_block(f.message)).replace("\n", "  \n"),
    ]
    for r in f.related:
        line = r.range.start_line + 1 if r.range else r.line
        note = escape(sanitize_inline(r.message, 300))
        where = escape(f"{sanitize_inline(r.path, 300)}:{line}")
        parts.append(f"See also {where}" + (f": {note}" if note else ""))
    body = "\n\n".join(p for p in parts if p)
    fix = _fix(f)
    return body + ("\n\n" + "\n".join(fix) if fix else "")


def markdown(findings: list[models.Finding]) -> str:
    """The hover of one or more findings on the same place, separated by rules."""
    return "\n\n---\n\n".join(finding(f) for f in findings)
