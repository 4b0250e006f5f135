"""Turning a file's bytes into the one text that is scanned, sent and anchored against.

A file is decoded exactly once: strict UTF-8 (a UTF-8 BOM is dropped), UTF-16/32 when a BOM
says so, and otherwise the encoding charset-normalizer detects. The same string then goes
through the secret scan, into the request, and into anchoring, so what was scanned is what was
sent (a scanner that decodes differently from the uploader leaks what it did not see).
"""

from __future__ import annotations

import codecs

BINARY_SNIFF = 8192

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


_WESTERN_LOOKALIKES = frozenset(
    {
        "mac_latin2",
        "mac_roman",
        "mac_iceland",
        "mac_turkish",
        "cp1250",
        "cp1254",
        "cp1257",
        "iso8859_2",
        "iso8859_3",
        "iso8859_4",
        "iso8859_9",
        "iso8859_10",
        "iso8859_13",
        "iso8859_14",
        "iso8859_15",
        "iso8859_16",
        "latin_1",
        "cp850",
        "cp437",
        "cp874",
    }
)


def _clean(data: bytes, enc: str) -> bool:
    try:
        text = data.decode(enc)
    except UnicodeDecodeError:
        return False
    return not any(ord(c) < 32 and c not in "\t\n\r\f\v" for c in text)


class Undecodable(Exception):
    """The bytes are binary, or text in no encoding we can trust."""


def decode(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)`` or raise ``Undecodable``."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc), enc.replace("-sig", "")
            except UnicodeDecodeError as e:
                raise Undecodable(f"invalid {enc}") from e
    if b"\x00" in data[:BINARY_SNIFF]:
        raise Undecodable("binary (NUL byte)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    return _detect(data)


def _detect(data: bytes) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 256 * 1024] if len(data) > 256 * 1024 else data).best()
    if best is None or best.encoding is None:
        raise Undecodable("no text encoding detected")
    enc = best.encoding
    if enc in _WESTERN_LOOKALIKES and _clean(data, "cp1252"):
        # Short Western text fits several single-byte code pages equally well; cp1252 (a
        # superset of Latin-1 for text) is by far the most common of them.
        enc = "cp1252"
    try:
        text = data.decode(enc)
    except (UnicodeDecodeError, LookupError) as e:
        raise Undecodable(f"not valid {enc}") from e
    # Text with many control characters is most likely binary that happened to decode.
    controls = sum(1 for ch in text[:BINARY_SNIFF] if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    if controls > max(8, len(text[:BINARY_SNIFF]) // 50):
        raise Undecodable("binary (control characters)")
    return text, enc
