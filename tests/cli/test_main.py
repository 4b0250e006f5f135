"""The CLI's last line of defence: a bug is exit 3 with one line (never 1, which means
findings), the traceback in the log file and with --debug; a data directory that cannot be
written is a clear configuration error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from bigpicture.app import prepare as pipeline
from bigpicture.cli import main
from bigpicture.store import paths


def boom(*args: object, **kwargs: object) -> None:
    raise KeyError("no such thing")  # stands for any bug deep inside a review


def test_an_unexpected_exception_is_exit_3_with_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(pipeline, "prepare", boom)
    code = main(["review", str(tmp_path), "--dry-run"])
    err = capsys.readouterr().err
    assert code == 3
    lines = [ln for ln in err.splitlines() if ln.startswith("bigpicture: internal error")]
    assert len(lines) == 1 and "KeyError" in lines[0]
    assert "Traceback" not in err
    log = paths.data_dir() / "logs" / "last-error.log"
    assert str(log) in lines[0]
    assert "Traceback" in log.read_text() and "no such thing" in log.read_text()


def test_debug_prints_the_traceback(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(pipeline, "prepare", boom)
    assert main(["--debug", "review", str(tmp_path), "--dry-run"]) == 3
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "KeyError" in err


def test_a_bug_is_exit_3_even_when_the_log_cannot_be_written(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(pipeline, "prepare", boom)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("BIGPICTURE_DATA_DIR", str(blocker))
    assert main(["review", str(tmp_path), "--dry-run"]) == 3
    err = capsys.readouterr().err
    assert "internal error" in err and "Traceback" not in err


@pytest.mark.parametrize("where", ["a-file", "under-a-file"])
def test_an_unwritable_data_directory_is_a_clear_error(tmp_path, capsys, monkeypatch, where):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    target = blocker if where == "a-file" else blocker / "data"
    monkeypatch.setenv("BIGPICTURE_DATA_DIR", str(target))
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "a.py").write_text("x = 1\n")
    for argv in (["review", str(ws), "--dry-run"], ["usage"]):
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 2, err
        assert f"BIGPICTURE_DATA_DIR={target}" in err and "cannot create or write" in err
        assert "Traceback" not in err and "internal error" not in err


def test_the_installed_command_maps_a_bug_to_exit_3(tmp_path):
    """The console script itself, as CI runs it: a bug inside is exit 3, one stderr line."""
    script = (
        "import sys\n"
        "from bigpicture.app import prepare\n"
        "def boom(*a, **k): raise ZeroDivisionError('division by zero')\n"
        "prepare.prepare = boom\n"
        "from bigpicture.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    env = {**os.environ, "BIGPICTURE_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-c", script, "review", str(tmp_path), "--dry-run"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 3
    assert [ln for ln in done.stderr.splitlines() if "internal error" in ln]
    assert "Traceback" not in done.stderr
    assert (Path(tmp_path) / "data" / "logs" / "last-error.log").is_file()
