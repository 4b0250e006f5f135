"""The rule engine: the prefilter finds every rule's keywords, then
each rule's regular expression runs only in a window around its keywords' hits, and the
assignment finder (``keyed``) only at name stems followed by an operator.

A rule hit costs one regular-expression search in ``[start - rule.back, end + rule.span]``
(widened when a match reaches the window's end, so a long token is never cut; and replaced by
one pass over the whole text when a rule's windows would cover much of it, so the cost stays
linear). The one rule without a literal anchor of its own (Discord bot tokens) runs a cheap
literal-led regular expression over a text that mentions Discord.

Everything appends ``(start, end, rule, report)`` spans; ``core.gather.secrets`` applies them.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass

from bigpicture.core.gather.secretscan import keyed, pem
from bigpicture.core.gather.secretscan import values as sv
from bigpicture.core.gather.secretscan.prefilter import Offsets, Prefilter
from bigpicture.core.gather.secretscan.rule_types import Span
from bigpicture.core.gather.secretscan.rules import RULES, Rule


@dataclass
class CompiledRule:
    rule: Rule
    index: int
    rx: re.Pattern[str] | None
    rx_bytes: re.Pattern[bytes] | None = None  # the prefilter of an anchorless rule
    secret: str | int = 0  # the group to replace


class Engine:
    """The compiled rules and their prefilter (built once, see ``engine()``)."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.rules = [self._compile(i, r) for i, r in enumerate(rules)]
        self.by_id = {c.rule.id: c for c in self.rules}
        self.prefilter = Prefilter(list(rules), self.by_id["base64-secret"].index)
        self.handlers: dict[str, _Handler] = {
            "regex": self._run_regex,
            "aws-pair": self._run_aws_pair,
            # whole-text finders: their keywords only say the text is worth the search
            "pem": lambda c, found, state, spans: pem.find_private_keys(state.text, spans),
            "putty": lambda c, found, state, spans: pem.find_putty_keys(state.text, spans),
            "base64": self._run_base64,
            "k8s": self._run_k8s,
            "shape": self._run_shape,
        }

    @staticmethod
    def _compile(index: int, rule: Rule) -> CompiledRule:
        rx = re.compile(rule.regex) if rule.regex else None
        secret: str | int = "secret" if rx is not None and "secret" in rx.groupindex else 0
        pre = re.compile(rule.prefilter.encode()) if rule.prefilter else None
        return CompiledRule(rule, index, rx, pre, secret)

    def scan(self, text: str, spans: list[Span], *, nested: bool = False) -> None:
        """Append the spans of every finding in ``text``. ``nested``: the text was decoded
        from a base64 blob (only token rules run, no base64 again)."""
        ascii_text = text.isascii()
        raw = text.encode("ascii") if ascii_text else text.encode("utf-8", "surrogatepass")
        hits = self.prefilter.find(raw, ascii_text)
        state = _State(text, raw, ascii_text)
        to_char = None if ascii_text else Offsets(raw)
        for index in sorted(hits.rules):
            c = self.rules[index]
            if nested and c.rule.handler not in _TOKEN_HANDLERS:
                continue
            found = sorted(hits.rules[index])
            if to_char is not None:
                found = [(to_char(s), to_char(e)) for s, e in found]
            self.handlers[c.rule.handler](c, found, state, spans)
        if nested:
            return
        candidates, cli = hits.candidates, hits.cli
        if to_char is not None:
            candidates = [to_char(b) for b in sorted(candidates)]
            cli = [to_char(b) for b in sorted(cli)]
        if candidates:
            candidates.sort()
            keyed.find_assignments(text, candidates, spans)
        if cli:
            keyed.find_cli_flags(text, cli, spans)

    # ----------------------------------------------------------------------- handlers

    def _run_regex(self, c: CompiledRule, found: _Hits, state: _State, spans: list[Span]) -> None:
        text = state.text
        for m in _matches(c, text, found):
            group = c.secret if m.start(c.secret) >= 0 else 0  # an alternative without it
            if _value_ok(c.rule, m.group(group)):
                spans.append((m.start(group), m.end(group), c.rule.id, True))

    def _run_aws_pair(
        self, c: CompiledRule, found: _Hits, state: _State, spans: list[Span]
    ) -> None:
        text = state.text
        for m in _matches(c, text, found):
            if not sv.is_fake_token(m.group()):
                spans.append((m.start(), m.end(), c.rule.id, True))
                _find_aws_secret_near(text, m.start(), spans)

    def _run_base64(self, c: CompiledRule, found: _Hits, state: _State, spans: list[Span]) -> None:
        text = state.text
        for s, _ in found:
            if s > 0 and text[s - 1] in _B64_CHARS:
                continue  # inside a longer run: the token is not at its start
            m = _B64_RUN.match(text, s)
            decoded = _b64decode(m.group()) if m is not None else None
            if m is None or decoded is None:
                continue
            inner: list[Span] = []
            self.scan(decoded, inner, nested=True)
            if inner:
                spans.append((m.start(), m.end(), c.rule.id, True))

    def _run_k8s(self, c: CompiledRule, found: _Hits, state: _State, spans: list[Span]) -> None:
        text = state.text
        done = -1
        for s, _ in found:
            if s > done:
                done = _find_k8s_secret_values(text, s, spans)

    def _run_shape(self, c: CompiledRule, found: _Hits, state: _State, spans: list[Span]) -> None:
        """An anchorless rule: its literal-led prefilter over the whole text, once."""
        assert c.rx_bytes is not None
        shapes = [(m.start(), m.end()) for m in c.rx_bytes.finditer(state.raw)]
        if shapes and not state.ascii_text:
            to_char = Offsets(state.raw)
            shapes = [(to_char(s), to_char(e)) for s, e in shapes]
        if shapes:
            self._run_regex(c, shapes, state, spans)


_TOKEN_HANDLERS = ("regex", "aws-pair")


def _matches(c: CompiledRule, text: str, hits: list[tuple[int, int]]) -> list[re.Match[str]]:
    """The matches of ``c``'s regular expression in windows around its keyword hits
    ``[start - back, end + span]``, each found once. A match reaching a window's end widens
    the window, so a long token is never cut. When the windows would cover much of the text
    (a frequent keyword), one pass over the whole text instead: the cost stays linear."""
    assert c.rx is not None
    n = len(text)
    back, span = c.rule.back, c.rule.span
    if len(hits) * (back + span) >= n // 2:
        return list(c.rx.finditer(text))
    out: list[re.Match[str]] = []
    done = 0
    requires = c.rule.requires
    for s, e in hits:
        pos = max(s - back, done, 0)
        hi = min(n, e + span + 1)
        if requires and text.find(requires, e, hi) < 0:
            continue
        while pos < hi:
            m = c.rx.search(text, pos, hi)
            if m is None:
                break
            if m.end() >= hi - 1 and hi < n:
                hi = min(n, hi + max(256, hi - pos))
                continue
            out.append(m)
            pos = done = m.end() if m.end() > m.start() else m.start() + 1
    return out


class _State:
    """The text of one scan, in the forms the handlers need."""

    __slots__ = ("ascii_text", "raw", "text")

    def __init__(self, text: str, raw: bytes, ascii_text: bool) -> None:
        self.text = text
        self.raw = raw
        self.ascii_text = ascii_text


_Hits = list[tuple[int, int]]  # a rule's keyword hits, as code-point (start, end)
# A rule's handler: (the rule, its hits, the text of the scan, the spans to append to).
_Handler = Callable[[CompiledRule, _Hits, _State, list[Span]], None]


def _value_ok(rule: Rule, value: str) -> bool:
    if sv.is_fake_token(value):
        return False
    if rule.check == "random":
        return sv.random_token(value, rule.min_entropy) and (
            not rule.mixed_case or sv.has_mixed_case(value)
        )
    if rule.check == "entropy":
        return sv.entropy(value) >= rule.min_entropy and (
            not rule.mixed_case or sv.has_mixed_case(value)
        )
    if rule.check == "keyed-password":
        return sv.password_value_ok(value)
    if rule.check == "password":
        return not sv.is_placeholder(value) and not _PORT_PATH.match(value)
    return True


_PORT_PATH = re.compile(r"\d{1,5}/")


# --------------------------------------------------------------------------- AWS pairs

_AWS_SECRET_IN_LINE = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_EOL = re.compile(r"\r\n|\r|\n")


def _find_aws_secret_near(text: str, pos: int, spans: list[Span]) -> None:
    """A 40-character secret access key on the same line as an access key id (looked for
    within 1 KiB either side, so a long line with many ids stays linear)."""
    lo = max(0, pos - 1024)
    hi = min(len(text), pos + 1024)
    line_start = max(lo, text.rfind("\n", lo, pos) + 1, text.rfind("\r", lo, pos) + 1)
    eol = _EOL.search(text, pos, hi)
    line_end = eol.start() if eol else hi
    for s in _AWS_SECRET_IN_LINE.finditer(text, line_start, line_end):
        value = s.group()
        if sv.has_mixed_case(value) and sv.random_token(value, 4.0) and not sv.is_fake_token(value):
            spans.append((s.start(), s.end(), "aws-secret-key", True))


# --------------------------------------------------------------------------- base64

_B64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_")
_B64_RUN = re.compile(r"[A-Za-z0-9+/_-]{16,8192}={0,2}")


def _b64decode(blob: str) -> str | None:
    body = blob.rstrip("=")
    body += "=" * (-len(body) % 4)
    try:
        if "-" in body or "_" in body:
            raw = base64.urlsafe_b64decode(body)
        else:
            raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


# --------------------------------------------------------------------------- Kubernetes

# Each may start with a diff marker (a manifest in a patch).
_DOC_SEP = re.compile(r"^[+ -]?---[ \t]*$", re.M)
_DATA_BLOCK = re.compile(r"^[+ -]?(?P<ind>[ \t]*)(?:data|stringData):[ \t]*(?:#.*)?$", re.M)
_DATA_ITEM = re.compile(
    r"[+ -]?(?P<ind>[ \t]+)[\w.-]+:[ \t]*(?:(?P<q>[\"'])(?P<qv>[^\"'\r\n]*)(?P=q)|(?P<v>[^\s#][^\r\n#]*?))[ \t]*$"
)


def _find_k8s_secret_values(text: str, pos: int, spans: list[Span]) -> int:
    """Every value under ``data:``/``stringData:`` of the YAML document around ``pos``;
    returns where that document ends."""
    starts = [m.end() for m in _DOC_SEP.finditer(text, 0, pos)]
    lo = starts[-1] if starts else 0
    nxt = _DOC_SEP.search(text, pos)
    hi = nxt.start() if nxt else len(text)
    for block in _DATA_BLOCK.finditer(text, lo, hi):
        indent = len(block.group("ind"))
        line_pos = block.end()
        first = True
        while line_pos < hi:
            eol = _EOL.match(text, line_pos)
            if eol is None:
                break
            start = eol.end()
            nl = _EOL.search(text, start, hi)
            end = nl.start() if nl else hi
            m = _DATA_ITEM.fullmatch(text, start, end)
            if m is None or len(m.group("ind")) <= indent:
                break
            group = "qv" if m.group("qv") is not None else "v"
            value = m.group(group)
            if value and not sv.is_placeholder(value) and value not in ("|", ">", "|-", ">-"):
                spans.append((m.start(group), m.end(group), "kubernetes-secret", first))
                first = False
            line_pos = end
    return hi


_ENGINE: list[Engine] = []


def engine() -> Engine:
    if not _ENGINE:
        _ENGINE.append(Engine(RULES))
    return _ENGINE[0]
