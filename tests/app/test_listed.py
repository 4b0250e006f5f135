"""app.listed: the map's outlines of files a lazy gather only listed, read for the outline and
secret-scanned in what the map sends (headers and imports), never scanned whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from bigpicture.app import listed
from bigpicture.app import prepare as pipeline
from bigpicture.core.config import Settings
from bigpicture.core.errors import SecretScanError
from bigpicture.core.gather import secrets
from bigpicture.core.request import outline as outlining
from conftest import commit, write

KEY = "AKIAQWERTYUIOPASDF12"


def test_outlines_are_read_from_the_files_and_their_secrets_redacted(repo: Path):
    write(repo, "a.py", f"import os\n\ndef connect(key='{KEY}'):\n    pass\n")
    write(repo, "b.py", "class B:\n    def run(self):\n        pass\n")
    write(repo, "blob.py", b"\x00\x01\x02")
    commit(repo, "init")
    snap = pipeline.gather(repo, Settings())
    got = listed.outlines_of_listed(snap, outlining.OutlineCache(), Settings().maxFileSize)
    assert set(got) == {"a.py", "b.py"}
    assert any(d.startswith("def connect(") for d in got["a.py"].defs)
    assert KEY not in "\n".join(got["a.py"].defs)
    assert "os" in got["a.py"].imports
    assert got["b.py"].defs[0].startswith("class B")
    assert [r.path for r in snap.redactions] == ["a.py (outline)"]
    # the binary file cannot be outlined or sent: it is skipped, not listed any more
    assert [f.path for f in snap.files] == ["a.py", "b.py"]
    assert [(s.path, s.reason) for s in snap.skipped] == [("blob.py", "binary")]
    assert not any(f.loaded for f in snap.files)  # read for the outline, not loaded
    texts = listed.listed_texts(got)
    assert len(texts) == 2 and all(KEY not in t for t in texts)


def test_a_scan_failure_over_the_outlines_stops_the_review(repo: Path, monkeypatch):
    write(repo, "a.py", "def f():\n    pass\n")
    commit(repo, "init")
    snap = pipeline.gather(repo, Settings())

    def broken(text: str):
        raise RuntimeError("engine crashed")

    monkeypatch.setattr(secrets, "redact", broken)
    with pytest.raises(SecretScanError, match="repository map"):
        listed.outlines_of_listed(snap, outlining.OutlineCache(), Settings().maxFileSize)
