"""Shard planning (core/request/shards.py): every file in exactly one shard, none over the
window, packages kept together, one shared prefix."""

from __future__ import annotations

import json

from bigpicture.core.config import Settings
from bigpicture.core.models import Snapshot, SourceFile
from bigpicture.core.request import shards as sharding
from bigpicture.core.request.plan import file_tokens

WINDOW = 40_000


def snapshot(sizes: dict[str, int]) -> Snapshot:
    return Snapshot(
        root="/ws",
        files=[SourceFile(path=p, text="x = 1\n" * n, sha=p, size=6 * n) for p, n in sizes.items()],
    )


def small_window(window: int = WINDOW) -> Settings:
    return Settings(models={"claude-sonnet-4-6": {"contextWindow": window}})


def test_every_file_in_exactly_one_shard_none_over_the_window_packages_together():
    sizes = {f"{d}/m{i}.py": 300 + 50 * i for d in ("p", "q", "r", "s", "t") for i in range(12)}
    sizes["huge.py"] = 20_000  # about 40,000 tokens: over any shard of a 40,000 window
    snap = snapshot(sizes)
    sp = sharding.build(snap, small_window(), nonce="0123456789abcdef")
    tokens = file_tokens(snap)
    placed = [p for s in sp.shards for p in s.files]
    assert sorted(placed) == sorted(p for p in sizes if p != "huge.py")
    assert len(placed) == len(set(placed))  # exactly one shard each
    assert [lo.path for lo in sp.left_out] == ["huge.py"]
    assert "larger than a shard" in sp.left_out[0].reason
    for s, plan in zip(sp.shards, sp.plans, strict=True):
        assert sum(tokens[p] for p in s.files) == s.tokens <= sp.room
        assert plan.input_tokens + plan.max_output <= WINDOW
    # a package that fits a shard is never split across shards
    for d in ("p", "q", "r", "s", "t"):
        holding = {s.index for s in sp.shards for p in s.files if p.startswith(f"{d}/")}
        assert len(holding) == 1, d
    assert len(sp.shards) > 1


def test_a_package_larger_than_a_shard_is_cut_in_path_order():
    sizes = {f"big/m{i:02}.py": 2000 for i in range(30)}
    sp = sharding.build(snapshot(sizes), small_window(), nonce="0123456789abcdef")
    assert len(sp.shards) >= 3 and not sp.left_out
    flat = [p for s in sp.shards for p in s.files]
    assert sorted(flat) == sorted(sizes)


def test_partition_keeps_communities_whole_and_packs_first_fit_decreasing():
    sizes = {"a1": 6, "a2": 3, "b1": 5, "c1": 4, "d1": 2}
    shards, left = sharding.partition([["a1", "a2"], ["b1"], ["c1"], ["d1"]], sizes, 10)
    assert left == []
    assert shards == [["a1", "a2"], ["b1", "c1"], ["d1"]]


def test_every_shard_shares_the_same_prefix_with_a_breakpoint():
    sizes = {f"{d}/m{i}.py": 800 for d in ("p", "q", "r") for i in range(12)}
    sp = sharding.build(snapshot(sizes), small_window(), nonce="0123456789abcdef")
    bodies = [p.body for p in sp.plans]
    heads = {json.dumps([b["tools"], b["system"], b["messages"][0]["content"][0]]) for b in bodies}
    assert len(heads) == 1
    assert all(b["messages"][0]["content"][0].get("cache_control") for b in bodies)
    assert all('"p/m0.py"' in b["messages"][0]["content"][0]["text"] for b in bodies)


def source(path: str, text: str) -> SourceFile:
    return SourceFile(path=path, text=text, sha=path, size=len(text))


def test_import_graph_communities_put_a_module_with_the_package_that_imports_it():
    files = [
        source("api/handlers.py", "from core import models\nfrom api import views\n"),
        source("api/views.py", "from api import handlers\n"),
        source("core/models.py", "x = 1\n"),
        source("core/other.py", "y = 2\n"),
        source("tools/cli.py", "import sys\n"),
    ]
    groups = sharding.by_imports(files)
    flat = sorted(p for g in groups for p in g)
    assert flat == sorted(f.path for f in files)  # every file in exactly one community
    where = {p: i for i, g in enumerate(groups) for p in g}
    assert where["api/handlers.py"] == where["api/views.py"]
    # a file without imports in the repository stays with its package
    assert where["tools/cli.py"] != where["api/handlers.py"]
    assert where["core/other.py"] != where["api/handlers.py"]


def body(tokens: int) -> str:
    return "x = 1\n" * int(tokens * 3.2 / 6)


def test_related_files_share_a_shard_across_folders():
    """Packages of 14k, 13k, 12k and 11k tokens in shards of about 20k: lib/util.py, imported
    only by pkg3, goes with pkg3 (by folder it would go with lib/other.py into pkg0's shard)."""
    files = []
    for i, size in enumerate((14_000, 13_000, 12_000, 11_000)):
        imports = "from lib import util\n" if i == 3 else ""
        files += [source(f"pkg{i}/m{j}.py", imports + body(size // 4)) for j in range(4)]
    files += [source("lib/util.py", body(2000)), source("lib/other.py", body(2000))]
    snap = Snapshot(root="/ws", files=files)
    for communities, together in ((sharding.by_imports, True), (sharding.by_directory, False)):
        sp = sharding.build(snap, small_window(), nonce="0123456789abcdef", communities=communities)
        assert sp.room < 25_000 and not sp.left_out
        shard_of = {p: s.index for s in sp.shards for p in s.files}
        assert (shard_of["lib/util.py"] == shard_of["pkg3/m0.py"]) is together, communities
