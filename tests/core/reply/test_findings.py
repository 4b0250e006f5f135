"""The report_findings contract: schema generation, tolerant decoding, sanitizing."""

from __future__ import annotations

import json
import unicodedata

import jsonschema
import pytest
from bigpicture.core.errors import IncompleteReview
from bigpicture.core.reply import findings
from bigpicture.core.reply.findings import (
    TOOL_NAME,
    ReplyFormatError,
    decode_text_reply,
    decode_tool_input,
    sanitize_block,
    sanitize_inline,
    tool_definition,
)
from hypothesis import given, settings
from hypothesis import strategies as st


def good(**over):
    item = {
        "path": "src/app.py",
        "line": 12,
        "quote": "cur.execute(q)",
        "severity": "high",
        "category": "security",
        "title": "SQL built from request input",
        "message": "The query is built by concatenation.\nUse parameters.",
    }
    item.update(over)
    return item


# --------------------------------------------------------------------------- schema


def _walk(node):
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_tool_definition_shape():
    tool = tool_definition()
    assert tool["name"] == TOOL_NAME == "report_findings"
    assert set(tool) == {"name", "description", "input_schema"}
    schema = tool["input_schema"]
    assert schema["type"] == "object"
    assert schema["required"] == ["findings", "summary"]  # the summary, last, marks a whole reply
    item = schema["properties"]["findings"]["items"]
    assert item["required"] == [
        "path",
        "line",
        "quote",
        "severity",
        "category",
        "title",
        "message",
        "confidence",  # asked of every finding; the code filters on it (minConfidence)
    ]
    assert set(item["properties"]) >= {
        "end_line",
        "fix",
        "cwe",
        "related",
        "confidence",
        "origin",
        "ref",
    }
    assert item["properties"]["origin"]["enum"] == ["introduced", "pre-existing"]
    assert list(schema["properties"]) == ["findings", "rejected", "summary"]  # summary last
    assert item["properties"]["severity"]["enum"] == ["critical", "high", "medium", "low", "info"]
    assert item["properties"]["category"]["enum"] == [
        "security",
        "architecture",
        "bug",
        "performance",
        "maintainability",
    ]


def test_schema_is_self_contained_and_closed():
    schema = tool_definition()["input_schema"]
    text = json.dumps(schema)
    assert "$ref" not in text and "$defs" not in text
    objects = [n for n in _walk(schema) if isinstance(n, dict) and n.get("type") == "object"]
    assert len(objects) == 5  # input, finding, fix, related, rejected (verification pass)
    for obj in objects:
        assert obj["additionalProperties"] is False
        assert set(obj["required"]) <= set(obj["properties"])
    # Optional fields are plain types, not "anyOf [X, null]".
    assert not any(isinstance(n, dict) and "anyOf" in n for n in _walk(schema))


def test_tool_definition_is_deterministic():
    assert json.dumps(tool_definition()) == json.dumps(tool_definition())


def test_schema_accepts_good_and_rejects_bad_input():
    validator = jsonschema.Draft7Validator(tool_definition()["input_schema"])
    full = good(
        end_line=13,
        fix={"replacement": "cur.execute(q, (x,))"},
        cwe="CWE-89",
        related=[{"path": "src/db.py", "line": 3, "quote": "def run(q):", "message": "sink"}],
        confidence=0.8,
    )
    validator.validate({"findings": [full], "summary": "one issue"})
    validator.validate({"findings": [], "summary": "nothing"})
    bad = [
        {"summary": "no list"},
        {"findings": []},  # no summary: a cut-off reply
        {"findings": [good(severity="urgent")]},
        {"findings": [good(cwe="89")]},
        {"findings": [good(line=0)]},
        {"findings": [good(confidence=1.5)]},
        {"findings": [{**good(), "extra": 1}]},
        {"findings": [{k: v for k, v in good().items() if k != "quote"}]},
    ]
    for doc in bad:
        assert not validator.is_valid(doc), doc


# --------------------------------------------------------------------------- decoding


def test_decode_full_finding():
    raw = {
        "findings": [
            good(
                end_line=13,
                fix={"replacement": "cur.execute(q, (x,))"},
                cwe="CWE-89",
                related=[
                    {"path": "src/db.py", "line": 3, "quote": "def run(q):", "message": "sink"}
                ],
                confidence=0.75,
            )
        ],
        "summary": "One issue.",
    }
    (f,), summary, malformed = decode_tool_input(raw)
    assert (summary, malformed) == ("One issue.", 0)
    assert f.path == "src/app.py" and f.line == 12 and f.end_line == 13
    assert f.quote == "cur.execute(q)"
    assert (f.severity, f.category, f.cwe, f.confidence) == ("high", "security", "CWE-89", 0.75)
    assert f.fix is not None and f.fix.replacement == "cur.execute(q, (x,))"
    assert f.related[0].path == "src/db.py" and f.related[0].message == "sink"
    assert f.id == "" and f.range is None


def test_decode_accepts_json_text_and_bytes():
    doc = {"findings": [good()], "summary": "s"}
    for raw in (json.dumps(doc), json.dumps(doc).encode()):
        got, summary, malformed = decode_tool_input(raw)
        assert len(got) == 1 and summary == "s" and malformed == 0


def test_one_malformed_finding_is_dropped_and_counted():
    raw = {
        "findings": [
            good(),
            good(severity="catastrophic"),
            {k: v for k, v in good().items() if k != "quote"},
            good(line=0),
            good(line="ten"),
            good(title="   "),
            good(quote="   \n"),
            good(path=""),
            "not an object",
            None,
            good(line=40),
        ]
    }
    got, _, malformed = decode_tool_input(raw)
    assert [f.line for f in got] == [12, 40]
    assert malformed == 9


def test_missing_findings_is_an_error_but_empty_is_valid():
    assert decode_tool_input({"findings": [], "summary": "clean"}) == ([], "clean", 0)
    assert decode_tool_input({"findings": []}) == ([], "", 0)
    for raw in ({"summary": "x"}, {"findings": None}, {"findings": {"a": 1}}, [], "[]", "nope{"):
        with pytest.raises(ReplyFormatError) as err:
            decode_tool_input(raw)
        assert isinstance(err.value, IncompleteReview)
        assert err.value.message


def test_findings_sent_as_a_json_string_are_accepted():
    got, _, _ = decode_tool_input({"findings": json.dumps([good()])})
    assert len(got) == 1


def test_lenient_required_fields():
    (f,), _, _ = decode_tool_input(
        {"findings": [good(severity=" HIGH ", category="Security", line="7", message=None)]}
    )
    assert (f.severity, f.category, f.line, f.message) == ("high", "security", 7, "")


def test_bad_optional_fields_are_dropped_not_the_finding():
    raw = {
        "findings": [
            good(
                end_line=3,  # before line 12
                cwe="SQL injection",
                confidence=7,
                fix={"replacement": 42},
                related=[
                    {"path": "a.py", "line": 1, "quote": "x"},
                    {"path": "a.py"},
                    "junk",
                    {"path": "b.py", "line": "2", "quote": "y", "message": "m"},
                ],
            ),
            good(line=20, cwe="89", confidence=True, fix="plain replacement"),
            good(line=30, cwe="cwe-79", confidence=float("nan"), related="not a list"),
        ]
    }
    got, _, malformed = decode_tool_input(raw)
    assert malformed == 0
    a, b, c = got
    assert (a.end_line, a.cwe, a.confidence, a.fix) == (None, None, None, None)
    assert [(r.path, r.line) for r in a.related] == [("a.py", 1), ("b.py", 2)]
    assert (b.cwe, b.confidence, b.fix.replacement) == ("CWE-89", None, "plain replacement")
    assert (c.cwe, c.confidence, c.related) == ("CWE-79", None, [])


def test_fix_with_bidi_or_control_characters_is_refused():
    for evil in ("x = 1 \u202e# )", "a\x1b[2Jb", "y\u2066z", "q\x00"):
        (f,), _, _ = decode_tool_input({"findings": [good(fix={"replacement": evil})]})
        assert f.fix is None, repr(evil)
    ok = "if x:\r\n\treturn 1\n"
    (f,), _, _ = decode_tool_input({"findings": [good(fix={"replacement": ok})]})
    assert f.fix.replacement == ok


def test_quote_is_kept_verbatim():
    quote = "\tif user\u202e.is_admin:  \r\n  \u200bgo()"
    (f,), _, _ = decode_tool_input({"findings": [good(quote=quote)]})
    assert f.quote == quote


# --------------------------------------------------------------------------- sanitizing


def test_sanitize_removes_escapes_bidi_zero_width_and_controls():
    title = "\x1b[31mRed\x1b[0m \u202eevil\u202c \u2066iso\u2069 zero\u200bwidth\ufeff \x07bell\x00 \U000e0041tag\x9b1m"
    assert sanitize_inline(title) == "Red evil iso zerowidth bell tag"
    message = "line one\x1b]8;;http://evil\x07link\x1b]8;;\x07\r\nline two\u2028three\tend\x0c"
    assert sanitize_block(message) == "line onelink\nline two\nthree    end"
    assert sanitize_inline("a\nb\r\nc") == "a b c"


def test_decoded_text_fields_are_sanitized_and_capped():
    raw = {
        "findings": [
            good(
                title="\x1b[1m" + "T" * 500,
                message="M\u202e" * 5000,
                related=[{"path": "a", "line": 1, "quote": "q", "message": "\x1b[2Jhi"}],
            )
        ],
        "summary": "\x1b[31msum\u200b\nmary",
    }
    (f,), summary, _ = decode_tool_input(raw)
    assert (
        len(f.title) <= findings.TITLE_MAX and f.title.startswith("TTT") and f.title.endswith("…")
    )
    assert len(f.message) <= findings.MESSAGE_MAX and "\u202e" not in f.message
    assert f.related[0].message == "hi"
    assert summary == "sum\nmary"


def _json_values():
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**70), max_value=2**70)
        | st.floats(allow_nan=True, allow_infinity=True)
        | st.text(max_size=20)
    )
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=12,
    )


_KEYS = [
    "path",
    "line",
    "quote",
    "severity",
    "category",
    "title",
    "message",
    "end_line",
    "fix",
    "cwe",
    "related",
    "confidence",
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.dictionaries(st.sampled_from(_KEYS), _json_values()) | _json_values(), max_size=5)
)
def test_decoding_never_raises_on_arbitrary_findings(items):
    got, _, malformed = decode_tool_input({"findings": items})
    assert len(got) + malformed == len(items)
    for f in got:
        assert f.line >= 1 and f.title and f.quote.strip()
        assert f.end_line is None or f.end_line >= f.line
        assert f.confidence is None or 0 <= f.confidence <= 1


@settings(max_examples=300, deadline=None)
@given(
    st.text(st.characters(codec=None)) | st.text(alphabet="ab\x00\n\t\x7f\x85é\u200b\u202e\ud800")
)
def test_the_fast_filter_drops_exactly_what_the_per_character_rule_drops(text):
    from bigpicture.core.reply.findings import _drop_unsafe, _keep

    assert _drop_unsafe(text, keep_newline=False) == "".join(ch for ch in text if _keep(ch))
    assert _drop_unsafe(text, keep_newline=True) == "".join(
        ch for ch in text if ch == "\n" or _keep(ch)
    )


@given(st.text())
def test_sanitized_text_has_no_controls_or_format_characters(text):
    for out, allowed in ((sanitize_inline(text), ""), (sanitize_block(text), "\n")):
        for ch in out:
            assert ch in allowed or unicodedata.category(ch) not in ("Cc", "Cf", "Cs"), repr(ch)
        assert "\x1b" not in out
    assert "\n" not in sanitize_inline(text)


# --------------------------------------------------------------------------- text replies


def test_text_reply_in_a_fenced_block():
    text = (
        "I looked at {the code} and found one issue.\n\n```json\n"
        + json.dumps({"findings": [good()], "summary": "done"}, indent=2)
        + "\n```\nThat's all."
    )
    got, summary, malformed = decode_text_reply(text)
    assert len(got) == 1 and summary == "done" and malformed == 0


def test_text_reply_outermost_object_in_prose():
    doc = {"findings": [good(message='uses {braces} and "quotes"')], "summary": "s"}
    text = "Here is {not json}; the result: " + json.dumps(doc) + ' -- and {"other": 1}'
    (f,), summary, _ = decode_text_reply(text)
    assert f.message == 'uses {braces} and "quotes"' and summary == "s"


def test_text_reply_without_findings_is_an_error():
    for text in ("No issues found.", '{"summary": "clean"}', "```json\n{broken\n```", ""):
        with pytest.raises(ReplyFormatError):
            decode_text_reply(text)
    assert decode_text_reply('```\n{"findings": []}\n```') == ([], "", 0)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([*'{}[]":,` \njsonfindgs', "```json\n", '"findings"'])).map("".join)
)
def test_text_reply_parser_only_raises_reply_format_error(text):
    try:
        got, _, _ = decode_text_reply(text)
    except ReplyFormatError:
        return
    assert isinstance(got, list)


def test_text_reply_parser_is_bounded_on_hostile_text():
    import time

    hostile = '{"a": ' * 20_000 + "no end"
    start = time.perf_counter()
    with pytest.raises(ReplyFormatError):
        decode_text_reply(hostile)
    assert time.perf_counter() - start < 10


def test_deeply_nested_input_is_malformed_not_a_crash():
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(ReplyFormatError):
        decode_tool_input('{"findings": ' + deep + "}")
    got, _, malformed = decode_tool_input({"findings": [good(), json.loads("[" * 500 + "]" * 500)]})
    assert (len(got), malformed) == (1, 1)
