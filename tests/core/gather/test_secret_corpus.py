"""The secret-scan corpus (``tests/corpus/``): realistic files in many syntaxes and
encodings, diff text, with 100+ labelled secrets; and real-looking code that holds none.

Recall must stay at 98% or more; the files without secrets must come out unchanged; and a
redaction replaces exactly the labelled secret, never a byte around it.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from bigpicture.core.config import Settings
from bigpicture.core.gather.gather import gather
from bigpicture.core.gather.secrets import redact
from bigpicture.core.gather.textio import decode
from bigpicture.core.lines import split_lines
from conftest import commit, git
from corpus.secret_corpus import Label, negatives, render

MIN_RECALL = 0.98


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, list[Label]]:
    root = tmp_path_factory.mktemp("corpus")
    return root, render(root)


@pytest.fixture(scope="module")
def redacted(corpus) -> dict[str, tuple[str, str]]:
    """path -> (decoded text, redacted text), decoded as the gather decodes."""
    root, labels = corpus
    out = {}
    for path in sorted({label.path for label in labels}):
        text, _ = decode((root / path).read_bytes())
        out[path] = (text, redact(text, path)[0])
    return out


def missed(labels: list[Label], redacted: dict[str, tuple[str, str]]) -> list[Label]:
    return [lb for lb in labels if any(p in redacted[lb.path][1] for p in lb.parts)]


def test_the_corpus_is_large_and_varied(corpus):
    root, labels = corpus
    assert len(labels) >= 100
    paths = {lb.path for lb in labels}
    assert any(p.startswith("latin1/") for p in paths)
    assert any(p.startswith("utf16/") for p in paths)
    assert any(p.endswith(".diff") for p in paths)
    kinds = Counter(lb.kind for lb in labels)
    assert len(kinds) >= 40, kinds  # token kinds, passwords, PEM blocks, base64 ...
    assert decode((root / "utf16/settings.ini").read_bytes())[1] == "utf-16"
    assert decode((root / "latin1/config.properties").read_bytes())[1] != "utf-8"


def test_recall_on_the_corpus(corpus, redacted):
    _, labels = corpus
    miss = missed(labels, redacted)
    recall = 1 - len(miss) / len(labels)
    detail = [f"{lb.path}:{lb.line} {lb.kind}" for lb in miss]
    assert recall >= MIN_RECALL, detail


def test_a_redaction_replaces_exactly_the_secret(corpus, redacted):
    """Line by line: a line without a secret is unchanged, and a line with secrets is the
    same line with each secret (and nothing else) replaced by a placeholder."""
    _, labels = corpus
    by_line: dict[tuple[str, int], list[str]] = {}
    for lb in labels:
        for n, part in enumerate(lb.parts):
            by_line.setdefault((lb.path, lb.line + n), []).append(part)
    for path, (text, out) in redacted.items():
        before, after = split_lines(text), split_lines(out)
        assert len(before) == len(after), path
        for i, (a, b) in enumerate(zip(before, after, strict=True), start=1):
            parts = by_line.get((path, i))
            if not parts:
                assert a == b, f"{path}:{i} changed without a secret: {b!r}"
                continue
            pattern = re.escape(a)
            for part in sorted(parts, key=len, reverse=True):
                pattern = pattern.replace(re.escape(part), "<redacted:[a-z0-9-]+>")
            assert re.fullmatch(pattern, b), f"{path}:{i}: {b!r}"


@pytest.mark.parametrize("path", negatives(), ids=lambda p: p.name)
def test_code_without_secrets_is_not_changed(path: Path):
    text, _ = decode(path.read_bytes())
    out, hits = redact(text, path.name)
    assert hits == [], [(h.line, h.rule, split_lines(text)[h.line - 1][:80]) for h in hits]
    assert out == text


def test_the_negative_corpus_holds_the_false_positives_seen_on_real_repositories():
    names = {p.name for p in negatives()}
    assert {"passes.rs", "VERSIONS", "types.ts", "test_fixtures.py", "lock_like.txt"} <= names
    rust = (Path(negatives()[0]).parent / "passes.rs").read_text()
    assert '"pass" => Outcome::Pass' in rust and "::stmt_pass::" in rust
    assert "token: Token" in rust
    assert "asyncio.taskgroups: 3.11-" in (Path(negatives()[0]).parent / "VERSIONS").read_text()


def test_the_gather_sends_no_secret_of_the_corpus(corpus, tmp_path: Path):
    """The rendered corpus as a repository, through the real gather (decoding, path rules,
    scan): no labelled secret is in any text it would send."""
    root, labels = corpus
    ws = tmp_path / "ws"
    ws.mkdir()
    git(ws, "init", "-q", "-b", "main")
    for lb in {lb.path for lb in labels}:
        target = ws / lb
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((root / lb).read_bytes())
    commit(ws, "corpus")
    snap = gather(ws, Settings())
    sent = {f.path: f.text for f in snap.files}
    assert "utf16/settings.ini" in sent and "latin1/legacy.py" in sent
    leaked = [
        f"{lb.path}:{lb.line}"
        for lb in labels
        if lb.path in sent and any(p in sent[lb.path] for p in lb.parts)
    ]
    found = sum(1 for lb in labels if lb.path in sent) - len(leaked)
    assert found / len(labels) >= MIN_RECALL, leaked
