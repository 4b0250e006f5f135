"""Reading a reply: complete only when the report_findings input is whole, never a false
all-clear from a parsed prefix of a cut call, in every form a reply arrives in."""

from __future__ import annotations

import json

import jiter
import pytest
from bigpicture.core.errors import ApiError
from bigpicture.core.reply.interpret import Reply, cut_short, interpret
from planted import planted_findings

FULL = planted_findings()
TEXT = json.dumps(FULL)
CUT_IN_FIRST = TEXT.index('"line"')  # inside the first finding: only its path was written


def sdk_snapshot(text: str) -> object:
    """What the SDK's stream accumulator keeps of a partial JSON text (jiter, partial mode)."""
    return jiter.from_json(text.encode(), partial_mode=True)


def streamed(text: str, stop_reason: str = "tool_use") -> Reply:
    """A streamed reply: the raw JSON the deltas carried, and the SDK's parse of it."""
    return Reply(stop_reason=stop_reason, tool_input=sdk_snapshot(text), tool_json=text)


def test_a_streamed_call_cut_inside_the_first_finding_is_not_a_clean_review():
    reply = streamed(TEXT[:CUT_IN_FIRST])
    assert reply.tool_input == {"findings": [{"path": "app/db.py"}]}  # looks like "nothing"
    got = interpret(reply, thinking=False)
    assert got.complete is False
    assert "cut off" in (got.reason or "")
    assert got.findings == [] and got.malformed == 1  # the half-written finding is counted


def test_only_the_raw_json_shows_a_cut_between_findings_when_summary_came_first():
    """A model that writes ``summary`` first and is cut between two findings leaves a parsed
    prefix with a summary and whole findings: only the raw text shows the cut."""
    first = {"summary": FULL["summary"], "findings": FULL["findings"]}
    text = json.dumps(first)
    cut = text.index(', {"path": "app/web.py"')  # after the first finding, before the second
    reply = streamed(text[:cut])
    assert set(reply.tool_input) == {"summary", "findings"}  # the prefix looks whole
    assert cut_short(reply.tool_input, None) is None  # the whole-reply check cannot see it
    got = interpret(reply, thinking=False)
    assert got.complete is False
    assert [f.title for f in got.findings] == ["SQL injection in find_user"]  # recovered


def test_a_streamed_json_missing_only_its_closing_brace_is_incomplete():
    reply = streamed(TEXT[:-1])
    assert interpret(reply, thinking=False).complete is False


@pytest.mark.parametrize("raw", ["", "[]", '"findings"'])
def test_a_streamed_call_that_is_not_an_object_is_incomplete(raw):
    got = interpret(Reply(stop_reason="tool_use", tool_input={}, tool_json=raw), thinking=False)
    assert got.complete is False


def test_a_whole_streamed_call_is_complete():
    got = interpret(streamed(TEXT), thinking=False)
    assert got.complete is True and len(got.findings) == 5
    assert got.summary == FULL["summary"]


def test_a_whole_clean_review_is_complete_with_no_findings():
    got = interpret(streamed(json.dumps({"findings": [], "summary": "clean"})), thinking=False)
    assert got.complete is True and got.findings == []


# whole replies (non-streaming, batch results): what the API puts in a cut call's input is not
# documented, so every plausible form must read as incomplete


@pytest.mark.parametrize(
    "tool_input",
    [
        pytest.param(sdk_snapshot(TEXT[:CUT_IN_FIRST]), id="prefix"),
        pytest.param(
            jiter.from_json(TEXT[: CUT_IN_FIRST + 3].encode(), partial_mode="trailing-strings"),
            id="trailing",
        ),
        pytest.param({}, id="empty"),
        pytest.param({"findings": []}, id="findings-only"),
    ],
)
def test_a_whole_reply_whose_input_was_cut_is_incomplete(tool_input):
    got = interpret(Reply(stop_reason="tool_use", tool_input=tool_input), thinking=False)
    assert got.complete is False, tool_input
    assert "summary" in (got.reason or "") or "cut" in (got.reason or "")


def test_a_whole_reply_whose_last_finding_lacks_a_required_field_is_incomplete():
    first = {"summary": "s", "findings": [dict(FULL["findings"][0]), {"path": "app/web.py"}]}
    got = interpret(Reply(stop_reason="tool_use", tool_input=first), thinking=False)
    assert got.complete is False and "last finding" in (got.reason or "")
    assert len(got.findings) == 1  # the whole one is recovered


def test_a_whole_reply_given_as_json_text_is_checked_whole():
    cut = Reply(stop_reason="tool_use", tool_json=TEXT[:CUT_IN_FIRST])
    assert interpret(cut, thinking=False).complete is False
    whole = Reply(stop_reason="tool_use", tool_json=TEXT)
    assert interpret(whole, thinking=False).complete is True


def test_a_whole_reply_with_its_summary_is_complete():
    got = interpret(Reply(stop_reason="tool_use", tool_input=FULL), thinking=False)
    assert got.complete is True and len(got.findings) == 5


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (Reply(stop_reason="max_tokens", tool_input=FULL, tool_json=TEXT), "output limit"),
        (Reply(stop_reason="refusal", text="no"), "refused"),
        (Reply(stop_reason="end_turn", text="looks fine"), "did not call"),
        (Reply(stop_reason="tool_use", tool_input=FULL, interrupted=True), "interrupted"),
        (Reply(tool_input=FULL, tool_json=TEXT, error=ApiError("stream broke")), "broke"),
    ],
)
def test_other_unfinished_replies_are_incomplete(reply, words):
    got = interpret(reply, thinking=False)
    assert got.complete is False and words in (got.reason or "")


def test_a_cut_json_answer_in_text_with_thinking_is_incomplete():
    text = "Here are the findings:\n```json\n" + TEXT[:CUT_IN_FIRST] + "\n```"
    got = interpret(Reply(stop_reason="end_turn", text=text), thinking=True)
    assert got.complete is False
    whole = "```json\n" + TEXT + "\n```"
    assert interpret(Reply(stop_reason="end_turn", text=whole), thinking=True).complete is True
