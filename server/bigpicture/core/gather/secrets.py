"""Find secret values in the text that will be sent, and replace them with placeholders.

``redact`` is called on exactly the text that leaves the machine: whole files, and unified
diff text with its removed (``-``) and context lines. A secret *value* becomes
``<redacted:RULE>``; the name, the quotes, the rest of the line and every line ending stay, so
the file is still reviewed and line numbers stay right. A private-key block keeps its BEGIN and
END lines and its line count, each body line replaced (also inside one JSON string with ``\\n``
escapes, and with diff markers and string quotes kept). Nothing of a value is kept: no prefix,
no suffix, no length.

Rules (ids in ``RULES``):

* Tokens with a fixed shape: AWS access key ids (AKIA/ASIA/ABIA/ACCA) and, on the same line,
  40-character secret keys; GitHub (ghp_ gho_ ghu_ ghs_ ghr_ github_pat_), Anthropic (sk-ant-),
  OpenAI (sk-, sk-proj-), Slack (xox?-, xapp-, hooks.slack.com paths), Stripe (sk_/rk_ live and
  test), Google (AIza), npm (npm_), PyPI (pypi-AgE), JWTs; each must also look machine-made
  (letters and digits, entropy), so ``sk-learn-compatible`` is left alone.
* ``private-key``: PEM/OpenSSH/PGP private-key blocks (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP,
  plain), with or without an END line.
* ``connection-string``: the password of ``scheme://user:password@host`` (postgres, mysql,
  mongodb+srv, redis, amqp, https ...), up to the last ``@``.
* ``password-assignment`` and ``generic-secret-assignment``: a value assigned to a name that
  says password (password, passwd, passphrase, pwd, a final ``pass``) or secret (secret, token,
  credential, auth, api/access/private/... key), in any of the usual syntaxes: ``=``, ``:``,
  ``:=``, ``=>``, ``==``, JSON and dict keys, type annotations, ``export X=``, XML elements.
  Names that are *about* a secret (``token_url``, ``password_field``, ``max_tokens``,
  ``tokenizer``, ``author``) are left alone.

When a keyed value counts as a secret (each choice is pinned by a test):

* Passwords: at least 6 characters, not a placeholder or a dummy word, not prose or a path,
  and two character classes, or 10+ characters, or entropy >= 3.0 bits per character.
  Passwords are often low-entropy, so there is no stronger entropy floor.
* Generic secrets: ASCII, at least 12 characters, no whitespace or expression syntax, not made
  of words, and Shannon entropy >= 3.0 bits per character (>= 2.5 for hex-only values: a
  random 12-character hex string averages 3.0, base62 3.4, and both grow with length, while
  ``abc123abc123`` has 2.6), with a digit (or, at 16+ characters, mixed case). Measured on
  random values keyed as ``API_TOKEN``: at 32 characters at most 0.3% are missed in any of hex,
  base62, base64, base32, lower-case alphanumeric and Django-style alphabets; at 20, < 4%.
* An unquoted value is judged by where it stands. On a shell/env/properties line
  (``export X=v``, ``X=v`` at the start of a line) it is a literal, whatever it holds. Anywhere
  else it may be code: it ends at ``,`` ``;`` or the next ``&name=``, and names, calls,
  member access, numbers and operators (``os.environ["X"]``, ``get_token()``,
  ``self.password``, ``previousToken2``, ``0x0B96``, ``a ?? b``) are not values.
* Placeholders are never secrets: empty, ``changeme``, ``<your-key>``, ``${VAR}``, ``$VAR``,
  ``{{ var }}``, ``%s``, ``xxxx``, ``****``, and values containing "example", "dummy", "test",
  "password" and the like.

How it stays fast (about 130 MB/s of source on one core, see ``bench/bench_secrets.py``):
CPython's regex engine scans for a pattern's leading literal in a tight C loop, but tries a
pattern that starts with a class or an alternation at nearly every position. So each pass
starts with one literal (``A``, ``gh``, ``x``, ``J``, ``://`` on the text; ``k``, ``p``, ``cre``,
``auth`` on a lower-cased copy, where related needles share a pass), keyword passes already
require an assignment operator after the name, and Python only sees real candidates. Every
pass consumes what it looked at, so pathological input stays linear.

Fail closed: any internal error raises ``SecretScanError``, whose message and detail never
hold text from the input.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import re
from collections import Counter
from importlib import resources

import msgspec

from bigpicture.core.errors import SecretScanError
from bigpicture.core.lines import line_starts

__all__ = ["RULES", "RedactionHit", "placeholder", "redact"]


class RedactionHit(msgspec.Struct, frozen=True):
    """One secret value that was replaced. The value itself is never kept."""

    line: int  # 1-based, lines split the LSP way (\n, \r\n, \r)
    rule: str


RULES: tuple[str, ...] = (
    "private-key",
    "aws-access-key",
    "aws-secret-key",
    "github-token",
    "anthropic-key",
    "openai-key",
    "slack-token",
    "slack-webhook",
    "stripe-key",
    "google-api-key",
    "npm-token",
    "pypi-token",
    "jwt",
    "connection-string",
    "password-assignment",
    "generic-secret-assignment",
)
# Lower index wins when two findings overlap.
_PRIORITY = {rule: i for i, rule in enumerate(RULES)}


def placeholder(rule: str) -> str:
    return f"<redacted:{rule}>"


# --------------------------------------------------------------------------- value judgement


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_MIN_PASSWORD_LEN = 6
_MIN_GENERIC_LEN = 12
_MIN_ENTROPY = 3.0  # bits per character, see the module docstring
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
_CODE_LIKE = re.compile(
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
_MIN_WORDY = 3.5  # average letters per camel-case word of a name, see _is_wordy
_MIN_VOWELS = 0.25
_SEPARATED_WORDS = re.compile(r"[A-Za-z]{2}[._:/-][A-Za-z]{2}")
# Expression syntax that no random token contains (Django-style keys may hold ( ) but not these).
_CODE_SYNTAX = re.compile(r"[;{}<>,\[\]|]|=>")
_PATH_LIKE = re.compile(r"(?:~|\.{1,2})?(?:/[\w.@-]+)+/?|[A-Za-z]:\\[\w.\\ -]*")
_AUTH_SCHEME = re.compile(r"(?:Bearer|Basic|Token|Digest|bearer|basic|token)[ \t]+(?=\S)")


def _entropy(value: str) -> float:
    """Shannon entropy of ``value`` in bits per character."""
    n = len(value)
    if n == 0:
        return 0.0
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def _char_classes(value: str) -> int:
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


def _is_placeholder(value: str) -> bool:
    if not value.strip():
        return True
    if _PLACEHOLDER.fullmatch(value) or _INTERPOLATION.search(value) or _REGEX_LIKE.search(value):
        return True
    low = value.lower()
    if low in _DUMMY_WORDS:
        return True
    return any(part in low for part in _DUMMY_PARTS)


def _is_code(value: str) -> bool:
    """An unquoted value that reads as code (or YAML syntax), not as a literal."""
    if _CODE_LIKE.fullmatch(value):
        return True
    # A name such as ``previousToken2`` or ``Base64URLString`` (but not an all-capitals
    # base32 token, which also breaks into long runs).
    return bool(_IDENTIFIER.fullmatch(value)) and not value.isupper() and _is_wordy(value)


def _is_wordy(value: str) -> bool:
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


def _is_prose(value: str) -> bool:
    """A message, not a secret: several spaces, or mostly non-ASCII letters (translations)."""
    if value.count(" ") >= 2:
        return True
    non_ascii = sum(1 for ch in value if ord(ch) > 127)
    return non_ascii * 10 > len(value) * 3


def _password_value_ok(value: str) -> bool:
    if len(value) < _MIN_PASSWORD_LEN or _is_placeholder(value) or _is_prose(value):
        return False
    if _PATH_LIKE.fullmatch(value):
        return False
    return len(value) >= 10 or _char_classes(value) >= 2 or _entropy(value) >= _MIN_ENTROPY


def _generic_value_ok(value: str) -> bool:
    if len(value) < _MIN_GENERIC_LEN or not value.isascii() or _is_placeholder(value):
        return False
    if any(ch.isspace() for ch in value) or "://" in value or _CODE_SYNTAX.search(value):
        return False
    if _is_wordy(value):
        return False
    has_digit = any(ch.isdigit() for ch in value)
    if has_digit and _HEX.fullmatch(value):
        return any(ch.isalpha() for ch in value) and _entropy(value) >= _MIN_HEX_ENTROPY
    if not has_digit and not (len(value) >= 16 and _has_mixed_case(value)):
        return False
    return any(ch.isalpha() for ch in value) and _entropy(value) >= _MIN_ENTROPY


def _random_token(value: str, min_entropy: float = _MIN_ENTROPY) -> bool:
    """A token body that looks machine-made: letters and digits, high entropy."""
    has_digit = has_alpha = False
    for ch in value:
        if ch.isdigit():
            has_digit = True
        elif ch.isalpha():
            has_alpha = True
    return has_digit and has_alpha and _entropy(value) >= min_entropy


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
    provider service handler callback getter setter factory source sources
    """
)
_GENERIC_NAME = re.compile(
    r"secret|token|credential|(?:api|access|private|priv|signing|encryption|master|licen[cs]e"
    r"|consumer|account|storage|subscription|app|auth|client|hmac|shared|session|webhook|crypt"
    r"|cipher)key"
)
_PASSWORD_NAME = re.compile(r"passw(?:or)?d|passphrase|pwd")
_NAME_SPLIT = re.compile(r"[^A-Za-z0-9]+")


def _key_words(key: str) -> list[str]:
    """``self.dbPassword`` -> ["db", "password"]: the last dotted part, split into words."""
    last = key.rsplit(".", 1)[-1]
    words: list[str] = []
    for chunk in _NAME_SPLIT.split(last):
        words.extend(w.lower() for w in _CAMEL.findall(chunk))
    return words


def _classify_key(key: str) -> str | None:
    """The rule a value assigned to ``key`` falls under, or None if the name is not secret."""
    words = _key_words(key)
    if not words or words[-1] in _NOT_SECRET_LAST_WORD:
        return None
    norm = "".join(words)
    if _PASSWORD_NAME.search(norm) or words[-1] == "pass":
        return "password-assignment"
    if "tokeniz" in norm or ("author" in norm and "authoriz" not in norm):
        return None
    if _GENERIC_NAME.search(norm) or "auth" in norm or "creds" in words or "cred" in words:
        return "generic-secret-assignment"
    return None


# --------------------------------------------------------------------------- scanning
#
# CPython's regex engine scans for a pattern's leading literal in a tight C loop (1.5-2 GB/s
# here) but tries a pattern that starts with a character class or an alternation of different
# letters at nearly every position (under 200 MB/s). So each pass starts with one literal, and
# related needles share a pass: "k" finds key, token, sk-/sk_/rk_ and the "KEY-----" ending a
# BEGIN line; "p" finds pass, pwd, pypi-, npm_ and github_pat_; "cre" finds secret and cred.
# Keyword passes run on a lower-cased copy and already require an assignment operator after
# the name, so Python only sees real candidates.

_NAME_TAIL = r"""[\w.$-]{0,200}+(?:\\?["'`])?\]?(?:[ \t]+(?:string|str|&str|\[\]byte|char\[\]))?[ \t]*[:=!>]"""
_LOW_PASSES = (
    re.compile(
        r"k(?:ey(?:(?P<pem>(?: block)? ?-{4,5})"  # "...PRIVATE KEY-----": a key block may follow
        + "|"
        + _NAME_TAIL
        + r")|(?<=tok)en"
        + _NAME_TAIL
        + r"|(?P<k>[-_])(?<=[sr]k[-_])(?<![a-z0-9][sr]k[-_])"
        + r"(?:(?<=-)[a-z0-9_-]{20}|(?<=_)(?:live|test)_[a-z0-9]{10}))"
    ),
    re.compile(r"p(?:(?:ass|wd)" + _NAME_TAIL + r"|(?P<p>ypi-age|m_|at_(?<=github_pat_)))"),
    re.compile(r"cre(?:d|(?<=secre)t)" + _NAME_TAIL),
    re.compile(r"auth" + _NAME_TAIL),
)
_KEYCHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.$-")
_WORDCHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

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
    (?P<op>:=|===?|!==?|=>|=|:|>)
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

# Tokens with a fixed prefix, matched case-sensitively in the original text.
_A_TOKENS = re.compile(
    r"A(?:(?P<aws>(?:KIA|SIA|BIA|CCA)[A-Z0-9]{16})|(?P<google>Iza[0-9A-Za-z_-]{35}))"
    r"(?![A-Za-z0-9_-])"
)
_GH_TOKENS = re.compile(r"gh[pousr]_[A-Za-z0-9]{20,255}")
# Token patterns consume their whole run of token characters even when it is too short, so a
# failed candidate is never rescanned from each later start inside the same run.
_X_TOKENS = re.compile(r"x(?:ox[abposre]|app)-[A-Za-z0-9-]*+")
# Found at its "J": a literal capital J is far rarer in source than an "e".
_JWT = re.compile(r"J(?<=eyJ)[A-Za-z0-9_.-]*+")
_JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){1,3}")
_TOKEN_RUN = re.compile(r"[A-Za-z0-9_-]*+")
# After "://": a Slack webhook path, or "user:password@". The password runs to the last "@"
# before whitespace or a quote, so an unencoded "@" or "/" in it is still covered (at worst
# some of the host goes with it).
_URL_SECRETS = re.compile(
    r"://(?:hooks\.slack\.com/(?P<hook>(?:services|workflows|triggers)/[A-Za-z0-9_/+-]{8,})"
    r"|(?P<user>[^\s:@/'\"`<>]{0,128}):(?P<pw>[^\s'\"`<>]{1,256})@(?=[\w\[.-]))"
)
_PORT_PATH = re.compile(r"\d{1,5}/")
# Checked at a hit of a lower-cased pass.
_K_TOKENS = re.compile(
    r"k(?:(?P<ant>-ant-[A-Za-z0-9_-]{20,}+)|(?P<oai>-[A-Za-z0-9_-]{20,}+)"
    r"|(?P<stripe>_(?:live|test)_[A-Za-z0-9]{10,}+))"
)
_GH_PAT = re.compile(r"github_pat_[A-Za-z0-9_]{20,255}")
_NPM = re.compile(r"npm_[A-Za-z0-9]{36,}")
_PYPI = re.compile(r"pypi-AgE[A-Za-z0-9_-]{50,}")
_AWS_SECRET_BODY = re.compile(r"[A-Za-z0-9/+]{40}")
_AWS_SECRET_IN_LINE = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_EOL = re.compile(r"\r\n|\r|\n")


def _ascii_lower(text: str) -> str:
    """``text.lower()`` with the same length, so offsets line up with ``text``."""
    low = text.lower()
    if len(low) != len(text):  # only U+0130 grows when lower-cased
        low = text.replace("\u0130", "i").lower()
    return low


def _starts_word(text: str, start: int) -> bool:
    return start <= 0 or text[start - 1] not in _WORDCHARS


def _ends_word(text: str, end: int) -> bool:
    return end >= len(text) or text[end] not in _WORDCHARS


def _has_mixed_case(value: str) -> bool:
    return any(ch.isupper() for ch in value) and any(ch.islower() for ch in value)


def _scan_original(text: str, spans: list) -> None:
    add = spans.append
    for m in _A_TOKENS.finditer(text):
        if not _starts_word(text, m.start()):
            continue
        if m.group("aws"):
            add((m.start(), m.end(), "aws-access-key", True))
            _find_aws_secret_near(text, m.start(), spans)
        else:
            add((m.start(), m.end(), "google-api-key", True))
    for m in _GH_TOKENS.finditer(text):
        body = m.group()[4:]
        if _starts_word(text, m.start()) and _ends_word(text, m.end()) and _random_token(body):
            add((m.start(), m.end(), "github-token", True))
    for m in _X_TOKENS.finditer(text):
        token = m.group()
        if (
            _starts_word(text, m.start())
            and len(token) >= 15
            and (token[1] == "o" or token[5:6].isdigit())
            and any(ch.isdigit() for ch in token)
        ):
            add((m.start(), m.end(), "slack-token", True))
    for m in _JWT.finditer(text):
        start = m.start() - 2
        if _starts_word(text, start) and _JWT_SHAPE.fullmatch(text, start, m.end()):
            add((start, m.end(), "jwt", True))
    for m in _URL_SECRETS.finditer(text):
        if m.group("hook"):
            add((m.start("hook"), m.end("hook"), "slack-webhook", True))
            continue
        pw = m.group("pw")
        if not _is_placeholder(pw) and not _PORT_PATH.match(pw):
            add((m.start("pw"), m.end("pw"), "connection-string", True))


def _scan_lowered(text: str, low: str, spans: list) -> None:
    """The keyword passes: assignments to secret-looking names, sk-/rk-/npm_/pypi- tokens, and
    the "KEY-----" that ends the BEGIN line of a private key."""
    candidates: list[int] = []
    pem = False
    for regex in _LOW_PASSES:
        token_end = -1  # hits inside a token already looked at are skipped: linear time
        for m in regex.finditer(low):
            if m.lastgroup == "pem":
                pem = True
            elif m.lastgroup == "k":
                if m.start() >= token_end:
                    token_end = _check_k_token(text, m.start(), spans)
            elif m.lastgroup == "p":
                if m.start() >= token_end:
                    token_end = _check_p_token(text, m.start(), spans)
            else:
                candidates.append(m.start())
    if pem:
        _find_private_keys(text, spans)
    if candidates:
        candidates.sort()
        _find_assignments(text, candidates, spans)


def _check_k_token(text: str, pos: int, spans: list) -> int:
    """``pos`` is at the "k" of sk-... / sk_live_... / rk_live_...; returns where the token
    characters after it end."""
    run_end = _TOKEN_RUN.match(text, pos).end()
    if pos == 0 or not _starts_word(text, pos - 1):
        return run_end
    m = _K_TOKENS.match(text, pos)
    if m is None:
        return run_end
    lead = text[pos - 1]
    if m.group("stripe"):
        if lead in "sr" and _random_token(m.group("stripe")[6:], 2.5):
            spans.append((pos - 1, m.end(), "stripe-key", True))
    elif lead != "s":
        pass
    elif m.group("ant"):
        if _random_token(m.group("ant")):
            spans.append((pos - 1, m.end(), "anthropic-key", True))
    elif _random_token(m.group("oai")) and _has_mixed_case(m.group("oai")):
        spans.append((pos - 1, m.end(), "openai-key", True))
    return run_end


def _check_p_token(text: str, pos: int, spans: list) -> int:
    """``pos`` is at the "p" of pypi-AgE..., npm_... or github_pat_...; returns where the token
    characters after it end."""
    run_end = _TOKEN_RUN.match(text, pos).end()
    if text.startswith("at_", pos + 1):
        m, rule = _GH_PAT.match(text, pos - 7), "github-token"
    elif text.startswith("m_", pos + 1):
        m, rule = (_NPM.match(text, pos - 1) if pos > 0 else None), "npm-token"
    else:
        m, rule = _PYPI.match(text, pos), "pypi-token"
    if (
        m is not None
        and _starts_word(text, m.start())
        and _ends_word(text, m.end())
        and _random_token(m.group(), 2.5)
    ):
        spans.append((m.start(), m.end(), rule, True))
    return run_end


def _key_start(text: str, pos: int) -> int:
    lo = max(0, pos - 64)
    while pos > lo and text[pos - 1] in _KEYCHARS:
        pos -= 1
    return pos


def _find_assignments(text: str, candidates: list[int], spans: list) -> None:
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
        values = [_value_of(text, m, key_start)]
        ann = m.group("ann")
        if ann is not None:
            # "name: X = ..." is a type annotation in code, but X may be a value (YAML).
            first = _ANN_SPLIT.split(ann, 1)[0]
            if _TOKENISH.fullmatch(first):
                values.append((m.start("ann"), first, "code"))
        rule: str | None = ""
        for start, value, kind in values:
            # Cheap rejections first: most candidates are code such as ``key = keys[0]``.
            if len(value) < _MIN_PASSWORD_LEN or (kind == "code" and _is_code(value)):
                continue
            if rule == "":
                rule = _rule_for_name(text, m, key_start)
            if rule is None:
                break
            found = _judge(value, rule)
            if found is not None:
                spans.append((start, start + len(value), found, True))
                done_until = max(done_until, start + len(value))


def _rule_for_name(text: str, m: re.Match[str], key_start: int) -> str | None:
    if m.group("op") == ">" and (
        key_start == 0 or text[key_start - 1] != "<" or not text.startswith("</", m.end())
    ):
        return None  # ">" assigns only in <password>value</password>
    return _classify_key(text[key_start : m.end("key")])


def _judge(value: str, rule: str) -> str | None:
    """The rule a value assigned to a name of ``rule`` is redacted under, or None."""
    if rule == "password-assignment":
        return rule if _password_value_ok(value) else None
    if not _generic_value_ok(value):
        return None
    if len(value) == 40 and _AWS_SECRET_BODY.fullmatch(value) and _has_mixed_case(value):
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
            scheme = _AUTH_SCHEME.match(value)
            if scheme:  # "Bearer <token>": the token is the secret
                return start + scheme.end(), value[scheme.end() :], "literal"
            return start, value, "literal"
    start, value = m.start("uq"), m.group("uq")
    lo = max(0, key_start - 120)
    line_start = max(text.rfind("\n", lo, key_start), text.rfind("\r", lo, key_start)) + 1
    lead = _CONFIG_LEAD.fullmatch(text, line_start if line_start else lo, key_start)
    at_line_start = lead is not None and not (line_start == 0 and lo > 0)
    if at_line_start and (
        lead.group("export") or (m.group("op") == "=" and text[m.end("key") : start] == "=")
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
        return start, value, ("code" if _CODE_LIKE.fullmatch(value) else "literal")
    return start, value, "code"


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
        if _has_mixed_case(value) and _random_token(value, 4.0):
            spans.append((s.start(), s.end(), "aws-secret-key", True))


# --------------------------------------------------------------------------- private keys

_PEM_BEGIN = re.compile(r"-{4,5} ?BEGIN (?:[A-Z0-9]+ )*(?:PRIVATE|SECRET) KEY(?: BLOCK)? ?-{4,5}")
_PEM_END = re.compile(r"-{4,5} ?END [A-Z0-9 ]*?-{4,5}")
_ESCAPED_EOL = re.compile(r"\\\\r\\\\n|\\\\n|\\r\\n|\\n")
# The syntax around one body line of a key inside code: indentation, an opening quote (with a
# string prefix or a "+" concatenation), and a closing quote with what follows it.
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/=]{4}")
_QUOTES = re.compile(r"[\"'`]")
_QUOTED_BODY = re.compile(
    r"(?<=[\"'`])[A-Za-z0-9+/=]{8,}+(?=[\"'`]|$)|(?<=[\"'`] )[A-Za-z0-9+/=]{8,}+"
)
_BODY_LEAD = re.compile(r"[ \t]*(?:\+[ \t]+)?(?:[rRbBuU]{0,2}[\"'`])?")
# A line that can only be part of a key body; used where no END marker follows (a truncated
# block), to know where the block stops.
_BODY_LIKE = re.compile(
    r"""[ \t]*(?:\+[ \t]+)?["'`]?
        (?:[A-Za-z0-9+/=]{16,}|=[A-Za-z0-9+/]{4}
          |(?:Proc-Type|DEK-Info|Version|Comment|Hash|Charset|MessageID):[^\r\n]*)
        (?:(?:\\r)?\\n)?["'`]?[ \t,;+)]*$""",
    re.VERBOSE,
)


def _find_private_keys(text: str, spans: list) -> None:
    starts = line_starts(text)
    in_diff = text.startswith("@@ -") or "\n@@ -" in text or "\r@@ -" in text
    end_cache: list = [len(text) + 1, None]  # [searched from, END match or None]
    pos = 0
    while True:
        m = _PEM_BEGIN.search(text, pos)
        if m is None:
            return
        before = len(spans)
        spans.append((m.start(), m.start(), "private-key", "hit"))
        pos = _redact_private_key(text, m, starts, in_diff, end_cache, spans)
        if len(spans) == before + 1:
            spans.pop()  # markers without key material (a regex, constants): not a finding


def _redact_private_key(
    text: str, m: re.Match[str], starts: list[int], in_diff: bool, end_cache: list, spans: list
) -> int:
    """Redact the body of the key whose BEGIN marker is ``m``; return where to search on."""
    line = bisect.bisect_right(starts, m.start()) - 1
    begin_line_start = starts[line]
    begin_line_end = _line_end(text, starts, line)
    rest_start = m.end()
    end_inline = _PEM_END.search(text, rest_start, begin_line_end)
    if end_inline is not None:
        # The whole key on one line: "-----BEGIN ...-----\\nMII...\\n-----END ...-----" in a
        # JSON string, or separated by spaces.
        _redact_pieces(text, rest_start, end_inline.start(), spans)
        return end_inline.end()
    escaped = _ESCAPED_EOL.match(text, rest_start, begin_line_end) is not None
    if _redact_pieces(text, rest_start, begin_line_end, spans) and escaped:
        # A one-line escaped key cut short: its body was on this line, nothing follows.
        return begin_line_end
    marker = in_diff and text[begin_line_start : begin_line_start + 1] in ("+", "-", " ")
    # Searching for END once per BEGIN would be quadratic in a file of many BEGINs and no END;
    # a search result stays valid for any later start it does not pass.
    searched_from, end = end_cache
    if not (searched_from <= begin_line_end and (end is None or end.start() >= begin_line_end)):
        end = _PEM_END.search(text, begin_line_end)
        end_cache[:] = [begin_line_end, end]
    return _redact_pem_lines(text, begin_line_end, end, marker, spans)


def _line_end(text: str, starts: list[int], line: int) -> int:
    """Offset of the terminator of ``line`` (or of the end of ``text`` for the last line)."""
    if line + 1 >= len(starts):
        return len(text)
    nxt = starts[line + 1]
    return nxt - 2 if text.startswith("\r\n", nxt - 2) else nxt - 1


def _redact_pieces(text: str, start: int, stop: int, spans: list) -> bool:
    """Redact the body between ``start`` and ``stop`` on one line, piece by piece between
    escaped newlines (``\\n``), keeping the escapes. True if any body was found."""
    found = False
    piece_start = start
    for esc in _ESCAPED_EOL.finditer(text, start, stop):
        found |= _redact_body_piece(text, piece_start, esc.start(), spans, strip_lead=False)
        piece_start = esc.end()
    found |= _redact_body_piece(text, piece_start, stop, spans, strip_lead=False)
    return found


def _redact_pem_lines(
    text: str, pos: int, end: re.Match[str] | None, marker: bool, spans: list
) -> int:
    """Redact every line after a BEGIN line up to its END line, or, with no END marker,
    while the lines look like key body. ``pos`` is at the end of the BEGIN line."""
    stop = end.start() if end is not None else len(text)
    n = len(text)
    while pos < n:
        eol = _EOL.match(text, pos)
        if eol is None:
            break
        line_start = eol.end()
        nxt = _EOL.search(text, line_start)
        line_end = nxt.start() if nxt else n
        body_start = line_start
        if marker and line_start < line_end and text[line_start] in "+- ":
            body_start += 1
        if end is not None and line_end >= stop:
            # The END line: redact what precedes the marker on it, if anything.
            _redact_body_piece(text, body_start, stop, spans, strip_lead=True)
            return end.end()
        if (
            end is None
            and not _BODY_LIKE.match(text, body_start, line_end)
            and not _is_blank_then_body(text, body_start, line_end, marker)
        ):
            return line_start
        _redact_body_piece(text, body_start, line_end, spans, strip_lead=True)
        pos = line_end
    return end.end() if end is not None else n


def _is_blank_then_body(text: str, start: int, end: int, marker: bool) -> bool:
    """A blank line inside an END-less block is body if the next line looks like body."""
    if text[start:end].strip():
        return False
    eol = _EOL.match(text, end)
    if eol is None:
        return False
    nxt = eol.end()
    if marker and nxt < len(text) and text[nxt] in "+- ":
        nxt += 1
    stop = _EOL.search(text, nxt)
    return _BODY_LIKE.match(text, nxt, stop.start() if stop else len(text)) is not None


def _body_end(text: str, start: int, end: int) -> int:
    """Where the key material of ``text[start:end]`` ends: before trailing blanks, and before a
    closing quote (with a preceding escaped newline) followed only by punctuation."""
    while end > start and text[end - 1] in " \t":
        end -= 1
    quote = max(
        text.rfind('"', start, end), text.rfind("'", start, end), text.rfind("`", start, end)
    )
    if quote < 0 or any(ch.isalnum() for ch in text[quote + 1 : end]):
        return end
    for escape in ("\\r\\n", "\\n"):
        if text.startswith(escape, quote - len(escape)) and quote - len(escape) >= start:
            return quote - len(escape)
    return quote


def _redact_body_piece(text: str, start: int, end: int, spans: list, *, strip_lead: bool) -> bool:
    """Replace the content of ``text[start:end]``, keeping indentation and string quotes."""
    if strip_lead:
        lead = _BODY_LEAD.match(text, start, end)
        if lead is not None:
            start = lead.end()
    else:
        while start < end and text[start] in " \t":
            start += 1
    end = _body_end(text, start, end)
    if end <= start:
        return False
    if strip_lead:
        spans.append((start, end, "private-key", False))
        return True
    if not _QUOTES.search(text, start, end):
        # On a BEGIN line (a key in one string, with escaped newlines): a piece without key
        # material is code around the markers, such as a regular expression matching them.
        if _BASE64_RUN.search(text, start, end):
            spans.append((start, end, "private-key", False))
            return True
        return False
    # Quotes inside a piece on a BEGIN line: separate string literals, as in
    # "-----BEGIN ...-----" + "MIIE..." or the two markers as constants in minified code.
    # Only the stretches between quotes that hold key material are redacted.
    found = False
    for m in _QUOTED_BODY.finditer(text, start, end):
        spans.append((m.start(), m.end(), "private-key", False))
        found = True
    return found


# --------------------------------------------------------------------------- driver


def redact(text: str) -> tuple[str, list[RedactionHit]]:
    """Return ``text`` with secret values replaced, and where they were.

    Raises ``SecretScanError`` on any internal failure: the caller must then send nothing.
    """
    try:
        return _redact(text)
    except SecretScanError:
        raise
    except Exception as exc:
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        where = f" (line {tb.tb_lineno})" if tb is not None else ""
        raise SecretScanError(
            "The secret scan failed, so nothing was sent.",
            detail=f"{type(exc).__name__} in core/secrets.py{where}",
        ) from None


def _redact(text: str) -> tuple[str, list[RedactionHit]]:
    if not isinstance(text, str):
        raise TypeError("redact() takes str")
    # (start, end, rule, report): report is True for a span that is a finding on its own,
    # False for a piece of a larger finding, and "hit" for a zero-width finding marker.
    spans: list[tuple[int, int, str, object]] = []
    _scan_original(text, spans)
    _scan_lowered(text, _ascii_lower(text), spans)
    if not spans:
        return text, []
    return _apply(text, spans)


def _apply(text: str, spans: list[tuple[int, int, str, object]]) -> tuple[str, list[RedactionHit]]:
    marks: list[tuple[int, str]] = []  # (offset, rule) of each reported finding
    edits: list[list] = []  # [start, end, rule, report], disjoint and in order
    for start, end, rule, report in sorted(spans, key=lambda s: (s[0], _PRIORITY[s[2]])):
        if report == "hit":
            marks.append((start, rule))
        elif edits and start < edits[-1][1]:
            last = edits[-1]  # overlapping findings: replace their union, name the stronger
            last[1] = max(last[1], end)
            if _PRIORITY[rule] < _PRIORITY[last[2]]:
                last[2] = rule
            last[3] = last[3] or report
        else:
            edits.append([start, end, rule, report])
    out: list[str] = []
    prev = 0
    for start, end, rule, report in edits:
        out.append(text[prev:start])
        out.append(placeholder(rule))
        prev = end
        if report:
            marks.append((start, rule))
    out.append(text[prev:])
    starts = line_starts(text)
    lines = sorted({(bisect.bisect_right(starts, offset), rule) for offset, rule in marks})
    return "".join(out), [RedactionHit(line=line, rule=rule) for line, rule in lines]


_FINGERPRINT: list[str] = []  # the rules do not change while the process runs


def rules_fingerprint() -> str:
    """A fingerprint of the scan rules (this module's source): contents found clean, and the
    cache base's redacted texts, are trusted only under the rules they were scanned with."""
    if not _FINGERPRINT:
        source = resources.files("bigpicture.core.gather").joinpath("secrets.py").read_bytes()
        _FINGERPRINT.append(hashlib.sha256(source).hexdigest()[:16])
    return _FINGERPRINT[0]
