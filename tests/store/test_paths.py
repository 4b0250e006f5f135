"""The data directory: created when missing, and a ConfigError naming it (and the variable
that chose it) when it cannot be created or written."""

from __future__ import annotations

import os

import pytest
from bigpicture.core.errors import ConfigError
from bigpicture.store import paths


def test_it_is_created_when_missing(tmp_path, monkeypatch):
    target = tmp_path / "a" / "b"
    monkeypatch.setenv("BIGPICTURE_DATA_DIR", str(target))
    assert paths.data_dir() == target and target.is_dir()
    assert list(target.iterdir()) == []  # the write test leaves nothing behind


def test_a_file_in_its_place_names_the_variable_and_the_path(tmp_path, monkeypatch):
    target = tmp_path / "data"
    target.write_text("not a folder")
    monkeypatch.setenv("BIGPICTURE_DATA_DIR", str(target))
    with pytest.raises(ConfigError) as caught:
        paths.data_dir()
    msg = caught.value.message
    assert f"BIGPICTURE_DATA_DIR={target}" in msg and "a file, not a folder" in msg
    assert caught.value.exit_code == 2


def test_a_folder_that_cannot_be_written_is_refused(tmp_path, monkeypatch):
    """A read-only folder. Tests may run as root, which writes anyway, so the write is made to
    fail the way the kernel would fail it for an ordinary user (EACCES from mkstemp)."""
    target = tmp_path / "ro"
    target.mkdir()
    monkeypatch.setenv("BIGPICTURE_DATA_DIR", str(target))
    if os.geteuid() != 0:
        target.chmod(0o500)
    else:

        def refuse(*args: object, **kwargs: object) -> tuple[int, str]:
            raise PermissionError(13, "Permission denied", str(target))

        monkeypatch.setattr(paths.tempfile, "mkstemp", refuse)
    try:
        with pytest.raises(ConfigError, match=r"cannot create or write it \(Permission denied"):
            paths.data_dir()
    finally:
        target.chmod(0o700)


def test_without_the_variable_the_message_suggests_it(tmp_path, monkeypatch):
    monkeypatch.delenv("BIGPICTURE_DATA_DIR")
    blocker = tmp_path / "home-data"
    blocker.write_text("x")
    import platformdirs

    monkeypatch.setattr(platformdirs, "user_data_dir", lambda *a, **k: str(blocker))
    with pytest.raises(ConfigError, match="set BIGPICTURE_DATA_DIR"):
        paths.data_dir()
