"""The secret scan's multi-pattern prefilter: every rule's keywords found in one pass per
automaton (Aho-Corasick, ahocorasick-rs), over the UTF-8 bytes of the text.

The library's fast path (a SIMD "Teddy" prefilter, GB/s) holds only for up to ~56 needles
per automaton, of 3+ bytes, that are not frequent in text, so the needles are grouped:

* the name stems of assignments (``pass``, ``token``, ``key``, ``contrase``, ``senha`` ...),
  whose hits are frequent, on their own;
* the few short case-sensitive token prefixes (``SG.``, ``:AA``, ``://``, ``sk-`` ...);
* everything else (rare stems, provider keywords, token prefixes, the base64 form of token
  prefixes), sorted and cut into automata of ``MAX_NEEDLES``;
* the non-ASCII stems (``пароль``, ``密码`` ...), searched only in text that is not ASCII.

Name stems are searched as their lower-case, Capitalised and UPPER forms (rules list each
casing of their keywords), so the text is never lower-cased. A stem hit becomes an
assignment candidate only when an operator follows the name (``NAME_TAIL_BYTES``), and a
``key`` only right after a qualifier (``api_key``, ``privateKey``).

``find`` returns byte offsets; ``Offsets`` turns them into code-point offsets for text that
is not ASCII (decoding each stretch once, in order).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field

import ahocorasick_rs

from bigpicture.core.gather.secretscan.keyed import NAME_TAIL_BYTES
from bigpicture.core.gather.secretscan.rules import (
    KEY_QUALIFIERS,
    KEYWORD_STEMS,
    NON_ASCII_STEMS,
    Rule,
)

MAX_NEEDLES = 56  # per automaton of rare needles; measured best at 48-56 (see above)
ASSIGN = -1  # target of a name stem: an assignment candidate
ASSIGN_KEY = -2  # the same, only right after one of KEY_QUALIFIERS
_MATCHKIND = ahocorasick_rs.MatchKind.LeftmostLongest
_QUALIFIER_BEFORE = re.compile(
    b"|".join(q[::-1].encode() for q in sorted(KEY_QUALIFIERS, key=len, reverse=True))
)


def variants(word: str) -> set[str]:
    """The casings searched for a case-insensitive keyword."""
    return {word, word.lower(), word.capitalize(), word.upper()}


def b64_prefixes(keyword: str) -> list[str]:
    """The text that any base64 encoding starting with ``keyword`` starts with (the characters
    fully determined by it), in the standard and URL-safe alphabets."""
    raw = keyword.encode()
    enc = base64.b64encode(raw).decode()[: len(raw) * 8 // 6]
    out = {enc, enc.replace("+", "-").replace("/", "_")}
    return sorted(p for p in out if len(p) >= 4)


@dataclass
class Automaton:
    """One automaton and, per needle, what a hit triggers (rule indexes, or ASSIGN*)."""

    name: str
    needles: list[bytes]
    targets: list[list[int]]
    unicode_only: bool = False  # needles that are not ASCII: skipped for ASCII text
    stems_only: bool = False
    ac: ahocorasick_rs.BytesAhoCorasick = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.ac = ahocorasick_rs.BytesAhoCorasick(self.needles, matchkind=_MATCHKIND)
        self.stems_only = all(t[0] < 0 for t in self.targets)


@dataclass
class Hits:
    """What the prefilter found, in byte offsets."""

    candidates: list[int] = field(default_factory=list)  # name stems before an operator
    cli: list[int] = field(default_factory=list)  # name stems right after a "-"
    rules: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # rule -> hits


class Prefilter:
    def __init__(self, rules: list[Rule], base64_rule: int) -> None:
        groups: dict[str, dict[bytes, list[int]]] = {
            "stems": {},
            "short": {},
            "rare": {},
            "unicode": {},
        }

        def add(group: str, needle: str, target: int) -> None:
            key = needle.encode("utf-8")
            if not key.isascii():
                group = "unicode"
            elif group == "rare" and len(key) < 4:
                group = "short"
            targets = groups[group].setdefault(key, [])
            if target not in targets:
                targets.append(target)

        for stem in KEYWORD_STEMS + NON_ASCII_STEMS:
            for v in variants(stem):
                add("stems", v, ASSIGN_KEY if stem == "key" else ASSIGN)
        for i, r in enumerate(rules):
            for kw in r.keywords:
                add("rare", kw, i)
                if r.base64:
                    for pre in b64_prefixes(kw):
                        add("rare", pre, base64_rule)
        self.automata: list[Automaton] = []
        for name, needles in groups.items():
            items = sorted(needles.items())
            chunks = -(-len(items) // MAX_NEEDLES) if name == "rare" else 1
            size = max(1, -(-len(items) // max(1, chunks)))  # even chunks
            for i in range(0, len(items), size):
                chunk = items[i : i + size]
                self.automata.append(
                    Automaton(
                        name,
                        [n for n, _ in chunk],
                        [t for _, t in chunk],
                        unicode_only=name == "unicode",
                    )
                )

    def find(self, raw: bytes, ascii_text: bool) -> Hits:
        hits = Hits()
        for auto in self.automata:
            if ascii_text and auto.unicode_only:
                continue
            found = auto.ac.find_matches_as_indexes(raw)
            if not found:
                continue
            if auto.stems_only:
                _stems(raw, found, auto.targets, hits)
                continue
            rules = hits.rules
            for idx, s, e in found:
                for t in auto.targets[idx]:
                    if t < 0:
                        _stems(raw, [(idx, s, e)], auto.targets, hits)
                    else:
                        rules.setdefault(t, []).append((s, e))
        return hits


def _stems(
    raw: bytes, found: list[tuple[int, int, int]], targets: list[list[int]], hits: Hits
) -> None:
    tail = NAME_TAIL_BYTES.match
    qualified = _QUALIFIER_BEFORE.match
    candidates = hits.candidates
    for idx, s, e in found:
        if targets[idx][0] == ASSIGN_KEY:
            before = raw[max(0, s - 16) : s].lower()[::-1]
            if qualified(before, 1 if before[:1] in (b"_", b"-") else 0) is None:
                continue
        if tail(raw, e):
            candidates.append(s)
        elif s > 0 and raw[s - 1] == 45:  # "-"
            hits.cli.append(s)


class Offsets:
    """Byte offsets into the UTF-8 form of a text to code-point offsets. Cheapest when asked
    in increasing order (each stretch is decoded once)."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.b = 0
        self.c = 0

    def __call__(self, b: int) -> int:
        if b < self.b:
            self.b = self.c = 0
        self.c += len(self.raw[self.b : b].decode("utf-8", "surrogatepass"))
        self.b = b
        return self.c
