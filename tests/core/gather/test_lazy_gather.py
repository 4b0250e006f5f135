"""A review of a workspace larger than the window reads, hashes and secret-scans only the files
it sends whole: the gather lists every file with its stat (``lazy``), the budget chooses by
size, and the chosen files are read and scanned before the plan holds them. Whatever is sent
was scanned (the scan runs over exactly the text sent, and a scan failure stops the review);
what is left out was never read."""

from __future__ import annotations

from pathlib import Path

import pytest
from bigpicture.app import prepare as pipeline
from bigpicture.core.config import Settings
from bigpicture.core.errors import GatherError, SecretScanError
from bigpicture.core.gather import gather as gathering
from bigpicture.core.gather import secrets
from bigpicture.core.request import plan as planning
from bigpicture.core.request.plan import body_bytes
from conftest import commit, write

AWS_CANARY = "AKIAQWERTYUIOPASDF12"  # an AWS access key id shape

TINY = Settings(
    model="tiny",
    models={
        "tiny": {
            "contextWindow": 40_000,
            "input": 3,
            "output": 15,
            "cacheWrite5m": 3.75,
            "cacheWrite1h": 6,
            "cacheRead": 0.3,
            "minCacheTokens": 1024,
            "maxOutput": 4000,
        }
    },
    maxOutputTokens=4000,
)


@pytest.fixture
def scanned(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text the secret scan runs over."""
    seen: list[str] = []
    real = secrets.redact

    def spy(text: str):
        seen.append(text)
        return real(text)

    monkeypatch.setattr(secrets, "redact", spy)
    return seen


def _key(i: int) -> str:
    return f"AKIAQWERTYUIOPAS{i:04d}"  # AWS access key id shapes, one per module


def _over_window(repo: Path) -> None:
    """Forty modules of ~2,000 tokens each, far more than the tiny window holds, each holding
    a secret in a definition's default (so in its outline too)."""
    for i in range(40):
        body = "x = 1\n" * 1000
        write(
            repo, f"pkg/m{i:02}.py", f"# module {i}\ndef f{i}(key='{_key(i)}'):\n    pass\n{body}"
        )
    commit(repo, "init")


def test_a_file_left_out_is_not_scanned_and_a_file_sent_is(repo: Path, scanned: list[str]):
    _over_window(repo)
    prepared = pipeline.prepare(repo, TINY)
    plan, snap = prepared.plan, prepared.snapshot
    sent = {f.path for f in plan.files}
    left = {lo.path for lo in plan.left_out}
    assert sent and left and not sent & left
    # the whole-file scan ran over exactly the files sent, once each, and over nothing else
    whole = [t for t in scanned if t.startswith("# module ")]
    assert sorted(t.split("\n", 1)[0] for t in whole) == sorted(
        f"# module {int(p[5:7])}" for p in sent
    )
    # what is sent is redacted: the files sent whole, and the map's outlines of the others
    texts = plan.sent_texts(snap)
    body = body_bytes(plan).decode()
    for i in range(40):
        assert _key(i) not in body
    assert all(_key(int(p[5:7])) not in texts[p] for p in sent)
    assert {r.path for r in plan.redactions} >= sent
    # the map names the files left out with their definitions (read for it, not sent whole)
    assert all(f"def f{int(p[5:7])}(" in body for p in left)
    assert any(r.path.endswith("(outline)") for r in plan.redactions)
    # the files left out are listed only, with their size, never read whole
    by_path = snap.by_path()
    assert all(by_path[p].loaded for p in sent)
    for p in left:
        assert not by_path[p].loaded and by_path[p].text == ""
        assert by_path[p].size == (repo / p).stat().st_size
    assert plan.input_tokens + plan.max_output <= plan.window


def test_a_workspace_that_fits_plans_byte_identically_lazy_or_not(repo: Path):
    for i in range(5):
        write(repo, f"src/f{i}.py", f"VALUE_{i} = {i}\n" * 50)
    write(repo, "src/key.py", f"KEY = '{AWS_CANARY}'\n")
    write(repo, "README.md", "# hello\n")
    commit(repo, "init")
    eager = gathering.gather(repo, Settings())
    lazy = pipeline.gather(repo, Settings())
    assert not any(f.loaded for f in lazy.files)
    assert [f.path for f in lazy.files] == [f.path for f in eager.files]
    nonce = "0123456789abcdef"
    a = pipeline.plan_for(eager, Settings(), kind="workspace", nonce=nonce)
    b = pipeline.plan_for(lazy, Settings(), kind="workspace", nonce=nonce)
    assert body_bytes(a) == body_bytes(b)
    assert lazy.redactions == eager.redactions and lazy.files == eager.files


def test_the_plan_refuses_a_file_that_was_not_read(repo: Path):
    write(repo, "a.py", "a = 1\n")
    commit(repo, "init")
    lazy = pipeline.gather(repo, Settings())
    with pytest.raises(planning.NotLoaded) as e:
        planning.build(lazy, Settings(), nonce="0123456789abcdef")
    assert e.value.paths == ["a.py"]


def test_a_scan_failure_on_a_chosen_file_stops_the_review(repo: Path, monkeypatch):
    write(repo, "a.py", "a = 1\n")
    commit(repo, "init")

    def broken(text: str):
        raise RuntimeError("engine crashed")

    monkeypatch.setattr(secrets, "redact", broken)
    with pytest.raises(SecretScanError, match=r"a\.py"):
        pipeline.prepare(repo, Settings())


def test_a_chosen_file_that_turns_out_binary_is_skipped_and_not_sent(repo: Path):
    write(repo, "a.py", "a = 1\n")
    write(repo, "blob.py", b"\x00\x01\x02 binary despite its name")
    commit(repo, "init")
    prepared = pipeline.prepare(repo, Settings())
    assert [f.path for f in prepared.plan.files] == ["a.py"]
    assert {s.path: s.reason for s in prepared.plan.skipped} == {"blob.py": "binary"}
    assert [f.path for f in prepared.snapshot.files] == ["a.py"]


def test_stat_refusals_are_known_without_reading(repo: Path):
    write(repo, "a.py", "a = 1\n")
    write(repo, "big.py", "b = 1\n" * 100)
    commit(repo, "init")
    lazy = pipeline.gather(repo, Settings(maxFileSize=100))
    assert [f.path for f in lazy.files] == ["a.py"]
    assert [(s.path, s.reason) for s in lazy.skipped] == [("big.py", "too-large")]


def test_an_untracked_file_in_a_changes_review_is_read_and_redacted(repo: Path):
    write(repo, "a.py", "a = 1\n")
    commit(repo, "init")
    write(repo, "new.py", f"KEY = '{AWS_CANARY}'\nb = 2\n")
    prepared = pipeline.prepare(repo, Settings(), kind="changes")
    diff = prepared.snapshot.diff
    assert diff is not None and [c.path for c in diff.files] == ["new.py"]
    assert "+b = 2" in diff.patch and AWS_CANARY not in diff.patch
    assert AWS_CANARY not in body_bytes(prepared.plan).decode()


def test_a_file_review_of_a_binary_file_says_why(repo: Path):
    write(repo, "a.py", "a = 1\n")
    write(repo, "blob.py", b"\x00\x01\x02")
    commit(repo, "init")
    with pytest.raises(GatherError, match="binary"):
        pipeline.prepare(repo, Settings(), kind="file", file=str(repo / "blob.py"))


def test_load_keeps_history_and_drops_a_file_deleted_since_the_listing(repo: Path):
    write(repo, "a.py", "a = 1\n")
    write(repo, "b.py", "b = 1\n")
    commit(repo, "init", when=1_650_000_000)
    lazy = pipeline.gather(repo, Settings())
    (repo / "b.py").unlink()
    got = gathering.load(lazy, ["a.py", "b.py"], Settings().maxFileSize)
    assert got == ["a.py"]
    (a,) = lazy.files
    assert a.loaded and a.text == "a = 1\n" and a.last_change == 1_650_000_000
