"""Benchmark: reviews of a repository several times larger than the window, replayed over
consecutive commits. Not a test.

Clones a real repository (by default mypy, about 20 MB / 5-6M tokens, 5-6x the 1M window;
give ``--repo`` a local clone, or let it clone ``--url``) into a temporary folder, and replays
its last N states of the main branch (``--first-parent``) as an editing session: at each
state a workspace review and a changes review (against the previous state) are sent through
the real SDK to the local fake API (``tests/fake_api``, which applies the documented caching
rules). The replay is ``bench_replay.replay``, with the snapshot layout.

Printed: the cache-read share of input tokens after the first review (target >= 80%), the
total cost against the same reviews with no caching (target <= 40%), and what the first
review sends: files whole, files in the map (with a full outline, by path only), the map's
tokens and the largest modules sent whole. With ``--compare PATH`` (another checkout of
BigPicture, e.g. the main branch before the repository map), the same replay runs with that
checkout's code beside it, in a subprocess.

    python bench/bench_large.py [--repo PATH | --url URL] [--states 7] [--compare PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import bench_replay  # noqa: E402

DEFAULT_URL = "https://github.com/python/mypy"


def first_plan(repo: str, commit: str, model: str) -> dict:
    """What the first review of ``commit`` sends (planned, not sent)."""
    from bigpicture.app import prepare as pipeline
    from bigpicture.core.config import Settings

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "ws"
        subprocess.run(["git", "clone", "-q", "--no-checkout", repo, str(work)], check=True)
        bench_replay.git(work, "checkout", "-q", commit)
        os.environ["BIGPICTURE_DATA_DIR"] = str(Path(tmp) / "data")
        settings = Settings(model=model, maxCostPerReview=1000.0)
        t0 = time.perf_counter()
        snap = pipeline.snapshot_for(work, settings)
        t1 = time.perf_counter()
        plan = pipeline.plan_for(snap, settings, kind="workspace")
        t2 = time.perf_counter()
        plan_again = pipeline.plan_for(snap, settings, kind="workspace")  # outlines cached
        t3 = time.perf_counter()
        assert plan_again.files == plan.files
        sizes = {f.path: f.size for f in snap.files}
        whole = sorted(plan.files, key=lambda f: -f.tokens)
        largest = sorted(snap.files, key=lambda f: -f.size)
        base = plan.cache_base
        return {
            "files": len(snap.files),
            "bytes": sum(sizes.values()),
            "repo_tokens": sum(f.tokens for f in plan.files)
            + sum(lo.tokens for lo in plan.left_out),
            "whole": len(plan.files),
            "whole_tokens": sum(f.tokens for f in plan.files),
            "map_files": len(base.map_digests) if base else 0,
            "map_tokens": base.map_tokens if base else 0,
            "window": plan.window,
            "largest_whole": [f.path for f in whole[:8]],
            "largest_sources": [
                (f.path, f.path in {p.path for p in plan.files})
                for f in largest
                if f.kind == "source" and f.path.endswith(".py")
            ][:8],
            "gather_s": t1 - t0,
            "plan_first_s": t2 - t1,
            "plan_cached_s": t3 - t2,
        }


def run(repo: str, states: int, model: str) -> dict:
    commits = bench_replay.git(
        Path(repo), "rev-list", "--first-parent", f"-n{states}", "HEAD"
    ).split()
    commits.reverse()
    info = first_plan(repo, commits[0], model)
    replay = asyncio.run(bench_replay.replay(repo, commits, "snapshot", model))
    return {"commits": len(commits), "head": commits[-1], "first": info, "replay": replay}


def show(label: str, r: dict) -> None:
    f, p = r["first"], r["replay"]
    print(f"\n== {label}")
    if f:
        print(
            f"first review: {f['files']} files, {f['bytes'] / 1e6:.1f} MB, ~{f['repo_tokens']:,} "
            f"tokens ({f['repo_tokens'] / f['window']:.1f}x the {f['window']:,}-token window)"
        )
        print(
            f"  sent whole: {f['whole']} files, {f['whole_tokens']:,} tokens; map: "
            f"{f['map_files']} files, {f['map_tokens']:,} tokens "
            f"({f['map_tokens'] / f['window']:.1%} of the window)"
        )
        print(
            "  largest Python sources, sent whole?: "
            + ", ".join(f"{path} {'yes' if sent else 'no'}" for path, sent in f["largest_sources"])
        )
        print(
            f"  gather {f['gather_s']:.1f}s, plan {f['plan_first_s']:.1f}s first "
            f"(outlines parsed), {f['plan_cached_s']:.1f}s again (outlines cached)"
        )
    print(
        f"replay: {r['commits']} commits, {p['reviews']} reviews (workspace + changes), "
        f"{p['input_tokens']:,} input tokens"
    )
    print(
        f"  read from the cache after the first review: {p['share_after_first']:.1%} "
        f"(target >= 80%); all reviews {p['share_all']:.1%}"
    )
    print(
        f"  cost ${p['cost']:.2f} vs ${p['no_cache']:.2f} without caching: "
        f"{p['cost'] / p['no_cache']:.1%} (target <= 40%); per review ${p['per_review']:.2f}"
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", help="a local clone (else --url is cloned into a temporary folder)")
    ap.add_argument("--url", default=DEFAULT_URL)
    ap.add_argument("--states", type=int, default=7, help="commits replayed (at least 6)")
    ap.add_argument("--model", default="claude-sonnet-4-6")
    ap.add_argument("--compare", help="another BigPicture checkout to replay beside this one")
    ap.add_argument("--verbose", action="store_true", help="print every review's usage")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # for --compare
    args = ap.parse_args()
    bench_replay.VERBOSE = args.verbose and not args.json
    with tempfile.TemporaryDirectory() as tmp:
        repo = args.repo
        if repo is None:
            repo = str(Path(tmp) / "src")
            subprocess.run(["git", "clone", "-q", args.url, repo], check=True)
        if args.json:  # the other checkout's run: the replay only (it may have no map)
            commits = bench_replay.git(
                Path(repo), "rev-list", "--first-parent", f"-n{args.states}", "HEAD"
            ).split()[::-1]
            out = asyncio.run(bench_replay.replay(repo, commits, "snapshot", args.model))
            print(json.dumps({"commits": len(commits), "first": {}, "replay": out}))
            return 0
        print(f"repository: {repo}, model {args.model}")
        mine = run(repo, args.states, args.model)
        show("this checkout (repository map, importance ranking, hysteresis)", mine)
        if args.compare:
            env = {**os.environ, "PYTHONPATH": str(Path(args.compare) / "server")}
            cmd = [sys.executable, str(Path(__file__).resolve()), "--repo", repo, "--json"]
            cmd += ["--states", str(args.states), "--model", args.model]
            got = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
            show(f"{args.compare} (its selection)", json.loads(got.stdout.splitlines()[-1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
