"""A repository larger than the window: the map of the files not sent whole, the importance
ranking with hysteresis, and the changes counted as sent. Real git repositories, the real
pipeline (gather, plan), a small test model's window."""

from __future__ import annotations

import json
from pathlib import Path

from bigpicture.app import prepare as pipeline
from bigpicture.cli import main
from bigpicture.core.config import Settings
from bigpicture.core.models import SourceFile
from bigpicture.core.request import budget
from bigpicture.core.request import layout as cache_layout
from bigpicture.store import cachebase as store_cachebase
from conftest import commit, write
from fake_api import FakeAnthropic, ModelSpec, ToolReply

WINDOW = 60_000


def tiny(window: int = WINDOW) -> Settings:
    return Settings(
        model="tiny",
        models={
            "tiny": {
                "contextWindow": window,
                "input": 3,
                "output": 15,
                "cacheWrite5m": 3.75,
                "cacheWrite1h": 6,
                "cacheRead": 0.3,
                "minCacheTokens": 1024,
                "maxOutput": 8000,
            }
        },
        maxOutputTokens=8000,
    )


def _core_module(defs: int = 120) -> str:
    out = ['"""The core: every module depends on it."""\n', "import os\n\n"]
    for i in range(defs):
        out.append(f"def operation_{i}(value: int, scale: float = 1.0) -> float:\n")
        out += [f"    step_{j} = value * scale + {i * j}  # arithmetic\n" for j in range(12)]
        out.append(f"    return step_0 + {i}\n\n")
    return "".join(out)


def central_and_peripheral(repo: Path) -> None:
    """``app/core.py`` (large: ~20K tokens) imported by ten modules; 40 small peripheral
    scripts that import nothing, committed later (the old recency rule sent those first)."""
    write(repo, "app/__init__.py", "")
    write(repo, "app/core.py", _core_module())
    for i in range(10):
        write(
            repo,
            f"app/user{i}.py",
            f"from app.core import operation_{i}\n\n\ndef use_{i}(x: int) -> float:\n"
            + f"    return operation_{i}(x)\n" * 40,
        )
    write(repo, "tests/test_core.py", "from app import core\n" + "assert core\n" * 800)
    commit(repo, "core", when=1_600_000_000)
    for i in range(40):
        write(
            repo,
            f"scripts/tool{i:02}.py",
            f'"""Tool {i}."""\n\n\ndef tool_{i}(argv: list[str]) -> int:\n'
            + f"    print('tool {i} running with', argv)  # output\n" * 90
            + "    return 0\n",
        )
    write(repo, "docs/design.adoc", "rule everything: run all the tools\n" * 90)
    commit(repo, "tools", when=1_700_000_000)


def plan(repo: Path, settings: Settings, kind: str = "workspace"):
    snap = pipeline.snapshot_for(repo, settings, kind=kind)
    return snap, pipeline.plan_for(snap, settings, kind=kind)


def sent(p) -> set[str]:
    return {f.path for f in p.files}


def keep_base(repo: Path, p) -> None:
    """Record ``p`` as sent, so the next plan may reuse its cache base."""
    store_cachebase.save(
        str(repo.resolve()), cache_layout.note_sent(p.cache_base, p.cache_generation)
    )


def blocks(p) -> list[str]:
    return [b["text"] for b in p.body["messages"][0]["content"]]


def test_a_large_central_module_beats_small_peripheral_ones(repo: Path):
    central_and_peripheral(repo)
    _, p = plan(repo, tiny())
    assert p.left_out, "the workspace must not fit, or nothing is tested"
    chosen = sent(p)
    assert "app/core.py" in chosen
    assert {f"app/user{i}.py" for i in range(10)} <= chosen
    assert "tests/test_core.py" not in chosen  # tests last
    assert any(f"scripts/tool{i:02}.py" not in chosen for i in range(40))
    assert p.input_tokens + p.max_output <= p.window


def test_every_file_not_sent_whole_is_in_the_map_with_its_outline_or_its_path(repo: Path):
    central_and_peripheral(repo)
    _, p = plan(repo, tiny())
    base = blocks(p)[0]
    map_text = base[: base.index(f"</bp-{p.nonce}-map>")]
    left = {lo.path for lo in p.left_out}
    for path in left:
        assert json.dumps(path) in map_text
    for path in sent(p):
        assert f"\n{json.dumps(path)}" not in map_text
    # a left-out Python file: its definitions with signatures, no body
    tool = next(p for p in sorted(left) if p.startswith("scripts/tool"))
    n = int(tool[-5:-3])
    assert f"def tool_{n}(argv: list[str]) -> int" in map_text
    assert f"print('tool {n} running" not in map_text
    # no grammar: the path and a rounded size
    assert '"docs/design.adoc" (~3 KB, no outline)' in map_text
    assert p.cache_base.map_tokens <= 0.12 * WINDOW


def test_the_map_stays_byte_identical_across_an_edit_that_keeps_the_definitions(repo: Path):
    central_and_peripheral(repo)
    _, first = plan(repo, tiny())
    keep_base(repo, first)
    left = sorted(lo.path for lo in first.left_out if lo.path.startswith("scripts/tool"))
    edited = left[0]
    n = int(edited[-5:-3])
    text = (repo / edited).read_text()
    write(repo, edited, text.replace("running with", "now running with"))  # a body only
    _, second = plan(repo, tiny())
    assert second.cache_base.id == first.cache_base.id
    assert blocks(second)[0] == blocks(first)[0]  # the base with the map: the same bytes
    assert edited not in "".join(blocks(second)[1:])  # nothing to update
    # a changed definition is sent after the base as an outline update
    write(repo, edited, text.replace(f"def tool_{n}(argv", f"def tool_{n}(args"))
    _, third = plan(repo, tiny())
    assert third.cache_base.id == first.cache_base.id
    assert blocks(third)[0] == blocks(first)[0]
    after = "".join(blocks(third)[1:])
    assert 'version="current"' in after and f"def tool_{n}(args: list[str]) -> int" in after


def test_a_commit_that_changes_a_few_files_keeps_the_selection_and_the_base(repo: Path):
    central_and_peripheral(repo)
    _, first = plan(repo, tiny())
    keep_base(repo, first)
    # a commit: a body edited in the core and in a sent tool, a new small module
    core = (repo / "app/core.py").read_text()
    write(repo, "app/core.py", core.replace("# arithmetic", "# arithmetic, checked", 1))
    a_tool = sorted(p for p in sent(first) if p.startswith("scripts/"))[0]
    write(repo, a_tool, (repo / a_tool).read_text() + "# edited\n")
    write(repo, "app/extra.py", "from app.core import operation_1\n")
    commit(repo, "a few files", when=1_800_000_000)
    _, second = plan(repo, tiny())
    assert sent(first) <= sent(second)
    assert second.cache_base.id == first.cache_base.id
    assert blocks(second)[0] == blocks(first)[0]


def test_saving_a_large_file_sends_its_diff_and_keeps_the_base(repo: Path):
    """The base fills the room; the large file alone is more than the room left. A one-line
    edit of it is sent as a small diff block and counted as such: the base is kept."""
    write(repo, "big/engine.py", _core_module(110))  # ~18K tokens
    for i in range(9):
        write(repo, f"pkg/m{i}.py", f"# module {i}\n" + f"x_{i} = {i}  # filler line\n" * 300)
    commit(repo, "init")
    settings = tiny()
    _, first = plan(repo, settings)
    assert not first.left_out
    whole = next(f.tokens for f in first.files if f.path == "big/engine.py")
    # counting the whole file again would not fit the room: the case under test
    assert first.cache_base.tokens + whole > first.budget >= first.cache_base.tokens
    keep_base(repo, first)
    text = (repo / "big/engine.py").read_text()
    write(repo, "big/engine.py", text.replace("return step_0 + 7\n", "return step_0 + 8\n"))
    _, second = plan(repo, settings)
    assert second.cache_base.id == first.cache_base.id
    gen = second.cache_generation
    assert gen is not None and 'version="current-diff"' in gen.text
    assert gen.tokens < 500


def test_the_model_is_told_which_files_it_sees_only_in_outline(repo: Path, capsys, monkeypatch):
    central_and_peripheral(repo)
    write(
        repo,
        "pyproject.toml",
        "[tool.bigpicture]\nmodel = 'claude-tiny-test'\nmaxCostPerReview = 10.0\n"
        "maxOutputTokens = 8000\n[tool.bigpicture.models.claude-tiny-test]\n"
        f"contextWindow = {WINDOW}\ninput = 3.0\noutput = 15.0\ncacheWrite5m = 3.75\n"
        "cacheWrite1h = 6.0\ncacheRead = 0.3\nminCacheTokens = 1024\nmaxOutput = 8000\n",
    )
    commit(repo, "settings")
    with FakeAnthropic() as fake:
        fake.add_model(ModelSpec(id="claude-tiny-test", max_output=8000, context_window=WINDOW))
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
        fake.default = ToolReply({"findings": [], "summary": "ok"})
        code = main(["review", str(repo), "--format", "json", "-q", "--no-cache"])
        assert code == 0, capsys.readouterr().err
        result = json.loads(capsys.readouterr().out)
        (request,) = fake.messages_requests()
    body = request.body
    content = [b["text"] for b in body["messages"][0]["content"]]
    nonce = body["system"][0]["text"].split("<bp-", 1)[1].split("-", 1)[0]
    system = body["system"][0]["text"]
    assert "Do not report findings about code you see only in outline" in system
    assert f"<bp-{nonce}-map" in system
    map_text = content[0][: content[0].index(f"</bp-{nonce}-map>")]
    left = {lo["path"] for lo in result["left_out"]}
    assert left and all(json.dumps(p) in map_text for p in left)
    # the files sent whole are the ones in file delimiters, and none of them is in the map
    whole = {
        json.loads(line.split("path=", 1)[1].split(" lines=", 1)[0])
        for line in "".join(content).splitlines()
        if line.startswith(f"<bp-{nonce}-file path=")
    }
    assert "app/core.py" in whole and not whole & left
    assert f"{len(left)} files were left out to fit the context window" in content[-1]
    assert "do not report findings about code you see only in outline" in content[-1]


# --------------------------------------------------------------------------- select, directly


def _f(path: str, kind: str = "source") -> SourceFile:
    return SourceFile(path=path, text="", sha=path, size=0, kind=kind)


def test_hysteresis_keeps_a_base_file_unless_its_rank_fell_by_more_than_half():
    files = [_f("a.py"), _f("b.py"), _f("c.py")]
    tokens = dict.fromkeys(("a.py", "b.py", "c.py"), 10)
    # c now outranks b a little: b keeps its place in the base
    scores = {"a.py": 0.5, "b.py": 0.2, "c.py": 0.3}
    base = {"a.py": 0.5, "b.py": 0.25}
    sent, _ = budget.select(files, tokens, 20, scores=scores, previous=base)
    assert {f.path for f in sent} == {"a.py", "b.py"}
    # without a base, today's ranking decides
    sent, _ = budget.select(files, tokens, 20, scores=scores)
    assert {f.path for f in sent} == {"a.py", "c.py"}
    # b's rank fell to less than half of what it was: it gives its place up
    sent, _ = budget.select(files, tokens, 20, scores={**scores, "b.py": 0.1}, previous=base)
    assert {f.path for f in sent} == {"a.py", "c.py"}


def test_with_a_base_new_focus_files_come_after_the_kept_ones_and_use_the_room_for_changes():
    files = [_f("core.py"), _f("util.py"), _f("vendor/big.py", "vendor"), _f("misc.py")]
    tokens = {"core.py": 40, "util.py": 40, "vendor/big.py": 30, "misc.py": 10}
    base = {"core.py": 0.4, "util.py": 0.3}
    scores = {"core.py": 0.4, "util.py": 0.3, "misc.py": 0.2, "vendor/big.py": 0.1}
    focus = ["vendor/big.py"]
    # no base: the focus first
    sent, _ = budget.select(files, tokens, 80, focus, related=set(), scores=scores)
    assert "vendor/big.py" in {f.path for f in sent}
    # a base: the kept files first; the focus gets the room kept for changes if it fits
    sent, left = budget.select(
        files, tokens, 80, focus, related=set(), scores=scores, previous=base, extra=20
    )
    assert {f.path for f in sent} == {"core.py", "util.py"}
    assert {lo.path for lo in left} == {"vendor/big.py", "misc.py"}
    sent, _ = budget.select(
        files, tokens, 80, focus, related=set(), scores=scores, previous=base, extra=30
    )
    assert {f.path for f in sent} == {"core.py", "util.py", "vendor/big.py"}
    # other files never use the room kept for changes
    sent, _ = budget.select(
        files, tokens, 80, (), related=set(), scores=scores, previous=base, extra=30
    )
    assert {f.path for f in sent} == {"core.py", "util.py"}
