"""Every rule of ``core.gather.secretscan.rules`` finds and redacts its own examples: in a source line,
in a diff line (added, removed and context), and in Latin-1 and UTF-16 files through the real
gather. Also: the rule table's own invariants, and the rules' fingerprint (the scan caches
and the cache base are keyed by it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bigpicture.core.config import Settings
from bigpicture.core.gather import secrets
from bigpicture.core.gather.gather import gather
from bigpicture.core.gather.secrets import redact
from bigpicture.core.gather.secretscan.prefilter import b64_prefixes
from bigpicture.core.gather.secretscan.rules import RULES, Example, Rule
from bigpicture.core.lines import line_count, split_lines
from conftest import commit, git, write

EXAMPLES = [(r, i, ex) for r in RULES for i, ex in enumerate(r.examples)]
IDS = [f"{r.id}-{i}" for r, i, _ in EXAMPLES]


def windows(value: str, size: int = 8) -> set[str]:
    if len(value) <= size:
        return {value}
    return {value[i : i + size] for i in range(len(value) - size + 1)}


def assert_gone(out: str, secret: str) -> None:
    leaked = [w for w in windows(secret) if w in out]
    assert not leaked, f"part of the secret survived: {leaked[:3]}"


def source_file(ex: Example) -> str:
    """The example inside a file, with code before and after it."""
    return f"import os\n\nlog = make_logger(__name__)\n{ex.line}\nprint('done')\n"


def test_every_rule_has_an_example_and_a_unique_id():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9-]+", i) for i in ids)
    assert all(r.examples for r in RULES), [r.id for r in RULES if not r.examples]
    for r in RULES:
        if r.handler in ("regex", "aws-pair", "shape"):
            assert r.keywords, r.id  # the prefilter must be able to reach it
            re.compile(r.regex)
        if r.base64:
            assert any(b64_prefixes(k) for k in r.keywords), r.id


@pytest.mark.parametrize(("rule", "index", "ex"), EXAMPLES, ids=IDS)
def test_example_in_a_source_file_is_redacted_by_its_rule(rule: Rule, index: int, ex: Example):
    text = source_file(ex)
    out, hits = redact(text)
    assert_gone(out, ex.secret)
    assert rule.id in {h.rule for h in hits}, hits
    assert line_count(out) == line_count(text)
    before, after = split_lines(text), split_lines(out)
    assert before[:3] == after[:3] and before[-2:] == after[-2:]  # the code around is kept


@pytest.mark.parametrize("marker", ["+", "-", " "], ids=["added", "removed", "context"])
@pytest.mark.parametrize(("rule", "index", "ex"), EXAMPLES, ids=IDS)
def test_example_in_a_diff_is_redacted_and_the_markers_kept(
    rule: Rule, index: int, ex: Example, marker: str
):
    body = "".join(f"{marker}{line}\n" for line in split_lines(ex.line))
    n = line_count(ex.line)
    diff = (
        "diff --git a/conf.py b/conf.py\n--- a/conf.py\n+++ b/conf.py\n"
        f"@@ -1,{n + 1} +1,{n + 1} @@\n import os\n{body}"
    )
    out, hits = redact(diff)
    assert_gone(out, ex.secret)
    assert hits
    assert [line[:1] for line in split_lines(out)] == [line[:1] for line in split_lines(diff)]
    assert split_lines(out)[:5] == split_lines(diff)[:5]


def _encodable(ex: Example, encoding: str) -> bool:
    try:
        ex.line.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


@pytest.fixture(scope="module")
def gathered(tmp_path_factory) -> dict[str, str]:
    """Every example in a Latin-1 and a UTF-16 file of one repository, gathered once."""
    root = tmp_path_factory.mktemp("examples") / "ws"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    for n, (_, _, ex) in enumerate(EXAMPLES):
        # A non-ASCII comment makes the single-byte encoding detectable as text.
        latin = f"# configuración - {n} - Größe\n{ex.line}\n# fin\n"
        if _encodable(ex, "latin-1"):
            write(root, f"latin1/ex{n}.cfg", latin.encode("latin-1"))
        write(root, f"utf16/ex{n}.cfg", f"{ex.line}\r\n".encode("utf-16"))
    commit(root, "examples")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BIGPICTURE_DATA_DIR", str(tmp_path_factory.mktemp("bpdata")))
        snap = gather(root, Settings())
    return {f.path: f.text for f in snap.files}


@pytest.mark.parametrize("encoding", ["latin1", "utf16"])
@pytest.mark.parametrize(("rule", "index", "ex"), EXAMPLES, ids=IDS)
def test_example_in_a_non_utf8_file_is_redacted_through_the_gather(
    gathered: dict[str, str], rule: Rule, index: int, ex: Example, encoding: str
):
    n = EXAMPLES.index((rule, index, ex))
    path = f"{encoding}/ex{n}.cfg"
    if encoding == "latin1" and not _encodable(ex, "latin-1"):
        assert path not in gathered
        pytest.skip("not representable in Latin-1")
    assert path in gathered, sorted(gathered)[:5]
    assert_gone(gathered[path], ex.secret)
    assert "<redacted:" in gathered[path]


def test_most_examples_are_representable_in_latin1():
    assert sum(_encodable(ex, "latin-1") for _, _, ex in EXAMPLES) >= len(EXAMPLES) - 6


# --------------------------------------------------------------------------- fingerprint


def test_the_fingerprint_covers_every_module_of_the_scan():
    gather_dir = Path(secrets.__file__).parent
    modules = sorted(f"secretscan/{p.name}" for p in (gather_dir / "secretscan").glob("*.py"))
    expected = ["secrets.py", *modules]
    assert secrets.scan_sources() == expected
    assert {
        "secretscan/rules.py",
        "secretscan/rules_infra.py",
        "secretscan/rules_saas.py",
        "secretscan/rule_types.py",
        "secretscan/engine.py",
        "secretscan/prefilter.py",
        "secretscan/keyed.py",
        "secretscan/values.py",
        "secretscan/pem.py",
    } <= set(expected)


def test_the_fingerprint_changes_when_a_rule_changes():
    gather_dir = Path(secrets.__file__).parent
    sources = [(gather_dir / name).read_bytes() for name in secrets.scan_sources()]
    base = secrets.fingerprint_of(sources)
    assert base == secrets.rules_fingerprint()
    i = next(n for n, src in enumerate(sources) if b'"sk_live_",' in src)
    changed = list(sources)
    changed[i] = sources[i].replace(b'"sk_live_",', b'"sk_liv_",', 1)  # one keyword of one rule
    assert changed[i] != sources[i]
    assert secrets.fingerprint_of(changed) != base
    # order matters too: moving code between modules is a change
    assert secrets.fingerprint_of(sources[::-1]) != base


def _fingerprint_of_package(root: Path) -> str:
    code = (
        "from bigpicture.core.gather.secrets import rules_fingerprint; print(rules_fingerprint())"
    )
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


@pytest.mark.parametrize("module", ["rules_saas.py", "values.py"])
def test_an_installed_copy_with_one_rule_changed_has_another_fingerprint(tmp_path, module):
    """What the scan cache and the cache base are keyed by, read from the files the process
    really imports: a copy of the package with one secretscan module edited."""
    package = Path(secrets.__file__).parents[2]
    shutil.copytree(package, tmp_path / "bigpicture", ignore=shutil.ignore_patterns("__pycache__"))
    same = _fingerprint_of_package(tmp_path)
    assert same == secrets.rules_fingerprint()
    target = tmp_path / "bigpicture" / "core" / "gather" / "secretscan" / module
    target.write_text(target.read_text() + "\n# one more line\n")
    assert _fingerprint_of_package(tmp_path) != same
