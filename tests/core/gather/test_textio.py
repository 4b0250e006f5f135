"""core.gather.textio: a file is decoded once, and the same text is scanned, sent and anchored."""

from __future__ import annotations

import codecs

import pytest
from bigpicture.core.gather.textio import Undecodable, decode


def test_utf8_and_boms() -> None:
    assert decode("naïve = 1\n".encode()) == ("naïve = 1\n", "utf-8")
    assert decode(codecs.BOM_UTF8 + b"x = 1\n") == ("x = 1\n", "utf-8")  # BOM dropped
    text = "contraseña = 'x'\n"
    assert decode(text.encode("utf-16")) == (text, "utf-16")
    assert decode(text.encode("utf-32")) == (text, "utf-32")


def test_latin1_text_is_read_as_western() -> None:
    text = "# Größe der Datei\npassword_contraseña = 'año'\n" * 4
    decoded, enc = decode(text.encode("latin-1"))
    assert decoded == text
    assert enc == "cp1252"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x7fELF\x02\x01\x01\x00\x00\x00", "NUL"),
        (codecs.BOM_UTF16_LE + b"\x00\xd8", "invalid utf-16"),
        (bytes(range(1, 32)) * 40 + b"\xff\xfe\xfa", "no text encoding|binary"),
    ],
)
def test_binary_and_broken_text_are_undecodable(data: bytes, reason: str) -> None:
    with pytest.raises(Undecodable, match=reason):
        decode(data)
