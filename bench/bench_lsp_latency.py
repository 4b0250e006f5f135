"""Benchmark: the language server's hot paths on a ~1M-token workspace (900K by default, so it
fits a 1M window with room for the output and the changes). Not a test.

1. From a save to the request being ready to send (in-process): the in-memory snapshot
   updated for the saved file (``LiveWorkspace.file_changed``), the snapshot, the git diff of a
   changes review and the plan with its body — against a full gather + plan of the same
   workspace. Target: under 100 ms.
2. Streamed findings reaching the editor, over real JSON-RPC: ``bigpicture serve`` started as
   a subprocess, driven over its stdio by a small JSON-RPC client (``lspclient.py``), reviews
   the workspace against the local fake API (in this process), which streams 200 findings
   over 104 files in 512-character ``input_json_delta`` chunks, paced to last
   ``--stream-seconds``. Measured: the fake's last byte → the last ``publishDiagnostics`` the
   client received, the number of ``publishDiagnostics`` notifications, the diagnostics shown
   at the end, and the whole command. Targets: reply end → last diagnostic <= 50 ms;
   notifications <= files x flushes (a flush at most every 100 ms).

   The same runs side by side against the server as it was before incremental streaming
   (``--baseline REF``, default the commit before it: its ``server/`` is exported with
   ``git archive`` and put first on ``PYTHONPATH``; ``--baseline none`` skips it). Each run
   is a fresh server process with a fresh data directory, so every run is a first review.

   ``--repo PATH`` adds the same case on a real repository (a work tree, or a bare git
   directory such as a ``fetch`` mirror, cloned under bench/.work/): its findings quote lines
   of files the plan sends.

    python bench/bench_lsp_latency.py [--tokens 900000] [--runs 3] [--repo PATH]
        [--baseline REF|none] [--stream-seconds 2] [--skip-save]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / ".work"
sys.path.insert(0, str(REPO / "tests"))  # the fake API
sys.path.insert(0, str(HERE))

from lspclient import Client  # noqa: E402

BASELINE = "a633af8"  # main before incremental streaming (re-parse, re-anchor, republish)
CHUNK = 512


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


# --------------------------------------------------------------------------- 1. save -> ready


def save_case(root: Path, paths: list[str]) -> None:
    from bigpicture.app import prepare as pipeline
    from bigpicture.core.config import Settings
    from bigpicture.core.gather import changes as gitdiff
    from bigpicture.core.gather.gather import name_filter
    from bigpicture.core.gather.workspace import LiveWorkspace
    from bigpicture.core.request import layout as cachebase
    from bigpicture.store import cachebase as store_cachebase

    settings = Settings()
    live = LiveWorkspace(root, settings)
    first = live.snapshot()  # the first gather, when the workspace opens
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
    print(f"workspace: {len(paths)} files, {sent.input_tokens:,} tokens (estimated)")
    print(f"save -> request ready (in-memory snapshot): {hot * 1000:8.1f} ms (target < 100 ms)")
    print(
        f"full gather + diff + plan (baseline):       {cold * 1000:8.1f} ms   ratio {cold / hot:5.1f}x"
    )
    git(root, "checkout", "-q", "--", ".")  # the saves above, undone


# --------------------------------------------------------------------------- 2. streaming


def sent_texts(root: Path) -> tuple[dict[str, str], int]:
    """What a workspace review of ``root`` sends (path -> text), and its input tokens."""
    from bigpicture.app import prepare as pipeline
    from bigpicture.core.config import Settings

    prepared = pipeline.prepare(root, Settings(), kind="workspace")
    return prepared.plan.sent_texts(prepared.snapshot), prepared.plan.input_tokens


def make_findings(texts: dict[str, str], count: int = 200, files: int = 104) -> dict[str, Any]:
    """The model's answer: ``count`` findings over ``files`` sent files, each quoting a real
    line (reported a few lines off), with messages of a realistic length (quotes, non-ASCII),
    a fix on every third and a related location on every fourth."""
    usable = [p for p, t in texts.items() if sum(1 for ln in t.split("\n") if ln.strip()) >= 8]
    step = max(1, len(usable) // files)
    chosen = usable[::step][:files]
    lines_of = {
        p: [(i, ln) for i, ln in enumerate(texts[p].split("\n")) if len(ln.strip()) > 12]
        for p in chosen
    }
    severities = ["critical", "high", "medium", "low"]
    out = []
    for i in range(count):
        path = chosen[i % len(chosen)]
        cands = lines_of[path] or [(0, texts[path].split("\n")[0])]
        k = (i // len(chosen)) * 7 + 3
        line0, quote = cands[k % len(cands)]
        f: dict[str, Any] = {
            "path": path,
            "line": line0 + 1 + (i % 5) - 2 if line0 > 2 else line0 + 1,
            "quote": quote,
            "severity": severities[i % len(severities)],
            "category": "security" if i % 2 else "architecture",
            "title": f"Finding {i}: untrusted input reaches a sink",
            "message": (
                f'The value read on line {line0 + 1} ("{quote.strip()[:40]}") flows into a query '
                "without validation — an attacker controls it end to end. Validate it at the "
                "boundary, or pass it as a bound parameter; see the handler’s callers too. "
            )
            * 2,
            "cwe": "CWE-89" if i % 2 else None,
            "confidence": 0.8,
        }
        if f["cwe"] is None:
            del f["cwe"]
        if i % 3 == 0:
            f["fix"] = {"replacement": quote + "  # validated"}
        if i % 4 == 0:
            other = chosen[(i + 1) % len(chosen)]
            o_line, o_quote = (lines_of[other] or [(0, "")])[0]
            f["related"] = [{"path": other, "line": o_line + 1, "quote": o_quote, "message": "m"}]
        out.append(f)
    return {"findings": out, "summary": f"{count} findings over {len(chosen)} files."}


def export_baseline(ref: str) -> Path | None:
    """The server package as it was at ``ref`` (None when the ref is not in this clone)."""
    dest = Path(tempfile.mkdtemp(prefix="bp-baseline-"))
    try:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", ref, "server"], check=True, capture_output=True
        ).stdout
    except subprocess.CalledProcessError:
        return None
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest / "server"


async def stream_run(root: Path, answer: dict[str, Any], fake: Any, src: Path | None, pace: float):
    """One review over JSON-RPC by a fresh server process; the figures of that run."""
    from fake_api import ToolReply

    text = json.dumps(answer, ensure_ascii=False)
    events = len(text) // CHUNK * 4 // 3 + 8  # deltas, a ping after every third, the frame
    fake.script(ToolReply(answer, chunk_size=CHUNK, event_delay=pace / events))
    env = {
        **os.environ,
        "ANTHROPIC_API_KEY": "sk-ant-bench",
        "ANTHROPIC_BASE_URL": fake.url,
        "BIGPICTURE_DATA_DIR": tempfile.mkdtemp(prefix="bp-bench-data-"),
    }
    if src is not None:
        env["PYTHONPATH"] = str(src)
    client = await Client.start([sys.executable, "-m", "bigpicture", "serve"], env)
    uri = root.as_uri()
    try:
        await client.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": uri,
                "workspaceFolders": [{"uri": uri, "name": "ws"}],
                "initializationOptions": {"bigpicture": {"maxCostPerReview": 100}},
                "capabilities": {
                    "general": {"positionEncodings": ["utf-16"]},
                    "textDocument": {
                        "publishDiagnostics": {"relatedInformation": True, "versionSupport": True}
                    },
                    "workspace": {"configuration": True},
                    "window": {"workDoneProgress": True},
                },
            },
        )
        client.notify("initialized", {})
        sent = time.monotonic()
        summary = await client.request(
            "workspace/executeCommand", {"command": "bigpicture.reviewWorkspace", "arguments": []}
        )
        done = time.monotonic()
    finally:
        await client.stop()
    assert summary["status"] == "ok", summary
    end = fake.messages_requests()[-1].last_byte_at
    pubs = [n for n in client.notes if n.method == "textDocument/publishDiagnostics"]
    (fin,) = [n for n in client.notes if n.method == "bigpicture/reviewFinished"]
    last: dict[str, int] = {}
    per_file: dict[str, int] = {}
    for n in pubs:
        last[n.params["uri"]] = len(n.params["diagnostics"])
        per_file[n.params["uri"]] = per_file.get(n.params["uri"], 0) + 1
    return {
        "lag_ms": (max(n.at for n in pubs) - end) * 1000,
        "summary_ms": (fin.at - end) * 1000,
        "notifications": len(pubs),
        "files": len(per_file),
        "max_per_file": max(per_file.values()),
        "shown": sum(last.values()),
        "command_s": done - sent,
        "findings": summary["findings"],
    }


def stream_case(
    label: str, root: Path, runs: int, baseline: Path | None, baseline_ref: str, pace: float
) -> list[str]:
    from fake_api import FakeAnthropic

    texts, tokens = sent_texts(root)
    answer = make_findings(texts)
    nfiles = len({f["path"] for f in answer["findings"]})
    variants: list[tuple[str, Path | None]] = [("incremental (this tree)", None)]
    if baseline is not None:
        variants.append((f"before ({baseline_ref})", baseline))
    results: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in variants}
    with FakeAnthropic() as fake:
        for _ in range(runs):
            for name, src in variants:  # alternating, so both see the same machine load
                results[name].append(asyncio.run(stream_run(root, answer, fake, src, pace)))
    print(
        f"\n{label}: {tokens:,} tokens sent, {len(answer['findings'])} findings over {nfiles} "
        f"files, streamed in {CHUNK}-character chunks over ~{pace:g} s; {runs} runs each "
        "(first run, then the median)"
    )
    head = (
        f"{'server':<26} {'reply end -> last diagnostic':>30} {'-> summary':>11} "
        f"{'publishDiagnostics':>19} {'max per file':>13} {'shown':>6} {'command':>9}"
    )
    print(head)
    rows = []
    for name, _ in variants:
        rs = results[name]
        med = {k: statistics.median(r[k] for r in rs) for k in rs[0]}
        first = rs[0]
        print(
            f"{name:<26} {first['lag_ms']:>10.0f} ms (median {med['lag_ms']:>6.0f}) "
            f"{first['summary_ms']:>8.0f} ms {first['notifications']:>19,} {first['max_per_file']:>13} {first['shown']:>6} "
            f"{med['command_s']:>7.2f} s"
        )
        rows.append(f"{name}: {first['lag_ms']:.0f} ms, {first['notifications']:,} notifications")
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", type=int, default=900_000)  # what fits a 1M window with room
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--repo", help="also run the streaming case on this repository")
    ap.add_argument("--baseline", default=BASELINE, help="git ref of the old server, or none")
    ap.add_argument("--stream-seconds", type=float, default=2.0)
    ap.add_argument("--skip-save", action="store_true", help="only the streaming case")
    args = ap.parse_args()
    os.environ.setdefault("BIGPICTURE_DATA_DIR", tempfile.mkdtemp())
    baseline = None if args.baseline == "none" else export_baseline(args.baseline)
    if args.baseline != "none" and baseline is None:
        print(f"baseline {args.baseline} is not in this clone: running this tree only")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp).resolve()
        paths = make_workspace(root, args.tokens)
        if not args.skip_save:
            save_case(root, paths)
        stream_case(
            "generated workspace", root, args.runs, baseline, args.baseline, args.stream_seconds
        )
    if args.repo:
        repo = Path(args.repo).resolve()
        if not (repo / ".git").exists() and (repo / "HEAD").exists():  # a bare mirror
            dest = WORK / repo.parent.name
            if not dest.exists():
                subprocess.run(["git", "clone", "-q", str(repo), str(dest)], check=True)
            repo = dest
        stream_case(
            repo.name if repo.name != "repo" else repo.parent.name,
            repo,
            args.runs,
            baseline,
            args.baseline,
            args.stream_seconds,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
