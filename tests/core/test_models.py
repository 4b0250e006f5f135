"""core.models: the plain data every layer shares. What callers rely on: severities sort from
critical down with unknown ones last, usage totals and cache share, a snapshot's files by
path, and every struct round-trips through JSON (the ledger, the result cache, --format json)."""

from __future__ import annotations

import msgspec
import pytest
from bigpicture.core import models


def test_severities_rank_from_critical_down_and_unknown_ones_last() -> None:
    ranked = sorted(
        ["info", "bogus", "high", "critical", "low", "medium"], key=models.severity_rank
    )
    assert ranked == ["critical", "high", "medium", "low", "info", "bogus"]
    assert models.severity_rank("critical") == 0


def test_usage_total_counts_cached_input_and_the_share_read_from_the_cache() -> None:
    usage = models.Usage(
        input_tokens=100, output_tokens=999, cache_creation_input_tokens=300,
        cache_read_input_tokens=600,
    )  # fmt: skip
    assert usage.total_input == 1000  # output tokens are not input
    assert usage.cache_read_share == pytest.approx(0.6)
    assert models.Usage().cache_read_share == 0.0  # nothing sent: no division by zero


def test_snapshot_files_by_path() -> None:
    a = models.SourceFile(path="a.py", text="x", sha="1", size=1)
    b = models.SourceFile(path="pkg/b.py", text="y", sha="2", size=1)
    snap = models.Snapshot(root="/w", files=[a, b])
    assert snap.by_path() == {"a.py": a, "pkg/b.py": b}


def test_a_review_result_round_trips_through_json() -> None:
    finding = models.Finding(
        path="a.py", line=3, quote="eval(x)", severity="high", category="security",
        title="eval", message="m", fix=models.Fix("ast.literal_eval(x)"), cwe="CWE-95",
        related=[models.Related(path="b.py", line=1, range=models.Range(0, 0, 0, 4))],
        id="abc", range=models.Range(2, 4, 2, 11), suppressed="wont-fix",
    )  # fmt: skip
    result = models.ReviewResult(
        kind="changes", model="claude-sonnet-4-6", findings=[finding], complete=False,
        incomplete_reason="max_tokens", usage=models.Usage(input_tokens=5),
        cost=models.Cost(usd=0.5, tier="standard", batch=True),
        left_out=[models.LeftOut("big.py", 10)], redactions=[models.Redaction("a.py", 1, "r")],
    )  # fmt: skip
    again = msgspec.json.decode(msgspec.json.encode(result), type=models.ReviewResult)
    assert again == result
    assert again.dropped == models.DroppedCounts()  # each result has its own counts
    assert again.dropped is not models.ReviewResult("k", "m", []).dropped


def test_findings_are_frozen_and_reject_unknown_severities() -> None:
    f = models.Finding("a.py", 1, "q", "low", "bug", "t", "m")
    with pytest.raises(AttributeError):
        f.line = 2  # type: ignore[misc]
    bad = {"path": "a", "line": 1, "quote": "", "severity": "urgent", "category": "bug",
           "title": "t", "message": "m"}  # fmt: skip
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(bad, models.Finding)
