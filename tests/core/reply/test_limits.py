"""core.reply.limits: the prompt's rules enforced in code — the confidence bar, a changes
review's pre-existing findings only at high severity or above, and the cap on findings, each
left-out finding kept with its reason."""

from __future__ import annotations

from bigpicture.core.models import DroppedCounts, Finding
from bigpicture.core.reply import limits


def finding(title: str, severity: str = "high", **over) -> Finding:
    return Finding(
        path="a.py",
        line=1,
        quote="x",
        severity=severity,  # type: ignore[arg-type]
        category="bug",
        title=title,
        message="",
        **over,
    )


def test_the_code_enforces_confidence_pre_existing_and_the_cap():
    found = [
        finding("sure", confidence=0.9),
        finding("unsure", confidence=0.69),
        finding("unrated"),  # no confidence: passes
        finding("old but serious", "critical", origin="pre-existing"),
        finding("old and minor", "medium", origin="pre-existing"),
        finding("new and minor", "low", origin="introduced"),
        finding("info", "info"),
    ]
    dropped = DroppedCounts()
    kept = limits.apply(found, dropped, min_confidence=0.7, max_findings=4, kind="changes")
    assert [f.title for f in kept] == ["sure", "unrated", "old but serious", "new and minor"]
    assert (dropped.low_confidence, dropped.pre_existing, dropped.over_limit) == (1, 1, 1)
    reasons = {d.finding.title: d.reason for d in dropped.findings}
    assert reasons["unsure"] == "confidence 0.69 is below minConfidence 0.70"
    assert "pre-existing findings only at high severity" in reasons["old and minor"]
    assert reasons["info"] == "beyond maxFindings (4), less severe"


def test_a_workspace_review_keeps_pre_existing_findings():
    dropped = DroppedCounts()
    kept = limits.apply(
        [finding("old", "low", origin="pre-existing")],
        dropped,
        min_confidence=0.7,
        max_findings=25,
        kind="workspace",
    )
    assert len(kept) == 1 and dropped.findings == []
