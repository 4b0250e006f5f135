"""Merging shards' findings (app/shards.py)."""

from __future__ import annotations

from bigpicture.app.shards import dedupe
from bigpicture.core.models import Finding, Range


def test_duplicates_with_the_same_range_and_category_are_merged_keeping_the_most_severe():
    r = Range(3, 0, 3, 10)
    base = dict(line=4, quote="q", category="bug", title="t", message="m", range=r)
    low = Finding(path="a.py", severity="low", id="1", **base)
    high = Finding(path="a.py", severity="high", id="2", **base)
    other = Finding(path="a.py", severity="low", id="3", **{**base, "category": "security"})
    kept, dropped = dedupe([low, high, other])
    assert dropped == 1
    assert sorted((f.severity, f.category) for f in kept) == [
        ("high", "bug"),
        ("low", "security"),
    ]
