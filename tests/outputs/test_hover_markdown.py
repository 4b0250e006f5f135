"""The hover Markdown of findings: model text cannot become Markdown, the fix is fenced
whatever it holds, long fixes are cut with a count, several findings are separated."""

from __future__ import annotations

import re

from bigpicture.core import models
from bigpicture.outputs import hover


def finding(**kw: object) -> models.Finding:
    base: dict[str, object] = {
        "path": "app/db.py",
        "line": 3,
        "quote": "q",
        "severity": "critical",
        "category": "security",
        "title": "SQL injection",
        "message": "name reaches SQL.",
    }
    base.update(kw)
    return models.Finding(**base)  # type: ignore[arg-type]


def test_the_fix_fence_is_longer_than_any_backticks_in_it() -> None:
    md = hover.finding(finding(fix=models.Fix(replacement="x = ```y```\nz = ````w````")))
    fence = re.search(r"^(`{3,})$", md, re.M)
    assert fence is not None and len(fence.group(1)) == 5
    assert md.rstrip().endswith("`" * 5)


def test_a_long_fix_is_previewed_with_what_is_left_out() -> None:
    code = "\n".join(f"line{i}" for i in range(30))
    md = hover.finding(finding(fix=models.Fix(replacement=code)))
    assert "line19" in md and "line20" not in md
    assert "10 more lines" in md


def test_no_confidence_no_fix_and_related_places() -> None:
    md = hover.finding(
        finding(
            related=[
                models.Related(path="app/web.py", line=5, quote="x", message="[see](http://x)")
            ]
        )
    )
    assert "confidence" not in md and "Suggested fix" not in md
    assert "See also app/web\\.py\\:5: \\[see\\]\\(http\\:" in md
    assert "](" not in md  # no link survives


def test_several_findings_on_one_place_are_separated() -> None:
    md = hover.markdown([finding(), finding(title="Second", severity="low")])
    first, second = md.split("\n\n---\n\n")
    assert first.startswith("### SQL injection") and second.startswith("### Second")
    assert "**low**" in second
