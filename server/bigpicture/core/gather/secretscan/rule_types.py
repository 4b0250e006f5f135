"""The types of the secret-scan rules (``Rule``, ``Example``) and the helpers that build their
example values; the rules themselves are in ``rules`` and the modules it gathers.
"""

from __future__ import annotations

import random
import string
from typing import Literal

import msgspec

# A place to redact: (start, end, rule id, report). ``report`` is True for a span that is a
# finding on its own, False for a piece of a larger finding (a private key's body lines), and
# "hit" for a zero-width marker that reports a finding without replacing anything.
Span = tuple[int, int, str, bool | Literal["hit"]]


class Example(msgspec.Struct, frozen=True):
    line: str  # a line of code (or a few) holding the secret
    secret: str  # the part of ``line`` that must not survive redaction


class Rule(msgspec.Struct, frozen=True):
    id: str
    description: str
    keywords: tuple[str, ...]
    examples: tuple[Example, ...]
    # For "regex": the finding; its group "secret", when there is one, is what is replaced.
    regex: str = ""
    handler: str = "regex"  # regex | pem | putty | assign | base64 | k8s | aws-pair | shape
    back: int = 0  # how far before a keyword's start a match may begin
    span: int = 200  # how far after a keyword's end a match may end
    # What the secret must look like: "random" (letters and digits, entropy >= min_entropy),
    # "entropy" (entropy >= min_entropy), "password" (not a placeholder, not a port: URL
    # passwords may be short), "keyed-password" (what a value assigned to a password name
    # must be, see core.gather.secrets), or "" (the regex says it all).
    check: str = "random"
    min_entropy: float = 3.0
    mixed_case: bool = False  # the secret must have upper- and lower-case letters
    # Anchorless rules: a cheap regular expression with a literal first character that finds
    # candidates over the whole text (run on bytes for ASCII text).
    prefilter: str = ""
    # Also recognised base64-encoded (a blob that decodes to this token).
    base64: bool = False
    # A literal that must be between a keyword and ``span`` after it for the regex to be
    # tried (a cheap test for rules whose keyword is frequent, such as "://").
    requires: str = ""


# --------------------------------------------------------------------------- example values

B62 = string.ascii_letters + string.digits
B64URL = B62 + "-_"
B64 = B62 + "+/"
HEXL = "0123456789abcdef"
UPPER36 = string.ascii_uppercase + string.digits
LOWER36 = string.ascii_lowercase + string.digits


def fake(alphabet: str, n: int, seed: str) -> str:
    """``n`` random-looking characters of ``alphabet``, the same every run (seeded by
    ``seed``), with a digit and both cases where the alphabet has them."""
    rng = random.Random(seed)
    classes = [c for c in (string.ascii_lowercase, string.ascii_uppercase, string.digits)]
    need = [set(c) & set(alphabet) for c in classes]
    while True:
        s = "".join(rng.choice(alphabet) for _ in range(n))
        if all(not cls or set(s) & cls for cls in need):
            return s


def example(line: str, secret: str) -> Example:
    assert secret in line, (line, secret)
    return Example(line, secret)


def example_in(template: str, secret: str) -> Example:
    """``template`` with its ``§`` replaced by ``secret``."""
    return Example(template.replace("§", secret), secret)


def example_arg(secret: str, call: str = "client.connect") -> Example:
    """The secret passed as a plain string argument."""
    return example(f'{call}("{secret}")', secret)


def b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


def b64url(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# Example values used by rules in more than one module.
AWS_SECRET_EXAMPLE = fake(B64, 40, "aws-secret")
STRIPE_EXAMPLE = "sk_" + "live_" + fake(B62, 24, "stripe")
