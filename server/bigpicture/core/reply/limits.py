"""The rules the prompt states, enforced in code on what comes back: the confidence bar
(``minConfidence``), a changes review's pre-existing findings only at high severity or above,
and at most ``maxFindings`` findings, the most severe first. What a rule leaves out is kept,
with the reason, as a ``DroppedFinding`` (the JSON output's ``dropped.findings``), never shown.

A finding without a confidence passes the bar: the schema asks for one, but a reply that
omits it is not taken as a doubt the model did not express.
"""

from __future__ import annotations

from bigpicture.core.models import DroppedCounts, DroppedFinding, Finding, severity_rank

PRE_EXISTING_FLOOR = "high"


def why_out(f: Finding, *, min_confidence: float, kind: str) -> str | None:
    """Why one finding is left out by the bar and the pre-existing rule (None: it stays)."""
    if f.confidence is not None and f.confidence < min_confidence:
        return f"confidence {f.confidence:.2f} is below minConfidence {min_confidence:.2f}"
    if (
        kind == "changes"
        and f.origin == "pre-existing"
        and severity_rank(f.severity) > severity_rank(PRE_EXISTING_FLOOR)
    ):
        return f"pre-existing and {f.severity}: a changes review reports pre-existing findings only at high severity or above"
    return None


def apply(
    findings: list[Finding],
    dropped: DroppedCounts,
    *,
    min_confidence: float,
    max_findings: int,
    kind: str,
    stage: str = "review",
) -> list[Finding]:
    """The findings that pass, the most severe first within the cap; ``dropped`` counts and
    keeps the others. Dismissed findings (``suppressed``) are not counted against the cap."""
    kept: list[Finding] = []
    for f in findings:
        why = why_out(f, min_confidence=min_confidence, kind=kind)
        if why is None:
            kept.append(f)
            continue
        if why.startswith("confidence"):
            dropped.low_confidence += 1
        else:
            dropped.pre_existing += 1
        dropped.findings = [*dropped.findings, DroppedFinding(f, why, stage)]
    ranked = sorted(
        (f for f in kept if f.suppressed is None),
        key=lambda f: (severity_rank(f.severity), -(f.confidence or 0.0)),
    )
    over = {id(f) for f in ranked[max_findings:]}
    if over:
        dropped.over_limit += len(over)
        dropped.findings = [
            *dropped.findings,
            *(
                DroppedFinding(f, f"beyond maxFindings ({max_findings}), less severe", stage)
                for f in ranked[max_findings:]
            ),
        ]
    return [f for f in kept if id(f) not in over]
