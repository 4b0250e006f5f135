"""core.request.plan: the request built as data. What callers rely on: the same snapshot,
settings and nonce give the same bytes; the body forces the report_findings tool, carries the
instructions, the repository behind a cache breakpoint and the request last; the plan lists
every sent file with its segment and what was left out; a thinking budget that leaves no room,
an empty snapshot or a file that alone does not fit are refused with a clear message."""

from __future__ import annotations

import json

import pytest
from bigpicture.core.config import Settings
from bigpicture.core.errors import BudgetError, NothingToReview
from bigpicture.core.models import Skipped, Snapshot, SourceFile
from bigpicture.core.registry import Registry
from bigpicture.core.request import plan as planning

NONCE = "0" * 16
NOW = 1_800_000_000.0


def F(path: str, text: str, last_change: int = 1_000) -> SourceFile:
    return SourceFile(
        path=path, text=text, sha=f"sha:{text}", size=len(text), last_change=last_change
    )


def snapshot(*files: SourceFile, **kw) -> Snapshot:
    return Snapshot(root="/w", files=list(files), **kw)


def build(snap: Snapshot, settings: Settings | None = None, **kw) -> planning.Plan:
    return planning.build(snap, settings or Settings(), nonce=NONCE, now=NOW, **kw)


def test_the_same_inputs_give_byte_identical_bodies() -> None:
    snap = snapshot(F("a.py", "x = 1\n"), F("b.py", "y = 2\n", 2_000))
    assert planning.body_bytes(build(snap)) == planning.body_bytes(build(snap))
    assert planning.body_bytes(build(snap)) != planning.body_bytes(
        planning.build(snap, Settings(), nonce="1" * 16, now=NOW)
    )


def test_the_body_forces_the_tool_and_puts_the_repository_behind_a_breakpoint() -> None:
    snap = snapshot(F("a.py", "x = 1\n"), F("b.py", "y = 2\n", 2_000))
    p = build(snap)
    body = p.body
    assert body["model"] == p.model and body["max_tokens"] == p.max_output
    assert body["tool_choice"] == {"type": "tool", "name": "report_findings"}
    assert [t["name"] for t in body["tools"]] == ["report_findings"]
    system = json.dumps(body["system"])
    assert f"bp-{NONCE}" in system
    blocks = body["messages"][0]["content"]
    repo, last = blocks[0], blocks[-1]
    assert repo["cache_control"]["type"] == "ephemeral" and 'path="a.py"' in repo["text"]
    assert repo["text"].index('"a.py"') < repo["text"].index('"b.py"')  # oldest change first
    assert "cache_control" not in last and last["text"].startswith("Review the whole repository.")
    marks = json.dumps(body).count('"cache_control"')
    assert 1 <= marks <= planning.MAX_BREAKPOINTS


def test_the_plan_lists_each_sent_file_in_request_order_with_its_segment() -> None:
    snap = snapshot(F("a.py", "x = 1\n"), F("b.py", "y = 2\n", 2_000))
    p = build(snap)
    assert [f.path for f in p.files] == ["a.py", "b.py"]
    seg = p.segments[p.files[0].segment]
    assert seg.breakpoint and seg.files == 2
    assert p.segments[-1].name == "request"
    assert p.input_tokens == sum(s.tokens for s in p.segments)
    assert p.sent_texts(snap) == {"a.py": "x = 1\n", "b.py": "y = 2\n"}
    assert p.cost.first > p.cost.repeat > 0 and p.cost.batch_first < p.cost.first
    assert p.cache_base is not None and p.cache_generation is None


def test_what_does_not_fit_is_left_out_and_the_request_says_so() -> None:
    registry = Registry({"tiny": {**_haiku(), "contextWindow": 20_000, "maxOutput": 4_000}})
    big = F("big.py", "value_of_something = compute(1, 2, 3)\n" * 3000)  # ~30,000 tokens
    snap = snapshot(F("a.py", "x = 1\n"), big)
    p = build(snap, Settings(model="tiny", maxOutputTokens=4_000), registry=registry)
    assert [f.path for f in p.files] == ["a.py"]
    assert [lo.path for lo in p.left_out] == ["big.py"]
    assert "1 files were left out" in p.body["messages"][0]["content"][-1]["text"]
    with pytest.raises(BudgetError, match=r"big\.py alone does not fit the context window"):
        build(
            snapshot(F("a.py", "x"), big, focus=["big.py"]),
            Settings(model="tiny", maxOutputTokens=4_000),
            registry=registry,
            kind="file",
        )


def test_nothing_to_send_and_no_room_for_findings_are_refused() -> None:
    with pytest.raises(NothingToReview, match=r"\(2 files are never sent: see the plan\)"):
        build(snapshot(skipped=[Skipped(".env", "secret-path"), Skipped("k.pem", "secret-path")]))
    with pytest.raises(BudgetError, match="lower the `thinkingBudget` setting"):
        build(snapshot(F("a.py", "x")), Settings(thinkingBudget=64_000, maxOutputTokens=1_000))


def test_max_output_adds_the_thinking_budget_within_the_models_limit() -> None:
    info, _ = Registry().get("claude-sonnet-4-6")
    assert planning.max_output_tokens(Settings(maxOutputTokens=1_000), info) == 1_000
    with_thinking = Settings(maxOutputTokens=1_000, thinkingBudget=2_000)
    assert planning.max_output_tokens(with_thinking, info) == 3_000
    huge = Settings(maxOutputTokens=10_000_000)
    assert planning.max_output_tokens(huge, info) == info.max_output


def test_the_1m_beta_is_asked_for_with_a_margin_under_the_standard_window() -> None:
    info, _ = Registry({"m1": {**_haiku(), "beta1m": True, "contextWindow": 1_000_000}}).get("m1")
    edge = int(info.standard_window / (1 + planning.BETA_MARGIN))
    assert not planning.needs_beta(info, edge - 10)
    assert planning.needs_beta(info, edge + 10)  # under the window, but the count may exceed it


def _haiku() -> dict:
    info, _ = Registry().get("claude-haiku-4-5")
    return {
        "contextWindow": info.context_window,
        "input": info.input,
        "output": info.output,
        "cacheWrite5m": info.cache_write5m,
        "cacheWrite1h": info.cache_write1h,
        "cacheRead": info.cache_read,
        "minCacheTokens": info.min_cache_tokens,
        "maxOutput": info.max_output,
    }
