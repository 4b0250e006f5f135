"""The plan of a full-coverage review (``review --coverage full --dry-run``): the shards, their
tokens and estimated costs, and the total, before anything is sent.

JSON shape, version 1::

    {"version": 1, "coverage": "full", "kind": str, "root": str, "model": str,
     "rule": str, "shardRoom": int, "prefixTokens": int, "prefixCached": bool,
     "inputTokens": int, "estimatedCost": USD, "estimatedCostBatch": USD,
     "shards": [{"index", "files": [str], "fileTokens", "inputTokens",
                 "estimatedCost": USD, "segments": [{"name", "files", "tokens",
                 "breakpoint", "ttl"}]}],
     "leftOut": [{"path", "tokens", "reason"}],
     "skipped": [{"path", "reason", "detail"}],
     "redactions": [{"path", "line", "rule"}],
     "diffBase": str|null, "diffFiles": [{"path", "status", "oldPath"}], "warnings": [str]}

``estimatedCost`` is the total of every shard: the first writes the shared prefix, the others
read it (and what this machine last cached is read).
"""

from __future__ import annotations

from typing import Any

import msgspec

from bigpicture.core.models import Skipped
from bigpicture.core.request.shards import ShardPlan
from bigpicture.outputs.plan import camel, listing, number, usd


def to_dict(
    sp: ShardPlan,
    costs: list[float],
    batch_costs: list[float],
    *,
    skipped: list[Skipped],
    redactions: list[Any],
) -> dict[str, Any]:
    first = sp.plans[0]
    return {
        "version": 1,
        "coverage": "full",
        "kind": sp.kind,
        "root": sp.root,
        "model": sp.model,
        "rule": sp.rule,
        "shardRoom": sp.room,
        "prefixTokens": sp.prefix_tokens,
        "prefixCached": sp.prefix_cached,
        "inputTokens": sp.input_tokens,
        "estimatedCost": round(sum(costs), 6),
        "estimatedCostBatch": round(sum(batch_costs), 6),
        "shards": [
            {
                "index": s.index,
                "files": list(s.files),
                "fileTokens": s.tokens,
                "inputTokens": p.input_tokens,
                "estimatedCost": round(c, 6),
                "segments": camel(msgspec.to_builtins(p.segments)),
            }
            for s, p, c in zip(sp.shards, sp.plans, costs, strict=True)
        ],
        "leftOut": camel(msgspec.to_builtins(sp.left_out)),
        "skipped": camel(msgspec.to_builtins(skipped)),
        "redactions": camel(msgspec.to_builtins(redactions)),
        "diffBase": first.diff_base,
        "diffFiles": camel(msgspec.to_builtins(first.diff_files)),
        "warnings": list(first.warnings),
    }


def render_json(
    sp: ShardPlan,
    costs: list[float],
    batch_costs: list[float],
    *,
    skipped: list[Skipped],
    redactions: list[Any],
) -> str:
    doc = to_dict(sp, costs, batch_costs, skipped=skipped, redactions=redactions)
    return msgspec.json.format(msgspec.json.encode(doc), indent=2).decode() + "\n"


def render_text(
    sp: ShardPlan,
    costs: list[float],
    batch_costs: list[float],
    *,
    skipped: list[Skipped],
    max_list: int = 50,
) -> str:
    out: list[str] = []
    add = out.append
    what = "the changes, with every file" if sp.kind == "changes" else "every file"
    add(f"BigPicture plan: full coverage, a review of {what} in {sp.root}")
    add(f"Model: {sp.model} — nothing has been sent.")
    for w in sp.plans[0].warnings:
        add(f"warning: {w}")
    add("")
    files = sum(len(s.files) for s in sp.shards)
    add(
        f"{len(sp.shards)} shards, {number(files)} files whole, each shard at most "
        f"{number(sp.room)} tokens of files"
    )
    add(f"Rule: {sp.rule}")
    cached = (
        "cached: written by shard 1, read by the others"
        if sp.prefix_cached
        else ("under the model's cache minimum: not cached")
    )
    add(f"Shared prefix (instructions, tools, map): {number(sp.prefix_tokens)} tokens, {cached}")
    add("")
    for s, p, c in zip(sp.shards, sp.plans, costs, strict=True):
        first = s.files[0] + (f" ... {s.files[-1]}" if len(s.files) > 1 else "")
        add(
            f"  shard {s.index:>3}: {number(len(s.files)):>6} files {number(s.tokens):>11} tokens, "
            f"input {number(p.input_tokens):>11}, estimated {usd(c)}  ({first})"
        )
    add("")
    listing(
        add,
        f"Left out: larger than a shard ({len(sp.left_out)}):",
        [f"{lo.path} ({number(lo.tokens)} tokens) {lo.reason}" for lo in sp.left_out],
        max_list,
    )
    listing(
        add,
        f"Never sent ({len(skipped)}):",
        [f"{x.path:<40} {x.reason:<16} {x.detail}" for x in skipped],
        max_list,
    )
    add(f"Input: {number(sp.input_tokens)} tokens estimated, in {len(sp.shards)} requests")
    add(
        f"Estimated total cost: {usd(sum(costs))} (every shard; the limit `maxCostPerReview` "
        f"applies to this total); with Batch (--batch, half price) {usd(sum(batch_costs))}"
    )
    return "\n".join(out) + "\n"
