"""The streaming scanner: each element of the top-level ``findings`` array, once, as soon as it
is complete, whatever the pieces the JSON text arrives in."""

from __future__ import annotations

import json

import pytest
from bigpicture.core.reply.stream import FindingsScanner
from hypothesis import given, settings
from hypothesis import strategies as st

TRICKY = [
    {"path": "a.py", "quote": 'say("hi")', "message": 'a "quoted" word'},
    {"quote": "x = ']' + '[' + '}' + '{' + ',' + ':'"},
    {"quote": "ends with a backslash \\", "title": "\\"},
    {"quote": '\\"', "message": '\\\\"'},  # backslashes right before quotes
    {"title": "unicode: é 錯誤 😋 \u202e", "quote": "\u2028 line sep"},
    {"nested": {"deep": [[1, 2, {"k": "]"}], {"x": []}]}, "related": [{"path": "b"}]},
    {},
    {"path": "c.py", "fix": {"replacement": "a\n\tb\r\n"}, "confidence": 0.5, "n": -1.5e3},
]


def build(elements: list[str], *, before: str = "", after: str = ', "summary": "done"'):
    """``{before "findings": [e1, e2, ...] after}`` and where each element ends."""
    head = "{" + before + '"findings": ['
    text, ends = head, []
    for i, e in enumerate(elements):
        if i:
            text += ", "
        text += e
        ends.append(len(text))
    text += "]" + after + "}"
    return text, ends


def scan(pieces: list[str]) -> list[str]:
    s = FindingsScanner()
    out: list[str] = []
    for p in pieces:
        out += s.feed(p)
    assert s.count == len(out)
    return out


def elements_of(text: str) -> list[str]:
    return [json.dumps(e, ensure_ascii=False) for e in json.loads(text)["findings"]]


def test_whole_text_gives_every_element_verbatim():
    elements = [json.dumps(e, ensure_ascii=False) for e in TRICKY]
    text, _ = build(elements)
    assert scan([text]) == elements


@pytest.mark.parametrize("ascii_only", [False, True])
def test_a_cut_at_every_offset_gives_the_same_elements(ascii_only):
    elements = [json.dumps(e, ensure_ascii=ascii_only) for e in TRICKY]  # \\u escapes too
    text, _ = build(elements)
    for cut in range(len(text) + 1):
        assert scan([text[:cut], text[cut:]]) == elements, cut


def test_each_element_comes_out_when_its_last_character_arrives():
    elements = [json.dumps(e) for e in TRICKY]
    text, ends = build(elements)
    s = FindingsScanner()
    got: list[tuple[int, str]] = []
    for i, ch in enumerate(text):  # one character at a time
        got += [(i + 1, e) for e in s.feed(ch)]
    assert got == list(zip(ends, elements, strict=True))
    for k in range(len(text) + 1):  # and any prefix holds exactly the elements ended in it
        complete = [e for e, end in zip(elements, ends, strict=True) if end <= k]
        assert scan([text[:k]]) == complete, k


def test_pretty_printed_and_keys_around_the_array():
    doc = {
        "summary": 'first, with "findings": [1] inside',
        "meta": {"findings": [{"not": "these"}], "list": ["]"]},
        "findings": TRICKY,
        "after": [1, 2],
    }
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    got = scan([text])
    assert [json.loads(e) for e in got] == TRICKY
    assert all(text.count(e) == 1 for e in got)  # verbatim slices of the text
    assert scan(list(text)) == got


def test_a_key_written_with_escapes_is_still_the_key():
    text = '{"find\\u0069ngs": [{"a": 1}], "summary": "s"}'
    assert scan([text]) == ['{"a": 1}']


def test_scalar_and_malformed_elements_are_elements_too():
    text = '{"findings": [1, "two", null, true, {"a": 1}, [3], -2.5e1 ], "summary": ""}'
    assert scan([text]) == ["1", '"two"', "null", "true", '{"a": 1}', "[3]", "-2.5e1"]
    assert scan(list(text)) == scan([text])


def test_what_is_not_streamed():
    assert scan(['{"findings": []}']) == []
    assert scan(['{"findings": "[{\\"a\\": 1}]"}']) == []  # the array sent as a string
    assert scan(['[{"findings": [{"a": 1}]}]']) == []  # not an object
    assert scan(['{"summary": "only"}']) == []
    assert scan(['{"findings": [{"a": 1}, {"b": 2']) == ['{"a": 1}']  # cut: the last is not


def test_nothing_after_the_array_closes_and_memory_stays_small():
    s = FindingsScanner()
    big = json.dumps({"message": "m" * 10_000})
    s.feed('{"findings": [')
    for _ in range(50):
        assert s.feed(big + ",") == [big]
        assert len(s._buf) < 100  # only the text after the last element is kept
    assert s.feed(big[:5000]) == []
    assert len(s._buf) >= 5000  # the element being written is kept
    assert s.feed(big[5000:] + '], "summary": "s"}') == [big]
    assert s.done and s.feed(', "findings": [{"late": 1}]') == []


texts = st.text(st.characters(codec="utf-8"), max_size=30) | st.sampled_from(
    ['"', "\\", "\\\\", '\\"', "]}", "[{", ",:", "\\u00e9"]
)
leaves = st.none() | st.booleans() | st.integers() | texts
values = st.recursive(
    leaves, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3)
)
findings_lists = st.lists(st.dictionaries(texts, values, max_size=4) | values, max_size=6)


@settings(max_examples=300, deadline=None)
@given(
    items=findings_lists, cuts=st.lists(st.integers(min_value=0), max_size=8), ascii=st.booleans()
)
def test_any_json_in_any_pieces(items, cuts, ascii):
    doc = {"summary": "s", "findings": items, "z": {"findings": [0]}}
    text = json.dumps(doc, ensure_ascii=ascii)
    points = sorted({c % (len(text) + 1) for c in cuts})
    pieces = [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]
    got = scan(pieces)
    assert [json.loads(e) for e in got] == items
    assert got == elements_of(text) if not ascii else len(got) == len(items)
