"""Find secret values in the text that will be sent, and replace them with placeholders.

``redact(text, path)`` is called on exactly the text that leaves the machine: whole files,
and unified diff text with its removed (``-``) and context lines. ``scan(text, path)`` says
where the findings are without building the redacted text. Both are pure functions of their
arguments (``path`` is only named in errors), so a caller can run them lazily, per file, on
just what it is about to send. A secret *value* becomes ``<redacted:RULE>``; the name, the
quotes, the rest of the line and every line ending stay, so the file is still reviewed and
line numbers stay right. A private-key block keeps its BEGIN and END lines and its line
count, each body line replaced (also inside one JSON string with ``\\n`` escapes, and with
diff markers and string quotes kept). Nothing of a value is kept: no prefix, no suffix, no
length.

The rules are data, in ``secretscan.rules`` (one entry per provider, each with its keywords,
regular expression and a tested example, gathered from ``rules_infra`` and ``rules_saas``);
``secretscan.engine`` runs them behind the multi-pattern prefilter of
``secretscan.prefilter``; ``secretscan.keyed`` finds assignments to secret-looking names;
``secretscan.values`` judges values; ``secretscan.pem`` handles private-key blocks.
``rules_fingerprint`` covers the source of this module and of every ``secretscan`` module, so
a change to any rule invalidates what was found clean (``store.scancache``) and the cached
redacted texts (``core.request.layout``).

When a keyed value counts as a secret (each choice is pinned by a test):

* Passwords (a name that says password in one of the languages of ``PASSWORD_WORDS``): at
  least 6 characters, not a placeholder or a dummy word, not prose, a path or a dotted number
  (an OID, a version), and two character classes, or 10+ characters, or entropy >= 3.0 bits
  per character. Passwords are often low-entropy, so there is no stronger entropy floor.
* Generic secrets (secret, token, credential, ``(api|access|private|...)key`` and their
  translations in ``SECRET_WORDS``): ASCII, at least 12 characters, no whitespace or
  expression syntax, not made of words, and Shannon entropy >= 3.0 bits per character (>= 2.5
  for hex-only values: a random 12-character hex string averages 3.0, base62 3.4, and both
  grow with length, while ``abc123abc123`` has 2.6), with a digit (or, at 16+ characters,
  mixed case). Measured on random values keyed as ``API_TOKEN``: at 32 characters at most 0.3%
  are missed in any of hex, base62, base64, base32, lower-case alphanumeric and Django-style
  alphabets; at 20, < 4%.
* Names that are *about* a secret (``token_url``, ``password_field``, ``max_tokens``,
  ``tokenizer``, ``author``, ``ENCRYPT_KEY_FUNC``) are left alone, and so are Rust paths
  (``crate::stmt_pass::run``) and match arms on the word (``"pass" => ...``).
* An unquoted value is judged by where it stands. On a shell/env/properties line
  (``export X=v``, ``X=v`` at the start of a line) it is a literal, whatever it holds. Anywhere
  else it may be code: it ends at ``,`` ``;`` or the next ``&name=``, and names, calls,
  member access, numbers and operators (``os.environ["X"]``, ``get_token()``,
  ``self.password``, ``token: Token``, ``0x0B96``, ``a ?? b``) are not values.
* Placeholders are never secrets: empty, ``changeme``, ``<your-key>``, ``${VAR}``, ``$VAR``,
  ``{{ var }}``, ``%s``, ``xxxx``, ``****``, and values containing "example", "dummy", "test",
  "password" and the like.

Fail closed: any internal error raises ``SecretScanError``, whose message and detail never
hold text from the input.
"""

from __future__ import annotations

import bisect
import hashlib
from importlib import resources

import msgspec

from bigpicture.core.errors import SecretScanError
from bigpicture.core.gather.secretscan import engine
from bigpicture.core.gather.secretscan.rule_types import Span
from bigpicture.core.gather.secretscan.rules import RULES as RULE_TABLE
from bigpicture.core.lines import line_starts_fast as line_starts

__all__ = ["RULES", "RedactionHit", "placeholder", "redact", "rules_fingerprint", "scan"]


class RedactionHit(msgspec.Struct, frozen=True):
    """One secret value that was replaced. The value itself is never kept."""

    line: int  # 1-based, lines split the LSP way (\n, \r\n, \r)
    rule: str


RULES: tuple[str, ...] = tuple(r.id for r in RULE_TABLE)
# Lower index wins when two findings overlap.
_PRIORITY = {rule: i for i, rule in enumerate(RULES)}


def placeholder(rule: str) -> str:
    return f"<redacted:{rule}>"


def redact(text: str, path: str = "") -> tuple[str, list[RedactionHit]]:
    """Return ``text`` with secret values replaced, and where they were.

    Raises ``SecretScanError`` on any internal failure: the caller must then send nothing.
    """
    return _guarded(text, path)


def redact_closed(text: str, what: str) -> tuple[str, list[RedactionHit]]:
    """``redact`` for a caller that must send nothing when the scan fails in any way: every
    error (also one ``redact`` itself did not turn into a ``SecretScanError``) becomes one that
    names ``what`` and the kind of error, never the error's words (they may quote the text)."""
    try:
        return redact(text)
    except SecretScanError:
        raise
    except Exception as e:  # fail closed
        raise SecretScanError(
            f"the secret scan of {what} failed, so nothing was sent", detail=type(e).__name__
        ) from e


def scan(text: str, path: str = "") -> list[RedactionHit]:
    """Where ``redact`` would replace something (same findings)."""
    return _guarded(text, path)[1]


def _guarded(text: str, path: str) -> tuple[str, list[RedactionHit]]:
    try:
        return _redact(text)
    except SecretScanError:
        raise
    except Exception as exc:
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        where = (
            f" ({tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]} line {tb.tb_lineno})"
            if tb is not None
            else ""
        )
        name = f" of {path}" if path else ""
        raise SecretScanError(
            f"The secret scan{name} failed, so nothing was sent.",
            detail=f"{type(exc).__name__} in the secret scan{where}",
        ) from None


def _redact(text: str) -> tuple[str, list[RedactionHit]]:
    if not isinstance(text, str):
        raise TypeError("redact() takes str")
    # (start, end, rule, report): report is True for a span that is a finding on its own,
    # False for a piece of a larger finding, and "hit" for a zero-width finding marker.
    spans: list[Span] = []
    if text:
        engine.engine().scan(text, spans)
    if not spans:
        return text, []
    return _apply(text, spans)


def _apply(text: str, spans: list[Span]) -> tuple[str, list[RedactionHit]]:
    marks: list[tuple[int, str]] = []  # (offset, rule) of each reported finding
    edits: list[tuple[int, int, str, bool]] = []  # disjoint and in order
    for start, end, rule, report in sorted(spans, key=lambda s: (s[0], _PRIORITY[s[2]])):
        if report == "hit":
            marks.append((start, rule))
        elif edits and start < edits[-1][1]:
            # overlapping findings: replace their union, name the stronger
            l_start, l_end, l_rule, l_report = edits[-1]
            stronger = rule if _PRIORITY[rule] < _PRIORITY[l_rule] else l_rule
            edits[-1] = (l_start, max(l_end, end), stronger, l_report or bool(report))
        else:
            edits.append((start, end, rule, bool(report)))
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


def scan_sources() -> list[str]:
    """The modules whose source decides what the scan finds: this one and every ``secretscan``
    module, as paths relative to ``bigpicture.core.gather``, in a stable order."""
    sub = resources.files("bigpicture.core.gather.secretscan")
    names = sorted(p.name for p in sub.iterdir() if p.name.endswith(".py"))
    return ["secrets.py", *(f"secretscan/{name}" for name in names)]


def fingerprint_of(sources: list[bytes]) -> str:
    h = hashlib.sha256()
    for source in sources:
        h.update(hashlib.sha256(source).digest())
    return h.hexdigest()[:16]


def rules_fingerprint() -> str:
    """A fingerprint of the scan rules (the source of every module in ``scan_sources``):
    contents found clean, and the cache base's redacted texts, are trusted only under the rules
    they were scanned with."""
    if not _FINGERPRINT:
        gather = resources.files("bigpicture.core.gather")
        sources = [gather.joinpath(name).read_bytes() for name in scan_sources()]
        _FINGERPRINT.append(fingerprint_of(sources))
    return _FINGERPRINT[0]
