"""Benchmark: the language server's hot paths on a ~1M-token workspace (900K by default, so it fits a 1M window with room for
the output and the changes). Not a test.

1. From a save to the request being ready to send: the in-memory snapshot updated for the
   saved file (``LiveWorkspace.file_changed``), the snapshot, the git diff of a changes review
   and the plan with its body — against a full gather + plan of the same workspace.
2. From the last streamed finding to diagnostics ready to publish, for 200 findings:
   anchoring against the sent text and conversion to LSP diagnostics in UTF-16.

Targets: (1) under 100 ms; (2) under 50 ms. Prints each next to its baseline.

    python bench/bench_lsp_latency.py [--tokens 1000000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def git(cwd: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@x",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@x",
    }
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def make_workspace(root: Path, tokens: int) -> list[str]:
    body = "".join(
        f"def handler_{i}(request, db):\n    rows = db.query(request.args['q{i}'])\n    return [r.name for r in rows]\n\n"
        for i in range(40)
    )  # ~3.3k characters
    n = max(1, tokens // 1300)  # each file is ~1.3k tokens by the local estimate
    paths = []
    for i in range(n):
        rel = f"pkg{i % 20}/mod{i}.py"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(f"# module {i}\n" + body)
        paths.append(rel)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    return paths


def timed(fn, repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", type=int, default=900_000)  # what fits a 1M window with room
    args = ap.parse_args()
    os.environ.setdefault("BIGPICTURE_DATA_DIR", tempfile.mkdtemp())
    from bigpicture.app import prepare as pipeline
    from bigpicture.core.config import Settings
    from bigpicture.core.gather import changes as gitdiff
    from bigpicture.core.gather.gather import name_filter
    from bigpicture.core.gather.workspace import LiveWorkspace
    from bigpicture.core.models import Finding
    from bigpicture.core.reply import anchor
    from bigpicture.lsp.convert import Lines, diagnostic
    from lsprotocol import types as lsp

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = make_workspace(root, args.tokens)
        settings = Settings()
        live = LiveWorkspace(root, settings)
        first = live.snapshot()  # the first gather, when the workspace opens
        from bigpicture.core.request import layout as cachebase
        from bigpicture.store import cachebase as store_cachebase

        sent = pipeline.plan_for(first, settings, kind="workspace")  # a first review was sent
        store_cachebase.save(str(root), cachebase.note_sent(sent.cache_base, sent.cache_generation))
        target = paths[len(paths) // 2]
        counter = [0]

        def save_to_ready() -> None:
            counter[0] += 1
            with open(root / target, "a") as fh:
                fh.write(f"x_{counter[0]} = {counter[0]}\n")
            live.file_changed(target)
            snap = live.snapshot()
            check = name_filter(root, settings)
            diff = gitdiff.changes(root, snap, None, allowed=lambda p: check(p) is None)
            snap = gitdiff.with_diff(snap, diff)
            plan = pipeline.plan_for(snap, settings, kind="changes")
            assert plan.cache_base is not None and plan.cache_base.id == sent.cache_base.id
            assert plan.body["messages"]

        def full() -> None:
            prep = pipeline.prepare(root, settings, kind="changes")
            assert prep.plan.body

        hot = timed(save_to_ready)
        cold = timed(full, repeat=2)
        snap = live.snapshot()
        plan = pipeline.plan_for(snap, settings, kind="workspace")
        texts = plan.sent_texts(snap)
        files = list(texts)
        raw = []
        for i in range(200):
            path = files[i % len(files)]
            text = texts[path]
            lines = text.split("\n")
            ln = 2 + (i * 4) % 150
            raw.append(
                Finding(
                    path=path,
                    line=ln + 3,
                    quote=lines[ln - 1],
                    severity="high",
                    category="security",
                    title=f"finding {i}",
                    message="m" * 200,
                    cwe="CWE-89",
                )
            )

        def publish_ready() -> None:
            anchored, _ = anchor.anchor(raw, texts)
            by_path: dict[str, list] = {}
            for f in anchored:
                by_path.setdefault(f.path, []).append(f)
            for path, fs in by_path.items():
                lines = Lines(texts[path])
                [
                    diagnostic(
                        f, lines, lsp.PositionEncodingKind.Utf16, lambda p: p, lambda p: None
                    )
                    for f in fs
                ]

        pub = timed(publish_ready)
        print(f"workspace: {len(paths)} files, {plan.input_tokens:,} tokens (estimated)")
        print(f"save -> request ready (in-memory snapshot): {hot * 1000:8.1f} ms (target < 100 ms)")
        print(
            f"full gather + diff + plan (baseline):       {cold * 1000:8.1f} ms   ratio {cold / hot:5.1f}x"
        )
        print(f"200 findings -> diagnostics ready:          {pub * 1000:8.1f} ms (target < 50 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
