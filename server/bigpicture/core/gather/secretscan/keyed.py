"""Values assigned to names that say password or secret, in any of the usual syntaxes.

``find_assignments`` is given the offsets of keyword hits (``KEYWORD_STEMS`` of
``rules``, found by the prefilter) whose name is followed by an assignment
operator; it reads the whole name and its value (quoted, unquoted, after a type annotation,
``Bearer``/``Basic`` schemes, XML ``<password>v</password>`` and ``key="..." value="..."``,
``--flag value``) and appends the spans to redact. How a value is judged is in
``values``.
"""

from __future__ import annotations

import re

from bigpicture.core.gather.secretscan import values as sv
from bigpicture.core.gather.secretscan.rule_types import Span

# What must follow a keyword (in its name) for the hit to be a candidate: the rest of the
# name, a closing quote or bracket, a type, then an operator.
NAME_TAIL = re.compile(
    r"""[\w.$-]{0,200}+(?:\\?["'`])?\]?(?:[ \t]+(?:[Ss]tring|str|&str|\[\]byte|char\[\]))?"""
    r"""[ \t]*(?:[=!>]|:(?!:)|["'][ \t]+value[ \t]*=)"""
)
# The same on the UTF-8 bytes of the text (non-ASCII bytes count as name characters).
NAME_TAIL_BYTES = re.compile(
    NAME_TAIL.pattern.replace("[\\w.$-]", "[\\w\x80-\xff.$-]", 1).encode("latin-1")
)
# A command-line flag and its value after a space: --password 'x', --token=... is an "=".
_CLI_VALUE = re.compile(
    r"""(?P<name>[\w-]{0,40})[ \t]+(?:'(?P<sq>[^'\r\n]{1,256})'|"(?P<dq>[^"\r\n]{1,256})"|(?P<uq>[^\s'"`<>|;&-][^\s'"`<>|;&]{0,255}))"""
)
_KEYCHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.$-")
_AWS_SECRET_BODY = re.compile(r"[A-Za-z0-9/+]{40}")

# Tried at a keyword hit in the original text: the rest of the name, then the value.
_ASSIGN_AT = re.compile(
    r"""
    (?P<key>[\w.$-]{0,200}+)                  # rest of the name
    (?:\\?["'`])?\]?                          # closing quote of "key": / ['key'] / \"key\"
    (?:                                       # optional type annotation before "="
        [ \t]*:[ \t]*(?P<ann>[\w\[\]<>&.,|*?' ]{1,60}?)(?=[ \t]*=[^=>])
      | [ \t]+(?:string|String|str|&str|\[\]byte|char\[\])(?=[ \t]*=[^=>])
    )?
    [ \t]*
    (?P<op>:=|===?|!==?|=>|=|:(?!:)|>|(?<=["'][ \t])value[ \t]*=)
    [ \t]*
    (?:
        [rRbBuUfF]{0,2}\"\"\"(?P<tq>[^\r\n]{0,4096}?)\"\"\"
      | [rRbBuUfF]{0,2}"(?P<dq>(?:[^"\\\r\n]|\\[^\r\n]){0,4096}+)"
      | [rRbBuUfF]{0,2}'(?P<sq>(?:[^'\\\r\n]|\\[^\r\n]){0,4096}+)'
      | `(?P<bq>[^`\r\n]{0,4096}+)`
      | \\"(?P<eq>(?:[^"\\\r\n]|\\[^"\r\n]){0,4096}+)\\"
      | (?P<scheme>(?:[Bb]earer|[Bb]asic|[Tt]oken)[ \t]+)?(?P<uq>[^\s'"`<>]{1,4096}+)
    )
    """,
    re.VERBOSE,
)
_VALUE_GROUPS = ("tq", "dq", "sq", "bq", "eq")
# What may stand before a name at the start of a config line: indentation, a diff marker, a
# YAML list dash, a shell "export".
_CONFIG_LEAD = re.compile(r"[ \t+-]*(?P<export>(?:export|set|declare -x|ENV|ARG)[ \t]+)?")
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
# Outside shell/env/properties lines an unquoted value ends at a separator (or at the next
# parameter of a query string), and one holding an operator is an expression.
_VALUE_END = re.compile(r"[,;]|&(?=[A-Za-z_][\w.\[\]-]*=)")
_OPERATOR = re.compile(r"[?|\\]|&&|=>|[=!]=(?!=*$)")  # "==" at the end is base64 padding
_CALL_LIKE = re.compile(r"[A-Za-z_$][\w$.]*[(\[]")
_TOKENISH = re.compile(r"[A-Za-z0-9_+/=.-]+")
_ANN_SPLIT = re.compile(r"[\s,;|]+")


def _key_start(text: str, pos: int) -> int:
    lo = max(0, pos - 64)
    while pos > lo and (
        text[pos - 1] in _KEYCHARS or (text[pos - 1] > "\x7f" and text[pos - 1].isalnum())
    ):
        pos -= 1
    return pos


def find_assignments(text: str, candidates: list[int], spans: list[Span]) -> None:
    """``candidates``: sorted offsets of keyword hits followed by ``NAME_TAIL``."""
    done_until = -1
    match = _ASSIGN_AT.match
    for pos in candidates:
        if pos < done_until:
            continue
        m = match(text, pos)
        if m is None:
            continue
        done_until = m.end("key")
        key_start = _key_start(text, pos)
        rule = _rule_for_name(text, m, key_start)
        if rule is None:
            continue
        values = [_value_of(text, m, key_start)]
        ann = m.group("ann")
        if ann is not None:
            # "name: X = ..." is a type annotation in code, but X may be a value (YAML).
            first = _ANN_SPLIT.split(ann, 1)[0]
            if _TOKENISH.fullmatch(first):
                values.append((m.start("ann"), first, "code"))
        for start, value, kind in values:
            if len(value) < sv.MIN_PASSWORD_LEN or (kind == "code" and sv.is_code(value)):
                continue
            found = _judge(value, rule)
            if found is not None:
                spans.append((start, start + len(value), found, True))
                done_until = max(done_until, start + len(value))


def find_cli_flags(text: str, candidates: list[int], spans: list[Span]) -> None:
    """``--password value``: ``candidates`` are keyword hits right after a ``-``."""
    for pos in candidates:
        key_start = _key_start(text, pos)
        if not text.startswith("--", key_start) or (
            key_start > 0 and not text[key_start - 1].isspace()
        ):
            continue
        m = _CLI_VALUE.match(text, pos)
        if m is None:
            continue
        rule = sv.classify_key(text[key_start + 2 : m.end("name")])
        group = m.lastgroup
        if rule is None or group is None:
            continue
        value = m.group(group)
        if group == "uq" and sv.is_code(value):
            continue
        found = _judge(value, rule)
        if found is not None:
            spans.append((m.start(group), m.end(group), found, True))


def _rule_for_name(text: str, m: re.Match[str], key_start: int) -> str | None:
    if m.group("op") == ">" and (
        key_start == 0 or text[key_start - 1] != "<" or not text.startswith("</", m.end())
    ):
        return None  # ">" assigns only in <password>value</password>
    if m.group("op") == ":" and text.startswith("://", key_start - 3):
        return None  # the user of a URL (https://user:password@host): see connection-string
    key = text[key_start : m.end("key")]
    if m.group("op") == "=>" and key.strip("\"'").lower() == "pass":
        return None  # a match arm on the word: "pass" => Outcome::Pass
    return sv.classify_key(key)


def _judge(value: str, rule: str) -> str | None:
    """The rule a value assigned to a name of ``rule`` is redacted under, or None."""
    if rule == "password-assignment":
        return rule if sv.password_value_ok(value) else None
    if not sv.generic_value_ok(value):
        return None
    if len(value) == 40 and _AWS_SECRET_BODY.fullmatch(value) and sv.has_mixed_case(value):
        return "aws-secret-key"
    return rule


def _value_of(text: str, m: re.Match[str], key_start: int) -> tuple[int, str, str]:
    """(offset, value, kind) of the value an ``_ASSIGN_AT`` match assigns. ``kind`` is
    "literal" for a quoted value or a shell/env/properties one (``export X=v``, ``X=v`` at the
    start of a line), and "code" for any other unquoted value, which may be an expression."""
    for group in _VALUE_GROUPS:
        value = m.group(group)
        if value is not None:
            start = m.start(group)
            scheme = sv.AUTH_SCHEME.match(value)
            if scheme:  # "Bearer <token>": the token is the secret
                return start + scheme.end(), value[scheme.end() :], "literal"
            return start, value, "literal"
    start, value = m.start("uq"), m.group("uq")
    lo = max(0, key_start - 120)
    line_start = max(text.rfind("\n", lo, key_start), text.rfind("\r", lo, key_start)) + 1
    lead = _CONFIG_LEAD.fullmatch(text, line_start if line_start else lo, key_start)
    at_line_start = lead is not None and not (line_start == 0 and lo > 0)
    if (
        lead is not None
        and at_line_start
        and (lead.group("export") or (m.group("op") == "=" and text[m.end("key") : start] == "="))
    ):
        # Shell, .env, .properties, .ini: the whole word is the value, whatever it holds,
        # unless it is a call or a subscript (a keyword argument on a line of its own).
        value = value.rstrip(",;")
        if _CALL_LIKE.match(value):
            return start, "", "code"
        return start, value, "literal"
    # YAML, a line of code, a URL, a command line, minified code.
    value = _VALUE_END.split(value, 1)[0].rstrip(")]}")
    if _OPERATOR.search(value):
        return start, "", "code"
    if (
        at_line_start
        and m.group("op") == ":"
        and _ENV_NAME.fullmatch(text, key_start, m.end("key"))
    ):
        # "DB_PASSWORD: value" (a CI or compose environment block): a literal unless it reads
        # as a type or an expression (pydantic settings declare "DB_PASSWORD: SecretStr").
        return start, value, ("code" if sv.CODE_LIKE.fullmatch(value) else "literal")
    return start, value, "code"
