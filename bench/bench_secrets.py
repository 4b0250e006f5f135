"""Throughput of ``core.secrets.redact`` on a real-ish corpus.

    python bench/bench_secrets.py [ROOT ...] [--show N]

ROOT defaults to the running interpreter's site-packages. Every text file (by extension) under
the roots is decoded as UTF-8 (files that are not are skipped), then redacted once; the figure
is decoded characters (about bytes, for source) per second of ``redact`` time alone, as CPU
time of this process (best of ``--repeat``), so other load on the machine disturbs it less.
The time to read and decode the same files (page cache warm) is printed beside it, as the
gatherer's budget is stated relative to that. ``--show N`` prints N redactions with their rule
and line, without the values, to review false positives.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import sysconfig
import time

from bigpicture.core.gather.secrets import redact

EXTENSIONS = (
    ".py", ".pyi", ".js", ".ts", ".json", ".yaml", ".yml", ".toml", ".cfg", ".ini",
    ".txt", ".md", ".rst", ".sh", ".go", ".java", ".c", ".h", ".html", ".css",
)  # fmt: skip


def load(roots: list[str]) -> list[tuple[str, str]]:
    texts = []
    for root in roots:
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                if not name.endswith(EXTENSIONS):
                    continue
                path = os.path.join(dirpath, name)
                try:
                    with open(path, encoding="utf-8", newline="") as fh:
                        texts.append((path, fh.read()))
                except (OSError, UnicodeDecodeError):
                    pass
    return texts


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("roots", nargs="*")
    parser.add_argument("--show", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    roots = args.roots or [sysconfig.get_paths()["purelib"]]
    texts = load(roots)
    size = sum(len(t) for _, t in texts)
    read_best = float("inf")
    for _ in range(args.repeat):
        start = time.process_time()
        load(roots)
        read_best = min(read_best, time.process_time() - start)
    best = float("inf")
    hits: list[tuple[str, int, str]] = []
    for _ in range(args.repeat):
        hits = []
        start = time.process_time()
        for path, text in texts:
            _, found = redact(text)
            hits.extend((path, h.line, h.rule) for h in found)
        best = min(best, time.process_time() - start)
    rules = collections.Counter(rule for _, _, rule in hits)
    print(f"files: {len(texts)}  size: {size / 1e6:.1f} M chars  (CPU time, best of {args.repeat})")
    print(f"read+decode: {read_best:.3f} s  {size / 1e6 / read_best:5.0f} MB/s")
    print(f"redact:      {best:.3f} s  {size / 1e6 / best:5.0f} MB/s")
    print(f"redactions: {len(hits)} in {len({p for p, _, _ in hits})} files: {dict(rules)}")
    for path, line, rule in hits[: args.show]:
        print(f"  {rule:28s} {path}:{line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
