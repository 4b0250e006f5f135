"""Benchmark: what a user pays for ``bigpicture review --dry-run`` on large real repositories,
against the floor and against repomix, measured side by side in one run.

Not a test. For each repository (``--repo PATH``, repeatable; by default shallow clones of
astral-sh/ruff and biomejs/biome under bench/.work/repos, made once), it measures whole
processes, start-up included, each the median of ``--runs`` (3):

- the floor: ``git ls-files -z | xargs -0 cat > /dev/null`` (listing and reading every file);
- BigPicture, first run: ``bigpicture review --dry-run`` in a fresh process with an empty data
  directory (no memory of scanned contents, no cache base): gather, budget, the reading and
  secret scan of the files sent, the plan and its output;
- BigPicture, first run but the map: the same with an empty data directory except for the
  outlines an earlier run parsed (``outlines-v*.bin``), so the first build of the repository
  map (parsing every file with tree-sitter, which the issue measures apart) is not counted;
- BigPicture, later run: the same after a first run, with a few files changed (a line
  appended to three tracked source files, restored afterwards);
- repomix 1.18 packing the same repository, started from a local install (``npm install
  --prefix bench/.work/repomix repomix@1.18``, made once, never fetched while timing).

Peak memory is the largest resident set of a BigPicture process (its ``wait4`` usage).
Every timed run reads from a warm page cache (each side is run once before timing), and
Python writes its bytecode caches first (a user's installation has them).

Targets (issue 11): first run, all but the map, <= 3x the floor and >= 10x faster than
repomix; a later run (map included) <= 3x the floor; peak memory < 500 MB.

    python bench/bench_gather.py [--repo PATH ...] [--runs 3] [--no-repomix]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

WORK = Path(__file__).parent / ".work"
REPOMIX_DIR = WORK / "repomix"
REPOMIX_VERSION = "1.18"
# (name, clone URL, commit) of the default repositories: both over 50 MB of tracked files.
DEFAULT_REPOS = (
    ("ruff", "https://github.com/astral-sh/ruff", None),
    ("biome", "https://github.com/biomejs/biome", None),
)
CHANGED_FILES = 3


@dataclass
class Run:
    seconds: float
    maxrss_mb: float = 0.0


def timed(cmd: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Wall time and peak resident set of one whole process (its output discarded)."""
    t = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {err.decode()[-400:]}")
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes or KiB
    return Run(elapsed, usage.ru_maxrss / scale)


def median(runs: list[Run]) -> Run:
    secs = statistics.median(r.seconds for r in runs)
    return Run(secs, max(r.maxrss_mb for r in runs))


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def clone(name: str, url: str, commit: str | None) -> Path:
    dest = WORK / "repos" / name
    if (dest / ".git").exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "clone", "-q", "--depth", "1", url, str(dest)], check=True)
    if commit:
        git(dest, "fetch", "-q", "--depth", "1", "origin", commit)
        git(dest, "checkout", "-q", commit)
    return dest


def repo_size(repo: Path) -> tuple[int, int]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=repo, capture_output=True, check=True)
    n = size = 0
    for rel in out.stdout.split(b"\0"):
        if rel:
            try:
                size += (repo / os.fsdecode(rel)).stat().st_size
            except OSError:
                continue
            n += 1
    return n, size


def floor_cmd() -> list[str]:
    # a listed path may be a submodule or a dangling link: cat says so, and reads the rest
    return ["sh", "-c", "git ls-files -z | xargs -0 cat > /dev/null 2>&1; exit 0"]


def bigpicture_cmd() -> list[str]:
    return [sys.executable, "-m", "bigpicture", "review", "--dry-run", "--format", "json"]


def bigpicture_env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.pop("ANTHROPIC_API_KEY", None)
    return {**env, "BIGPICTURE_DATA_DIR": str(data)}


def repomix_bin() -> Path | None:
    """repomix from the local install, installed once with npm (None without npm)."""
    exe = REPOMIX_DIR / "node_modules" / ".bin" / "repomix"
    if exe.exists():
        return exe
    if shutil.which("npm") is None:
        return None
    REPOMIX_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(REPOMIX_DIR),
         f"repomix@{REPOMIX_VERSION}"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return exe if exe.exists() else None


def change_files(repo: Path, round_: int) -> list[str]:
    """Append a line to a few tracked source files (the edits of a working session)."""
    names = [p for p in git(repo, "ls-files", "*.py", "*.rs", "*.ts", "*.js").splitlines() if p]
    step = max(1, len(names) // (CHANGED_FILES + 1))
    chosen = names[step::step][:CHANGED_FILES]
    for rel in chosen:
        with open(repo / rel, "a", encoding="utf-8") as fh:
            mark = "#" if rel.endswith(".py") else "//"
            fh.write(f"\n{mark} edited in round {round_}\n")
    return chosen


def bench_repo(repo: Path, runs: int, rx: Path | None) -> dict[str, float]:
    n, size = repo_size(repo)
    print(f"\n{repo} ({n} files, {size / 1e6:.1f} MB)", flush=True)
    scratch = Path(tempfile.mkdtemp(prefix="bp-bench-"))
    try:
        # warm-up, not timed: the page cache, Python's bytecode caches
        timed(floor_cmd(), cwd=repo)
        timed(bigpicture_cmd(), cwd=repo, env=bigpicture_env(scratch / "warm"))
        floor_runs, first_runs, nomap_runs, later_runs, rx_runs = [], [], [], [], []
        out = scratch / "repomix-output.xml"
        if rx is not None:
            timed([str(rx), "--quiet", "--output", str(out), "."], cwd=repo)
        for i in range(runs):
            floor_runs.append(timed(floor_cmd(), cwd=repo))
            data = scratch / f"data{i}"
            first_runs.append(timed(bigpicture_cmd(), cwd=repo, env=bigpicture_env(data)))
            outlines_only = scratch / f"outlines{i}"
            outlines_only.mkdir()
            for f in data.glob("outlines-*"):
                shutil.copyfile(f, outlines_only / f.name)
            nomap_runs.append(timed(bigpicture_cmd(), cwd=repo, env=bigpicture_env(outlines_only)))
            changed = change_files(repo, i)
            try:
                later_runs.append(timed(bigpicture_cmd(), cwd=repo, env=bigpicture_env(data)))
            finally:
                git(repo, "checkout", "-q", "--", *changed)
            if rx is not None:
                rx_runs.append(timed([str(rx), "--quiet", "--output", str(out), "."], cwd=repo))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    floor_s, first, later = median(floor_runs), median(first_runs), median(later_runs)
    nomap = median(nomap_runs)
    print(f"  floor (git ls-files | xargs cat):    {floor_s.seconds:7.2f} s")
    print(
        f"  bigpicture first run (empty caches): {first.seconds:7.2f} s   "
        f"{first.seconds / floor_s.seconds:5.2f}x the floor (the map's first build included)"
    )
    print(
        f"  bigpicture first run but the map:    {nomap.seconds:7.2f} s   "
        f"{nomap.seconds / floor_s.seconds:5.2f}x the floor (target <= 3x)"
    )
    print(
        f"  bigpicture later run ({CHANGED_FILES} files changed): {later.seconds:7.2f} s   "
        f"{later.seconds / floor_s.seconds:5.2f}x the floor (target <= 3x)"
    )
    peak = max(first.maxrss_mb, nomap.maxrss_mb, later.maxrss_mb)
    print(f"  bigpicture peak memory:              {peak:7.0f} MB (target < 500 MB)")
    result = {
        "files": n,
        "mb": size / 1e6,
        "floor": floor_s.seconds,
        "first": first.seconds,
        "first_but_map": nomap.seconds,
        "later": later.seconds,
        "peak_mb": peak,
    }
    if rx_runs:
        r = median(rx_runs)
        print(
            f"  repomix {REPOMIX_VERSION} pack:                   {r.seconds:7.2f} s   "
            f"{r.seconds / nomap.seconds:5.1f}x bigpicture's first run but the map "
            f"(target >= 10x), {r.seconds / first.seconds:4.1f}x its first run"
        )
        result["repomix"] = r.seconds
    else:
        print("  repomix: not measured (no npm, or --no-repomix)")
    return result


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", type=Path, action="append", help="a git work tree (repeatable)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs of each side (median)")
    ap.add_argument("--no-repomix", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    repos = args.repo or [clone(*r) for r in DEFAULT_REPOS]
    rx = None if args.no_repomix else repomix_bin()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; median of {args.runs}")
    results = {str(r): bench_repo(r.resolve(), args.runs, rx) for r in repos}
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
