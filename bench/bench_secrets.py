"""The secret scan: recall and false positives on the test corpus, beside detect-secrets 1.5,
and throughput before/after the prefilter on real sources, in one run.

    python bench/bench_secrets.py [ROOT ...] [--repeat N] [--show N] [--baseline REV]

1. Recall on ``tests/corpus/`` (119 labelled secrets in realistic files: many syntaxes,
   Latin-1, UTF-16, a diff), and redactions on its negative half (real-looking code that
   holds no secret). BigPicture's figure counts a secret as found when no part of it is left
   in the redacted text; detect-secrets' when it reports the secret's line (it does not
   redact). detect-secrets is not a dependency: ``pip install detect-secrets==1.5.0`` to get
   its column (run offline with its default plugins and filters; it verifies nothing).
2. Throughput of ``redact`` on every text file (by extension) under the ROOTs (default: the
   running interpreter's site-packages; the README's figures are on real repositories
   fetched for the purpose), decoded as UTF-8: characters per second of CPU time of this
   process (best of ``--repeat``), for the scanner as it was before the prefilter (its
   source read from git at ``--baseline``, default the commit before it) and as it is now,
   with the count of files whose result differs (``--show N`` lists them; a difference is a
   false positive the old scanner had, or a secret it missed).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import sysconfig
import tempfile
import time
import types
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from bigpicture.core.gather.secrets import redact  # noqa: E402
from bigpicture.core.gather.textio import decode  # noqa: E402
from corpus.secret_corpus import Label, negatives, render  # noqa: E402

BASELINE = "81c7bf9"  # the last commit with the regex-pass scanner (no prefilter)
EXTENSIONS = (
    ".py", ".pyi", ".js", ".ts", ".json", ".yaml", ".yml", ".toml", ".cfg", ".ini",
    ".txt", ".md", ".rst", ".sh", ".go", ".java", ".c", ".h", ".html", ".css", ".rs",
    ".rb", ".php", ".cs", ".tsx", ".jsx", ".xml", ".properties", ".tf",
)  # fmt: skip


# --------------------------------------------------------------------------- corpus


def bigpicture_corpus(root: Path, labels: list[Label], scan=None) -> tuple[int, int]:
    """(secrets found, redactions on the negative corpus) with ``scan`` (default: now)."""
    scan = scan or (lambda text: redact(text))
    found = 0
    for path in sorted({lb.path for lb in labels}):
        text, _ = decode((root / path).read_bytes())
        out = scan(text)[0]
        found += sum(1 for lb in labels if lb.path == path and not any(p in out for p in lb.parts))
    false = 0
    for p in negatives():
        text, _ = decode(p.read_bytes())
        false += len(scan(text)[1])
    return found, false


def detect_secrets_corpus(root: Path, labels: list[Label]) -> tuple[int, int] | None:
    try:
        from detect_secrets import SecretsCollection
        from detect_secrets.settings import default_settings
    except ImportError:
        return None
    found = 0
    false = 0
    with default_settings():
        for path in sorted({lb.path for lb in labels}):
            coll = SecretsCollection()
            coll.scan_file(str(root / path))
            lines = {s.line_number for _, s in coll}
            for lb in labels:
                if lb.path == path:
                    span = range(lb.line - 1, lb.line + len(lb.parts) + 1)  # a PEM's BEGIN
                    found += any(n in lines for n in span)
        for p in negatives():
            coll = SecretsCollection()
            coll.scan_file(str(p))
            false += len({s.line_number for _, s in coll})
    return found, false


# --------------------------------------------------------------------------- throughput


def load(roots: list[str]) -> list[tuple[str, str]]:
    texts = []
    for root in roots:
        for dirpath, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d not in (".git", "node_modules", ".venv")]
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


def baseline_module(rev: str) -> types.ModuleType | None:
    """The scanner of commit ``rev`` (core/secrets.py then held all of it), imported beside
    the current package so its relative imports resolve."""
    try:
        source = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{rev}:server/bigpicture/core/secrets.py"],
            check=True,
            capture_output=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    tmp = Path(tempfile.mkdtemp()) / "secrets_baseline.py"
    tmp.write_bytes(source)
    spec = importlib.util.spec_from_file_location("bigpicture.core._secrets_baseline", tmp)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(fn, texts: list[tuple[str, str]], repeat: int) -> tuple[float, list]:
    best = float("inf")
    results: list = []
    for _ in range(repeat):
        start = time.process_time()
        results = [fn(text) for _, text in texts]
        best = min(best, time.process_time() - start)
    return best, results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("roots", nargs="*")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--show", type=int, default=0)
    parser.add_argument("--baseline", default=BASELINE)
    args = parser.parse_args()

    old = baseline_module(args.baseline)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        labels = render(root)
        bp = bigpicture_corpus(root, labels)
        bp_old = bigpicture_corpus(root, labels, old.redact) if old is not None else None
        ds = detect_secrets_corpus(root, labels)
    n, neg = len(labels), len(negatives())
    print(f"corpus: {n} secrets in {len({lb.path for lb in labels})} files; {neg} files without")
    print(f"  {'':24s} {'recall':>8s} {'false positives':>16s}")
    print(f"  {'BigPicture':24s} {bp[0] / n:8.1%} {bp[1]:16d}")
    if bp_old is not None:
        name = f"BigPicture {args.baseline}"
        print(f"  {name:24s} {bp_old[0] / n:8.1%} {bp_old[1]:16d}   (before these rules)")
    if ds is None:
        print("  detect-secrets 1.5       (not installed: pip install detect-secrets==1.5.0)")
    else:
        print(f"  {'detect-secrets 1.5':24s} {ds[0] / n:8.1%} {ds[1]:16d}")

    roots = args.roots or [sysconfig.get_paths()["purelib"]]
    texts = load(roots)
    size = sum(len(t) for _, t in texts)
    print(f"\nthroughput: {len(texts)} files, {size / 1e6:.1f} M chars under {', '.join(roots)}")
    print(f"  (CPU time, best of {args.repeat})")
    new_t, new_r = timed(redact, texts, args.repeat)
    if old is None:
        print(f"  before ({args.baseline}): not available (needs git and the commit)")
        print(f"  now: {new_t:.3f} s {size / 1e6 / new_t:6.0f} MB/s")
        return 0
    old_t, old_r = timed(old.redact, texts, args.repeat)
    differ = [
        (path, sorted({(h.line, h.rule) for h in o[1]} ^ {(h.line, h.rule) for h in r[1]}))
        for (path, _), o, r in zip(texts, old_r, new_r, strict=True)
        if o[0] != r[0]
    ]
    print(f"  before (regex passes, {args.baseline}): {old_t:.3f} s {size / 1e6 / old_t:6.0f} MB/s")
    print(f"  now (prefilter):                   {new_t:.3f} s {size / 1e6 / new_t:6.0f} MB/s")
    print(f"  speed-up: {old_t / new_t:.2f}x; files with a different result: {len(differ)}")
    for path, changes in differ[: args.show]:
        print(f"    {path}: {changes[:4]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
