"""The cache base: the frozen snapshot of the repository that sits in the prompt cache.

A review sends the base (every file as it was when the base was taken, in a fixed order)
first, behind one cache breakpoint, then the files changed since the base with their current
text, then the request. The base's bytes never change until it is re-taken, so every review in
between reads it from the cache; only the changes are written or sent.

The base is re-taken (a "re-snapshot") when:

- there is none yet, or the model, nonce, cache TTL or secret-scan rules changed;
- a file it carries (or a later version of one) is still in the workspace but no longer sent:
  newly excluded, refused or left out to fit, so nothing keeps being sent that should not be
  (a deleted file is only listed as deleted after it);
- its cache entry has lapsed on this machine's record: writing it again costs the same as
  writing a fresh one, so the fresh one (with no changes after it) is taken instead;
- there are ``MAX_GENERATIONS`` generations, the changes reached ``RESNAPSHOT_FRACTION`` of
  the base's tokens, or the base plus the changes no longer fit the budget.

Kept per workspace by ``store.cachebase``, with the order of the changed files (the most recently changed last, so an edit invalidates as little of the tail as
possible).
"""

from __future__ import annotations

import hashlib
import time

import msgspec

from bigpicture.core.gather.secrets import rules_fingerprint
from bigpicture.core.models import SourceFile

RESNAPSHOT_FRACTION = 1.0


class BaseFile(msgspec.Struct, frozen=True):
    path: str
    text: str
    sha: str
    kind: str
    tokens: int


class Generation(msgspec.Struct):
    """Files changed since the base, as sent at one review: appended, never rewritten, so
    every later review reads it from the cache."""

    seq: int
    text: str  # the block's exact text
    texts: dict[str, str]  # path -> current text as of this generation
    shas: dict[str, str]
    tokens: int


MAX_GENERATIONS = 12  # beyond this, re-snapshot (the API's lookback is 20 blocks)


class CacheBase(msgspec.Struct):
    id: str
    created: float
    model: str
    nonce: str
    ttl: str
    files: list[BaseFile]  # in request order
    rules: str = ""  # the secret-scan rules' fingerprint the texts were redacted with
    tokens: int = 0
    expires: float = 0.0  # when its cache entry lapses, as far as this machine knows
    seq: int = 0  # bumped at every review sent on this base
    generations: list[Generation] = []

    def by_path(self) -> dict[str, BaseFile]:
        return {f.path: f for f in self.files}

    def latest(self) -> tuple[dict[str, str], dict[str, str]]:
        """(path -> sha, path -> text) of the latest version of each file sent on this base."""
        shas = {f.path: f.sha for f in self.files}
        texts = {f.path: f.text for f in self.files}
        for g in self.generations:
            shas.update(g.shas)
            texts.update(g.texts)
        return shas, texts

    @property
    def changes_tokens(self) -> int:
        return sum(g.tokens for g in self.generations)


def new_base(
    files: list[SourceFile],
    file_tokens: dict[str, int],
    *,
    model: str,
    nonce: str,
    ttl: str,
    now: float | None = None,
) -> CacheBase:
    ordered = sorted(files, key=lambda f: (f.last_change or 2**62, f.path))
    h = hashlib.sha256()
    for f in ordered:
        h.update(f.path.encode("utf-8", "surrogatepass") + b"\0" + f.sha.encode() + b"\0")
    return CacheBase(
        id=h.hexdigest()[:16],
        created=now or time.time(),
        model=model,
        nonce=nonce,
        ttl=ttl,
        files=[BaseFile(f.path, f.text, f.sha, f.kind, file_tokens[f.path]) for f in ordered],
        rules=rules_fingerprint(),
        tokens=sum(file_tokens[f.path] for f in ordered),
    )


TTL_SECONDS = {"5m": 300, "1h": 3600}


def note_sent(
    base: CacheBase, generation: Generation | None, now: float | None = None
) -> CacheBase:
    """Record a review sent on ``base`` with its new generation of changes, if any: its cache
    entry is fresh again."""
    base.expires = (now or time.time()) + TTL_SECONDS.get(base.ttl, 300)
    base.seq += 1
    if generation is not None:
        base.generations = [*base.generations, generation]
    return base
