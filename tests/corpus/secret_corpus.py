"""The secret-scan corpus: realistic files with secrets in them, and files without any.

``secrets/positive/`` holds templates of files a repository really has (settings modules,
bots, CI files, manifests, Terraform, diffs ...). Each secret in them is a marker that
``render`` replaces with a value and records as a ``Label`` (path, line, the secret), so the
repository itself holds no secret-looking literal (provider tokens are generated from a fixed
seed and never match a provider's checksum):

* ``⟦name⟧``: a generated token of the kind ``name`` (see ``TOKENS``); ``⟦name#2⟧`` another one;
* ``⟦=value⟧``: the literal ``value`` is the secret (passwords, which no scanner can generate);
* ``⟦b64:name⟧``: a generated token, base64-encoded;
* ``⟦pem:KIND⟧``: a private-key block (its body lines are the secret's parts).

A file under ``positive/latin1/`` is written in Latin-1, under ``positive/utf16/`` in UTF-16
with a BOM, anything else in UTF-8. ``secrets/negative/`` holds real-looking code with no
secret at all (each file is one of the false positives seen on real repositories, or a near
miss of a rule); it is copied as is.

Used by ``tests/core/test_secret_corpus.py`` and ``bench/bench_secrets.py``.
"""

from __future__ import annotations

import base64
import random
import re
import string
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).parent / "secrets"
POSITIVE = HERE / "positive"
NEGATIVE = HERE / "negative"

B62 = string.ascii_letters + string.digits
B64 = B62 + "+/"
B64URL = B62 + "-_"
HEX = "0123456789abcdef"
DIGITS = string.digits
UPPER36 = string.ascii_uppercase + string.digits


@dataclass
class Label:
    path: str  # relative to the rendered root
    line: int  # 1-based
    secret: str  # what must not survive
    kind: str  # the marker's name
    parts: list[str] = field(default_factory=list)  # for multi-line secrets: every piece


def _r(rng: random.Random, alphabet: str, n: int) -> str:
    while True:
        s = "".join(rng.choice(alphabet) for _ in range(n))
        digit = any(c.isdigit() for c in s) or not set(alphabet) & set(DIGITS)
        lower = any(c.islower() for c in s) or not set(alphabet) & set(string.ascii_lowercase)
        if digit and lower:
            return s


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


TOKENS = {
    "aws-id": lambda g: "AKIA" + _r(g, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
    "aws-sts-id": lambda g: "ASIA" + _r(g, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
    "aws-secret": lambda g: _r(g, B64, 40),
    "gcp-key": lambda g: "AIza" + _r(g, B64URL, 35),
    "gcp-key-id": lambda g: _r(g, HEX, 40),
    "ghp": lambda g: "ghp_" + _r(g, B62, 36),
    "gho": lambda g: "gho_" + _r(g, B62, 36),
    "ghs": lambda g: "ghs_" + _r(g, B62, 36),
    "github-pat": lambda g: "github_pat_" + _r(g, B62, 22) + "_" + _r(g, B62, 59),
    "glpat": lambda g: "glpat-" + _r(g, B64URL, 20),
    "gldt": lambda g: "gldt-" + _r(g, B64URL, 20),
    "glrt": lambda g: "glrt-" + _r(g, B64URL, 20),
    "slack-bot": lambda g: f"xoxb-{_r(g, DIGITS, 11)}-{_r(g, DIGITS, 13)}-{_r(g, B62, 24)}",
    "slack-user": lambda g: f"xoxp-{_r(g, DIGITS, 11)}-{_r(g, DIGITS, 12)}-{_r(g, B62, 32)}",
    "slack-hook": lambda g: f"services/T{_r(g, UPPER36, 8)}/B{_r(g, UPPER36, 10)}/{_r(g, B62, 24)}",
    "stripe-live": lambda g: "sk_" + "live_" + _r(g, B62, 24),
    "stripe-test": lambda g: "sk_" + "test_" + _r(g, B62, 24),
    "stripe-restricted": lambda g: "rk_" + "live_" + _r(g, B62, 24),
    "sendgrid": lambda g: "SG." + _r(g, B64URL, 22) + "." + _r(g, B64URL, 43),
    "twilio-token": lambda g: _r(g, HEX, 32),
    "mailgun": lambda g: "key-" + _r(g, HEX, 32),
    "mailchimp": lambda g: _r(g, HEX, 32) + "-us" + str(g.randint(1, 21)),
    "shopify": lambda g: "shpat_" + _r(g, HEX, 32),
    "shopify-secret": lambda g: "shpss_" + _r(g, HEX, 32),
    "discord": lambda g: (
        _b64url(str(g.randint(10**17, 10**19)).encode())
        + "."
        + _r(g, B64URL, 6)
        + "."
        + _r(g, B64URL, 38)
    ),
    "discord-hook": lambda g: f"{g.randint(10**17, 10**19)}/{_r(g, B64URL, 68)}",
    "telegram": lambda g: f"{g.randint(10**8, 10**10 - 1)}:AA{_r(g, B64URL, 33)}",
    "hf": lambda g: "hf_" + _r(g, string.ascii_letters, 34),
    "openai": lambda g: "sk-proj-" + _r(g, B64URL, 74) + "T3BlbkFJ" + _r(g, B64URL, 74),
    "openai-legacy": lambda g: "sk-" + _r(g, B62, 48),
    "anthropic": lambda g: "sk-ant-api03-" + _r(g, B64URL, 93) + "AA",
    "npm": lambda g: "npm_" + _r(g, B62, 36),
    "pypi": lambda g: "pypi-AgEIcHlwaS5vcmc" + _r(g, B64URL, 70),
    "docker": lambda g: "dckr_pat_" + _r(g, B64URL, 27),
    "digitalocean": lambda g: "dop_v1_" + _r(g, HEX, 64),
    "heroku": lambda g: "HRKU-AA" + _r(g, B64URL, 58),
    "datadog": lambda g: _r(g, HEX, 32),
    "newrelic": lambda g: "NRAK-" + _r(g, UPPER36, 27),
    "sentry-key": lambda g: _r(g, HEX, 32),
    "square": lambda g: "EAAA" + _r(g, B64URL, 60),
    "braintree": lambda g: (
        f"access_token$production${_r(g, string.ascii_lowercase + DIGITS, 16)}${_r(g, HEX, 32)}"
    ),
    "atlassian": lambda g: "ATATT3xFfGF0" + _r(g, B64URL, 180),
    "linear": lambda g: "lin_api_" + _r(g, B62, 40),
    "notion": lambda g: "ntn_" + _r(g, DIGITS, 11) + _r(g, B62, 35),
    "postman": lambda g: "PMAK-" + _r(g, HEX, 24) + "-" + _r(g, HEX, 34),
    "doppler": lambda g: "dp.st.prd." + _r(g, B62, 43),
    "vault": lambda g: "hvs." + _r(g, B64URL, 92),
    "azure-storage": lambda g: _r(g, B64, 86) + "==",
    "azure-ad": lambda g: _r(g, B62, 3) + "8Q~" + _r(g, B62, 34),
    "jwt": lambda g: (
        _b64url(b'{"alg":"HS256","typ":"JWT"}')
        + "."
        + _b64url(f'{{"sub":"{g.randint(1000, 99999)}","iat":1716239022}}'.encode())
        + "."
        + _r(g, B64URL, 43)
    ),
    "generic32": lambda g: _r(g, B62, 32),
    "hex40": lambda g: _r(g, HEX, 40),
    "django": lambda g: _r(g, string.ascii_lowercase + DIGITS + "!@#$%^&*(-_=+)", 50),
}

_MARKER = re.compile(r"⟦([^⟧]+)⟧")


def _value(spec: str, rng: random.Random) -> tuple[str, str, list[str]]:
    """(kind, value, parts) for a marker's content."""
    if spec.startswith("="):
        return "literal", spec[1:], []
    if spec.startswith("b64:"):
        kind = spec[4:].split("#")[0]
        return "b64-" + kind, base64.b64encode(TOKENS[kind](rng).encode()).decode(), []
    if spec.startswith("pem:"):
        body = [_r(rng, B64, 64) for _ in range(5)] + [_r(rng, B64, 24) + "=="]
        kind = spec[4:]
        block = "\n".join([f"-----BEGIN {kind}-----", *body, f"-----END {kind}-----"])
        return "pem", block, body
    kind = spec.split("#")[0]
    return kind, TOKENS[kind](rng), []


def render(dest: Path) -> list[Label]:
    """Write the positive corpus under ``dest``, return where each secret is."""
    rng = random.Random(20261207)
    labels: list[Label] = []
    for template in sorted(POSITIVE.rglob("*")):
        if not template.is_file():
            continue
        rel = template.relative_to(POSITIVE).as_posix()
        source = template.read_text(encoding="utf-8")
        out: list[str] = []
        pos = 0
        for m in _MARKER.finditer(source):
            out.append(source[pos : m.start()])
            kind, value, parts = _value(m.group(1), rng)
            line = "".join(out).count("\n") + 1
            if kind == "pem":
                line += 1  # the first body line
            labels.append(Label(rel, line, parts[0] if parts else value, kind, parts or [value]))
            out.append(value)
            pos = m.end()
        out.append(source[pos:])
        text = "".join(out)
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel.startswith("latin1/"):
            target.write_bytes(text.encode("latin-1"))
        elif rel.startswith("utf16/"):
            target.write_bytes(text.encode("utf-16"))
        else:
            target.write_bytes(text.encode("utf-8"))
    return labels


def negatives() -> list[Path]:
    return sorted(p for p in NEGATIVE.rglob("*") if p.is_file())
