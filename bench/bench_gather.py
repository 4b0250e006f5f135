"""Benchmark: gather + plan of a large real repository, against the floor and against repomix.

Not a test. Builds (once, under bench/.work/) a git repository from the Python sources of the
installed packages in this environment (or uses --repo PATH), then measures side by side in
one run:

- the floor: ``git ls-files`` plus reading every listed file;
- BigPicture: gather (listing, filters, decode, secret redaction) and plan, in a fresh process,
  with its peak memory (ru_maxrss);
- repomix 1.18 packing the same repository (``npx --yes repomix@1.18``, when npm is present;
  ``--no-repomix`` skips it).

Targets: within 3x of the floor, at least 10x faster than repomix, under 500 MB peak.

    python bench/bench_gather.py [--repo PATH] [--min-files 10000] [--no-repomix]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

WORK = Path(__file__).parent / ".work"


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@x",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@x",
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout


def build_corpus(min_files: int) -> Path:
    """A git repository of real source: the installed packages' files, copied."""
    repo = WORK / "corpus"
    if (repo / ".git").exists():
        return repo
    repo.mkdir(parents=True, exist_ok=True)
    site = Path(sysconfig.get_paths()["purelib"])
    count = 0
    for path in sorted(site.rglob("*")):
        if not path.is_file() or path.is_symlink() or "__pycache__" in path.parts:
            continue
        if path.suffix not in (
            ".py",
            ".pyi",
            ".txt",
            ".md",
            ".rst",
            ".json",
            ".toml",
            ".cfg",
            ".c",
            ".h",
            ".js",
            ".ts",
        ):
            continue
        rel = path.relative_to(site)
        dest = repo / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
        count += 1
    # repeat the tree until it is big enough, as a monorepo with vendored copies would be
    copy = 1
    base = [p for p in repo.rglob("*") if p.is_file()]
    while count < min_files:
        for p in base:
            dest = repo / f"copy{copy}" / p.relative_to(repo)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, dest)
            count += 1
        copy += 1
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "corpus")
    return repo


def floor(repo: Path) -> tuple[float, int, int]:
    t = time.perf_counter()
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=repo, capture_output=True, check=True
    ).stdout
    n = size = 0
    for rel in out.split(b"\0"):
        if rel:
            size += len((repo / rel.decode()).read_bytes())
            n += 1
    return time.perf_counter() - t, n, size


CHILD = r"""
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
from bigpicture.core import pipeline
from bigpicture.core.config import Settings
from bigpicture.core.registry import Registry
t = time.perf_counter()
prep = pipeline.prepare(Path(sys.argv[1]), Settings())
elapsed = time.perf_counter() - t
print(json.dumps({"seconds": elapsed, "imports": t - t0, "files": len(prep.snapshot.files), "sent": len(prep.plan.files),
  "tokens": prep.plan.input_tokens, "skipped": len(prep.snapshot.skipped), "redactions": len(prep.snapshot.redactions),
  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def bigpicture(repo: Path, data: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(repo)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "BIGPICTURE_DATA_DIR": str(data)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def repomix(repo: Path) -> float | None:
    if shutil.which("npx") is None:
        return None
    out = WORK / "repomix-output.xml"
    t = time.perf_counter()
    res = subprocess.run(
        ["npx", "--yes", "repomix@1.18", "--quiet", "--output", str(out), str(repo)],
        capture_output=True,
        text=True,
        cwd=WORK,
    )
    elapsed = time.perf_counter() - t
    if res.returncode != 0:
        print(f"repomix failed: {res.stderr.strip()[:300]}", file=sys.stderr)
        return None
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", type=Path)
    ap.add_argument("--min-files", type=int, default=10000)
    ap.add_argument("--no-repomix", action="store_true")
    args = ap.parse_args()
    repo = args.repo or build_corpus(args.min_files)
    floor(repo)  # warm the page cache so both sides read from memory
    f_s, n, size = floor(repo)
    data = WORK / "data"
    shutil.rmtree(data, ignore_errors=True)
    cold = bigpicture(repo, data)  # first gather: every file is scanned for secrets
    bp = bigpicture(repo, data)  # later gathers: only contents not already found clean
    rx = None if args.no_repomix else repomix(repo)
    print(f"repository: {repo} ({n} files, {size / 1e6:.1f} MB)")
    print(f"floor (git ls-files + read):          {f_s:8.2f} s")
    for label, r in (("first run", cold), ("again", bp)):
        print(
            f"bigpicture gather + plan, {label + ':':<11} {r['seconds']:8.2f} s   "
            f"ratio to floor {r['seconds'] / f_s:5.2f}x (target <= 3x)"
        )
    print(
        f"  {bp['files']} files gathered, {bp['sent']} planned, {bp['tokens']:,} tokens, "
        f"{bp['skipped']} skipped, {bp['redactions']} redactions"
    )
    print(f"  (plus {bp['imports']:.2f} s of imports, as the floor excludes interpreter start-up)")
    print(f"  peak memory {max(bp['maxrss_mb'], cold['maxrss_mb']):.0f} MB (target < 500 MB)")
    if rx is not None:
        print(
            f"repomix 1.18 pack:                    {rx:8.2f} s   bigpicture is "
            f"{rx / cold['seconds']:5.1f}x faster on a first run, {rx / bp['seconds']:5.1f}x "
            "again (target >= 10x)"
        )
    else:
        print("repomix: not measured (no npx, or --no-repomix)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
