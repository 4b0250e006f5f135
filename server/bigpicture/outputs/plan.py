"""The plan of a review, for people (text, Markdown-friendly) and for programs (JSON).

JSON shape (``bigpicture review --dry-run --format json``), version 1::

    {"version": 1, "kind": "workspace|changes|file", "root": str, "model": str,
     "modelKnown": bool, "inputTokens": int, "exactInputTokens": int|null, "window": int,
     "budget": int, "maxOutput": int, "betas": [str], "cacheTtl": "5m|1h",
     "cost": {"first", "repeat", "noCache", "batchFirst", "batchRepeat": USD, "tier": str,
              "outputTokensAssumed": int, "verify": USD},   # verify: a verification pass
     "verification": bool,          # whether this run would add the verification pass
     "segments": [{"name", "files", "tokens", "breakpoint", "ttl"}],
     "files": [{"path", "tokens", "kind", "segment", "lastChange"}],   # request order
     "leftOut": [{"path", "tokens", "reason"}],
     "skipped": [{"path", "reason", "detail"}],
     "redactions": [{"path", "line", "rule"}],                          # never the value
     "focus": [str], "diffBase": str|null, "diffFiles": [{"path", "status", "oldPath"}],
     "warnings": [str],
     "policy": {"source": str, "text": str, "size": int,             # the team's policy
                "paths": [{"pattern", "rule"}], "severityOverrides": [{"match", "severity"}],
                "redactions": int, "workingTreeDiffers": bool} | null}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from bigpicture.core.request.plan import Plan


def camel(obj: Any) -> Any:
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            parts = k.split("_")
            out[parts[0] + "".join(p.title() for p in parts[1:])] = camel(v)
        return out
    if isinstance(obj, list):
        return [camel(v) for v in obj]
    return obj


def to_dict(plan: Plan, *, verify: bool = False) -> dict[str, Any]:
    raw = msgspec.to_builtins(
        msgspec.structs.replace(plan, body={}, cache_base=None, cache_generation=None)
    )
    raw.pop("body", None)
    raw.pop("cache_base", None)
    raw.pop("cache_generation", None)
    raw.pop("nonce", None)  # a secret of this machine: CI artifacts must not carry it
    return {"version": 1, **camel(raw), "verification": verify}


def render_json(plan: Plan, *, verify: bool = False) -> str:
    data = msgspec.json.encode(to_dict(plan, verify=verify))
    return msgspec.json.format(data, indent=2).decode() + "\n"


def number(x: int) -> str:
    return f"{x:,}"


def usd(x: float) -> str:
    return f"${x:,.4f}" if x < 1 else f"${x:,.2f}"


def listing(add: Callable[[str], None], title: str, lines: list[str], max_list: int) -> None:
    """A titled list of at most ``max_list`` lines, saying how many more JSON holds."""
    if not lines:
        return
    add(title)
    for line in lines[:max_list]:
        add(f"  {line}")
    if len(lines) > max_list:
        add(f"  ... and {len(lines) - max_list} more (--format json lists all)")
    add("")


def _sent_lines(plan: Plan, max_list: int) -> list[str]:
    """What leaves the machine: each file with its tokens, or, when there are more than
    ``max_list``, one line per folder (as deep as keeps the list within ``max_list``) with
    its files and tokens. JSON always lists every file."""
    if len(plan.files) <= max_list:
        width = max((len(f.path) for f in plan.files), default=0)
        return [f"{f.path:<{width}}  {number(f.tokens):>9} tokens" for f in plan.files]
    groups: dict[str, list[int]] = {}  # folder -> [files, tokens]
    depth = 3
    for depth in (3, 2, 1):
        groups = {}
        for f in plan.files:
            parts = f.path.split("/")[:-1]
            folder = "/".join(parts[:depth]) + "/" if parts else "./"
            row = groups.setdefault(folder, [0, 0])
            row[0] += 1
            row[1] += f.tokens
        if len(groups) <= max_list:
            break
    ordered = sorted(groups.items(), key=lambda kv: (-kv[1][1], kv[0]))
    width = max(len(k) for k in groups)
    lines = [
        f"{folder:<{width}}  {number(n):>6} {'file ' if n == 1 else 'files'} {number(t):>11} tokens"
        for folder, (n, t) in ordered
    ]
    if len(lines) > max_list:
        rest = ordered[max_list:]
        more = f"... and {len(rest)} more folders ({number(sum(n for _, (n, _t) in rest))} files)"
        lines = [*lines[:max_list], more]
    deeper = "its subfolders" if depth == 1 else f"subfolders below {depth} levels"
    return [*lines, f"(by folder, counting {deeper} in it; --format json lists every file)"]


def _policy_lines(plan: Plan) -> list[str]:
    """The team's policy in force, and whether the working tree's differs."""
    pol = plan.policy
    if pol is None or (pol.empty and not pol.working_tree_differs):
        return []
    parts = []
    if pol.text:
        parts.append(f".bigpicture/REVIEW.md ({number(pol.size)} bytes, in the cached prefix)")
    if pol.paths:
        parts.append("paths " + ", ".join(f'"{r.pattern}" {r.rule}' for r in pol.paths))
    if pol.severity_overrides:
        parts.append(
            "severity overrides "
            + ", ".join(f"{o.match} -> {o.severity}" for o in pol.severity_overrides)
        )
    out = [f"Review policy ({pol.source}): " + ("; ".join(parts) if parts else "none")]
    if pol.working_tree_differs:
        out.append(
            "  The working tree's policy (.bigpicture/REVIEW.md, [tool.bigpicture] paths and "
            "severityOverrides) differs from the base's: the base's is used, so a change "
            "cannot rewrite the rules it is reviewed by."
        )
    ignored = sum(1 for s in plan.skipped if s.detail.startswith("review policy:"))
    if ignored:
        out.append(f"  {number(ignored)} files ignored by the policy (listed under Never sent)")
    return [*out, ""]


def _cost_lines(plan: Plan, *, verify: bool) -> list[str]:
    """The estimated cost of a first and a repeat review, with Batch, and of the verification
    pass."""
    out: list[str] = []
    add = out.append
    c = plan.cost
    add(
        f"Estimated cost: first review {usd(c.first)} (writes the cache), repeat "
        f"{usd(c.repeat)} (reads it), without caching {usd(c.no_cache)}"
    )
    add(
        f"With Batch (half price): first {usd(c.batch_first)}, repeat {usd(c.batch_repeat)}"
        f"; assuming {number(c.output_tokens_assumed)} output tokens"
    )
    if verify:
        add(
            f"Verification pass (on): about {usd(c.verify)} more, after the review (a second "
            "request on the same cached prefix that keeps only the findings it confirms)"
        )
    else:
        add(f"Verification pass (--verify, off for this run): about {usd(c.verify)} more")
    return out


def render_text(plan: Plan, *, max_list: int = 50, verify: bool = False) -> str:
    out: list[str] = []
    add = out.append
    what = {"workspace": "the whole workspace", "changes": "the changes", "file": "one file"}[
        plan.kind
    ]
    add(f"BigPicture plan: a review of {what} in {plan.root}")
    add(
        f"Model: {plan.model}"
        + ("" if plan.model_known else " (unknown model)")
        + " — nothing has been sent."
    )
    for w in plan.warnings:
        add(f"warning: {w}")
    add("")
    if plan.kind == "changes":
        add(f"Changes against {plan.diff_base}: {len(plan.diff_files)} files")
        for ch in plan.diff_files[:max_list]:
            add(f"  {ch.status:<10} {ch.path}" + (f" (from {ch.old_path})" if ch.old_path else ""))
        add("")
    out.extend(_policy_lines(plan))
    if plan.kind == "file" and plan.focus:
        add(f"In focus: {plan.focus[0]}")
        add("")
    file_tokens = sum(f.tokens for f in plan.files)
    add(f"Files sent: {number(len(plan.files))} ({number(file_tokens)} tokens, estimated)")
    for line in _sent_lines(plan, max_list):
        add(f"  {line}")
    add("")
    tok = f"Input: {number(plan.input_tokens)} tokens estimated"
    if plan.exact_input_tokens is not None:
        tok += f", {number(plan.exact_input_tokens)} counted by the API"
    add(tok)
    add(
        f"Window: {number(plan.window)} tokens; room for files {number(plan.budget)}; "
        f"max output {number(plan.max_output)}; pricing tier {plan.cost.tier}"
        + (f"; beta {', '.join(plan.betas)}" if plan.betas else "")
    )
    add("")
    listing(
        add,
        f"Left out to fit the window ({len(plan.left_out)}; shown in outline only, in the "
        "repository map):",
        [f"{lo.path} ({number(lo.tokens)} tokens) {lo.reason}" for lo in plan.left_out],
        max_list,
    )
    listing(
        add,
        f"Never sent ({len(plan.skipped)}):",
        [f"{s.path:<40} {s.reason:<16} {s.detail}" for s in plan.skipped],
        max_list,
    )
    if plan.redactions:
        add(f"Secrets redacted before sending ({len(plan.redactions)}; values never shown):")
        for r in plan.redactions[:max_list]:
            add(f"  {r.path}:{r.line}  {r.rule}")
        add("")
    bps = sum(1 for seg in plan.segments if seg.breakpoint)
    add(f"Cache layout ({bps} of 4 breakpoints, TTL {plan.cache_ttl}):")
    for i, seg in enumerate(plan.segments, 1):
        mark = "  <- cache breakpoint" if seg.breakpoint else ""
        files = f"{number(seg.files)} files, " if seg.files else ""
        add(f"  {i}. {seg.name:<40} {files}{number(seg.tokens)} tokens{mark}")
    add("")
    out.extend(_cost_lines(plan, verify=verify))
    return "\n".join(out) + "\n"
