"""Gathering a workspace: what is sent, what is never sent and why, on real git repositories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from bigpicture.core.config import Settings
from bigpicture.core.gather.gather import gather
from conftest import commit, git, write

AWS_CANARY = "AKIAQWERTYUIOPASDF12"  # an AWS access key id shape


def skipped_reasons(snap) -> dict[str, str]:
    return {s.path: s.reason for s in snap.skipped}


def sent(snap) -> set[str]:
    return {f.path for f in snap.files}


def test_git_view_nested_gitignore_excludes_and_untracked(repo: Path, tmp_path: Path):
    write(repo, ".gitignore", "*.log\nbuild/\n")
    write(repo, "src/.gitignore", "generated_*.py\n!generated_keep.py\n")
    write(repo, "src/app.py", "print('app')\n")
    write(repo, "src/generated_x.py", "x = 1\n")
    write(repo, "src/generated_keep.py", "y = 2\n")
    write(repo, "debug.log", "log\n")
    write(repo, "build/out.py", "z = 3\n")
    write(repo, "private/notes.py", "secret plans\n")
    write(repo, ".git/info/exclude", "private/\n")
    global_ignore = tmp_path / "global_ignore"
    global_ignore.write_text("*.tmp\n")
    git(repo, "config", "core.excludesFile", str(global_ignore))
    write(repo, "scratch.tmp", "tmp\n")
    commit(repo, "init")
    write(repo, "src/new_untracked.py", "print('new')\n")

    snap = gather(repo, Settings())
    assert sent(snap) == {
        ".gitignore",
        "src/.gitignore",
        "src/app.py",
        "src/generated_keep.py",
        "src/new_untracked.py",
    }
    assert snap.is_git and snap.head


def test_never_sent_files_each_with_a_reason(repo: Path, tmp_path: Path):
    outside = tmp_path / "outside_secret.txt"
    outside.write_text("TOP SECRET\n")
    write(repo, "app.py", "import os\n")
    write(repo, ".env", "API_KEY=abc\n")
    write(repo, "config/.env.production", "DB=postgres://u:p@h/db\n")
    write(repo, ".env.example", "API_KEY=\n")
    write(repo, "deploy/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\nxx\n")
    write(repo, "certs/server.pem", "pem\n")
    write(repo, "package-lock.json", "{}\n")
    write(repo, "web/app.min.js", "var a=1;\n")
    write(repo, "img/logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
    write(repo, "big.txt", "a" * 2000 + "\n")
    write(repo, "infra/terraform.tfstate", "{}\n")
    write(repo, ".aws/credentials", "[default]\n")
    os.symlink(outside, repo / "escape.txt")
    os.symlink(repo / "app.py", repo / "inside_link.py")
    commit(repo, "init")

    snap = gather(repo, Settings(maxFileSize=1000))
    reasons = skipped_reasons(snap)
    assert reasons == {
        ".env": "secret-path",
        "config/.env.production": "secret-path",
        "deploy/id_rsa": "secret-path",
        "certs/server.pem": "secret-path",
        "package-lock.json": "lockfile",
        "web/app.min.js": "generated",
        "img/logo.png": "binary",
        "big.txt": "too-large",
        "infra/terraform.tfstate": "secret-path",
        ".aws/credentials": "secret-path",
        "escape.txt": "symlink-outside",
    }
    assert sent(snap) == {"app.py", ".env.example", "inside_link.py"}
    assert all("TOP SECRET" not in f.text for f in snap.files)


def test_outside_git_walk_applies_gitignore_at_every_level(tmp_path: Path):
    root = tmp_path / "plain"
    write(root, ".gitignore", "*.log\n")
    write(root, "a.py", "a\n")
    write(root, "a.log", "log\n")
    write(root, "sub/.gitignore", "*.dat\n!keep.dat\n")
    write(root, "sub/x.dat", "d\n")
    write(root, "sub/keep.dat", "k\n")
    write(root, "sub/deeper/y.log", "l\n")
    write(root, "node_modules/dep/index.js", "x\n")
    snap = gather(root, Settings())
    assert not snap.is_git
    assert sent(snap) == {".gitignore", "a.py", "sub/.gitignore", "sub/keep.dat"}


def test_bigpictureignore_and_include_exclude_settings(repo: Path):
    write(repo, ".bigpictureignore", "docs/\n")
    write(repo, "docs/guide.md", "# guide\n")
    write(repo, "src/a.py", "a\n")
    write(repo, "src/b_test.py", "b\n")
    write(repo, "tools/c.sh", "echo\n")
    commit(repo, "init")
    snap = gather(repo, Settings(include=("src/**", "tools/**"), exclude=("*_test.py",)))
    assert sent(snap) == {"src/a.py", "tools/c.sh"}
    reasons = {s.path: s.detail for s in snap.skipped}
    assert reasons["docs/guide.md"] == ".bigpictureignore"
    assert reasons["src/b_test.py"] == "exclude setting"


def test_submodule_and_nested_repository_do_not_crash(repo: Path, tmp_path: Path):
    lib = tmp_path / "lib"
    lib.mkdir()
    git(lib, "init", "-q", "-b", "main")
    write(lib, "lib.py", "def f(): pass\n")
    commit(lib, "lib")
    write(repo, "main.py", "import lib\n")
    commit(repo, "init")
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), "vendor_lib")
    commit(repo, "add submodule")
    nested = repo / "nested"
    nested.mkdir()
    git(nested, "init", "-q", "-b", "main")
    write(nested, "n.py", "n = 1\n")
    write(nested, ".gitignore", "ignored.py\n")
    write(nested, "ignored.py", "no\n")

    snap = gather(repo, Settings())
    assert {"main.py", "vendor_lib/lib.py", "nested/n.py", "nested/.gitignore"} <= sent(snap)
    assert "nested/ignored.py" not in sent(snap)


def test_canary_secret_in_tracked_file_is_redacted_line_count_kept(repo: Path):
    src = "import boto3\n\nKEY = '" + AWS_CANARY + "'\nclient = boto3.client('s3')\n"
    write(repo, "aws.py", src)
    commit(repo, "init")
    snap = gather(repo, Settings())
    f = snap.by_path()["aws.py"]
    assert AWS_CANARY not in f.text
    assert f.text.count("\n") == src.count("\n")
    assert "client = boto3.client('s3')" in f.text
    assert [(r.path, r.line) for r in snap.redactions] == [("aws.py", 3)]


def test_non_utf8_file_is_decoded_once_and_scanned(repo: Path):
    text = "# café configuration - ñandú\nsecret = '" + AWS_CANARY + "'\n" + "é" * 50 + "\n"
    write(repo, "latin.py", text.encode("latin-1"))
    commit(repo, "init")
    snap = gather(repo, Settings())
    f = snap.by_path()["latin.py"]
    assert f.encoding != "utf-8"
    assert "café" in f.text and "ñandú" in f.text
    assert AWS_CANARY not in f.text
    assert snap.redactions and snap.redactions[0].line == 2


def test_secret_scan_failure_sends_nothing(repo: Path, monkeypatch):
    from bigpicture.core.errors import SecretScanError
    from bigpicture.core.gather import secrets

    write(repo, "a.py", "x = 1\n")
    commit(repo, "init")

    def broken(text):
        raise RuntimeError("scanner exploded")

    monkeypatch.setattr(secrets, "redact", broken)
    with pytest.raises(SecretScanError):
        gather(repo, Settings())


def test_last_change_orders_by_history_and_marks_uncommitted(repo: Path):
    write(repo, "old.py", "old\n")
    commit(repo, "old", when=1_600_000_000)
    write(repo, "mid.py", "mid\n")
    commit(repo, "mid", when=1_700_000_000)
    write(repo, "old.py", "old changed\n")  # uncommitted edit
    snap = gather(repo, Settings())
    facts = {f.path: (f.last_change, f.dirty) for f in snap.files}
    assert facts == {"old.py": (1_600_000_000, True), "mid.py": (1_700_000_000, False)}


def test_remembered_clean_files_are_scanned_again_when_they_change(repo: Path, monkeypatch):
    import os
    import time

    from bigpicture.app import prepare as pipeline
    from bigpicture.core.gather import secrets

    def remembering_gather(root, settings):
        """The snapshot a review plans (and so reads and scans), remembering clean contents."""
        return pipeline.prepare(root, settings).snapshot

    write(repo, "a.py", "x = 1\n")
    write(repo, "b.py", f"KEY = '{AWS_CANARY}'\n")
    old = time.time() - 60
    for name in ("a.py", "b.py"):
        os.utime(repo / name, (old, old))
    commit(repo, "init")
    remembering_gather(repo, Settings())  # remembers a.py as clean (by content and by stat)

    scanned: list[str] = []
    real = secrets.redact

    def spy(text):
        scanned.append(text)
        return real(text)

    monkeypatch.setattr(secrets, "redact", spy)
    snap = remembering_gather(repo, Settings())
    assert scanned == [f"KEY = '{AWS_CANARY}'\n"]  # the file with a secret, every time
    assert AWS_CANARY not in snap.by_path()["b.py"].text

    write(repo, "a.py", f"x = 1\nTOKEN = '{AWS_CANARY}'\n")  # a.py changes: scanned again
    scanned.clear()
    snap = remembering_gather(repo, Settings())
    assert any("TOKEN" in t for t in scanned)
    assert AWS_CANARY not in snap.by_path()["a.py"].text
