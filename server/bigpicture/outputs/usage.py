"""``bigpicture usage``: the ledger summarized by day and model."""

from __future__ import annotations

import json

import msgspec

from bigpicture.core.spending import Summary


def to_json(summary: Summary) -> str:
    return json.dumps(msgspec.to_builtins(summary), indent=2) + "\n"


def render(summary: Summary, fmt: str = "text") -> str:
    if fmt == "json":
        return to_json(summary)
    if not summary.rows:
        return "No reviews recorded yet.\n"
    lines = [
        f"{'day':<11} {'model':<22} {'reqs':>5} {'cost':>10} {'list price':>11} {'cache read':>11}",
    ]
    for r in summary.rows:
        lines.append(
            f"{r.day:<11} {r.model:<22} {r.requests:>5} ${r.cost_usd:>9.4f} "
            f"${r.list_price_usd:>10.4f} {r.cache_read_share:>10.0%}"
        )
    lines.append("")
    lines.append(
        f"Total: ${summary.total_cost_usd:.4f} for {summary.requests} requests; list price "
        f"${summary.total_list_price_usd:.4f}; cache reads {summary.cache_read_share:.0%} of "
        "input tokens"
    )
    lines.append(
        f"Saved: ${summary.saved_by_caching_usd:.4f} by prompt caching, "
        f"${summary.saved_by_batch_usd:.4f} by Batch"
    )
    return "\n".join(lines) + "\n"
