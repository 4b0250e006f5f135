"""Benchmark: the prompt-cache layout replayed on a real repository's history. Not a test.

Replays the last N states of a git repository's main branch (``--first-parent``) as an
editing session: each state is checked out in turn, and at each a workspace review and a
changes review (against the previous state) are sent through the real SDK to the local fake
API, which applies the documented caching rules (exact prefixes at breakpoints, the 20-block
lookback, per-model minimums, TTLs). The same replay runs once per layout, side by side:

- ``snapshot``: BigPicture's layout (a frozen cache base, then the changes since it);
- ``tiers``: recency tiers (files changed longest ago first, up to four breakpoints);
- ``naive``: files in path order, one breakpoint at the end.

Printed per layout: the cache-read share of input tokens (all reviews, and after the first),
the total cost, the cost of the same reviews with no caching, and the cost per review.
Targets for ``snapshot``: cache-read share >= 90% after the first review; total <= 20% of the
no-cache cost.

    python bench/bench_replay.py [--repo PATH] [--states 12] [--model claude-sonnet-4-6]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
VERBOSE = False
sys.path.insert(0, str(HERE.parent / "tests"))


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


async def replay(repo_src: str, commits: list[str], layout: str, model: str) -> dict:
    from bigpicture.app import prepare as pipeline
    from bigpicture.app import review as reviewing
    from bigpicture.client.anthropic import ApiClient
    from bigpicture.core import pricing
    from bigpicture.core.config import Settings
    from bigpicture.core.errors import NothingToReview
    from bigpicture.core.models import Usage
    from bigpicture.core.registry import Registry
    from fake_api import FakeAnthropic, ToolReply

    settings = Settings(model=model, maxCostPerReview=1000.0)
    info, _ = Registry().get(model)
    rows = []
    with tempfile.TemporaryDirectory() as tmp, FakeAnthropic() as fake:
        work = Path(tmp) / "ws"
        subprocess.run(["git", "clone", "-q", "--no-checkout", repo_src, str(work)], check=True)
        os.environ["BIGPICTURE_DATA_DIR"] = str(Path(tmp) / "data")
        os.environ["ANTHROPIC_API_KEY"] = "sk-ant-bench"
        os.environ["ANTHROPIC_BASE_URL"] = fake.url
        fake.default = ToolReply({"findings": [], "summary": "replay"})
        client = ApiClient()
        try:
            prev = None
            for commit in commits:
                git(work, "checkout", "-q", "--force", commit)
                git(work, "clean", "-qfdx")
                for kind in ("workspace", "changes"):
                    if kind == "changes" and prev is None:
                        continue
                    try:
                        snap = pipeline.snapshot_for(work, settings, kind=kind, ref=prev)
                    except NothingToReview:
                        continue
                    plan = pipeline.plan_for(snap, settings, kind=kind, layout=layout)
                    prepared = pipeline.Prepared(snap, plan)
                    result = await reviewing.review(
                        prepared, settings, client, use_cache=False, enforce_cost=False
                    )
                    u = result.usage
                    # no caching, no layout tricks: the content once, as the naive layout
                    # sends it, counted by the API's (the fake's) count_tokens
                    naive = pipeline.plan_for(snap, settings, kind=kind, layout="naive")
                    plain = await client.count_tokens(naive.body)
                    no_cache = pricing.usage_cost(
                        Usage(input_tokens=plain, output_tokens=u.output_tokens), info
                    ).usd
                    rows.append((kind, u, result.cost.usd, no_cache))
                    if VERBOSE:
                        print(
                            f"  {layout} {commit[:8]} {kind:<9} read {u.cache_read_input_tokens:>8} "
                            f"write {u.cache_creation_input_tokens:>8} uncached {u.input_tokens:>7} "
                            f"${result.cost.usd:.4f}"
                        )
                    fake.advance(60)  # a minute between reviews
                prev = commit
        finally:
            await client.aclose()
    return summarize(rows)


def summarize(rows: list) -> dict:
    def share(rs):
        read = sum(u.cache_read_input_tokens for _, u, _, _ in rs)
        total = sum(u.total_input for _, u, _, _ in rs)
        return read / total if total else 0.0

    cost = sum(c for _, _, c, _ in rows)
    no_cache = sum(n for _, _, _, n in rows)
    return {
        "reviews": len(rows),
        "share_all": share(rows),
        "share_after_first": share(rows[1:]),
        "cost": cost,
        "no_cache": no_cache,
        "per_review": cost / len(rows) if rows else 0.0,
        "input_tokens": sum(u.total_input for _, u, _, _ in rows),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", default=str(HERE.parent), help="a git repository (work tree or bare)")
    ap.add_argument("--states", type=int, default=12)
    ap.add_argument("--model", default="claude-sonnet-4-6")
    ap.add_argument("--layouts", default="snapshot,tiers,naive")
    ap.add_argument("--verbose", action="store_true", help="print every review's usage")
    args = ap.parse_args()
    global VERBOSE
    VERBOSE = args.verbose
    commits = git(Path(args.repo), "rev-list", "--first-parent", f"-n{args.states}", "HEAD").split()
    commits.reverse()
    print(f"repository: {args.repo}, {len(commits)} states of the main branch, model {args.model}")
    print(
        f"{'layout':<10} {'reviews':>7} {'read share':>10} {'after 1st':>9} {'cost':>10} "
        f"{'no cache':>10} {'cost/no-cache':>13} {'per review':>10}"
    )
    for layout in args.layouts.split(","):
        r = asyncio.run(replay(args.repo, commits, layout, args.model))
        print(
            f"{layout:<10} {r['reviews']:>7} {r['share_all']:>10.1%} {r['share_after_first']:>9.1%} "
            f"${r['cost']:>9.4f} ${r['no_cache']:>9.4f} {r['cost'] / r['no_cache']:>13.1%} "
            f"${r['per_review']:>9.4f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
