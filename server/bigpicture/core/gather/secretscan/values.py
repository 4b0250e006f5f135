"""Whether a value is a secret, and whether a name says its value is one.

Used by the assignment finder (``keyed``) and the rule engine
(``engine``); the thresholds are explained in ``core.gather.secrets``' docstring and each
is pinned by a test in ``tests/core/gather/test_secrets.py``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

from bigpicture.core.gather.secretscan.rules import KEY_QUALIFIERS, PASSWORD_WORDS, SECRET_WORDS


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


MIN_PASSWORD_LEN = 6
_MIN_GENERIC_LEN = 12
MIN_ENTROPY = 3.0  # bits per character, see the module docstring
_MIN_HEX_ENTROPY = 2.5  # hex has 16 symbols: a random 12-character hex string averages 3.0
_HEX = re.compile(r"[0-9a-fA-F]+")

_DUMMY_WORDS = _wordset(
    """
    password passwd pass pwd secret token key apikey none null nil true false undefined
    admin root user username guest default public private string str bytes int
    foo bar baz qux foobar hunter2 letmein qwerty abc abc123 123 1234 12345 123456
    """
)
_DUMMY_PARTS = (
    "changeme",
    "password",
    "passwd",
    "change_me",
    "change-me",
    "changeit",
    "example",
    "placeholder",
    "your_",
    "your-",
    "yourpass",
    "yoursecret",
    "yourtoken",
    "yourkey",
    "dummy",
    "redacted",
    "sample",
    "fake",
    "mock",
    "replace",
    "insert",
    "todo",
    "fixme",
    "xxxx",
    "****",
    "test",
    "secret_here",
    "token_here",
    "key_here",
)
_INTERPOLATION = re.compile(r"\$\{|\{\{|#\{|\{%|\{[A-Za-z_][\w.\[\]'\"]*\}|\{\d+\}")
_PLACEHOLDER = re.compile(
    r"""
      <[^<>]*>                        # <your-key>, <redacted:...>
    | \$[A-Z_][A-Z0-9_]*              # $ENV_VAR
    | \$\(.*\)                        # $(command)
    | %(?:\(\w+\))?[sdr]              # %s, %(name)s
    | %[A-Za-z_]\w*%                  # %VAR%
    | @\w+@                           # @maven.placeholder@
    | [xX*.#?_\-\u2022]+              # xxxx, ****, ..., ____
    | (.)\1*                          # one repeated character
    """,
    re.VERBOSE | re.DOTALL,
)
CODE_LIKE = re.compile(
    r"""
      .*[()\[\]{}].*                               # a call, subscript, literal collection
    | [!+-]{0,2}[A-Za-z_$][\w$]*(?:\??\.[A-Za-z_$][\w$]*)+  # a dotted name: self.token, !!a?.b
    | [!+-]{0,2}[A-Za-z_$][A-Za-z_$]*\??\.[A-Za-z_$].*   # member access, then more: r.n/3
    | [A-Za-z_$][A-Za-z$]*\d*(?:_+[A-Za-z$]*\d*)+  # a snake_case name: new_password2
    | [A-Za-z_$][A-Za-z_$]*                        # a name without digits: str, SecretStr
    | [+-]?(?:\d[\d_]*(?:\.\d*)?(?:[eE][+-]?\d+)?|0[xX][\da-fA-F_]+|0[bBoO][\d_]+)[lLuUfFnN]*
                                                  # a number: 12, 1.5e3, 0x0B96, 10n
    | [!*&][\w.-]+                                 # YAML !tag, *alias, &anchor
    """,
    re.VERBOSE | re.DOTALL,
)
# A regular expression rather than a value: a character class with a range, \d \w \s, (?...
_REGEX_LIKE = re.compile(r"\[\^|\[[^\]]{0,30}?\w-\w|\\[dwsDWSbB]|\(\?")
_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_MIN_WORDY = 3.5  # average letters per camel-case word of a name, see is_wordy
_MIN_VOWELS = 0.25
_SEPARATED_WORDS = re.compile(r"[A-Za-z]{2}[._:/-][A-Za-z]{2}")
# Expression syntax that no random token contains (Django-style keys may hold ( ) but not these).
_CODE_SYNTAX = re.compile(r"[;{}<>,\[\]|]|=>")
_PATH_LIKE = re.compile(r"(?:~|\.{1,2})?(?:/[\w.@-]+)+/?|[A-Za-z]:\\[\w.\\ -]*")
AUTH_SCHEME = re.compile(r"(?:Bearer|Basic|Token|Digest|bearer|basic|token)[ \t]+(?=\S)")


def entropy(value: str) -> float:
    """Shannon entropy of ``value`` in bits per character."""
    n = len(value)
    if n == 0:
        return 0.0
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def char_classes(value: str) -> int:
    lower = upper = digit = other = 0
    for ch in value:
        if ch.isdigit():
            digit = 1
        elif ch.islower():
            lower = 1
        elif ch.isupper():
            upper = 1
        else:
            other = 1
    return lower + upper + digit + other


def is_placeholder(value: str) -> bool:
    if not value.strip():
        return True
    if _PLACEHOLDER.fullmatch(value) or _INTERPOLATION.search(value) or _REGEX_LIKE.search(value):
        return True
    low = value.lower()
    if low in _DUMMY_WORDS:
        return True
    return any(part in low for part in _DUMMY_PARTS)


def is_code(value: str) -> bool:
    """An unquoted value that reads as code (or YAML syntax), not as a literal."""
    if CODE_LIKE.fullmatch(value):
        return True
    # A name such as ``previousToken2`` or ``Base64URLString`` (but not an all-capitals
    # base32 token, which also breaks into long runs).
    return bool(_IDENTIFIER.fullmatch(value)) and not value.isupper() and is_wordy(value)


def is_wordy(value: str) -> bool:
    """Made of a few words (``sha256_token_to_refresh``, ``chat.hasByokModels.lastKnown``,
    ``previousToken2``): at most one group of digits, letters in runs of 3.5 or more on average
    once split at case changes, and either separators between the words or vowels in them as
    in words (at least 25%; random letters have about 19%). A random token has digits all
    through it, changes case every character or two, or has too few vowels."""
    pieces = _CAMEL.findall(value)
    words = [p for p in pieces if not p[0].isdigit()]
    if not words or len(pieces) - len(words) > 1:
        return False
    letters = sum(map(len, words))
    if letters < _MIN_WORDY * len(words):
        return False
    if _SEPARATED_WORDS.search(value):
        return True
    vowels = sum(1 for w in words for ch in w if ch in "aeiouAEIOU")
    return vowels >= _MIN_VOWELS * letters


def is_prose(value: str) -> bool:
    """A message, not a secret: several spaces, or mostly non-ASCII letters (translations)."""
    if value.count(" ") >= 2:
        return True
    non_ascii = sum(1 for ch in value if ord(ch) > 127)
    return non_ascii * 10 > len(value) * 3


def password_value_ok(value: str) -> bool:
    if len(value) < MIN_PASSWORD_LEN or is_placeholder(value) or is_prose(value):
        return False
    if _PATH_LIKE.fullmatch(value) or _DOTTED_NUMBERS.fullmatch(value) or "://" in value:
        return False
    return len(value) >= 10 or char_classes(value) >= 2 or entropy(value) >= MIN_ENTROPY


def generic_value_ok(value: str) -> bool:
    if len(value) < _MIN_GENERIC_LEN or not value.isascii() or is_placeholder(value):
        return False
    if any(ch.isspace() for ch in value) or "://" in value or _CODE_SYNTAX.search(value):
        return False
    if is_wordy(value):
        return False
    has_digit = any(ch.isdigit() for ch in value)
    if has_digit and _HEX.fullmatch(value):
        return any(ch.isalpha() for ch in value) and entropy(value) >= _MIN_HEX_ENTROPY
    if not has_digit and not (len(value) >= 16 and has_mixed_case(value)):
        return False
    return any(ch.isalpha() for ch in value) and entropy(value) >= MIN_ENTROPY


def random_token(value: str, min_entropy: float = MIN_ENTROPY) -> bool:
    """A token body that looks machine-made: letters and digits, high entropy."""
    has_digit = has_alpha = False
    for ch in value:
        if ch.isdigit():
            has_digit = True
        elif ch.isalpha():
            has_alpha = True
    return has_digit and has_alpha and entropy(value) >= min_entropy


# A documented example token (AKIAIOSFODNN7EXAMPLE) or one masked with x's or zeros.
_FAKE_TOKEN = re.compile(r"(?i:example)|[xX]{6}|0{8}|\*{4}")


def is_fake_token(value: str) -> bool:
    return _FAKE_TOKEN.search(value) is not None


def has_mixed_case(value: str) -> bool:
    return any(ch.isupper() for ch in value) and any(ch.islower() for ch in value)


# An OID or a version (1.2.840.113549.1.9.7, 3.11.2): digits and dots are never a password.
_DOTTED_NUMBERS = re.compile(r"\d+(?:\.\d+)+")


# --------------------------------------------------------------------------- key names

_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
# Names whose last word says the value is *about* a secret, not the secret.
_NOT_SECRET_LAST_WORD = _wordset(
    """
    id ids type types kind url urls uri uris endpoint endpoints path paths file files filename
    dir directory name names env var variable header headers prefix suffix length len size
    count limit max min ttl expiry expires expiration expire timeout format fmt pattern regex
    re label hint field fields column col policy scope scopes mode version hash hashed hasher
    index idx location region method algorithm alg class cls enabled enable required
    placeholder help description desc doc docs message msg error errors text title prompt
    validator validators reset confirm confirmation rules strength input widget attr attribute
    param params arg args option options flag flags template store storage manager
    provider service handler callback getter setter factory source sources func function fn
    """
)
_KEY_AFTER_QUALIFIER = re.compile("(?:" + "|".join(KEY_QUALIFIERS) + ")key")
_PASSWORD_NAME = re.compile("|".join(map(re.escape, PASSWORD_WORDS)))
_SECRET_NAME = re.compile("|".join(map(re.escape, SECRET_WORDS)))
_NAME_SPLIT = re.compile(r"[^A-Za-z0-9]+")
_NOT_WORD = re.compile(r"[\W_]+")


def key_words(key: str) -> list[str]:
    """``self.dbPassword`` -> ["db", "password"]: the last dotted part, split into words."""
    last = key.rsplit(".", 1)[-1]
    words: list[str] = []
    for chunk in _NAME_SPLIT.split(last):
        words.extend(w.lower() for w in _CAMEL.findall(chunk))
    return words


@lru_cache(maxsize=8192)
def classify_key(key: str) -> str | None:
    """The rule a value assigned to ``key`` falls under, or None if the name is not secret.
    Names repeat (``token``, ``self.key``), so the answers are cached."""
    words = key_words(key)
    if words and words[-1] in _NOT_SECRET_LAST_WORD:
        return None
    flat = _NOT_WORD.sub("", key.rsplit(".", 1)[-1].lower())
    if not flat:
        return None
    if _PASSWORD_NAME.search(flat) or (words and words[-1] == "pass") or "passe" in words:
        return "password-assignment"
    if "tokeniz" in flat or ("author" in flat and "authoriz" not in flat):
        return None
    if (
        _SECRET_NAME.search(flat)
        or _KEY_AFTER_QUALIFIER.search(flat)
        or "auth" in flat
        or "creds" in words
        or "cred" in words
    ):
        return "generic-secret-assignment"
    return None
