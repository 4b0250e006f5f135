"""The rule engine: a multi-pattern prefilter over the keywords of every rule, then each rule's
regular expression only in a window around its keywords' hits.

The keywords (``core.secret_rules``) are found with Aho-Corasick automata (ahocorasick-rs):
one pass per automaton over the text, or over an ASCII-lower-cased copy for the keywords that
are matched case-insensitively. An automaton stays fast (GB/s) only with a few dozen needles
of 4+ bytes, and when its needles are not both frequent and many, so the needles are split
into groups: the frequent name stems of assignments (``key``, ``token``, ``pass`` ...), the
case-insensitive provider keywords, the case-sensitive token prefixes, the few short ones
(``SG.``, ``:AA``, ``://``), and the base64 forms of token prefixes. ASCII text (almost all
source) is scanned as bytes; other text as ``str`` (the library maps offsets to code points).

A hit then costs a dictionary look-up and, for a rule, one regular-expression search in
``[start - rule.back, end + rule.span]`` (widened when a match reaches the window's end, so a
long token is never cut). The one rule without a literal anchor (Discord bot tokens) has a
cheap literal-led regular expression as its prefilter instead.

Everything appends ``(start, end, rule, report)`` spans; ``core.secrets`` applies them.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import ahocorasick_rs

from . import secret_keyed, secret_pem
from . import secret_values as sv
from .secret_rules import KEY_QUALIFIERS, KEYWORD_STEMS, NON_ASCII_STEMS, RULES, Rule

# Needles per automaton: the library's fast (SIMD, "Teddy") prefilter takes at most 64, and
# slows down as more of them share their first bytes with common text.
MAX_NEEDLES = 48
_MATCHKIND = ahocorasick_rs.MatchKind.LeftmostLongest


@dataclass
class CompiledRule:
    rule: Rule
    index: int
    rx: re.Pattern[str] | None
    rx_bytes: re.Pattern[bytes] | None = None  # the prefilter of an anchorless rule
    secret: str | int = 0  # the group to replace


@dataclass
class Automaton:
    """One Aho-Corasick automaton over UTF-8 bytes, and what each of its needles triggers."""

    name: str
    needles: list[bytes]
    lower: bool  # matched on the ASCII-lower-cased copy
    ascii_only: bool  # False: its needles are not ASCII, so ASCII text is not searched
    # per needle: (literal that must be at the hit, or b"", what to run)
    targets: list[list[tuple[bytes, str]]] = field(default_factory=list)
    assign_only: list[bool] = field(default_factory=list)  # targets == [(b"", ASSIGN)]
    ac: ahocorasick_rs.BytesAhoCorasick | None = None

    def build(self) -> None:
        self.ac = ahocorasick_rs.BytesAhoCorasick(self.needles, matchkind=_MATCHKIND)
        self.assign_only = [t == [(b"", ASSIGN)] for t in self.targets]


ASSIGN = "assign"  # target of the name stems: an assignment candidate
ASSIGN_KEY = "assign-key"  # the same, if one of KEY_QUALIFIERS comes right before
_QUALIFIER_BEFORE = re.compile(
    b"|".join(q[::-1].encode() for q in sorted(KEY_QUALIFIERS, key=len, reverse=True))
)


def _b64_prefixes(keyword: str) -> list[str]:
    """The base64 text that any base64 encoding starting with ``keyword`` starts with (the
    characters fully determined by it), standard and URL-safe alphabets."""
    raw = keyword.encode()
    full = len(raw) * 8 // 6
    enc = base64.b64encode(raw).decode()[:full]
    out = [enc]
    url = enc.replace("+", "-").replace("/", "_")
    if url != enc:
        out.append(url)
    return [p for p in out if len(p) >= 4]


class Engine:
    """The compiled rules and their automata (built once, see ``engine()``)."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.rules = [self._compile(i, r) for i, r in enumerate(rules)]
        self.by_id = {c.rule.id: c for c in self.rules}
        self.automata = self._automata()
        self.handlers: dict[str, Callable[..., None]] = {
            "regex": self._run_regex,
            "aws-pair": self._run_aws_pair,
            "pem": self._run_pem,
            "putty": self._run_putty,
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

    def _automata(self) -> list[Automaton]:
        groups: dict[str, dict[bytes, list[tuple[bytes, str]]]] = {
            k: {} for k in ("stems", "unicode", "lower", "exact", "short", "base64")
        }

        def add(group: str, needle: str, literal: str, what: str) -> None:
            key = needle.encode("utf-8")
            if group in ("stems", "unicode", "lower"):
                key = key.lower()  # as the haystack is lowered: ASCII letters only
            groups[group].setdefault(key, []).append((literal.encode("utf-8"), what))

        for stem in KEYWORD_STEMS:
            add("stems", stem, "", ASSIGN_KEY if stem == "key" else ASSIGN)
        for stem in NON_ASCII_STEMS:
            for variant in {stem, stem.capitalize(), stem.upper()}:
                add("unicode", variant, "", ASSIGN)
        for c in self.rules:
            r = c.rule
            for kw in r.keywords:
                stem = next((s for s in KEYWORD_STEMS if kw.lower().startswith(s)), None)
                if stem is not None and kw.lower() != stem:
                    # Checked at the hits of the stem it starts with: no needle of its own.
                    add("stems", stem, kw.lower() if not r.case_sensitive else kw, r.id)
                    continue
                group = "lower" if not r.case_sensitive else "exact" if len(kw) >= 4 else "short"
                add(group, kw, "", r.id)
            if r.base64:
                for kw in r.keywords:
                    for pre in _b64_prefixes(kw):
                        add("base64", pre, "", "base64-secret")
        out: list[Automaton] = []
        for name, needles in groups.items():
            items = sorted(needles.items())
            for i in range(0, len(items), MAX_NEEDLES):
                chunk = items[i : i + MAX_NEEDLES]
                auto = Automaton(
                    name=name,
                    needles=[n for n, _ in chunk],
                    lower=name in ("stems", "unicode", "lower"),
                    ascii_only=name != "unicode",
                    targets=[t for _, t in chunk],
                )
                auto.build()
                out.append(auto)
        return out

    # ----------------------------------------------------------------------- scanning

    def scan(self, text: str, spans: list, *, nested: bool = False) -> None:
        """Append the spans of every finding in ``text``. ``nested``: the text was decoded
        from a base64 blob (only token rules run, no base64 again)."""
        state = _State(text)
        ascii_text = text.isascii()
        raw = text.encode("ascii") if ascii_text else text.encode("utf-8", "surrogatepass")
        low = raw.lower()
        for auto in self.automata:
            if ascii_text and not auto.ascii_only:
                continue
            hits = auto.ac.find_matches_as_indexes(low if auto.lower else raw)  # type: ignore[union-attr]
            if hits:
                if not ascii_text:
                    hits = _to_code_points(raw, hits)
                self._dispatch(auto, hits, state, low if auto.lower else raw, spans, nested)
        for index in sorted(state.shapes):
            self._queue_shape(self.rules[index], raw, ascii_text, state)
        for index in sorted(state.pending):
            c = self.rules[index]
            matches = _matches(c, text, sorted(state.pending[index]))
            handler = self._run_aws_pair if c.rule.handler == "aws-pair" else self._run_regex
            handler(c, text, matches, spans)
        if state.candidates and not nested:
            state.candidates.sort()
            secret_keyed.find_assignments(text, state.candidates, spans)
        if state.cli and not nested:
            secret_keyed.find_cli_flags(text, state.cli, spans)
        for rule_id in sorted(state.once):
            c = self.by_id[rule_id]
            self.handlers[c.rule.handler](c, text, 0, 0, state, spans)

    def _dispatch(
        self, auto: Automaton, hits: list, state: _State, hay: bytes, spans: list, nested: bool
    ) -> None:
        """``hits``: (needle, start, end) in code points, with the byte offset of the start
        appended for text that is not ASCII (``hay`` is the searched bytes)."""
        text = state.text
        tail = secret_keyed.NAME_TAIL.match
        targets = auto.targets
        assign_only = auto.assign_only
        candidates = state.candidates
        for hit in hits:
            idx, s, e = hit[0], hit[1], hit[2]
            if assign_only[idx]:
                if tail(text, e):
                    candidates.append(s)
                elif s > 0 and text[s - 1] == "-":
                    state.cli.append(s)
                continue
            for literal, what in targets[idx]:
                if what == ASSIGN_KEY:
                    b = hit[3] if len(hit) > 3 else s
                    before = hay[max(0, b - 16) : b][::-1]
                    skip = 1 if before[:1] in (b"_", b"-") else 0
                    if _QUALIFIER_BEFORE.match(before, skip) is None:
                        continue
                    what = ASSIGN
                if what == ASSIGN:
                    if tail(text, e):
                        candidates.append(s)
                    elif s > 0 and text[s - 1] == "-":
                        state.cli.append(s)
                    continue
                if literal and not hay.startswith(literal, hit[3] if len(hit) > 3 else s):
                    continue
                c = self.by_id[what]
                if c.rule.handler in _WINDOWED:
                    state.pending.setdefault(c.index, []).append((s, e))
                elif not nested:
                    self.handlers[c.rule.handler](c, text, s, e, state, spans)

    # ----------------------------------------------------------------------- handlers

    def _run_regex(self, c: CompiledRule, text: str, matches: list, spans: list) -> None:
        for m in matches:
            group = c.secret if m.start(c.secret) >= 0 else 0  # an alternative without it
            if _value_ok(c.rule, m.group(group)):
                spans.append((m.start(group), m.end(group), c.rule.id, True))

    def _run_aws_pair(self, c: CompiledRule, text: str, matches: list, spans: list) -> None:
        for m in matches:
            spans.append((m.start(), m.end(), c.rule.id, True))
            _find_aws_secret_near(text, m.start(), spans)

    def _run_pem(
        self, c: CompiledRule, text: str, s: int, e: int, state: _State, spans: list
    ) -> None:
        if s or e:
            state.once.add(c.rule.id)  # once per text, after the hits
        else:
            secret_pem.find_private_keys(text, spans)

    def _run_putty(
        self, c: CompiledRule, text: str, s: int, e: int, state: _State, spans: list
    ) -> None:
        if s or e:
            state.once.add(c.rule.id)
        else:
            secret_pem.find_putty_keys(text, spans)

    def _run_base64(
        self, c: CompiledRule, text: str, s: int, e: int, state: _State, spans: list
    ) -> None:
        if s > 0 and text[s - 1] in _B64_CHARS:
            return  # inside a longer run: the token is not at its start
        m = _B64_RUN.match(text, s)
        if m is None:
            return
        decoded = _b64decode(m.group())
        if decoded is None:
            return
        inner: list = []
        self.scan(decoded, inner, nested=True)
        if inner:
            spans.append((m.start(), m.end(), c.rule.id, True))

    def _run_k8s(
        self, c: CompiledRule, text: str, s: int, e: int, state: _State, spans: list
    ) -> None:
        _find_k8s_secret_values(text, s, spans)

    def _run_shape(
        self, c: CompiledRule, text: str, s: int, e: int, state: _State, spans: list
    ) -> None:
        state.shapes.add(c.index)  # the whole text, once, after the hits

    def _queue_shape(self, c: CompiledRule, raw: bytes, ascii_text: bool, state: _State) -> None:
        assert c.rx_bytes is not None
        found = [(0, m.start(), m.end()) for m in c.rx_bytes.finditer(raw)]
        if found and not ascii_text:
            found = _to_code_points(raw, found)
        if found:
            state.pending.setdefault(c.index, []).extend((h[1], h[2]) for h in found)


_WINDOWED = ("regex", "aws-pair")


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
    for s, e in hits:
        pos = max(s - back, done, 0)
        hi = min(n, e + span + 1)
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


def _to_code_points(raw: bytes, hits: list) -> list:
    """Byte offsets of hits in UTF-8 ``raw`` to code-point offsets (in order, so each slice is
    decoded once); the byte offset of the start is kept as a fourth item."""
    out = []
    b = c = 0
    for idx, s, e in hits:
        if s < b:
            b = c = 0
        c += len(raw[b:s].decode("utf-8", "surrogatepass"))
        ce = c + len(raw[s:e].decode("utf-8", "surrogatepass"))
        out.append((idx, c, ce, s))
        b = s
    return out


class _State:
    """What one scan has found so far."""

    __slots__ = ("candidates", "cli", "once", "pending", "shapes", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.candidates: list[int] = []
        self.cli: list[int] = []
        self.pending: dict[int, list[tuple[int, int]]] = {}  # rule index -> keyword hits
        self.once: set[str] = set()
        self.shapes: set[int] = set()  # anchorless rules to run on the whole text


def _value_ok(rule: Rule, value: str) -> bool:
    if rule.check == "random":
        return sv.random_token(value, rule.min_entropy) and (
            not rule.mixed_case or sv.has_mixed_case(value)
        )
    if rule.check == "entropy":
        return sv.entropy(value) >= rule.min_entropy and (
            not rule.mixed_case or sv.has_mixed_case(value)
        )
    if rule.check == "password":
        return not sv.is_placeholder(value) and not _PORT_PATH.match(value)
    return True


_PORT_PATH = re.compile(r"\d{1,5}/")


# --------------------------------------------------------------------------- AWS pairs

_AWS_SECRET_IN_LINE = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_EOL = re.compile(r"\r\n|\r|\n")


def _find_aws_secret_near(text: str, pos: int, spans: list) -> None:
    """A 40-character secret access key on the same line as an access key id (looked for
    within 1 KiB either side, so a long line with many ids stays linear)."""
    lo = max(0, pos - 1024)
    hi = min(len(text), pos + 1024)
    line_start = max(lo, text.rfind("\n", lo, pos) + 1, text.rfind("\r", lo, pos) + 1)
    eol = _EOL.search(text, pos, hi)
    line_end = eol.start() if eol else hi
    for s in _AWS_SECRET_IN_LINE.finditer(text, line_start, line_end):
        value = s.group()
        if sv.has_mixed_case(value) and sv.random_token(value, 4.0):
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

_DOC_SEP = re.compile(r"^---[ \t]*$", re.M)
_DATA_BLOCK = re.compile(r"^(?P<ind>[ \t]*)(?:data|stringData):[ \t]*(?:#.*)?$", re.M)
_DATA_ITEM = re.compile(
    r"(?P<ind>[ \t]+)[\w.-]+:[ \t]*(?:(?P<q>[\"'])(?P<qv>[^\"'\r\n]*)(?P=q)|(?P<v>[^\s#][^\r\n#]*?))[ \t]*$"
)


def _find_k8s_secret_values(text: str, pos: int, spans: list) -> None:
    """Every value under ``data:``/``stringData:`` of the YAML document around ``pos``."""
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


_ENGINE: list[Engine] = []


def engine() -> Engine:
    if not _ENGINE:
        _ENGINE.append(Engine(RULES))
    return _ENGINE[0]
